//! Excel workbooks (.xlsx): the first sheet, or the one named with `--sheet`.

use std::path::Path;

use calamine::{Data, Reader, Xlsx, XlsxError};

use super::{header_layout, FormatInfo, RawTable};
use crate::{Error, Result};

/// A non-empty cell: row, column (from 0), text.
type Cell = (u32, u32, String);

/// Excel's grid: a cell outside it is a damaged (or forged) workbook.
const MAX_ROWS: u32 = 1 << 20;
const MAX_COLS: u32 = 1 << 14;

pub(super) fn read_xlsx(path: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<RawTable> {
    // A damaged workbook must end as an error, not as a crash: calamine and what it calls
    // (zip, quick-xml, chrono) are not all free of panics on hostile input.
    super::catch_reader_panic(|| read_workbook(path, bytes, sheet)).unwrap_or_else(|panic| {
        Err(Error::input(
            path,
            format!(
                "cannot read the workbook (the reader failed: {panic}): open and save it again in Excel, or export CSV"
            ),
        ))
    })
}

fn read_workbook(path: &Path, bytes: &[u8], sheet: Option<&str>) -> Result<RawTable> {
    check_shared_strings(bytes).map_err(|why| {
        Error::input(path, format!("the workbook is damaged ({why}): open and save it again in Excel, or export CSV"))
    })?;
    let mut wb = Xlsx::new(std::io::Cursor::new(bytes))
        .map_err(|e| Error::input(path, format!("cannot open the workbook: {e}")))?;
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
    let cells = read_cells(path, &mut wb, &name)?;
    let (Some(first), Some(last)) = (cells.first(), cells.last()) else {
        return Err(Error::input(path, format!("sheet '{name}' is empty")));
    };
    // The sheet is read as its bounding box, as calamine's ranges are: row numbers and
    // columns count from its first non-empty row and column.
    let (row_start, row_end) = (first.0, last.0);
    let col_start = cells.iter().map(|c| c.1).min().unwrap_or(0);
    let width = (cells.iter().map(|c| c.1).max().unwrap_or(0) - col_start) as usize + 1;
    let mut by_row: Vec<(u32, &[Cell])> = Vec::new();
    let mut rest = &cells[..];
    while let Some(&(r, _, _)) = rest.first() {
        let n = rest.iter().take_while(|c| c.0 == r).count();
        by_row.push((r, &rest[..n]));
        rest = &rest[n..];
    }
    let dense = |row: &[Cell]| -> Vec<String> {
        let mut out = vec![String::new(); width];
        for (_, c, v) in row {
            out[(c - col_start) as usize].clone_from(v); // a cell written twice: the last wins
        }
        out
    };
    let head_end = row_end.min(row_start + 2);
    let first_rows: Vec<Vec<String>> = (row_start..=head_end)
        .map(|r| {
            by_row.iter().find(|(rr, _)| *rr == r).map_or_else(|| vec![String::new(); width], |(_, row)| dense(row))
        })
        .collect();
    let (headers, questions, header_rows, vendor) = header_layout(&first_rows);
    let data: Vec<&(u32, &[Cell])> = by_row
        .iter()
        .filter(|(r, row)| *r >= row_start + header_rows as u32 && row.iter().any(|c| !c.2.trim().is_empty()))
        .collect();
    if data.len().saturating_mul(width) > super::cell_limit(cells.len(), 16) {
        let why =
            format!("sheet '{name}' holds {} non-empty cells; delete stray cells far right or below", cells.len());
        return Err(super::too_many_cells(path, data.len(), width, &why));
    }
    let mut columns = vec![super::TextColumn::default(); width];
    let mut row_numbers = Vec::with_capacity(data.len());
    for (r, row) in data {
        for (col, v) in columns.iter_mut().zip(dense(row)) {
            col.push(&v);
        }
        row_numbers.push(*r as u64 + 1);
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
        annotations: None,
    })
}

