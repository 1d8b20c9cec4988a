//! The weekly run as one library call. [`analyze`] is the only place the stages are called
//! in order (STYLE.md section 11):
//!
//! ingest -> schema -> validate -> nps -> text -> encode -> sentiment -> themes ->
//! discovery -> drivers
//!
//! It returns one [`Analysis`] holding everything computed, writes no output file and
//! prints nothing but notes and progress through the [`Console`]. What is written from an
//! analysis (Parquet tables, report, summary, follow-up list) is built by `output` and
//! `report`; `commands` stage and commit it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::Instant;

use polars::prelude::PolarsResult;

use crate::config::{EncoderConfig, InputConfig, RunConfig};
use crate::console::Console;
use crate::drivers::DriverRow;
use crate::encode::{self, cache::text_hash, EncodeReport, Encoded, EncoderSlot, ModelInfo};
use crate::ingest::{self, annotations, annotations::Annotations, RawTable};
use crate::nps::{self, NpsRow, Tally};
use crate::schema::{self, columns as c, ColumnMapping};
use crate::text::{self, Prepared};
use crate::themes::{self, assign::Assigner, discovery::Proposal, ThemeInfo};
use crate::validate::{self, Counts, Reject, Responses};
use crate::{drivers, infer, sentiment};
use crate::{Error, Result};

/// Seconds spent per stage, in order.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Timings(pub Vec<(String, f64)>);

impl Timings {
    /// Run one stage inside a tracing span and record how long it took.
    pub fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let span = tracing::info_span!("stage", name = stage);
        let _g = span.enter();
        let t = Instant::now();
        let out = f()?;
        self.0.push((stage.to_string(), t.elapsed().as_secs_f64()));
        Ok(out)
    }

    /// Record a step timed by the caller (writing outputs).
    pub fn push(&mut self, stage: &str, since: Instant) {
        self.0.push((stage.to_string(), since.elapsed().as_secs_f64()));
    }

    /// Seconds per stage, rounded to the millisecond (run.json).
    pub fn as_map(&self) -> BTreeMap<String, f64> {
        self.0.iter().map(|(k, v)| (k.clone(), (v * 1000.0).round() / 1000.0)).collect()
    }
}

/// What ingest + schema + validate produced from the input files.
pub struct Input {
    /// One table per input file, as read (format, checksum, every cell as text).
    pub tables: Vec<RawTable>,
    /// The column roles of each table (with the reason for each choice).
    pub mappings: Vec<ColumnMapping>,
    /// Accepted responses, column by column.
    pub responses: Responses,
    /// Rows not accepted, with their reason (rejects.csv).
    pub rejects: Vec<Reject>,
    /// rows read = accepted + rejected + duplicates.
    pub counts: Counts,
    /// What the user must look at although the run went on (also in run.json).
    pub warnings: Vec<String>,
}

/// The models a run used, identified by checksums (run.json records them).
pub struct ModelsUsed {
    /// The encoder: name, checksums, hidden size, token limit, prefix.
    pub encoder: ModelInfo,
    /// sha256 of the sentiment head's head.json.
    pub sentiment_head_sha256: String,
}

