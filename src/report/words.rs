//! The report's findings in plain French or English sentences (unescaped text; the
//! renderers escape them for their format).

use super::changes::{Headline, Mover, SegmentLine};
use super::render::{DriverLine, ValueSection};
use crate::nps::targets::TargetGap;

fn tr(l: &str, fr: &'static str, en: &'static str) -> &'static str {
    if l == "fr" {
        fr
    } else {
        en
    }
}

/// A colon as the language writes it (French puts a space before).
fn colon(l: &str) -> &'static str {
    tr(l, " :", ":")
}

fn pts(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x:+.0}"))
}

/// "= 0.012" or "< 0.001" (after "p" or "q"), written the way the language writes decimals.
fn p(l: &str, v: Option<f64>) -> String {
    let s = v.map_or("= –".into(), |x| if x < 0.001 { "< 0.001".into() } else { format!("= {x:.3}") });
    if l == "fr" {
        s.replace('.', ",")
    } else {
        s
    }
}

/// Whether a p-value says the change is unlikely to be chance, in words.
fn significance(l: &str, pv: Option<f64>) -> String {
    match pv {
        Some(x) if x < 0.05 => {
            format!("{} (p {})", tr(l, "un écart significatif", "a significant change"), p(l, pv))
        }
        Some(_) => format!(
            "{} (p {})",
            tr(l, "un écart que le hasard seul peut donner", "within what chance alone would give"),
            p(l, pv)
        ),
        None => tr(l, "sans test possible", "no test possible").into(),
    }
}

/// The first screen's sentences: the headline period, its change, the whole range, and
/// the period left out as still in progress.
pub fn headline(l: &str, h: &Headline) -> Vec<String> {
    let mut out = vec![format!(
        "{} {}: NPS {} ± {:.0} ({} {}).",
        tr(l, "Période", "Period"),
        h.period,
        pts(h.nps),
        h.moe95,
        h.n,
        tr(l, "réponses", "responses")
    )];
    if let (Some((prev, prev_nps, prev_moe)), Some(d)) = (&h.previous, h.delta) {
        let dir = if d >= 0.0 { tr(l, "de plus qu'en", "higher than") } else { tr(l, "de moins qu'en", "lower than") };
        out.push(format!(
            "{:.0} {} {dir} {prev} ({} ± {prev_moe:.0}){} {}.",
            d.abs(),
            tr(l, "points", "points"),
            pts(*prev_nps),
            colon(l),
            significance(l, h.p_value)
        ));
    }
    let (first, nps, moe) = &h.range;
    out.push(format!(
        "{} {first} → {}{} NPS {} ± {moe:.1}.",
        tr(l, "Sur toute la période", "Over the whole range"),
        h.period,
        colon(l),
        pts(*nps)
    ));
    if let Some((label, last)) = &h.in_progress {
        out.push(format!(
            "{label} {} {last}){} {}.",
            tr(l, "est en cours (réponses jusqu'au", "is still in progress (answers up to"),
            colon(l),
            tr(l, "elle est laissée de côté dans cette comparaison", "it is left out of this comparison")
        ));
    }
    out
}

/// A driver's impact with its margin: "-13.5 ± 3.1".
pub fn impact(d: &DriverLine) -> String {
    match d.impact_moe95 {
        Some(m) => format!("{:+.1} ± {m:.1}", d.impact),
        None => format!("{:+.1}", d.impact),
    }
}

/// "A", "A and B", "A, B and C".
fn and_list(l: &str, items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} {} {last}", rest.join(", "), tr(l, "et", "and")),
    }
}

/// The three themes costing most points, in one sentence.
pub fn top_drivers(l: &str, drivers: &[DriverLine]) -> Option<String> {
    let costing: Vec<String> =
        drivers.iter().filter(|d| d.impact < 0.0).take(3).map(|d| format!("{} ({})", d.label, impact(d))).collect();
    (!costing.is_empty()).then(|| {
        format!(
            "{} {}.",
            tr(l, "Ce qui coûte le plus de points de NPS :", "What costs most NPS points:"),
            costing.join(", ")
        )
    })
}

