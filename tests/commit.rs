//! One consistent set of outputs, always: a run stopped hard between any two steps of its
//! commit, or killed at a random moment, leaves `--out` holding one whole set (last
//! week's or this week's, each file matching run.json's sha256), and the next run works.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::util::*;

/// Two different weeks: the first 100 and the first 150 rows of the bundled sample.
fn weeks(dir: &Dir) -> [String; 2] {
    let sample = std::fs::read_to_string(repo().join("data/sample_export.csv")).unwrap();
    let lines: Vec<&str> = sample.lines().collect();
    ["week1.csv", "week2.csv"]
        .iter()
        .zip([101, 151])
        .map(|(name, n)| {
            dir.write(name, lines[..n].join("\n") + "\n");
            name.to_string()
        })
        .collect::<Vec<_>>()
        .try_into()
        .unwrap()
}

/// The set in `out` is whole: run.json lists every other file, each file's sha256 matches,
/// nothing else is there, and no staging sibling is visible as `out`. Returns the sha256
/// of the input the set was made from.
fn whole_set(out: &Path) -> String {
    let run: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("run.json")).expect("run.json is there"))
            .expect("run.json is complete JSON");
    let mut listed = BTreeSet::from(["run.json".to_string()]);
    for o in run["outputs"].as_array().expect("run.json lists its outputs") {
        let file = o["file"].as_str().unwrap();
        let bytes = std::fs::read(out.join(file)).unwrap_or_else(|_| panic!("{file} listed in run.json is there"));
        assert_eq!(
            verbatim::ingest::sha256_hex(&bytes),
            o["sha256"].as_str().unwrap(),
            "{file} is the one run.json lists"
        );
        listed.insert(file.to_string());
    }
    let present: BTreeSet<String> =
        std::fs::read_dir(out).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert_eq!(present, listed, "exactly the files of one set");
    run["inputs"][0]["sha256"].as_str().unwrap().to_string()
}

fn input_sha(dir: &Dir, name: &str) -> String {
    verbatim::ingest::sha256_hex(&std::fs::read(dir.path(name)).unwrap())
}

/// The binary, quiet on stdout, its stderr kept for the assertions.
fn command(dir: &Dir, args: &[&str]) -> Command {
    let mut c = dir.command(args);
    c.stdout(Stdio::null()).stderr(Stdio::piped());
    c
}

/// Nothing but `out` and the lock is left beside it.
fn no_leftovers(dir: &Dir) {
    let siblings: Vec<String> = std::fs::read_dir(dir.tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".verbatim-") && !n.ends_with("-lock"))
        .collect();
    assert!(siblings.is_empty(), "left beside the output directory: {siblings:?}");
}

fn as_str(a: &[String]) -> Vec<&str> {
    a.iter().map(String::as_str).collect()
}

/// Stop the process at every checkpoint of the commit in turn (k = 1, 2, ... until a run
/// passes them all): each time the directory holds week 1's set or week 2's, never a mix.
fn crash_at_every_step(run_args: impl Fn(&str) -> Vec<String>, no_exchange: bool) -> usize {
    let dir = Dir::new();
    let [w1, w2] = weeks(&dir);
    let (sha1, sha2) = (input_sha(&dir, &w1), input_sha(&dir, &w2));
    let args = |input: &str| run_args(input);
    let first = args(&w1);
    dir.ok(&as_str(&first));
    assert_eq!(whole_set(&dir.path("o")), sha1);
    let second = args(&w2);
    let second: Vec<&str> = second.iter().map(String::as_str).collect();
    for k in 1.. {
        let mut c = command(&dir, &second);
        c.env("VERBATIM_TEST_CRASH_AT", k.to_string());
        if no_exchange {
            c.env("VERBATIM_TEST_NO_EXCHANGE", "1");
        }
        let out = c.output().unwrap();
        if no_exchange && !dir.path("o").exists() {
            // The one window of the two-rename swap: `o` is moved aside and the complete new
            // set waits beside it; the next run puts it in place before anything else.
            assert!(stderr(&out).contains("'previous set moved aside'"), "{}", stderr(&out));
            let mut next = command(&dir, &as_str(&first));
            next.env("VERBATIM_TEST_CRASH_AT", "1").env("VERBATIM_TEST_NO_EXCHANGE", "1");
            assert_eq!(next.output().unwrap().status.code(), Some(70));
            assert_eq!(whole_set(&dir.path("o")), sha2, "the next run first puts the complete new set in place");
        }
        let set = whole_set(&dir.path("o"));
        if out.status.success() {
            assert_eq!(set, sha2, "a run past every checkpoint lands week 2");
            no_leftovers(&dir);
            return k - 1;
        }
        assert_eq!(out.status.code(), Some(70), "stopped at checkpoint {k}: {}", stderr(&out));
        assert!(set == sha1 || set == sha2, "checkpoint {k}: the set is week 1's or week 2's");
        // Back to week 1 for the next try, through a normal run (which clears leftovers).
        dir.ok(&as_str(&first));
        assert_eq!(whole_set(&dir.path("o")), sha1, "after checkpoint {k}, the next run works");
        no_leftovers(&dir);
        assert!(k < 60, "the commit has fewer than 60 steps");
    }
    unreachable!()
}

