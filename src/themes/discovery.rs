//! Discovery: what no theme covers. Unclassified clauses are clustered (agglomerative,
//! average linkage, cosine similarity threshold; deterministic), each cluster is named by
//! its distinctive words (class-based TF-IDF with French and English stop words) and shown
//! with three representative clauses. A cluster close to one of the previous run's keeps
//! its id, so weekly runs stay comparable.

use serde::{Deserialize, Serialize};

use super::keywords::words;

#[derive(Debug, Clone, Copy, Serialize)]
pub struct DiscoverySettings {
    /// Clusters merge while their average cosine similarity is at least this.
    pub min_similarity: f32,
    /// Least number of clause occurrences for a cluster to be proposed.
    pub min_size: usize,
    /// At most this many distinct clauses (the most frequent) are clustered.
    pub max_clauses: usize,
    /// Centroid similarity above which a cluster keeps a previous run's id.
    pub same_as_previous: f32,
}

impl Default for DiscoverySettings {
    fn default() -> Self {
        DiscoverySettings { min_similarity: 0.9, min_size: 5, max_clauses: 1500, same_as_previous: 0.92 }
    }
}

/// A proposed theme.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Proposal {
    pub id: String,
    pub label: String,
    pub keywords: Vec<String>,
    /// Clause occurrences (with repeats).
    pub size: usize,
    pub representatives: Vec<String>,
    /// Indices into the clause table given to `discover`.
    #[serde(skip)]
    pub members: Vec<usize>,
    pub centroid: Vec<f32>,
    /// Whether the id was carried over from the previous run.
    pub carried_over: bool,
}

/// French and English stop words (discovery labels, report sub-topics).
pub const STOP: &[&str] = &[
    // French
    "le",
    "la",
    "les",
    "l",
    "un",
    "une",
    "des",
    "du",
    "de",
    "d",
    "et",
    "ou",
    "mais",
    "a",
    "au",
    "aux",
    "en",
    "est",
    "sont",
    "etait",
    "ete",
    "je",
    "j",
    "tu",
    "il",
    "elle",
    "on",
    "nous",
    "vous",
    "ils",
    "elles",
    "me",
    "m",
    "te",
    "se",
    "s",
    "ce",
    "c",
    "ca",
    "cette",
    "ces",
    "mon",
    "ma",
    "mes",
    "ton",
    "son",
    "sa",
    "ses",
    "notre",
    "votre",
    "leur",
    "qui",
    "que",
    "qu",
    "quoi",
    "dans",
    "par",
    "pour",
    "sur",
    "avec",
    "sans",
    "sous",
    "ne",
    "n",
    "pas",
    "plus",
    "tres",
    "trop",
    "tout",
    "tous",
    "toute",
    "toutes",
    "y",
    "ai",
    "as",
    "avons",
    "avez",
    "ont",
    "fait",
    "faire",
    "comme",
    "si",
    "bien",
    "aussi",
    "encore",
    "deja",
    "jamais",
    "toujours",
    "vraiment",
    "merci",
    "cependant",
    "contre",
    "apres",
    "avant",
    // English
    "the",
    "a",
    "an",
    "and",
    "or",
    "but",
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "i",
    "you",
    "he",
    "she",
    "it",
    "we",
    "they",
    "my",
    "your",
    "our",
    "their",
    "this",
    "that",
    "these",
    "those",
    "to",
    "of",
    "in",
    "on",
    "for",
    "with",
    "without",
    "at",
    "by",
    "from",
    "not",
    "no",
    "very",
    "too",
    "so",
    "all",
    "have",
    "has",
    "had",
    "do",
    "does",
    "did",
    "just",
    "really",
    "always",
    "never",
    "again",
    "thanks",
    "however",
    "though",
    "m",
    "s",
    "t",
    "ve",
    "re",
    "ll",
    "d",
    "its",
    "me",
    "get",
    "got",
];