/// Which of the costliest drivers these responses cannot rank apart: each tier (see
/// `drivers::tiers`) that holds one of the first three costing drivers and another costing
/// driver. None when the first three stand apart from each other and from the rest.
pub fn ties(l: &str, drivers: &[DriverLine]) -> Option<String> {
    let listed: Vec<(f64, usize)> = drivers.iter().map_while(|d| Some((d.impact, d.tier?))).collect();
    let groups: Vec<String> = crate::drivers::too_close_to_rank(&listed)
        .iter()
        .map(|group| and_list(l, &group.iter().map(|&i| drivers[i].label.as_str()).collect::<Vec<_>>()))
        .collect();
    (!groups.is_empty()).then(|| {
        format!(
            "{}{} {}. {}",
            tr(l, "Trop proches pour être départagés avec ces réponses", "Too close to rank apart with these responses"),
            colon(l),
            groups.join("; "),
            tr(
                l,
                "Leurs écarts d'impact sont dans la marge d'erreur : traitez-les ensemble, ou attendez plus de réponses avant de choisir entre eux.",
                "Their differences in impact are within the margin of error: treat them together, or wait for more responses before choosing between them."
            )
        )
    })
}

/// One theme that moved since the previous period.
pub fn mover(l: &str, m: &Mover, previous: &str) -> String {
    let verb = if m.impact < 0.0 { tr(l, "coûte", "costs") } else { tr(l, "rapporte", "earns") };
    // A cost growing (delta < 0) or a gain growing (delta > 0) is "more".
    let more = (m.impact < 0.0) == (m.delta < 0.0);
    let how = if more { tr(l, "de plus qu'en", "more than in") } else { tr(l, "de moins qu'en", "fewer than in") };
    let chance = if m.p_value.into_iter().chain(m.p_value_nps_with).any(|x| x < 0.05) {
        ""
    } else {
        tr(l, " Peut-être le hasard.", " Could be chance.")
    };
    format!(
        "{} {verb} {:.1} {}, {:.1} {how} {previous}{} {} {:.0} % {} ({:.0} % {}, p {}), {} {} ({} {}, p {}).{chance}",
        m.label,
        m.impact.abs(),
        tr(l, "points", "points"),
        m.delta.abs(),
        colon(l),
        tr(l, "cité par", "mentioned by"),
        m.share_now * 100.0,
        tr(l, "des réponses", "of responses"),
        m.share_before * 100.0,
        tr(l, "avant", "before"),
        p(l, m.p_value),
        tr(l, "NPS de ceux qui le citent", "NPS of those mentioning it"),
        pts(m.nps_with_now),
        pts(m.nps_with_before),
        tr(l, "avant", "before"),
        p(l, m.p_value_nps_with)
    )
}

/// One segment value that stands out, and the themes behind it.
pub fn segment(l: &str, s: &SegmentLine) -> String {
    let mut line = format!(
        "{} = {}{} NPS {} {} {} {} (q {}).",
        s.segment,
        s.value,
        colon(l),
        pts(s.nps),
        tr(l, "contre", "against"),
        pts(s.rest_nps),
        tr(l, "pour les autres réponses", "for the other responses"),
        p(l, s.q_value)
    );
    for (label, here, overall) in &s.why {
        let verb = if *here < 0.0 { tr(l, "coûte", "costs") } else { tr(l, "rapporte", "earns") };
        line.push_str(&format!(
            " {label} {verb} {:.1} {} {} {overall:+.1} {}.",
            here.abs(),
            tr(l, "points ici,", "points here,"),
            tr(l, "contre", "against"),
            tr(l, "en tout", "overall")
        ));
    }
    line
}

/// An amount with thousands grouped the way the language writes them (1 737 643 /
/// 1,737,643), no decimals.
pub fn amount(l: &str, x: f64) -> String {
    let digits = format!("{:.0}", x.abs());
    let sep = if l == "fr" { '\u{202f}' } else { ',' };
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(sep);
        }
        out.push(ch);
    }
    if x < -0.5 {
        format!("-{out}")
    } else {
        out
    }
}

/// The value-weighted NPS beside the plain one, in one sentence.
pub fn weighted(l: &str, v: &ValueSection) -> String {
    format!(
        "{} ({}){} NPS {} ± {} ({} {}, {} {}){} {} {}.",
        tr(l, "Pondéré par la valeur client", "Weighted by customer value"),
        v.column,
        colon(l),
        pts(v.nps_weighted),
        v.moe95_weighted.map_or("–".into(), |m| format!("{m:.0}")),
        v.n_valued,
        tr(l, "réponses avec une valeur", "responses with a value"),
        tr(l, "taille d'échantillon effective", "effective sample size"),
        v.n_effective.map_or("–".into(), |n| format!("{n:.0}")),
        tr(l, " ;", ";"),
        tr(l, "NPS simple", "plain NPS"),
        pts(v.nps)
    )
}

