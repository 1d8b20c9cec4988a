//! The report's charts as hand-written SVG: axes with tick values, labels placed so that
//! none collide (period labels thinned to the room they need, one row per theme or
//! segment instead of a scatter), a colour-blind-safe palette (Okabe-Ito: vermillion for
//! what costs points, blue for what earns them), and a `<title>` / `<desc>` text
//! alternative in each chart. Text widths are estimated from the character count (a
//! conservative 0.66 em per character); the browser test in tests/run.rs checks the
//! rendered boxes.

use std::fmt::Write;

use super::render::escape;

/// Estimated width in px of `text` at `font` px.
pub fn text_width(text: &str, font: f64) -> f64 {
    text.chars().count() as f64 * font * 0.66
}

/// Round tick values covering `lo..=hi`: about `target` of them, steps of 1, 2 or 5 x 10^k.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if hi <= lo || !lo.is_finite() || !hi.is_finite() {
        return vec![lo];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0].iter().map(|m| m * mag).find(|s| *s >= raw).unwrap_or(10.0 * mag);
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    (first..=last).map(|k| k as f64 * step).collect()
}

/// A signed whole number of points ("+12", "0", "-8").
fn signed(v: f64) -> String {
    if v.round() == 0.0 {
        "0".into()
    } else {
        format!("{:+.0}", v)
    }
}

/// The opening of a chart: viewBox, role, and its title and description for screen readers.
fn open(w: f64, h: f64, id: &str, title: &str, desc: &str) -> String {
    format!(
        "<svg viewBox=\"0 0 {w} {h}\" role=\"img\" aria-labelledby=\"{id}-t {id}-d\" class=\"chart\" id=\"{id}\">\
         <title id=\"{id}-t\">{}</title><desc id=\"{id}-d\">{}</desc>",
        escape(title),
        escape(desc)
    )
}

/// `text` cut to `max_px` at `font` px, with an ellipsis.
fn fit(text: &str, max_px: f64, font: f64) -> String {
    if text_width(text, font) <= max_px {
        return text.to_string();
    }
    let keep = ((max_px / (font * 0.66)) as usize).saturating_sub(1);
    format!("{}…", text.chars().take(keep).collect::<String>())
}

/// Vertical gridlines from `top` to `axis_y` at `ticks`, with their values under the axis.
fn vertical_ticks(s: &mut String, ticks: &[f64], x: impl Fn(f64) -> f64, top: f64, axis_y: f64) {
    for &t in ticks {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{top}\" y2=\"{axis_y}\"/>\
             <text class=\"tick\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
            x(t),
            x(t),
            x(t),
            axis_y + 14.0,
            signed(t)
        );
    }
}

/// One point of the trend: period label, NPS, margin of error.
pub struct TrendPoint<'a> {
    pub label: &'a str,
    pub nps: Option<f64>,
    pub moe95: f64,
}

