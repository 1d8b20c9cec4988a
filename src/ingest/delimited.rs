//! CSV / TSV / semicolon exports, in any of the sniffed encodings and delimiters.

use std::path::Path;

use super::{header_layout, sniff, FormatInfo, MalformedRow, RawTable};
use crate::{Error, Result};

pub(super) fn read_delimited(path: &Path, bytes: &[u8]) -> Result<RawTable> {
    let (text, encoding) = sniff::decode(bytes);
    if text.trim().is_empty() {
        return Err(Error::input(path, "the file holds no text (only blank lines or a BOM): export the survey again"));
    }
    let delimiter = sniff::sniff_delimiter(&text);
    let mut rdr =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());

    let mut record = csv::StringRecord::new();
    let mut first: Vec<Vec<String>> = Vec::with_capacity(3);
    let mut first_lines: Vec<u64> = Vec::with_capacity(3);
    while first.len() < 3 {
        let more = rdr.read_record(&mut record).map_err(|e| Error::input(path, format!("cannot parse as CSV: {e}")))?;
        if !more {
            break;
        }
        first_lines.push(record.position().map_or(0, |p| p.line()));
        first.push(record.iter().map(str::to_string).collect());
    }
    let width = first.iter().map(Vec::len).max().unwrap_or(0);
    if width > super::MAX_COLUMNS {
        return Err(super::too_many_columns(path, width, "the first rows have"));
    }
    let (headers, questions, header_rows, vendor) = header_layout(&first);
    let width = headers.len();
    let mut table = RawTable {
        path: path.to_path_buf(),
        sha256: String::new(),
        format: FormatInfo {
            kind: "csv",
            encoding: Some(encoding.to_string()),
            delimiter: Some(delimiter as char),
            vendor,
            header_rows,
            sheet: None,
        },
        questions,
        columns: vec![super::TextColumn::default(); width],
        headers,
        row_numbers: Vec::new(),
        malformed: Vec::new(),
        raw_separator: delimiter as char,
        annotations: None,
    };
    let estimate_rows =
        text.len() / (first.iter().map(|r| r.iter().map(String::len).sum::<usize>() + 1).max().unwrap_or(64)).max(1);
    let per_column = text.len() / width.max(1);
    for col in &mut table.columns {
        *col = super::TextColumn::with_capacity(estimate_rows.min(1 << 24), per_column.min(1 << 30));
    }
    // Records already read past the header rows.
    for (row, line) in first.iter().zip(&first_lines).skip(header_rows) {
        push_record(&mut table, row.iter().map(String::as_str), row.len(), *line);
    }
    // Every field but a padded one costs at least its delimiter: two cells a byte is plenty.
    let limit = super::cell_limit(text.len(), 2);
    loop {
        match rdr.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = record.position().map_or(0, |p| p.line());
                push_record(&mut table, record.iter(), record.len(), line);
                if table.row_numbers.len().saturating_mul(width) > limit {
                    let why = format!("most rows have fewer fields than the {width}-column header");
                    return Err(super::too_many_cells(path, table.row_numbers.len(), width, &why));
                }
            }
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line());
                table.malformed.push(MalformedRow {
                    row: line,
                    reason: format!("unreadable CSV record: {e}"),
                    raw: String::new(),
                });
                if matches!(e.kind(), csv::ErrorKind::Io(_)) {
                    break;
                }
            }
        }
    }
    Ok(table)
}

/// Append one record; a record with extra non-empty fields is malformed (most often a
/// comment holding the delimiter without quotes), missing trailing fields are empty.
fn push_record<'a>(table: &mut RawTable, fields: impl Iterator<Item = &'a str>, len: usize, line: u64) {
    let width = table.headers.len();
    let fields: Vec<&str> = fields.collect();
    if len > width && fields[width..].iter().any(|f| !f.trim().is_empty()) {
        let sep = table.raw_separator.to_string();
        table.malformed.push(MalformedRow {
            row: line,
            reason: format!(
                "the row has {len} fields but the header has {width}: a comment probably contains the \
                 delimiter '{}' without quotes; quote that field or re-export",
                table.raw_separator
            ),
            raw: fields.join(&sep),
        });
        return;
    }
    if len == 1 && width > 1 && fields[0].trim().is_empty() {
        return; // a blank line
    }
    for (c, col) in table.columns.iter_mut().enumerate() {
        col.push(fields.get(c).copied().unwrap_or(""));
    }
    table.row_numbers.push(line);
}
