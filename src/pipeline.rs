//! The only module that calls every stage, in order (STYLE.md section 11):
//! ingest -> schema -> validate -> nps -> text -> encode -> outputs.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use polars::prelude::*;
use serde_json::json;

use crate::cli::resolve::{InputConfig, NpsConfig, Printer, RunConfig};
use crate::encode::{self, cache::Cache, EncodeReport};
use crate::infer::{self, Encoder};
use crate::ingest::{self, RawTable};
use crate::nps;
use crate::output::{csv_out, Staged};
use crate::schema::{self, columns as c, ColumnMapping};
use crate::text::{self, Prepared};
use crate::validate::{self, Counts, Reject, Responses};
use crate::{Error, Result};

/// Seconds spent per stage, in order.
#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct Timings(pub Vec<(String, f64)>);

impl Timings {
    fn time<T>(&mut self, stage: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
        let span = tracing::info_span!("stage", name = stage);
        let _g = span.enter();
        let t = Instant::now();
        let out = f()?;
        self.0.push((stage.to_string(), t.elapsed().as_secs_f64()));
        Ok(out)
    }

    fn as_map(&self) -> BTreeMap<String, f64> {
        self.0.iter().map(|(k, v)| (k.clone(), (v * 1000.0).round() / 1000.0)).collect()
    }
}

/// What ingest + schema + validate produced.
pub struct Loaded {
    pub tables: Vec<RawTable>,
    pub mappings: Vec<ColumnMapping>,
    pub responses: Responses,
    pub rejects: Vec<Reject>,
    pub counts: Counts,
}

/// Read, map and validate every input; print one line per detected role.
pub fn load(cfg: &InputConfig, printer: &Printer, timings: &mut Timings) -> Result<Loaded> {
    let tables = timings
        .time("ingest", || cfg.inputs.iter().map(|p| ingest::read_input(p, &cfg.read)).collect::<Result<Vec<_>>>())?;
    if tables.iter().all(|t| t.n_rows() + t.malformed.len() == 0) {
        let files = cfg.inputs.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ");
        return Err(Error::input(
            cfg.inputs.first().map(|p| p.as_path()).unwrap_or(Path::new("")),
            format!("no responses: {files} hold a header but no data rows. Export the survey again with its responses"),
        ));
    }
    let mappings = timings.time("schema", || {
        // Detect on the first file with rows; files with the same columns (weekly exports
        // of one survey) reuse that mapping, others are detected on their own.
        let first = tables.iter().position(|t| t.n_rows() > 0).unwrap_or(0);
        let mut reference: Option<ColumnMapping> = None;
        let mut out = Vec::new();
        for (i, t) in tables.iter().enumerate().cycle().skip(first).take(tables.len()) {
            if t.headers.is_empty() {
                return Err(Error::input(&t.path, "no header row found"));
            }
            let m = match reference.as_ref().and_then(|r| r.apply_to(t)) {
                Some(m) => m,
                None => schema::detect(t, &cfg.overrides)?,
            };
            reference.get_or_insert_with(|| m.clone());
            out.push((i, m));
        }
        out.sort_by_key(|(i, _)| *i);
        let out: Vec<ColumnMapping> = out.into_iter().map(|(_, m)| m).collect();
        for (t, m) in tables.iter().zip(&out) {
            let f = &t.format;
            let mut how = vec![f.kind.to_string()];
            how.extend(f.encoding.clone());
            if let Some(d) = f.delimiter {
                how.push(format!("delimiter {}", if d == '\t' { "tab".into() } else { format!("'{d}'") }));
            }
            how.extend(f.vendor.map(|v| format!("{v} layout ({} header rows)", f.header_rows)));
            how.extend(f.sheet.as_ref().map(|s| format!("sheet '{s}'")));
            printer.note(format!("{}: {} rows; {}", t.path.display(), t.n_rows(), how.join(", ")));
            for line in m.describe() {
                printer.note(format!("  {line}"));
            }
        }
        Ok(out)
    })?;
    let (responses, rejects, counts) =
        timings.time("validate", || Ok(validate::validate(&tables, &mappings, cfg.period)))?;
    debug_assert!(counts.reconciles());
    Ok(Loaded { tables, mappings, responses, rejects, counts })
}

