//! Typed inputs: Parquet (through Polars) and NDJSON (one JSON object per line).

use std::path::Path;

use polars::prelude::*;

use super::annotations::{self, Annotations};
use super::{FormatInfo, MalformedRow, RawTable};
use crate::{Error, Result};

pub(super) fn read_parquet(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let invalid = |why: String| {
        Error::input(path, format!("is not a valid Parquet file ({why}): it is damaged or cut; re-export it"))
    };
    // Polars' Parquet layer panics on some damaged files (index out of bounds, failed
    // asserts, in the footer as in the pages): a bad input must end as this error, not as a
    // crash (seven kinds so far: fixtures tests/fixtures/fuzz/parquet-*.bin).
    /// What the Parquet layer gave: names, cells as text, rows, annotations.
    type Decoded = (Vec<String>, Vec<super::TextColumn>, usize, Option<Annotations>);
    let read = || -> Result<Decoded> {
        check_parquet(bytes).map_err(invalid)?;
        let df = ParquetReader::new(std::io::Cursor::new(bytes))
            .finish()
            .map_err(|e| Error::input(path, format!("cannot read as Parquet: {e}. Re-export the file")))?;
        let annotated = annotations::read(&df, path)?;
        let mut headers = Vec::with_capacity(df.width());
        let mut columns = Vec::with_capacity(df.width());
        // The annotation columns are read above, not as survey columns (never segments).
        for col in df.columns().iter().filter(|c| !annotations::is_annotation(c.name())) {
            // Polars can return columns of different lengths from a damaged file (fixture
            // tests/fixtures/fuzz/parquet-d08c2f7b69a85e02.bin): rows would not line up.
            if col.len() != df.height() {
                let why = format!("column '{}' has {} values for {} rows", col.name(), col.len(), df.height());
                return Err(invalid(why));
            }
            headers.push(col.name().to_string());
            let as_text = col.cast(&DataType::String).map_err(|e| {
                Error::input(path, format!("column '{}' ({}) cannot be read as text: {e}", col.name(), col.dtype()))
            })?;
            let ca = as_text.str().map_err(|e| Error::input(path, e.to_string()))?;
            columns.push(ca.iter().map(|v| v.unwrap_or("")).collect::<super::TextColumn>());
        }
        Ok((headers, columns, df.height(), annotated))
    };
    let (headers, columns, n, annotations) =
        super::catch_reader_panic(read).map_err(|panic| invalid(format!("the Parquet reader failed: {panic}")))??;
    let n = n as u64;
    // Names as every reader gives them: never empty, never repeated.
    let headers = super::name_columns(headers);
    Ok(RawTable {
        path: path.to_path_buf(),
        sha256: String::new(),
        format: FormatInfo {
            kind: "parquet",
            encoding: None,
            delimiter: None,
            vendor: None,
            header_rows: 0,
            sheet: None,
        },
        questions: vec![None; headers.len()],
        headers,
        columns,
        row_numbers: (1..=n).collect(),
        malformed: Vec::new(),
        raw_separator: ',',
        annotations,
    })
}

/// Checks the counts a Parquet file declares before Polars decodes it. Polars trusts them to
/// size allocations, and an allocation that fails aborts the process, past any
/// `catch_unwind`: a 1.7 KB file whose page claimed -1 values asked for 2^61 bytes
/// (fixture tests/fixtures/fuzz/parquet-ffe55725e0ba7aff.bin). A flat column's page holds at most its row
/// group's rows; the file at most 64 cells per byte plus 16 million (columns of one repeated
/// value compress far better than any text).
fn check_parquet(bytes: &[u8]) -> std::result::Result<(), String> {
    use polars_parquet::parquet::page::{CompressedPage, DataPageHeader};
    use polars_parquet::parquet::read::{get_page_iterator, read_metadata};
    let meta = read_metadata(&mut std::io::Cursor::new(bytes)).map_err(|e| e.to_string())?;
    let width = meta.schema_descr.columns().len().max(1);
    if width > super::MAX_COLUMNS {
        return Err(format!("it has {width} columns, more than a spreadsheet holds ({})", super::MAX_COLUMNS));
    }
    let max_cells = bytes.len().saturating_mul(64).saturating_add(1 << 24);
    let rows = meta.row_groups.iter().map(|rg| rg.num_rows()).fold(meta.num_rows, usize::max);
    if rows.saturating_mul(width) > max_cells {
        return Err(format!("it declares {rows} rows of {width} columns in {} bytes", bytes.len()));
    }
    let buffer = polars_buffer::Buffer::from(bytes.to_vec());
    for rg in &meta.row_groups {
        for col in rg.parquet_columns() {
            let range = col.byte_range();
            if range.start > range.end || range.end > bytes.len() as u64 {
                return Err(format!("a column chunk lies at bytes {range:?}, outside the file"));
            }
            let most = if col.descriptor().descriptor.max_rep_level == 0 { rg.num_rows() } else { max_cells };
            let pages = get_page_iterator(col, std::io::Cursor::new(buffer.clone()), Vec::new(), bytes.len())
                .map_err(|e| e.to_string())?;
            for page in pages {
                let CompressedPage::Data(page) = page.map_err(|e| e.to_string())? else {
                    continue;
                };
                let (values, nulls, page_rows) = match page.header() {
                    DataPageHeader::V1(h) => (h.num_values, 0, 0),
                    DataPageHeader::V2(h) => (h.num_values, h.num_nulls, h.num_rows),
                };
                let fits = |n: i32| usize::try_from(n).is_ok_and(|n| n <= most);
                if !fits(values) || !fits(page_rows) || !(0..=values).contains(&nulls) {
                    return Err(format!(
                        "a page of column '{}' declares {values} values ({nulls} null, {page_rows} rows) in a \
                         row group of {} rows",
                        col.descriptor().path_in_schema.join("."),
                        rg.num_rows()
                    ));
                }
                if page.uncompressed_size() > 1 << 28 {
                    return Err(format!("a page declares {} bytes uncompressed", page.uncompressed_size()));
                }
            }
        }
    }
    Ok(())
}

