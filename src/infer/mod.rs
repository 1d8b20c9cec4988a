//! The inference seam: texts in, sentence embeddings out.
//!
//! This module imports nothing from the rest of the crate (as text-embeddings-inference's
//! `backends/core`), so it could become its own crate unchanged. [`Encoder`] tokenises in
//! parallel, sorts by length, batches by a token budget, runs a [`Backend`] on one owner
//! thread, mean-pools with the attention mask, L2-normalises and restores the caller's
//! order. Each text's embedding depends only on the text: not on its batch, the batch
//! size or the thread count.

pub mod batcher;
pub mod mock;
pub mod ort;
pub mod tokenize;

use std::path::PathBuf;

pub use batcher::plan_batches;
pub use tokenize::TextTokenizer;

/// Failures of the model layer. Loading failures stop a run; they name the file and the fix.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BackendError {
    #[error("model file not found: {path}. {help}")]
    WeightsNotFound { path: PathBuf, help: String },
    #[error("cannot start the inference backend: {0}")]
    Start(String),
    #[error("inference failed: {0}")]
    Inference(String),
    #[error("tokenizer {path}: {message}")]
    Tokenizer { path: PathBuf, message: String },
}

/// Receives a text's index and its token states (`tokens x hidden`, row-major).
pub type StatesSink<'a> = &'a mut dyn FnMut(usize, &[f32]);

/// A padded batch: `ids` and `mask` are `batch x seq`, row-major.
#[derive(Debug, Clone)]
pub struct Batch {
    pub ids: Vec<i64>,
    pub mask: Vec<i64>,
    pub batch: usize,
    pub seq: usize,
}

/// A transformer encoder that returns the last hidden states of a padded batch.
pub trait Backend: Send {
    /// Short name for logs and run.json ("onnxruntime-cpu", "mock").
    fn name(&self) -> String;
    /// Width of one hidden state.
    fn hidden_size(&self) -> usize;
    /// Last hidden states, `batch x seq x hidden`, row-major.
    fn forward(&mut self, batch: &Batch) -> Result<Vec<f32>, BackendError>;
    /// Last hidden states and, when the model provides them, the token states meant for
    /// learnt themes (same layout; verbatim's graph: `layer_mean_states`, the mean of the
    /// upper half of the layers' outputs). `None`: use the last hidden states.
    fn forward_with_token_states(&mut self, batch: &Batch) -> Result<(Vec<f32>, Option<Vec<f32>>), BackendError> {
        Ok((self.forward(batch)?, None))
    }
}

/// What an encoding pass did, for logs, run.json and benchmarks.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct EncodeStats {
    pub texts: usize,
    pub tokens: usize,
    pub padded_tokens: usize,
    pub batches: usize,
    pub truncated: usize,
}

/// Tokeniser + backend + batching policy.
pub struct Encoder {
    pub tokenizer: TextTokenizer,
    pub backend: Box<dyn Backend>,
    /// Upper bound on `batch x longest` tokens in one batch.
    pub batch_tokens: usize,
    /// Text prepended to every input (e5 expects "query: ").
    pub prefix: String,
}

impl Encoder {
    /// Embed `texts`; the result is in the order of `texts`. `progress` is called with the
    /// number of texts finished after each batch.
    pub fn encode(
        &mut self,
        texts: &[String],
        progress: &mut dyn FnMut(usize),
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), BackendError> {
        self.encode_with_states(texts, progress, None)
    }

    /// [`Self::encode`], also handing each text's token states (`tokens x hidden`, the
    /// attended tokens only, prefix and special tokens included; see
    /// [`Backend::forward_with_token_states`]) to `states_sink` with the text's index, batch
    /// by batch: callers reduce them at once instead of holding them.
    pub fn encode_with_states(
        &mut self,
        texts: &[String],
        progress: &mut dyn FnMut(usize),
        states_sink: Option<StatesSink>,
    ) -> Result<(Vec<Vec<f32>>, EncodeStats), BackendError> {
        let (pooled, stats) = self.encode_spans(texts, &[], progress, states_sink)?;
        Ok((pooled.into_iter().map(|p| p.text).collect(), stats))
    }

