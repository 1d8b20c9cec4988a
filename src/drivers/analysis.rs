//! The drivers stage of a run: what each response says of each theme (mentions, negative
//! mentions, rolled up to parent themes), then the driver tables overall, per period and
//! per segment value.

use super::{assign_tiers, driver_table, DriverRow, ResponseThemes};
use crate::schema::columns::{ALL, UNDATED};
use crate::text::Prepared;
use crate::themes::ThemeInfo;
use crate::validate::Responses;

/// The drivers stage: driver rows of the leaf themes and their parents (rolled up), overall,
/// per period (with the change of impact since the previous period) and per segment value.
/// A clause's mention is negative when its sentiment is.
pub fn driver_rows(
    r: &Responses,
    p: &Prepared,
    clause_probs: &[[f32; 3]],
    clause_themes: &[Vec<(usize, f32)>],
    leaves: &[ThemeInfo],
) -> Vec<DriverRow> {
    let (list, per_response) = responses_with_themes(r, p, clause_probs, clause_themes, leaves);
    let all: Vec<&ResponseThemes> = per_response.iter().collect();
    let valued = r.values.monetary.is_some();
    let table = |key: (&str, &str, &str), group: &[&ResponseThemes]| {
        let mut rows = driver_table(key, group, &list, valued);
        assign_tiers(&mut rows, group, leaves.len());
        rows
    };
    let mut rows = table((ALL, ALL, ALL), &all);
    let mut previous: Option<Vec<DriverRow>> = None;
    for (code, label) in r.period.labels.iter().enumerate() {
        let group: Vec<&ResponseThemes> =
            per_response.iter().zip(&r.period.codes).filter(|(_, c)| **c as usize == code).map(|(x, _)| x).collect();
        let mut period = table((label, ALL, ALL), &group);
        if label != UNDATED {
            if let Some(prev) = &previous {
                for (row, before) in period.iter_mut().zip(prev) {
                    row.delta_impact_vs_previous = row.impact.zip(before.impact).map(|(a, b)| a - b);
                }
            }
            previous = Some(period.clone());
        }
        rows.extend(period);
    }
    for (name, seg) in &r.segments {
        for (code, value) in seg.labels.iter().enumerate() {
            let group: Vec<&ResponseThemes> =
                per_response.iter().zip(&seg.codes).filter(|(_, c)| **c as usize == code).map(|(x, _)| x).collect();
            rows.extend(table((ALL, name, value), &group));
        }
    }
    rows
}

/// The themes drivers are computed for (leaves, then their parents: (id, label)), and
/// what each response says of them.
fn responses_with_themes(
    r: &Responses,
    p: &Prepared,
    clause_probs: &[[f32; 3]],
    clause_themes: &[Vec<(usize, f32)>],
    leaves: &[ThemeInfo],
) -> (Vec<(String, String)>, Vec<ResponseThemes>) {
    // Leaves, then their parents (rolled up).
    let mut list: Vec<(String, String)> = leaves.iter().map(|t| (t.id.clone(), t.label.clone())).collect();
    for t in leaves {
        if let Some(parent) = &t.parent {
            if !list.iter().any(|(id, _)| id == parent) {
                list.push((parent.clone(), t.parent_label.clone().unwrap_or_else(|| parent.clone())));
            }
        }
    }
    let parent_of: Vec<Option<usize>> =
        leaves.iter().map(|t| t.parent.as_ref().and_then(|pid| list.iter().position(|(id, _)| id == pid))).collect();
    let per_response: Vec<ResponseThemes> = p
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let value = r.values.monetary().and_then(|v| v[i]);
            let mut rt = ResponseThemes { score: r.score[i], themes: Vec::new(), mentions: Vec::new(), value };
            for &u in &c.clauses {
                let negative = crate::sentiment::clause_label(&clause_probs[u]).0 == "negative";
                for &(t, _) in &clause_themes[u] {
                    for theme in std::iter::once(Some(t)).chain(std::iter::once(parent_of[t])).flatten() {
                        match rt.themes.iter().position(|x| *x == theme) {
                            Some(k) => {
                                rt.mentions[k].0 += 1;
                                rt.mentions[k].1 += u32::from(negative);
                            }
                            None => {
                                rt.themes.push(theme);
                                rt.mentions.push((1, u32::from(negative)));
                            }
                        }
                    }
                }
            }
            rt
        })
        .collect();
    (list, per_response)
}
