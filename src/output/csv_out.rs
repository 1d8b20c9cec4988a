//! CSV for spreadsheets and CRMs. Every cell that starts with `=`, `+`, `-` or `@` (or a
//! tab / carriage return) is prefixed with `'`, so that opening the file cannot run a
//! formula (CSV injection).

use crate::validate::Reject;

/// Neutralise one cell for spreadsheet safety.
pub fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => std::borrow::Cow::Owned(format!("'{cell}")),
        _ => std::borrow::Cow::Borrowed(cell),
    }
}

/// A CSV document with a header, cells neutralised.
pub fn to_csv(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::WriterBuilder::new().from_writer(Vec::new());
    w.write_record(header).expect("writing to memory cannot fail");
    for row in rows {
        w.write_record(row.iter().map(|c| neutralise(c).into_owned())).expect("writing to memory cannot fail");
    }
    w.into_inner().expect("writing to memory cannot fail")
}

/// rejects.csv: header only when nothing was rejected. `scope` is `row` (the row was not
/// accepted) or `value` (the row was accepted, one customer value cell was left out).
pub fn rejects_csv(rejects: &[Reject]) -> Vec<u8> {
    to_csv(
        &["source_file", "row", "reason", "raw_row", "scope"],
        rejects.iter().map(|r| {
            let scope = if r.value_only { "value" } else { "row" };
            vec![r.source_file.clone(), r.row.to_string(), r.reason.clone(), r.raw.clone(), scope.to_string()]
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("+33 6 12"), "'+33 6 12");
        assert_eq!(neutralise("-1"), "'-1");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("fine = ok"), "fine = ok");
        let csv = String::from_utf8(to_csv(&["a"], vec![vec!["=1+1".to_string()]])).unwrap();
        assert_eq!(csv, "a\n'=1+1\n");
    }
}
