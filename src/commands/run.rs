//! `verbatim run`: the weekly job. Analyse ([`pipeline::analyze`]), write every output at
//! once ([`output::run::write_run`]), then print the headline NPS and a summary.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::cli::args::RunArgs;
use crate::cli::resolve;
use crate::console::Console;
use crate::drivers::DriverRow;
use crate::pipeline::{self, Analysis};
use crate::schema::columns as c;
use crate::{nps, output, Result};

pub fn run(a: &RunArgs, console: &Console) -> Result<u8> {
    let cfg = resolve::run_config(a)?;
    super::set_threads(Some(cfg.encoder.threads));
    let analysis = pipeline::analyze(&cfg, console)?;
    note_proposals(&analysis, console);
    let written = output::run::write_run(&analysis, &cfg)?;
    let headline: Vec<_> = analysis.nps.iter().filter(|r| r.segment == c::ALL).cloned().collect();
    print!("{}", nps::render_table(&headline));
    note_summary(&analysis, console);
    if let Some(line) = super::value_note(&analysis.nps) {
        console.note(line);
    }
    for g in &analysis.targets {
        console.note(format!(
            "{} {}{}: NPS {} vs {:+.0}: gap {}{}",
            g.kind,
            if g.segment == c::ALL { "overall".to_string() } else { format!("{}={}", g.segment, g.value) },
            g.source.as_ref().map_or(String::new(), |s| format!(" ({s})")),
            g.nps.map_or("-".into(), |x| format!("{x:+.1} ± {:.1}", g.moe95)),
            g.target,
            g.gap.map_or("-".into(), |x| format!("{x:+.1}")),
            match g.p_value_below.map(|p| if p < 0.001 { "< 0.001".to_string() } else { format!("= {p:.3}") }) {
                Some(p) if g.significantly_below => format!(", significantly below (one-sided p {p})"),
                Some(p) => format!(", not significantly below (one-sided p {p})"),
                None => String::new(),
            }
        ));
    }
    console.note(super::reconciliation(&analysis.input.counts));
    console.note(format!("wrote {} to {}", file_names(&written), cfg.out.display()));
    Ok(super::exit_code(&cfg.input, &analysis.input.counts))
}

/// The five largest proposed themes, one line each.
pub fn note_proposals(a: &Analysis, console: &Console) {
    for (p, tally) in a.proposals.iter().take(5) {
        console.note(format!(
            "proposed theme {} '{}': {} mentions, NPS {:+.0} (e.g. \"{}\")",
            p.id,
            p.label,
            p.size,
            tally.nps().unwrap_or(0.0),
            p.representatives.first().map_or("", String::as_str)
        ));
    }
}

/// File names of written paths, joined by commas.
pub fn file_names(written: &[PathBuf]) -> String {
    written
        .iter()
        .filter_map(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Themes by comments mentioning them, the drivers costing most, comment sentiment.
fn note_summary(a: &Analysis, console: &Console) {
    let mut per_theme = vec![0usize; a.themes.len()];
    a.response_themes.iter().flatten().for_each(|&t| per_theme[t] += 1);
    let mut ranked: Vec<(usize, &str)> = per_theme.iter().copied().zip(a.theme_ids()).collect();
    ranked.sort_by(|x, y| y.0.cmp(&x.0).then(x.1.cmp(y.1)));
    let no_theme =
        a.response_themes.iter().zip(&a.text.comments).filter(|(t, c)| t.is_empty() && !c.normalized.is_empty());
    console.note(format!(
        "themes (comments mentioning): {}; {} comments with no theme",
        ranked.iter().map(|(n, id)| format!("{id} {n}")).collect::<Vec<_>>().join(", "),
        no_theme.count()
    ));
    let mut costing: Vec<&DriverRow> =
        a.drivers.iter().filter(|r| r.period == c::ALL && r.segment == c::ALL && r.ranked).collect();
    costing.sort_by(|x, y| crate::drivers::by_impact(x, y));
    let costing = costing.iter().take(3).map(|r| {
        let q = r.q_value.map_or("-".into(), |q| format!("{q:.3}"));
        let moe = r.impact_moe95.map_or(String::new(), |m| format!(" ± {m:.1}"));
        format!("{} {:+.1}{moe} (lift {:.2}, q {q})", r.theme, r.impact.unwrap_or(0.0), r.lift.unwrap_or(0.0))
    });
    console.note(format!("drivers costing most NPS points: {}", costing.collect::<Vec<_>>().join("; ")));
    // The leaf themes the report calls too close to rank apart from the first three.
    let leaves = crate::report::view::ranked_leaves(a);
    let listed: Vec<(f64, usize)> = leaves.iter().map(|(d, t)| (d.impact.unwrap_or(0.0), *t)).collect();
    let tied: Vec<&str> =
        crate::drivers::too_close_to_rank(&listed).concat().iter().map(|&i| leaves[i].0.theme.as_str()).collect();
    if !tied.is_empty() {
        console.note(format!(
            "too close to rank apart with these responses (differences within the margin): {}",
            tied.join(", ")
        ));
    }
    let mut by_label = BTreeMap::<&str, usize>::new();
    for (label, _) in a.sentiment.iter().flatten() {
        *by_label.entry(label).or_default() += 1;
    }
    let by_label: Vec<String> = by_label.iter().map(|(k, v)| format!("{k} {v}")).collect();
    console.note(format!("sentiment of comments: {}", by_label.join(", ")));
}
