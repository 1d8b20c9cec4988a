//! The Parquet tables of a run, each a function of the [`Analysis`] (DESIGN.md names the
//! files and columns; `schema::columns` holds the names).

use polars::prelude::*;

use crate::drivers::DriverRow;
use crate::encode::cache::text_hash;
use crate::ingest::TextColumn;
use crate::nps::{self, Tally};
use crate::pipeline::Analysis;
use crate::schema::columns as c;
use crate::themes::discovery::Proposal;
use crate::validate::Interned;

/// nps.parquet: NPS with margins overall, per period, segment value and both.
pub fn nps_table(a: &Analysis) -> PolarsResult<DataFrame> {
    nps::nps_frame(&a.nps)
}

/// mentions.parquet: one row per (response, clause, theme).
pub fn mentions(a: &Analysis) -> PolarsResult<DataFrame> {
    let (r, p, clause_probs, clause_themes) = (&a.input.responses, &a.text, &a.clause_sentiment, &a.clause_themes);
    let theme_ids = a.theme_ids();
    let (mut rid, mut theme, mut clause, mut sent, mut conf, mut idx) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, c) in p.comments.iter().enumerate() {
        for (k, &u) in c.clauses.iter().enumerate() {
            for &(t, confidence) in &clause_themes[u] {
                rid.push(r.response_id.get(i));
                theme.push(theme_ids[t]);
                clause.push(p.unique[u].as_str());
                sent.push(crate::sentiment::clause_label(&clause_probs[u]).0);
                conf.push((confidence * 1e4).round() / 1e4);
                idx.push(k as u32);
            }
        }
    }
    DataFrame::new(
        rid.len(),
        vec![
            Column::new(c::RESPONSE_ID.into(), rid),
            Column::new(c::THEME.into(), theme),
            Column::new(c::CLAUSE.into(), clause),
            Column::new(c::CLAUSE_INDEX.into(), idx),
            Column::new(c::SENTIMENT.into(), sent),
            Column::new(c::CONFIDENCE.into(), conf),
        ],
    )
}

fn text(t: &TextColumn) -> Vec<&str> {
    t.iter().collect()
}

fn labels(i: &Interned) -> Vec<&str> {
    (0..i.codes.len()).map(|k| i.get(k)).collect()
}

/// responses.parquet: one row per accepted response, with its comment's language,
/// sentiment and themes.
pub fn responses(a: &Analysis) -> PolarsResult<DataFrame> {
    let (r, p, sentiments) = (&a.input.responses, &a.text, &a.sentiment);
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let days: Vec<Option<i32>> = r.date.iter().map(|d| d.map(|d| (d - epoch).num_days() as i32)).collect();
    let mut cols = vec![
        Column::new(c::RESPONSE_ID.into(), text(&r.response_id)),
        Column::new(c::DATE.into(), days).cast(&DataType::Date)?,
        Column::new(c::PERIOD.into(), labels(&r.period)),
    ];
    for (name, values) in &r.segments {
        cols.push(Column::new(name.as_str().into(), labels(values)));
    }
    let lang = |f: fn(&crate::text::lang::Language) -> String| -> Vec<Option<String>> {
        p.comments.iter().map(|t| t.language.as_ref().map(f)).collect()
    };
    cols.extend([
        Column::new(c::SCORE.into(), r.score.iter().map(|&s| s as i32).collect::<Vec<_>>()),
        Column::new(c::NPS_GROUP.into(), r.score.iter().map(|&s| nps::group(s)).collect::<Vec<_>>()),
        Column::new(c::COMMENT.into(), text(&r.comment)),
        Column::new(c::LANGUAGE.into(), lang(|l| l.code.to_string())),
        Column::new(c::SENTIMENT.into(), sentiments.iter().map(|s| s.map(|s| s.0)).collect::<Vec<_>>()),
        Column::new(
            c::SENTIMENT_SCORE.into(),
            sentiments.iter().map(|s| s.map(|s| (s.1 * 1e4).round() / 1e4)).collect::<Vec<_>>(),
        ),
        Column::new(
            c::LANGUAGE_CONFIDENCE.into(),
            p.comments
                .iter()
                .map(|t| t.language.as_ref().map(|l| (l.confidence * 1000.0).round() / 1000.0))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::LANGUAGE_RELIABLE.into(),
            p.comments.iter().map(|t| t.language.as_ref().map(|l| l.reliable)).collect::<Vec<_>>(),
        ),
        Column::new(
            c::STATUS.into(),
            p.comments
                .iter()
                .map(|t| if t.normalized.is_empty() { c::status::EMPTY_COMMENT } else { c::status::OK })
                .collect::<Vec<_>>(),
        ),
        Column::new(c::N_CLAUSES.into(), p.comments.iter().map(|t| t.clauses.len() as u32).collect::<Vec<_>>()),
        Column::new(
            c::SOURCE_FILE.into(),
            r.source_file.iter().map(|&f| r.source_files[f as usize].as_str()).collect::<Vec<_>>(),
        ),
        Column::new(c::SOURCE_ROW.into(), &r.source_row),
    ]);
    let v = &r.values;
    let value_cols = [
        (c::MONETARY_VALUE, &v.monetary),
        (c::RECENCY_DAYS, &v.recency_days),
        (c::FREQUENCY, &v.frequency),
        (c::TENURE, &v.tenure),
    ];
    for (name, col) in value_cols {
        if let Some((_, values)) = col {
            cols.push(Column::new(name.into(), values));
        }
    }
    if let Some(rfm) = &v.rfm {
        let code = |s: &Option<[u8; 3]>| s.map(|[r, f, m]| format!("{r}{f}{m}"));
        cols.push(Column::new(c::RFM_SCORE.into(), rfm.iter().map(code).collect::<Vec<_>>()));
    }
    let lists: Vec<Series> = (0..r.len()).map(|i| Series::new("".into(), a.themes_of(i))).collect();
    cols.push(Column::new(c::THEMES.into(), lists).cast(&DataType::List(Box::new(DataType::String)))?);
    DataFrame::new(r.len(), cols)
}

