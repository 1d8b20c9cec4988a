//! One consistent set of outputs, always.
//!
//! BI dashboards read `--out` while cron replaces it. Renaming files one by one leaves a
//! window where this week's drivers.parquet sits beside last week's responses.parquet, so
//! a run's files are written into a fresh sibling directory, `.<out>.verbatim-new-<pid>`,
//! and that directory is swapped with `--out` in one step:
//!
//! 1. under a lock (`.<out>.verbatim-lock`, `flock`, released by the kernel even on
//!    SIGKILL), leftovers of an interrupted run are cleared (see [`recover`]);
//! 2. files of the old directory that verbatim did not write are hard-linked into the new
//!    one (a user's notes survive; a foreign *directory* is refused before anything is
//!    written);
//! 3. every output is written and synced; `run.json`, which lists every other output with
//!    its sha256 (`outputs`), is written last; the new directory is synced;
//! 4. Linux `renameat2(RENAME_EXCHANGE)` swaps the two directories atomically: a reader
//!    (or a crash) sees either the old complete set or the new one; the old set, now at
//!    the sibling's name, is removed.
//!
//! Where the exchange is not supported (other systems, some network file systems) the
//! swap is two renames, `out` -> `.<out>.verbatim-old-<pid>` then new -> `out`: a crash
//! between them leaves no `out` for a moment, and the next run puts the complete new set
//! back before doing anything else ([`recover`]). Either way no mixed set is ever visible.
//!
//! Tests stop the process hard between every two steps with `VERBATIM_TEST_CRASH_AT=<k>`
//! (see [`checkpoint`]); nothing else reads that variable.

use std::collections::BTreeSet;
use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use serde::Serialize;

use super::{write_synced, Stage};
use crate::{Error, Result};

/// Test-only fault injection: stop the process (exit code [`CRASH_EXIT`], no cleanup) at
/// the k-th [`checkpoint`] of the commit.
pub const CRASH_ENV: &str = "VERBATIM_TEST_CRASH_AT";
/// Test-only: swap with two renames even where the atomic exchange works.
pub const NO_EXCHANGE_ENV: &str = "VERBATIM_TEST_NO_EXCHANGE";
/// Exit code of an injected crash.
pub const CRASH_EXIT: i32 = 70;

/// Files verbatim writes into an output directory (any command, any version); the old
/// set's files with these names are not carried into the new set.
const OURS: &[&str] = &[
    "run.json",
    "report.html",
    "report.md",
    "summary.json",
    "followup.csv",
    ".followup-state.json",
    "responses.parquet",
    "mentions.parquet",
    "nps.parquet",
    "drivers.parquet",
    "embeddings.parquet",
    "proposed_themes.parquet",
    "proposed_themes.toml",
    "rejects.csv",
];

/// A file of the set, as run.json's `outputs` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Written {
    pub file: String,
    pub sha256: String,
    pub bytes: u64,
}

/// A set of outputs being built beside `--out`; [`OutputSet::commit`] swaps it in.
/// Dropped without a commit, it removes its directory and the previous set stays.
#[derive(Debug)]
pub struct OutputSet {
    out: PathBuf,
    stage: PathBuf,
    written: Vec<Written>,
    committed: bool,
    _lock: Lock,
}

impl OutputSet {
    /// Lock `out`, clear what an interrupted run left, and start a new set that carries
    /// the files of `out` verbatim did not write.
    pub fn open(out: &Path) -> Result<Self> {
        let (parent, name) = locate(out)?;
        let out = parent.join(&name);
        let lock = Lock::acquire(&parent.join(format!(".{name}.verbatim-lock")), &out)?;
        recover(&parent, &name)?;
        let stage = parent.join(format!(".{name}.verbatim-new-{}", std::process::id()));
        fs::create_dir(&stage).map_err(|e| Error::io(format!("cannot create {}", stage.display()), e))?;
        let mut set = OutputSet { out, stage, written: Vec::new(), committed: false, _lock: lock };
        set.carry_foreign()?;
        Ok(set)
    }

    /// The files staged so far, in order.
    pub fn written(&self) -> &[Written] {
        &self.written
    }

