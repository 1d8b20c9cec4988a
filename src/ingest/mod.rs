//! Reading exports into a [`RawTable`]: every cell as text, one column per input column,
//! with the source row number of every record kept for rejects.
//!
//! Formats are recognised from the file's bytes and extension, never from flags: CSV/TSV in
//! UTF-8 (with or without BOM), UTF-16 LE/BE (BOM) or Windows-1252, any of `,` `;` tab `|`
//! as delimiter; vendor header rows (Qualtrics: 3 header rows, SurveyMonkey: 2); Excel
//! .xlsx; Parquet; NDJSON.

pub mod annotations;
mod columnar;
mod delimited;
pub mod sniff;
mod xlsx;

use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// What the sniffer decided about one file, printed so a user can see it and correct it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct FormatInfo {
    /// "csv", "xlsx", "parquet" or "ndjson".
    pub kind: &'static str,
    /// Text encoding of a delimited file ("UTF-8", "UTF-8 (BOM)", "UTF-16LE", "windows-1252").
    pub encoding: Option<String>,
    /// Field delimiter of a delimited file.
    pub delimiter: Option<char>,
    /// Survey-tool layout recognised from the header rows ("qualtrics", "surveymonkey").
    pub vendor: Option<&'static str>,
    /// Number of header rows before the first response.
    pub header_rows: usize,
    /// Sheet read from a workbook.
    pub sheet: Option<String>,
}

/// A row the reader could not turn into a record (e.g. more fields than the header).
#[derive(Debug, Clone)]
pub struct MalformedRow {
    pub row: u64,
    pub reason: String,
    pub raw: String,
}

/// A column of text cells stored in one buffer (one allocation per column rather than
/// one per cell: a million-row export has ten million cells).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TextColumn {
    data: String,
    ends: Vec<usize>,
}

impl TextColumn {
    pub fn with_capacity(rows: usize, bytes: usize) -> Self {
        TextColumn { data: String::with_capacity(bytes), ends: Vec::with_capacity(rows) }
    }

    pub fn push(&mut self, cell: &str) {
        self.data.push_str(cell);
        self.ends.push(self.data.len());
    }

    pub fn get(&self, r: usize) -> &str {
        let start = if r == 0 { 0 } else { self.ends[r - 1] };
        &self.data[start..self.ends[r]]
    }

    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = &str> + '_ {
        (0..self.len()).map(move |r| self.get(r))
    }
}

impl<S: AsRef<str>> FromIterator<S> for TextColumn {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Self {
        let mut c = TextColumn::default();
        for s in iter {
            c.push(s.as_ref());
        }
        c
    }
}

/// One input file, every cell as text.
#[derive(Debug, Clone)]
pub struct RawTable {
    pub path: PathBuf,
    pub sha256: String,
    pub format: FormatInfo,
    /// Column names (after merging vendor sub-headers). Never empty strings: unnamed
    /// columns become `column_<n>`.
    pub headers: Vec<String>,
    /// Question text per column, from vendor header rows (Qualtrics row 2, SurveyMonkey row 1).
    pub questions: Vec<Option<String>>,
    /// `columns[c].get(r)`: cell text, "" when missing.
    pub columns: Vec<TextColumn>,
    /// Row number of each record in the source, as a spreadsheet numbers it (header = 1).
    pub row_numbers: Vec<u64>,
    /// Rows that could not be read as records; they become rejects.
    pub malformed: Vec<MalformedRow>,
    /// Field separator used to rebuild a raw row for rejects.
    pub raw_separator: char,
    /// Embeddings (and attention) per clause, when the table was annotated by
    /// `verbatim.annotate` (Parquet only; see [`annotations`]).
    pub annotations: Option<annotations::Annotations>,
}

impl RawTable {
    pub fn n_rows(&self) -> usize {
        self.row_numbers.len()
    }

    /// The record as the user would see it in the file (for rejects.csv).
    pub fn raw_row(&self, r: usize) -> String {
        let sep = self.raw_separator.to_string();
        self.columns.iter().map(|c| c.get(r)).collect::<Vec<_>>().join(&sep)
    }

    pub fn file_name(&self) -> String {
        self.path.display().to_string()
    }
}

/// Options that change how files are read (none are needed for the usual exports).
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Worksheet to read from a workbook (default: the first).
    pub sheet: Option<String>,
}

/// Read one input file, whatever its format.
pub fn read_input(path: &Path, opts: &ReadOptions) -> Result<RawTable> {
    if path.is_dir() {
        return read_parts(path, opts);
    }
    let bytes = std::fs::read(path)
        .map_err(|e| Error::input(path, format!("cannot read the file: {e}. Check the path and permissions.")))?;
    read_bytes(path, &bytes, opts)
}

