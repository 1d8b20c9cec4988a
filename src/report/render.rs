//! report.md and report.html, rendered from a [`Report`] only (no stage is called from
//! here). The HTML is one self-contained file: inline CSS and SVG, no script, no network;
//! every verbatim is HTML-escaped, personal data is masked upstream.

use std::fmt::Write;

use super::changes::{Headline, SegmentLine};
use super::subtopics::Subtopic;
use super::{charts, words};

/// Key-driver model: R² and (theme label, share of R², odds ratio), by share.
pub type KeyDriverTable = (f64, Vec<(String, f64, f64)>);

/// Everything the report shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Report {
    pub lang: &'static str,
    pub title: String,
    pub n: u64,
    pub nps: Option<f64>,
    pub moe95: f64,
    /// (period, nps, moe95, n) in order.
    pub trend: Vec<(String, Option<f64>, f64, u64)>,
    /// The latest complete period against the previous one and the whole range, and the
    /// themes that moved (None without dated responses).
    pub headline: Option<Headline>,
    pub drivers: Vec<DriverLine>,
    /// Parent themes of the taxonomy, rolled up (a response counts once however many of
    /// the children it mentions), by impact; `examples` holds the children's labels.
    pub groups: Vec<DriverLine>,
    /// (id, label, size, nps, example)
    pub emerging: Vec<(String, String, usize, Option<f64>, String)>,
    /// Every segment value against the rest, with the themes behind those that stand out.
    pub segments: Vec<SegmentLine>,
    /// Inside the top drivers: (theme label, its distinctive phrases).
    pub inside: Vec<(String, Vec<Subtopic>)>,
    /// (label, value) lines of the data-quality section.
    pub quality: Vec<(String, String)>,
    /// Key-driver model: R² and (label, share of R², odds ratio), by share.
    pub key_drivers: Option<KeyDriverTable>,
    /// Customer value (issue 19); None without a monetary value column.
    pub value: Option<ValueSection>,
    /// The NPS against the targets and the benchmark of the run (empty without).
    pub targets: Vec<crate::nps::targets::TargetGap>,
}

/// One RFM segment: (segment, n, NPS, moe95, value-weighted NPS, value).
pub type RfmLine = (String, u64, Option<f64>, f64, Option<f64>, f64);

/// What the report shows of customer value.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ValueSection {
    /// The monetary column.
    pub column: String,
    pub nps_weighted: Option<f64>,
    pub moe95_weighted: Option<f64>,
    /// Responses with a value, and Kish's effective sample size of their weights.
    pub n_valued: u64,
    pub n_effective: Option<f64>,
    pub value_total: f64,
    /// The plain NPS, beside it.
    pub nps: Option<f64>,
    /// Ranked leaf themes by impact: (label, impact, value-weighted impact).
    pub by_points: Vec<(String, f64, Option<f64>)>,
    /// Ranked leaf themes by revenue at risk: (label, revenue at risk, its share of all
    /// detractors' value, value of the passives mentioning it).
    pub by_revenue: Vec<(String, f64, Option<f64>, f64)>,
    /// RFM segments (best first): (segment, n, NPS, moe95, value-weighted NPS, value).
    pub rfm: Vec<RfmLine>,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct DriverLine {
    pub label: String,
    pub n_mentions: u64,
    pub share: f64,
    pub nps_with: Option<f64>,
    pub impact: f64,
    /// 95 % margin of error of `impact`.
    pub impact_moe95: Option<f64>,
    /// Leaf drivers: their tier (`drivers::tiers`; one tier, too close to rank apart). None
    /// for parent themes.
    pub tier: Option<usize>,
    pub lift: Option<f64>,
    pub q_value: Option<f64>,
    pub negative_share: Option<f64>,
    pub examples: Vec<String>,
}