/// The non-empty cells of a sheet as (row, column, text), sorted by position. Read one by
/// one rather than through calamine's `worksheet_range`, which allocates the bounding box
/// before anything can check it: two cells at A1 and XFD1048576 made 17 billion cells and
/// aborted (fixture tests/fixtures/fuzz/xlsx-026438a1502748a1.bin).
fn read_cells<RS: std::io::Read + std::io::Seek>(path: &Path, wb: &mut Xlsx<RS>, name: &str) -> Result<Vec<Cell>> {
    let cannot = |e: XlsxError| Error::input(path, format!("cannot read sheet '{name}': {e}"));
    let mut reader = match wb.worksheet_cells_reader(name) {
        Ok(r) => r,
        Err(XlsxError::NotAWorksheet(_)) => return Ok(Vec::new()), // a chart sheet
        Err(e) => return Err(cannot(e)),
    };
    let mut cells = Vec::new();
    while let Some(cell) = reader.next_cell().map_err(cannot)? {
        let value = Data::from(cell.get_value().clone());
        if value == Data::Empty {
            continue;
        }
        let (r, c) = cell.get_position();
        if r >= MAX_ROWS || c >= MAX_COLS {
            return Err(Error::input(
                path,
                format!(
                    "sheet '{name}' has a cell at row {}, column {}, outside Excel's 1,048,576 rows x 16,384 \
                     columns: the workbook is damaged; open and save it again in Excel, or export it as CSV",
                    r as u64 + 1,
                    c as u64 + 1
                ),
            ));
        }
        cells.push((r, c, cell_text(&value)));
    }
    cells.sort_by_key(|c| (c.0, c.1)); // stable: of two cells at one place, the later stays later
    Ok(cells)
}

/// calamine reserves room for as many shared strings as the table's `uniqueCount` says
/// before it reads one: a forged count (999999999991) asked for 24 TB and aborted the
/// process, past any `catch_unwind` (fixture tests/fixtures/fuzz/xlsx-f118f047f716b90d.bin). Every such
/// count is checked first against what the file could hold: a string takes at least 9 bytes
/// of XML, and deflate inflates at most 1032 times. A part that cannot be read is left to
/// calamine, which says why.
fn check_shared_strings(bytes: &[u8]) -> std::result::Result<(), String> {
    use std::io::Read;
    const KEY: &[u8] = b"uniqueCount";
    let most = (bytes.len() as u64).saturating_mul(1032 / 9).saturating_add(4096).min(1 << 27);
    let Ok(mut zip) = zip::ZipArchive::new(std::io::Cursor::new(bytes)) else {
        return Ok(());
    };
    for i in 0..zip.len() {
        let Ok(mut part) = zip.by_index(i) else {
            continue;
        };
        if !part.name().is_ok_and(|n| n.to_ascii_lowercase().ends_with("sharedstrings.xml")) {
            continue;
        }
        // Streamed in blocks, each searched with the end of the previous one in front, so
        // that no attribute is missed across a block boundary.
        let mut window: Vec<u8> = Vec::new();
        let mut block = vec![0u8; 1 << 16];
        loop {
            let n = match part.read(&mut block) {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            window.extend_from_slice(&block[..n]);
            let mut at = 0;
            while let Some(i) = window[at..].windows(KEY.len()).position(|w| w == KEY) {
                let rest = &window[at + i + KEY.len()..];
                let rest = rest.trim_ascii_start().strip_prefix(b"=").unwrap_or(b"").trim_ascii_start();
                let digits = rest.get(1..).unwrap_or(b"");
                let digits = &digits[..digits.iter().take_while(|b| b.is_ascii_digit()).count()];
                let count = std::str::from_utf8(digits).ok().and_then(|d| d.parse::<u64>().ok());
                if digits.len() > 19 || count.is_some_and(|c| c > most) {
                    let shown = String::from_utf8_lossy(&digits[..digits.len().min(30)]);
                    return Err(format!("its shared strings table claims {shown} strings in {} bytes", bytes.len()));
                }
                at += i + KEY.len();
            }
            let keep = window.len().min(64);
            window.drain(..window.len() - keep);
        }
    }
    Ok(())
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
        // calamine's conversion panics past chrono's range (a date-styled 1e300, fixture
        // tests/fixtures/fuzz/xlsx-8cea3fc3b3394ccc.bin): beyond Excel's last date,
        // 9999-12-31, the number is written as it is.
        Data::DateTime(dt) if dt.as_f64().is_nan() || dt.as_f64().abs() > 2_958_465.0 => dt.as_f64().to_string(),
        Data::DateTime(dt) => match dt.as_datetime() {
            Some(ndt) if ndt.time() == chrono::NaiveTime::MIN => ndt.date().format("%Y-%m-%d").to_string(),
            Some(ndt) => ndt.format("%Y-%m-%dT%H:%M:%S").to_string(),
            None => dt.as_f64().to_string(),
        },
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}
