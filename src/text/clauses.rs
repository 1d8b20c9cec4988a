//! Splitting a comment into clauses: at sentence ends, at ";", and before contrast markers
//! ("mais", "cependant", "par contre", "but", "however", ...), so that "produit très bien
//! mais prix trop élevé" yields two findings with their own sentiment and themes.

/// One-word contrast markers (lower case).
const MARKERS: &[&str] = &[
    "mais",
    "cependant",
    "toutefois",
    "néanmoins",
    "neanmoins",
    "pourtant",
    "sauf",
    "but",
    "however",
    "although",
    "though",
    "whereas",
    "except",
    "unfortunately",
    "malheureusement",
];
/// Two-word contrast markers.
const MARKERS2: &[(&str, &str)] = &[("par", "contre"), ("en", "revanche"), ("even", "though"), ("by", "contrast")];
/// Words ending with "." that do not end a sentence.
const ABBREVIATIONS: &[&str] =
    &["m.", "mme.", "mr.", "mrs.", "ms.", "dr.", "etc.", "e.g.", "i.e.", "vs.", "st.", "n°."];

/// Byte ranges of the clauses of `text` (a normalised comment), in order. Pieces of fewer
/// than two words are merged into a neighbour.
pub fn split(text: &str) -> Vec<&str> {
    let words: Vec<(usize, usize)> = word_spans(text);
    if words.is_empty() {
        return Vec::new();
    }
    let lower: Vec<String> = words.iter().map(|&(a, b)| text[a..b].to_lowercase()).collect();
    let bare = |i: usize| lower[i].trim_matches(|c: char| !c.is_alphanumeric()).to_string();
    // Boundaries are word indices where a new clause starts.
    let mut starts = vec![0usize];
    for i in 1..words.len() {
        let prev = &lower[i - 1];
        let ends_sentence = prev.ends_with(['.', '!', '?', '…', ';'])
            && !ABBREVIATIONS.contains(&prev.as_str())
            && !(prev.len() <= 2 && prev.ends_with('.'));
        let w = bare(i);
        let marker = MARKERS.contains(&w.as_str())
            || (i + 1 < words.len() && MARKERS2.iter().any(|(a, b)| *a == w && *b == bare(i + 1)));
        // A marker right after a comma or at a clause start also splits ("bien, mais cher").
        if ends_sentence || marker {
            starts.push(i);
        }
    }
    starts.dedup();
    // Merge pieces with fewer than 2 words into the previous one (or the next, for the first).
    let mut merged: Vec<(usize, usize)> = Vec::new(); // word index ranges [from, to)
    for (k, &s) in starts.iter().enumerate() {
        let e = starts.get(k + 1).copied().unwrap_or(words.len());
        let n_words = (s..e).filter(|&i| lower[i].chars().any(char::is_alphanumeric)).count();
        match merged.last_mut() {
            Some(last) if n_words < 2 => last.1 = e,
            Some(last) if (last.1 - last.0) < 2 || count_alnum(&lower, *last) < 2 => last.1 = e,
            _ => merged.push((s, e)),
        }
    }
    merged
        .into_iter()
        .map(|(s, e)| {
            let (a, b) = (words[s].0, words[e - 1].1);
            text[a..b].trim_end_matches([',', ' ']).trim()
        })
        .filter(|c| c.chars().any(char::is_alphanumeric))
        .collect()
}

fn count_alnum(lower: &[String], (s, e): (usize, usize)) -> usize {
    (s..e).filter(|&i| lower[i].chars().any(char::is_alphanumeric)).count()
}

/// Byte spans of whitespace-separated words.
fn word_spans(text: &str) -> Vec<(usize, usize)> {
    let mut spans = Vec::new();
    let mut start = None;
    for (i, ch) in text.char_indices() {
        if ch.is_whitespace() {
            if let Some(s) = start.take() {
                spans.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        spans.push((s, text.len()));
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_markers_split() {
        assert_eq!(split("produit très bien mais prix trop élevé"), ["produit très bien", "mais prix trop élevé"]);
        assert_eq!(split("Great staff, but the app keeps crashing"), ["Great staff", "but the app keeps crashing"]);
        assert_eq!(
            split("Livraison rapide. Par contre le SAV est nul"),
            ["Livraison rapide.", "Par contre le SAV est nul"]
        );
        assert_eq!(
            split("Good price; however support never answers!"),
            ["Good price;", "however support never answers!"]
        );
    }

    #[test]
    fn sentences_split_but_abbreviations_and_short_pieces_do_not() {
        assert_eq!(split("Très bien. Rien à dire."), ["Très bien.", "Rien à dire."]);
        assert_eq!(split("M. Dupont était super"), ["M. Dupont était super"]);
        assert_eq!(split("Bien. Mais."), ["Bien. Mais."]);
        assert_eq!(split("RAS"), ["RAS"]);
        assert_eq!(split("ok"), ["ok"]);
        assert!(split("").is_empty());
        assert_eq!(split("version 3.5 plante"), ["version 3.5 plante"]);
    }
}
