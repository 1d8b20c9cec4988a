//! summary.json: the machine-readable twin of the report (headline NPS, latest period,
//! the drivers costing and earning most, emerging themes, sentiment, languages, counts).

use std::collections::BTreeMap;

use serde_json::json;

use super::render::KeyDriverTable;
use crate::drivers::DriverRow;
use crate::nps::NpsRow;
use crate::pipeline::Analysis;
use crate::schema::columns as c;

/// summary.json: the machine-readable twin of the report.
///
/// `key_drivers`: the key-driver model of the report ([`super::view::key_drivers`]), computed
/// once for both.
pub fn summary(a: &Analysis, key_drivers: Option<&KeyDriverTable>) -> serde_json::Value {
    let (counts, nps_rows, drivers, proposals) = (&a.input.counts, &a.nps, &a.drivers, &a.proposals);
    let overall = nps_rows.iter().find(|r| r.period == c::ALL && r.segment == c::ALL);
    let latest = nps_rows.iter().rfind(|r| r.segment == c::ALL && r.period != c::ALL && r.period != c::UNDATED);
    let row = |r: &NpsRow| {
        json!({ "period": r.period, "n": r.tally.n, "nps": r.nps, "moe95": r.moe95, "delta_vs_previous": r.delta_vs_previous,
                "p_value_change": r.p_value_change, "low_n": r.low_n() })
    };
    let mut ranked: Vec<&DriverRow> =
        drivers.iter().filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked).collect();
    ranked.sort_by(|x, y| crate::drivers::by_impact(x, y));
    let driver = |d: &&DriverRow| {
        json!({ "theme": d.theme, "label": d.label, "n_mentions": d.n_mentions, "share": d.share, "impact": d.impact,
                "impact_moe95": d.impact_moe95, "nps_with": d.nps_with, "lift": d.lift, "q_value": d.q_value, "negative_share": d.negative_share })
    };
    let mut by_sentiment = BTreeMap::<&str, usize>::new();
    a.sentiment.iter().flatten().for_each(|(s, _)| *by_sentiment.entry(s).or_default() += 1);
    let languages = super::view::languages(a);
    let key_drivers = key_drivers.map(|(r2, rows)| json!({
        "r2": r2,
        "themes": rows.iter().map(|(label, share, odds)| json!({"theme": label, "share_of_r2": share, "odds_ratio": odds})).collect::<Vec<_>>(),
    }));
    json!({
        "verbatim_version": env!("CARGO_PKG_VERSION"),
        "nps": overall.map(row),
        "latest_period": latest.map(row),
        "drivers": {
            "costing": ranked.iter().filter(|d| d.impact.unwrap_or(0.0) < 0.0).take(5).map(driver).collect::<Vec<_>>(),
            "earning": ranked.iter().rev().filter(|d| d.impact.unwrap_or(0.0) > 0.0).take(5).map(driver).collect::<Vec<_>>(),
            // The leaf themes by impact, each with its tier: one tier, too close to rank apart.
            "leaves_by_impact": super::view::ranked_leaves(a).iter().map(|(d, tier)| json!({
                "theme": d.theme, "impact": d.impact, "impact_moe95": d.impact_moe95, "tier": tier,
            })).collect::<Vec<_>>(),
        },
        "emerging_themes": proposals.iter().take(5).map(|(x, t)| json!({
            "id": x.id, "label": x.label, "size": x.size, "n_responses": t.n, "nps": t.nps(),
            "carried_over": x.carried_over, "example": x.representatives.first(),
        })).collect::<Vec<_>>(),
        "sentiment": by_sentiment,
        "languages": languages,
        "counts": counts,
        "counts_reconcile": counts.reconciles(),
        "key_drivers": key_drivers,
        "value": value(a),
        "targets": a.targets,
    })
}

/// Customer value: the value-weighted NPS, the themes with the most revenue at risk, the
/// RFM segments; null without a monetary column (issue 19).
fn value(a: &Analysis) -> serde_json::Value {
    let Some(v) = super::view::value_section(a) else { return serde_json::Value::Null };
    let mut risk: Vec<&DriverRow> = a
        .drivers
        .iter()
        .filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked && a.theme_ids().contains(&d.theme.as_str()))
        .collect();
    risk.sort_by(|x, y| {
        y.revenue_at_risk.unwrap_or(0.0).total_cmp(&x.revenue_at_risk.unwrap_or(0.0)).then(x.theme.cmp(&y.theme))
    });
    json!({
        "column": v.column,
        "nps_weighted": v.nps_weighted,
        "moe95_weighted": v.moe95_weighted,
        "n_valued": v.n_valued,
        "n_effective": v.n_effective,
        "value_total": v.value_total,
        "values_rejected": a.input.counts.values_rejected,
        "revenue_at_risk": risk.iter().take(5).map(|d| json!({
            "theme": d.theme, "label": d.label, "revenue_at_risk": d.revenue_at_risk,
            "revenue_at_risk_share": d.revenue_at_risk_share, "revenue_at_risk_passives": d.revenue_at_risk_passives,
            "impact": d.impact, "impact_weighted": d.impact_weighted,
        })).collect::<Vec<_>>(),
        "rfm_segments": v.rfm.iter().map(|(name, n, nps, moe, wnps, value)| json!({
            "segment": name, "n": n, "nps": nps, "moe95": moe, "nps_weighted": wnps, "value_total": value,
        })).collect::<Vec<_>>(),
    })
}
