//! Coded verbatims: files a person coded by hand, read for training and evaluation. A
//! coded file is any input format with a `text` column and a `sentiment` column
//! (negative / neutral / positive) or a `themes` column (theme ids joined by `;`).

use std::path::Path;

use crate::{ingest, schema, sentiment, text};
use crate::{Error, Result};

/// Coded verbatims with a sentiment label.
pub struct Labelled {
    pub texts: Vec<String>,
    pub y: Vec<usize>,
    /// Rows without text or with an empty / unknown sentiment.
    pub skipped: usize,
}

/// A coded file (any input format) and the indices of its `text` and `other` columns.
fn read_coded(path: &Path, other: &str, what: &str) -> Result<(ingest::RawTable, usize, usize)> {
    let table = ingest::read_input(path, &ingest::ReadOptions::default())?;
    let find = |name: &str| table.headers.iter().position(|h| schema::mapping::fold(h.trim()) == name);
    match (find("text"), find(other)) {
        (Some(t), Some(o)) => Ok((table, t, o)),
        _ => Err(Error::input(
            path,
            format!(
                "coded verbatims need columns 'text' and '{other}' ({what}); found {}",
                table.headers.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", ")
            ),
        )),
    }
}

/// Read `text` and `sentiment` columns of a coded file (any input format).
pub fn read_labels(path: &Path) -> Result<Labelled> {
    read_sentiments(path, sentiment::parse_label, "negative / neutral / positive")
}

/// Read `text` and `sentiment` columns as comment labels (negative / neutral / positive /
/// mixed, indices into `sentiment::COMMENT_CLASSES`).
pub fn read_comment_labels(path: &Path) -> Result<Labelled> {
    read_sentiments(path, sentiment::parse_comment_label, "negative / neutral / positive / mixed")
}

/// Rows with a text and a label `parse` reads; the others are counted as skipped.
fn read_sentiments(path: &Path, parse: fn(&str) -> Option<usize>, labels: &str) -> Result<Labelled> {
    let (table, t, s) = read_coded(path, "sentiment", labels)?;
    let mut out = Labelled { texts: Vec::new(), y: Vec::new(), skipped: 0 };
    for r in 0..table.n_rows() {
        let text = text::normalize::normalize(table.columns[t].get(r));
        match (text.is_empty(), parse(table.columns[s].get(r))) {
            (false, Some(y)) => {
                out.texts.push(text);
                out.y.push(y);
            }
            _ => out.skipped += 1,
        }
    }
    if out.texts.is_empty() {
        return Err(Error::input(path, format!("no row has both a text and a sentiment ({labels})")));
    }
    Ok(out)
}

/// Coded verbatims with their themes (ids joined by ';', possibly none).
pub struct Coded {
    pub texts: Vec<String>,
    pub themes: Vec<Vec<String>>,
    /// The themes each text was judged on: `None` for every theme (a coder lists the themes
    /// a comment has, so the others are absent), `Some(ids)` for those alone (a taxonomy's
    /// counter-example says which theme a text is not, and nothing of the others).
    pub judged: Vec<Option<Vec<String>>>,
    /// Each text's group for a cross-validation by group (`--group-by`): texts of one
    /// group are tested together, never trained on while their group is tested. `None`:
    /// a group of its own text.
    pub group: Vec<Option<String>>,
}

impl Coded {
    pub fn new() -> Self {
        Coded { texts: Vec::new(), themes: Vec::new(), judged: Vec::new(), group: Vec::new() }
    }

    /// A text coded with `themes`, judged on every theme.
    pub fn push(&mut self, text: String, themes: Vec<String>) {
        self.push_judged(text, themes, None);
    }

    /// A text coded with `themes`, judged on `judged` alone (`None`: on every theme).
    pub fn push_judged(&mut self, text: String, themes: Vec<String>, judged: Option<Vec<String>>) {
        self.texts.push(text);
        self.themes.push(themes);
        self.judged.push(judged);
        self.group.push(None);
    }

    /// `other`'s texts after these.
    pub fn extend(&mut self, other: Coded) {
        self.texts.extend(other.texts);
        self.themes.extend(other.themes);
        self.judged.extend(other.judged);
        self.group.extend(other.group);
    }

    /// The key that puts text `i` in a cross-validation fold: its group, else its text.
    pub fn fold_key(&self, i: usize) -> &str {
        self.group.get(i).and_then(|g| g.as_deref()).unwrap_or(&self.texts[i])
    }
}

impl Default for Coded {
    fn default() -> Self {
        Coded::new()
    }
}

/// Read `text` and `themes` columns of a coded file (any input format); rows without text
/// are skipped.
pub fn read_examples(path: &Path) -> Result<Coded> {
    read_grouped_examples(path, None)
}

/// [`read_examples`], each text's group read from the columns `group_by` names (one
/// column, or several joined by commas: `lang,journey`) when given. A row whose group
/// columns are all empty is a group of its own text.
pub fn read_grouped_examples(path: &Path, group_by: Option<&str>) -> Result<Coded> {
    let (table, t, th) = read_coded(path, "themes", "theme ids joined by ';'")?;
    let mut group: Vec<usize> = Vec::new();
    for name in group_by.into_iter().flat_map(|g| g.split(',')).map(str::trim) {
        let wanted = schema::mapping::fold(name);
        let found = table.headers.iter().position(|h| schema::mapping::fold(h.trim()) == wanted);
        group.push(found.ok_or_else(|| {
            Error::input(
                path,
                format!(
                    "--group-by names column '{name}', which this file does not have; its columns are {}",
                    table.headers.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", ")
                ),
            )
        })?);
    }
    let mut out = Coded::new();
    for r in 0..table.n_rows() {
        let text = text::normalize::normalize(table.columns[t].get(r));
        if text.is_empty() {
            continue;
        }
        let mut ids: Vec<String> =
            table.columns[th].get(r).split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        ids.sort();
        ids.dedup();
        out.push(text, ids);
        let values: Vec<&str> = group.iter().map(|&g| table.columns[g].get(r).trim()).collect();
        if values.iter().any(|v| !v.is_empty()) {
            // A separator no cell holds, so that ("a b", "c") and ("a", "b c") stay apart.
            *out.group.last_mut().expect("just pushed") = Some(values.join("\u{1f}"));
        }
    }
    if out.texts.is_empty() {
        return Err(Error::input(path, "no row with a text"));
    }
    Ok(out)
}
