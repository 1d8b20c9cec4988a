//! Column detection: which input column plays which role, and why.
//!
//! Every decision carries a one-line reason that `verbatim` prints, so that a user who
//! disagrees knows which flag (`--score-col`, `--comment-col`, `--id-col`, `--date-col`,
//! `--segment-col`, and for customer value `--value-col`, `--recency-col`,
//! `--frequency-col`, `--tenure-col`) to pass.

use std::path::PathBuf;

use super::dates::{self, DateFormat};
use crate::ingest::RawTable;

/// Roles a column can play.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Score,
    Comment,
    Id,
    Date,
    Segment,
    Value,
    Recency,
    Frequency,
    Tenure,
}

impl Role {
    pub fn flag(self) -> &'static str {
        match self {
            Role::Score => "--score-col",
            Role::Comment => "--comment-col",
            Role::Id => "--id-col",
            Role::Date => "--date-col",
            Role::Segment => "--segment-col",
            Role::Value => "--value-col",
            Role::Recency => "--recency-col",
            Role::Frequency => "--frequency-col",
            Role::Tenure => "--tenure-col",
        }
    }
}

/// Column errors that stop a run (exit 2), each naming the file and the flag that fixes it.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaError {
    #[error(
        "{file}: no score column found. A score column holds whole numbers 0-10 and its name or \
         question says score / note / NPS / recommend / likely / probabilité.\n\
         Candidate columns:\n{candidates}\n\
         Help: pass --score-col NAME with the column that holds the 0-10 answer."
    )]
    ScoreNotFound { file: PathBuf, candidates: String },
    #[error("{file}: {flag} '{name}' is not a column of this file. Columns: {available}")]
    ColumnNotFound { file: PathBuf, flag: &'static str, name: String, available: String },
}

/// The column chosen for a role, with the reason shown to the user.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Choice {
    pub column: String,
    #[serde(skip)]
    pub index: usize,
    pub reason: String,
}

/// Resolved roles of one input file.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnMapping {
    pub score: Choice,
    pub comment: Option<Choice>,
    pub id: Option<Choice>,
    pub date: Option<Choice>,
    #[serde(skip)]
    pub date_format: Option<DateFormat>,
    pub segments: Vec<Choice>,
    /// Contact columns (email, phone, name, customer id) carried to followup.csv.
    #[serde(default)]
    pub contacts: Vec<Choice>,
    /// Customer value columns (issue 19); all optional.
    #[serde(flatten)]
    pub value: ValueColumns,
}

/// The customer value columns of a file: monetary value, recency, frequency, tenure.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ValueColumns {
    /// What a customer is worth (revenue, spend, ARPU, montant, CA...): weights the NPS.
    pub monetary: Option<Choice>,
    /// Last purchase date, or days since it.
    pub recency: Option<Choice>,
    /// Date format of the recency column; None: it holds numbers of days.
    #[serde(skip)]
    pub recency_format: Option<DateFormat>,
    /// Number of orders or purchases.
    pub frequency: Option<Choice>,
    /// How long the customer has been one (a number as given, or a start date).
    pub tenure: Option<Choice>,
    /// Date format of the tenure column; None: it holds numbers.
    #[serde(skip)]
    pub tenure_format: Option<DateFormat>,
}

impl ValueColumns {
    fn indices(&self) -> Vec<usize> {
        [&self.monetary, &self.recency, &self.frequency, &self.tenure].into_iter().flatten().map(|c| c.index).collect()
    }
}

impl ColumnMapping {
    /// One line per role, for the terminal.
    pub fn describe(&self) -> Vec<String> {
        let mut out = vec![format!("score    <- '{}' ({})", self.score.column, self.score.reason)];
        let opt = |role: &str, c: &Option<Choice>, none: &str| match c {
            Some(c) => format!("{role} <- '{}' ({})", c.column, c.reason),
            None => format!("{role} <- none ({none})"),
        };
        out.push(opt("comment ", &self.comment, "no free-text column found; pass --comment-col"));
        out.push(opt("id      ", &self.id, "ids are generated from file and row; pass --id-col"));
        out.push(opt("date    ", &self.date, "no periods; pass --date-col"));
        if self.segments.is_empty() {
            out.push("segments <- none (pass --segment-col NAME, repeatable)".into());
        }
        for s in &self.segments {
            out.push(format!("segment  <- '{}' ({})", s.column, s.reason));
        }
        for (role, c) in [
            ("value    ", &self.value.monetary),
            ("recency  ", &self.value.recency),
            ("frequency ", &self.value.frequency),
            ("tenure   ", &self.value.tenure),
        ] {
            if let Some(c) = c {
                out.push(format!("{role}<- '{}' ({})", c.column, c.reason));
            }
        }
        if !self.contacts.is_empty() {
            out.push(format!(
                "contacts <- {} (carried to followup.csv)",
                self.contacts.iter().map(|c| format!("'{}'", c.column)).collect::<Vec<_>>().join(", ")
            ));
        }
        out
    }
}