/// HTML-escape text (the five XML specials).
pub fn escape(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn t(lang: &str, key: &str) -> &'static str {
    let fr = lang == "fr";
    let tr = |f: &'static str, e: &'static str| if fr { f } else { e };
    match key {
        "responses" => tr("réponses", "responses"),
        "margin" => tr(
            "± : marge d'erreur à 95 % (l'écart que le hasard seul peut donner).",
            "±: 95 % margin of error (how far chance alone can move the figure).",
        ),
        "moved" => tr("Ce qui a bougé depuis", "What moved since"),
        "from" => tr("de", "from"),
        "to" => tr("à", "to"),
        "impact_axis" => tr("impact sur le NPS (points)", "impact on NPS (points)"),
        "stand_out" => tr("Segments qui se distinguent", "Segments that stand out"),
        "rest" => tr("NPS des autres", "NPS of the rest"),
        "inside" => tr("Dans les principaux irritants", "Inside the top drivers"),
        "inside_help" => tr(
            "Les expressions les plus propres à chaque thème dans les commentaires des détracteurs, avec le nombre de passages qui les emploient.",
            "The phrases most specific to each theme in detractors' comments, with how many clauses use them.",
        ),
        "clauses_eg" => tr("passages, p. ex.", "clauses, e.g."),
        "trend" => {
            if fr {
                "Évolution du NPS (bande : marge d'erreur)"
            } else {
                "NPS trend (band: margin of error)"
            }
        }
        "drivers" => {
            if fr {
                "Ce qui coûte des points de NPS"
            } else {
                "What costs NPS points"
            }
        }
        "drivers_help" => {
            if fr {
                "Impact : points de NPS en plus sans les réponses qui citent le thème (négatif = le thème coûte des points), ± sa marge d'erreur à 95 %. Lift : taux de détracteurs parmi ceux qui citent le thème, rapporté aux autres. q : significativité corrigée (sous 0,05 : peu probablement dû au hasard)."
            } else {
                "Impact: NPS points gained without the responses mentioning the theme (negative = the theme costs points), ± its 95 % margin of error. Lift: detractor rate of those mentioning it over the others'. q: significance corrected for many themes (below 0.05: unlikely to be chance)."
            }
        }
        "groups" => {
            if fr {
                "Par groupe de thèmes (parents de la taxonomie : une réponse compte une fois, quel que soit le nombre de sous-thèmes cités) :"
            } else {
                "By group of themes (the taxonomy's parents: a response counts once, however many of the sub-themes it mentions):"
            }
        }
        "chart_drivers" => {
            if fr {
                "Impact de chaque thème sur le NPS (trait : marge d'erreur), et ses mentions (nombre · part des réponses)"
            } else {
                "Impact of each theme on NPS (whisker: margin of error), and its mentions (count · share of responses)"
            }
        }
        "theme" => {
            if fr {
                "Thème"
            } else {
                "Theme"
            }
        }
        "mentions" => {
            if fr {
                "Réponses"
            } else {
                "Responses"
            }
        }
        "theme_nps" => {
            if fr {
                "NPS du thème"
            } else {
                "Theme NPS"
            }
        }
        "negative" => {
            if fr {
                "Part négative"
            } else {
                "Negative share"
            }
        }
        "examples" => {
            if fr {
                "Verbatims de détracteurs"
            } else {
                "Detractors' verbatims"
            }
        }
        "key" => {
            if fr {
                "Second regard : modèle des moteurs de détraction"
            } else {
                "Second view: key-driver model of detraction"
            }
        }
        "key_help" => {
            if fr {
                "Les thèmes vont souvent ensemble. Ce modèle explique « être détracteur » par tous les thèmes à la fois : la part de l'explication revenant à chaque thème (décomposition de Shapley du R²) et son odds ratio à autres thèmes égaux. Un thème fort en impact mais faible ici doit son impact à des thèmes qui l'accompagnent."
            } else {
                "Themes often come together. This model explains being a detractor by all themes at once: each theme's share of what is explained (Shapley decomposition of R²) and its odds ratio with the other themes held equal. A theme with a large impact but a small share here owes its impact to the themes it comes with."
            }
        }
        "share_r2" => {
            if fr {
                "Part de l'explication"
            } else {
                "Share of explanation"
            }
        }
        "emerging" => {
            if fr {
                "Thèmes émergents (non couverts par la taxonomie)"
            } else {
                "Emerging themes (not in the taxonomy)"
            }
        }
        "size" => "Mentions",
        "example" => {
            if fr {
                "Exemple"
            } else {
                "Example"
            }
        }
        "segments" => {
            if fr {
                "NPS par segment"
            } else {
                "NPS by segment"
            }
        }
        "segment" => "Segment",
        "value" => {
            if fr {
                "Valeur"
            } else {
                "Value"
            }
        }
        "quality" => {
            if fr {
                "Qualité des données"
            } else {
                "Data quality"
            }
        }
        "value_title" => tr("Valeur client", "Customer value"),
        "value_help" => tr(
            "Chaque réponse pèse la valeur de son client. Valeur en jeu d'un thème : la valeur des détracteurs qui le citent (et, à part, celle des passifs). Impact pondéré : le même calcul que l'impact, chaque réponse pesant sa valeur. Les deux classements côte à côte : ce qui coûte le plus de points, ce qui met le plus de valeur en jeu.",
            "Each response weighs its customer's value. Revenue at risk of a theme: the value of the detractors mentioning it (and, apart, of the passives). Weighted impact: the impact computed with each response weighing its value. The two rankings side by side: what costs most points, what puts most value at risk.",
        ),
        "by_points" => tr("Par points de NPS", "By NPS points"),
        "by_revenue" => tr("Par valeur en jeu", "By revenue at risk"),
        "weighted_impact" => tr("Impact pondéré", "Weighted impact"),
        "at_risk" => tr("Valeur en jeu (détracteurs)", "Revenue at risk (detractors)"),
        "passives_value" => tr("Passifs", "Passives"),
        "rfm" => tr("Segments RFM", "RFM segments"),
        "rfm_help" => tr(
            "Récence, fréquence, montant : chaque client noté de 1 à 5 par quintile sur chacun, puis nommé par les règles de docs/METRICS.md : champions (meilleurs sur les trois), loyal (fidèles), new (nouveaux), need attention (à surveiller), at risk (achetaient souvent, plus récemment), hibernating (en sommeil).",
            "Recency, frequency, monetary value: each customer scored 1-5 by quintile on each, then named by the rules of docs/METRICS.md: champions (best on all three), loyal, new, need attention, at risk (used to buy often, not lately), hibernating.",
        ),
        "weighted_nps" => tr("NPS pondéré", "Weighted NPS"),
        "value_col" => tr("Valeur", "Value"),
        "targets" => tr("Objectifs et référence", "Targets and benchmark"),
        "targets_help" => tr(
            "Écart au NPS visé, et test unilatéral : « significativement en dessous » quand p < 0,05 (un NPS aussi bas serait improbable si le NPS réel atteignait l'objectif).",
            "Gap to the NPS aimed at, and a one-sided test: significantly below when p < 0.05 (an NPS this low would be unlikely if the true NPS were at the target).",
        ),
        "target" => tr("Objectif", "Target"),
        "gap" => tr("Écart", "Gap"),
        "verdict" => tr("Verdict", "Verdict"),
        "low_n" => {
            if fr {
                "moins de 30 réponses : à lire comme une tendance"
            } else {
                "fewer than 30 responses: read as a direction only"
            }
        }
        _ => "",
    }
}

