//! Typed inputs: Parquet (through Polars) and NDJSON (one JSON object per line).

use std::path::Path;

use polars::prelude::*;

use super::{FormatInfo, MalformedRow, RawTable};
use crate::{Error, Result};

pub(super) fn read_parquet(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let df = ParquetReader::new(std::io::Cursor::new(bytes))
        .finish()
        .map_err(|e| Error::input(path, format!("cannot read as Parquet: {e}")))?;
    let mut headers = Vec::with_capacity(df.width());
    let mut columns = Vec::with_capacity(df.width());
    for col in df.columns() {
        headers.push(col.name().to_string());
        let as_text = col.cast(&DataType::String).map_err(|e| {
            Error::input(path, format!("column '{}' ({}) cannot be read as text: {e}", col.name(), col.dtype()))
        })?;
        let ca = as_text.str().map_err(|e| Error::input(path, e.to_string()))?;
        columns.push(ca.iter().map(|v| v.unwrap_or("")).collect::<super::TextColumn>());
    }
    let n = df.height() as u64;
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
    })
}

pub(super) fn read_ndjson(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let (text, _) = super::sniff::decode(bytes);
    let mut headers: Vec<String> = Vec::new();
    let mut index = std::collections::HashMap::<String, usize>::new();
    let mut columns: Vec<Vec<String>> = Vec::new();
    let mut row_numbers = Vec::new();
    let mut malformed = Vec::new();
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
            let c = *index.entry(k.clone()).or_insert_with(|| {
                headers.push(k);
                columns.push(vec![String::new(); n]);
                columns.len() - 1
            });
            columns[c].push(json_text(&v));
        }
        row_numbers.push(line_no);
        for col in &mut columns {
            if col.len() < row_numbers.len() {
                col.push(String::new());
            }
        }
    }
    if headers.is_empty() {
        return Err(Error::input(path, "no JSON object found: NDJSON needs one object per line"));
    }
    let columns: Vec<super::TextColumn> = columns.into_iter().map(|c| c.into_iter().collect()).collect();
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
