//! Validation: every input row ends up accepted, rejected (with a reason) or counted as a
//! duplicate of a later row with the same response id. Nothing is dropped silently:
//! rows read = accepted + rejected + duplicates.
//!
//! A bad customer value cell (an amount that is text or negative, a last-purchase date that
//! does not parse) rejects the *value* only: rejects.csv gets a line with scope `value`, the
//! response is accepted (it counts in the plain NPS) without that value, and
//! `values_rejected` counts these lines apart from the rows.

/// Fast hashing for the per-row maps (ids, labels, dates); iteration order is never used.
type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;

use chrono::NaiveDate;

use crate::ingest::{RawTable, TextColumn};
use crate::schema::columns::UNDATED;
use crate::schema::dates::{period_label, DateFormat, Period};
use crate::schema::ColumnMapping;
use crate::value::{self, CustomerValues};

/// A column of repeated labels (periods, segment values): a code per row and the labels,
/// sorted, so that ordering codes orders labels.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Interned {
    pub codes: Vec<u32>,
    pub labels: Vec<String>,
}

impl Interned {
    pub fn get(&self, r: usize) -> &str {
        &self.labels[self.codes[r] as usize]
    }

    /// Relabel so that labels are sorted.
    fn sorted(self) -> Interned {
        let mut order: Vec<usize> = (0..self.labels.len()).collect();
        order.sort_by(|&a, &b| self.labels[a].cmp(&self.labels[b]));
        let mut new_code = vec![0u32; self.labels.len()];
        for (new, &old) in order.iter().enumerate() {
            new_code[old] = new as u32;
        }
        Interned {
            codes: self.codes.iter().map(|&c| new_code[c as usize]).collect(),
            labels: order.iter().map(|&i| self.labels[i].clone()).collect(),
        }
    }
}

/// Builds an [`Interned`] column.
#[derive(Default)]
struct Interner {
    index: HashMap<String, u32>,
    col: Interned,
}

impl Interner {
    fn push(&mut self, label: &str) {
        let code = match self.index.get(label) {
            Some(&c) => c,
            None => {
                let c = self.col.labels.len() as u32;
                self.index.insert(label.to_string(), c);
                self.col.labels.push(label.to_string());
                c
            }
        };
        self.col.codes.push(code);
    }
}

/// Accepted responses, column by column (the order of the inputs, then of their rows).
#[derive(Debug, Clone, Default)]
pub struct Responses {
    pub response_id: TextColumn,
    pub date: Vec<Option<NaiveDate>>,
    pub period: Interned,
    pub score: Vec<u8>,
    /// Comment text as exported ("" when none).
    pub comment: TextColumn,
    /// Segment columns: (name, values). Names come from the first input's mapping.
    pub segments: Vec<(String, Interned)>,
    /// Index into `source_files` of each response's input file.
    pub source_file: Vec<u32>,
    pub source_files: Vec<String>,
    pub source_row: Vec<u64>,
    /// Contact columns of the first input's mapping: (name, values).
    pub contacts: Vec<(String, TextColumn)>,
    /// Customer value columns of the first input's mapping (monetary, recency, frequency,
    /// tenure), a value per response.
    pub values: CustomerValues,
}

impl Responses {
    pub fn len(&self) -> usize {
        self.score.len()
    }

    pub fn is_empty(&self) -> bool {
        self.score.is_empty()
    }
}

/// A rejected input row (rejects.csv).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reject {
    pub source_file: String,
    pub row: u64,
    pub reason: String,
    pub raw: String,
    /// The row was accepted and only a customer value cell was left out (rejects.csv
    /// `scope` = `value`; `row` otherwise).
    pub value_only: bool,
}

/// The reconciliation printed at the end of a run and written to run.json.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub rows_read: usize,
    pub accepted: usize,
    pub rejected: usize,
    pub duplicates: usize,
    pub empty_comments: usize,
    /// Customer value cells left out (rejects.csv lines with scope `value`); their rows are
    /// accepted, so they are not part of the reconciliation.
    #[serde(default)]
    pub values_rejected: usize,
}