fn num(v: Option<f64>, signed: bool) -> String {
    match v {
        Some(x) if signed => format!("{x:+.1}"),
        Some(x) => format!("{x:.1}"),
        None => "–".into(),
    }
}

/// A number with `decimals` places, "–" when absent.
fn fixed(v: Option<f64>, decimals: usize) -> String {
    v.map_or("–".into(), |x| format!("{x:.decimals$}"))
}

/// A share as a whole percentage, "–" when absent.
fn percent(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{:.0} %", x * 100.0))
}

/// report.md
/// One parent theme: label (children), responses (share), NPS, impact, q. `label` and
/// `children` come escaped for the target format.
fn group_line(l: &str, g: &DriverLine, label: &str, children: &str) -> String {
    format!(
        "{label} ({children}): {} {} ({:.0} %), NPS {}, impact {}, q {}",
        g.n_mentions,
        t(l, "responses"),
        g.share * 100.0,
        num(g.nps_with, true),
        words::impact(g),
        fixed(g.q_value, 3)
    )
}

pub fn markdown(r: &Report) -> String {
    let l = r.lang;
    let mut s = String::new();
    let _ = writeln!(s, "# {}\n", r.title);
    for line in first_screen(r) {
        let _ = writeln!(s, "{line}\n");
    }
    if let Some(h) = r.headline.as_ref().filter(|h| !h.movers.is_empty()) {
        let prev = h.previous.as_ref().map_or("", |p| p.0.as_str());
        let _ = writeln!(s, "**{} {prev}**\n", t(l, "moved"));
        for m in &h.movers {
            let _ = writeln!(s, "- {}", words::mover(l, m, prev));
        }
        s.push('\n');
    }
    let _ = writeln!(s, "## {}\n", t(l, "trend"));
    let _ = writeln!(s, "| period | NPS | ± | n |\n|---|---|---|---|");
    for (p, n, m, c) in &r.trend {
        let _ = writeln!(s, "| {p} | {} | {m:.1} | {c}{} |", num(*n, true), if *c < 30 { " ⚠" } else { "" });
    }
    let _ = writeln!(s, "\n## {}\n\n{}\n", t(l, "drivers"), t(l, "drivers_help"));
    let _ = writeln!(
        s,
        "| {} | {} | {} | Impact | Lift | q | {} | {} |\n|---|---|---|---|---|---|---|---|",
        t(l, "theme"),
        t(l, "mentions"),
        t(l, "theme_nps"),
        t(l, "negative"),
        t(l, "examples")
    );
    for d in &r.drivers {
        let ex = d.examples.iter().map(|e| format!("“{}”", e.replace('|', "/"))).collect::<Vec<_>>().join("<br>");
        let _ = writeln!(
            s,
            "| {} | {} ({:.0} %) | {} | {} | {} | {} | {} | {ex} |",
            d.label,
            d.n_mentions,
            d.share * 100.0,
            num(d.nps_with, true),
            words::impact(d),
            fixed(d.lift, 2),
            fixed(d.q_value, 3),
            percent(d.negative_share)
        );
    }
    if !r.inside.is_empty() {
        let _ = writeln!(s, "\n### {}\n\n{}\n", t(l, "inside"), t(l, "inside_help"));
        for (label, subs) in &r.inside {
            let _ = writeln!(s, "**{label}**\n");
            for x in subs {
                let _ = writeln!(s, "- “{}” — {} {} “{}”", x.phrase, x.count, t(l, "clauses_eg"), x.example);
            }
            s.push('\n');
        }
    }
    if !r.groups.is_empty() {
        let _ = writeln!(s, "\n{}\n", t(l, "groups"));
        for g in &r.groups {
            let _ = writeln!(s, "- {}", group_line(l, g, &g.label, &g.examples.join(", ")));
        }
    }
    if let Some((r2, rows)) = &r.key_drivers {
        let _ = writeln!(
            s,
            "\n## {}\n\n{} (R² = {r2:.3})\n\n| {} | {} | odds ratio |\n|---|---|---|",
            t(l, "key"),
            t(l, "key_help"),
            t(l, "theme"),
            t(l, "share_r2")
        );
        for (label, share, odds) in rows {
            let pct = if *r2 > 0.0 { share / r2 * 100.0 } else { 0.0 };
            let _ = writeln!(s, "| {label} | {pct:.0} % | {odds:.2} |");
        }
    }
    if let Some(v) = &r.value {
        let _ = writeln!(s, "\n## {}\n\n{}\n\n{}\n", t(l, "value_title"), words::weighted(l, v), t(l, "value_help"));
        let _ = writeln!(s, "| {} |\n|---|---|---|---|---|---|---|", value_header(l).join(" | "));
        for row in value_rows(l, v) {
            let _ = writeln!(s, "| {} |", row.map(|c| c.replace('|', "/")).join(" | "));
        }
        if !v.rfm.is_empty() {
            let _ = writeln!(
                s,
                "\n### {}\n\n{}\n\n| {} | n | NPS | {} | {} |\n|---|---|---|---|---|",
                t(l, "rfm"),
                t(l, "rfm_help"),
                t(l, "segment"),
                t(l, "weighted_nps"),
                t(l, "value_col")
            );
            for row in rfm_rows(l, v) {
                let _ = writeln!(s, "| {} |", row.join(" | "));
            }
        }
    }
    if !r.targets.is_empty() {
        let _ = writeln!(
            s,
            "\n## {}\n\n{}\n\n| {} | {} | NPS | {} | {} |\n|---|---|---|---|---|",
            t(l, "targets"),
            t(l, "targets_help"),
            t(l, "target"),
            t(l, "segment"),
            t(l, "gap"),
            t(l, "verdict")
        );
        for row in target_rows(l, r) {
            let _ = writeln!(s, "| {} |", row.map(|c| c.replace('|', "/")).join(" | "));
        }
    }
    let _ = writeln!(
        s,
        "\n## {}\n\n| id | {} | NPS | {} |\n|---|---|---|---|",
        t(l, "emerging"),
        t(l, "size"),
        t(l, "example")
    );
    for (id, label, size, nps, ex) in &r.emerging {
        let _ = writeln!(s, "| {id} ({label}) | {size} | {} | “{}” |", num(*nps, true), ex.replace('|', "/"));
    }
    let _ = writeln!(s, "\n## {}\n", t(l, "segments"));
    for line in r.segments.iter().filter(|x| x.stands_out) {
        let _ = writeln!(s, "- {}", words::segment(l, line));
    }
    // With a monetary column, the value-weighted NPS of each segment value beside its NPS.
    let valued = r.value.is_some();
    let (wh, wsep) = if valued { (format!(" {} |", t(l, "weighted_nps")), "---|") } else { (String::new(), "") };
    let _ = writeln!(
        s,
        "\n| {} | {} | n | NPS | ± | {} |{wh}\n|---|---|---|---|---|---|{wsep}",
        t(l, "segment"),
        t(l, "value"),
        t(l, "rest")
    );
    for x in &r.segments {
        let w = if valued { format!(" {} |", num(x.nps_weighted, true)) } else { String::new() };
        let _ = writeln!(
            s,
            "| {} | {} | {}{} | {} | {:.1} | {} |{w}",
            x.segment,
            x.value,
            x.n,
            if x.n < 30 { " ⚠" } else { "" },
            num(x.nps, true),
            x.moe95,
            num(x.rest_nps, true)
        );
    }
    let _ = writeln!(s, "\n⚠ {}\n\n## {}\n", t(l, "low_n"), t(l, "quality"));
    for (k, v) in &r.quality {
        let _ = writeln!(s, "- {k}: {v}");
    }
    s
}