/// The theme with the most revenue at risk, in one sentence.
pub fn top_revenue_at_risk(l: &str, v: &ValueSection) -> Option<String> {
    let (label, risk, share, _) = v.by_revenue.first()?;
    Some(format!(
        "{}{} {label} ({} {}{}).",
        tr(l, "Le plus de valeur client en jeu", "Most customer value at risk"),
        colon(l),
        amount(l, *risk),
        tr(l, "de valeur chez les détracteurs qui le citent", "of value among the detractors mentioning it"),
        share.map_or(String::new(), |s| format!(
            ", {:.0} % {}",
            s * 100.0,
            tr(l, "de celle de tous les détracteurs", "of all detractors' value")
        ))
    ))
}

/// One target or the benchmark against the NPS: the gap and whether the NPS is
/// significantly below (one-sided test).
pub fn target(l: &str, g: &TargetGap) -> String {
    let what = match (g.kind, g.segment.as_str()) {
        ("benchmark", _) => format!(
            "{} {}{}",
            tr(l, "Référence externe", "Benchmark"),
            pts(Some(g.target)),
            g.source.as_ref().map_or(String::new(), |s| format!(" ({s})"))
        ),
        (_, "all") => format!("{} {}", tr(l, "Objectif", "Target"), pts(Some(g.target))),
        _ => format!("{} {} = {} {}", tr(l, "Objectif", "Target"), g.segment, g.value, pts(Some(g.target))),
    };
    let Some(gap) = g.gap else {
        return format!(
            "{what}{} {}.",
            colon(l),
            tr(l, "aucune réponse dans ce segment", "no response in this segment")
        );
    };
    let side = if gap < 0.0 { tr(l, "en dessous", "below") } else { tr(l, "au-dessus", "above") };
    let verdict = match g.p_value_below {
        Some(_) if g.significantly_below => tr(l, "significativement en dessous", "significantly below"),
        Some(_) if gap < 0.0 => tr(
            l,
            "pas significativement en dessous (le hasard peut l'expliquer)",
            "not significantly below (chance can explain it)",
        ),
        Some(_) => tr(l, "pas en dessous", "not below"),
        None => tr(l, "sans test possible", "no test possible"),
    };
    let decimal = |s: String| if l == "fr" { s.replace('.', ",") } else { s };
    format!(
        "{what}{} NPS {} ± {}, {} {} {side}{} {verdict} ({} p {}).",
        colon(l),
        pts(g.nps),
        decimal(format!("{:.1}", g.moe95)),
        decimal(format!("{:.1}", gap.abs())),
        tr(l, "points", "points"),
        colon(l),
        tr(l, "test unilatéral,", "one-sided test,"),
        p(l, g.p_value_below)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(label: &str, impact: f64, tier: usize) -> DriverLine {
        DriverLine {
            label: label.into(),
            n_mentions: 50,
            share: 0.1,
            nps_with: Some(-20.0),
            impact,
            impact_moe95: Some(2.0),
            tier: Some(tier),
            lift: None,
            q_value: None,
            negative_share: None,
            examples: Vec::new(),
        }
    }

    /// The sentence names every costing driver sharing a tier with one of the first three,
    /// and nothing when the first three stand apart.
    #[test]
    fn ties_name_the_drivers_too_close_to_rank() {
        let d = [line("Billing", -13.5, 0), line("Contract", -12.8, 1), line("Wait", -10.4, 1), line("Skill", -7.9, 1)];
        let s = ties("en", &d).unwrap();
        assert!(s.starts_with("Too close to rank apart with these responses: Contract, Wait and Skill."), "{s}");
        assert!(!s.contains("Billing"), "{s}");
        let apart =
            [line("Billing", -13.5, 0), line("Contract", -9.0, 1), line("Wait", -5.0, 2), line("Skill", -4.5, 2)];
        let s = ties("fr", &apart).unwrap();
        assert!(s.starts_with("Trop proches pour être départagés avec ces réponses : Wait et Skill."), "{s}");
        let clear =
            [line("Billing", -13.5, 0), line("Contract", -9.0, 1), line("Wait", -5.0, 2), line("Skill", -1.0, 3)];
        assert_eq!(ties("en", &clear), None);
        // A driver that earns points is not a tie of the costly ones.
        let earning =
            [line("Billing", -13.5, 0), line("Contract", -9.0, 1), line("Wait", -5.0, 2), line("Staff", 0.5, 2)];
        assert_eq!(ties("en", &earning), None);
        assert_eq!(top_drivers("en", &clear[..1]).unwrap(), "What costs most NPS points: Billing (-13.5 ± 2.0).");
    }
}