/// A directory of Parquet part files, as Spark and Ray write a dataset: the parts in name
/// order (`part-00000-...`, `part-00001-...`), read as one table. Hidden files and Spark's
/// markers (`_SUCCESS`, `.crc`) are skipped. Every part must have the same columns and, when
/// annotated, the same models.
fn read_parts(dir: &Path, opts: &ReadOptions) -> Result<RawTable> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| Error::input(dir, format!("cannot list the directory: {e}. Check the path and permissions.")))?;
    let mut parts: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.starts_with('.') && !name.starts_with('_') && name.to_ascii_lowercase().ends_with(".parquet")
        })
        .collect();
    parts.sort();
    let Some(first) = parts.first() else {
        return Err(Error::input(
            dir,
            "is a directory with no .parquet part files: pass an export file, or the directory a Spark or Ray \
             job wrote its Parquet output to",
        ));
    };
    let mut table = read_input(first, opts)?;
    let mut digest = Sha256::new();
    digest.update(table.sha256.as_bytes());
    for part in &parts[1..] {
        let next = read_input(part, opts)?;
        if next.headers != table.headers {
            return Err(Error::input(
                part,
                format!(
                    "has other columns than {} ({} vs {}): the parts of one dataset must share their columns",
                    first.display(),
                    next.headers.join(", "),
                    table.headers.join(", ")
                ),
            ));
        }
        digest.update(next.sha256.as_bytes());
        let offset = table.row_numbers.len() as u64;
        table.row_numbers.extend(next.row_numbers.iter().map(|r| r + offset));
        for (col, more) in table.columns.iter_mut().zip(&next.columns) {
            more.iter().for_each(|cell| col.push(cell));
        }
        table.annotations = match (table.annotations.take(), next.annotations) {
            (Some(mut a), Some(b)) => {
                a.merge(b, part)?;
                Some(a)
            }
            (None, None) => None,
            (earlier, _) => {
                let why = if earlier.is_some() {
                    "is not annotated (no verbatim_ columns) but the parts before it are"
                } else {
                    "is annotated (verbatim_ columns) but the parts before it are not"
                };
                return Err(Error::input(part, format!("{why}: annotate the whole dataset, or none of it")));
            }
        };
    }
    table.path = dir.to_path_buf();
    table.sha256 = hex::encode(digest.finalize());
    Ok(table)
}

/// Read an export already in memory, as [`read_input`] reads a file: `path` names it in
/// messages and its extension counts as evidence of the format, as a file's would. The
/// fuzzing harness (tests/fuzz.rs) feeds every reader through this.
pub fn read_bytes(path: &Path, bytes: &[u8], opts: &ReadOptions) -> Result<RawTable> {
    let sha256 = sha256_hex(bytes);
    if bytes.is_empty() {
        return Err(Error::input(path, "the file is empty (0 bytes): export the survey again"));
    }
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    let mut table = if bytes.starts_with(b"PAR1") || ext == "parquet" {
        columnar::read_parquet(path, bytes)?
    } else if bytes.starts_with(b"PK\x03\x04") || ext == "xlsx" || ext == "xlsm" {
        xlsx::read_xlsx(path, bytes, opts.sheet.as_deref())?
    } else if ext == "ndjson" || ext == "jsonl" || (ext == "json" && sniff::looks_like_ndjson(bytes)) {
        columnar::read_ndjson(path, bytes)?
    } else if bytes.starts_with(b"\xD0\xCF\x11\xE0") || ext == "xls" {
        return Err(Error::input(
            path,
            "legacy Excel 97-2003 (.xls) workbooks are not read: save the sheet as .xlsx or CSV",
        ));
    } else {
        delimited::read_delimited(path, bytes)?
    };
    table.sha256 = sha256;
    Ok(table)
}

/// Most columns a table may have: a spreadsheet's 16,384. A delimited header or a set of
/// NDJSON keys wider than that is not a survey export (or its delimiter is none of
/// `, ; tab |`), and detection pays for every column: a 1 MB header of 262,145 columns took
/// seconds to reach "no score column" (fixture tests/fixtures/fuzz/columns-04b49619d3559b16.bin).
pub(crate) const MAX_COLUMNS: usize = 1 << 14;

/// The error for a table wider than [`MAX_COLUMNS`].
pub(crate) fn too_many_columns(path: &Path, width: usize, what: &str) -> Error {
    Error::input(
        path,
        format!(
            "{what} {width} columns, more than a spreadsheet holds ({MAX_COLUMNS}): this is not a survey \
             export, or its delimiter is none of , ; tab |. Re-export it"
        ),
    )
}