/// The reconciliation line: rows read = accepted + rejected + duplicates.
pub fn reconciliation(counts: &Counts) -> String {
    format!(
        "rows read {} = accepted {} + rejected {} + duplicates {}{}",
        counts.rows_read,
        counts.accepted,
        counts.rejected,
        counts.duplicates,
        if counts.empty_comments > 0 {
            format!(" ({} accepted without comment)", counts.empty_comments)
        } else {
            String::new()
        }
    )
}

/// NPS rows of the accepted responses (overall, periods, segments, period x segment).
fn nps_rows(r: &Responses) -> PolarsResult<Vec<nps::NpsRow>> {
    let period = nps::Key { name: c::PERIOD, codes: &r.period.codes, labels: &r.period.labels };
    let segments: Vec<nps::Key> =
        r.segments.iter().map(|(n, s)| nps::Key { name: n, codes: &s.codes, labels: &s.labels }).collect();
    nps::nps_table(&r.score, period, &segments)
}

fn run_json(
    command: &str,
    loaded: &Loaded,
    cfg: &InputConfig,
    timings: &Timings,
    extra: serde_json::Value,
) -> serde_json::Value {
    let inputs: Vec<_> = loaded
        .tables
        .iter()
        .zip(&loaded.mappings)
        .map(|(t, m)| {
            json!({
                "path": t.path.display().to_string(),
                "sha256": t.sha256,
                "format": t.format,
                "rows": t.n_rows() + t.malformed.len(),
                "mapping": m,
            })
        })
        .collect();
    let mut v = json!({
        "verbatim_version": env!("CARGO_PKG_VERSION"),
        "command": command,
        "inputs": inputs,
        "counts": loaded.counts,
        "counts_reconcile": loaded.counts.reconciles(),
        "config": { "period": cfg.period, "strict": cfg.strict },
        "timings_seconds": timings.as_map(),
    });
    if let (Some(obj), serde_json::Value::Object(extra)) = (v.as_object_mut(), extra) {
        obj.extend(extra);
    }
    v
}

fn exit_code(cfg: &InputConfig, counts: &Counts) -> u8 {
    if cfg.strict && counts.rejected > 0 {
        3
    } else {
        0
    }
}

/// `verbatim nps`: NPS tables only.
pub fn run_nps(cfg: &NpsConfig, printer: &Printer) -> Result<u8> {
    let mut timings = Timings::default();
    let loaded = load(&cfg.input, printer, &mut timings)?;
    let rows = timings.time("nps", || Ok(nps_rows(&loaded.responses)?))?;
    print!("{}", nps::render_table(&rows));
    printer.note(reconciliation(&loaded.counts));
    if let Some(out) = &cfg.out {
        let t = Instant::now();
        let mut staged = Staged::new(out)?;
        staged.stage_parquet("nps.parquet", &mut nps::nps_frame(&rows)?)?;
        staged.stage_bytes("rejects.csv", &csv_out::rejects_csv(&loaded.rejects))?;
        timings.0.push(("write".into(), t.elapsed().as_secs_f64()));
        staged.stage_json("run.json", &run_json("nps", &loaded, &cfg.input, &timings, json!({})))?;
        staged.commit()?;
        printer.note(format!("wrote nps.parquet, rejects.csv, run.json to {}", out.display()));
    }
    Ok(exit_code(&cfg.input, &loaded.counts))
}