#[test]
fn a_run_stopped_between_any_two_commit_steps_leaves_one_whole_set() {
    let model = model_dir().display().to_string();
    let run = |input: &str| -> Vec<String> {
        ["run", input, "--out", "o", "--model", &model, "--cache-dir", "cache", "-q"].map(String::from).to_vec()
    };
    let steps = crash_at_every_step(run, false);
    assert!(steps >= 14, "every file of the set is a checkpoint: {steps}");
}

#[test]
fn the_two_rename_swap_also_leaves_one_whole_set() {
    let nps = |input: &str| -> Vec<String> { ["nps", input, "--out", "o", "-q"].map(String::from).to_vec() };
    let steps = crash_at_every_step(nps, true);
    assert!(steps >= 5, "{steps}");
}

/// SIGKILL at random moments of real runs (seeded, so a failure can be replayed), the
/// weeks alternating; then a plain run. A `--new-only` follow-up list is part of the set.
#[test]
fn a_run_killed_at_random_moments_leaves_one_whole_set() {
    let dir = Dir::new();
    let [w1, w2] = weeks(&dir);
    let shas = [input_sha(&dir, &w1), input_sha(&dir, &w2)];
    let model = model_dir().display().to_string();
    let args = |input: &str| -> Vec<String> {
        ["run", input, "--out", "o", "--model", &model, "--cache-dir", "cache", "--new-only", "-q"]
            .map(String::from)
            .to_vec()
    };
    let weeks = [args(&w1), args(&w2)];
    dir.ok(&as_str(&weeks[0]));
    let t = Instant::now();
    dir.ok(&as_str(&weeks[1]));
    let full = t.elapsed();
    let mut seed: u64 = 0x5eed_2026;
    let mut landed = BTreeSet::new();
    for i in 0..12 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        // Anywhere from the start to just past a normal run's length.
        let at = full.mul_f64((seed % 1000) as f64 / 1000.0 * 1.1);
        let mut child = command(&dir, &as_str(&weeks[i % 2])).spawn().unwrap();
        std::thread::sleep(at);
        let _ = child.kill();
        let status = child.wait().unwrap();
        let set = whole_set(&dir.path("o"));
        assert!(shas.contains(&set), "kill {i} after {at:?} ({status:?}): a set of one of the weeks");
        landed.insert(set);
    }
    dir.ok(&as_str(&weeks[0]));
    assert_eq!(whole_set(&dir.path("o")), shas[0]);
    no_leftovers(&dir);
    assert!(!landed.is_empty());
}

/// Two runs into one directory at once: the second is refused while the first holds the
/// lock (taken here as a running verbatim would), and works once it is released.
#[test]
fn a_busy_output_directory_is_refused() {
    use std::os::fd::AsRawFd;
    let dir = Dir::new();
    let [w1, _] = weeks(&dir);
    let lock = std::fs::File::create(dir.path(".o.verbatim-lock")).unwrap();
    // SAFETY: a valid descriptor, locked for the duration of this test.
    assert_eq!(unsafe { libc::flock(lock.as_raw_fd(), libc::LOCK_EX) }, 0);
    let out = dir.run(&["nps", &w1, "--out", "o"]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("another verbatim is writing"), "{}", stderr(&out));
    assert!(!dir.path("o").exists(), "nothing written");
    drop(lock);
    dir.ok(&["nps", &w1, "--out", "o"]);
    whole_set(&dir.path("o"));
}