impl Counts {
    pub fn reconciles(&self) -> bool {
        self.rows_read == self.accepted + self.rejected + self.duplicates
    }
}

/// Parse a score cell: a whole number 0..=10 ("9", " 9 ", "9.0", "9,0"), or why not.
pub fn parse_score(raw: &str) -> Result<u8, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("missing score".into());
    }
    let Ok(f) = s.replace(',', ".").parse::<f64>() else {
        return Err(format!("score '{s}' is not a number (expected a whole number 0-10)"));
    };
    if !f.is_finite() {
        return Err(format!("score '{s}' is not a number (expected a whole number 0-10)"));
    }
    if f.fract() != 0.0 {
        return Err(format!("score '{s}' is not a whole number (NPS answers are 0, 1, ... 10)"));
    }
    if !(0.0..=10.0).contains(&f) {
        return Err(format!("score '{s}' is outside 0-10"));
    }
    Ok(f as u8)
}

/// Validate every input against its mapping.
pub fn validate(tables: &[RawTable], mappings: &[ColumnMapping], period: Period) -> (Responses, Vec<Reject>, Counts) {
    let mut counts = Counts::default();
    let mut rejects = Vec::new();
    let segment_names: Vec<String> =
        mappings.first().map(|m| m.segments.iter().map(|s| s.column.clone()).collect()).unwrap_or_default();

    // The later occurrence of a response id wins, across files and within one.
    let mut last_seen: HashMap<&str, (usize, usize)> = HashMap::default();
    for (t, (table, mapping)) in tables.iter().zip(mappings).enumerate() {
        if let Some(id) = &mapping.id {
            for (r, v) in table.columns[id.index].iter().enumerate() {
                let v = v.trim();
                if !v.is_empty() {
                    last_seen.insert(v, (t, r));
                }
            }
        }
    }

    let total: usize = tables.iter().map(RawTable::n_rows).sum();
    let mut out = Responses {
        response_id: TextColumn::with_capacity(total, total * 12),
        comment: TextColumn::with_capacity(total, total * 32),
        ..Default::default()
    };
    let mut periods = Interner::default();
    let mut period_of_date: HashMap<Option<NaiveDate>, String> = HashMap::default();
    let mut segments: Vec<Interner> = segment_names.iter().map(|_| Interner::default()).collect();
    let mut values = ValueBuilder::new(mappings.first());
    out.contacts = mappings
        .first()
        .map(|m| m.contacts.iter().map(|c| (c.column.clone(), TextColumn::default())).collect())
        .unwrap_or_default();
    for (t, (table, mapping)) in tables.iter().zip(mappings).enumerate() {
        let file = table.file_name();
        out.source_files.push(file.clone());
        counts.rows_read += table.n_rows() + table.malformed.len();
        for m in &table.malformed {
            rejects.push(Reject {
                source_file: file.clone(),
                row: m.row,
                reason: m.reason.clone(),
                raw: m.raw.clone(),
                value_only: false,
            });
        }
        let seg_cols: Vec<Option<usize>> = segment_names
            .iter()
            .map(|name| {
                mapping
                    .segments
                    .iter()
                    .find(|s| &s.column == name)
                    .map(|s| s.index)
                    .or_else(|| table.headers.iter().position(|h| h == name))
            })
            .collect();
        let short = short_name(&table.path);
        for r in 0..table.n_rows() {
            let row = table.row_numbers[r];
            let id = mapping.id.as_ref().map(|c| table.columns[c.index].get(r).trim()).filter(|s| !s.is_empty());
            if let Some(id) = id {
                if last_seen.get(id) != Some(&(t, r)) {
                    counts.duplicates += 1;
                    continue;
                }
            }
            let reject = |reason: String| Reject {
                source_file: file.clone(),
                row,
                reason,
                raw: table.raw_row(r),
                value_only: false,
            };
            let score = match parse_score(table.columns[mapping.score.index].get(r)) {
                Ok(s) => s,
                Err(why) => {
                    rejects.push(reject(format!("column '{}': {why}", mapping.score.column)));
                    continue;
                }
            };
            let mut date = None;
            if let (Some(dc), Some(fmt)) = (&mapping.date, &mapping.date_format) {
                let cell = table.columns[dc.index].get(r).trim();
                if !cell.is_empty() {
                    match fmt.parse(cell) {
                        Some(dt) => date = Some(dt.date()),
                        None => {
                            rejects.push(reject(format!(
                                "column '{}': '{cell}' is not a date ({}); fix the cell or pass --date-col",
                                dc.column,
                                fmt.describe()
                            )));
                            continue;
                        }
                    }
                }
            }
            match id {
                Some(id) => out.response_id.push(id),
                None => out.response_id.push(&format!("{short}#{row}")),
            }
            let label = period_of_date
                .entry(date)
                .or_insert_with(|| date.map_or_else(|| UNDATED.to_string(), |d| period_label(d, period)));
            periods.push(label);
            out.date.push(date);
            out.score.push(score);
            let comment = mapping.comment.as_ref().map_or("", |c| table.columns[c.index].get(r));
            if comment.trim().is_empty() {
                counts.empty_comments += 1;
            }
            out.comment.push(comment);
            for (s, col) in seg_cols.iter().enumerate() {
                let v = col.map_or("", |c| table.columns[c].get(r).trim());
                segments[s].push(if v.is_empty() { "(blank)" } else { v });
            }
            for (name, col) in out.contacts.iter_mut() {
                let v = table.headers.iter().position(|h| h == name).map_or("", |c| table.columns[c].get(r).trim());
                col.push(v);
            }
            out.source_file.push(t as u32);
            out.source_row.push(row);
            for why in values.push(table, mapping, r) {
                rejects.push(Reject { value_only: true, ..reject(why) });
                counts.values_rejected += 1;
            }
        }
    }
    out.values = values.finish(&out.date);
    out.period = periods.col.sorted();
    out.segments = segment_names.into_iter().zip(segments).map(|(n, s)| (n, s.col.sorted())).collect();
    counts.accepted = out.len();
    counts.rejected = rejects.len() - counts.values_rejected;
    (out, rejects, counts)
}

