//! `verbatim run` end to end on the bundled sample, with the real default model.

use crate::util::*;

fn sample() -> String {
    repo().join("data/sample_export.csv").display().to_string()
}

#[test]
fn run_on_the_sample_writes_responses_and_reuses_the_cache() {
    let _ = model_dir();
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let args = |out: &'static str| -> Vec<String> {
        ["run", &sample(), "--out", out, "--model", &model, "--cache-dir", "cache", "--write-embeddings"]
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let a1 = args("o1");
    let o = dir.ok(&a1.iter().map(String::as_str).collect::<Vec<_>>());
    let log = stderr(&o);
    assert!(log.contains("rows read 2001 = accepted 1994 + rejected 6 + duplicates 1"), "{log}");
    for f in [
        "responses.parquet",
        "mentions.parquet",
        "nps.parquet",
        "rejects.csv",
        "run.json",
        "embeddings.parquet",
        "proposed_themes.parquet",
        "proposed_themes.toml",
    ] {
        assert!(dir.path("o1").join(f).is_file(), "{f} written");
    }
    let responses = read_parquet(&dir.path("o1/responses.parquet"));
    assert_eq!(responses.height(), 1994);
    for c in [
        "response_id",
        "date",
        "period",
        "score",
        "nps_group",
        "comment",
        "language",
        "status",
        "Channel",
        "Country",
        "Plan",
    ] {
        assert!(responses.column(c).is_ok(), "responses.parquet lacks {c}");
    }
    // Every non-empty comment has a language and a sentiment; empty ones are flagged, not dropped.
    let status = responses.column("status").unwrap().str().unwrap().clone();
    let lang = responses.column("language").unwrap().str().unwrap().clone();
    let sentiment = responses.column("sentiment").unwrap().str().unwrap().clone();
    let score = responses.column("sentiment_score").unwrap().f32().unwrap().clone();
    let nps_group = responses.column("nps_group").unwrap().str().unwrap().clone();
    let mut langs = std::collections::HashMap::new();
    let mut by_group = std::collections::HashMap::new();
    for i in 0..responses.height() {
        match status.get(i).unwrap() {
            "ok" => {
                *langs.entry(lang.get(i).expect("a language for every comment")).or_insert(0) += 1;
                let s = sentiment.get(i).expect("a sentiment for every comment");
                assert!(["negative", "neutral", "positive", "mixed"].contains(&s));
                assert!((-1.0..=1.0).contains(&score.get(i).unwrap()));
                *by_group.entry((nps_group.get(i).unwrap(), s)).or_insert(0) += 1;
            }
            "empty_comment" => assert!(lang.get(i).is_none() && sentiment.get(i).is_none()),
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(langs["fr"] > 600 && langs["en"] > 400, "{langs:?}");
    // Detractors mostly write negative comments, promoters positive ones; contrasts are mixed.
    let get = |g: &'static str, s: &'static str| *by_group.get(&(g, s)).unwrap_or(&0);
    assert!(get("detractor", "negative") > 5 * get("detractor", "positive"), "{by_group:?}");
    assert!(get("promoter", "positive") > 5 * get("promoter", "negative"), "{by_group:?}");
    assert!(get("passive", "mixed") > 50, "{by_group:?}");

    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o1/run.json")).unwrap()).unwrap();
    let unique = run["encode"]["unique_texts"].as_u64().unwrap();
    assert!(unique > 200 && run["encode"]["encoded"].as_u64().unwrap() == unique, "{}", run["encode"]);
    assert_eq!(run["models"][0]["model_sha256"].as_str().unwrap().len(), 64);
    // The default precision on CPU with the setup's models: the int8 graph.
    assert_eq!(run["models"][0]["precision"], "int8", "{}", run["models"][0]);
    assert_eq!(run["models"][0]["graph"], "model-int8.onnx");

    // Embeddings: one per clause of each unique comment (read in it), 384 floats of unit norm.
    let emb = read_parquet(&dir.path("o1/embeddings.parquet"));
    assert_eq!(emb.column("comment_hash").unwrap().n_unique().unwrap() as u64, unique);
    assert!(emb.height() as u64 > unique, "{} clauses of {unique} comments", emb.height());
    let first = emb.column("embedding").unwrap().list().unwrap().get_as_series(0).unwrap();
    let v: Vec<f32> = first.f32().unwrap().into_no_null_iter().collect();
    assert_eq!(v.len(), 384);
    assert!((v.iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);

    // Discovery: proposals with a snippet; a second discovery into the same directory keeps
    // every id (the clusters are the same), and `themes discover` writes nothing else.
    let proposed = read_parquet(&dir.path("o1/proposed_themes.parquet"));
    assert!(proposed.height() >= 2, "{proposed}");
    let toml = std::fs::read_to_string(dir.path("o1/proposed_themes.toml")).unwrap();
    assert!(toml.contains("[[theme]]") && toml.contains("examples = ["), "{toml}");
    let ids = |df: &polars::prelude::DataFrame| -> Vec<String> {
        df.column("id").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect()
    };
    let before = std::fs::read(dir.path("o1/responses.parquet")).unwrap();
    let d: Vec<String> = ["themes", "discover", &sample(), "--out", "o1", "--model", &model, "--cache-dir", "cache"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    dir.ok(&d.iter().map(String::as_str).collect::<Vec<_>>());
    let again = read_parquet(&dir.path("o1/proposed_themes.parquet"));
    assert_eq!(ids(&proposed), ids(&again));
    assert!(again.column("carried_over").unwrap().bool().unwrap().iter().all(|c| c == Some(true)));
    assert_eq!(std::fs::read(dir.path("o1/responses.parquet")).unwrap(), before, "discover writes only its files");

    // Drivers recomputed independently from responses.parquet equal drivers.parquet.
    let drivers = read_parquet(&dir.path("o1/drivers.parquet"));
    let scores = responses.column("score").unwrap().i32().unwrap().clone();
    let themes_col = responses.column("themes").unwrap().list().unwrap().clone();
    let nps = |s: &[i32]| {
        100.0 * (s.iter().filter(|x| **x >= 9).count() as f64 - s.iter().filter(|x| **x <= 6).count() as f64)
            / s.len() as f64
    };
    let all: Vec<i32> = scores.iter().flatten().collect();
    let theme_ids: Vec<String> =
        drivers.column("theme").unwrap().str().unwrap().iter().flatten().map(str::to_string).collect();
    let period = drivers.column("period").unwrap().str().unwrap().clone();
    let segment = drivers.column("segment").unwrap().str().unwrap().clone();
    let impact = drivers.column("impact").unwrap().f64().unwrap().clone();
    let n_mentions = drivers.column("n_mentions").unwrap().u64().unwrap().clone();
    let impact_moe95 = drivers.column("impact_moe95").unwrap().f64().unwrap().clone();
    let tier = drivers.column("tier").unwrap().u64().unwrap().clone();
    let mut leaves: Vec<(f64, String, Vec<bool>, Option<u64>)> = Vec::new();
    // Parent themes are rolled up under their taxonomy label, and listed in the report.
    let labels = drivers.column("label").unwrap().str().unwrap().clone();
    let money = theme_ids.iter().position(|t| t == "money").expect("the parent theme money has a row");
    assert_eq!(labels.get(money), Some("Price & billing"));
    assert_eq!(tier.get(money), None, "a parent theme has no tier");
    let md = std::fs::read_to_string(dir.path("o1/report.md")).unwrap();
    assert!(md.contains("- Price & billing (Price, Billing & payments):"), "{md}");
    // A response's NPS points (docs/METRICS.md, "Margin of the impact").
    let v = |s: i32| {
        if s >= 9 {
            100.0
        } else if s >= 7 {
            0.0
        } else {
            -100.0
        }
    };
    let mut checked = 0;
    for (i, theme) in theme_ids.iter().enumerate() {
        if period.get(i) != Some("all")
            || segment.get(i) != Some("all")
            || ["money", "support"].contains(&theme.as_str())
        {
            continue;
        }
        let mask: Vec<bool> = (0..responses.height())
            .map(|r| themes_col.get_as_series(r).unwrap().str().unwrap().iter().flatten().any(|t| t == theme))
            .collect();
        let (mut with, mut without) = (Vec::new(), Vec::new());
        for (s, m) in all.iter().zip(&mask) {
            if *m {
                with.push(*s)
            } else {
                without.push(*s)
            }
        }
        assert_eq!(n_mentions.get(i).unwrap(), with.len() as u64, "{theme}");
        assert!((impact.get(i).unwrap() - (nps(&all) - nps(&without))).abs() < 1e-9, "{theme}");
        // Its margin, by the delta method written out per response (docs/METRICS.md):
        // influence (v - NPS) for a response mentioning it, and (v - NPS) - n / n0 x (v -
        // NPS(without)) for the others.
        let (mu, mu0, r) = (nps(&all), nps(&without), all.len() as f64 / without.len() as f64);
        let ss: f64 = with.iter().map(|s| (v(*s) - mu).powi(2)).sum::<f64>()
            + without.iter().map(|s| (v(*s) - mu - r * (v(*s) - mu0)).powi(2)).sum::<f64>();
        let moe = 1.96 * ss.sqrt() / all.len() as f64;
        assert!((impact_moe95.get(i).unwrap() - moe).abs() < 1e-9, "{theme}: {:?} against {moe}", impact_moe95.get(i));
        if with.len() >= 10 {
            leaves.push((impact.get(i).unwrap(), theme.clone(), mask, tier.get(i)));
        }
        checked += 1;
    }
    assert!(checked >= 10, "{checked} themes checked");
    // Their tiers, again: a theme starts a tier when its impact differs from the tier's
    // first theme's by more than the margin of that difference (docs/METRICS.md).
    leaves.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let rest = |mask: &[bool]| -> (f64, f64) {
        let without: Vec<f64> = all.iter().zip(mask).filter(|(_, m)| !**m).map(|(s, _)| v(*s)).collect();
        (without.iter().sum::<f64>() / without.len() as f64, all.len() as f64 / without.len() as f64)
    };
    let (mut first, mut expected) = (0usize, vec![0u64]);
    for k in 1..leaves.len() {
        let ((mk, rk), (mf, rf)) = (rest(&leaves[k].2), rest(&leaves[first].2));
        let ss: f64 = (0..all.len())
            .map(|r| {
                let inf = |m: &[bool], mean: f64, ratio: f64| if m[r] { 0.0 } else { ratio * (v(all[r]) - mean) };
                (inf(&leaves[first].2, mf, rf) - inf(&leaves[k].2, mk, rk)).powi(2)
            })
            .sum();
        let apart = (mf - mk).abs() > 1.96 * ss.sqrt() / all.len() as f64;
        if apart {
            first = k;
        }
        expected.push(expected[k - 1] + u64::from(apart));
    }
    let got: Vec<Option<u64>> = leaves.iter().map(|x| x.3).collect();
    assert_eq!(
        got,
        expected.into_iter().map(Some).collect::<Vec<_>>(),
        "tiers of {:?}",
        leaves.iter().map(|x| &x.1).collect::<Vec<_>>()
    );
    // The report shows each driver's impact with its margin, and summary.json the leaf
    // drivers by impact with their tiers (one tier: too close to rank apart).
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o1/summary.json")).unwrap()).unwrap();
    let leaves = summary["drivers"]["leaves_by_impact"].as_array().unwrap();
    assert!(leaves.len() >= 8, "{leaves:?}");
    let tiers: Vec<u64> = leaves.iter().map(|x| x["tier"].as_u64().unwrap()).collect();
    assert!(tiers[0] == 0 && tiers.windows(2).all(|w| w[1] == w[0] || w[1] == w[0] + 1), "{tiers:?}");
    let first = &leaves[0];
    let line = format!("{:+.1} ± {:.1}", first["impact"].as_f64().unwrap(), first["impact_moe95"].as_f64().unwrap());
    assert!(md.contains(&format!("| {line} |")), "{line} not in the drivers table: {md}");

    // Second run: everything from the cache, identical tables.
    let a2 = args("o2");
    dir.ok(&a2.iter().map(String::as_str).collect::<Vec<_>>());
    let run2: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o2/run.json")).unwrap()).unwrap();
    assert_eq!(run2["encode"]["encoded"], 0);
    assert_eq!(run2["encode"]["from_cache"].as_u64().unwrap(), unique);
    let r2 = read_parquet(&dir.path("o2/responses.parquet"));
    assert!(responses.equals_missing(&r2));
    let e2 = read_parquet(&dir.path("o2/embeddings.parquet"));
    assert!(emb.equals_missing(&e2), "cached embeddings are the computed ones");
}

#[test]
fn run_is_deterministic_across_threads_and_batch_sizes() {
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let s = sample();
    dir.ok(&[
        "run",
        &s,
        "--out",
        "t1",
        "--model",
        &model,
        "--no-cache",
        "--threads",
        "1",
        "--write-embeddings",
        "--batch-tokens",
        "512",
    ]);
    dir.ok(&["run", &s, "--out", "t2", "--model", &model, "--no-cache", "--threads", "2", "--write-embeddings"]);
    for f in ["responses.parquet", "nps.parquet", "mentions.parquet", "drivers.parquet", "proposed_themes.parquet"] {
        let a = read_parquet(&dir.path("t1").join(f));
        let b = read_parquet(&dir.path("t2").join(f));
        assert!(a.equals_missing(&b), "{f} differs between --threads 1 and 2");
    }
    let a = read_parquet(&dir.path("t1/embeddings.parquet"));
    let b = read_parquet(&dir.path("t2/embeddings.parquet"));
    let la = a.column("embedding").unwrap().list().unwrap().clone();
    let lb = b.column("embedding").unwrap().list().unwrap().clone();
    let mut worst = 0f32;
    for i in 0..a.height() {
        let x = la.get_as_series(i).unwrap();
        let y = lb.get_as_series(i).unwrap();
        for (p, q) in x.f32().unwrap().into_no_null_iter().zip(y.f32().unwrap().into_no_null_iter()) {
            worst = worst.max((p - q).abs());
        }
    }
    assert!(worst <= 1e-5, "embeddings differ by {worst}");
}

/// After the setup every installed model directory verifies against its MANIFEST
/// (encoder, ONNX Runtime, default sentiment head, default themes model).
#[test]
fn models_list_verifies_the_installed_models() {
    let _ = model_dir();
    let dir = Dir::new();
    let models = repo().join("models").display().to_string();
    let o = dir.ok(&["models", "list", "--models-dir", &models]);
    let out = stdout(&o);
    for name in ["multilingual-e5-small", "sentiment-default", "themes-default"] {
        assert!(out.lines().any(|l| l.contains(name) && l.ends_with("[verified]")), "{name}: {out}");
    }
    assert!(!out.contains("MISMATCH"), "{out}");
}

#[test]
fn missing_model_is_a_clear_error() {
    let dir = Dir::new();
    let o = dir.run(&["run", &sample(), "--out", "o", "--model", "no/such/model"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("scripts/setup.sh"), "{}", stderr(&o));
    assert!(!dir.path("o").exists(), "nothing written");
}

/// `--precision int8` on an encoder directory without the int8 graph (a user's own Hugging
/// Face export) names what is missing and both fixes; nothing is written.
#[test]
fn int8_without_its_graph_is_a_clear_error() {
    let dir = Dir::new();
    let own = dir.path("own-encoder");
    std::fs::create_dir(&own).unwrap();
    for f in ["config.json", "tokenizer.json", "model.onnx"] {
        std::os::unix::fs::symlink(model_dir().join(f), own.join(f)).unwrap();
    }
    let own = own.display().to_string();
    let o = dir.run(&["run", &sample(), "--out", "o", "--model", &own, "--precision", "int8"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("model-int8.onnx") && err.contains("--precision fp32"), "{err}");
    assert!(!dir.path("o").exists(), "nothing written");
}

/// followup.csv: detractors only, contacts carried, personal data masked, formulas
/// neutralised, newest first, `--new-only` for a daily job; summary.json alongside.
#[test]
fn followup_and_summary() {
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    dir.write(
        "export.csv",
        "Response ID,Date,Email,Score,Comment\n\
         A,2026-11-20,a@example.fr,2,\"Je vais résilier, rappelez-moi au 06 12 34 56 78 ou a@example.fr\"\n\
         B,2026-11-21,b@example.com,9,Great service\n\
         C,2026-11-22,c@example.com,5,=HYPERLINK(\"http://x\") the app crashes\n\
         D,2026-11-18,d@example.com,6,Too expensive\n\
         E,2026-11-17,e@example.com,1,<script>alert(1)</script> the app is too expensive\n",
    );
    let args = ["run", "export.csv", "--out", "o", "--model", model.as_str(), "--no-cache", "--since", "2026-11-19"];
    dir.ok(&args);
    let text = std::fs::read_to_string(dir.path("o/followup.csv")).unwrap();
    let mut r = csv::Reader::from_reader(text.as_bytes());
    let headers = r.headers().unwrap().clone();
    assert!(headers.iter().any(|h| h == "Email") && headers.iter().any(|h| h == "priority"), "{headers:?}");
    let rows: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    let ids: Vec<&str> = rows.iter().map(|r| &r[0]).collect();
    assert_eq!(ids, ["C", "A"], "detractors since the date, newest first: {text}");
    let a = &rows[1];
    let comment = &a[headers.iter().position(|h| h == "comment").unwrap()];
    assert!(comment.contains("[phone]") && comment.contains("[email]") && !comment.contains("06 12"), "{comment}");
    assert_eq!(&a[headers.iter().position(|h| h == "urgent").unwrap()], "true");
    assert_eq!(&a[headers.iter().position(|h| h == "Email").unwrap()], "a@example.fr", "contacts are carried");
    assert!(text.contains("'=HYPERLINK"), "formula neutralised: {text}");

    // The next daily run lists nobody already listed.
    let mut again = args.to_vec();
    again.push("--new-only");
    dir.ok(&again);
    let text = std::fs::read_to_string(dir.path("o/followup.csv")).unwrap();
    assert_eq!(text.lines().count(), 1, "{text}");

    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o/summary.json")).unwrap()).unwrap();
    assert_eq!(summary["nps"]["n"], 5);
    assert_eq!(summary["counts"]["accepted"], 5);
    // The report: self-contained, charts, every verbatim escaped.
    let html = std::fs::read_to_string(dir.path("o/report.html")).unwrap();
    assert!(!html.contains("<script"), "a verbatim must never inject a script");
    assert!(html.contains("<svg") && html.contains("<table"));
    let md = std::fs::read_to_string(dir.path("o/report.md")).unwrap();
    assert!(md.starts_with("# NPS report"), "{md}");
    assert!(summary["drivers"]["costing"].is_array() && summary["emerging_themes"].is_array());
}

/// Headless Chromium, when installed. In CI (`CI` set) it must be: .ci/run installs it,
/// so the browser checks can fail there.
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"].into_iter().find(|b| {
        std::process::Command::new("sh")
            .args(["-c", &format!("command -v {b}")])
            .output()
            .is_ok_and(|o| o.status.success())
    });
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "Chromium is not installed, and CI is set: install it (apt-get install -y chromium) so the report is checked"
        );
        eprintln!("no Chromium installed, the report is not checked in a browser (apt-get install chromium)");
    }
    found
}

/// What the page measures in the browser: every pair of text labels of a chart whose
/// boxes intersect, and whether the page is wider than the window.
const MEASURE: &str = r#"<script>
addEventListener('load', () => {
  const overlaps = [];
  document.querySelectorAll('svg').forEach(svg => {
    const boxes = [...svg.querySelectorAll('text')].map(t => [t.firstChild ? t.firstChild.textContent : '', t.getBoundingClientRect()]);
    for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
      const [a, A] = boxes[i], [b, B] = boxes[j];
      const w = Math.min(A.right, B.right) - Math.max(A.left, B.left);
      const h = Math.min(A.bottom, B.bottom) - Math.max(A.top, B.top);
      if (w > 0.5 && h > 0.5) overlaps.push(svg.id + ': "' + a + '" and "' + b + '"');
    }
  });
  const page = document.documentElement.scrollWidth;
  document.body.insertAdjacentHTML('beforeend', '<pre id="verdict">' + JSON.stringify({overlaps, page, window: innerWidth, charts: document.querySelectorAll('svg').length}) + '</pre>');
});
</script>"#;

