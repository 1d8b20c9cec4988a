//! The encode stage: one encoder pass per unique comment (its clauses read in context),
//! with the embedding cache in front of the model.

pub mod cache;
pub mod model;

use crate::config::EncoderConfig;
use crate::console::Console;
use crate::infer::{self, BackendError, EncodeStats, Encoder, Pooled, StatesSink};
use crate::Result;
use cache::Cache;
pub use model::ModelInfo;

/// Token states wanted from the encoder: `sink` receives each encoded text's index and
/// token states. A text marked `known` needs none (the caller already has what it derives
/// from them), so its embedding may come from the cache; every other text is encoded.
pub struct StatesRequest<'a> {
    pub sink: StatesSink<'a>,
    pub known: &'a [bool],
}

/// What the encode stage gives the heads: per unique comment (pass), its embedding and,
/// when the themes model reads token states, its attention scores; per clause, its
/// embedding read in the comment's context.
#[derive(Debug, Clone, Default)]
pub struct Encoded {
    /// Per pass: the whole comment's embedding.
    pub comments: Vec<Vec<f32>>,
    /// Per pass: the themes model's attention scores of the whole comment (None when the
    /// model reads no token states).
    pub attention: Vec<Option<Vec<f32>>>,
    /// Per clause (index into `Prepared::unique`): its embedding, read in its comment.
    pub clauses: Vec<Vec<f32>>,
}

/// What the encode stage did.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct EncodeReport {
    pub unique_texts: usize,
    pub from_cache: usize,
    /// Texts whose embedding came with annotated input (`verbatim.annotate`), not encoded.
    pub from_annotations: usize,
    pub encoded: usize,
    pub corrupt_cache_records: usize,
    pub stats: EncodeStats,
    pub seconds: f64,
}

/// Embeddings of `texts` (in order): cached ones from `cache`, the rest from the model.
/// New vectors are added to the cache. The encoder is only built (model loaded) when some
/// text is not in the cache.
///
/// With `states`, every text not marked `known` goes through the model (the cache holds no
/// token states) and the sink receives its index and token states (see
/// `Encoder::encode_with_states`).
pub fn embed<E: std::borrow::BorrowMut<Encoder>>(
    texts: &[String],
    make_encoder: impl FnOnce() -> Result<E, BackendError>,
    cache: Option<&mut cache::Cache>,
    progress: &mut dyn FnMut(usize, usize),
    states: Option<StatesRequest>,
) -> Result<(Vec<Vec<f32>>, EncodeReport), BackendError> {
    let (pooled, report) = embed_spans(texts, &[], make_encoder, cache, progress, states)?;
    Ok((pooled.into_iter().map(|p| p.text).collect(), report))
}

