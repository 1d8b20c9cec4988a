//! Tokenizer loading and parallel encoding with a truncation policy.

use std::path::{Path, PathBuf};

use rayon::prelude::*;

use super::BackendError;

/// Token ids of one text, special tokens included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tokens {
    pub ids: Vec<u32>,
    /// Byte range of each token in the text (`(0, 0)` for special tokens), as `ids`.
    pub offsets: Vec<(usize, usize)>,
    /// True when the text was longer than the model's limit and was cut.
    pub truncated: bool,
}

/// A Hugging Face `tokenizer.json`, with truncation done here (at `max_tokens`, keeping
/// the closing special token) and padding left to the batcher.
pub struct TextTokenizer {
    inner: tokenizers::Tokenizer,
    path: PathBuf,
    pub max_tokens: usize,
    pub pad_id: u32,
}

impl TextTokenizer {
    pub fn from_file(path: &Path, max_tokens: usize) -> Result<Self, BackendError> {
        if !path.is_file() {
            return Err(BackendError::WeightsNotFound {
                path: path.to_path_buf(),
                help: "The model directory needs tokenizer.json (run the setup command: scripts/setup.sh)".into(),
            });
        }
        let mut inner = tokenizers::Tokenizer::from_file(path)
            .map_err(|e| BackendError::Tokenizer { path: path.to_path_buf(), message: e.to_string() })?;
        // Settings inside tokenizer.json could pad every input to a fixed length or cut
        // silently: both are done here instead.
        inner.with_padding(None);
        inner
            .with_truncation(None)
            .map_err(|e| BackendError::Tokenizer { path: path.to_path_buf(), message: e.to_string() })?;
        let pad_id = inner.token_to_id("<pad>").or_else(|| inner.token_to_id("[PAD]")).unwrap_or(0);
        Ok(TextTokenizer { inner, path: path.to_path_buf(), max_tokens: max_tokens.max(2), pad_id })
    }

    /// Tokenise one text.
    pub fn encode(&self, text: &str) -> Result<Tokens, BackendError> {
        let enc = self
            .inner
            .encode(text, true)
            .map_err(|e| BackendError::Tokenizer { path: self.path.clone(), message: e.to_string() })?;
        let mut ids = enc.get_ids().to_vec();
        let mut offsets = enc.get_offsets().to_vec();
        let truncated = ids.len() > self.max_tokens;
        if truncated {
            let last = *ids.last().expect("a truncated sequence is not empty");
            ids.truncate(self.max_tokens - 1);
            ids.push(last);
            offsets.truncate(self.max_tokens - 1);
            offsets.push((0, 0));
        }
        Ok(Tokens { ids, offsets, truncated })
    }

    /// Tokenise many texts in parallel (rayon); the result is in input order.
    pub fn encode_all(&self, texts: &[String]) -> Result<Vec<Tokens>, BackendError> {
        texts.par_iter().map(|t| self.encode(t)).collect()
    }
}