/// Most cells a table may have when its file holds `evidence` units (bytes; a workbook's
/// non-empty cells), at `per_unit` cells each. Cells the file never wrote still cost memory
/// and time: a CSV row shorter than its header is padded with empty cells, an NDJSON line
/// without a key gets an empty cell, a sheet is read as its bounding box. Real exports stay
/// far below this. A 1 MB CSV of a 50,000-column header over one-field lines asked for
/// 180 GB and aborted (fixture tests/fixtures/fuzz/csv-ba7b2906154ad9e2.bin, now refused
/// first by [`MAX_COLUMNS`]); at 16,000 columns it would still ask for 60 GB.
pub(crate) fn cell_limit(evidence: usize, per_unit: usize) -> usize {
    evidence.saturating_mul(per_unit).saturating_add(1 << 22)
}

/// The error for a table over [`cell_limit`]; `why` says where the empty cells come from.
pub(crate) fn too_many_cells(path: &Path, rows: usize, width: usize, why: &str) -> Error {
    Error::input(
        path,
        format!(
            "reading this file would take {rows} rows x {width} columns = {} cells, far more than the file \
             holds ({why}): it is not a survey export or it is damaged; re-export it",
            rows.saturating_mul(width)
        ),
    )
}

thread_local! {
    /// Set while this thread runs a third-party reader under [`catch_reader_panic`].
    static QUIET: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Readers running under [`catch_reader_panic`], on any thread.
static QUIET_READS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

/// Runs a third-party reader (calamine, Polars' Parquet layer) so that a panic in it, on a
/// damaged file, becomes `Err(message)` for the caller to turn into the file's error, rather
/// than a crash; such a panic is not printed either (a user sees one clear error). The
/// panic hook installed on first use hands every other panic to the hook it replaced; a
/// panic on one of Polars' worker threads ("polars-N") while a reader runs counts as the
/// reader's, as it reaches the caller.
pub(crate) fn catch_reader_panic<T>(read: impl FnOnce() -> T) -> std::result::Result<T, String> {
    use std::sync::atomic::Ordering::Relaxed;
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let pool = || std::thread::current().name().is_some_and(|n| n.starts_with("polars"));
            if !(QUIET.with(std::cell::Cell::get) || (QUIET_READS.load(Relaxed) > 0 && pool())) {
                previous(info)
            }
        }));
    });
    let was_quiet = QUIET.with(|q| q.replace(true));
    QUIET_READS.fetch_add(1, Relaxed);
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(read));
    QUIET_READS.fetch_sub(1, Relaxed);
    QUIET.with(|q| q.set(was_quiet));
    result.map_err(|panic| {
        panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into())
    })
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// sha256 of a file, read in 1 MiB blocks (models, coded files).
pub fn sha256_file(path: &Path) -> Result<String> {
    use sha2::Digest;
    use std::io::Read;
    let mut f = std::fs::File::open(path).map_err(|e| Error::io(format!("cannot open {}", path.display()), e))?;
    let mut h = sha2::Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(hex::encode(h.finalize()))
}

/// Turns the first rows of a sheet or delimited file into headers, recognising vendor
/// layouts. Returns (headers, questions, number of header rows, vendor). Public for the
/// fuzzing harness (tests/fuzz.rs), which feeds it hostile header rows directly.
pub fn header_layout(first: &[Vec<String>]) -> (Vec<String>, Vec<Option<String>>, usize, Option<&'static str>) {
    let row0 = first.first().cloned().unwrap_or_default();
    let width = first.iter().map(Vec::len).max().unwrap_or(0).max(row0.len());
    let cell = |r: usize, c: usize| -> &str { first.get(r).and_then(|row| row.get(c)).map(|s| s.trim()).unwrap_or("") };
    // Qualtrics: row 3 holds {"ImportId":"QID1"} JSON, row 2 the question texts.
    let is_qualtrics = first.len() >= 3
        && (0..width).any(|c| {
            let v = cell(2, c);
            v.starts_with("{\"ImportId\"") || v.starts_with("{'ImportId'")
        });
    if is_qualtrics {
        let headers = (0..width).map(|c| cell(0, c).to_string()).collect();
        let questions = (0..width).map(|c| non_empty(cell(1, c))).collect();
        return (name_columns(headers), questions, 3, Some("qualtrics"));
    }
    // SurveyMonkey: row 2 holds sub-headers such as "Response" / "Open-Ended Response",
    // and the question text sits in row 1 over the first of its sub-columns.
    const SUB: [&str; 6] =
        ["response", "open-ended response", "réponse", "reponse", "réponse ouverte", "other (please specify)"];
    let is_monkey = first.len() >= 2
        && (0..width).any(|c| SUB.contains(&cell(1, c).to_lowercase().as_str()))
        && (0..width).all(|c| cell(1, c).parse::<f64>().is_err() || cell(0, c).is_empty());
    if is_monkey {
        let mut headers = Vec::with_capacity(width);
        let mut questions = Vec::with_capacity(width);
        let mut current = String::new();
        for c in 0..width {
            let (top, sub) = (cell(0, c), cell(1, c));
            if !top.is_empty() {
                current = top.to_string();
            }
            let generic = sub.is_empty() || SUB.contains(&sub.to_lowercase().as_str());
            let name = match (top.is_empty(), generic) {
                (false, true) => top.to_string(),
                (false, false) => format!("{top} - {sub}"),
                (true, _) if !current.is_empty() => format!("{current} - {sub}"),
                (true, _) => sub.to_string(),
            };
            headers.push(name);
            questions.push(non_empty(&current));
        }
        return (name_columns(headers), questions, 2, Some("surveymonkey"));
    }
    let headers = (0..width).map(|c| cell(0, c).to_string()).collect();
    (name_columns(headers), vec![None; width], 1, None)
}

