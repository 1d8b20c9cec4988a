//! Customer value (issue 19): what each respondent is worth and how recently and often they
//! buy, read from the value columns the schema detected (monetary value, recency,
//! frequency, tenure), and what is computed from them alone:
//!
//! - [`weighted`]: NPS weighted by value, its 95 % margin (linearised variance of a ratio
//!   estimator) and Kish's effective sample size;
//! - [`rfm`]: R, F and M quintile scores and the named RFM segment of each respondent.
//!
//! Parsing rules (docs/METRICS.md "Customer value"): an amount may carry a currency sign or
//! code and thousands separators; a negative amount, text or a recency date that does not
//! parse is a *value reject* (rejects.csv, scope `value`): the response keeps its place in
//! the plain NPS and has no value. An empty cell is no value, without a reject.

pub mod rfm;
pub mod weighted;

use chrono::NaiveDate;

use crate::validate::Interned;

/// The value columns of the accepted responses, one entry per response (`None`: no valid
/// value). A column the input does not have is `None` as a whole.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomerValues {
    /// Name of the monetary column and its values (amounts, >= 0).
    pub monetary: Option<(String, Vec<Option<f64>>)>,
    /// Name of the recency column and the days since the last purchase (>= 0 for a date on
    /// or before the reference date).
    pub recency_days: Option<(String, Vec<Option<f64>>)>,
    /// Name of the frequency column and its counts (>= 0).
    pub frequency: Option<(String, Vec<Option<f64>>)>,
    /// Name of the tenure column and its values (as given when numeric; days up to the
    /// reference date when the column holds dates).
    pub tenure: Option<(String, Vec<Option<f64>>)>,
    /// The date recency and date tenure are counted to: the latest response date, else the
    /// latest date of the column.
    pub reference_date: Option<NaiveDate>,
    /// R, F, M scores (1-5) of each response ([`rfm`]); None without the three columns, and
    /// per response without its three values.
    pub rfm: Option<Vec<Option<[u8; 3]>>>,
}

impl CustomerValues {
    /// The monetary values, when the input has a monetary column.
    pub fn monetary(&self) -> Option<&[Option<f64>]> {
        self.monetary.as_ref().map(|(_, v)| v.as_slice())
    }

    /// Whether all three RFM inputs are present.
    pub fn has_rfm(&self) -> bool {
        self.monetary.is_some() && self.recency_days.is_some() && self.frequency.is_some()
    }
}

/// Parse an amount: `1200`, `1 200,50`, `1,200.50`, `€ 1200`, `1200 EUR`, `$1,200`. Empty:
/// `Ok(None)`. Text and negative amounts: `Err(why)`.
///
/// Separators: spaces (also non-breaking), `'` and `_` are dropped; with both `,` and `.`
/// the last one is the decimal mark; a lone `,` is the decimal mark unless every group
/// after a `,` has exactly three digits (`1,200` and `12,500,000` are thousands).
pub fn parse_amount(raw: &str) -> Result<Option<f64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    let mut t: String =
        s.chars().filter(|c| !matches!(c, ' ' | '\u{a0}' | '\u{202f}' | '\'' | '_' | '€' | '$' | '£' | '¥')).collect();
    for code in ["EUR", "USD", "GBP", "CHF", "CAD", "eur", "usd", "gbp", "chf", "cad"] {
        t = t.replace(code, "");
    }
    let (comma, dot) = (t.rfind(','), t.rfind('.'));
    let normalised = match (comma, dot) {
        (Some(c), Some(d)) if c > d => t.replace('.', "").replace(',', "."),
        (Some(_), Some(_)) => t.replace(',', ""),
        (Some(_), None) => {
            let groups: Vec<&str> = t.split(',').collect();
            if groups.len() > 1 && groups[1..].iter().all(|g| g.len() == 3 && g.chars().all(|c| c.is_ascii_digit())) {
                t.replace(',', "")
            } else {
                t.replace(',', ".")
            }
        }
        _ => t,
    };
    match normalised.parse::<f64>() {
        Ok(v) if !v.is_finite() => Err(format!("'{s}' is not an amount")),
        Ok(v) if v < 0.0 => Err(format!("'{s}' is a negative amount (a customer's value is 0 or more)")),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(format!("'{s}' is not an amount (expected a number such as 1200 or 1 200,50)")),
    }
}