/// NPS by period with its margin as a band. The vertical axis has tick values; period
/// labels are thinned (the latest always shown) so that each has the room it needs, and
/// the value of a point is written only where its period is labelled.
pub fn trend(points: &[TrendPoint], title: &str, desc: &str) -> String {
    let (w, h) = (760.0, 270.0);
    let (left, right, top, bottom) = (58.0, 24.0, 22.0, 34.0);
    let pts: Vec<(usize, f64, f64)> =
        points.iter().enumerate().filter_map(|(i, p)| p.nps.map(|v| (i, v, p.moe95))).collect();
    if pts.is_empty() {
        return String::new();
    }
    let lo = pts.iter().map(|p| p.1 - p.2).fold(0.0, f64::min).max(-100.0);
    let hi = pts.iter().map(|p| p.1 + p.2).fold(0.0, f64::max).min(100.0);
    let pad = ((hi - lo) * 0.06).max(2.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let n = points.len();
    // The first and last points sit inside the plot, away from the axis labels.
    let (x0, x1) = (left + 18.0, w - right - 18.0);
    let x = |i: usize| if n == 1 { (x0 + x1) / 2.0 } else { x0 + (x1 - x0) * i as f64 / (n - 1) as f64 };
    let y = |v: f64| h - bottom - (h - top - bottom) * (v - lo) / (hi - lo);
    let mut s = open(w, h, "trend", title, desc);
    for t in nice_ticks(lo, hi, 6) {
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
             <text class=\"tick\" x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>",
            w - right,
            y(t),
            y(t),
            left - 8.0,
            y(t) + 4.0,
            signed(t)
        );
    }
    let _ = write!(
        s,
        "<text class=\"axist\" transform=\"translate(14 {:.1}) rotate(-90)\" text-anchor=\"middle\">NPS</text>",
        (top + h - bottom) / 2.0
    );
    let top_band: Vec<String> = pts.iter().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.1 + p.2))).collect();
    let bottom_band: Vec<String> = pts.iter().rev().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.1 - p.2))).collect();
    let _ = write!(s, "<polygon class=\"band\" points=\"{} {}\"/>", top_band.join(" "), bottom_band.join(" "));
    let _ = write!(
        s,
        "<line class=\"zero\" x1=\"{left}\" x2=\"{}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
        w - right,
        y(0.0),
        y(0.0)
    );
    let line: Vec<String> = pts.iter().map(|p| format!("{:.1},{:.1}", x(p.0), y(p.1))).collect();
    let _ = write!(s, "<polyline class=\"line\" points=\"{}\"/>", line.join(" "));
    // Thinning: every `stride`-th period, counted back from the latest.
    let widest = points.iter().map(|p| text_width(p.label, 11.0)).fold(0.0, f64::max);
    let spacing = if n > 1 { (x1 - x0) / (n - 1) as f64 } else { w };
    let stride = ((widest + 10.0) / spacing).ceil().max(1.0) as usize;
    let shown = |i: usize| (n - 1 - i).is_multiple_of(stride);
    for p in &pts {
        let _ = write!(
            s,
            "<circle class=\"pt\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\"><title>{}: {:+.1} ± {:.1}</title></circle>",
            x(p.0),
            y(p.1),
            escape(points[p.0].label),
            p.1,
            p.2
        );
        if shown(p.0) {
            let _ = write!(
                s,
                "<text class=\"val\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>",
                x(p.0),
                y(p.1) - 9.0,
                signed(p.1)
            );
        }
    }
    for (i, p) in points.iter().enumerate().filter(|(i, _)| shown(*i)) {
        let _ = write!(s, "<text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{}</text>", x(i), h - 12.0, escape(p.label));
    }
    s.push_str("</svg>");
    s
}

/// One row of a bar chart of impacts.
pub struct Bar<'a> {
    pub label: &'a str,
    pub value: f64,
    /// The value's 95 % margin, drawn as a whisker across the bar's end.
    pub moe95: Option<f64>,
    /// Written in the right-hand column (e.g. "120 · 14 %").
    pub note: String,
}

