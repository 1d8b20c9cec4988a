//! Keyword evidence: whole words, accents and case ignored, French and English plurals.

use crate::schema::mapping::fold;

/// Folded words of a text ("Les Factures" -> ["les", "factures"]); apostrophes split
/// ("l'appli" -> ["l", "appli"]).
pub fn words(text: &str) -> Vec<String> {
    fold(text).split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).map(str::to_string).collect()
}

/// Whether a text word is the keyword word or one of its plural forms (factures / facture,
/// bills / bill, replies / reply, journaux / journal is not covered). Only the text side is
/// inflected, so "pris" never matches "prix".
fn same_word(text: &str, keyword: &str) -> bool {
    if text == keyword {
        return true;
    }
    let Some(rest) = text.strip_prefix(keyword) else {
        return keyword.strip_suffix('y').is_some_and(|k| text.strip_prefix(k) == Some("ies"))
            || keyword.strip_suffix("al").is_some_and(|k| text.strip_prefix(k) == Some("aux"));
    };
    matches!(rest, "s" | "x" | "es")
}

/// A keyword, pre-split into stems.
#[derive(Debug, Clone)]
pub struct Keyword {
    pub text: String,
    stems: Vec<String>,
}

impl Keyword {
    pub fn new(k: &str) -> Keyword {
        Keyword { text: k.to_string(), stems: words(k) }
    }

    /// Whether the keyword occurs as whole consecutive words in `text_words`.
    pub fn matches(&self, text_words: &[String]) -> bool {
        if self.stems.is_empty() || text_words.len() < self.stems.len() {
            return false;
        }
        text_words.windows(self.stems.len()).any(|win| win.iter().zip(&self.stems).all(|(w, s)| same_word(w, s)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(k: &str, t: &str) -> bool {
        Keyword::new(k).matches(&words(t))
    }

    #[test]
    fn whole_words_accents_case_plurals() {
        assert!(m("facture", "Mes FACTURES sont fausses"));
        assert!(m("prélèvement", "deux prelevements ce mois"));
        assert!(m("réseau", "Pas de reseau"));
        assert!(m("prix", "les prix augmentent"));
        assert!(m("bill", "two bills this month"));
        assert!(m("on hold", "45 minutes ON HOLD"));
        assert!(m("app", "the app crashes"));
        assert!(!m("app", "I'm happy with the apple store"), "whole words only");
        assert!(!m("box", "inbox full"));
        assert!(m("appli", "l'appli plante"));
        assert!(!m("on hold", "hold on"));
        assert!(!m("prix", "personne n'a pris la peine"), "pris is not prix");
        assert!(m("reply", "no replies"));
        assert!(m("journal", "les journaux"));
    }
}
