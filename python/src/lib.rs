//! `verbatim._verbatim`: the native half of the Python package. The Python half
//! (`python/verbatim/`) builds the options, splits tables into batches and joins the
//! annotation columns to them; this half loads the models once per process and annotates a
//! column of comments with the GIL released.
//!
//! Options cross as the `verbatim run` command line (`--model DIR`, `--threads N`, ...):
//! they go through the CLI's own parser, so every option, default and error message is the
//! CLI's.

use std::sync::{Arc, Mutex};

use arrow_array::builder::{Float32Builder, ListBuilder, StringBuilder};
use arrow_array::{Array, ArrayRef, LargeStringArray, RecordBatch, StringArray, StringViewArray};
use arrow_schema::{DataType, Field, Schema};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3_arrow::{PyArray, PyRecordBatch};

use verbatim::annotate::{Annotated, Annotator as Inner};
use verbatim::cli::{args::Command, parse::parse_args, resolve};
use verbatim::console::Console;
use verbatim::ingest::{annotations as col, TextColumn};

/// An error as the CLI prints it (with its causes).
fn message(e: verbatim::Error) -> String {
    format!("{:#}", anyhow::Error::from(e))
}

/// A command line parsed as the CLI parses it (program name first); clap's message on error.
fn parse(argv: Vec<String>) -> PyResult<verbatim::cli::args::Args> {
    parse_args(argv).map_err(|e| PyValueError::new_err(e.render().to_string()))
}

/// Notes on stderr, or nothing.
fn console(quiet: bool) -> Console {
    if quiet {
        Console::silent()
    } else {
        Console::plain()
    }
}

/// The `run` configuration of a command line (program name and `run` first; the inputs and
/// `--out` are not read by an annotator).
fn run_config(argv: Vec<String>) -> PyResult<verbatim::config::RunConfig> {
    match parse(argv)?.command {
        Command::Run(a) => resolve::run_config(&a).map_err(|e| PyValueError::new_err(message(e))),
        _ => Err(PyValueError::new_err("expected the options of `verbatim run`")),
    }
}

/// Models loaded once, reused by every call; calls from several threads take turns.
#[pyclass(module = "verbatim._verbatim")]
struct Annotator {
    inner: Arc<Mutex<Inner>>,
    fingerprint: String,
}

#[pymethods]
impl Annotator {
    /// `argv`: a `verbatim run` command line whose model options say which models to load.
    #[new]
    fn new(py: Python<'_>, argv: Vec<String>, quiet: bool) -> PyResult<Self> {
        let cfg = run_config(argv)?;
        let console = console(quiet);
        let inner = py.detach(|| Inner::new(&cfg, &console)).map_err(|e| PyRuntimeError::new_err(message(e)))?;
        let fingerprint = inner.fingerprint().to_string();
        Ok(Annotator { inner: Arc::new(Mutex::new(inner)), fingerprint })
    }

    /// The models' fingerprint, written in `verbatim_model`.
    #[getter]
    fn fingerprint(&self) -> String {
        self.fingerprint.clone()
    }

    /// The theme ids this annotator assigns.
    fn theme_ids(&self) -> Vec<String> {
        self.inner.lock().expect("annotator lock").theme_ids()
    }

    /// Annotate one column of comments (string; nulls are rows without comment). Returns a
    /// record batch of the annotation columns, one row per comment.
    fn annotate(&self, py: Python<'_>, comments: PyArray, quiet: bool) -> PyResult<Py<PyAny>> {
        let (array, _) = comments.into_inner();
        let column = text_column(&array)?;
        let inner = Arc::clone(&self.inner);
        let fingerprint = self.fingerprint.clone();
        let batch = py
            .detach(move || -> Result<RecordBatch, String> {
                let console = console(quiet);
                let annotated =
                    inner.lock().map_err(|_| "a previous call failed".to_string())?.annotate(&column, &console);
                to_batch(&annotated.map_err(message)?, &fingerprint).map_err(|e| e.to_string())
            })
            .map_err(PyRuntimeError::new_err)?;
        Ok(PyRecordBatch::new(batch).into_pyarrow(py)?.unbind())
    }
}