/// `verbatim run`: the weekly job.
pub fn run(cfg: &RunConfig, printer: &Printer) -> Result<u8> {
    let mut timings = Timings::default();
    let loaded = load(&cfg.input, printer, &mut timings)?;
    let rows = timings.time("nps", || Ok(nps_rows(&loaded.responses)?))?;
    let prepared = timings.time("text", || Ok(text::prepare(&loaded.responses.comment)))?;
    printer.note(format!(
        "text: {} comments, {} clauses, {} unique clauses to encode",
        prepared.comments.iter().filter(|c| !c.normalized.is_empty()).count(),
        prepared.total_clauses,
        prepared.unique.len()
    ));

    let model = ModelInfo::load(&cfg.model_dir, cfg.cache_dir.as_deref())?;
    let (embeddings, report) = timings.time("encode", || encode_unique(cfg, &model, &prepared, printer))?;
    printer.note(format!(
        "encode: {} unique clauses, {} from cache, {} encoded in {:.1} s ({:.0} texts/s)",
        report.unique_texts,
        report.from_cache,
        report.encoded,
        report.seconds,
        if report.seconds > 0.0 { report.encoded as f64 / report.seconds } else { 0.0 }
    ));

    let t = Instant::now();
    let mut staged = Staged::new(&cfg.out)?;
    staged.stage_parquet("responses.parquet", &mut responses_frame(&loaded.responses, &prepared)?)?;
    staged.stage_parquet("nps.parquet", &mut nps::nps_frame(&rows)?)?;
    staged.stage_bytes("rejects.csv", &csv_out::rejects_csv(&loaded.rejects))?;
    if cfg.write_embeddings {
        staged.stage_parquet("embeddings.parquet", &mut embeddings_frame(&prepared, &embeddings)?)?;
    }
    timings.0.push(("write".into(), t.elapsed().as_secs_f64()));
    let extra = json!({
        "models": [{
            "name": model.name,
            "dir": cfg.model_dir.display().to_string(),
            "model_sha256": model.onnx_sha256,
            "tokenizer_sha256": model.tokenizer_sha256,
            "backend": format!("onnxruntime {} ({})", cfg.ort_library.display(), serde_json::to_value(cfg.device).unwrap_or_default()),
        }],
        "encode": report,
        "threads": cfg.threads,
        "batch_tokens": cfg.batch_tokens,
    });
    staged.stage_json("run.json", &run_json("run", &loaded, &cfg.input, &timings, extra))?;
    let written = staged.commit()?;
    let headline: Vec<_> = rows.iter().filter(|r| r.segment == c::ALL).cloned().collect();
    print!("{}", nps::render_table(&headline));
    printer.note(reconciliation(&loaded.counts));
    printer.note(format!(
        "wrote {} to {}",
        written
            .iter()
            .filter_map(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned())
            .collect::<Vec<_>>()
            .join(", "),
        cfg.out.display()
    ));
    Ok(exit_code(&cfg.input, &loaded.counts))
}

/// Encoder files and their checksums (the cache key).
pub struct ModelInfo {
    pub name: String,
    pub onnx_sha256: String,
    pub tokenizer_sha256: String,
    pub hidden: usize,
    pub max_tokens: usize,
    pub prefix: String,
}

impl ModelInfo {
    /// Read config.json and checksum the model files. With a cache directory, the sha256 of
    /// the (large) model.onnx is remembered by path, size and modification time.
    pub fn load(dir: &Path, cache_dir: Option<&Path>) -> Result<ModelInfo> {
        let read = |name: &str| {
            std::fs::read(dir.join(name)).map_err(|e| {
                Error::Usage(format!(
                    "{}: {e}. Run the setup command (scripts/setup.sh) or pass --model with a complete encoder directory",
                    dir.join(name).display()
                ))
            })
        };
        let config: serde_json::Value = serde_json::from_slice(&read("config.json")?)
            .map_err(|e| Error::Usage(format!("{}: invalid JSON: {e}", dir.join("config.json").display())))?;
        let hidden = config["hidden_size"].as_u64().unwrap_or(384) as usize;
        let max_pos = config["max_position_embeddings"].as_u64().unwrap_or(514) as usize;
        let is_e5 = dir.to_string_lossy().contains("e5") || config["verbatim"]["prefix"].is_string();
        let prefix = config["verbatim"]["prefix"].as_str().unwrap_or(if is_e5 { "query: " } else { "" }).to_string();
        let onnx = [dir.join("model.onnx"), dir.join("onnx/model.onnx")].into_iter().find(|p| p.is_file());
        let onnx_sha256 = match onnx {
            Some(p) => sha256_file_cached(&p, cache_dir)?,
            None => return Err(Error::Usage(format!("{}: no model.onnx. Run scripts/setup.sh", dir.display()))),
        };
        Ok(ModelInfo {
            name: dir.file_name().map_or_else(|| "encoder".into(), |n| n.to_string_lossy().into_owned()),
            onnx_sha256,
            tokenizer_sha256: ingest::sha256_hex(&read("tokenizer.json")?),
            hidden,
            // XLM-R style models reserve 2 positions for padding offsets.
            max_tokens: if max_pos > 512 { 512 } else { max_pos },
            prefix,
        })
    }