impl ColumnMapping {
    /// The same roles in another file with these columns (same export layout): indices are
    /// looked up by name and the date format is decided from that file's values. None when
    /// a column is missing there.
    pub fn apply_to(&self, table: &RawTable) -> Option<ColumnMapping> {
        let moved = |c: &Choice| -> Option<Choice> {
            let index = table.headers.iter().position(|h| *h == c.column)?;
            Some(Choice { column: c.column.clone(), index, reason: c.reason.clone() })
        };
        let opt = |c: &Option<Choice>| -> Option<Option<Choice>> {
            match c {
                Some(c) => moved(c).map(Some),
                None => Some(None),
            }
        };
        let date = opt(&self.date)?;
        let date_format = match &date {
            Some(d) => {
                let values: Vec<&str> = sample(&table.columns[d.index], 20_000);
                let (fmt, _) = dates::infer(&values);
                Some(if values.iter().all(|v| v.trim().is_empty()) { self.date_format.unwrap_or(fmt) } else { fmt })
            }
            None => None,
        };
        Some(ColumnMapping {
            score: moved(&self.score)?,
            comment: opt(&self.comment)?,
            id: opt(&self.id)?,
            date,
            date_format,
            segments: self.segments.iter().map(moved).collect::<Option<Vec<_>>>()?,
            contacts: self.contacts.iter().filter_map(moved).collect(),
            value: {
                let v = &self.value;
                let recency = opt(&v.recency)?;
                let tenure = opt(&v.tenure)?;
                let fmt = |c: &Option<Choice>, had: Option<DateFormat>| {
                    had.and(c.as_ref()).map(|c| dates::infer(&sample(&table.columns[c.index], 20_000)).0)
                };
                ValueColumns {
                    monetary: opt(&v.monetary)?,
                    recency_format: fmt(&recency, v.recency_format),
                    recency,
                    frequency: opt(&v.frequency)?,
                    tenure_format: fmt(&tenure, v.tenure_format),
                    tenure,
                }
            },
        })
    }
}

/// Column names given on the command line; they win over detection.
#[derive(Debug, Clone, Default)]
pub struct MappingOverrides {
    pub score: Option<String>,
    pub comment: Option<String>,
    pub id: Option<String>,
    pub date: Option<String>,
    /// When non-empty, exactly these segment columns (no detection).
    pub segments: Vec<String>,
    /// Monetary value column (`--value-col`).
    pub value: Option<String>,
    /// Recency column (`--recency-col`): a last purchase date or days since.
    pub recency: Option<String>,
    /// Frequency column (`--frequency-col`).
    pub frequency: Option<String>,
    /// Tenure column (`--tenure-col`).
    pub tenure: Option<String>,
}

/// Lower case, accents removed: "Probabilité" -> "probabilite".
pub fn fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfd().filter(|c| !unicode_normalization::char::is_combining_mark(*c)).flat_map(char::to_lowercase).collect()
}

const SCORE_WORDS: &[&str] = &[
    "nps",
    "recommend",
    "recommand",
    "likely",
    "likelihood",
    "probabilit",
    "score",
    "note",
    "ltr",
    "rating",
    "conseill",
    "wahrscheinlich",
    "empfehl",
];
const SCORE_NOT: &[&str] =
    &["group", "groupe", "category", "categorie", "segment", "type", "label", "reason", "raison"];