/// Everything a run computed, in memory. Indices: `text.unique` numbers the clauses of the
/// unique comments (`embeddings`, `clause_sentiment`, `clause_themes` follow it); responses
/// follow `input.responses` (`text.comments`, `sentiment`, `response_themes` follow it); theme
/// indices point into `themes`.
pub struct Analysis {
    /// The inputs read, mapped and validated.
    pub input: Input,
    /// NPS with margins: overall, per period, per segment value, per period x segment.
    pub nps: Vec<NpsRow>,
    /// Normalised comments, their language and clauses; the unique comments to encode and
    /// their clauses.
    pub text: Prepared,
    /// One embedding per clause, read in its comment (L2-normalised, from the encoder or its
    /// cache).
    pub embeddings: Vec<Vec<f32>>,
    /// What the encode stage did (texts encoded, from cache, tokens, seconds).
    pub encode: EncodeReport,
    /// Per clause: P(negative), P(neutral), P(positive).
    pub clause_sentiment: Vec<[f32; 3]>,
    /// Per response: comment sentiment label and score in -1..1 (None without comment).
    pub sentiment: Vec<Option<(&'static str, f32)>>,
    /// The leaf themes clauses are assigned to.
    pub themes: Vec<ThemeInfo>,
    /// Per clause: (theme index, confidence) of each theme attributed to it.
    pub clause_themes: Vec<Vec<(usize, f32)>>,
    /// Per response: the theme indices its clauses mention, sorted, without repeats.
    pub response_themes: Vec<Vec<usize>>,
    /// Emerging themes (clusters of clauses no theme covers) with their responses' NPS.
    pub proposals: Vec<(Proposal, Tally)>,
    /// drivers.parquet's rows: theme impact, lift and significance overall, per period and
    /// per segment value.
    pub drivers: Vec<DriverRow>,
    /// The NPS against the targets and the benchmark of the configuration (empty without).
    pub targets: Vec<nps::targets::TargetGap>,
    /// The identity of each model used.
    pub models: ModelsUsed,
    /// Seconds per stage.
    pub timings: Timings,
}

impl Analysis {
    /// The theme ids, in theme-index order.
    /// The label of theme `id` (the id itself when it is not a theme of the run).
    pub fn theme_label(&self, id: &str) -> String {
        self.themes.iter().find(|t| t.id == id).map_or(id.to_string(), |t| t.label.clone())
    }

    pub fn theme_ids(&self) -> Vec<&str> {
        self.themes.iter().map(|t| t.id.as_str()).collect()
    }

