//! followup.csv: detractors to call back (the inner loop), with their contact columns,
//! score, comment (personal data masked unless --no-mask), themes, sentiment and a priority,
//! newest first.

use std::collections::BTreeSet;
use std::path::Path;

use chrono::NaiveDate;
use serde_json::json;

use super::mask::mask;
use crate::output::csv_out::to_csv;
use crate::pipeline::Analysis;
use crate::schema::columns as c;
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
///
/// With a monetary value column (`value_rank`: Some, see [`value_ranks`]), a big spender
/// comes first: 0.4 x (6 - score) / 6 + 0.2 x max(0, -sentiment_score) + 0.15 x urgent +
/// 0.25 x value_rank (a detractor without a valid value has value_rank 0).
pub fn priority(score: u8, sentiment_score: Option<f32>, urgent: bool, value_rank: Option<f64>) -> f64 {
    let (ws, wn, wu, wv) = if value_rank.is_some() { (0.4, 0.2, 0.15, 0.25) } else { (0.5, 0.3, 0.2, 0.0) };
    let s = ws * (6.0 - score.min(6) as f64) / 6.0;
    let n = wn * sentiment_score.map_or(0.0, |x| (-x as f64).max(0.0));
    let u = if urgent { wu } else { 0.0 };
    let v = wv * value_rank.unwrap_or(0.0);
    ((s + n + u + v) * 1000.0).round() / 1000.0
}

/// Each response's value rank in 0..1: the share of the other responses with a value that
/// are worth strictly less (the biggest spender 1, the smallest 0, ties equal); 0 for a
/// response without a valid value. None without a monetary column.
pub fn value_ranks(values: Option<&[Option<f64>]>) -> Option<Vec<f64>> {
    let values = values?;
    let mut sorted: Vec<f64> = values.iter().flatten().copied().collect();
    sorted.sort_by(f64::total_cmp);
    let others = (sorted.len().max(2) - 1) as f64;
    Some(values.iter().map(|v| v.map_or(0.0, |v| sorted.partition_point(|x| *x < v) as f64 / others)).collect())
}

/// State kept in the output directory between runs: ids already listed in followup.csv.
pub const STATE_FILE: &str = ".followup-state.json";

/// Which detractors the list holds.
#[derive(Debug, Clone, Copy)]
pub struct FollowupOptions {
    /// Only detractors answering on or after this date.
    pub since: Option<NaiveDate>,
    /// Only detractors not listed by a previous run (see [`STATE_FILE`]).
    pub new_only: bool,
    /// Mask personal data inside comments.
    pub mask: bool,
}

/// Ids listed by previous runs, from the state file of `out_dir` (none when absent).
pub fn listed_before(out_dir: &Path) -> BTreeSet<String> {
    std::fs::read(out_dir.join(STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["listed"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()))
        .unwrap_or_default()
}

/// A detractor on the list: (date, priority, response index, urgent, new).
type Entry = (Option<NaiveDate>, f64, usize, bool, bool);

/// The detractors to call, newest first, then the most urgent.
fn select(a: &Analysis, opts: FollowupOptions, seen: &BTreeSet<String>) -> Vec<Entry> {
    let r = &a.input.responses;
    let ranks = value_ranks(r.values.monetary());
    let mut rows: Vec<Entry> = Vec::new();
    for i in 0..r.len() {
        if r.score[i] > 6 {
            continue;
        }
        if let Some(since) = opts.since {
            if r.date[i].is_none_or(|d| d < since) {
                continue;
            }
        }
        let is_new = !seen.contains(r.response_id.get(i));
        if opts.new_only && !is_new {
            continue;
        }
        let urgent = urgent(&a.text.comments[i].normalized);
        let rank = ranks.as_ref().map(|v| v[i]);
        rows.push((r.date[i], priority(r.score[i], a.sentiment[i].map(|s| s.1), urgent, rank), i, urgent, is_new));
    }
    rows.sort_by(|x, y| y.0.cmp(&x.0).then(y.1.total_cmp(&x.1)).then(x.2.cmp(&y.2)));
    rows
}

/// followup.csv and the updated state (the ids listed so far, this run's included).
pub fn followup(a: &Analysis, opts: FollowupOptions, seen: BTreeSet<String>) -> (Vec<u8>, serde_json::Value) {
    let r = &a.input.responses;
    let rows = select(a, opts, &seen);
    let mut header: Vec<&str> = vec![c::RESPONSE_ID, c::DATE];
    header.extend(r.contacts.iter().map(|(n, _)| n.as_str()));
    header.push(c::SCORE);
    // The customer's value, with a monetary column (issue 19).
    let money = r.values.monetary.as_ref();
    if money.is_some() {
        header.push(c::MONETARY_VALUE);
    }
    header.extend(["priority", "urgent", "new", c::SENTIMENT, c::THEMES, c::COMMENT]);
    let body = rows.iter().map(|&(date, priority, i, urgent, is_new)| {
        let mut v = vec![r.response_id.get(i).to_string(), date.map_or_else(String::new, |d| d.to_string())];
        v.extend(r.contacts.iter().map(|(_, col)| col.get(i).to_string()));
        let comment = r.comment.get(i);
        v.push(r.score[i].to_string());
        if let Some((_, values)) = money {
            v.push(values[i].map_or_else(String::new, |x| format!("{x:.2}")));
        }
        v.extend([
            format!("{priority:.3}"),
            urgent.to_string(),
            is_new.to_string(),
            a.sentiment[i].map_or_else(String::new, |s| s.0.to_string()),
            a.themes_of(i).join(";"),
            if opts.mask { mask(comment) } else { comment.to_string() },
        ]);
        v
    });
    let csv = to_csv(&header, body);
    let mut listed: Vec<String> = seen.into_iter().collect();
    listed.extend(rows.iter().map(|x| r.response_id.get(x.2).to_string()));
    listed.sort();
    listed.dedup();
    (csv, json!({ "listed": listed }))
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
        assert!(priority(0, Some(-1.0), true, None) > priority(0, Some(-1.0), false, None));
        assert!(priority(0, Some(-0.5), false, None) > priority(6, Some(-0.5), false, None));
        assert_eq!(priority(0, Some(-1.0), true, None), 1.0);
        assert_eq!(priority(6, Some(0.8), false, None), 0.0);
    }

    /// docs/METRICS.md "followup.csv priority with value": two detractors scoring 3 with the
    /// same comment sentiment (-0.6), one the biggest spender, one the smallest.
    #[test]
    fn metrics_md_worked_example_priority_with_value() {
        let ranks = value_ranks(Some(&[Some(3000.0), Some(60.0), Some(900.0), None, Some(900.0)])).unwrap();
        assert_eq!(ranks, [1.0, 0.0, 1.0 / 3.0, 0.0, 1.0 / 3.0]);
        let big = priority(3, Some(-0.6), false, Some(ranks[0]));
        let small = priority(3, Some(-0.6), false, Some(ranks[1]));
        // 0.4 x 3/6 + 0.2 x 0.6 + 0.25 x 1 = 0.2 + 0.12 + 0.25 = 0.57; the small spender 0.32.
        assert_eq!((big, small), (0.57, 0.32));
        assert_eq!(priority(0, Some(-1.0), true, Some(1.0)), 1.0);
        assert_eq!(value_ranks(None), None);
    }
}