/// How a value cell is read when it is not a date.
type Parse = fn(&str) -> Result<Option<f64>, String>;

/// A recency or tenure cell: a number as given, or a date turned into days at the end.
#[derive(Debug, Clone, Copy)]
enum DaysOrDate {
    Number(f64),
    Date(NaiveDate),
}

/// Collects the customer value columns of accepted rows (names from the first mapping).
struct ValueBuilder {
    names: [Option<String>; 4],
    monetary: Vec<Option<f64>>,
    frequency: Vec<Option<f64>>,
    recency: Vec<Option<DaysOrDate>>,
    tenure: Vec<Option<DaysOrDate>>,
}

impl ValueBuilder {
    fn new(first: Option<&ColumnMapping>) -> Self {
        let name = |c: Option<&crate::schema::mapping::Choice>| c.map(|c| c.column.clone());
        let v = first.map(|m| &m.value);
        ValueBuilder {
            names: [
                name(v.and_then(|v| v.monetary.as_ref())),
                name(v.and_then(|v| v.recency.as_ref())),
                name(v.and_then(|v| v.frequency.as_ref())),
                name(v.and_then(|v| v.tenure.as_ref())),
            ],
            monetary: Vec::new(),
            frequency: Vec::new(),
            recency: Vec::new(),
            tenure: Vec::new(),
        }
    }