pub(super) fn read_ndjson(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let (text, _) = super::sniff::decode(bytes);
    let mut headers: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::<String, usize>::new();
    // Per key, the (row, value) pairs of the lines that have it: a line without a key costs
    // nothing until the columns are laid out at the end.
    let mut cells: Vec<Vec<(usize, String)>> = Vec::new();
    let mut row_numbers = Vec::new();
    let mut malformed = Vec::new();
    // Laid out, every line gets a cell for every key of the file: checked at each new key
    // and each new line, so that lines of distinct keys cannot ask for lines x keys cells.
    // Sparse exports are common (a key per question, lines only for those answered). Before
    // this, 60,000 one-key lines (fixture tests/fixtures/fuzz/ndjson-f85a566d2bccce74.bin)
    // asked for 60,000 x 60,000 cells.
    let limit = super::cell_limit(bytes.len(), 16);
    let too_many = |rows: usize, keys: usize| {
        super::too_many_cells(path, rows, keys, &format!("the lines use {keys} distinct keys, each a column"))
    };
    for (i, line) in text.lines().enumerate() {
        let line_no = i as u64 + 1;
        if line.trim().is_empty() {
            continue;
        }
        let obj = match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line) {
            Ok(o) => o,
            Err(e) => {
                malformed.push(MalformedRow {
                    row: line_no,
                    reason: format!("line is not a JSON object: {e}"),
                    raw: line.to_string(),
                });
                continue;
            }
        };
        let n = row_numbers.len();
        for (k, v) in obj {
            let c = match index.get(&k) {
                Some(&c) => c,
                None => {
                    if headers.len() == super::MAX_COLUMNS {
                        return Err(super::too_many_columns(path, headers.len() + 1, "the lines use at least"));
                    }
                    index.insert(k.clone(), cells.len());
                    headers.push(k);
                    cells.push(Vec::new());
                    cells.len() - 1
                }
            };
            cells[c].push((n, json_text(&v)));
        }
        row_numbers.push(line_no);
        if row_numbers.len().saturating_mul(headers.len()) > limit {
            return Err(too_many(row_numbers.len(), headers.len()));
        }
    }
    if headers.is_empty() {
        return Err(Error::input(path, "no JSON object found: NDJSON needs one object per line"));
    }
    let rows = row_numbers.len();
    let columns: Vec<super::TextColumn> = cells
        .iter()
        .map(|values| {
            let mut col = super::TextColumn::with_capacity(rows, values.iter().map(|(_, v)| v.len()).sum());
            let mut values = values.iter().peekable();
            for r in 0..rows {
                match values.next_if(|(row, _)| *row == r) {
                    Some((_, v)) => col.push(v),
                    None => col.push(""),
                }
            }
            col
        })
        .collect();
    // A key may be "" or blank (fixture tests/fixtures/fuzz/ndjson-d9c5f6de19f80ac9.bin): columns are
    // named as every reader names them, never empty, never repeated.
    let headers = super::name_columns(headers);
    Ok(RawTable {
        path: path.to_path_buf(),
        sha256: String::new(),
        format: FormatInfo {
            kind: "ndjson",
            encoding: None,
            delimiter: None,
            vendor: None,
            header_rows: 0,
            sheet: None,
        },
        questions: vec![None; headers.len()],
        headers,
        columns,
        row_numbers,
        malformed,
        raw_separator: ',',
        annotations: None,
    })
}

fn json_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Null => String::new(),
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => match n.as_f64() {
            Some(f) if f.fract() == 0.0 && f.abs() < 1e15 && !n.is_i64() && !n.is_u64() => {
                format!("{}", f as i64)
            }
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}