const COMMENT_WORDS: &[&str] = &[
    "comment",
    "verbatim",
    "reason",
    "why",
    "feedback",
    "commentaire",
    "raison",
    "pourquoi",
    "explain",
    "expliqu",
    "remarque",
    "avis",
    "suggestion",
    "improve",
    "ameliorer",
    "tell us",
    "dites",
    "precis",
    "open-ended",
    "open ended",
    "text",
    "texte",
    "motif",
];
const ID_EXACT: &[&str] = &[
    "id",
    "#",
    "response id",
    "responseid",
    "response_id",
    "respondent id",
    "respondentid",
    "respondent_id",
    "submission id",
    "submission_id",
    "token",
    "identifiant",
    "id reponse",
    "id_reponse",
    "reponse id",
    "record id",
    "recordid",
    "_recordid",
    "survey response id",
];
const ID_NOT: &[&str] =
    &["import", "collector", "distribution", "survey id", "ip", "external", "person", "customer", "user", "client"];
const DATE_STRONG: &[&str] =
    &["recorded", "submitted", "submit", "end", "completed", "response date", "soumis", "fin", "timestamp", "horodat"];
const DATE_WORDS: &[&str] = &["date", "time", "created", "jour", "heure", "quand", "when"];
const SEGMENT_WORDS: &[&str] = &[
    "channel",
    "canal",
    "country",
    "pays",
    "plan",
    "offer",
    "offre",
    "formule",
    "segment",
    "region",
    "journey",
    "parcours",
    "stage",
    "etape",
    "tier",
    "value",
    "valeur",
    "market",
    "marche",
    "product",
    "produit",
    "store",
    "magasin",
    "agence",
    "branch",
    "team",
    "equipe",
    "department",
    "source",
    "cohort",
    "subscription",
    "abonnement",
    "contract",
    "contrat",
];
const CONTACT_WORDS: &[&str] = &[
    "email",
    "e-mail",
    "courriel",
    "mail",
    "phone",
    "telephone",
    "mobile",
    "portable",
    "name",
    "nom",
    "prenom",
    "customer id",
    "client id",
    "customer_id",
    "client_id",
    "id client",
    "account",
    "compte",
];
/// Names of a monetary value column (short ones match whole words only: `CA`, `ARPU`).
const MONEY_WORDS: &[&str] = &[
    "revenue",
    "spend",
    "spent",
    "annual value",
    "customer value",
    "lifetime value",
    "montant",
    "chiffre d'affaires",
    "chiffre d affaires",
    "chiffre_affaires",
    "amount",
    "sales",
    "ventes",
    "monetary",
    "depense",
    "turnover",
    "value",
    "valeur",
    "panier",
    "basket",
];
const MONEY_TOKENS: &[&str] = &["ca", "arpu", "arpa", "mrr", "arr", "ltv", "clv", "cltv"];
const RECENCY_WORDS: &[&str] = &[
    "last order",
    "last purchase",
    "last visit",
    "last transaction",
    "last bought",
    "derniere commande",
    "dernier achat",
    "derniere visite",
    "derniere transaction",
    "days since",
    "jours depuis",
    "recency",
    "recence",
];
const FREQUENCY_WORDS: &[&str] = &[
    "orders",
    "order count",
    "purchases",
    "commandes",
    "achats",
    "frequency",
    "frequence",
    "visits",
    "visites",
    "transactions",
    "number of",
    "nombre de",
];
const TENURE_WORDS: &[&str] = &[
    "tenure",
    "anciennete",
    "customer since",
    "client depuis",
    "member since",
    "membre depuis",
    "seniority",
    "months as",
    "years as",
];
/// Names of a recency or tenure column that counts days (not a date).
const DAYS_WORDS: &[&str] = &["days", "jours", "months", "mois", "years", "ans"];

const LABEL_VALUES: &[&str] =
    &["promoter", "passive", "detractor", "promoteur", "passif", "detracteur", "neutral", "neutre"];

/// What detection needs to know of a column, from a sample of its values.
#[derive(Debug, Clone, Default)]
struct Profile {
    non_empty: usize,
    int_0_10: usize,
    numeric: usize,
    /// Values that read as a non-negative amount (currency signs and separators allowed).
    amounts: usize,
    dates: usize,
    labels: usize,
    distinct: usize,
    mean_len: f64,
    date_format: Option<DateFormat>,
}

/// Up to `max` cells spread evenly over the column (all of them when it is small).
fn sample(col: &crate::ingest::TextColumn, max: usize) -> Vec<&str> {
    let step = col.len().div_ceil(max).max(1);
    (0..col.len()).step_by(step).map(|r| col.get(r)).collect()
}