/// [`embed`], also reading the byte spans `spans[i]` of each text in context (see
/// `Encoder::encode_spans`). The cache keeps a text's vector under the text and each span's
/// under the text and its range ([`cache::span_key`]): a text comes from the cache only with
/// all of its spans.
pub fn embed_spans<E: std::borrow::BorrowMut<Encoder>>(
    texts: &[String],
    spans: &[Vec<(usize, usize)>],
    make_encoder: impl FnOnce() -> Result<E, BackendError>,
    mut cache: Option<&mut cache::Cache>,
    progress: &mut dyn FnMut(usize, usize),
    states: Option<StatesRequest>,
) -> Result<(Vec<Pooled>, EncodeReport), BackendError> {
    let start = std::time::Instant::now();
    let no_spans: Vec<(usize, usize)> = Vec::new();
    let spans_of = |i: usize| spans.get(i).unwrap_or(&no_spans);
    let keys: Vec<([u8; 32], Vec<[u8; 32]>)> = texts
        .iter()
        .enumerate()
        .map(|(i, t)| (cache::text_hash(t), spans_of(i).iter().map(|&s| cache::span_key(t, s)).collect()))
        .collect();
    let read_cache = |i: usize| states.as_ref().is_none_or(|s| s.known.get(i).copied().unwrap_or(false));
    let from = |c: &cache::Cache, (text, spans): &([u8; 32], Vec<[u8; 32]>)| -> Option<Pooled> {
        let spans = spans.iter().map(|k| c.get(k).cloned()).collect::<Option<Vec<_>>>()?;
        Some(Pooled { text: c.get(text)?.clone(), spans })
    };
    let mut out: Vec<Option<Pooled>> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| cache.as_deref().filter(|_| read_cache(i)).and_then(|c| from(c, k)))
        .collect();
    let mut states = states.map(|s| s.sink);
    let missing: Vec<usize> = (0..texts.len()).filter(|&i| out[i].is_none()).collect();
    let from_cache = texts.len() - missing.len();
    let todo: Vec<String> = missing.iter().map(|&i| texts[i].clone()).collect();
    let todo_spans: Vec<Vec<(usize, usize)>> = missing.iter().map(|&i| spans_of(i).clone()).collect();
    progress(from_cache, texts.len());
    let (vectors, stats) = if todo.is_empty() {
        (Vec::new(), EncodeStats::default())
    } else {
        let missing = &missing;
        let mut sink = states.as_mut().map(|f| move |j: usize, s: &[f32]| f(missing[j], s));
        make_encoder()?.borrow_mut().encode_spans(
            &todo,
            &todo_spans,
            &mut |done| progress(from_cache + done, texts.len()),
            sink.as_mut().map(|f| f as StatesSink),
        )?
    };
    let mut new_entries = Vec::new();
    for (&i, v) in missing.iter().zip(vectors) {
        if let Some(c) = cache.as_deref() {
            let (text, spans) = &keys[i];
            // A span that is the whole text shares the text's key (and vector).
            let spans = spans.iter().zip(&v.spans).filter(|(k, _)| *k != text);
            let entries = std::iter::once((text, &v.text)).chain(spans);
            new_entries.extend(entries.filter(|(k, _)| c.get(k).is_none()).map(|(k, v)| (*k, v.clone())));
        }
        out[i] = Some(v);
    }
    let corrupt = cache.as_ref().map_or(0, |c| c.corrupt);
    if let Some(c) = cache.as_mut() {
        if let Err(e) = c.append(new_entries) {
            tracing::warn!("could not write the embedding cache: {e} (the run goes on)");
        }
    }
    let report = EncodeReport {
        unique_texts: texts.len(),
        from_cache,
        from_annotations: 0,
        encoded: missing.len(),
        corrupt_cache_records: corrupt,
        stats,
        seconds: start.elapsed().as_secs_f64(),
    };
    Ok((out.into_iter().map(|v| v.expect("every text has a vector")).collect(), report))
}

/// Embed texts with the configured encoder, through the cache. Returns the embeddings (in
/// order), what the encoder did, and the model's identity.
pub fn embed_texts(
    enc: &EncoderConfig,
    texts: &[String],
    console: &Console,
    what: &str,
) -> Result<(Vec<Vec<f32>>, EncodeReport, ModelInfo)> {
    let model = ModelInfo::of(enc)?;
    let (embeddings, report) = embed_texts_with_states(enc, &model, texts, console, what, None)?;
    Ok((embeddings, report, model))
}

/// [`embed_texts`] with the model's identity already loaded, also handing every text's
/// token states to `states` (index, `tokens x hidden`): all texts then go through the
/// encoder, the cache holding no token states.
pub fn embed_texts_with_states(
    enc: &EncoderConfig,
    model: &ModelInfo,
    texts: &[String],
    console: &Console,
    what: &str,
    states: Option<StatesRequest>,
) -> Result<(Vec<Vec<f32>>, EncodeReport)> {
    let (pooled, report) =
        embed_texts_keeping(enc, model, texts, &[], console, what, states, &mut EncoderSlot::default())?;
    Ok((pooled.into_iter().map(|p| p.text).collect(), report))
}