/// Trend chart, with its text alternative.
fn trend_svg(r: &Report) -> String {
    let l = r.lang;
    let points: Vec<charts::TrendPoint> =
        r.trend.iter().map(|(label, nps, moe, _)| charts::TrendPoint { label, nps: *nps, moe95: *moe }).collect();
    let desc = match (r.trend.first(), r.trend.last()) {
        (Some(a), Some(b)) => {
            format!("NPS {} {} ({}) {} {} ({}).", t(l, "from"), a.0, num(a.1, true), t(l, "to"), b.0, num(b.1, true))
        }
        _ => String::new(),
    };
    charts::trend(&points, t(l, "trend"), &desc)
}

/// Driver chart: impact per theme as horizontal bars, mentions beside them.
fn drivers_svg(r: &Report) -> String {
    let l = r.lang;
    let rows: Vec<charts::Bar> = r
        .drivers
        .iter()
        .take(15)
        .map(|d| charts::Bar {
            label: &d.label,
            value: d.impact,
            moe95: d.impact_moe95,
            note: format!("{} · {:.0} %", d.n_mentions, d.share * 100.0),
        })
        .collect();
    let desc = words::top_drivers(l, &r.drivers).unwrap_or_default();
    charts::bars("drivers", &rows, t(l, "chart_drivers"), &desc, t(l, "impact_axis"), t(l, "mentions"))
}