    /// The theme ids a response's comment mentions.
    pub fn themes_of(&self, response: usize) -> Vec<&str> {
        self.response_themes[response].iter().map(|&t| self.themes[t].id.as_str()).collect()
    }
}

/// The weekly run's analysis: every stage in order, nothing written. A bad sentiment head
/// fails before anything is read; a bad encoder or themes source before anything is
/// encoded.
pub fn analyze(cfg: &RunConfig, console: &Console) -> Result<Analysis> {
    let mut timings = Timings::default();
    // The encoder's tokenizer is read on another thread from now on, while the inputs are
    // read and the other models loaded.
    let mut slot = EncoderSlot::preloading(&cfg.encoder);
    // Load the sentiment head first: a bad --sentiment-model fails before any work.
    let head = sentiment::Head::load(&cfg.sentiment_model).map_err(Error::Usage)?;
    let input = load(&cfg.input, console, &mut timings)?;
    let mut input = input;
    let nps = timings.time("nps", || Ok(nps_rows(&input.responses)?))?;
    let targets = nps::targets::gaps(&nps, &cfg.targets);
    for w in nps::targets::unknown(&nps, &targets) {
        console.warn(&w);
        input.warnings.push(w);
    }
    let text = timings.time("text", || Ok(text::prepare(&input.responses.comment)))?;
    console.note(format!(
        "text: {} comments, {} clauses, {} unique comments to encode",
        text.comments.iter().filter(|c| !c.normalized.is_empty()).count(),
        text.total_clauses,
        text.passes.len()
    ));
    // The theme assigner comes first: a learnt model with token attention reads the token
    // states of every comment while it is encoded.
    let encoder = ModelInfo::of(&cfg.encoder)?;
    let assigner = themes::assign::build_assigner(&cfg.themes, cfg.zero_shot, &cfg.encoder, &encoder, console)?;
    let given = annotated_inputs(&input, &encoder, &assigner)?;
    let (encoded, encode) = timings.time("encode", || {
        encode_comments(&cfg.encoder, &encoder, assigner.token_model(), &text, &given, &mut slot, console)
    })?;
    // The encoder's memory goes back before the next stages take theirs.
    drop(slot);
    let (clause_sentiment, sentiment) =
        timings.time("sentiment", || sentiment::score_comments(&head, &encoder, &text, &encoded.clauses))?;
    let assigned = timings.time("themes", || Ok(assigner.assign_covering(&text, &encoded)))?;
    let embeddings = encoded.clauses;
    let proposals = timings.time("discovery", || {
        Ok(themes::emerging::discover(&cfg.out, &input.responses, &text, &embeddings, &assigned.covered))
    })?;
    let clause_themes = assigned.themes;
    let themes = assigner.themes().to_vec();
    let drivers = timings.time("drivers", || {
        Ok(drivers::analysis::driver_rows(&input.responses, &text, &clause_sentiment, &clause_themes, &themes))
    })?;
    let response_themes = response_themes(&text, &clause_themes);
    let sentiment_head_sha256 = ingest::sha256_file(&cfg.sentiment_model.join("head.json"))?;
    Ok(Analysis {
        input,
        nps,
        text,
        embeddings,
        encode,
        clause_sentiment,
        sentiment,
        themes,
        clause_themes,
        response_themes,
        proposals,
        drivers,
        targets,
        models: ModelsUsed { encoder, sentiment_head_sha256 },
        timings,
    })
}

/// Read, map and validate every input; print one note per file and detected role.
pub fn load(cfg: &InputConfig, console: &Console, timings: &mut Timings) -> Result<Input> {
    let tables = timings
        .time("ingest", || cfg.inputs.iter().map(|p| ingest::read_input(p, &cfg.read)).collect::<Result<Vec<_>>>())?;
    if tables.iter().all(|t| t.n_rows() + t.malformed.len() == 0) {
        let files = cfg.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::input(
            cfg.inputs.first().map(|p| p.as_path()).unwrap_or(Path::new("")),
            format!("no responses: {files} hold a header but no data rows. Export the survey again with its responses"),
        ));
    }
    let mappings = timings.time("schema", || {
        let mappings = map_columns(&tables, cfg)?;
        for (t, m) in tables.iter().zip(&mappings) {
            describe_table(t, m, console);
        }
        Ok(mappings)
    })?;
    let (mut responses, rejects, counts) =
        timings.time("validate", || Ok(validate::validate(&tables, &mappings, cfg.period)))?;
    // Customer value (issue 19): RFM scores, and their segment as one more segment column
    // (with --segment-col, only when it names `RFM segment`: exactly the columns given).
    let rfm = crate::value::rfm::SEGMENT_COLUMN;
    if let Some(segment) = crate::value::rfm_stage(&mut responses.values) {
        if cfg.overrides.segments.is_empty() || cfg.overrides.segments.iter().any(|s| s == rfm) {
            responses.segments.push(segment);
        }
    }
    debug_assert!(counts.reconciles());
    let warnings: Vec<String> = most_rows_rejected(&counts, &rejects, &mappings).into_iter().collect();
    warnings.iter().for_each(|w| console.warn(w));
    Ok(Input { tables, mappings, responses, rejects, counts, warnings })
}

/// The warning when more than half of the rows read were rejected: most likely a wrong
/// column or a broken export, not bad answers. Names the score column and a few reasons.
fn most_rows_rejected(counts: &Counts, rejects: &[Reject], mappings: &[ColumnMapping]) -> Option<String> {
    if counts.rejected * 2 <= counts.rows_read {
        return None;
    }
    let mut examples: Vec<&str> = Vec::new();
    for r in rejects.iter().filter(|r| !r.value_only) {
        if examples.len() == 3 {
            break;
        }
        if !examples.contains(&r.reason.as_str()) {
            examples.push(&r.reason);
        }
    }
    let scores: Vec<String> =
        mappings.iter().map(|m| format!("'{}'", m.score.column)).collect::<BTreeSet<_>>().into_iter().collect();
    Some(format!(
        "{} of {} rows ({:.0}%) were rejected, e.g. {}. Check that the score column ({}) is the right one \
         (--score-col NAME) and that the export is complete; rejects.csv lists every row with its reason",
        counts.rejected,
        counts.rows_read,
        100.0 * counts.rejected as f64 / counts.rows_read as f64,
        examples.iter().map(|e| format!("\"{e}\"")).collect::<Vec<_>>().join("; "),
        scores.join(", ")
    ))
}

