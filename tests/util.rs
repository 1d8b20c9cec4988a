//! Test harness: a temporary working directory, the built binary, Parquet readers.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use polars::prelude::*;

pub struct Dir {
    pub tmp: tempfile::TempDir,
}

impl Dir {
    pub fn new() -> Dir {
        Dir { tmp: tempfile::tempdir().expect("temp dir") }
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.tmp.path().join(name)
    }

    pub fn write(&self, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    /// The binary with `args`, to run in this directory (no progress bars, no logging or
    /// config file from the environment).
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_verbatim"));
        c.args(args)
            .current_dir(self.tmp.path())
            .env("VERBATIM_NO_PROGRESS", "1")
            .env_remove("RUST_LOG")
            .env_remove("VERBATIM_CONFIG");
        c
    }

    /// Run the binary with `args` in this directory.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run verbatim")
    }

    /// Run and require exit code 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "verbatim {args:?} failed ({:?}):\n{}\n{}",
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub fn read_parquet(path: &Path) -> DataFrame {
    let f = std::fs::File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    ParquetReader::new(f).finish().expect("read parquet")
}

/// The overall row of nps.parquet: (n, promoters, passives, detractors, nps).
pub fn overall(nps: &DataFrame) -> (u64, u64, u64, u64, f64) {
    let df =
        nps.clone().lazy().filter(col("period").eq(lit("all")).and(col("segment").eq(lit("all")))).collect().unwrap();
    assert_eq!(df.height(), 1, "one overall row");
    let u = |c: &str| df.column(c).unwrap().u64().unwrap().get(0).unwrap();
    let nps = df.column("nps").unwrap().f64().unwrap().get(0).unwrap();
    (u("n"), u("promoters"), u("passives"), u("detractors"), nps)
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The default model, installed by the README's setup command.
pub fn model_dir() -> PathBuf {
    let p = repo().join("models").join("multilingual-e5-small");
    assert!(
        p.join("model.onnx").is_file(),
        "{} is missing: run the README's setup command (bash scripts/setup.sh) before the tests",
        p.display()
    );
    p
}

/// One synthetic survey, written in every format by the ingest tests.
#[derive(Clone, Debug)]
pub struct Row {
    pub id: String,
    pub date: (i32, u32, u32),
    pub score: u8,
    pub comment: String,
    pub channel: &'static str,
    pub region: &'static str,
}

pub fn survey(n: usize) -> Vec<Row> {
    let comments = [
        "Très déçu, trop cher",
        "Service impeccable, merci !",
        "",
        "The app keeps crashing, but support was great",
        "Livraison rapide; par contre la facture est fausse",
        "RAS",
        "Good service",
        "Attente de 45 minutes au téléphone, c'est inadmissible",
    ];
    (0..n)
        .map(|i| {
            let day = 5 + (i % 52) as u32;
            let (m, d) = if day > 31 { (2, day - 31) } else { (1, day) };
            Row {
                id: format!("R_{i:04}"),
                date: (2026, m, d),
                score: ((i * 7 + i / 11) % 11) as u8,
                comment: comments[i % comments.len()].to_string(),
                channel: ["Email", "App", "Web"][i % 3],
                region: ["Île-de-France", "Bretagne"][i % 2],
            }
        })
        .collect()
}

/// Expected (n, promoters, detractors) of a survey.
pub fn expected(rows: &[Row]) -> (u64, u64, u64) {
    let p = rows.iter().filter(|r| r.score >= 9).count() as u64;
    let d = rows.iter().filter(|r| r.score <= 6).count() as u64;
    (rows.len() as u64, p, d)
}
