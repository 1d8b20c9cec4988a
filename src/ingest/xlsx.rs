//! Excel workbooks (.xlsx): the first sheet, or the one named with `--sheet`.

use std::path::Path;

use calamine::{open_workbook_auto, Data, Reader};

use super::{header_layout, FormatInfo, RawTable};
use crate::{Error, Result};

pub(super) fn read_xlsx(path: &Path, sheet: Option<&str>) -> Result<RawTable> {
    let mut wb = open_workbook_auto(path).map_err(|e| Error::input(path, format!("cannot open the workbook: {e}")))?;
    let names = wb.sheet_names().to_vec();
    let name = match sheet {
        Some(s) if names.iter().any(|n| n == s) => s.to_string(),
        Some(s) => {
            return Err(Error::input(
                path,
                format!("no sheet named '{s}'; the workbook has: {}. Use --sheet with one of them", names.join(", ")),
            ))
        }
        None => names.first().cloned().ok_or_else(|| Error::input(path, "the workbook has no sheet"))?,
    };
    let range =
        wb.worksheet_range(&name).map_err(|e| Error::input(path, format!("cannot read sheet '{name}': {e}")))?;
    let (row0, _) = range.start().unwrap_or((0, 0));
    let rows: Vec<Vec<String>> = range.rows().map(|r| r.iter().map(cell_text).collect()).collect();
    if rows.is_empty() {
        return Err(Error::input(path, format!("sheet '{name}' is empty")));
    }
    let (headers, questions, header_rows, vendor) = header_layout(&rows[..rows.len().min(3)]);
    let width = headers.len();
    let mut columns = vec![super::TextColumn::default(); width];
    let mut row_numbers = Vec::with_capacity(rows.len());
    for (i, row) in rows.iter().enumerate().skip(header_rows) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        for (c, col) in columns.iter_mut().enumerate() {
            col.push(row.get(c).map_or("", String::as_str));
        }
        row_numbers.push(row0 as u64 + i as u64 + 1);
    }
    Ok(RawTable {
        path: path.to_path_buf(),
        sha256: String::new(),
        format: FormatInfo { kind: "xlsx", encoding: None, delimiter: None, vendor, header_rows, sheet: Some(name) },
        headers,
        questions,
        columns,
        row_numbers,
        malformed: Vec::new(),
        raw_separator: ',',
    })
}

/// Cell as text. Whole floats print as integers ("9", not "9.0"); dates print as ISO 8601
/// so that date detection reads them like any export.
fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(ndt) if ndt.time() == chrono::NaiveTime::MIN => ndt.date().format("%Y-%m-%d").to_string(),
            Some(ndt) => ndt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