/// Column roles of every table. Detected on the first file with rows; files with the same
/// columns (weekly exports of one survey) reuse that mapping, others are detected on
/// their own.
fn map_columns(tables: &[RawTable], cfg: &InputConfig) -> Result<Vec<ColumnMapping>> {
    let first = tables.iter().position(|t| t.n_rows() > 0).unwrap_or(0);
    let mut reference: Option<ColumnMapping> = None;
    let mut out = Vec::new();
    for (i, t) in tables.iter().enumerate().cycle().skip(first).take(tables.len()) {
        if t.headers.is_empty() {
            return Err(Error::input(&t.path, "no header row found"));
        }
        let m = match reference.as_ref().and_then(|r| r.apply_to(t)) {
            Some(m) => m,
            None => schema::detect(t, &cfg.overrides)?,
        };
        reference.get_or_insert_with(|| m.clone());
        out.push((i, m));
    }
    out.sort_by_key(|(i, _)| *i);
    Ok(out.into_iter().map(|(_, m)| m).collect())
}

/// One note for how a file was read, one per column role with its reason.
fn describe_table(t: &RawTable, m: &ColumnMapping, console: &Console) {
    let f = &t.format;
    let mut how = vec![f.kind.to_string()];
    how.extend(f.encoding.clone());
    if let Some(d) = f.delimiter {
        how.push(format!("delimiter {}", if d == '\t' { "tab".into() } else { format!("'{d}'") }));
    }
    how.extend(f.vendor.map(|v| format!("{v} layout ({} header rows)", f.header_rows)));
    how.extend(f.sheet.as_ref().map(|s| format!("sheet '{s}'")));
    console.note(format!("{}: {} rows; {}", t.path.display(), t.n_rows(), how.join(", ")));
    for line in m.describe() {
        console.note(format!("  {line}"));
    }
}

/// NPS rows of the accepted responses (overall, periods, segments, period x segment).
pub fn nps_rows(r: &Responses) -> PolarsResult<Vec<NpsRow>> {
    let period = nps::Key { name: c::PERIOD, codes: &r.period.codes, labels: &r.period.labels };
    let segments: Vec<nps::Key> =
        r.segments.iter().map(|(n, s)| nps::Key { name: n, codes: &s.codes, labels: &s.labels }).collect();
    let mut rows = nps::nps_table(&r.score, period, &segments)?;
    if let Some(weights) = r.values.monetary() {
        nps::add_weighted(&mut rows, &r.score, weights, period, &segments);
    }
    Ok(rows)
}