/// Render `html` in headless Chromium at `width` px and return the page's verdict and DOM.
fn measure_in_browser(chromium: &str, dir: &Dir, html: &str, width: u32) -> (serde_json::Value, String) {
    let page = dir.write(&format!("measured-{width}.html"), html.replace("</body>", &format!("{MEASURE}</body>")));
    let out = std::process::Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--virtual-time-budget=5000",
        ])
        .arg(format!("--window-size={width},900"))
        .arg(format!("--user-data-dir={}", dir.path("chromium-profile").display()))
        .args(["--dump-dom", &format!("file://{}", page.display())])
        .output()
        .expect("run chromium");
    let dom = String::from_utf8_lossy(&out.stdout).into_owned();
    let verdict = dom
        .rsplit_once("<pre id=\"verdict\">")
        .and_then(|(_, v)| v.split("</pre>").next())
        .unwrap_or_else(|| panic!("no verdict in the page: {}", String::from_utf8_lossy(&out.stderr)));
    let verdict = verdict.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    (serde_json::from_str(&verdict).expect("verdict is JSON"), dom)
}

/// No two labels of a chart intersect and the page fits a desktop and a phone window.
fn assert_reads_cleanly(chromium: &str, dir: &Dir, html: &str, what: &str) -> String {
    let mut dom = String::new();
    for width in [1280, 400] {
        let (v, d) = measure_in_browser(chromium, dir, html, width);
        assert_eq!(v["overlaps"], serde_json::json!([]), "{what} at {width} px: labels collide");
        assert!(v["page"].as_f64() <= v["window"].as_f64(), "{what} at {width} px: the page overflows: {v}");
        assert_eq!(v["charts"], 3, "{what}: trend, drivers and segments charts");
        dom = d;
    }
    dom
}