/// Segments chart: NPS per segment value with its margin, the overall NPS as reference.
fn segments_svg(r: &Report) -> String {
    let l = r.lang;
    let labels: Vec<String> = r.segments.iter().map(|x| format!("{} · {}", x.segment, x.value)).collect();
    let rows: Vec<charts::Interval> = r
        .segments
        .iter()
        .zip(&labels)
        .filter_map(|(x, label)| {
            Some(charts::Interval {
                label,
                value: x.nps?,
                moe95: x.moe95,
                stands_out: x.stands_out,
                note: format!("{} ± {:.0} (n = {})", num(x.nps, true), x.moe95, x.n),
            })
        })
        .take(30)
        .collect();
    let out: Vec<String> =
        r.segments.iter().filter(|x| x.stands_out).map(|x| format!("{} {}", x.segment, x.value)).collect();
    let desc = format!("{}: {}", t(l, "stand_out"), if out.is_empty() { "–".into() } else { out.join(", ") });
    charts::intervals(&rows, r.nps.unwrap_or(0.0), t(l, "segments"), &desc, "NPS ± (n)")
}

/// The sentences of the first screen: the headline period and its changes, then the top
/// three drivers.
fn first_screen(r: &Report) -> Vec<String> {
    let l = r.lang;
    let mut lines = match &r.headline {
        Some(h) => words::headline(l, h),
        None => vec![format!("NPS {} ± {:.1} ({} {}).", num(r.nps, true), r.moe95, r.n, t(l, "responses"))],
    };
    lines.extend(words::top_drivers(l, &r.drivers));
    lines.extend(words::ties(l, &r.drivers));
    if let Some(v) = &r.value {
        lines.push(words::weighted(l, v));
        lines.extend(words::top_revenue_at_risk(l, v));
    }
    lines.extend(r.targets.iter().map(|g| words::target(l, g)));
    lines
}

/// The rest of an HTML table whose `<table><tr>` is written: header cells, then one row per
/// entry (cells escaped; the columns in `numeric` right-aligned), then `</table>`.
fn html_rows<const N: usize>(s: &mut String, header: &[String], rows: &[[String; N]], numeric: &[usize]) {
    for h in header {
        let _ = write!(s, "<th>{}</th>", escape(h));
    }
    s.push_str("</tr>");
    for row in rows {
        s.push_str("<tr>");
        for (k, cell) in row.iter().enumerate() {
            let class = if numeric.contains(&k) { " class=\"n\"" } else { "" };
            let _ = write!(s, "<td{class}>{}</td>", escape(cell));
        }
        s.push_str("</tr>");
    }
    s.push_str("</table>");
}

/// The rows of the side-by-side ranking: (rank, by points, by revenue at risk), each cell
/// already formatted (not escaped).
fn value_rows(l: &str, v: &ValueSection) -> Vec<[String; 7]> {
    let n = v.by_points.len().max(v.by_revenue.len());
    (0..n)
        .map(|i| {
            let p = v.by_points.get(i);
            let m = v.by_revenue.get(i);
            [
                (i + 1).to_string(),
                p.map_or(String::new(), |x| x.0.clone()),
                p.map_or(String::new(), |x| format!("{:+.1}", x.1)),
                p.map_or(String::new(), |x| num(x.2, true)),
                m.map_or(String::new(), |x| x.0.clone()),
                m.map_or(String::new(), |x| {
                    format!(
                        "{}{}",
                        words::amount(l, x.1),
                        x.2.map_or(String::new(), |s| format!(" ({:.0} %)", s * 100.0))
                    )
                }),
                m.map_or(String::new(), |x| words::amount(l, x.3)),
            ]
        })
        .collect()
}

/// The header of the side-by-side ranking.
fn value_header(l: &str) -> [String; 7] {
    [
        "#".into(),
        format!("{} — {}", t(l, "by_points"), t(l, "theme")),
        "Impact".into(),
        t(l, "weighted_impact").into(),
        format!("{} — {}", t(l, "by_revenue"), t(l, "theme")),
        t(l, "at_risk").into(),
        t(l, "passives_value").into(),
    ]
}

