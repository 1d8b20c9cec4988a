//! `verbatim models list | fetch`: show and verify the installed models, or fetch them.

use crate::cli::args::ModelsAction;
use crate::models;
use crate::Result;

pub fn models(action: &ModelsAction) -> Result<u8> {
    match action {
        ModelsAction::List { models_dir } => list(models_dir),
        ModelsAction::Fetch { models_dir } => {
            let script = models::fetch_script().ok_or_else(|| {
                crate::Error::Usage("scripts/fetch-models.sh not found: run from the repository root".into())
            })?;
            let status = std::process::Command::new("bash")
                .arg(&script)
                .arg(models_dir)
                .status()
                .map_err(|e| crate::Error::io(format!("cannot run {}", script.display()), e))?;
            Ok(if status.success() { 0 } else { 1 })
        }
    }
}

/// Print every model directory with its files' state; 1 when one does not verify.
fn list(models_dir: &std::path::Path) -> Result<u8> {
    let installed = models::list(models_dir)?;
    if installed.is_empty() {
        println!("no models in {} (run scripts/setup.sh)", models_dir.display());
        return Ok(1);
    }
    let mut all_ok = true;
    for m in &installed {
        all_ok &= m.ok();
        println!("{}  {}  [{}]", m.name, m.dir.display(), if m.ok() { "verified" } else { "CHECKSUM MISMATCH" });
        println!("    {}", m.origin);
        for (f, size, ok) in &m.files {
            println!("    {} {f} ({:.1} MB)", if *ok { "ok " } else { "BAD" }, *size as f64 / 1e6);
        }
    }
    if !all_ok {
        eprintln!("error: some model files do not match their MANIFEST: run scripts/fetch-models.sh to rewrite them");
    }
    Ok(if all_ok { 0 } else { 1 })
}
