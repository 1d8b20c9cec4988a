//! Language of a comment with a confidence. Low-confidence guesses are kept and flagged
//! (`language_reliable = false`), never dropped.
//!
//! A reliable detection may be any of seven European languages. An unreliable one (short
//! comments: "ok", "Moyen", "Super service") is first decided by French and English
//! function words, then by trigrams between French and English only: on such texts the
//! trigram statistics guessed Spanish, German, Dutch, Italian or Portuguese for one
//! French or English comment in twelve of the bundled sample, and feedback is mostly
//! French and English.

use whatlang::{Detector, Lang};

/// Detected language: ISO 639-1 code ("fr", "en", ...), confidence 0..1, reliability.
#[derive(Debug, Clone, PartialEq)]
pub struct Language {
    pub code: &'static str,
    pub confidence: f64,
    pub reliable: bool,
}

const ALLOWED: [Lang; 7] = [Lang::Fra, Lang::Eng, Lang::Spa, Lang::Deu, Lang::Ita, Lang::Por, Lang::Nld];

/// Short French and English function words: they decide very short comments, where
/// trigram statistics have little to go on.
const FR: &[&str] = &[
    "le", "la", "les", "des", "du", "un", "une", "est", "et", "très", "tres", "pas", "trop", "je", "j'ai", "de",
    "mais", "pour", "avec", "sur", "bien", "rien", "merci", "au", "aux", "ne", "plus", "c'est", "ras",
];
const EN: &[&str] = &[
    "the", "a", "an", "is", "and", "very", "not", "too", "i", "it", "of", "but", "for", "with", "on", "good", "great",
    "nothing", "thanks", "to", "was", "my", "you", "your", "no", "this", "so",
];

pub fn detect(text: &str) -> Language {
    let detector = Detector::with_allowlist(ALLOWED.to_vec());
    let info = detector.detect(text);
    let words: Vec<String> = text
        .split(|c: char| !(c.is_alphanumeric() || c == '\''))
        .filter(|w| !w.is_empty())
        .map(|w| w.to_lowercase())
        .collect();
    let fr = words.iter().filter(|w| FR.contains(&w.as_str())).count();
    let en = words.iter().filter(|w| EN.contains(&w.as_str())).count();
    match info {
        Some(i) if i.is_reliable() => Language { code: code(i.lang()), confidence: i.confidence(), reliable: true },
        _ if fr != en && words.len() <= 12 => {
            let (code, votes) = if fr > en { ("fr", fr) } else { ("en", en) };
            let confidence = (votes as f64 / (fr + en) as f64 * 0.8).min(0.8);
            Language { code, confidence, reliable: false }
        }
        _ => match Detector::with_allowlist(vec![Lang::Fra, Lang::Eng]).detect(text) {
            Some(i) => Language { code: code(i.lang()), confidence: i.confidence(), reliable: false },
            None => Language { code: "und", confidence: 0.0, reliable: false },
        },
    }
}

fn code(l: Lang) -> &'static str {
    match l {
        Lang::Fra => "fr",
        Lang::Eng => "en",
        Lang::Spa => "es",
        Lang::Deu => "de",
        Lang::Ita => "it",
        Lang::Por => "pt",
        Lang::Nld => "nl",
        _ => "und",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english() {
        let fr = detect("Le service client est injoignable depuis trois semaines, c'est inadmissible.");
        assert_eq!(fr.code, "fr");
        assert!(fr.reliable);
        let en = detect("The delivery was late and nobody answered my emails for a week.");
        assert_eq!(en.code, "en");
    }

    #[test]
    fn short_texts_are_guessed_and_flagged() {
        let l = detect("Très bien");
        assert_eq!(l.code, "fr");
        let l = detect("Good service");
        assert_eq!(l.code, "en");
        assert!(!detect("ok").reliable);
    }

    #[test]
    fn unreliable_guesses_are_french_or_english() {
        for t in ["Moyen", "Ça va", "Super service", "Warm welcome in store.", "Réseau stable !", "Terrible"] {
            let l = detect(t);
            assert!(!l.reliable, "{t}");
            assert!(["fr", "en"].contains(&l.code), "{t}: {}", l.code);
        }
        let es = detect("El servicio de atención al cliente es muy lento y nadie contesta los correos.");
        assert_eq!((es.code, es.reliable), ("es", true), "a reliable detection keeps its language");
    }
}
