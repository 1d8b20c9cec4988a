//! Writing outputs atomically. The outputs of `verbatim run` and `verbatim nps` are one
//! set, built beside the output directory and swapped in whole ([`set::OutputSet`]).
//! Model directories and proposals are written file by file to temporary names and
//! renamed into place when all of them are complete ([`Staged`]). Either way a run that
//! fails leaves the previous outputs untouched (and no half-written table that looks
//! complete).
//!
//! `tables` builds the Parquet frames of an analysis, `record` run.json, `run` stages and
//! commits the whole set of a run.

pub mod csv_out;
pub mod record;
pub mod run;
pub mod set;
pub mod tables;

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use crate::{Error, Result};

/// The bytes `Staged::stage_json` writes: pretty JSON and a final newline (a model's
/// MANIFEST lists the sha256 of these bytes).
pub fn json_bytes(value: &impl serde::Serialize) -> Vec<u8> {
    let mut bytes =
        serde_json::to_vec_pretty(value).expect("summaries and models serialise: plain data. This is a bug.");
    bytes.push(b'\n');
    bytes
}

/// Writing named files, each through a closure; the bytes, sha256 and sync are handled
/// once in [`write_synced`].
pub trait Stage {
    /// Write `name` (a file name inside the output) through `write`.
    fn stage<F: FnOnce(&mut dyn Write) -> Result<()>>(&mut self, name: &str, write: F) -> Result<()>;

    fn stage_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.stage(name, |f| f.write_all(bytes).map_err(|e| Error::io(format!("cannot write {name}"), e)))
    }

    fn stage_parquet(&mut self, name: &str, df: &mut DataFrame) -> Result<()> {
        self.stage(name, |f| {
            ParquetWriter::new(f).with_compression(ParquetCompression::Zstd(None)).finish(df)?;
            Ok(())
        })
    }

    fn stage_json(&mut self, name: &str, value: &impl serde::Serialize) -> Result<()> {
        self.stage_bytes(name, &json_bytes(value))
    }
}

/// Write `path` through `write`, flushed and synced to disk; returns its sha256 and size.
/// A failed write removes the file.
pub fn write_synced(path: &Path, write: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<(String, u64)> {
    use sha2::Digest;
    let file = fs::File::create(path).map_err(|e| Error::io(format!("cannot create {}", path.display()), e))?;
    let mut w =
        Hashing { inner: std::io::BufWriter::with_capacity(1 << 16, file), hash: sha2::Sha256::new(), bytes: 0 };
    let result = write(&mut w).and_then(|()| {
        let synced = w.inner.into_inner().map_err(|e| e.into_error()).and_then(|f| f.sync_all());
        synced.map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
    });
    if let Err(e) = result {
        let _ = fs::remove_file(path);
        return Err(e);
    }
    Ok((hex::encode(w.hash.finalize()), w.bytes))
}

/// A writer that hashes and counts what passes through it.
struct Hashing<W> {
    inner: W,
    hash: sha2::Sha256,
    bytes: u64,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        use sha2::Digest;
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Files written to temporary names, renamed into place by [`Staged::commit`].
#[derive(Debug)]
pub struct Staged {
    dir: PathBuf,
    pending: Vec<(PathBuf, PathBuf)>,
}

impl Staged {
    pub fn new(dir: &Path) -> Result<Self> {
        fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("cannot create output directory {}", dir.display()), e))?;
        Ok(Staged { dir: dir.to_path_buf(), pending: Vec::new() })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Rename every staged file into place. Returns the final paths.
    pub fn commit(mut self) -> Result<Vec<PathBuf>> {
        let mut done = Vec::new();
        for (tmp, final_path) in std::mem::take(&mut self.pending) {
            fs::rename(&tmp, &final_path)
                .map_err(|e| Error::io(format!("cannot move {} into place", final_path.display()), e))?;
            done.push(final_path);
        }
        Ok(done)
    }
}

impl Stage for Staged {
    /// Written to a temporary file beside its final name.
    fn stage<F: FnOnce(&mut dyn Write) -> Result<()>>(&mut self, name: &str, write: F) -> Result<()> {
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        write_synced(&tmp, write)?;
        self.pending.push((tmp, self.dir.join(name)));
        Ok(())
    }
}

impl Drop for Staged {
    /// A run that did not commit removes its temporary files.
    fn drop(&mut self) {
        for (tmp, _) in &self.pending {
            let _ = fs::remove_file(tmp);
        }
    }
}