fn profile(values: &crate::ingest::TextColumn) -> Profile {
    let sample: Vec<&str> = sample(values, 5000).into_iter().map(str::trim).filter(|s| !s.is_empty()).collect();
    let mut p = Profile { non_empty: sample.len(), ..Default::default() };
    if sample.is_empty() {
        return p;
    }
    let mut distinct = std::collections::HashSet::new();
    let mut total_len = 0usize;
    for v in &sample {
        if let Ok(f) = v.replace(',', ".").parse::<f64>() {
            p.numeric += 1;
            if f.fract() == 0.0 && (0.0..=10.0).contains(&f) {
                p.int_0_10 += 1;
            }
        }
        if matches!(crate::value::parse_amount(v), Ok(Some(_))) {
            p.amounts += 1;
        }
        if LABEL_VALUES.contains(&fold(v).as_str()) {
            p.labels += 1;
        }
        if distinct.len() < 10_000 {
            distinct.insert(*v);
        }
        total_len += v.chars().count();
    }
    p.distinct = distinct.len();
    p.mean_len = total_len as f64 / sample.len() as f64;
    let (fmt, share) = dates::infer(&sample);
    p.dates = (share * sample.len() as f64).round() as usize;
    p.date_format = Some(fmt);
    p
}

impl Profile {
    fn share(&self, k: usize) -> f64 {
        if self.non_empty == 0 {
            0.0
        } else {
            k as f64 / self.non_empty as f64
        }
    }
}

fn has_any(text: &str, words: &'static [&'static str]) -> Option<&'static str> {
    words.iter().copied().find(|w| text.contains(w))
}