fn cosine(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

fn normalize(mut v: Vec<f32>) -> Vec<f32> {
    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
    v.iter_mut().for_each(|x| *x /= n);
    v
}

/// Average-linkage agglomerative clustering with a similarity threshold (Lance-Williams
/// update on the full similarity matrix; ties broken by the lowest indices).
pub fn agglomerate(emb: &[&[f32]], weights: &[usize], min_similarity: f32) -> Vec<Vec<usize>> {
    let n = emb.len();
    let mut sim = vec![vec![0f32; n]; n];
    for i in 0..n {
        for j in (i + 1)..n {
            let s = cosine(emb[i], emb[j]);
            sim[i][j] = s;
            sim[j][i] = s;
        }
    }
    let mut members: Vec<Vec<usize>> = (0..n).map(|i| vec![i]).collect();
    let mut size: Vec<f32> = weights.iter().map(|w| *w as f32).collect();
    let mut active: Vec<bool> = vec![true; n];
    loop {
        let mut best = (f32::MIN, 0, 0);
        for i in 0..n {
            if !active[i] {
                continue;
            }
            for j in (i + 1)..n {
                if active[j] && sim[i][j] > best.0 {
                    best = (sim[i][j], i, j);
                }
            }
        }
        let (s, a, b) = best;
        if s < min_similarity {
            break;
        }
        // Merge b into a; average linkage weighted by occurrences.
        let (wa, wb) = (size[a], size[b]);
        for k in 0..n {
            if active[k] && k != a && k != b {
                let v = (wa * sim[a][k] + wb * sim[b][k]) / (wa + wb);
                sim[a][k] = v;
                sim[k][a] = v;
            }
        }
        size[a] = wa + wb;
        active[b] = false;
        let moved = std::mem::take(&mut members[b]);
        members[a].extend(moved);
    }
    (0..n).filter(|&i| active[i]).map(|i| members[i].clone()).collect()
}

/// Cluster the clauses (texts, embeddings, occurrence counts) and propose themes.
/// `previous` are the proposals of the last run (for stable ids).
pub fn discover(
    texts: &[String],
    emb: &[Vec<f32>],
    counts: &[usize],
    previous: &[Proposal],
    s: &DiscoverySettings,
) -> Vec<Proposal> {
    // The most frequent clauses first (ties by text): a deterministic subset.
    let mut order: Vec<usize> = (0..texts.len()).collect();
    order.sort_by(|&a, &b| counts[b].cmp(&counts[a]).then(texts[a].cmp(&texts[b])));
    order.truncate(s.max_clauses);
    let sub_emb: Vec<&[f32]> = order.iter().map(|&i| emb[i].as_slice()).collect();
    let sub_w: Vec<usize> = order.iter().map(|&i| counts[i]).collect();
    let clusters: Vec<Vec<usize>> = agglomerate(&sub_emb, &sub_w, s.min_similarity)
        .into_iter()
        .map(|c| c.into_iter().map(|k| order[k]).collect::<Vec<usize>>())
        .filter(|c| c.iter().map(|&i| counts[i]).sum::<usize>() >= s.min_size && c.len() >= 2)
        .collect();

    // Class-based TF-IDF: a term's frequency in the cluster x log(1 + mean words per
    // cluster / the term's frequency over all clusters).
    let tf: Vec<std::collections::BTreeMap<String, f64>> = clusters
        .iter()
        .map(|c| {
            let mut m = std::collections::BTreeMap::new();
            for &i in c {
                for w in words(&texts[i]) {
                    if w.len() > 2 && !STOP.contains(&w.as_str()) && !w.chars().all(|ch| ch.is_ascii_digit()) {
                        *m.entry(w).or_insert(0.0) += counts[i] as f64;
                    }
                }
            }
            m
        })
        .collect();
    let mut total: std::collections::BTreeMap<&str, f64> = std::collections::BTreeMap::new();
    for m in &tf {
        for (w, c) in m {
            *total.entry(w.as_str()).or_insert(0.0) += c;
        }
    }
    let mean_words = tf.iter().map(|m| m.values().sum::<f64>()).sum::<f64>() / tf.len().max(1) as f64;

    let mut out: Vec<Proposal> = clusters
        .iter()
        .zip(&tf)
        .map(|(c, m)| {
            let mut scored: Vec<(f64, &String)> =
                m.iter().map(|(w, f)| (f * (1.0 + mean_words / total[w.as_str()]).ln(), w)).collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
            let keywords: Vec<String> = scored.iter().take(3).map(|(_, w)| (*w).clone()).collect();
            let mut centroid = vec![0f32; emb[0].len()];
            for &i in c {
                centroid.iter_mut().zip(&emb[i]).for_each(|(a, b)| *a += b * counts[i] as f32);
            }
            let centroid = normalize(centroid);
            let mut by_closeness: Vec<usize> = c.clone();
            by_closeness
                .sort_by(|&a, &b| cosine(&emb[b], &centroid).total_cmp(&cosine(&emb[a], &centroid)).then(a.cmp(&b)));
            let label = if keywords.is_empty() { texts[by_closeness[0]].clone() } else { keywords.join(" / ") };
            Proposal {
                id: String::new(),
                label,
                keywords,
                size: c.iter().map(|&i| counts[i]).sum(),
                representatives: by_closeness.iter().take(3).map(|&i| texts[i].clone()).collect(),
                members: c.clone(),
                centroid,
                carried_over: false,
            }
        })
        .collect();
    out.sort_by(|a, b| b.size.cmp(&a.size).then(a.label.cmp(&b.label)));
    // Stable ids: the closest previous proposal above the threshold, each used once.
    let mut used = vec![false; previous.len()];
    for p in &mut out {
        let best = previous
            .iter()
            .enumerate()
            .filter(|(k, _)| !used[*k])
            .map(|(k, q)| (k, cosine(&q.centroid, &p.centroid)))
            .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        match best {
            Some((k, sim)) if sim >= s.same_as_previous => {
                used[k] = true;
                p.id = previous[k].id.clone();
                p.carried_over = true;
            }
            _ => {
                use sha2::Digest;
                let h = sha2::Sha256::digest(p.keywords.join(" ").as_bytes());
                p.id = format!(
                    "new_{}_{}",
                    p.keywords.first().cloned().unwrap_or_else(|| "theme".into()),
                    hex::encode(&h[..2])
                );
            }
        }
    }
    out
}

/// A themes.toml snippet for the proposals, ready to paste and edit.
pub fn toml_snippet(proposals: &[Proposal]) -> String {
    let mut s = String::from(
        "# Themes proposed by discovery: clauses no theme covered, clustered and named by their\n\
         # distinctive words. Review, rename, and paste the ones worth tracking into themes.toml.\n",
    );
    for p in proposals {
        let examples: Vec<String> = p.representatives.iter().map(|r| format!("{:?}", r)).collect();
        let keywords: Vec<String> = p.keywords.iter().map(|k| format!("{k:?}")).collect();
        s.push_str(&format!(
            "\n[[theme]]\nid = {:?}\nlabel = {:?}  # {} mentions\n[theme.en]\nkeywords = [{}]\nexamples = [{}]\n",
            p.id,
            p.label,
            p.size,
            keywords.join(", "),
            examples.join(", ")
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(x: f32, y: f32) -> Vec<f32> {
        normalize(vec![x, y, 0.0])
    }

    #[test]
    fn clusters_close_points_and_keeps_ids() {
        let texts: Vec<String> =
            ["parking payant cher", "parking trop cher", "le parking est cher", "musique trop forte", "musique forte"]
                .iter()
                .map(|s| s.to_string())
                .collect();
        let emb = vec![v(1.0, 0.0), v(1.0, 0.05), v(0.98, 0.02), v(0.0, 1.0), v(0.05, 1.0)];
        let counts = vec![3, 2, 1, 4, 2];
        let s = DiscoverySettings { min_similarity: 0.95, min_size: 3, max_clauses: 100, same_as_previous: 0.9 };
        let p = discover(&texts, &emb, &counts, &[], &s);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].size, 6);
        assert!(p.iter().any(|x| x.keywords.contains(&"parking".to_string())));
        // Same input: same output (deterministic); with the previous run, ids are kept.
        assert_eq!(p, discover(&texts, &emb, &counts, &[], &s));
        let mut prev = p.clone();
        prev[0].id = "parking_fees".into();
        let again = discover(&texts, &emb, &counts, &prev, &s);
        assert!(again.iter().any(|x| x.id == "parking_fees" && x.carried_over));
        assert!(toml_snippet(&again).contains("id = \"parking_fees\""));
    }
}