    /// Hard-link (or copy) the old set's files that verbatim did not write. A directory
    /// inside `out` cannot be carried without a window, so it is refused up front.
    fn carry_foreign(&mut self) -> Result<()> {
        let Ok(entries) = fs::read_dir(&self.out) else { return Ok(()) };
        let listed = listed_outputs(&self.out);
        for entry in entries {
            let entry = entry.map_err(|e| Error::io(format!("cannot list {}", self.out.display()), e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let ours = OURS.contains(&name.as_str()) || listed.contains(&name) || is_legacy_temp(&name);
            if ours {
                continue;
            }
            let from = entry.path();
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false) {
                return Err(Error::Usage(format!(
                    "{} holds the directory `{name}`, which verbatim did not write. verbatim replaces \
                     its output directory as one set, so give it a directory of its own (--out), or \
                     move `{name}` elsewhere",
                    self.out.display()
                )));
            }
            let to = self.stage.join(&name);
            if fs::hard_link(&from, &to).is_err() {
                fs::copy(&from, &to).map_err(|e| Error::io(format!("cannot carry {} over", from.display()), e))?;
            }
        }
        checkpoint("other files carried");
        Ok(())
    }

    /// Write run.json last, with `outputs` (every other file of the set and its sha256),
    /// then swap the set in. Returns the paths of the set's files.
    pub fn commit(mut self, record: Option<serde_json::Value>) -> Result<Vec<PathBuf>> {
        if let Some(mut record) = record {
            if let Some(obj) = record.as_object_mut() {
                obj.insert("outputs".into(), serde_json::to_value(&self.written).unwrap_or_default());
            }
            self.stage_json("run.json", &record)?;
        }
        sync_dir(&self.stage)?;
        checkpoint("new set synced");
        swap(&self.stage, &self.out)?;
        self.committed = true;
        if let Some(parent) = self.out.parent() {
            sync_dir(parent)?;
        }
        // After an exchange the old set sits at the staging name.
        if self.stage.exists() {
            fs::remove_dir_all(&self.stage)
                .map_err(|e| Error::io(format!("cannot remove the previous set {}", self.stage.display()), e))?;
        }
        checkpoint("previous set removed");
        Ok(self.written.iter().map(|w| self.out.join(&w.file)).collect())
    }
}

impl Stage for OutputSet {
    fn stage<F: FnOnce(&mut dyn Write) -> Result<()>>(&mut self, name: &str, write: F) -> Result<()> {
        let (sha256, bytes) = write_synced(&self.stage.join(name), write)?;
        self.written.push(Written { file: name.to_string(), sha256, bytes });
        checkpoint(name);
        Ok(())
    }
}

impl Drop for OutputSet {
    /// A set that was not committed is removed; the previous one stays.
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.stage);
        }
    }
}

/// `out` as (absolute parent, name), the parent created. A symlinked `out` is followed,
/// so the directory it points to is the one replaced.
fn locate(out: &Path) -> Result<(PathBuf, String)> {
    let io = |e| Error::io(format!("cannot use output directory {}", out.display()), e);
    if out.exists() && !out.is_dir() {
        return Err(Error::Usage(format!("--out {} is a file: give a directory", out.display())));
    }
    let resolved = if out.exists() {
        fs::canonicalize(out).map_err(io)?
    } else {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(io)?;
        let name =
            out.file_name().ok_or_else(|| Error::Usage(format!("--out {}: not a directory name", out.display())))?;
        fs::canonicalize(&parent).map_err(io)?.join(name)
    };
    match (resolved.parent(), resolved.file_name()) {
        (Some(parent), Some(name)) => Ok((parent.to_path_buf(), name.to_string_lossy().into_owned())),
        _ => Err(Error::Usage(format!("--out {}: the root directory cannot be an output directory", out.display()))),
    }
}

/// Files listed in `out/run.json`'s `outputs` (sets written by this version).
fn listed_outputs(out: &Path) -> BTreeSet<String> {
    let Ok(text) = fs::read_to_string(out.join("run.json")) else { return BTreeSet::new() };
    let Ok(v) = serde_json::from_str::<serde_json::Value>(&text) else { return BTreeSet::new() };
    v["outputs"]
        .as_array()
        .map(|a| a.iter().filter_map(|o| o["file"].as_str().map(String::from)).collect())
        .unwrap_or_default()
}

/// Temporary files of versions that renamed files one by one (`.<name>.tmp-<pid>`).
fn is_legacy_temp(name: &str) -> bool {
    name.starts_with('.') && name.contains(".tmp-")
}