/// Detect the roles of one file's columns, honouring overrides.
pub fn detect(table: &RawTable, ov: &MappingOverrides) -> Result<ColumnMapping, SchemaError> {
    let profiles: Vec<Profile> = table.columns.iter().map(profile).collect();
    let names: Vec<String> = table.headers.iter().map(|h| fold(h)).collect();
    let questions: Vec<String> = table.questions.iter().map(|q| q.as_deref().map(fold).unwrap_or_default()).collect();
    let find = |flag: &'static str, name: &str| -> Result<usize, SchemaError> {
        let f = fold(name.trim());
        table.headers.iter().position(|h| h == name).or_else(|| names.iter().position(|h| *h == f)).ok_or_else(|| {
            SchemaError::ColumnNotFound {
                file: table.path.clone(),
                flag,
                name: name.to_string(),
                available: table.headers.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", "),
            }
        })
    };
    let choice = |i: usize, reason: String| Choice { column: table.headers[i].clone(), index: i, reason };

    // Score.
    let score = match &ov.score {
        Some(name) => choice(find(Role::Score.flag(), name)?, "--score-col".into()),
        None => {
            let mut best: Option<(f64, usize, String)> = None;
            for (i, p) in profiles.iter().enumerate() {
                let ints = p.share(p.int_0_10);
                let in_name = has_any(&names[i], SCORE_WORDS);
                let in_question = has_any(&questions[i], SCORE_WORDS);
                let Some(word) = in_name.or(in_question) else {
                    continue;
                };
                // A column named like a score may hold a fair share of unusable answers
                // ("N/A", "dix"): those rows become rejects, with their reason.
                if p.non_empty == 0 || ints < 0.5 {
                    continue;
                }
                let mut s = if in_name.is_some() { 3.0 } else { 2.0 };
                if has_any(&names[i], SCORE_NOT).is_some() {
                    s -= 4.0;
                }
                if p.distinct >= 5 {
                    s += 1.0;
                }
                s += ints;
                let place = if in_name.is_some() { "name" } else { "question" };
                let reason =
                    format!("{:.0}% of values are whole numbers 0-10 and its {place} says '{word}'", ints * 100.0);
                if best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, i, reason));
                }
            }
            match best.or_else(|| named_score(&names, &profiles)) {
                Some((_, i, reason)) => choice(i, reason),
                None => {
                    return Err(SchemaError::ScoreNotFound {
                        file: table.path.clone(),
                        candidates: score_candidates(table, &profiles),
                    })
                }
            }
        }
    };

    let taken = |i: usize, roles: &[Option<usize>]| roles.contains(&Some(i));

    // Customer value columns, before the date: a last-purchase date is not the response date.
    let value = detect_values(table, &names, &profiles, ov, score.index, &find)?;
    let value_idx = value.indices();

    // Date.
    let date = match &ov.date {
        Some(name) => Some(choice(find(Role::Date.flag(), name)?, "--date-col".into())),
        None => {
            let mut best: Option<(f64, usize, String)> = None;
            for (i, p) in profiles.iter().enumerate() {
                let share = p.share(p.dates);
                if i == score.index || value_idx.contains(&i) || p.non_empty == 0 || share < 0.9 {
                    continue;
                }
                let strong = has_any(&names[i], DATE_STRONG);
                let weak = has_any(&names[i], DATE_WORDS);
                let mut s = share;
                if strong.is_some() {
                    s += 3.0;
                }
                if weak.is_some() {
                    s += 2.0;
                }
                if names[i].contains("start") || names[i].contains("debut") {
                    s -= 1.5;
                }
                let why = match strong.or(weak) {
                    Some(w) => format!("its name says '{w}'"),
                    None => "no date-like name, but the values are dates".into(),
                };
                let fmt = p.date_format.expect("profiled columns with values have a date format");
                let reason = format!("{:.0}% of values parse as {}; {why}", share * 100.0, fmt.describe());
                if best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, i, reason));
                }
            }
            best.map(|(_, i, r)| choice(i, r))
        }
    };
    let date_format = date.as_ref().map(|d| {
        let values: Vec<&str> = sample(&table.columns[d.index], 20_000);
        dates::infer(&values).0
    });

    // Id.
    let id = match &ov.id {
        Some(name) => Some(choice(find(Role::Id.flag(), name)?, "--id-col".into())),
        None => {
            let mut best: Option<(f64, usize, String)> = None;
            for (i, p) in profiles.iter().enumerate() {
                if taken(i, &[Some(score.index), date.as_ref().map(|d| d.index)])
                    || value_idx.contains(&i)
                    || p.non_empty == 0
                {
                    continue;
                }
                let n = &names[i];
                let exact = ID_EXACT.contains(&n.as_str());
                let suffix = n.ends_with(" id") || n.ends_with("_id") || n.ends_with("id") && n.contains("response");
                if !(exact || suffix) || has_any(n, ID_NOT).is_some() {
                    continue;
                }
                let unique = p.share(p.distinct);
                if unique < 0.95 && p.non_empty > 20 {
                    continue;
                }
                let s = if exact { 2.0 } else { 1.0 } + unique;
                let reason =
                    format!("its name says it is an id and {:.0}% of sampled values are distinct", unique * 100.0);
                if best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, i, reason));
                }
            }
            best.map(|(_, i, r)| choice(i, r))
        }
    };

    // Comment.
    let comment = match &ov.comment {
        Some(name) => Some(choice(find(Role::Comment.flag(), name)?, "--comment-col".into())),
        None => {
            let mut best: Option<(f64, usize, String)> = None;
            let used = [Some(score.index), date.as_ref().map(|d| d.index), id.as_ref().map(|d| d.index)];
            for (i, p) in profiles.iter().enumerate() {
                if taken(i, &used) || value_idx.contains(&i) || p.non_empty == 0 {
                    continue;
                }
                let textual = 1.0 - p.share(p.numeric) - p.share(p.dates);
                if textual < 0.5 || p.share(p.labels) > 0.5 || p.mean_len < 4.0 {
                    continue;
                }
                let in_name = has_any(&names[i], COMMENT_WORDS);
                let in_question = has_any(&questions[i], COMMENT_WORDS);
                let mut s = (p.mean_len.min(200.0) / 200.0) + p.share(p.distinct);
                let why = if let Some(w) = in_name {
                    s += 3.0;
                    format!("its name says '{w}'")
                } else if let Some(w) = in_question {
                    s += 2.0;
                    format!("its question says '{w}'")
                } else if p.mean_len >= 15.0 && p.share(p.distinct) >= 0.3 {
                    "the longest free text of the file".into()
                } else {
                    continue;
                };
                let reason = format!("{why}; {:.0} characters on average", p.mean_len);
                if best.as_ref().is_none_or(|b| s > b.0) {
                    best = Some((s, i, reason));
                }
            }
            best.map(|(_, i, r)| choice(i, r))
        }
    };

    // Segments.
    let segments = if !ov.segments.is_empty() {
        // `RFM segment` is computed, not read: naming it keeps it among exactly these.
        ov.segments
            .iter()
            .filter(|name| name.as_str() != crate::value::rfm::SEGMENT_COLUMN)
            .map(|name| Ok(choice(find(Role::Segment.flag(), name)?, "--segment-col".into())))
            .collect::<Result<Vec<_>, SchemaError>>()?
    } else {
        let used = [
            Some(score.index),
            date.as_ref().map(|d| d.index),
            id.as_ref().map(|d| d.index),
            comment.as_ref().map(|d| d.index),
        ];
        profiles
            .iter()
            .enumerate()
            .filter(|(i, p)| !taken(*i, &used) && !value_idx.contains(i) && p.non_empty > 0)
            .filter_map(|(i, p)| {
                let word = has_any(&names[i], SEGMENT_WORDS)?;
                let ratio = p.share(p.distinct);
                let few = p.distinct >= 2 && p.distinct <= 50 && (ratio <= 0.5 || p.non_empty < 20);
                (few && p.share(p.labels) < 0.5 && p.share(p.int_0_10) < 0.9)
                    .then(|| choice(i, format!("its name says '{word}' and it has {} distinct values", p.distinct)))
            })
            .collect()
    };

    // Contacts: columns named like an email, a phone, a name or a customer id.
    let used: Vec<usize> = [Some(score.index), date.as_ref().map(|d| d.index), comment.as_ref().map(|d| d.index)]
        .into_iter()
        .flatten()
        .chain(segments.iter().map(|s| s.index))
        .chain(value_idx.iter().copied())
        .collect();
    let contacts = names
        .iter()
        .enumerate()
        .filter(|(i, _)| !used.contains(i) && id.as_ref().is_none_or(|c| c.index != *i))
        .filter_map(|(i, n)| has_any(n, CONTACT_WORDS).map(|w| choice(i, format!("its name says '{w}'"))))
        .collect();
    Ok(ColumnMapping { score, comment, id, date, date_format, segments, contacts, value })
}