    /// [`Self::encode_with_states`], also reading parts of each text in context: `spans[i]`
    /// lists byte ranges of `texts[i]` (none when `spans` is shorter), and each gets the
    /// normalised mean of the last hidden states of the tokens that overlap it, from the
    /// same pass over the whole text. A span that is the whole text, or with no token left
    /// (cut by the token limit), gets the whole text's embedding.
    pub fn encode_spans(
        &mut self,
        texts: &[String],
        spans: &[Vec<(usize, usize)>],
        progress: &mut dyn FnMut(usize),
        mut states_sink: Option<StatesSink>,
    ) -> Result<(Vec<Pooled>, EncodeStats), BackendError> {
        let prefixed: Vec<String> = texts.iter().map(|t| format!("{}{}", self.prefix, t)).collect();
        let tokens = self.tokenizer.encode_all(&prefixed)?;
        let lengths: Vec<usize> = tokens.iter().map(|t| t.ids.len()).collect();
        let batches = plan_batches(&lengths, self.batch_tokens);
        let hidden = self.backend.hidden_size();
        let mut out: Vec<Pooled> = (0..texts.len()).map(|_| Pooled::default()).collect();
        let mut stats = EncodeStats {
            texts: texts.len(),
            tokens: lengths.iter().sum(),
            truncated: tokens.iter().filter(|t| t.truncated).count(),
            ..Default::default()
        };
        let shift = self.prefix.len();
        let mut done = 0;
        for members in &batches {
            let seq = members.iter().map(|&i| lengths[i]).max().unwrap_or(0);
            let b = members.len();
            let mut ids = vec![self.tokenizer.pad_id as i64; b * seq];
            let mut mask = vec![0i64; b * seq];
            for (row, &i) in members.iter().enumerate() {
                for (j, &t) in tokens[i].ids.iter().enumerate() {
                    ids[row * seq + j] = t as i64;
                    mask[row * seq + j] = 1;
                }
            }
            let batch = Batch { ids, mask, batch: b, seq };
            let (states, token_states) = if states_sink.is_some() {
                self.backend.forward_with_token_states(&batch)?
            } else {
                (self.backend.forward(&batch)?, None)
            };
            if token_states.as_ref().is_some_and(|t| t.len() != states.len()) {
                return Err(BackendError::Inference(
                    "the model's token states and hidden states differ in shape".into(),
                ));
            }
            if states.len() != b * seq * hidden {
                return Err(BackendError::Inference(format!(
                    "the model returned {} values for a {b} x {seq} x {hidden} batch",
                    states.len()
                )));
            }
            for (row, &i) in members.iter().enumerate() {
                let rows = &states[row * seq * hidden..(row + 1) * seq * hidden];
                let text = mean_pool_normalize(rows, lengths[i], hidden);
                let parts = spans.get(i).map_or(&[][..], |s| &s[..]);
                let spans = parts
                    .iter()
                    .map(|&(a, e)| {
                        // Token offsets count the prefix too.
                        let range = token_range(&tokens[i].offsets, a + shift, e + shift);
                        match range.filter(|_| (a, e) != (0, texts[i].len())) {
                            Some((from, to)) => mean_pool_normalize(&rows[from * hidden..], to - from, hidden),
                            None => text.clone(),
                        }
                    })
                    .collect();
                out[i] = Pooled { text, spans };
                if let Some(sink) = states_sink.as_mut() {
                    let tokens =
                        token_states.as_ref().map_or(rows, |t| &t[row * seq * hidden..(row + 1) * seq * hidden]);
                    sink(i, &tokens[..lengths[i] * hidden]);
                }
            }
            stats.batches += 1;
            stats.padded_tokens += b * seq;
            done += b;
            progress(done);
        }
        Ok((out, stats))
    }
}

/// One text's embedding and its spans' embeddings in context ([`Encoder::encode_spans`]).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Pooled {
    pub text: Vec<f32>,
    pub spans: Vec<Vec<f32>>,
}

/// The tokens (`from..to`) whose byte range overlaps `start..end`: special tokens (empty
/// range) never do. Tokens follow the text, so they are consecutive. None when no token
/// overlaps (the span was cut by the token limit, or holds only spaces).
pub fn token_range(offsets: &[(usize, usize)], start: usize, end: usize) -> Option<(usize, usize)> {
    let inside = |&(a, b): &(usize, usize)| b > a && a < end && b > start;
    let from = offsets.iter().position(inside)?;
    let to = from + offsets[from..].iter().take_while(|o| inside(o)).count();
    Some((from, to))
}

/// Mean of the first `len` hidden states (the attended tokens of a right-padded row), then
/// L2 normalisation. Accumulates in f64 in token order, so the result does not depend on
/// how much padding follows.
pub fn mean_pool_normalize(states: &[f32], len: usize, hidden: usize) -> Vec<f32> {
    let mut acc = vec![0f64; hidden];
    for t in 0..len {
        for (a, &v) in acc.iter_mut().zip(&states[t * hidden..(t + 1) * hidden]) {
            *a += v as f64;
        }
    }
    let n = len.max(1) as f64;
    let norm = acc.iter().map(|a| (a / n) * (a / n)).sum::<f64>().sqrt().max(1e-12);
    acc.iter().map(|a| (a / n / norm) as f32).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_takes_the_tokens_that_overlap_it() {
        // "query: Prix cher. Super" with its special tokens at both ends.
        let offsets = [(0, 0), (0, 5), (5, 6), (6, 12), (12, 17), (17, 18), (18, 24), (0, 0)];
        assert_eq!(token_range(&offsets, 7, 18), Some((3, 6)));
        assert_eq!(token_range(&offsets, 19, 24), Some((6, 7)));
        assert_eq!(token_range(&offsets, 30, 40), None);
    }

    #[test]
    fn pooling_ignores_padding_and_normalises() {
        // Two real tokens, one padded row of garbage.
        let states = [1.0, 0.0, 3.0, 0.0, 100.0, 100.0];
        let v = mean_pool_normalize(&states, 2, 2);
        assert_eq!(v, vec![1.0, 0.0]);
        let v = mean_pool_normalize(&[3.0, 4.0], 1, 2);
        assert!((v[0] - 0.6).abs() < 1e-7 && (v[1] - 0.8).abs() < 1e-7);
    }
}