    /// Cache key: model, tokenizer, prefix and truncation all change embeddings.
    pub fn cache_key(&self) -> String {
        let k = format!("{}|{}|{}|{}", self.onnx_sha256, self.tokenizer_sha256, self.prefix, self.max_tokens);
        ingest::sha256_hex(k.as_bytes())[..24].to_string()
    }
}

/// sha256 of a file, remembered in `<cache>/file-sha256.json` under (canonical path, size,
/// modification time): a changed file has another size or time and is hashed again.
fn sha256_file_cached(path: &Path, cache_dir: Option<&Path>) -> Result<String> {
    let Some(dir) = cache_dir else { return sha256_file(path) };
    let meta = std::fs::metadata(path).map_err(|e| Error::io(format!("cannot read {}", path.display()), e))?;
    let mtime =
        meta.modified().ok().and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map_or(0, |d| d.as_nanos());
    let key = format!("{}|{}|{mtime}", std::fs::canonicalize(path).unwrap_or(path.to_path_buf()).display(), meta.len());
    let store = dir.join("file-sha256.json");
    let mut known: BTreeMap<String, String> =
        std::fs::read(&store).ok().and_then(|b| serde_json::from_slice(&b).ok()).unwrap_or_default();
    if let Some(h) = known.get(&key) {
        return Ok(h.clone());
    }
    let h = sha256_file(path)?;
    known.insert(key, h.clone());
    let tmp = dir.join(format!(".file-sha256.json.tmp-{}", std::process::id()));
    let written = std::fs::create_dir_all(dir)
        .and_then(|_| std::fs::write(&tmp, serde_json::to_vec_pretty(&known).unwrap_or_default()))
        .and_then(|_| std::fs::rename(&tmp, &store));
    if let Err(e) = written {
        tracing::warn!("cannot remember the model checksum in {}: {e}", store.display());
    }
    Ok(h)
}

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

fn encode_unique(
    cfg: &RunConfig,
    model: &ModelInfo,
    prepared: &Prepared,
    printer: &Printer,
) -> Result<(Vec<Vec<f32>>, EncodeReport)> {
    let make_encoder = || -> std::result::Result<Encoder, infer::BackendError> {
        let tokenizer = infer::TextTokenizer::from_file(&cfg.model_dir.join("tokenizer.json"), model.max_tokens)?;
        let backend = infer::ort::OrtBackend::new(
            &cfg.ort_library,
            &cfg.model_dir,
            cfg.threads,
            cfg.device == crate::cli::args::Device::Cuda,
            model.hidden,
        )?;
        Ok(Encoder {
            tokenizer,
            backend: Box::new(backend),
            batch_tokens: cfg.batch_tokens,
            prefix: model.prefix.clone(),
        })
    };
    let mut cache = match &cfg.cache_dir {
        Some(dir) => match Cache::open(dir, &model.cache_key(), model.hidden) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("embedding cache {} unusable: {e}; encoding everything", dir.display());
                None
            }
        },
        None => None,
    };
    let bar = progress_bar(printer, prepared.unique.len() as u64, "encoding");
    let result =
        encode::embed(&prepared.unique, make_encoder, cache.as_mut(), &mut |done, _| bar.set_position(done as u64));
    bar.finish_and_clear();
    Ok(result?)
}