/// The first word of `words` in a folded column name.
fn money_word(name: &str) -> Option<&'static str> {
    let token = name.split(|c: char| !c.is_alphanumeric()).find_map(|t| MONEY_TOKENS.iter().copied().find(|w| t == *w));
    token.or_else(|| has_any(name, MONEY_WORDS))
}

/// The customer value columns: each named like its role, holding what the role holds
/// (at least 80 % of non-empty values: amounts for the monetary value and the frequency,
/// dates or numbers for recency and tenure), the best-named first; or the override.
/// `--value-col` and friends name the column; detection never takes the score column.
fn detect_values(
    table: &RawTable,
    names: &[String],
    profiles: &[Profile],
    ov: &MappingOverrides,
    score: usize,
    find: &dyn Fn(&'static str, &str) -> Result<usize, SchemaError>,
) -> Result<ValueColumns, SchemaError> {
    let choice = |i: usize, reason: String| Choice { column: table.headers[i].clone(), index: i, reason };
    let mut used = vec![score];
    // (date format or None for numbers, share of usable values) of a recency / tenure column.
    let date_or_number = |i: usize| -> (Option<DateFormat>, f64) {
        let p = &profiles[i];
        let days_named = has_any(&names[i], DAYS_WORDS).is_some();
        if !days_named && p.share(p.dates) >= 0.8 && p.share(p.numeric) < 0.8 {
            (p.date_format, p.share(p.dates))
        } else {
            (None, p.share(p.numeric))
        }
    };
    let mut pick = |role: Role,
                    given: &Option<String>,
                    word_of: &dyn Fn(&str) -> Option<&'static str>,
                    usable: &dyn Fn(usize) -> (f64, String)|
     -> Result<Option<Choice>, SchemaError> {
        if let Some(name) = given {
            let i = find(role.flag(), name)?;
            used.push(i);
            return Ok(Some(choice(i, role.flag().to_string())));
        }
        let mut best: Option<(f64, usize, String)> = None;
        for i in 0..profiles.len() {
            if used.contains(&i) || profiles[i].non_empty == 0 {
                continue;
            }
            let Some(word) = word_of(&names[i]) else { continue };
            let (share, what) = usable(i);
            if share < 0.8 {
                continue;
            }
            let reason = format!("its name says '{word}' and {:.0}% of values are {what}", share * 100.0);
            if best.as_ref().is_none_or(|b| share > b.0) {
                best = Some((share, i, reason));
            }
        }
        Ok(best.map(|(_, i, reason)| {
            used.push(i);
            choice(i, reason)
        }))
    };
    let words = |w: &'static [&'static str]| move |n: &str| has_any(n, w);
    let recency = pick(Role::Recency, &ov.recency, &words(RECENCY_WORDS), &|i| match date_or_number(i) {
        (Some(f), s) => (s, format!("dates ({})", f.describe())),
        (None, s) => (s, "numbers of days".into()),
    })?;
    let tenure = pick(Role::Tenure, &ov.tenure, &words(TENURE_WORDS), &|i| match date_or_number(i) {
        (Some(f), s) => (s, format!("dates ({})", f.describe())),
        (None, s) => (s, "numbers".into()),
    })?;
    // "Orders (12 months)" is a frequency, not a recency: recency was taken first.
    let frequency = pick(Role::Frequency, &ov.frequency, &words(FREQUENCY_WORDS), &|i| {
        (profiles[i].share(profiles[i].numeric), "numbers".into())
    })?;
    let monetary = pick(Role::Value, &ov.value, &|n| money_word(n), &|i| {
        (profiles[i].share(profiles[i].amounts), "amounts".into())
    })?;
    let format_of = |c: &Option<Choice>| c.as_ref().and_then(|c| date_or_number(c.index).0);
    Ok(ValueColumns {
        recency_format: format_of(&recency),
        tenure_format: format_of(&tenure),
        monetary,
        recency,
        frequency,
        tenure,
    })
}