/// Finish or clear what an interrupted commit left beside `parent/name` (the lock is
/// held, so nobody else is writing). If `out` is missing (a crash between the two renames
/// of the fallback swap), the complete new set is moved into place, else the old one.
/// Every other sibling is removed.
pub fn recover(parent: &Path, name: &str) -> Result<()> {
    let out = parent.join(name);
    let prefix = format!(".{name}.verbatim-");
    let mut leftovers: Vec<PathBuf> = match fs::read_dir(parent) {
        Ok(entries) => entries
            .filter_map(|e| e.ok())
            .filter(|e| {
                let n = e.file_name().to_string_lossy().into_owned();
                n.starts_with(&prefix) && !n.ends_with("-lock")
            })
            .map(|e| e.path())
            .collect(),
        Err(_) => return Ok(()),
    };
    leftovers.sort();
    if !out.exists() {
        let is = |p: &PathBuf, kind: &str| p.to_string_lossy().contains(&format!(".verbatim-{kind}-"));
        let complete_new = leftovers.iter().position(|p| is(p, "new") && p.join("run.json").is_file());
        let old = leftovers.iter().position(|p| is(p, "old"));
        if let Some(i) = complete_new.or(old) {
            let back = leftovers.remove(i);
            fs::rename(&back, &out)
                .map_err(|e| Error::io(format!("cannot restore {} from {}", out.display(), back.display()), e))?;
        }
    }
    for p in leftovers {
        fs::remove_dir_all(&p).map_err(|e| {
            Error::io(format!("cannot remove {}, left by an interrupted run: remove it by hand", p.display()), e)
        })?;
    }
    Ok(())
}

/// Put `stage` in place of `out`: atomically where the system can exchange two
/// directories, else with two renames (see the module docs).
fn swap(stage: &Path, out: &Path) -> Result<()> {
    let io = |what: &str, e| Error::io(format!("cannot {what} {}", out.display()), e);
    if !out.exists() {
        fs::rename(stage, out).map_err(|e| io("move the new set into", e))?;
        checkpoint("new set in place");
        return Ok(());
    }
    match exchange(stage, out) {
        Ok(()) => {
            checkpoint("sets exchanged");
            Ok(())
        }
        Err(e) if matches!(e.raw_os_error(), Some(code) if code == EXDEV || code == EBUSY) => {
            Err(Error::Usage(format!(
                "{} cannot be replaced as a whole ({e}): it is a mount point; give a directory inside it as --out",
                out.display()
            )))
        }
        Err(_) => {
            let name = out.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let old = out.with_file_name(format!(".{name}.verbatim-old-{}", std::process::id()));
            fs::rename(out, &old).map_err(|e| io("move aside the previous set in", e))?;
            checkpoint("previous set moved aside");
            fs::rename(stage, out).map_err(|e| io("move the new set into", e))?;
            checkpoint("new set in place");
            fs::remove_dir_all(&old).map_err(|e| io("remove the previous set of", e))
        }
    }
}

const EXDEV: i32 = 18;
const EBUSY: i32 = 16;

/// Exchange two directories in one step (Linux `renameat2(RENAME_EXCHANGE)`).
#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    if std::env::var_os(NO_EXCHANGE_ENV).is_some() {
        return Err(io::Error::from(io::ErrorKind::Unsupported));
    }
    let c = |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput));
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two valid NUL-terminated paths; the call only reads them.
    let rc = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            a.as_ptr(),
            libc::AT_FDCWD,
            b.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

#[cfg(not(target_os = "linux"))]
fn exchange(_: &Path, _: &Path) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

/// fsync a directory so the renames and new entries in it survive a power cut.
fn sync_dir(dir: &Path) -> Result<()> {
    #[cfg(unix)]
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| Error::io(format!("cannot sync {}", dir.display()), e))?;
    let _ = dir;
    Ok(())
}

/// An exclusive lock on an output directory, held while its set is replaced.
#[derive(Debug)]
struct Lock(#[allow(dead_code)] fs::File);

impl Lock {
    fn acquire(path: &Path, out: &Path) -> Result<Lock> {
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(path)
            .map_err(|e| Error::io(format!("cannot create the lock {}", path.display()), e))?;
        #[cfg(unix)]
        {
            use std::os::fd::AsRawFd;
            // SAFETY: a valid open descriptor; flock has no other effect.
            if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
                return Err(Error::Usage(format!(
                    "another verbatim is writing {} right now (lock {}); wait for it to finish, or give this \
                     run another --out",
                    out.display(),
                    path.display()
                )));
            }
        }
        Ok(Lock(file))
    }
}

