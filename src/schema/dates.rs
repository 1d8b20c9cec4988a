//! Dates as survey tools write them: ISO 8601 (with or without time), dd/mm/yyyy and
//! mm/dd/yyyy (told apart from the data), with `/`, `-` or `.`, optional time and AM/PM,
//! and Excel serial day numbers.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime};

/// Day-first (dd/mm/yyyy, Europe) or month-first (mm/dd/yyyy, US) for slashed dates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum DateOrder {
    DayFirst,
    MonthFirst,
}

/// How one date column is parsed, decided once from its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DateFormat {
    pub order: DateOrder,
    /// Whether the order was decided by a value (a day above 12); when false, the column
    /// had no such value and day-first was assumed.
    pub order_from_data: bool,
}

impl DateFormat {
    /// Parse one cell. Empty or unparseable text gives None.
    pub fn parse(&self, s: &str) -> Option<NaiveDateTime> {
        let s = s.trim();
        if s.is_empty() {
            return None;
        }
        if let Some(dt) = parse_excel_serial(s) {
            return Some(dt);
        }
        let p = split(s)?;
        let (y, m, d) = match p.kind {
            Kind::YearFirst => (p.a as i32, p.b, p.c),
            Kind::YearLast => {
                let (m, d) = match self.order {
                    DateOrder::DayFirst => (p.b, p.a),
                    DateOrder::MonthFirst => (p.a, p.b),
                };
                (full_year(p.c), m, d)
            }
        };
        let date = NaiveDate::from_ymd_opt(y, m, d)?;
        Some(date.and_time(p.time.unwrap_or(NaiveTime::MIN)))
    }

    pub fn describe(&self) -> &'static str {
        match (self.order, self.order_from_data) {
            (DateOrder::DayFirst, true) => "dd/mm/yyyy (a day above 12 was seen)",
            (DateOrder::MonthFirst, true) => "mm/dd/yyyy (a day above 12 was seen in second place)",
            (DateOrder::DayFirst, false) => "ISO or dd/mm/yyyy (no day above 12 seen: day-first assumed)",
            (DateOrder::MonthFirst, false) => "mm/dd/yyyy",
        }
    }
}

/// Decide the format of a column from its values. Returns the format and the share of
/// non-empty values that parse with it (0.0 when there are none).
pub fn infer(values: &[&str]) -> (DateFormat, f64) {
    let mut day_first_evidence = 0usize;
    let mut month_first_evidence = 0usize;
    for v in values {
        if let Some(p) = split(v.trim()) {
            if p.kind == Kind::YearLast {
                if p.a > 12 && p.b <= 12 {
                    day_first_evidence += 1;
                } else if p.b > 12 && p.a <= 12 {
                    month_first_evidence += 1;
                }
            }
        }
    }
    let fmt = if month_first_evidence > day_first_evidence {
        DateFormat { order: DateOrder::MonthFirst, order_from_data: true }
    } else {
        DateFormat { order: DateOrder::DayFirst, order_from_data: day_first_evidence > 0 }
    };
    let non_empty: Vec<&&str> = values.iter().filter(|v| !v.trim().is_empty()).collect();
    if non_empty.is_empty() {
        return (fmt, 0.0);
    }
    let ok = non_empty.iter().filter(|v| fmt.parse(v).is_some()).count();
    (fmt, ok as f64 / non_empty.len() as f64)
}

/// Excel stores dates as days since 1899-12-30; only values that are plausible survey
/// dates (1954..2119) are taken, so that scores and ids are never read as dates.
fn parse_excel_serial(s: &str) -> Option<NaiveDateTime> {
    let f: f64 = s.parse().ok()?;
    if !(20_000.0..=80_000.0).contains(&f) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?.and_time(NaiveTime::MIN);
    let secs = (f * 86_400.0).round() as i64;
    Some(base + Duration::seconds(secs))
}

