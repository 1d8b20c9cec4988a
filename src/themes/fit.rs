//! Learning themes from coded verbatims end to end: the examples through the encoder
//! (with token states for the attention model), then training or cross-validation
//! ([`super::learn`] does the fitting); and measuring zero-shot assignment.

use crate::coded::Coded;
use crate::config::EncoderConfig;
use crate::console::Console;
use crate::encode::{embed_texts, embed_texts_with_states, ModelInfo, StatesRequest};
use crate::{Error, Result};

/// A cross-validation in `k` folds of the first `scored` examples; the others only ever
/// train.
#[derive(Debug, Clone, Copy)]
pub struct Folds {
    pub k: usize,
    pub scored: usize,
}

/// A trained model, or a cross-validation's results.
pub type Trained = (Option<super::learn::ThemeModel>, Option<super::learn::CrossValidation>);

/// Train a theme model on coded examples (or cross-validate it, with `folds`); themes =
/// taxonomy leaves, then example themes absent from the taxonomy.
pub fn train_themes(
    coded: &Coded,
    taxonomy: Option<&super::Taxonomy>,
    enc: &EncoderConfig,
    opts: &super::learn::LearnOptions,
    console: &Console,
    folds: Option<Folds>,
) -> Result<Trained> {
    let zero = taxonomy.map(|t| super::assign::zero_shot(t, Default::default(), enc, console)).transpose()?;
    train_themes_with(coded, zero.as_ref(), enc, opts, console, folds)
}

/// [`train_themes`] with the taxonomy's leaves and prototypes already embedded (a
/// zero-shot assigner of it), so that they are not embedded again.
pub fn train_themes_with(
    coded: &Coded,
    taxonomy: Option<&super::ZeroShot>,
    enc: &EncoderConfig,
    opts: &super::learn::LearnOptions,
    console: &Console,
    folds: Option<Folds>,
) -> Result<Trained> {
    let (infos, proto) = theme_list(coded, taxonomy)?;
    // Theme ids as indices into `infos` (every id is there: `theme_list` took them all).
    let index = |ids: &Vec<String>| -> Vec<usize> {
        ids.iter().filter_map(|id| infos.iter().position(|t| &t.id == id)).collect()
    };
    let y: Vec<Vec<usize>> = coded.themes.iter().map(index).collect();
    let judged: Vec<Option<Vec<usize>>> = coded.judged.iter().map(|j| j.as_ref().map(index)).collect();
    let mut states: Vec<Vec<f32>> = Vec::new();
    let (emb, _, model_info) = if opts.attention_weight > 0.0 {
        states = vec![Vec::new(); coded.texts.len()];
        let mut keep = |i: usize, s: &[f32]| states[i] = s.to_vec();
        let model = ModelInfo::of(enc)?;
        let known = vec![false; coded.texts.len()];
        let request = StatesRequest { sink: &mut keep, known: &known };
        let (emb, report) =
            embed_texts_with_states(enc, &model, &coded.texts, console, "encoding examples", Some(request))?;
        (emb, report, model)
    } else {
        embed_texts(enc, &coded.texts, console, "encoding examples")?
    };
    let ex =
        super::learn::Examples { texts: &coded.texts, embeddings: &emb, states: &states, themes: &y, judged: &judged };
    if let Some(f) = folds {
        let keys: Vec<&str> = (0..coded.texts.len()).map(|i| coded.fold_key(i)).collect();
        let m = super::learn::cross_validate(ex, f.scored, &infos, &proto, opts, f.k.max(2), &keys);
        return Ok((None, Some(m)));
    }
    let mut model = super::learn::train(ex, &infos, &proto, opts);
    model.encoder = model_info.cache_key();
    Ok((Some(model), None))
}

/// The themes a model learns: the taxonomy's leaves (with their prototype, the sum of
/// their prototype texts' embeddings), then themes of the examples absent from it.
#[allow(clippy::type_complexity)]
fn theme_list(
    coded: &Coded,
    taxonomy: Option<&super::ZeroShot>,
) -> Result<(Vec<super::ThemeInfo>, Vec<Option<Vec<f32>>>)> {
    let mut infos: Vec<super::ThemeInfo> = Vec::new();
    let mut proto: Vec<Option<Vec<f32>>> = Vec::new();
    if let Some(z) = taxonomy {
        for (info, ps) in z.themes.iter().zip(&z.prototypes) {
            infos.push(info.clone());
            let mut m = vec![0f32; ps.first().map_or(0, Vec::len)];
            ps.iter().for_each(|p| m.iter_mut().zip(p).for_each(|(a, b)| *a += b));
            proto.push(Some(m));
        }
    }
    for ids in &coded.themes {
        for id in ids {
            if !infos.iter().any(|t| &t.id == id) {
                infos.push(super::ThemeInfo { id: id.clone(), label: id.clone(), parent: None, parent_label: None });
                proto.push(None);
            }
        }
    }
    if infos.is_empty() {
        return Err(Error::Usage("the examples name no theme: fill the 'themes' column (ids joined by ';')".into()));
    }
    Ok((infos, proto))
}

/// Metrics of predicted theme indices against the coded ids; coded ids outside `ids` are
/// misses (they lower recall).
pub fn score_with_misses(coded: &Coded, ids: &[String], pred: &[Vec<usize>]) -> super::ThemeMetrics {
    let gold: Vec<Vec<usize>> =
        coded.themes.iter().map(|g| g.iter().filter_map(|id| ids.iter().position(|x| x == id)).collect()).collect();
    let mut m = super::theme_metrics(ids, &gold, pred);
    let missed: usize = coded.themes.iter().flatten().filter(|id| !ids.contains(id)).count();
    if missed > 0 {
        let tp = m.micro_recall * m.per_theme.iter().map(|x| x.4).sum::<usize>() as f64;
        let support = m.per_theme.iter().map(|x| x.4).sum::<usize>() + missed;
        m.micro_recall = tp / support as f64;
        let (p, r) = (m.micro_precision, m.micro_recall);
        m.micro_f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
    }
    m
}