fn non_empty(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

/// Column names as [`RawTable::headers`] promises them, for every format: trimmed; unnamed
/// columns get `column_<n>`; repeated names get a `_2`, `_3` suffix, skipping any
/// suffixed name the file already uses ("a", "a_2", "a" gives "a", "a_2", "a_3"), so that
/// names stay distinct.
pub(crate) fn name_columns(headers: Vec<String>) -> Vec<String> {
    let mut taken = std::collections::HashSet::<String>::new();
    let mut next_suffix = std::collections::HashMap::<String, usize>::new();
    headers
        .into_iter()
        .enumerate()
        .map(|(i, h)| {
            let base = if h.trim().is_empty() { format!("column_{}", i + 1) } else { h.trim().to_string() };
            let mut name = base.clone();
            if taken.contains(&name) {
                // Suffixes only grow, so n repeats of one name cost O(n) in all.
                let k = next_suffix.entry(base.clone()).or_insert(1);
                while taken.contains(&name) {
                    *k += 1;
                    name = format!("{base}_{k}");
                }
            }
            taken.insert(name.clone());
            name
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(r: &[&[&str]]) -> Vec<Vec<String>> {
        r.iter().map(|row| row.iter().map(|s| s.to_string()).collect()).collect()
    }

    #[test]
    fn qualtrics_three_header_rows() {
        let first = rows(&[
            &["ResponseId", "Q1", "Q2"],
            &["Response ID", "How likely are you to recommend us?", "Why?"],
            &["{\"ImportId\":\"_recordId\"}", "{\"ImportId\":\"QID1\"}", "{\"ImportId\":\"QID2_TEXT\"}"],
            &["R_1", "9", "great"],
        ]);
        let (h, q, n, v) = header_layout(&first);
        assert_eq!(h, ["ResponseId", "Q1", "Q2"]);
        assert_eq!(q[1].as_deref(), Some("How likely are you to recommend us?"));
        assert_eq!((n, v), (3, Some("qualtrics")));
    }

    #[test]
    fn surveymonkey_sub_headers() {
        let first = rows(&[
            &["Respondent ID", "Collector ID", "How likely is it that you would recommend us?", "Why?", "Plan", ""],
            &["", "", "Response", "Open-Ended Response", "Basic", "Pro"],
            &["114", "9", "10", "love it", "Basic", ""],
        ]);
        let (h, q, n, v) = header_layout(&first);
        assert_eq!((n, v), (2, Some("surveymonkey")));
        assert_eq!(h[2], "How likely is it that you would recommend us?");
        assert_eq!(h[4], "Plan - Basic");
        assert_eq!(h[5], "Plan - Pro");
        assert_eq!(q[5].as_deref(), Some("Plan"));
    }

    #[test]
    fn repeated_names_stay_distinct() {
        // Found by tests/fuzz.rs (fixture tests/fixtures/fuzz/header-e2cf3078c0ce9e92.bin): "a_2" was
        // given twice.
        let names = |h: &[&str]| name_columns(h.iter().map(|s| s.to_string()).collect());
        assert_eq!(names(&["a", "a_2", "a"]), ["a", "a_2", "a_3"]);
        assert_eq!(names(&["a", "a", "a_2"]), ["a", "a_2", "a_2_2"]);
        assert_eq!(names(&["column_2", ""]), ["column_2", "column_2_2"]);
    }

    #[test]
    fn plain_header_and_unnamed_columns() {
        let first = rows(&[&["score", "", "score"], &["9", "x", "1"]]);
        let (h, _, n, v) = header_layout(&first);
        assert_eq!(h, ["score", "column_2", "score_2"]);
        assert_eq!((n, v), (1, None));
    }
}