/// The comments of an Arrow string column ("" for null).
fn text_column(array: &ArrayRef) -> PyResult<TextColumn> {
    let mut out = TextColumn::with_capacity(array.len(), 0);
    macro_rules! push_all {
        ($a:expr) => {
            for i in 0..$a.len() {
                out.push(if $a.is_null(i) { "" } else { $a.value(i) });
            }
        };
    }
    if let Some(a) = array.as_any().downcast_ref::<StringArray>() {
        push_all!(a);
    } else if let Some(a) = array.as_any().downcast_ref::<LargeStringArray>() {
        push_all!(a);
    } else if let Some(a) = array.as_any().downcast_ref::<StringViewArray>() {
        push_all!(a);
    } else if array.data_type() == &DataType::Null {
        (0..array.len()).for_each(|_| out.push(""));
    } else {
        return Err(PyValueError::new_err(format!(
            "the comment column holds {}, not text: pass the column of free-text answers (comment_col=...)",
            array.data_type()
        )));
    }
    Ok(out)
}

/// The annotation columns of a batch (ingest::annotations documents them).
fn to_batch(a: &Annotated, fingerprint: &str) -> Result<RecordBatch, arrow_schema::ArrowError> {
    let rows = a.clauses.len();
    let mut language = StringBuilder::new();
    let mut sentiment = StringBuilder::new();
    let mut score = Float32Builder::new();
    let mut themes = ListBuilder::new(StringBuilder::new());
    let mut text = StringBuilder::new();
    let mut clauses = ListBuilder::new(StringBuilder::new());
    let mut clause_score = ListBuilder::new(Float32Builder::new());
    let mut clause_themes = ListBuilder::new(ListBuilder::new(StringBuilder::new()));
    let mut embedding = ListBuilder::new(Float32Builder::new());
    let mut embeddings = ListBuilder::new(ListBuilder::new(Float32Builder::new()));
    let mut attention = ListBuilder::new(Float32Builder::new());
    let mut model = StringBuilder::new();
    for r in 0..rows {
        language.append_option(a.language[r]);
        sentiment.append_option(a.sentiment[r].map(|s| s.0));
        score.append_option(a.sentiment[r].map(|s| s.1));
        a.themes[r].iter().for_each(|t| themes.values().append_value(t));
        themes.append(true);
        text.append_option(a.pass[r].map(|p| &a.passes[p]));
        for &u in &a.clauses[r] {
            clauses.values().append_value(&a.unique[u]);
            clause_score.values().append_value(a.clause_score[u]);
            a.clause_themes[u].iter().for_each(|t| clause_themes.values().values().append_value(t));
            clause_themes.values().append(true);
            embeddings.values().values().append_slice(&a.embeddings[u]);
            embeddings.values().append(true);
        }
        clauses.append(true);
        clause_score.append(true);
        clause_themes.append(true);
        embeddings.append(true);
        let whole = a.pass[r].map(|p| &a.pass_embeddings[p]);
        whole.iter().for_each(|v| embedding.values().append_slice(v));
        embedding.append(whole.is_some());
        let scores = a.pass[r].and_then(|p| a.attention[p].as_ref());
        scores.iter().for_each(|v| attention.values().append_slice(v));
        attention.append(scores.is_some());
        model.append_value(fingerprint);
    }
    let arrays: Vec<ArrayRef> = vec![
        Arc::new(language.finish()),
        Arc::new(sentiment.finish()),
        Arc::new(score.finish()),
        Arc::new(themes.finish()),
        Arc::new(text.finish()),
        Arc::new(clauses.finish()),
        Arc::new(clause_score.finish()),
        Arc::new(clause_themes.finish()),
        Arc::new(embedding.finish()),
        Arc::new(embeddings.finish()),
        Arc::new(attention.finish()),
        Arc::new(model.finish()),
    ];
    let fields: Vec<Field> =
        col::COLUMNS.iter().zip(&arrays).map(|(name, a)| Field::new(*name, a.data_type().clone(), true)).collect();
    RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)
}

/// Run a verbatim command in this process (`argv`: program name first, as on the command
/// line). Returns its exit code; errors raise RuntimeError with the CLI's message.
#[pyfunction]
fn run_command(py: Python<'_>, argv: Vec<String>, quiet: bool) -> PyResult<u8> {
    let (args, console) = (parse(argv)?, console(quiet));
    py.detach(|| verbatim::commands::dispatch(args, &console)).map_err(|e| PyRuntimeError::new_err(message(e)))
}

#[pymodule]
fn _verbatim(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Annotator>()?;
    m.add_function(wrap_pyfunction!(run_command, m)?)?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add("ANNOTATION_COLUMNS", col::COLUMNS.to_vec())?;
    Ok(())
}
