//! The report's view model: what report.md and report.html show, built from an
//! [`Analysis`] only (`render` turns it into Markdown and HTML).

use std::collections::BTreeMap;

use super::changes;
use super::render::{DriverLine, KeyDriverTable, Report, ValueSection};
use super::subtopics::{self, Subtopic};
use crate::drivers::{self, DriverRow};
use crate::pipeline::Analysis;
use crate::schema::columns as c;

/// How the report is written.
#[derive(Debug, Clone, Copy)]
pub struct ViewOptions<'a> {
    /// Mask personal data inside verbatims.
    pub mask: bool,
    /// `fr` or `en`; None: the majority language of the comments.
    pub lang: Option<&'a str>,
}

/// The report of an analysis.
pub fn report(a: &Analysis, opts: ViewOptions) -> Report {
    let languages = languages(a);
    let lang = report_language(opts.lang, &languages);
    let fr = lang == "fr";
    let overall = changes::overall(a);
    let (drivers, groups) = driver_lines(a, opts.mask);
    Report {
        key_drivers: key_drivers(a),
        lang,
        title: if fr { "Rapport NPS".into() } else { "NPS report".into() },
        n: overall.map_or(0, |o| o.tally.n),
        nps: overall.and_then(|o| o.nps),
        moe95: overall.map_or(0.0, |o| o.moe95),
        trend: changes::period_rows(a).iter().map(|x| (x.period.clone(), x.nps, x.moe95, x.tally.n)).collect(),
        headline: changes::headline(a),
        drivers,
        groups,
        emerging: a
            .proposals
            .iter()
            .take(5)
            .map(|(x, t)| {
                let example = x.representatives.first().map_or("", String::as_str);
                (x.id.clone(), x.label.clone(), x.size, t.nps(), masked(opts.mask, example))
            })
            .collect(),
        segments: changes::segments(a),
        inside: inside_top_drivers(a, opts.mask),
        quality: quality(a, fr, &languages),
        value: value_section(a),
        targets: a.targets.clone(),
    }
}

/// Customer value: the value-weighted NPS, themes by NPS points and by revenue at risk side
/// by side (the ranked leaf themes, ten of each), the RFM segments. None without a
/// monetary column.
pub fn value_section(a: &Analysis) -> Option<ValueSection> {
    let (column, _) = a.input.responses.values.monetary.as_ref()?;
    let overall = a.nps.iter().find(|r| r.period == c::ALL && r.segment == c::ALL)?;
    let w = overall.weighted?;
    let ids = a.theme_ids();
    let leaves: Vec<&DriverRow> = a
        .drivers
        .iter()
        .filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked && ids.contains(&d.theme.as_str()))
        .collect();
    let mut by_points = leaves.clone();
    by_points.sort_by(|x, y| crate::drivers::by_impact(x, y));
    let mut by_revenue = leaves;
    by_revenue.sort_by(|x, y| {
        y.revenue_at_risk.unwrap_or(0.0).total_cmp(&x.revenue_at_risk.unwrap_or(0.0)).then(x.theme.cmp(&y.theme))
    });
    let rank = |name: &str| crate::value::rfm::SEGMENTS.iter().position(|s| *s == name).unwrap_or(usize::MAX);
    let mut rfm: Vec<&crate::nps::NpsRow> =
        a.nps.iter().filter(|r| r.period == c::ALL && r.segment == crate::value::rfm::SEGMENT_COLUMN).collect();
    rfm.sort_by_key(|r| (rank(&r.value), r.value.clone()));
    Some(ValueSection {
        column: column.clone(),
        nps_weighted: w.nps(),
        moe95_weighted: w.moe95(),
        n_valued: w.n,
        n_effective: w.n_effective(),
        value_total: w.w,
        nps: overall.nps,
        by_points: by_points
            .iter()
            .take(10)
            .map(|d| (a.theme_label(&d.theme), d.impact.unwrap_or(0.0), d.impact_weighted))
            .collect(),
        by_revenue: by_revenue
            .iter()
            .take(10)
            .map(|d| {
                let risk = d.revenue_at_risk.unwrap_or(0.0);
                (a.theme_label(&d.theme), risk, d.revenue_at_risk_share, d.revenue_at_risk_passives.unwrap_or(0.0))
            })
            .collect(),
        rfm: rfm
            .iter()
            .map(|r| {
                let w = r.weighted.unwrap_or_default();
                (r.value.clone(), r.tally.n, r.nps, r.moe95, w.nps(), w.w)
            })
            .collect(),
    })
}