/// The score column when no column both is named like a score and mostly holds 0-10:
/// a column whose *name* says score (a whole word: `Score`, `NPS`, `Note`,
/// `Recommend...`) and holds short answers is taken even when most of its values are
/// invalid (`N/A`, `dix`, `11`, `7.5`): the user meant it, and those rows go to
/// rejects.csv with their reason (the run warns when they are over half). A column of
/// Promoter / Detractor labels, a group, category or comment column (`rating_text`), or
/// long free text is never taken this way.
fn named_score(names: &[String], profiles: &[Profile]) -> Option<(f64, usize, String)> {
    let mut best: Option<(f64, usize, String)> = None;
    for (i, p) in profiles.iter().enumerate() {
        let word = names[i].split(|c: char| !c.is_alphanumeric()).find_map(|token| {
            SCORE_WORDS.iter().copied().find(|w| token == *w || (w.len() >= 5 && token.starts_with(w)))
        });
        let Some(word) = word else { continue };
        let other_role = has_any(&names[i], SCORE_NOT).or(has_any(&names[i], COMMENT_WORDS));
        if other_role.is_some() || p.share(p.labels) > 0.5 || p.mean_len > 12.0 {
            continue;
        }
        let ints = p.share(p.int_0_10);
        let reason = format!(
            "its name says '{word}', though only {:.0}% of values are whole numbers 0-10: the other rows \
             are rejected with their reason",
            ints * 100.0
        );
        if best.as_ref().is_none_or(|b| ints > b.0) {
            best = Some((ints, i, reason));
        }
    }
    best
}

/// Columns a user might have meant as the score, each with what disqualified it.
fn score_candidates(table: &RawTable, profiles: &[Profile]) -> String {
    let mut lines = Vec::new();
    for (i, p) in profiles.iter().enumerate() {
        let name = &table.headers[i];
        let folded = fold(name);
        let q = table.questions[i].as_deref().map(fold).unwrap_or_default();
        let named = has_any(&folded, SCORE_WORDS).or(has_any(&q, SCORE_WORDS)).is_some();
        let ints = p.share(p.int_0_10);
        let why = if p.non_empty == 0 {
            continue;
        } else if p.share(p.labels) > 0.5 {
            "holds labels such as 'Promoter' / 'Detractor', not 0-10 scores: export the numeric answer".to_string()
        } else if ints >= 0.8 {
            format!("{:.0}% whole numbers 0-10, but its name does not say score/NPS/recommend", ints * 100.0)
        } else if named {
            format!(
                "its name or question fits, but only {:.0}% of values are whole numbers 0-10 (at least \
                 50% needed, unless its own name says score and its values are short answers)",
                ints * 100.0
            )
        } else {
            continue;
        };
        lines.push(format!("  - '{name}': {why}"));
    }
    if lines.is_empty() {
        lines.push(format!(
            "  (none: no column holds 0-10 numbers; columns are {})",
            table.headers.iter().map(|h| format!("'{h}'")).collect::<Vec<_>>().join(", ")
        ));
    }
    lines.join("\n")
}