/// A point between two steps of a commit. With `VERBATIM_TEST_CRASH_AT=k` the k-th
/// checkpoint of the process stops it at once: no destructor runs and nothing is cleaned,
/// like a SIGKILL. Only tests set the variable.
pub fn checkpoint(step: &str) {
    static AT: OnceLock<Option<usize>> = OnceLock::new();
    static COUNT: AtomicUsize = AtomicUsize::new(0);
    let Some(at) = *AT.get_or_init(|| std::env::var(CRASH_ENV).ok().and_then(|v| v.parse().ok())) else {
        return;
    };
    if COUNT.fetch_add(1, Ordering::SeqCst) + 1 == at {
        eprintln!("verbatim: {CRASH_ENV}={at}: stopping hard after '{step}' (test fault injection)");
        std::process::exit(CRASH_EXIT);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> =
            fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    }

    #[test]
    fn a_set_replaces_the_previous_one_and_carries_foreign_files() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("weekly");
        let mut set = OutputSet::open(&out).unwrap();
        set.stage_bytes("report.md", b"week 1").unwrap();
        set.stage_bytes("embeddings.parquet", b"old vectors").unwrap();
        set.commit(Some(serde_json::json!({"command": "run"}))).unwrap();
        fs::write(out.join("notes.txt"), "mine").unwrap();

        let mut set = OutputSet::open(&out).unwrap();
        set.stage_bytes("report.md", b"week 2").unwrap();
        let written = set.commit(Some(serde_json::json!({"command": "run"}))).unwrap();
        assert_eq!(written, [out.join("report.md"), out.join("run.json")]);
        assert_eq!(names(&out), ["notes.txt", "report.md", "run.json"], "last week's embeddings are gone");
        assert_eq!(fs::read_to_string(out.join("notes.txt")).unwrap(), "mine");
        let run: serde_json::Value = serde_json::from_str(&fs::read_to_string(out.join("run.json")).unwrap()).unwrap();
        assert_eq!(run["outputs"][0]["file"], "report.md");
        assert_eq!(run["outputs"][0]["sha256"], crate::ingest::sha256_hex(b"week 2"));
        assert_eq!(names(tmp.path()), [".weekly.verbatim-lock", "weekly"], "no sibling left");
    }

    #[test]
    fn an_uncommitted_set_leaves_the_previous_one_whole() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("o");
        let mut set = OutputSet::open(&out).unwrap();
        set.stage_bytes("report.md", b"kept").unwrap();
        set.commit(None).unwrap();
        let mut set = OutputSet::open(&out).unwrap();
        set.stage_bytes("report.md", b"lost").unwrap();
        drop(set);
        assert_eq!(fs::read_to_string(out.join("report.md")).unwrap(), "kept");
        assert_eq!(names(tmp.path()), [".o.verbatim-lock", "o"]);
    }

    #[test]
    fn a_foreign_directory_is_refused_before_anything_is_written() {
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("o");
        fs::create_dir_all(out.join("archive")).unwrap();
        let err = OutputSet::open(&out).unwrap_err().to_string();
        assert!(err.contains("`archive`") && err.contains("--out"), "{err}");
        assert_eq!(names(tmp.path()), [".o.verbatim-lock", "o"]);
    }

    #[test]
    fn recovery_restores_the_complete_new_set_when_out_is_missing() {
        let tmp = tempfile::tempdir().unwrap();
        let new = tmp.path().join(".o.verbatim-new-1");
        let old = tmp.path().join(".o.verbatim-old-1");
        fs::create_dir_all(&new).unwrap();
        fs::create_dir_all(&old).unwrap();
        fs::write(new.join("run.json"), "{}").unwrap();
        recover(tmp.path(), "o").unwrap();
        assert_eq!(names(tmp.path()), ["o"]);
        assert!(tmp.path().join("o/run.json").is_file());
        // An incomplete new set is dropped and the old one comes back.
        fs::remove_dir_all(tmp.path().join("o")).unwrap();
        fs::create_dir_all(&new).unwrap();
        fs::create_dir_all(old.join("x")).unwrap();
        recover(tmp.path(), "o").unwrap();
        assert_eq!(names(tmp.path()), ["o"]);
        assert!(tmp.path().join("o/x").is_dir());
    }
}