/// embeddings.parquet, one row per clause of each unique comment: the clause text's hash,
/// the hash of the comment it was read in (as the models read it), text, language,
/// embedding (list of f32).
pub fn embeddings(a: &Analysis) -> PolarsResult<DataFrame> {
    let (p, embeddings) = (&a.text, &a.embeddings);
    let hashes: Vec<String> = p.unique.iter().map(|t| hex::encode(text_hash(t))).collect();
    let comments: Vec<String> =
        p.passes.iter().flat_map(|k| std::iter::repeat_n(hex::encode(text_hash(&k.text)), k.units.len())).collect();
    let lists: Vec<Series> = embeddings.iter().map(|v| Series::new("".into(), v)).collect();
    DataFrame::new(
        p.unique.len(),
        vec![
            Column::new("text_hash".into(), hashes),
            Column::new("comment_hash".into(), comments),
            Column::new("text".into(), &p.unique),
            Column::new(c::LANGUAGE.into(), &p.unique_language),
            Column::new("embedding".into(), lists),
        ],
    )
}

/// proposed_themes.parquet.
pub fn proposals(p: &[(Proposal, Tally)]) -> PolarsResult<DataFrame> {
    let list = |f: fn(&Proposal) -> &Vec<String>| -> Vec<Series> {
        p.iter().map(|(x, _)| Series::new("".into(), f(x))).collect()
    };
    let str_list = DataType::List(Box::new(DataType::String));
    DataFrame::new(
        p.len(),
        vec![
            Column::new("id".into(), p.iter().map(|(x, _)| x.id.as_str()).collect::<Vec<_>>()),
            Column::new("label".into(), p.iter().map(|(x, _)| x.label.as_str()).collect::<Vec<_>>()),
            Column::new("keywords".into(), list(|x| &x.keywords)).cast(&str_list)?,
            Column::new("size".into(), p.iter().map(|(x, _)| x.size as u64).collect::<Vec<_>>()),
            Column::new("n_responses".into(), p.iter().map(|(_, t)| t.n).collect::<Vec<_>>()),
            Column::new(c::NPS.into(), p.iter().map(|(_, t)| t.nps()).collect::<Vec<_>>()),
            Column::new("representatives".into(), list(|x| &x.representatives)).cast(&str_list)?,
            Column::new("carried_over".into(), p.iter().map(|(x, _)| x.carried_over).collect::<Vec<_>>()),
            Column::new(
                "centroid".into(),
                p.iter().map(|(x, _)| Series::new("".into(), &x.centroid)).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// drivers.parquet.
pub fn drivers(rows: &[DriverRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&DriverRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let o = |f: fn(&DriverRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<Option<f64>>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new(c::PERIOD.into(), s(|r| &r.period)),
            Column::new(c::SEGMENT.into(), s(|r| &r.segment)),
            Column::new(c::VALUE.into(), s(|r| &r.value)),
            Column::new("theme".into(), s(|r| &r.theme)),
            Column::new("label".into(), s(|r| &r.label)),
            Column::new(c::N.into(), rows.iter().map(|r| r.n).collect::<Vec<_>>()),
            Column::new("n_mentions".into(), rows.iter().map(|r| r.n_mentions).collect::<Vec<_>>()),
            Column::new("share".into(), rows.iter().map(|r| r.share).collect::<Vec<_>>()),
            Column::new("nps_with".into(), o(|r| r.nps_with)),
            Column::new("nps_without".into(), o(|r| r.nps_without)),
            Column::new("moe95_with".into(), rows.iter().map(|r| r.moe95_with).collect::<Vec<_>>()),
            Column::new("impact".into(), o(|r| r.impact)),
            Column::new("impact_moe95".into(), o(|r| r.impact_moe95)),
            Column::new("detractor_rate_with".into(), o(|r| r.detractor_rate_with)),
            Column::new("detractor_rate_without".into(), o(|r| r.detractor_rate_without)),
            Column::new("lift".into(), o(|r| r.lift)),
            Column::new("p_value".into(), o(|r| r.p_value)),
            Column::new("q_value".into(), o(|r| r.q_value)),
            Column::new("negative_share".into(), o(|r| r.negative_share)),
            Column::new("ranked".into(), rows.iter().map(|r| r.ranked).collect::<Vec<_>>()),
            Column::new("tier".into(), rows.iter().map(|r| r.tier).collect::<Vec<Option<u64>>>()),
            Column::new("delta_impact_vs_previous".into(), o(|r| r.delta_impact_vs_previous)),
        ],
    )
    .and_then(|mut frame| {
        // Revenue columns only with a monetary value column (issue 19).
        if rows.iter().any(|r| r.revenue_at_risk.is_some()) {
            for col in [
                Column::new("revenue_at_risk".into(), o(|r| r.revenue_at_risk)),
                Column::new("revenue_at_risk_passives".into(), o(|r| r.revenue_at_risk_passives)),
                Column::new("revenue_at_risk_share".into(), o(|r| r.revenue_at_risk_share)),
                Column::new("impact_weighted".into(), o(|r| r.impact_weighted)),
            ] {
                frame.with_column(col)?;
            }
        }
        Ok(frame)
    })
}