/// Horizontal bars of impact in NPS points, one row per theme (so no label can collide):
/// theme names on the left, the value at the end of each bar (beyond its margin's whisker,
/// when it has one), `note_head` over the right-hand column, an axis with tick values and
/// `axis_title` at the bottom.
pub fn bars(id: &str, rows: &[Bar], title: &str, desc: &str, axis_title: &str, note_head: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let (w, row_h, top, font) = (760.0, 26.0, 26.0, 12.0);
    let (label_w, note_w) = (240.0, 110.0);
    let h = top + rows.len() as f64 * row_h + 46.0;
    let (bar_l, bar_r) = (label_w + 8.0, w - note_w - 8.0);
    // Room for the value labels beyond the bars' ends.
    let (plot_l, plot_r) = (bar_l + 40.0, bar_r - 40.0);
    let m = |r: &Bar| r.moe95.unwrap_or(0.0);
    let lo = rows.iter().map(|r| r.value - m(r)).fold(0.0, f64::min);
    let hi = rows.iter().map(|r| r.value + m(r)).fold(0.0, f64::max);
    let (lo, hi) = if hi - lo < 1.0 { (lo - 0.5, hi + 0.5) } else { (lo, hi) };
    let x = |v: f64| plot_l + (plot_r - plot_l) * (v - lo) / (hi - lo);
    let mut s = open(w, h, id, title, desc);
    let axis_y = top + rows.len() as f64 * row_h + 4.0;
    vertical_ticks(&mut s, &nice_ticks(lo, hi, 5), x, top, axis_y);
    let _ = write!(
        s,
        "<text class=\"axist\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\
         <text class=\"axist\" x=\"{:.1}\" y=\"16\">{}</text>",
        (plot_l + plot_r) / 2.0,
        axis_y + 34.0,
        escape(axis_title),
        w - note_w,
        escape(note_head)
    );
    for (k, r) in rows.iter().enumerate() {
        let yc = top + k as f64 * row_h + row_h / 2.0;
        let (a, b) = (x(0.0).min(x(r.value)), x(0.0).max(x(r.value)));
        let cls = if r.value < 0.0 { "cost" } else { "gain" };
        let (lo_x, hi_x) = (x(r.value - m(r)), x(r.value + m(r)));
        let (vx, anchor) = if r.value < 0.0 { (a.min(lo_x) - 4.0, "end") } else { (b.max(hi_x) + 4.0, "start") };
        let _ = write!(
            s,
            "<text class=\"lbl\" x=\"{label_w}\" y=\"{:.1}\" text-anchor=\"end\">{}<title>{}</title></text>\
             <rect class=\"{cls}\" x=\"{a:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"16\"/>\
             <text class=\"val\" x=\"{vx:.1}\" y=\"{:.1}\" text-anchor=\"{anchor}\">{:+.1}</text>\
             <text class=\"note\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            yc + 4.0,
            escape(&fit(r.label, label_w - 4.0, font)),
            escape(r.label),
            yc - 8.0,
            (b - a).max(1.0),
            yc + 4.0,
            r.value,
            w - note_w,
            yc + 4.0,
            escape(&r.note)
        );
        // Over the bar, so that the part of the margin inside it shows.
        if r.moe95.is_some() {
            let _ = write!(
                s,
                "<line class=\"ci\" x1=\"{lo_x:.1}\" x2=\"{hi_x:.1}\" y1=\"{yc:.1}\" y2=\"{yc:.1}\"/>\
                 <line class=\"ci\" x1=\"{lo_x:.1}\" x2=\"{lo_x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>\
                 <line class=\"ci\" x1=\"{hi_x:.1}\" x2=\"{hi_x:.1}\" y1=\"{:.1}\" y2=\"{:.1}\"/>",
                yc - 5.0,
                yc + 5.0,
                yc - 5.0,
                yc + 5.0
            );
        }
    }
    let _ = write!(s, "<line class=\"zero\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{top}\" y2=\"{axis_y}\"/>", x(0.0), x(0.0));
    s.push_str("</svg>");
    s
}

/// One row of the segments chart.
pub struct Interval<'a> {
    pub label: &'a str,
    pub value: f64,
    pub moe95: f64,
    /// Differs significantly from the rest of the responses.
    pub stands_out: bool,
    pub note: String,
}