/// The report as a person sees it, rendered by headless Chromium: on the bundled sample
/// (French), the charts are there and no two labels of a chart overlap, the page fits.
#[test]
fn report_renders_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let sample = repo().join("data/sample_export.csv").display().to_string();
    dir.ok(&["run", &sample, "--out", "o", "--model", &model, "--no-cache", "--report-lang", "fr"]);
    let html = std::fs::read_to_string(dir.path("o/report.html")).unwrap();
    let dom = assert_reads_cleanly(chromium, &dir, &html, "the sample's report");
    assert!(dom.contains("Rapport NPS"));
    assert!(dom.matches("<table").count() >= 3, "drivers, emerging themes, segments");
    assert!(dom.contains("class=\"band\""), "the margin band of the trend chart");
    assert!(dom.contains("Ce qui coûte le plus de points de NPS"), "the top drivers on the first screen");
}

/// A generated export of 30 weekly periods, read with a 15-theme taxonomy (the shipped
/// one and two more), reads cleanly in Chromium in English and in French.
#[test]
fn a_30_week_export_with_15_themes_reads_cleanly_in_chromium() {
    let Some(chromium) = chromium() else { return };
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let corpus = std::fs::read_to_string(repo().join("data/corpus/coded.csv")).unwrap();
    let rows: Vec<csv::StringRecord> =
        csv::Reader::from_reader(corpus.as_bytes()).records().map(Result::unwrap).collect();
    let mut export = csv::Writer::from_writer(Vec::new());
    export.write_record(["Response ID", "Date", "Score", "Comment", "Channel", "Plan"]).unwrap();
    let start = chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap();
    for i in 0..600usize {
        let row = &rows[(i * 11) % rows.len()];
        let score = match &row[2] {
            "negative" => i % 7,
            "mixed" => 5 + i % 4,
            "neutral" => 7 + i % 2,
            _ => 9 + i % 2,
        };
        let date = start + chrono::Duration::days((7 * (i % 30) + i % 7) as i64);
        let (channel, plan) = (["app", "web", "shop", "phone"][i % 4], ["Basic", "Standard", "Premium"][i % 3]);
        export.write_record([&format!("R{i}"), &date.to_string(), &score.to_string(), &row[0], channel, plan]).unwrap();
    }
    dir.write("weekly.csv", export.into_inner().unwrap());
    let mut taxonomy = std::fs::read_to_string(repo().join("data/themes.toml")).unwrap();
    taxonomy.push_str(
        "\n[[theme]]\nid = \"tv\"\nlabel = \"TV channels & replay\"\n[theme.en]\ndescription = \"TV channels, replay and the programme guide.\"\nkeywords = [\"tv\", \"channel\", \"replay\"]\n[theme.fr]\ndescription = \"Chaînes de télé, replay et guide des programmes.\"\nkeywords = [\"télé\", \"chaîne\", \"replay\"]\n\
         \n[[theme]]\nid = \"moving_home\"\nlabel = \"Moving home\"\n[theme.en]\ndescription = \"Moving house: transferring the line and the contract to a new address.\"\nkeywords = [\"moving\", \"move\", \"new address\"]\n[theme.fr]\ndescription = \"Déménagement : transfert de la ligne et du contrat à une nouvelle adresse.\"\nkeywords = [\"déménagement\", \"déménager\", \"nouvelle adresse\"]\n",
    );
    dir.write("themes15.toml", taxonomy);
    for lang in ["en", "fr"] {
        let out = format!("o-{lang}");
        dir.ok(&[
            "run",
            "weekly.csv",
            "--taxonomy",
            "themes15.toml",
            "--out",
            &out,
            "--model",
            &model,
            "--cache-dir",
            "cache",
            "--report-lang",
            lang,
        ]);
        let html = std::fs::read_to_string(dir.path(&out).join("report.html")).unwrap();
        assert!(html.matches("class=\"pt\"").count() >= 29, "about 30 weekly points");
        assert_reads_cleanly(chromium, &dir, &html, &format!("a 30-week export ({lang})"));
    }
}