/// [`embed_texts_with_states`], also reading the byte spans `spans[i]` of each text in
/// context ([`embed_spans`]), with the encoder kept in `slot`: built there on first use,
/// reused by every later call with the same slot (a long-lived annotator loads the model
/// once per process).
#[allow(clippy::too_many_arguments)]
pub fn embed_texts_keeping(
    enc: &EncoderConfig,
    model: &ModelInfo,
    texts: &[String],
    spans: &[Vec<(usize, usize)>],
    console: &Console,
    what: &str,
    states: Option<StatesRequest>,
    slot: &mut EncoderSlot,
) -> Result<(Vec<Pooled>, EncodeReport)> {
    let build = |loading: Option<LoadingTokenizer>| -> std::result::Result<Encoder, infer::BackendError> {
        // Reading the tokenizer (a quarter of a million pieces) and preparing the graph take
        // a good part of a second each, on one core each: side by side.
        let loading = loading.unwrap_or_else(|| load_tokenizer(&enc.model_dir));
        let backend = infer::ort::OrtBackend::new(
            &enc.ort_library,
            &enc.graph,
            enc.threads,
            enc.device == crate::config::Device::Cuda,
            model.hidden,
        );
        let mut tokenizer = loading.join().expect("reading the tokenizer does not panic")?;
        tokenizer.max_tokens = model.max_tokens.max(2);
        Ok(Encoder {
            tokenizer,
            backend: Box::new(backend?),
            batch_tokens: enc.batch_tokens,
            prefix: model.prefix.clone(),
        })
    };
    let make_encoder = move || {
        let slot = slot; // moved in: the closure is FnOnce and may hand out the borrow
        slot.get(build)
    };
    let mut cache = match &enc.cache_dir {
        Some(dir) => match Cache::open(dir, &model.cache_key(), model.hidden) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("embedding cache {} unusable: {e}; encoding everything", dir.display());
                None
            }
        },
        None => None,
    };
    let bar = console.progress_bar(texts.len() as u64, what);
    let result =
        embed_spans(texts, spans, make_encoder, cache.as_mut(), &mut |done, _| bar.set_position(done as u64), states);
    bar.finish_and_clear();
    Ok(result?)
}

/// A tokenizer being read on another thread.
type LoadingTokenizer = std::thread::JoinHandle<std::result::Result<infer::TextTokenizer, BackendError>>;

/// Starts reading `model_dir`'s tokenizer.json on another thread (its length limit is set
/// when the encoder is built).
fn load_tokenizer(model_dir: &std::path::Path) -> LoadingTokenizer {
    let path = model_dir.join("tokenizer.json");
    std::thread::spawn(move || infer::TextTokenizer::from_file(&path, 512))
}

/// Where the encoder of a run (or of a long-lived annotator) is kept: built on first use,
/// then reused. A run starts reading the tokenizer early ([`EncoderSlot::preloading`]),
/// while it reads its inputs and loads its other models; the tokenizer is freed on
/// another thread (a quarter of a million pieces take a good part of a second to free).
#[derive(Default)]
pub struct EncoderSlot {
    encoder: Option<Encoder>,
    tokenizer: Option<LoadingTokenizer>,
}

impl EncoderSlot {
    /// An empty slot whose tokenizer is being read from `enc`'s model directory from now
    /// on. If nothing needs encoding (every text cached), that work is simply not used.
    pub fn preloading(enc: &EncoderConfig) -> EncoderSlot {
        EncoderSlot { encoder: None, tokenizer: Some(load_tokenizer(&enc.model_dir)) }
    }

    /// The encoder, built by `build` first (with the tokenizer being read, if any).
    fn get(
        &mut self,
        build: impl FnOnce(Option<LoadingTokenizer>) -> std::result::Result<Encoder, BackendError>,
    ) -> std::result::Result<&mut Encoder, BackendError> {
        if self.encoder.is_none() {
            self.encoder = Some(build(self.tokenizer.take())?);
        }
        Ok(self.encoder.as_mut().expect("just built"))
    }
}

impl Drop for EncoderSlot {
    fn drop(&mut self) {
        // The runtime's session is released here; the tokenizer on a thread of its own (a
        // tokenizer still being read finishes and is freed on its thread).
        if let Some(Encoder { tokenizer, backend, .. }) = self.encoder.take() {
            drop(backend);
            std::thread::spawn(move || drop(tokenizer));
        }
    }
}
