//! The encoder's identity: its files' checksums, hidden size, token limit and text prefix.
//! The cache key made of them changes whenever embeddings would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use crate::ingest::sha256_file;
use crate::{Error, Result};

/// Encoder files and their checksums (the cache key).
#[derive(Debug, Clone)]
pub struct ModelInfo {
    pub name: String,
    pub onnx_sha256: String,
    pub tokenizer_sha256: String,
    pub hidden: usize,
    pub max_tokens: usize,
    pub prefix: String,
    /// The same encoder's graphs at the other precisions in its directory (model.onnx,
    /// model-int8.onnx): models trained on one are accepted with the other.
    pub siblings: Vec<PathBuf>,
    /// Where checksums are remembered (see [`ModelInfo::load`]).
    pub cache_dir: Option<PathBuf>,
}

impl ModelInfo {
    /// The identity of a resolved encoder (its directory and graph).
    pub fn of(enc: &crate::config::EncoderConfig) -> Result<ModelInfo> {
        let mut info = ModelInfo::load(&enc.model_dir, &enc.graph, enc.cache_dir.as_deref())?;
        info.siblings = [crate::config::Precision::Int8, crate::config::Precision::Fp32]
            .into_iter()
            .filter_map(|p| p.graph(&enc.model_dir))
            .filter(|g| *g != enc.graph)
            .collect();
        Ok(info)
    }

    /// Whether a model trained on the encoder with this cache key may run on this one: the
    /// same graph, or the same weights at another precision (embeddings at cosine 0.999).
    /// The other graphs are checksummed only when the key is not this graph's.
    pub fn accepts(&self, key: &str) -> bool {
        key == self.cache_key()
            || self.siblings.iter().any(|graph| {
                sha256_file_cached(graph, self.cache_dir.as_deref())
                    .is_ok_and(|sha| ModelInfo { onnx_sha256: sha, ..self.clone() }.cache_key() == key)
            })
    }

    /// Read config.json and checksum the model files (`graph`: the ONNX graph that will
    /// run). With a cache directory, the sha256 of the (large) graph is remembered by path,
    /// size and modification time.
    pub fn load(dir: &Path, graph: &Path, cache_dir: Option<&Path>) -> Result<ModelInfo> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                Error::Usage(format!(
                    "{}: {e}. Run the setup command (scripts/setup.sh) or pass --model with a complete encoder directory",
                    dir.join(name).display()
                ))
            })
        };
        let config: serde_json::Value = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| Error::Usage(format!("{}: invalid JSON: {e}", dir.join("config.json").display())))?;
        let hidden = config["hidden_size"].as_u64().unwrap_or(384) as usize;
        let max_pos = config["max_position_embeddings"].as_u64().unwrap_or(514) as usize;
        let is_e5 = dir.to_string_lossy().contains("e5") || config["verbatim"]["prefix"].is_string();
        let prefix = config["verbatim"]["prefix"].as_str().unwrap_or(if is_e5 { "query: " } else { "" }).to_string();
        if !graph.is_file() {
            return Err(Error::Usage(format!("{}: no such graph. Run scripts/setup.sh", graph.display())));
        }
        let onnx_sha256 = sha256_file_cached(graph, cache_dir)?;
        Ok(ModelInfo {
            name: dir.file_name().map_or_else(|| "encoder".into(), |n| n.to_string_lossy().into_owned()),
            onnx_sha256,
            tokenizer_sha256: crate::ingest::sha256_hex(&read("tokenizer.json")?),
            hidden,
            // XLM-R style models reserve 2 positions for padding offsets.
            max_tokens: if max_pos > 512 { 512 } else { max_pos },
            prefix,
            siblings: Vec::new(),
            cache_dir: cache_dir.map(Path::to_path_buf),
        })
    }

    /// Cache key: model, tokenizer, prefix and truncation all change embeddings.
    pub fn cache_key(&self) -> String {
        let k = format!("{}|{}|{}|{}", self.onnx_sha256, self.tokenizer_sha256, self.prefix, self.max_tokens);
        crate::ingest::sha256_hex(k.as_bytes())[..24].to_string()
    }
}

/// sha256 of a file, remembered in `<cache>/file-sha256.json` under (canonical path, size,
/// modification time): a changed file has another size or time and is hashed again.
fn sha256_file_cached(path: &Path, cache_dir: Option<&Path>) -> Result<String> {
    let Some(dir) = cache_dir else { return sha256_file(path) };
    let meta = std::fs::metadata(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let mtime =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let key = format!("{}|{}|{mtime}", std::fs::canonicalize(path).unwrap_or(path.to_path_buf()).display(), meta.len());
    let store = dir.join("file-sha256.json");
    let mut known: BTreeMap<String, String> =
        std::fs::read(&store).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    if let Some(h) = known.get(&key) {
        return Ok(h.clone());
    }
    let h = sha256_file(path)?;
    known.insert(key, h.clone());
    let tmp = dir.join(format!(".file-sha256.json.tmp-{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, serde_json::to_vec_pretty(&known).unwrap_or_default()))
        .and_then(|_| std::fs::rename(&tmp, &store));
    if let Err(e) = written {
        tracing::warn!("cannot remember the model checksum in {}: {e}", store.display());
    }
    Ok(h)
}
