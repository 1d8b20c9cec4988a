//! Embedding cache: vectors keyed by (model key, normalised text), so that next week's run
//! encodes only new texts. The same store keeps what a learnt themes model's attention
//! derives from a text's token states (`Cache::open_kind`), which the embeddings alone
//! cannot give back.
//!
//! Layout: `<cache dir>/<kind>/<key>/seg-*.vec`, kind `embeddings` or `attention`. Each
//! run appends one segment, written to a temporary name and renamed, so a segment is
//! either complete or absent.
//! Every record carries a checksum of its key and vector; a record that fails it (a
//! corrupt or truncated file) is ignored and its text is encoded again, never trusted.

use std::collections::HashMap;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"VBEMB01\n";
/// Segments are merged into one when there are more than this many.
const MAX_SEGMENTS: usize = 16;

/// sha256 of a text: the cache key and the `text_hash` of embeddings.parquet.
pub fn text_hash(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// The cache key of the span `start..end` (bytes) of `text` read in context: a key no
/// text's own hash can equal (a text holds no NUL byte after normalisation, and the range
/// follows it). A span that is the whole text has the text's own key: the encoder gives
/// it the text's embedding (`infer::Encoder::encode_spans`).
pub fn span_key(text: &str, (start, end): (usize, usize)) -> [u8; 32] {
    if (start, end) == (0, text.len()) {
        return text_hash(text);
    }
    let mut h = Sha256::new();
    h.update(text.as_bytes());
    h.update(format!("\0span-in-context {start}..{end}").as_bytes());
    h.finalize().into()
}

fn record_checksum(key: &[u8; 32], vector: &[f32]) -> [u8; 8] {
    let mut h = Sha256::new();
    h.update(key);
    for v in vector {
        h.update(v.to_le_bytes());
    }
    let d = h.finalize();
    d[..8].try_into().expect("sha256 has 32 bytes")
}

pub struct Cache {
    dir: PathBuf,
    dim: usize,
    entries: HashMap<[u8; 32], Vec<f32>>,
    segments: usize,
    /// Records that failed their checksum when loading.
    pub corrupt: usize,
}

impl Cache {
    /// Open (and load) the embedding cache of one model. A missing directory is an empty
    /// cache.
    pub fn open(root: &Path, model_key: &str, dim: usize) -> std::io::Result<Cache> {
        Cache::open_kind(root, "embeddings", model_key, dim)
    }

    /// Open (and load) the vectors of one kind and key, each of `dim` values.
    pub fn open_kind(root: &Path, kind: &str, key: &str, dim: usize) -> std::io::Result<Cache> {
        let dir = root.join(kind).join(key);
        fs::create_dir_all(&dir)?;
        let mut cache = Cache { dir, dim, entries: HashMap::new(), segments: 0, corrupt: 0 };
        let mut files: Vec<PathBuf> = fs::read_dir(&cache.dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "vec"))
            .collect();
        files.sort();
        for f in &files {
            cache.segments += 1;
            cache.load_segment(f);
        }
        Ok(cache)
    }

    fn load_segment(&mut self, path: &Path) {
        let Ok(bytes) = fs::read(path) else {
            self.corrupt += 1;
            return;
        };
        if !bytes.starts_with(MAGIC) {
            self.corrupt += 1;
            return;
        }
        let rec = 32 + 4 * self.dim + 8;
        let body = &bytes[MAGIC.len()..];
        for chunk in body.chunks(rec) {
            if chunk.len() != rec {
                self.corrupt += 1;
                break;
            }
            let key: [u8; 32] = chunk[..32].try_into().expect("sliced to 32 bytes");
            let vector: Vec<f32> = chunk[32..32 + 4 * self.dim]
                .chunks_exact(4)
                .map(|b| f32::from_le_bytes(b.try_into().expect("chunks of 4")))
                .collect();
            if chunk[32 + 4 * self.dim..] != record_checksum(&key, &vector) || vector.iter().any(|v| !v.is_finite()) {
                self.corrupt += 1;
                continue;
            }
            self.entries.insert(key, vector);
        }
    }

    pub fn get(&self, key: &[u8; 32]) -> Option<&Vec<f32>> {
        self.entries.get(key)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Append new entries as one segment (atomic: temporary file, then rename). When the
    /// directory holds many segments, everything is rewritten as one.
    pub fn append(&mut self, new: Vec<([u8; 32], Vec<f32>)>) -> std::io::Result<()> {
        if new.is_empty() {
            return Ok(());
        }
        // The vectors move into the map (no second copy of a run's new embeddings), and the
        // segment is written from there.
        let keys: Vec<[u8; 32]> = new.iter().map(|(k, _)| *k).collect();
        self.entries.extend(new);
        let compact = self.segments + 1 > MAX_SEGMENTS || self.corrupt > 0;
        let records: Vec<(&[u8; 32], &Vec<f32>)> = if compact {
            let mut all: Vec<_> = self.entries.iter().collect();
            all.sort_by_key(|(k, _)| **k);
            all
        } else {
            keys.iter().map(|k| (k, &self.entries[k])).collect()
        };
        let stamp = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!("seg-{stamp:024}-{}.vec", std::process::id());
        let tmp = self.dir.join(format!(".{name}.tmp"));
        {
            let mut f = std::io::BufWriter::new(fs::File::create(&tmp)?);
            f.write_all(MAGIC)?;
            for (k, v) in records {
                f.write_all(k)?;
                for x in v.iter() {
                    f.write_all(&x.to_le_bytes())?;
                }
                f.write_all(&record_checksum(k, v))?;
            }
            f.into_inner().map_err(|e| e.into_error())?.sync_all()?;
        }
        let old: Vec<PathBuf> = if compact {
            fs::read_dir(&self.dir)?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "vec"))
                .collect()
        } else {
            Vec::new()
        };
        fs::rename(&tmp, self.dir.join(&name))?;
        for p in old {
            let _ = fs::remove_file(p);
        }
        self.segments = if compact { 1 } else { self.segments + 1 };
        self.corrupt = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_and_corruption_detected() {
        let dir = tempfile::tempdir().unwrap();
        let mut c = Cache::open(dir.path(), "m", 3).unwrap();
        assert!(c.is_empty());
        c.append(vec![(text_hash("a"), vec![1.0, 2.0, 3.0]), (text_hash("b"), vec![0.5, 0.0, -1.0])]).unwrap();
        let c2 = Cache::open(dir.path(), "m", 3).unwrap();
        assert_eq!(c2.get(&text_hash("a")), Some(&vec![1.0, 2.0, 3.0]));
        assert_eq!(c2.len(), 2);
        // Flip one byte of the second record's vector and truncate the tail.
        let seg = fs::read_dir(dir.path().join("embeddings/m")).unwrap().next().unwrap().unwrap().path();
        let mut bytes = fs::read(&seg).unwrap();
        let rec = 32 + 12 + 8;
        bytes[8 + rec + 33] ^= 0xFF;
        fs::write(&seg, &bytes).unwrap();
        let c3 = Cache::open(dir.path(), "m", 3).unwrap();
        assert_eq!(c3.len(), 1);
        assert_eq!(c3.corrupt, 1);
        assert!(c3.get(&text_hash("b")).is_none(), "a corrupt entry is never trusted");
        fs::write(&seg, &bytes[..bytes.len() - 5]).unwrap();
        let c4 = Cache::open(dir.path(), "m", 3).unwrap();
        assert_eq!(c4.len(), 1);
        // Another model's vectors are not visible.
        assert!(Cache::open(dir.path(), "other", 3).unwrap().is_empty());
    }
}