/// NPS per segment value with its margin as a whisker, a dashed line at `reference`
/// (the overall NPS), one row per value; values that stand out are drawn darker.
pub fn intervals(rows: &[Interval], reference: f64, title: &str, desc: &str, note_head: &str) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let (w, row_h, top, font) = (760.0, 24.0, 26.0, 12.0);
    let (label_w, note_w) = (220.0, 150.0);
    let h = top + rows.len() as f64 * row_h + 46.0;
    let (plot_l, plot_r) = (label_w + 24.0, w - note_w - 24.0);
    let lo = rows.iter().map(|r| r.value - r.moe95).fold(reference, f64::min).max(-100.0);
    let hi = rows.iter().map(|r| r.value + r.moe95).fold(reference, f64::max).min(100.0);
    let pad = ((hi - lo) * 0.05).max(2.0);
    let (lo, hi) = (lo - pad, hi + pad);
    let x = |v: f64| plot_l + (plot_r - plot_l) * (v.clamp(lo, hi) - lo) / (hi - lo);
    let mut s = open(w, h, "segments", title, desc);
    let axis_y = top + rows.len() as f64 * row_h + 4.0;
    vertical_ticks(&mut s, &nice_ticks(lo, hi, 6), x, top, axis_y);
    let _ = write!(
        s,
        "<line class=\"ref\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{top}\" y2=\"{axis_y}\"/>\
         <text class=\"axist\" x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">NPS</text>\
         <text class=\"axist\" x=\"{:.1}\" y=\"16\">{}</text>",
        x(reference),
        x(reference),
        (plot_l + plot_r) / 2.0,
        axis_y + 34.0,
        w - note_w,
        escape(note_head)
    );
    for (k, r) in rows.iter().enumerate() {
        let yc = top + k as f64 * row_h + row_h / 2.0;
        let cls = if r.stands_out { "ci out" } else { "ci" };
        let _ = write!(
            s,
            "<text class=\"lbl\" x=\"{label_w}\" y=\"{:.1}\" text-anchor=\"end\">{}<title>{}</title></text>\
             <line class=\"{cls}\" x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{yc:.1}\" y2=\"{yc:.1}\"/>\
             <circle class=\"{cls}\" cx=\"{:.1}\" cy=\"{yc:.1}\" r=\"4.5\"/>\
             <text class=\"note\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
            yc + 4.0,
            escape(&fit(r.label, label_w - 4.0, font)),
            escape(r.label),
            x(r.value - r.moe95),
            x(r.value + r.moe95),
            x(r.value),
            w - note_w,
            yc + 4.0,
            escape(&r.note)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticks_are_round_and_cover_the_range() {
        assert_eq!(nice_ticks(-32.0, 18.0, 5), [-30.0, -20.0, -10.0, 0.0, 10.0]);
        assert_eq!(nice_ticks(-4.2, 1.3, 5), [-4.0, -2.0, 0.0]);
        assert_eq!(nice_ticks(0.0, 100.0, 5), [0.0, 20.0, 40.0, 60.0, 80.0, 100.0]);
        assert_eq!(nice_ticks(3.0, 3.0, 5), [3.0]);
    }

    /// The x of every period label the trend chart writes.
    fn label_xs(svg: &str) -> Vec<f64> {
        svg.split("<text class=\"axis\" x=\"")
            .skip(1)
            .map(|rest| rest.split('"').next().unwrap().parse().unwrap())
            .collect()
    }

    #[test]
    fn period_labels_are_thinned_to_their_width_and_the_latest_is_shown() {
        let labels: Vec<String> = (1..=60).map(|w| format!("2026-W{w:02}")).collect();
        for n in [1, 2, 10, 27, 30, 60] {
            let pts: Vec<TrendPoint> =
                labels[..n].iter().map(|l| TrendPoint { label: l, nps: Some(10.0), moe95: 5.0 }).collect();
            let svg = trend(&pts, "t", "d");
            let xs = label_xs(&svg);
            let room = text_width("2026-W01", 11.0) + 10.0;
            assert!(xs.windows(2).all(|p| p[1] - p[0] >= room - 1e-9), "{n} periods: {xs:?}");
            assert!(svg.contains(&format!(">{}</text></svg>", labels[n - 1])), "the latest is labelled ({n})");
            assert!(svg.matches("class=\"tick\"").count() >= 3, "the axis has values");
        }
    }

    #[test]
    fn bars_fit_long_labels_and_escape_them() {
        let rows = [
            Bar {
                label: "Support : temps d'attente & joignabilité du service client",
                value: -12.3,
                moe95: Some(3.0),
                note: "1".into(),
            },
            Bar { label: "<b>", value: 4.0, moe95: None, note: "2".into() },
        ];
        let svg = bars("d", &rows, "Drivers", "desc", "impact", "mentions");
        // One whisker (three lines) for the bar with a margin, its value written beyond it.
        assert_eq!(svg.matches("class=\"ci\"").count(), 3, "{svg}");
        assert!(svg.contains("…<title>Support : temps d&#39;attente"), "{svg}");
        assert!(svg.contains("&lt;b&gt;") && !svg.contains("<b>"));
        assert!(svg.contains("class=\"cost\"") && svg.contains("class=\"gain\""));
    }
}