/// The encode stage: one encoder pass per unique comment of `text` gives the comment's
/// embedding, its clauses' embeddings in context and, when `token_model` reads token
/// states, the comment's attention scores. A comment whose vectors an annotated input
/// carries (`given`, checked by [`annotated_inputs`]) takes them from there; the others come
/// from the embedding and attention caches or the encoder (kept in `slot`, built on first
/// use). New vectors are added to the caches.
pub fn encode_comments(
    enc: &EncoderConfig,
    model: &ModelInfo,
    token_model: Option<&themes::learn::ThemeModel>,
    text: &Prepared,
    given: &[&Annotations],
    slot: &mut EncoderSlot,
    console: &Console,
) -> Result<(Encoded, EncodeReport)> {
    let n = text.passes.len();
    let mut pooled: Vec<Option<infer::Pooled>> = vec![None; n];
    let mut attention: Vec<Option<Vec<f32>>> = vec![None; n];
    if !given.is_empty() {
        for (i, pass) in text.passes.iter().enumerate() {
            let key = text_hash(&pass.text);
            let found = given.iter().find_map(|a| a.passes.get(&key));
            let usable = |v: &&annotations::PassVectors| {
                v.clauses.len() == pass.spans.len() && (token_model.is_none() || v.attention.is_some())
            };
            if let Some(v) = found.filter(usable) {
                if v.embedding.len() != model.hidden {
                    return Err(Error::Usage(format!(
                        "an annotated comment has an embedding of {} values, the encoder gives {}: annotate the \
                         data again with this run's models",
                        v.embedding.len(),
                        model.hidden
                    )));
                }
                pooled[i] = Some(infer::Pooled { text: v.embedding.clone(), spans: v.clauses.clone() });
                attention[i] = token_model.and(v.attention.clone());
            }
        }
    }
    let todo: Vec<usize> = (0..n).filter(|&i| pooled[i].is_none()).collect();
    let todo_texts: Vec<String> = todo.iter().map(|&i| text.passes[i].text.clone()).collect();
    let todo_spans: Vec<Vec<(usize, usize)>> = todo.iter().map(|&i| text.passes[i].spans.clone()).collect();
    let (vectors, scores, mut report) = if todo.is_empty() {
        (Vec::new(), Vec::new(), EncodeReport::default())
    } else {
        encode_new(enc, model, token_model, &todo_texts, &todo_spans, slot, console)?
    };
    for ((&i, v), a) in todo.iter().zip(vectors).zip(scores) {
        pooled[i] = Some(v);
        attention[i] = a;
    }
    report.unique_texts = n;
    report.from_annotations = n - todo.len();
    let annotated =
        if given.is_empty() { String::new() } else { format!("{} from annotations, ", report.from_annotations) };
    console.note(format!(
        "encode: {} unique comments, {annotated}{} from cache, {} encoded in {:.1} s ({:.0} comments/s)",
        report.unique_texts,
        report.from_cache,
        report.encoded,
        report.seconds,
        if report.seconds > 0.0 { report.encoded as f64 / report.seconds } else { 0.0 }
    ));
    let mut out = Encoded { attention, ..Default::default() };
    for p in pooled {
        let p = p.expect("every comment has its vectors");
        out.comments.push(p.text);
        out.clauses.extend(p.spans);
    }
    debug_assert_eq!(out.clauses.len(), text.unique.len());
    Ok((out, report))
}

/// Vectors (and attention scores, for a token model) of comments no annotation carries:
/// from the caches, else the encoder.
#[allow(clippy::type_complexity)]
fn encode_new(
    enc: &EncoderConfig,
    model: &ModelInfo,
    token_model: Option<&themes::learn::ThemeModel>,
    texts: &[String],
    spans: &[Vec<(usize, usize)>],
    slot: &mut EncoderSlot,
    console: &Console,
) -> Result<(Vec<infer::Pooled>, Vec<Option<Vec<f32>>>, EncodeReport)> {
    let mut cache = token_model.and_then(|m| themes::assign::attention_cache(enc.cache_dir.as_deref(), model, m));
    let mut attention: Vec<Option<Vec<f32>>> =
        texts.iter().map(|t| cache.as_ref().and_then(|c| c.get(&text_hash(t)).cloned())).collect();
    let known: Vec<bool> = attention.iter().map(Option::is_some).collect();
    let mut sink = |i: usize, s: &[f32]| attention[i] = token_model.and_then(|m| m.attention_scores(s));
    let states = token_model.map(|_| encode::StatesRequest { sink: &mut sink as infer::StatesSink, known: &known });
    let (pooled, report) = encode::embed_texts_keeping(enc, model, texts, spans, console, "encoding", states, slot)?;
    if let Some(c) = cache.as_mut() {
        let new: Vec<([u8; 32], Vec<f32>)> = (0..texts.len())
            .filter(|&i| !known[i])
            .filter_map(|i| attention[i].clone().map(|a| (text_hash(&texts[i]), a)))
            .collect();
        if let Err(e) = c.append(new) {
            tracing::warn!("could not write the attention cache: {e} (the run goes on)");
        }
    }
    Ok((pooled, attention, report))
}