fn progress_bar(printer: &Printer, len: u64, what: &str) -> indicatif::ProgressBar {
    if !printer.progress || printer.quiet {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::with_draw_target(Some(len), indicatif::ProgressDrawTarget::stderr());
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{msg} [{bar:30}] {pos}/{len} texts  {per_sec}  elapsed {elapsed}  ETA {eta}",
        )
        .expect("static template")
        .progress_chars("=> "),
    );
    bar.set_message(what.to_string());
    bar
}

/// responses.parquet: one row per accepted response.
fn text(t: &crate::ingest::TextColumn) -> Vec<&str> {
    t.iter().collect()
}

fn labels(i: &crate::validate::Interned) -> Vec<&str> {
    (0..i.codes.len()).map(|k| i.get(k)).collect()
}

fn responses_frame(r: &Responses, p: &Prepared) -> PolarsResult<DataFrame> {
    let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid date");
    let days: Vec<Option<i32>> = r.date.iter().map(|d| d.map(|d| (d - epoch).num_days() as i32)).collect();
    let mut cols = vec![
        Column::new(c::RESPONSE_ID.into(), text(&r.response_id)),
        Column::new(c::DATE.into(), days).cast(&DataType::Date)?,
        Column::new(c::PERIOD.into(), labels(&r.period)),
    ];
    for (name, values) in &r.segments {
        cols.push(Column::new(name.as_str().into(), labels(values)));
    }
    let lang = |f: fn(&text::lang::Language) -> String| -> Vec<Option<String>> {
        p.comments.iter().map(|t| t.language.as_ref().map(f)).collect()
    };
    cols.extend([
        Column::new(c::SCORE.into(), r.score.iter().map(|&s| s as i32).collect::<Vec<_>>()),
        Column::new(c::NPS_GROUP.into(), r.score.iter().map(|&s| nps::group(s)).collect::<Vec<_>>()),
        Column::new(c::COMMENT.into(), text(&r.comment)),
        Column::new(c::LANGUAGE.into(), lang(|l| l.code.to_string())),
        Column::new(
            c::LANGUAGE_CONFIDENCE.into(),
            p.comments
                .iter()
                .map(|t| t.language.as_ref().map(|l| (l.confidence * 1000.0).round() / 1000.0))
                .collect::<Vec<_>>(),
        ),
        Column::new(
            c::LANGUAGE_RELIABLE.into(),
            p.comments.iter().map(|t| t.language.as_ref().map(|l| l.reliable)).collect::<Vec<_>>(),
        ),
        Column::new(
            c::STATUS.into(),
            p.comments
                .iter()
                .map(|t| if t.normalized.is_empty() { c::status::EMPTY_COMMENT } else { c::status::OK })
                .collect::<Vec<_>>(),
        ),
        Column::new(c::N_CLAUSES.into(), p.comments.iter().map(|t| t.clauses.len() as u32).collect::<Vec<_>>()),
        Column::new(
            c::SOURCE_FILE.into(),
            r.source_file.iter().map(|&f| r.source_files[f as usize].as_str()).collect::<Vec<_>>(),
        ),
        Column::new(c::SOURCE_ROW.into(), &r.source_row),
    ]);
    DataFrame::new(r.len(), cols)
}

/// embeddings.parquet: text hash, text, language, embedding (list of f32).
fn embeddings_frame(p: &Prepared, embeddings: &[Vec<f32>]) -> PolarsResult<DataFrame> {
    let hashes: Vec<String> = p.unique.iter().map(|t| hex::encode(encode::cache::text_hash(t))).collect();
    let lists: Vec<Series> = embeddings.iter().map(|v| Series::new("".into(), v)).collect();
    DataFrame::new(
        p.unique.len(),
        vec![
            Column::new("text_hash".into(), hashes),
            Column::new("text".into(), &p.unique),
            Column::new(c::LANGUAGE.into(), &p.unique_language),
            Column::new("embedding".into(), lists),
        ],
    )
}
