//! Writing outputs atomically. Every file of a run is first written to a temporary file in
//! the output directory; only when all of them are complete are they renamed into place.
//! A run that fails before that leaves the previous outputs untouched (and no
//! half-written table that looks complete).
//!
//! `tables` builds the Parquet frames of an analysis, `record` run.json, `run` stages and
//! commits the whole set of a run.

pub mod csv_out;
pub mod record;
pub mod run;
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

    /// Write `name` (a file name inside the output directory) through `write` to a
    /// temporary file, synced to disk.
    pub fn stage(&mut self, name: &str, write: impl FnOnce(&mut fs::File) -> Result<()>) -> Result<()> {
        let final_path = self.dir.join(name);
        let tmp = self.dir.join(format!(".{name}.tmp-{}", std::process::id()));
        let mut f = fs::File::create(&tmp).map_err(|e| Error::io(format!("cannot create {}", tmp.display()), e))?;
        let result = write(&mut f).and_then(|_| {
            f.flush().and_then(|_| f.sync_all()).map_err(|e| Error::io(format!("cannot write {}", tmp.display()), e))
        });
        if let Err(e) = result {
            let _ = fs::remove_file(&tmp);
            return Err(e);
        }
        self.pending.push((tmp, final_path));
        Ok(())
    }

    pub fn stage_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<()> {
        self.stage(name, |f| f.write_all(bytes).map_err(|e| Error::io(format!("cannot write {name}"), e)))
    }

    pub fn stage_parquet(&mut self, name: &str, df: &mut DataFrame) -> Result<()> {
        self.stage(name, |f| {
            ParquetWriter::new(f).with_compression(ParquetCompression::Zstd(None)).finish(df)?;
            Ok(())
        })
    }

    pub fn stage_json(&mut self, name: &str, value: &impl serde::Serialize) -> Result<()> {
        self.stage_bytes(name, &json_bytes(value))
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

impl Drop for Staged {
    /// A run that did not commit removes its temporary files.
    fn drop(&mut self) {
        for (tmp, _) in &self.pending {
            let _ = fs::remove_file(tmp);
        }
    }
}