/// The annotations the inputs carry (tables annotated by `verbatim.annotate`), each checked
/// against the run's models: embeddings from another encoder, or attention scores from
/// another themes model than the run's (when it reads token states), are refused.
pub fn annotated_inputs<'a>(input: &'a Input, model: &ModelInfo, assigner: &Assigner) -> Result<Vec<&'a Annotations>> {
    let key = model.cache_key();
    let token = assigner.token_model().map(|m| m.fingerprint());
    let mut out = Vec::new();
    for t in &input.tables {
        let Some(a) = &t.annotations else { continue };
        if a.passes.is_empty() {
            continue;
        }
        let (enc, att) = annotations::parse_fingerprint(&a.model).unwrap_or(("?", None));
        if enc != key {
            return Err(Error::input(
                &t.path,
                format!(
                    "was annotated with another encoder (key {enc}) than this run's (key {key}): run with the models \
                     directory the annotations were made with, or annotate the data again with this one"
                ),
            ));
        }
        if let Some(token) = &token {
            if att != Some(token.as_str()) {
                return Err(Error::input(
                    &t.path,
                    format!(
                        "was annotated with {} but this run's themes model reads token states (model {token}): run \
                         with the themes model the annotations were made with, or annotate the data again with this one",
                        att.map_or("a themes model that reads no token states".to_string(), |a| format!("themes model {a}"))
                    ),
                ));
            }
        }
        out.push(a);
    }
    Ok(out)
}

/// Per response, the sorted theme indices its clauses mention.
pub fn response_themes(text: &Prepared, clause_themes: &[Vec<(usize, f32)>]) -> Vec<Vec<usize>> {
    text.comments
        .iter()
        .map(|c| {
            let mut t: Vec<usize> = c.clauses.iter().flat_map(|&u| clause_themes[u].iter().map(|x| x.0)).collect();
            t.sort();
            t.dedup();
            t
        })
        .collect()
}

/// Coded texts prepared as a run prepares comments (normalised, split into clauses,
/// deduplicated): evaluation scores a model on exactly what a run would give it.
pub fn prepare_texts(texts: &[String]) -> Prepared {
    let mut column = ingest::TextColumn::with_capacity(texts.len(), texts.iter().map(String::len).sum());
    texts.iter().for_each(|t| column.push(t));
    text::prepare(&column)
}

/// Each text's themes (indices into the assigner's themes) and, from a learnt model, its
/// score per theme.
pub type AssignedTexts = (Vec<Vec<usize>>, Vec<Vec<f32>>);

/// The themes a run would give each of `texts` (indices into `assigner.themes()`): each
/// text encoded once (with token states for a learnt model that reads them), its themes
/// assigned as a run assigns them; with a learnt model also each text's score per theme
/// (what its thresholds are compared with; empty for a text the models do not read, and
/// for zero-shot).
pub fn assign_texts(
    texts: &[String],
    assigner: &Assigner,
    enc: &EncoderConfig,
    model: &ModelInfo,
    console: &Console,
) -> Result<AssignedTexts> {
    let prepared = prepare_texts(texts);
    let (encoded, _) =
        encode_comments(enc, model, assigner.token_model(), &prepared, &[], &mut EncoderSlot::default(), console)?;
    let clause_themes = assigner.assign_prepared(&prepared, &encoded);
    let scores = match assigner {
        Assigner::Learnt(m) => prepared
            .comments
            .iter()
            .map(|c| {
                c.pass.map_or_else(Vec::new, |k| {
                    m.scores(themes::learn::Clause {
                        text: &prepared.passes[k].text,
                        embedding: &encoded.comments[k],
                        attention: encoded.attention[k].as_deref(),
                    })
                })
            })
            .collect(),
        Assigner::ZeroShot(_) => Vec::new(),
    };
    Ok((response_themes(&prepared, &clause_themes), scores))
}

/// The comment sentiment a run would give each of `texts` (negative / neutral / positive /
/// mixed; None for an empty text).
pub fn score_texts(
    texts: &[String],
    head: &sentiment::Head,
    enc: &EncoderConfig,
    console: &Console,
) -> Result<Vec<Option<&'static str>>> {
    let prepared = prepare_texts(texts);
    let model = ModelInfo::of(enc)?;
    let (encoded, _) = encode_comments(enc, &model, None, &prepared, &[], &mut EncoderSlot::default(), console)?;
    let (_, comments) = sentiment::score_comments(head, &model, &prepared, &encoded.clauses)?;
    Ok(comments.into_iter().map(|c| c.map(|c| c.0)).collect())
}
