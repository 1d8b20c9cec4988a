//! What people say inside a theme: its most distinctive phrases (two or three words) among
//! the detractors' clauses of the theme, against every other clause of the export, each
//! with how many clauses say it and one verbatim. French and English alike (accents and
//! case are ignored when counting; the phrase is shown as people wrote it most often).

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use crate::pipeline::Analysis;
use crate::schema::mapping::fold;
use crate::themes::discovery::STOP;

/// One sub-topic of a theme.
#[derive(Debug, Clone, Serialize)]
pub struct Subtopic {
    pub phrase: String,
    /// Detractors' clauses of the theme that say it.
    pub count: usize,
    pub example: String,
}

/// (shown, folded) words of a text.
fn tokens(text: &str) -> Vec<(String, String)> {
    text.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (w.to_string(), fold(w)))
        .collect()
}

/// Words that open a complaint ("pas de réseau", "jamais venu", "never showed up").
const NEGATIONS: &[&str] = &["pas", "jamais", "aucun", "aucune", "rien", "not", "never", "no", "nothing", "nobody"];

/// The phrases of a clause: runs of two or three words that neither start nor end with a
/// stop word or a number (a negation may start one); (folded key, as written), once each.
fn phrases(text: &str) -> BTreeMap<String, String> {
    let t = tokens(text);
    let content = |w: &str| w.chars().count() > 2 && !STOP.contains(&w) && !w.chars().all(|c| c.is_ascii_digit());
    let mut out = BTreeMap::new();
    for n in 2..=3 {
        for g in t.windows(n) {
            if (content(&g[0].1) || NEGATIONS.contains(&g[0].1.as_str())) && content(&g[n - 1].1) {
                let key = g.iter().map(|w| w.1.as_str()).collect::<Vec<_>>().join(" ");
                let shown = g.iter().map(|w| w.0.as_str()).collect::<Vec<_>>().join(" ");
                out.entry(key).or_insert(shown);
            }
        }
    }
    out
}

/// A phrase among the detractors' clauses of a theme: the occurrences saying it (indexes
/// into those clauses), its written forms with their counts, and the shortest clause
/// saying it (the example).
type Found = (Vec<usize>, BTreeMap<String, usize>, usize);

/// Up to `k` distinctive phrases of theme `theme` among detractors' clauses, by how much
/// more often they occur there than elsewhere (smoothed log ratio x count); a phrase said
/// mostly by the clauses of a better one is skipped. Needs at least 3 clauses per phrase.
pub fn subtopics(a: &Analysis, theme: usize, k: usize, mask: impl Fn(&str) -> String) -> Vec<Subtopic> {
    let mut inside: Vec<usize> = Vec::new();
    let mut outside: Vec<usize> = Vec::new();
    for (c, score) in a.text.comments.iter().zip(&a.input.responses.score) {
        for &u in &c.clauses {
            if a.clause_themes[u].iter().any(|x| x.0 == theme) {
                if *score <= 6 {
                    inside.push(u);
                }
            } else {
                outside.push(u);
            }
        }
    }
    if inside.len() < 3 {
        return Vec::new();
    }
    let mut found: BTreeMap<String, Found> = BTreeMap::new();
    for (i, &u) in inside.iter().enumerate() {
        for (key, shown) in phrases(&a.text.unique[u]) {
            let e = found.entry(key).or_insert((Vec::new(), BTreeMap::new(), u));
            e.0.push(i);
            *e.1.entry(shown).or_default() += 1;
            if a.text.unique[u].len() < a.text.unique[e.2].len() {
                e.2 = u;
            }
        }
    }
    found.retain(|_, v| v.0.len() >= 3);
    let mut count_out: BTreeMap<&str, usize> = BTreeMap::new();
    for &u in &outside {
        for key in phrases(&a.text.unique[u]).into_keys() {
            if let Some((k, _)) = found.get_key_value(&key) {
                *count_out.entry(k.as_str()).or_default() += 1;
            }
        }
    }
    let (n_in, n_out) = (inside.len() as f64, outside.len().max(1) as f64);
    let mut scored: Vec<(f64, &String)> = found
        .iter()
        .map(|(key, v)| {
            let (n, out) = (v.0.len() as f64, count_out.get(key.as_str()).copied().unwrap_or(0) as f64);
            (((n + 0.5) / n_in / ((out + 0.5) / n_out)).ln() * n, key)
        })
        .filter(|(score, _)| *score > 0.0)
        .collect();
    scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(y.1)));
    // A phrase mostly said by the same clauses as a chosen one is the same sub-topic.
    let mut covered = BTreeSet::new();
    let mut out = Vec::new();
    for (_, key) in scored {
        let (at, forms, example) = &found[key];
        if at.iter().filter(|i| covered.contains(*i)).count() * 2 > at.len() {
            continue;
        }
        covered.extend(at.iter().copied());
        let shown = forms.iter().max_by(|x, y| x.1.cmp(y.1).then(y.0.cmp(x.0))).map_or(key.clone(), |f| f.0.clone());
        out.push(Subtopic { phrase: shown, count: at.len(), example: mask(&a.text.unique[*example]) });
        if out.len() == k {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phrases_skip_stop_words_at_their_edges_and_keep_accents_for_display() {
        let p = phrases("Le technicien n'est jamais venu, pas de réseau depuis 3 jours");
        assert!(!p.contains_key("technicien n est"));
        assert_eq!(p.get("technicien").map(String::as_str), None, "single words are not phrases");
        assert!(p.keys().all(|k| k.split(' ').count() >= 2));
        assert!(p.values().any(|v| v == "jamais venu"), "{p:?}");
        assert!(!p.keys().any(|k| k.ends_with(" de") || k.starts_with("n ")), "{p:?}");
        let p = phrases("Pas de réseau à la maison");
        assert_eq!(p.get("pas de reseau").map(String::as_str), Some("pas de réseau"), "shown as written: {p:?}");
    }
}
