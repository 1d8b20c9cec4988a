//! `verbatim themes train | evaluate | discover`: learn a themes model from coded
//! verbatims and write it; measure theme assignment; propose themes for what no theme
//! covers (the analysis of `run`, writing the proposals only).

use std::path::Path;

use serde_json::json;

use crate::cli::args::{RunArgs, ThemesEvalArgs, ThemesTrainArgs};
use crate::cli::resolve;
use crate::coded::{self, Coded};
use crate::console::Console;
use crate::ingest::sha256_file;
use crate::output::{csv_out, Stage, Staged};
use crate::themes::assign::{load_model, load_taxonomy, Assigner};
use crate::themes::fit::{self, Folds};
use crate::themes::learn;
use crate::{output, pipeline, Error, Result};

/// `verbatim themes train`.
pub fn train(a: &ThemesTrainArgs, console: &Console) -> Result<u8> {
    super::set_threads(a.encoder.threads);
    let enc = resolve::encoder_config(&a.encoder)?;
    let tax = a.taxonomy.as_deref().map(load_taxonomy).transpose()?;
    let coded = coded::read_examples(&a.examples)?;
    console.note(format!("{}: {} coded verbatims", a.examples.display(), coded.texts.len()));
    let opts = a.learn.options().map_err(Error::Usage)?;
    let (model, _) = fit::train_themes(&coded, tax.as_ref(), &enc, &opts, console, None)?;
    let model = model.expect("training without folds returns a model");
    let manifest = json!({
        "name": "verbatim themes model",
        "format": learn::FORMAT,
        "verbatim_version": env!("CARGO_PKG_VERSION"),
        "encoder": model.encoder,
        "examples": { "file": a.examples.display().to_string(), "sha256": sha256_file(&a.examples)?, "rows": coded.texts.len() },
        "taxonomy": a.taxonomy.as_ref().map(|p| p.display().to_string()),
        "themes": model.themes,
        "thresholds": model.thresholds,
        "options": opts,
    });
    let mut manifest = manifest;
    let model_json = crate::output::json_bytes(&model);
    manifest["files"] = json!({ "model.json": crate::ingest::sha256_hex(&model_json) });
    let mut staged = Staged::new(&a.out)?;
    staged.stage_bytes("model.json", &model_json)?;
    staged.stage_json("MANIFEST", &manifest)?;
    staged.commit()?;
    console.note(format!("wrote {}/model.json and MANIFEST ({} themes)", a.out.display(), model.themes.len()));
    Ok(0)
}

/// `verbatim themes evaluate`.
pub fn evaluate(a: &ThemesEvalArgs, console: &Console) -> Result<u8> {
    super::set_threads(a.encoder.threads);
    let enc = resolve::encoder_config(&a.encoder)?;
    let tax = a.taxonomy.as_deref().map(load_taxonomy).transpose()?;
    let mut coded = coded::read_grouped_examples(&a.examples, a.group_by.as_deref())?;
    if let Some(column) = &a.group_by {
        let groups: std::collections::BTreeSet<&str> = (0..coded.texts.len()).map(|i| coded.fold_key(i)).collect();
        console.note(format!("folds drawn by '{column}': {} groups", groups.len()));
        if groups.len() < a.folds.max(2) {
            return Err(Error::input(
                &a.examples,
                format!(
                    "--group-by '{column}' gives {} groups, fewer than the {} folds: choose a column with more values, or fewer --folds",
                    groups.len(),
                    a.folds.max(2)
                ),
            ));
        }
    }
    let metrics = if a.themes_model.is_some() || a.zero_shot {
        // Measured as a run assigns themes, no training: a model, else zero-shot.
        let (metrics, predicted, scores) = match &a.themes_model {
            Some(dir) => evaluate_model(&coded, &resolve::find_model_dir(dir)?, &enc, console)?,
            None => {
                let tax = tax.ok_or_else(|| Error::Usage("--zero-shot needs --taxonomy FILE".into()))?;
                evaluate_zero_shot(&coded, &tax, a.zero_shot_settings.settings(), &enc, console)?
            }
        };
        if let Some(path) = &a.predictions {
            let ids: Vec<&str> = metrics.per_theme.iter().map(|t| t.0.as_str()).collect();
            write_predictions(path, &coded, &ids, &predicted, &scores)?;
            console.note(format!("wrote the predictions to {}", path.display()));
        }
        metrics
    } else {
        let opts = a.learn.options().map_err(Error::Usage)?;
        let scored = coded.texts.len();
        for path in &a.also_train_on {
            let more = coded::read_examples(path)?;
            console.note(format!("{}: {} coded verbatims, for training only", path.display(), more.texts.len()));
            coded.extend(more);
        }
        let folds = Folds { k: a.folds, scored };
        let cv = fit::train_themes(&coded, tax.as_ref(), &enc, &opts, console, Some(folds))?
            .1
            .expect("cross-validation ran");
        if let Some(path) = &a.predictions {
            let ids: Vec<&str> = cv.metrics.per_theme.iter().map(|t| t.0.as_str()).collect();
            write_predictions(path, &coded, &ids, &cv.predicted, &cv.scores)?;
            console.note(format!("wrote the out-of-fold predictions to {}", path.display()));
        }
        cv.metrics
    };
    super::sentiment::print_metrics(a.json, &metrics, &metrics.render());
    Ok(0)
}