/// A dense report (30 weekly periods, 15 themes with long French and English labels, 24
/// segment values) reads cleanly in the browser in both languages.
#[test]
fn a_dense_report_reads_cleanly_in_chromium() {
    use verbatim::report::changes::{Headline, Mover, SegmentLine};
    use verbatim::report::render::{html, DriverLine, Report, ValueSection};
    let Some(chromium) = chromium() else { return };
    let dir = Dir::new();
    let theme_names = [
        "Delivery & installation",
        "Network & connection",
        "Support: waiting & reachability",
        "Support: competence & resolution",
        "Prix et facturation des options",
        "Billing & payments",
        "Product & equipment",
        "App & website",
        "Contract & cancellation",
        "Communication",
        "Staff & shops",
        "Résiliation et engagement",
        "Déménagement",
        "Installation de la box",
        "Roaming abroad",
    ];
    let drivers: Vec<DriverLine> = theme_names
        .iter()
        .enumerate()
        .map(|(i, label)| DriverLine {
            label: label.to_string(),
            n_mentions: 400 - 20 * i as u64,
            share: 0.2 - 0.01 * i as f64,
            nps_with: Some(-40.0 + 5.0 * i as f64),
            impact: -8.0 + 0.9 * i as f64,
            impact_moe95: Some(2.5),
            tier: Some(i / 3),
            lift: Some(1.5),
            q_value: Some(0.01),
            negative_share: Some(0.6),
            examples: vec!["Technicien jamais venu, trois demi-journées perdues".into()],
        })
        .collect();
    let trend: Vec<(String, Option<f64>, f64, u64)> =
        (0..30).map(|w| (format!("2026-W{:02}", w + 10), Some(((w * 37) % 50) as f64 - 25.0), 9.5, 180)).collect();
    let segments: Vec<SegmentLine> = (0..24)
        .map(|k| SegmentLine {
            segment: ["Channel", "Country", "Plan", "Customer value"][k % 4].into(),
            value: format!("value number {k} with a long name"),
            n: 90 + k as u64,
            nps: Some(k as f64 * 3.0 - 30.0),
            moe95: 14.0,
            rest_nps: Some(5.0),
            q_value: Some(0.01),
            stands_out: k % 5 == 0,
            why: vec![("Delivery & installation".into(), -12.0, -8.0)],
            nps_weighted: Some(k as f64 * 2.0 - 20.0),
        })
        .collect();
    for lang in ["en", "fr"] {
        let report = Report {
            lang,
            title: "NPS report".into(),
            n: 5400,
            nps: Some(4.0),
            moe95: 2.5,
            trend: trend.clone(),
            headline: Some(Headline {
                period: "2026-W39".into(),
                in_progress: Some(("2026-W40".into(), "2026-09-30".into())),
                nps: Some(-3.0),
                moe95: 9.5,
                n: 180,
                previous: Some(("2026-W38".into(), Some(12.0), 9.4)),
                delta: Some(-15.0),
                p_value: Some(0.02),
                range: ("2026-W10".into(), Some(4.0), 2.5),
                movers: vec![Mover {
                    label: "Delivery & installation".into(),
                    impact: -8.0,
                    delta: -4.0,
                    share_now: 0.2,
                    share_before: 0.12,
                    p_value: Some(0.01),
                    nps_with_now: Some(-40.0),
                    nps_with_before: Some(-30.0),
                    p_value_nps_with: Some(0.3),
                }],
            }),
            drivers: drivers.clone(),
            groups: Vec::new(),
            emerging: Vec::new(),
            segments: segments.clone(),
            inside: Vec::new(),
            quality: vec![("rows read".into(), "5400".into())],
            key_drivers: None,
            // Customer value with long theme names and large amounts, and targets.
            value: Some(ValueSection {
                column: "Chiffre d'affaires annuel TTC".into(),
                nps_weighted: Some(12.0),
                moe95_weighted: Some(6.5),
                n_valued: 5300,
                n_effective: Some(2100.0),
                value_total: 123_456_789.0,
                nps: Some(4.0),
                by_points: theme_names.iter().take(10).map(|t| (t.to_string(), -8.0, Some(-9.5))).collect(),
                by_revenue: theme_names
                    .iter()
                    .rev()
                    .take(10)
                    .map(|t| (t.to_string(), 12_345_678.0, Some(0.25), 9_876_543.0))
                    .collect(),
                rfm: ["champions", "loyal", "new", "need attention", "at risk", "hibernating", "(no RFM data)"]
                    .iter()
                    .map(|s| (s.to_string(), 800, Some(12.0), 7.0, Some(15.0), 12_000_000.0))
                    .collect(),
            }),
            targets: vec![verbatim::nps::targets::TargetGap {
                kind: "benchmark",
                segment: "Customer value".into(),
                value: "value number 3 with a long name".into(),
                target: 40.0,
                source: Some("A long benchmark source name: sector panel survey of 2025, all operators".into()),
                n: 800,
                nps: Some(12.0),
                moe95: 7.0,
                gap: Some(-28.0),
                z: Some(-7.0),
                p_value_below: Some(0.0000001),
                significantly_below: true,
            }],
        };
        assert_reads_cleanly(chromium, &dir, &html(&report), &format!("a dense report ({lang})"));
    }
}

