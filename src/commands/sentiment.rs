//! `verbatim sentiment train | evaluate`: train a head on coded verbatims (and the shipped
//! base corpus) and write it; measure a head, or cross-validate one trained on a file.

use serde_json::json;

use crate::cli::args::{SentimentEvalArgs, SentimentTrainArgs};
use crate::cli::resolve;
use crate::console::Console;
use crate::output::{Stage, Staged};
use crate::sentiment::{self, fit};
use crate::{coded, pipeline, Error, Result};

/// `verbatim sentiment train`.
pub fn train(a: &SentimentTrainArgs, console: &Console) -> Result<u8> {
    super::set_threads(a.encoder.threads);
    let enc = resolve::encoder_config(&a.encoder)?;
    let base = if a.no_base { Vec::new() } else { fit::base_corpora() };
    if a.labels.is_empty() && base.is_empty() {
        return Err(Error::Usage("nothing to train on: pass --labels coded.csv (or keep the base corpora)".into()));
    }
    // The default head (no --labels): the base corpus is the whole training set, weight 1,
    // and is what cross-validation measures.
    let default_head = a.labels.is_empty();
    let corpus = if default_head {
        fit::gather(&base, &[], 0.0, console)?
    } else {
        fit::gather(&a.labels, &base, a.base_weight, console)?
    };
    let l2 = a.l2.unwrap_or(if default_head { fit::DEFAULT_HEAD_L2 } else { 0.1 });
    let lexical_weight = a.lexical_weight.clamp(0.0, 1.0);
    let opts = sentiment::train::TrainOptions { l2, lexical_weight, ..Default::default() };
    let (mut head, cv) = fit::train_on(&corpus, &enc, &opts, a.folds, console)?;
    head.neutral_bias = a.neutral_bias.unwrap_or(if default_head { fit::DEFAULT_NEUTRAL_BIAS } else { 0.0 });
    if let Some(m) = &cv {
        console.note(format!("cross-validation ({} folds) of the labelled rows:\n{}", a.folds, m.render()));
    }
    let manifest = json!({
        "name": "verbatim sentiment head",
        "format": sentiment::FORMAT,
        "verbatim_version": env!("CARGO_PKG_VERSION"),
        "encoder": { "dir": enc.model_dir.display().to_string(), "key": head.encoder },
        "training_data": corpus.files,
        "options": opts,
        "prototypes": sentiment::PROTOTYPES,
        "temperature": head.temperature,
        "neutral_bias": head.neutral_bias,
        "cross_validation": cv,
        "evaluation": "docs/QUALITY.md (SemEval-2016 restaurant sentences, French and English)",
    });
    let mut manifest = manifest;
    let head_json = crate::output::json_bytes(&head);
    manifest["files"] = json!({ "head.json": crate::ingest::sha256_hex(&head_json) });
    let mut staged = Staged::new(&a.out)?;
    staged.stage_bytes("head.json", &head_json)?;
    staged.stage_json("MANIFEST", &manifest)?;
    staged.commit()?;
    console.note(format!("wrote {}/head.json and MANIFEST", a.out.display()));
    Ok(0)
}

/// `verbatim sentiment evaluate`.
pub fn evaluate(a: &SentimentEvalArgs, console: &Console) -> Result<u8> {
    super::set_threads(a.encoder.threads);
    let enc = resolve::encoder_config(&a.encoder)?;
    if a.comments {
        let head = sentiment::Head::load(&resolve::find_model_dir(&a.sentiment_model)?).map_err(Error::Usage)?;
        let l = coded::read_comment_labels(&a.labels)?;
        let pred = pipeline::score_texts(&l.texts, &head, &enc, console)?;
        let pred: Vec<usize> = pred
            .iter()
            .map(|p| p.and_then(|p| sentiment::COMMENT_CLASSES.iter().position(|c| *c == p)).unwrap_or(1))
            .collect();
        let m = sentiment::comment_metrics(&l.y, &pred);
        print_metrics(a.json, &m, &m.render());
        return Ok(0);
    }
    let metrics = match a.cv {
        Some(k) => {
            let corpus = fit::gather(std::slice::from_ref(&a.labels), &fit::base_corpora(), a.base_weight, console)?;
            let opts = sentiment::train::TrainOptions {
                l2: a.l2,
                lexical_weight: a.lexical_weight.clamp(0.0, 1.0),
                ..Default::default()
            };
            let (_, cv) = fit::train_on(&corpus, &enc, &opts, k.max(2), console)?;
            cv.expect("cross-validation ran on the labelled file")
        }
        None => {
            let dir = resolve::find_model_dir(&a.sentiment_model)?;
            let head = sentiment::Head::load(&dir).map_err(Error::Usage)?;
            let l = coded::read_labels(&a.labels)?;
            let pred = fit::predict_classes(&head, &enc, &l.texts, console)?;
            sentiment::metrics(&l.y, &pred)
        }
    };
    print_metrics(a.json, &metrics, &metrics.render());
    Ok(0)
}

/// Figures as JSON, or as the rendered table.
pub(super) fn print_metrics(json: bool, metrics: &impl serde::Serialize, rendered: &str) {
    if json {
        println!("{}", serde_json::to_string_pretty(metrics).expect("metrics serialise"));
    } else {
        print!("{rendered}");
    }
}