/// The RFM table's rows: segment, n, NPS ± margin, weighted NPS, value.
fn rfm_rows(l: &str, v: &ValueSection) -> Vec<[String; 5]> {
    v.rfm
        .iter()
        .map(|(name, n, nps, moe, wnps, value)| {
            [
                name.clone(),
                format!("{n}{}", if *n < 30 { " ⚠" } else { "" }),
                format!("{} ± {moe:.1}", num(*nps, true)),
                num(*wnps, true),
                words::amount(l, *value),
            ]
        })
        .collect()
}

/// The targets table's rows: target, segment, NPS ± margin, gap, one-sided p, verdict.
fn target_rows(l: &str, r: &Report) -> Vec<[String; 5]> {
    r.targets
        .iter()
        .map(|g| {
            let what = match g.kind {
                "benchmark" => format!(
                    "{} {:+.0}{}",
                    if l == "fr" { "Référence" } else { "Benchmark" },
                    g.target,
                    g.source.as_ref().map_or(String::new(), |s| format!(" ({s})"))
                ),
                _ => format!("{} {:+.0}", t(l, "target"), g.target),
            };
            let group = if g.segment == "all" { "all".to_string() } else { format!("{} = {}", g.segment, g.value) };
            let p = |p: f64| if p < 0.001 { "< 0.001".to_string() } else { format!("= {p:.3}") };
            let verdict = match g.p_value_below {
                Some(x) if g.significantly_below => {
                    format!(
                        "{} (p {})",
                        if l == "fr" { "significativement en dessous" } else { "significantly below" },
                        p(x)
                    )
                }
                Some(x) => format!(
                    "{} (p {})",
                    if l == "fr" { "pas significativement en dessous" } else { "not significantly below" },
                    p(x)
                ),
                None => "–".into(),
            };
            [what, group, format!("{} ± {:.1} (n = {})", num(g.nps, true), g.moe95, g.n), num(g.gap, true), verdict]
        })
        .collect()
}

/// Okabe-Ito colours (safe for colour-blind readers): vermillion costs, blue earns.
const CSS: &str = "body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:980px;margin:2rem auto;padding:0 1rem;color:#1d2330}\
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2.2rem;border-bottom:1px solid #dde}\
.first{background:#f3f6fb;border-left:4px solid #0072B2;padding:.4rem 1rem;margin:1rem 0}.first p{margin:.35rem 0}\
.headline{font-size:2.6rem;font-weight:700}.muted{color:#667}.chart{width:100%;height:auto;background:#fafbfd;border:1px solid #eef}\
.band{fill:#0072B2;fill-opacity:.18}.line{fill:none;stroke:#0072B2;stroke-width:2.5}.pt{fill:#0072B2}.zero{stroke:#778;stroke-dasharray:4 3}\
.grid{stroke:#e3e6ee}.ref{stroke:#333;stroke-dasharray:5 4}\
.val{font-size:11px;fill:#1d2330}.axis{font-size:11px;text-anchor:middle;fill:#556}.tick{font-size:11px;fill:#556}\
.axist{font-size:11px;fill:#445;font-weight:600}.lbl{font-size:12px;fill:#1d2330}.note{font-size:11px;fill:#556}\
.cost{fill:#D55E00}.gain{fill:#0072B2}line.ci{stroke:#8a94a6;stroke-width:2}circle.ci{fill:#8a94a6}line.ci.out{stroke:#D55E00;stroke-width:3}circle.ci.out{fill:#D55E00}\
table{border-collapse:collapse;width:100%;margin:.6rem 0;display:block;overflow-x:auto}\
th,td{border-bottom:1px solid #e4e6ee;padding:.35rem .45rem;text-align:left;vertical-align:top}th{background:#f3f5fa;white-space:nowrap}\
td.n{text-align:right;white-space:nowrap}.ex{font-style:italic;color:#444;font-size:.9em;overflow-wrap:anywhere}@media print{body{margin:0}.chart{break-inside:avoid}}";