/// The distinctive phrases inside the three leaf themes costing most points.
fn inside_top_drivers(a: &Analysis, mask: bool) -> Vec<(String, Vec<Subtopic>)> {
    let ids = a.theme_ids();
    let mut costing: Vec<&DriverRow> = a
        .drivers
        .iter()
        .filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked && d.impact.is_some_and(|i| i < 0.0))
        .filter(|d| ids.contains(&d.theme.as_str()))
        .collect();
    costing.sort_by(|x, y| crate::drivers::by_impact(x, y));
    costing
        .iter()
        .take(3)
        .filter_map(|d| {
            let t = ids.iter().position(|id| *id == d.theme)?;
            Some((a.theme_label(&d.theme), subtopics::subtopics(a, t, 4, |text| masked(mask, text))))
        })
        .filter(|(_, s)| !s.is_empty())
        .collect()
}

/// Comments per detected language code.
pub fn languages(a: &Analysis) -> BTreeMap<&'static str, usize> {
    let mut languages = BTreeMap::<&str, usize>::new();
    a.text.comments.iter().filter_map(|c| c.language.as_ref()).for_each(|l| *languages.entry(l.code).or_default() += 1);
    languages
}

/// The language asked for, else French when more comments are French than English.
fn report_language(asked: Option<&str>, languages: &BTreeMap<&str, usize>) -> &'static str {
    match asked {
        Some("fr") => "fr",
        Some(_) => "en",
        None if languages.get("fr").copied().unwrap_or(0) > languages.get("en").copied().unwrap_or(0) => "fr",
        None => "en",
    }
}

fn masked(mask: bool, t: &str) -> String {
    if mask {
        super::mask::mask(t)
    } else {
        t.to_string()
    }
}

/// Representative verbatims of a theme: the detractors' clauses closest to their centroid.
fn examples(a: &Analysis, theme: &str, mask: bool) -> Vec<String> {
    let Some(t) = a.themes.iter().position(|x| x.id == theme) else { return Vec::new() };
    let mut clauses: Vec<usize> = a
        .text
        .comments
        .iter()
        .zip(&a.input.responses.score)
        .filter(|(_, s)| **s <= 6)
        .flat_map(|(c, _)| c.clauses.iter().copied().filter(|&u| a.clause_themes[u].iter().any(|x| x.0 == t)))
        .collect();
    clauses.sort();
    clauses.dedup();
    if clauses.is_empty() {
        return Vec::new();
    }
    let emb = &a.embeddings;
    let mut centroid = vec![0f32; emb[clauses[0]].len()];
    clauses.iter().for_each(|&u| centroid.iter_mut().zip(&emb[u]).for_each(|(x, y)| *x += y));
    let cos = |u: usize| emb[u].iter().zip(&centroid).map(|(x, y)| x * y).sum::<f32>();
    clauses.sort_by(|&x, &y| cos(y).total_cmp(&cos(x)).then(x.cmp(&y)));
    clauses.iter().take(3).map(|&u| masked(mask, &a.text.unique[u])).collect()
}

/// The overall, ranked rows of the leaf themes by impact (most costly first), with their
/// tiers (drivers.parquet's `tier`): drivers of one tier are too close to rank apart with
/// these responses.
pub fn ranked_leaves(a: &Analysis) -> Vec<(&DriverRow, usize)> {
    let mut rows: Vec<(&DriverRow, usize)> = a
        .drivers
        .iter()
        .filter(|d| d.period == c::ALL && d.segment == c::ALL)
        .filter_map(|d| d.tier.map(|t| (d, t as usize)))
        .collect();
    rows.sort_by(|(x, _), (y, _)| crate::drivers::by_impact(x, y));
    rows
}

