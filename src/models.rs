//! `verbatim models list | fetch`: what is installed in models/, verified against each
//! directory's MANIFEST (sha256 of every file).

use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// One model directory and the state of its files.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Installed {
    pub dir: PathBuf,
    pub name: String,
    /// Where it comes from: `from <package>==<version>, ...` or `trained by verbatim on ...`.
    pub origin: String,
    /// (file, bytes, ok): ok when the sha256 matches the MANIFEST.
    pub files: Vec<(String, u64, bool)>,
}

impl Installed {
    pub fn ok(&self) -> bool {
        !self.files.is_empty() && self.files.iter().all(|f| f.2)
    }
}

/// Verify every model directory under `root` that holds a MANIFEST.
pub fn list(root: &Path) -> Result<Vec<Installed>> {
    let rd = std::fs::read_dir(root).map_err(|e| {
        Error::Usage(format!("{}: {e}. Run the setup command (scripts/setup.sh) to install the models", root.display()))
    })?;
    let mut dirs: Vec<PathBuf> =
        rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.join("MANIFEST").is_file()).collect();
    dirs.sort();
    let mut out = Vec::new();
    for dir in dirs {
        let text = std::fs::read_to_string(dir.join("MANIFEST")).map_err(|e| Error::io("cannot read MANIFEST", e))?;
        let m: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| Error::Usage(format!("{}: invalid MANIFEST: {e}", dir.display())))?;
        let sources: Vec<String> = m["sources"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|s| {
                        format!("{}=={}", s["package"].as_str().unwrap_or("?"), s["version"].as_str().unwrap_or("?"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let origin = if sources.is_empty() { trained_on(&m) } else { format!("from {}", sources.join(", ")) };
        let mut files = Vec::new();
        if let Some(map) = m["files"].as_object() {
            for (name, want) in map {
                let path = dir.join(name);
                let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
                let ok = path.is_file() && crate::ingest::sha256_file(&path)? == want.as_str().unwrap_or("");
                files.push((name.clone(), size, ok));
            }
        }
        out.push(Installed { name: m["name"].as_str().unwrap_or("?").to_string(), dir, origin, files });
    }
    Ok(out)
}

/// The fetch script shipped with the repository (found from the working directory or
/// beside the executable).
pub fn fetch_script() -> Option<PathBuf> {
    let rel = Path::new("scripts/fetch-models.sh");
    if rel.is_file() {
        return Some(rel.to_path_buf());
    }
    let exe = std::env::current_exe().ok()?;
    exe.ancestors().skip(1).map(|a| a.join(rel)).find(|p| p.is_file())
}

/// For a model trained by verbatim (no package source): the coded files it learnt from.
fn trained_on(manifest: &serde_json::Value) -> String {
    let data = match (&manifest["training_data"], &manifest["examples"]) {
        (serde_json::Value::Array(a), _) => a.clone(),
        (_, e @ serde_json::Value::Object(_)) => vec![e.clone()],
        _ => Vec::new(),
    };
    let files: Vec<&str> = data.iter().filter_map(|d| d["file"].as_str()).collect();
    format!("trained by verbatim on {}", if files.is_empty() { "unrecorded data".into() } else { files.join(", ") })
}
