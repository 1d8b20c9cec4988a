//! followup.csv: detractors to call back (the inner loop), with their contact columns,
//! score, comment (personal data masked unless --no-mask), themes, sentiment and a priority,
//! newest first.

use crate::schema::mapping::fold;

/// Words that say a customer is about to leave.
const URGENT: &[&str] = &[
    "resilier",
    "resiliation",
    "resilie",
    "je pars",
    "partir",
    "quitter",
    "concurrent",
    "concurrence",
    "changer d'operateur",
    "cancel",
    "cancelling",
    "canceling",
    "cancellation",
    "switch",
    "switching",
    "leave",
    "leaving",
    "terminate",
    "close my account",
    "competitor",
];

/// Whether the comment signals intent to leave (accents and case ignored, whole words).
pub fn urgent(comment: &str) -> bool {
    let words: Vec<String> = crate::themes::keywords::words(comment);
    URGENT
        .iter()
        .any(|u| crate::themes::Keyword::new(u).matches(&words) || fold(comment).contains(u) && u.contains(' '))
}

/// Priority in 0..1: lower score, stronger negativity and urgent signals call first.
/// 0.5 x (6 - score) / 6 + 0.3 x max(0, -sentiment_score) + 0.2 x urgent.
pub fn priority(score: u8, sentiment_score: Option<f32>, urgent: bool) -> f64 {
    let s = 0.5 * (6.0 - score.min(6) as f64) / 6.0;
    let n = 0.3 * sentiment_score.map_or(0.0, |x| (-x as f64).max(0.0));
    let u = if urgent { 0.2 } else { 0.0 };
    ((s + n + u) * 1000.0).round() / 1000.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urgency_and_priority() {
        assert!(urgent("Je vais résilier dès la fin du contrat"));
        assert!(urgent("I'm switching to another provider"));
        assert!(urgent("je pars chez la concurrence"));
        assert!(!urgent("Le conseiller était parfait"));
        assert!(priority(0, Some(-1.0), true) > priority(0, Some(-1.0), false));
        assert!(priority(0, Some(-0.5), false) > priority(6, Some(-0.5), false));
        assert_eq!(priority(0, Some(-1.0), true), 1.0);
        assert_eq!(priority(6, Some(0.8), false), 0.0);
    }
}