/// Zero-shot assignment measured on coded verbatims as a run assigns it. Coded themes
/// absent from the taxonomy count as misses.
fn evaluate_zero_shot(
    coded: &Coded,
    taxonomy: &crate::themes::Taxonomy,
    settings: crate::themes::ZeroShotSettings,
    enc: &crate::config::EncoderConfig,
    console: &Console,
) -> Result<Measured> {
    let assigner = Assigner::ZeroShot(crate::themes::assign::zero_shot_learnt(taxonomy, settings, enc, console)?);
    let ids: Vec<&String> = assigner.themes().iter().map(|t| &t.id).collect();
    let unknown: std::collections::BTreeSet<&String> =
        coded.themes.iter().flatten().filter(|id| !ids.contains(id)).collect();
    if !unknown.is_empty() {
        console.note(format!("themes of the examples absent from the taxonomy (counted as missed): {unknown:?}"));
    }
    measure(coded, &assigner, enc, &crate::encode::ModelInfo::of(enc)?, console)
}

/// A themes model measured as a run uses it; the metrics, each text's predicted themes
/// and its scores.
fn evaluate_model(
    coded: &Coded,
    dir: &Path,
    enc: &crate::config::EncoderConfig,
    console: &Console,
) -> Result<Measured> {
    let model = crate::encode::ModelInfo::of(enc)?;
    measure(coded, &Assigner::Learnt(Box::new(load_model(dir, &model)?)), enc, &model, console)
}

/// Metrics, each text's predicted themes and (a learnt model's) scores per theme.
type Measured = (crate::themes::ThemeMetrics, Vec<Vec<usize>>, Vec<Vec<f32>>);

/// The themes `assigner` gives the coded texts as a run assigns them, scored against the
/// coded ones (coded themes the assigner does not know count as misses).
fn measure(
    coded: &Coded,
    assigner: &Assigner,
    enc: &crate::config::EncoderConfig,
    model: &crate::encode::ModelInfo,
    console: &Console,
) -> Result<Measured> {
    let (predicted, scores) = pipeline::assign_texts(&coded.texts, assigner, enc, model, console)?;
    let ids: Vec<String> = assigner.themes().iter().map(|t| t.id.clone()).collect();
    Ok((fit::score_with_misses(coded, &ids, &predicted), predicted, scores))
}

/// `verbatim themes discover`: the analysis of `run`, writing the proposed themes only.
pub fn discover(a: &RunArgs, console: &Console) -> Result<u8> {
    let cfg = resolve::run_config(a)?;
    super::set_threads(Some(cfg.encoder.threads));
    let analysis = pipeline::analyze(&cfg, console)?;
    super::run::note_proposals(&analysis, console);
    let written = output::run::write_proposals(&analysis, &cfg)?;
    console.note(format!("wrote {} to {}", super::run::file_names(&written), cfg.out.display()));
    Ok(0)
}

/// `themes evaluate --predictions`: per scored example its text, coded themes, predicted
/// themes and, from a cross-validation or a given model, one score per theme (out of fold
/// in a cross-validation; empty cells for a text the models do not read). CSV, written
/// atomically.
fn write_predictions(
    path: &Path,
    coded: &Coded,
    ids: &[&str],
    predicted: &[Vec<usize>],
    scores: &[Vec<f32>],
) -> Result<()> {
    let score_cols: Vec<String> = if scores.iter().all(Vec::is_empty) {
        Vec::new()
    } else {
        ids.iter().map(|id| format!("score_{id}")).collect()
    };
    let mut header = vec!["text", "themes", "predicted"];
    header.extend(score_cols.iter().map(String::as_str));
    let rows = predicted.iter().enumerate().map(|(i, pred)| {
        let mut row = vec![
            coded.texts[i].clone(),
            coded.themes[i].join(";"),
            pred.iter().map(|&t| ids[t]).collect::<Vec<_>>().join(";"),
        ];
        match scores.get(i).filter(|s| !s.is_empty()) {
            Some(s) => row.extend(s.iter().map(|s| format!("{s:.4}"))),
            None => row.extend(score_cols.iter().map(|_| String::new())),
        }
        row
    });
    let bytes = csv_out::to_csv(&header, rows);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Usage(format!("--predictions {}: not a file name", path.display())))?;
    let mut staged = Staged::new(dir)?;
    staged.stage_bytes(name, &bytes)?;
    staged.commit()?;
    Ok(())
}