    /// Read row `r`'s value cells; the reasons of the cells left out.
    fn push(&mut self, table: &RawTable, m: &ColumnMapping, r: usize) -> Vec<String> {
        use crate::schema::mapping::Choice;
        let mut why = Vec::new();
        let v = &m.value;
        let mut read = |c: &Option<Choice>, fmt: Option<DateFormat>, parse: Parse, flag: &str| -> Option<DaysOrDate> {
            let c = c.as_ref()?;
            let raw = table.columns[c.index].get(r);
            let s = raw.trim();
            let got = match fmt {
                Some(_) if s.is_empty() => Ok(None),
                Some(f) => f
                    .parse(s)
                    .map(|d| Some(DaysOrDate::Date(d.date())))
                    .ok_or_else(|| format!("'{s}' is not a date ({})", f.describe())),
                None => parse(raw).map(|x| x.map(DaysOrDate::Number)),
            };
            got.unwrap_or_else(|e| {
                why.push(format!(
                    "column '{}': {e}; the value is left out: the response counts in the plain NPS, not in the \
                     value figures (fix the cell, or pass {flag} with another column)",
                    c.column
                ));
                None
            })
        };
        let number = |x: Option<DaysOrDate>| match x {
            Some(DaysOrDate::Number(n)) => Some(n),
            _ => None,
        };
        let money = number(read(&v.monetary, None, value::parse_amount, "--value-col"));
        let rec = read(&v.recency, v.recency_format, value::parse_count, "--recency-col");
        let freq = number(read(&v.frequency, None, value::parse_count, "--frequency-col"));
        let ten = read(&v.tenure, v.tenure_format, value::parse_count, "--tenure-col");
        self.monetary.push(money);
        self.frequency.push(freq);
        self.recency.push(rec);
        self.tenure.push(ten);
        why
    }

    /// The value columns, dates turned into days up to the reference date (the latest
    /// response date, else the latest date of the column).
    fn finish(self, response_dates: &[Option<NaiveDate>]) -> CustomerValues {
        let latest = |v: &[Option<DaysOrDate>]| {
            v.iter().filter_map(|x| if let Some(DaysOrDate::Date(d)) = x { Some(*d) } else { None }).max()
        };
        let reference = response_dates
            .iter()
            .flatten()
            .max()
            .copied()
            .or_else(|| latest(&self.recency))
            .or_else(|| latest(&self.tenure));
        let days = |v: Vec<Option<DaysOrDate>>| -> Vec<Option<f64>> {
            v.into_iter()
                .map(|x| match x? {
                    DaysOrDate::Number(n) => Some(n),
                    DaysOrDate::Date(d) => reference.map(|r| value::days_between(d, r)),
                })
                .collect()
        };
        let [m, r, f, t] = self.names;
        CustomerValues {
            monetary: m.map(|n| (n, self.monetary)),
            recency_days: r.map(|n| (n, days(self.recency))),
            frequency: f.map(|n| (n, self.frequency)),
            tenure: t.map(|n| (n, days(self.tenure))),
            reference_date: reference,
            rfm: None,
        }
    }
}

fn short_name(path: &std::path::Path) -> String {
    path.file_name().map_or_else(|| path.display().to_string(), |n| n.to_string_lossy().into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interned_labels_are_sorted() {
        let mut i = Interner::default();
        for l in ["b", "a", "c", "a"] {
            i.push(l);
        }
        let s = i.col.sorted();
        assert_eq!(s.labels, ["a", "b", "c"]);
        assert_eq!(s.codes, [1, 0, 2, 0]);
        assert_eq!(s.get(0), "b");
    }

    #[test]
    fn scores() {
        assert_eq!(parse_score("9"), Ok(9));
        assert_eq!(parse_score(" 10 "), Ok(10));
        assert_eq!(parse_score("0"), Ok(0));
        assert_eq!(parse_score("7.0"), Ok(7));
        assert_eq!(parse_score("7,0"), Ok(7));
        assert!(parse_score("7.5").unwrap_err().contains("not a whole number"));
        assert!(parse_score("11").unwrap_err().contains("outside 0-10"));
        assert!(parse_score("-1").unwrap_err().contains("outside 0-10"));
        assert!(parse_score("N/A").unwrap_err().contains("not a number"));
        assert!(parse_score("dix").unwrap_err().contains("not a number"));
        assert!(parse_score("NaN").unwrap_err().contains("not a number"));
        assert_eq!(parse_score("").unwrap_err(), "missing score");
    }
}