/// Overall rows by impact: the leaf themes for the table (with examples and tiers), their
/// parents (rolled up, with their children's labels) for the list below it.
fn driver_lines(a: &Analysis, mask: bool) -> (Vec<DriverLine>, Vec<DriverLine>) {
    let theme_ids = a.theme_ids();
    let mut parents: Vec<&DriverRow> = a
        .drivers
        .iter()
        .filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked && !theme_ids.contains(&d.theme.as_str()))
        .collect();
    parents.sort_by(|x, y| crate::drivers::by_impact(x, y));
    let line = |d: &DriverRow, label: String, tier: Option<usize>, examples: Vec<String>| DriverLine {
        label,
        n_mentions: d.n_mentions,
        share: d.share,
        nps_with: d.nps_with,
        impact: d.impact.unwrap_or(0.0),
        impact_moe95: d.impact_moe95,
        tier,
        lift: d.lift,
        q_value: d.q_value,
        negative_share: d.negative_share,
        examples,
    };
    let leaves = ranked_leaves(a)
        .into_iter()
        .take(12)
        .map(|(d, tier)| line(d, a.theme_label(&d.theme), Some(tier), examples(a, &d.theme, mask)))
        .collect();
    let groups = parents
        .iter()
        .map(|d| {
            let children =
                a.themes.iter().filter(|t| t.parent.as_deref() == Some(d.theme.as_str())).map(|t| t.label.clone());
            line(d, d.label.clone(), None, children.collect())
        })
        .collect();
    (leaves, groups)
}

/// The data-quality lines: reconciliation of rows, languages and the run's warnings.
fn quality(a: &Analysis, fr: bool, languages: &BTreeMap<&str, usize>) -> Vec<(String, String)> {
    let counts = &a.input.counts;
    let tr = |f: &str, e: &str| if fr { f } else { e }.to_string();
    let warnings = a.input.warnings.iter().map(|w| (tr("⚠ avertissement", "⚠ warning"), w.clone()));
    let mut lines = vec![
        (tr("lignes lues", "rows read"), counts.rows_read.to_string()),
        (tr("acceptées", "accepted"), counts.accepted.to_string()),
        (tr("rejetées (rejects.csv)", "rejected (rejects.csv)"), counts.rejected.to_string()),
        (tr("doublons", "duplicates"), counts.duplicates.to_string()),
        (tr("sans commentaire", "without comment"), counts.empty_comments.to_string()),
        (tr("langues", "languages"), languages.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")),
    ];
    // With customer value columns only: the value cells left out (their responses count).
    let v = &a.input.responses.values;
    if v.monetary.is_some() || v.recency_days.is_some() || v.frequency.is_some() || v.tenure.is_some() {
        lines.insert(
            4,
            (
                tr(
                    "valeurs client écartées (rejects.csv, portée value ; réponses acceptées)",
                    "customer values left out (rejects.csv, scope value; responses accepted)",
                ),
                counts.values_rejected.to_string(),
            ),
        );
    }
    lines.extend(warnings);
    lines
}

/// Key-driver model over the most mentioned leaf themes: R² and (label, share of R², odds
/// ratio) by share.
pub fn key_drivers(a: &Analysis) -> Option<KeyDriverTable> {
    let mentions = |t: usize| a.response_themes.iter().filter(|ts| ts.contains(&t)).count();
    let mut counts_by_theme: Vec<(usize, usize)> =
        (0..a.themes.len()).map(|t| (mentions(t), t)).filter(|(n, _)| *n as u64 >= drivers::MIN_MENTIONS).collect();
    counts_by_theme.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(&y.1)));
    counts_by_theme.truncate(drivers::keydriver::MAX_THEMES);
    let chosen: Vec<usize> = counts_by_theme.iter().map(|x| x.1).collect();
    let x: Vec<Vec<bool>> =
        a.response_themes.iter().map(|ts| chosen.iter().map(|t| ts.contains(t)).collect()).collect();
    let y: Vec<bool> = a.input.responses.score.iter().map(|s| *s <= 6).collect();
    drivers::keydriver::key_drivers(&x, &y).map(|kd| {
        let mut rows: Vec<(String, f64, f64)> = chosen
            .iter()
            .enumerate()
            .map(|(k, &t)| (a.themes[t].label.clone(), kd.relative_importance[k], kd.odds_ratio[k]))
            .collect();
        rows.sort_by(|x, y| y.1.total_cmp(&x.1).then(x.0.cmp(&y.0)));
        (kd.r2, rows)
    })
}