/// Duplicating the whole dataset (new ids) leaves NPS and every impact unchanged and
/// shrinks the p-values.
#[test]
fn duplicated_dataset_keeps_impact_and_shrinks_p_values() {
    let dir = Dir::new();
    let model = model_dir().display().to_string();
    let text = std::fs::read_to_string(repo().join("data/sample_export.csv")).unwrap();
    let copy: String = text.lines().skip(1).map(|l| format!("{}\n", l.replacen("R_", "COPY_", 1))).collect();
    dir.write("once.csv", &text);
    dir.write("copy.csv", format!("{}\n{copy}", text.lines().next().unwrap()));
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("verbatim-test-cache");
    let cache = cache.to_str().unwrap();
    dir.ok(&["run", "once.csv", "--out", "a", "--model", &model, "--cache-dir", cache]);
    dir.ok(&["run", "once.csv", "copy.csv", "--out", "b", "--model", &model, "--cache-dir", cache]);
    let overall = |out: &str| {
        let d = read_parquet(&dir.path(out).join("drivers.parquet"));
        let period = d.column("period").unwrap().str().unwrap().clone();
        let segment = d.column("segment").unwrap().str().unwrap().clone();
        let theme = d.column("theme").unwrap().str().unwrap().clone();
        let impact = d.column("impact").unwrap().f64().unwrap().clone();
        let p = d.column("p_value").unwrap().f64().unwrap().clone();
        (0..d.height())
            .filter(|&i| period.get(i) == Some("all") && segment.get(i) == Some("all"))
            .map(|i| (theme.get(i).unwrap().to_string(), impact.get(i), p.get(i)))
            .collect::<Vec<_>>()
    };
    let (a, b) = (overall("a"), overall("b"));
    assert_eq!(a.len(), b.len());
    for ((ta, ia, pa), (tb, ib, pb)) in a.iter().zip(&b) {
        assert_eq!(ta, tb);
        assert!((ia.unwrap() - ib.unwrap()).abs() < 1e-9, "{ta}: impact {ia:?} vs {ib:?}");
        if let (Some(pa), Some(pb)) = (pa, pb) {
            assert!(pb <= pa, "{ta}: p {pa} then {pb}");
        }
    }
    let (_, _, _, _, nps_a) = overall_nps(&dir, "a");
    let (_, _, _, _, nps_b) = overall_nps(&dir, "b");
    assert!((nps_a - nps_b).abs() < 1e-9);
}

fn overall_nps(dir: &Dir, out: &str) -> (u64, u64, u64, u64, f64) {
    overall(&read_parquet(&dir.path(out).join("nps.parquet")))
}