/// Parse a count or a number of days: a number >= 0 (`12`, `12.0`, `12,5`). Empty:
/// `Ok(None)`.
pub fn parse_count(raw: &str) -> Result<Option<f64>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Ok(None);
    }
    match s.replace(',', ".").parse::<f64>() {
        Ok(v) if !v.is_finite() => Err(format!("'{s}' is not a number")),
        Ok(v) if v < 0.0 => Err(format!("'{s}' is negative (expected a number 0 or more)")),
        Ok(v) => Ok(Some(v)),
        Err(_) => Err(format!("'{s}' is not a number (expected a number 0 or more)")),
    }
}

/// The value stage: with recency, frequency and monetary columns, score each response
/// (stored in `values.rfm`) and return the segment column to break NPS and drivers down by
/// ([`rfm::SEGMENT_COLUMN`]; respondents without the three values are
/// [`rfm::NO_DATA`]). None without the three columns.
pub fn rfm_stage(values: &mut CustomerValues) -> Option<(String, Interned)> {
    let (Some((_, r)), Some((_, f)), Some((_, m))) = (&values.recency_days, &values.frequency, &values.monetary) else {
        return None;
    };
    let scores = rfm::scores(r, f, m);
    let names: Vec<&str> = scores.iter().map(|s| s.map_or(rfm::NO_DATA, |[r, f, m]| rfm::segment(r, f, m))).collect();
    let mut labels: Vec<String> = names.iter().map(|s| s.to_string()).collect();
    labels.sort();
    labels.dedup();
    let codes =
        names.iter().map(|n| labels.binary_search_by(|l| l.as_str().cmp(n)).expect("a label of the list") as u32);
    let column = Interned { codes: codes.collect(), labels };
    values.rfm = Some(scores);
    Some((rfm::SEGMENT_COLUMN.to_string(), column))
}

/// Days from `date` to `reference` (negative when `date` is later).
pub fn days_between(date: NaiveDate, reference: NaiveDate) -> f64 {
    (reference - date).num_days() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts() {
        assert_eq!(parse_amount("1200"), Ok(Some(1200.0)));
        assert_eq!(parse_amount(" 1 200,50 "), Ok(Some(1200.5)));
        assert_eq!(parse_amount("1,200.50"), Ok(Some(1200.5)));
        assert_eq!(parse_amount("1.200,50"), Ok(Some(1200.5)));
        assert_eq!(parse_amount("1,200"), Ok(Some(1200.0)));
        assert_eq!(parse_amount("12,5"), Ok(Some(12.5)));
        assert_eq!(parse_amount("€ 1200"), Ok(Some(1200.0)));
        assert_eq!(parse_amount("1200 EUR"), Ok(Some(1200.0)));
        assert_eq!(parse_amount("$1,200"), Ok(Some(1200.0)));
        assert_eq!(parse_amount("0"), Ok(Some(0.0)));
        assert_eq!(parse_amount(""), Ok(None));
        assert!(parse_amount("-250.00").unwrap_err().contains("negative"));
        assert!(parse_amount("unknown").unwrap_err().contains("not an amount"));
        assert!(parse_amount("NaN").is_err());
        assert!(parse_amount("inf").is_err());
    }

    #[test]
    fn counts() {
        assert_eq!(parse_count("12"), Ok(Some(12.0)));
        assert_eq!(parse_count("2,5"), Ok(Some(2.5)));
        assert_eq!(parse_count(" "), Ok(None));
        assert!(parse_count("-1").unwrap_err().contains("negative"));
        assert!(parse_count("many").unwrap_err().contains("not a number"));
    }
}