fn full_year(y: u32) -> i32 {
    if y < 100 {
        2000 + y as i32
    } else {
        y as i32
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    YearFirst,
    YearLast,
}

#[derive(Debug)]
struct Parts {
    kind: Kind,
    a: u32,
    b: u32,
    c: u32,
    time: Option<NaiveTime>,
}

/// Split "2026-01-05T10:00:00Z", "05/01/2026 10:00", "1/5/2026 3:04:05 PM" into numbers
/// (no allocation: this runs once per row).
fn split(s: &str) -> Option<Parts> {
    let (date, rest) = match s.find(['T', ' ']) {
        Some(i) => (&s[..i], s[i + 1..].trim()),
        None => (s, ""),
    };
    let sep = date.chars().find(|c| matches!(c, '-' | '/' | '.'))?;
    let mut it = date.split(sep);
    let mut nums = [0u32; 3];
    let mut lens = [0usize; 3];
    for k in 0..3 {
        let n = it.next()?;
        if n.is_empty() || n.len() > 4 || !n.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        nums[k] = n.parse().ok()?;
        lens[k] = n.len();
    }
    if it.next().is_some() {
        return None;
    }
    let kind = if lens[0] == 4 {
        Kind::YearFirst
    } else if lens[2] == 4 || lens[2] == 2 {
        Kind::YearLast
    } else {
        return None;
    };
    let time = if rest.is_empty() { None } else { Some(parse_time(rest)?) };
    Some(Parts { kind, a: nums[0], b: nums[1], c: nums[2], time })
}

fn parse_time(s: &str) -> Option<NaiveTime> {
    let suffix = |tag: &str| {
        let n = s.len();
        (n >= 2 && s.is_char_boundary(n - 2) && s[n - 2..].eq_ignore_ascii_case(tag)).then(|| s[..n - 2].trim())
    };
    let (body, pm, am) = if let Some(b) = suffix("PM") {
        (b, true, false)
    } else if let Some(b) = suffix("AM") {
        (b, false, true)
    } else {
        (s, false, false)
    };
    // Drop a zone suffix (Z, +01:00, -0500): periods are computed on the local date written.
    let body = body.trim_end_matches('Z');
    let body = match body.rfind(['+', '-']) {
        Some(i) if i >= 5 => &body[..i],
        _ => body,
    };
    let mut it = body.split(':');
    let mut h: u32 = it.next()?.trim().parse().ok()?;
    let m: u32 = it.next().unwrap_or("0").trim().parse().ok()?;
    let sec: f64 = it.next().unwrap_or("0").trim().parse().ok()?;
    if pm && h < 12 {
        h += 12;
    }
    if am && h == 12 {
        h = 0;
    }
    NaiveTime::from_hms_opt(h, m, sec.floor() as u32)
}

/// Period label of a date: ISO week "2026-W03", month "2026-01", quarter "2026-Q1".
pub fn period_label(d: NaiveDate, period: Period) -> String {
    match period {
        Period::Week => {
            let w = d.iso_week();
            format!("{}-W{:02}", w.year(), w.week())
        }
        Period::Month => format!("{}-{:02}", d.year(), d.month()),
        Period::Quarter => format!("{}-Q{}", d.year(), (d.month() - 1) / 3 + 1),
    }
}

/// Last day of the period a label names ("2026-W03", "2026-01", "2026-Q1"); None for
/// anything else.
pub fn period_end(label: &str) -> Option<NaiveDate> {
    let (year, rest) = label.split_once('-')?;
    let year: i32 = year.parse().ok()?;
    let first_of = |month: u32| NaiveDate::from_ymd_opt(year + (month > 12) as i32, (month - 1) % 12 + 1, 1);
    if let Some(w) = rest.strip_prefix('W') {
        NaiveDate::from_isoywd_opt(year, w.parse().ok()?, chrono::Weekday::Sun)
    } else if let Some(q) = rest.strip_prefix('Q') {
        let q: u32 = q.parse().ok().filter(|q| (1..=4).contains(q))?;
        first_of(q * 3 + 1)?.pred_opt()
    } else {
        let m: u32 = rest.parse().ok().filter(|m| (1..=12).contains(m))?;
        first_of(m + 1)?.pred_opt()
    }
}

/// Reporting period (DESIGN.md `--period`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum Period {
    /// ISO weeks (2026-W03), Monday to Sunday.
    #[default]
    Week,
    /// Calendar months (2026-01).
    Month,
    /// Calendar quarters (2026-Q1).
    Quarter,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn period_ends() {
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(period_end("2026-W48"), d(2026, 11, 29));
        assert_eq!(period_end("2026-W01"), d(2026, 1, 4));
        assert_eq!(period_end("2026-02"), d(2026, 2, 28));
        assert_eq!(period_end("2026-12"), d(2026, 12, 31));
        assert_eq!(period_end("2026-Q4"), d(2026, 12, 31));
        assert_eq!(period_end("2026-Q1"), d(2026, 3, 31));
        assert_eq!(period_end("undated"), None);
        for day in 0..800 {
            let date = NaiveDate::from_ymd_opt(2025, 1, 1).unwrap() + Duration::days(day);
            for p in [Period::Week, Period::Month, Period::Quarter] {
                let end = period_end(&period_label(date, p)).unwrap();
                assert!(end >= date && period_label(end, p) == period_label(date, p));
                assert_ne!(period_label(end + Duration::days(1), p), period_label(date, p));
            }
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_with_and_without_time() {
        let (f, share) = infer(&["2026-01-05", "2026-01-06T10:30:00Z", "2026-01-07 08:00:00"]);
        assert_eq!(share, 1.0);
        assert_eq!(f.parse("2026-01-06T10:30:00Z").unwrap().date(), d(2026, 1, 6));
        assert_eq!(f.parse("2026-01-06T10:30:00+01:00").unwrap().time().to_string(), "10:30:00");
    }

    #[test]
    fn day_first_told_from_data() {
        let (f, share) = infer(&["05/01/2026", "25/01/2026", "03/02/2026 14:00"]);
        assert_eq!(f.order, DateOrder::DayFirst);
        assert!(f.order_from_data);
        assert_eq!(share, 1.0);
        assert_eq!(f.parse("05/01/2026").unwrap().date(), d(2026, 1, 5));
    }

    #[test]
    fn month_first_told_from_data() {
        let (f, _) = infer(&["01/05/2026 3:04 PM", "01/25/2026 10:00 AM", "2/3/2026"]);
        assert_eq!(f.order, DateOrder::MonthFirst);
        let dt = f.parse("01/05/2026 3:04 PM").unwrap();
        assert_eq!(dt.date(), d(2026, 1, 5));
        assert_eq!(dt.time().to_string(), "15:04:00");
        assert_eq!(f.parse("12/31/2026 12:00 AM").unwrap().time().to_string(), "00:00:00");
    }

    #[test]
    fn ambiguous_defaults_to_day_first() {
        let (f, _) = infer(&["01/02/2026", "03/04/2026"]);
        assert_eq!(f.order, DateOrder::DayFirst);
        assert!(!f.order_from_data);
    }

    #[test]
    fn excel_serial_dates() {
        let f = DateFormat { order: DateOrder::DayFirst, order_from_data: false };
        assert_eq!(f.parse("46027").unwrap().date(), d(2026, 1, 5));
        assert_eq!(f.parse("46027.5").unwrap().time().to_string(), "12:00:00");
        assert!(f.parse("9").is_none(), "a score is not a date");
    }

    #[test]
    fn rejects_non_dates() {
        let f = DateFormat { order: DateOrder::DayFirst, order_from_data: false };
        for s in ["", "hello", "31/02/2026", "2026-13-01", "1/2", "10"] {
            assert!(f.parse(s).is_none(), "{s}");
        }
    }

    #[test]
    fn periods() {
        // 2027-01-01 is a Friday in ISO week 2026-W53.
        assert_eq!(period_label(d(2027, 1, 1), Period::Week), "2026-W53");
        assert_eq!(period_label(d(2026, 1, 5), Period::Week), "2026-W02");
        assert_eq!(period_label(d(2026, 3, 31), Period::Month), "2026-03");
        assert_eq!(period_label(d(2026, 11, 23), Period::Quarter), "2026-Q4");
    }
}