/// report.html
pub fn html(r: &Report) -> String {
    let l = r.lang;
    let mut s = format!(
        "<!DOCTYPE html><html lang=\"{l}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width,initial-scale=1\"><title>{}</title><style>{CSS}</style></head><body>",
        escape(&r.title)
    );
    let (big, moe) = r.headline.as_ref().map_or((r.nps, r.moe95), |h| (h.nps, h.moe95));
    let _ = write!(
        s,
        "<h1>{}</h1><section class=\"first\"><p class=\"headline\">{} <span class=\"muted\">± {moe:.0}</span></p>",
        escape(&r.title),
        big.map_or("–".into(), |v| format!("{v:+.0}"))
    );
    for line in first_screen(r) {
        let _ = write!(s, "<p>{}</p>", escape(&line));
    }
    if let Some(h) = r.headline.as_ref().filter(|h| !h.movers.is_empty()) {
        let prev = h.previous.as_ref().map_or("", |p| p.0.as_str());
        let _ = write!(s, "<p><b>{} {}</b></p><ul>", t(l, "moved"), escape(prev));
        for m in &h.movers {
            let _ = write!(s, "<li>{}</li>", escape(&words::mover(l, m, prev)));
        }
        s.push_str("</ul>");
    }
    let _ = write!(s, "<p class=\"muted\">{}</p></section>", t(l, "margin"));
    let _ = write!(s, "<h2>{}</h2>{}", t(l, "trend"), trend_svg(r));
    let _ = write!(s, "<h2>{}</h2><p class=\"muted\">{}</p>{}", t(l, "drivers"), t(l, "drivers_help"), drivers_svg(r));
    if !r.inside.is_empty() {
        let _ = write!(s, "<h3>{}</h3><p class=\"muted\">{}</p>", t(l, "inside"), t(l, "inside_help"));
        for (label, subs) in &r.inside {
            let _ = write!(s, "<p><b>{}</b></p><ul>", escape(label));
            for x in subs {
                let _ = write!(
                    s,
                    "<li>“{}” — {} {} <span class=\"ex\">“{}”</span></li>",
                    escape(&x.phrase),
                    x.count,
                    t(l, "clauses_eg"),
                    escape(&x.example)
                );
            }
            s.push_str("</ul>");
        }
    }
    let _ = write!(s, "<table class=\"drivers\"><tr><th>{}</th><th>{}</th><th>{}</th><th>Impact</th><th>Lift</th><th>q</th><th>{}</th><th>{}</th></tr>",
        t(l, "theme"), t(l, "mentions"), t(l, "theme_nps"), t(l, "negative"), t(l, "examples"));
    for d in &r.drivers {
        let ex: String = d.examples.iter().map(|e| format!("<div class=\"ex\">“{}”</div>", escape(e))).collect();
        let _ = write!(s, "<tr><td>{}</td><td class=\"n\">{} ({:.0} %)</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td>{ex}</td></tr>",
            escape(&d.label), d.n_mentions, d.share * 100.0, num(d.nps_with, true), words::impact(d),
            fixed(d.lift, 2), fixed(d.q_value, 3), percent(d.negative_share));
    }
    s.push_str("</table>");
    if !r.groups.is_empty() {
        let _ = write!(s, "<p>{}</p><ul class=\"groups\">", t(l, "groups"));
        for g in &r.groups {
            let children = g.examples.iter().map(|c| escape(c)).collect::<Vec<_>>().join(", ");
            let _ = write!(s, "<li>{}</li>", group_line(l, g, &escape(&g.label), &children));
        }
        s.push_str("</ul>");
    }
    if let Some((r2, rows)) = &r.key_drivers {
        let _ = write!(s, "<h2>{}</h2><p class=\"muted\">{} (R² = {r2:.3})</p><table class=\"keydrivers\"><tr><th>{}</th><th>{}</th><th>odds ratio</th></tr>", t(l, "key"), t(l, "key_help"), t(l, "theme"), t(l, "share_r2"));
        for (label, share, odds) in rows {
            let pct = if *r2 > 0.0 { share / r2 * 100.0 } else { 0.0 };
            let _ = write!(
                s,
                "<tr><td>{}</td><td class=\"n\">{pct:.0} %</td><td class=\"n\">{odds:.2}</td></tr>",
                escape(label)
            );
        }
        s.push_str("</table>");
    }
    if let Some(v) = &r.value {
        let _ = write!(
            s,
            "<h2>{}</h2><p>{}</p><p class=\"muted\">{}</p><table class=\"value\"><tr>",
            t(l, "value_title"),
            escape(&words::weighted(l, v)),
            t(l, "value_help")
        );
        html_rows(&mut s, &value_header(l), &value_rows(l, v), &[0, 2, 3, 5, 6]);
        if !v.rfm.is_empty() {
            let _ = write!(
                s,
                "<h3>{}</h3><p class=\"muted\">{}</p><table class=\"rfm\"><tr>",
                t(l, "rfm"),
                t(l, "rfm_help")
            );
            let header = [t(l, "segment"), "n", "NPS", t(l, "weighted_nps"), t(l, "value_col")].map(String::from);
            html_rows(&mut s, &header, &rfm_rows(l, v), &[1, 2, 3, 4]);
        }
    }
    if !r.targets.is_empty() {
        let _ = write!(
            s,
            "<h2>{}</h2><p class=\"muted\">{}</p><table class=\"targets\"><tr>",
            t(l, "targets"),
            t(l, "targets_help")
        );
        let header = [t(l, "target"), t(l, "segment"), "NPS", t(l, "gap"), t(l, "verdict")].map(String::from);
        html_rows(&mut s, &header, &target_rows(l, r), &[2, 3]);
    }
    let _ = write!(
        s,
        "<h2>{}</h2><table><tr><th>id</th><th>{}</th><th>NPS</th><th>{}</th></tr>",
        t(l, "emerging"),
        t(l, "size"),
        t(l, "example")
    );
    for (id, label, size, nps, ex) in &r.emerging {
        let _ = write!(s, "<tr><td>{} <span class=\"muted\">({})</span></td><td class=\"n\">{size}</td><td class=\"n\">{}</td><td class=\"ex\">“{}”</td></tr>", escape(id), escape(label), num(*nps, true), escape(ex));
    }
    s.push_str("</table>");
    let _ = write!(s, "<h2>{}</h2>{}", t(l, "segments"), segments_svg(r));
    let standouts: Vec<_> = r.segments.iter().filter(|x| x.stands_out).collect();
    if !standouts.is_empty() {
        let _ = write!(s, "<p><b>{}</b></p><ul>", t(l, "stand_out"));
        for x in standouts {
            let _ = write!(s, "<li>{}</li>", escape(&words::segment(l, x)));
        }
        s.push_str("</ul>");
    }
    let valued = r.value.is_some();
    let _ = write!(
        s,
        "<table class=\"segments\"><tr><th>{}</th><th>{}</th><th>n</th><th>NPS</th><th>±</th><th>{}</th>{}</tr>",
        t(l, "segment"),
        t(l, "value"),
        t(l, "rest"),
        if valued { format!("<th>{}</th>", t(l, "weighted_nps")) } else { String::new() }
    );
    for x in &r.segments {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td class=\"n\">{}{}</td><td class=\"n\">{}</td><td class=\"n\">{:.1}</td><td class=\"n\">{}</td>{}</tr>",
            escape(&x.segment),
            escape(&x.value),
            x.n,
            if x.n < 30 { " ⚠" } else { "" },
            num(x.nps, true),
            x.moe95,
            num(x.rest_nps, true),
            if valued { format!("<td class=\"n\">{}</td>", num(x.nps_weighted, true)) } else { String::new() }
        );
    }
    let _ = write!(s, "</table><p class=\"muted\">⚠ {}</p><h2>{}</h2><ul>", t(l, "low_n"), t(l, "quality"));
    for (k, v) in &r.quality {
        let _ = write!(s, "<li>{}: {}</li>", escape(k), escape(v));
    }
    s.push_str("</ul></body></html>\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            lang: "en",
            title: "NPS report".into(),
            n: 120,
            nps: Some(12.5),
            moe95: 9.0,
            trend: vec![("2026-W01".into(), Some(10.0), 12.0, 60), ("2026-W02".into(), Some(15.0), 11.0, 25)],
            headline: None,
            drivers: vec![DriverLine {
                label: "Price".into(),
                n_mentions: 30,
                share: 0.25,
                nps_with: Some(-20.0),
                impact: -8.0,
                impact_moe95: Some(4.2),
                tier: Some(0),
                lift: Some(1.9),
                q_value: Some(0.01),
                negative_share: Some(0.8),
                examples: vec!["<script>alert('x')</script> trop cher".into()],
            }],
            groups: vec![DriverLine {
                label: "Money <&>".into(),
                n_mentions: 40,
                share: 0.33,
                nps_with: Some(-15.0),
                impact: -9.5,
                impact_moe95: Some(5.0),
                tier: None,
                lift: Some(1.7),
                q_value: Some(0.004),
                negative_share: None,
                examples: vec!["Price".into(), "Billing".into()],
            }],
            emerging: vec![],
            inside: Vec::new(),
            segments: vec![super::super::changes::SegmentLine {
                segment: "Plan".into(),
                value: "Basic".into(),
                n: 20,
                nps: Some(-5.0),
                moe95: 30.0,
                rest_nps: Some(14.0),
                q_value: Some(0.2),
                stands_out: false,
                why: Vec::new(),
                nps_weighted: None,
            }],
            quality: vec![("rejected".into(), "2".into())],
            key_drivers: Some((0.2, vec![("Price".into(), 0.15, 2.5)])),
            value: None,
            targets: Vec::new(),
        }
    }

    #[test]
    fn html_escapes_verbatims_and_is_self_contained() {
        let h = html(&sample());
        assert!(!h.contains("<script>"), "a verbatim must not inject a script");
        assert!(h.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
        assert!(h.contains("<svg") && h.contains("class=\"band\""));
        assert!(!h.contains("http://") && !h.contains("https://"), "no network");
        let md = markdown(&sample());
        assert!(md.contains("| Price | 30 (25 %) | -20.0 | -8.0 ± 4.2 | 1.90 | 0.010 | 80 % |"), "{md}");
        assert!(md.contains("⚠"));
        // Parent themes, rolled up, below the table.
        assert!(
            md.contains("- Money <&> (Price, Billing): 40 responses (33 %), NPS -15.0, impact -9.5 ± 5.0, q 0.004"),
            "{md}"
        );
        assert!(h.contains(
            "<li>Money &lt;&amp;&gt; (Price, Billing): 40 responses (33 %), NPS -15.0, impact -9.5 ± 5.0, q 0.004</li>"
        ));
    }
}
