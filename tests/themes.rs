//! Themes with the real encoder: zero-shot from the shipped taxonomy in a run, and a model
//! learnt from coded verbatims (train / evaluate / run --themes-model), deterministic.

use crate::util::*;

fn coded() -> String {
    let rows = [
        ("Trop cher pour ce que c'est", "price"),
        ("Le prix a encore augmenté", "price"),
        ("The price went up again", "price"),
        ("Way too expensive", "price"),
        ("L'abonnement coûte une fortune", "price"),
        ("Prices are outrageous", "price"),
        ("Personne ne répond au téléphone", "support_wait"),
        ("45 minutes d'attente", "support_wait"),
        ("I was on hold for an hour", "support_wait"),
        ("Nobody answers my emails", "support_wait"),
        ("Impossible de joindre le service client", "support_wait"),
        ("Still waiting for a call back", "support_wait"),
        ("L'appli plante tout le temps", "app"),
        ("The app crashes on startup", "app"),
        ("Impossible de me connecter à l'application", "app"),
        ("The website is so slow", "app"),
        ("Le site bugue au paiement", "app"),
        ("I can't log in to the app", "app"),
        ("Trop cher et l'appli plante", "price;app"),
        ("Expensive and nobody answers the phone", "price;support_wait"),
        ("Très bien", ""),
        ("Nothing to say", ""),
    ];
    let mut s = String::from("text,themes,sentiment\n");
    for (t, th) in rows {
        s.push_str(&format!("\"{t}\",{th},\n"));
    }
    s
}

#[test]
fn themes_train_evaluate_and_run_with_the_model() {
    let dir = Dir::new();
    dir.write("coded.csv", coded());
    let model = model_dir().display().to_string();
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("verbatim-test-cache");
    let cache = cache.to_str().unwrap();
    let common = ["--model", model.as_str(), "--cache-dir", cache];
    let with = |args: &[&str]| -> Vec<String> { args.iter().chain(common.iter()).map(|s| s.to_string()).collect() };
    let run = |args: Vec<String>| dir.ok(&args.iter().map(String::as_str).collect::<Vec<_>>());

    run(with(&["themes", "train", "--examples", "coded.csv", "--out", "m1", "--threads", "1"]));
    run(with(&["themes", "train", "--examples", "coded.csv", "--out", "m2", "--threads", "2"]));
    let a = std::fs::read(dir.path("m1/model.json")).unwrap();
    let b = std::fs::read(dir.path("m2/model.json")).unwrap();
    assert!(a == b, "a trained model does not depend on the thread count");
    let m: serde_json::Value = serde_json::from_slice(&a).unwrap();
    let ids: Vec<&str> = m["themes"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["price", "support_wait", "app"], "themes of the examples in order of appearance");

    let o = run(with(&[
        "themes",
        "evaluate",
        "--examples",
        "coded.csv",
        "--folds",
        "3",
        "--json",
        "--predictions",
        "p.csv",
    ]));
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["n"], 22);
    assert!(v["micro_f1"].as_f64().unwrap() > 0.6, "{v}");
    assert_eq!(v["per_theme"].as_array().unwrap().len(), 3);
    // The out-of-fold predictions: one row per example, and the reported F1 is theirs.
    let (header, records) = read_predictions(&dir.path("p.csv"));
    assert_eq!(header, ["text", "themes", "predicted", "score_price", "score_support_wait", "score_app"]);
    for rec in &records {
        assert!((3..6).all(|i| (0.0..=1.0).contains(&rec[i].parse::<f64>().unwrap())));
    }
    assert_eq!(records.len(), 22);
    let f1 = micro_f1(&records);
    assert!((f1 - v["micro_f1"].as_f64().unwrap()).abs() < 1e-9, "{f1} vs {v}");
    // Extra examples train every fold and are never scored.
    dir.write("extra.csv", "text,themes\n\"Abonnement hors de prix\",price\n\"Support never picks up\",support_wait\n");
    let o = run(with(&[
        "themes",
        "evaluate",
        "--examples",
        "coded.csv",
        "--also-train-on",
        "extra.csv",
        "--folds",
        "3",
        "--json",
    ]));
    let x: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(x["n"], 22);
    let support = |v: &serde_json::Value| -> Vec<u64> {
        v["per_theme"].as_array().unwrap().iter().map(|t| t[4].as_u64().unwrap()).collect()
    };
    assert_eq!(support(&x), support(&v));
    assert_eq!(support(&v), [8, 7, 7]);
    // By group: a group is tested on a model that saw none of it. Grouped by their first
    // theme, the tested themes were never trained on, and little is found.
    let mut grouped = String::from("text,themes,survey\n");
    for line in coded().lines().skip(1) {
        let (text, rest) = line.rsplit_once("\",").unwrap();
        let themes = rest.trim_end_matches(',');
        let group = themes.split(';').next().filter(|t| !t.is_empty()).unwrap_or("none");
        grouped.push_str(&format!("{text}\",{themes},{group}\n"));
    }
    dir.write("grouped.csv", &grouped);
    let by = ["themes", "evaluate", "--examples", "grouped.csv", "--folds", "3", "--json", "--group-by", "survey"];
    let o = run(with(&by));
    let g: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(g["n"], 22);
    assert!(stderr(&o).contains("folds drawn by 'survey': 4 groups"), "{}", stderr(&o));
    // The same texts by text (coded.csv, above) score over 0.6.
    assert!(g["micro_f1"].as_f64().unwrap() < 0.35, "grouped {g} against by text {v}");
    // A column the file does not have, or too few groups, is a clear error.
    let fails = |group_by: &str, folds: &str| {
        let args = with(&["themes", "evaluate", "--examples", "grouped.csv", "--group-by", group_by, "--folds", folds]);
        let o = dir.run(&args.iter().map(String::as_str).collect::<Vec<_>>());
        assert_eq!(o.status.code(), Some(2));
        stderr(&o)
    };
    let e = fails("wave", "3");
    assert!(e.contains("grouped.csv") && e.contains("'wave'") && e.contains("'survey'"), "{e}");
    let e = fails("survey", "5");
    assert!(e.contains("4 groups, fewer than the 5 folds"), "{e}");
    // Several columns: a group per combination of their values (six for survey and
    // themes: price alone, with app and with support_wait; support_wait; app; no theme).
    let e = fails("survey, themes", "7");
    assert!(e.contains("6 groups, fewer than the 7 folds"), "{e}");

    // A run with the model: themes column and mentions with clause and sentiment.
    dir.write(
        "export.csv",
        "id,score,comment\n1,2,\"Trop cher, et l'appli plante\"\n2,9,Très bien\n3,4,Nobody answers the phone\n",
    );
    run(with(&["run", "export.csv", "--out", "o", "--themes-model", "m1"]));
    // The model reads token states during encoding (attention): other batches and threads
    // give the same tables (encoding again: --no-cache), and so does a model trained with
    // other batches.
    let o2 = ["run", "export.csv", "--out", "o2", "--themes-model", "m1", "--threads", "1", "--batch-tokens", "32"];
    run(with(&o2).into_iter().chain(["--no-cache".to_string()]).collect());
    run(with(&["themes", "train", "--examples", "coded.csv", "--out", "m3", "--batch-tokens", "32"]));
    run(with(&["run", "export.csv", "--out", "o3", "--themes-model", "m3"]));
    // A trained model measured as it is (no training), as a run uses it: the F1 it reports
    // is that of the predictions it writes.
    let mut args = vec!["themes", "evaluate", "--themes-model", "m1", "--examples", "coded.csv", "--json"];
    args.extend(["--predictions", "p2.csv"]);
    let e: serde_json::Value = serde_json::from_str(&stdout(&run(with(&args)))).unwrap();
    assert_eq!(e["n"], 22);
    let (header, records) = read_predictions(&dir.path("p2.csv"));
    let f1 = micro_f1(&records);
    assert!((f1 - e["micro_f1"].as_f64().unwrap()).abs() < 1e-9, "{f1} vs {e}");
    assert!(f1 > 0.8, "a model scored on its own training examples: {f1}");
    // Its score per theme comes too, and a theme is predicted exactly when its score reaches
    // the model's threshold for it.
    let model: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path("m1/model.json")).unwrap()).unwrap();
    let ids: Vec<&str> = model["themes"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap()).collect();
    let expected: Vec<String> = ["text", "themes", "predicted"]
        .into_iter()
        .map(String::from)
        .chain(ids.iter().map(|id| format!("score_{id}")))
        .collect();
    assert_eq!(header, expected);
    for r in &records {
        let predicted: Vec<&str> = r[2].split(';').filter(|t| !t.is_empty()).collect();
        for (k, id) in ids.iter().enumerate() {
            let (score, threshold): (f64, f64) = (r[3 + k].parse().unwrap(), model["thresholds"][k].as_f64().unwrap());
            // Scores are written with 4 decimals: a score within that of its threshold proves nothing.
            if (score - threshold).abs() > 1e-4 {
                assert_eq!(predicted.contains(id), score >= threshold, "{id}: {score} against {threshold} in {r:?}");
            }
        }
    }
    // Zero-shot from the shipped taxonomy writes its predictions too, and reports their F1
    // (the examples' "app" is not a theme of the taxonomy: a miss either way).
    let taxonomy = concat!(env!("CARGO_MANIFEST_DIR"), "/data/themes.toml");
    let mut args = vec!["themes", "evaluate", "--zero-shot", "--taxonomy", taxonomy, "--examples", "coded.csv"];
    args.extend(["--json", "--predictions", "p3.csv"]);
    let z: serde_json::Value = serde_json::from_str(&stdout(&run(with(&args)))).unwrap();
    let (header, records) = read_predictions(&dir.path("p3.csv"));
    assert_eq!(header, ["text", "themes", "predicted"]);
    assert_eq!(records.len(), 22);
    let f1 = micro_f1(&records);
    assert!((f1 - z["micro_f1"].as_f64().unwrap()).abs() < 1e-9, "{f1} vs {z}");
    assert!(records.iter().any(|r| r[2].contains("support_wait")), "zero-shot finds the waits");

    // The model's attention scores of comments already seen come from the cache: nothing is
    // encoded again, and the tables are the same.
    run(with(&["run", "export.csv", "--out", "o4", "--themes-model", "m1"]));
    let run4: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path("o4/run.json")).unwrap()).unwrap();
    assert_eq!(run4["encode"]["encoded"], 0, "{}", run4["encode"]);
    for other in ["o2", "o3", "o4"] {
        for f in ["responses.parquet", "mentions.parquet"] {
            let a = read_parquet(&dir.path("o").join(f));
            let b = read_parquet(&dir.path(other).join(f));
            assert!(a.equals_missing(&b), "{f}: {other} differs from the run with default batches");
        }
    }
    let responses = read_parquet(&dir.path("o/responses.parquet"));
    let themes = responses.column("themes").unwrap().list().unwrap().clone();
    let first: Vec<String> =
        themes.get_as_series(0).unwrap().str().unwrap().iter().flatten().map(str::to_string).collect();
    assert_eq!(first, ["price", "app"], "in the order of the model's themes");
    let mentions = read_parquet(&dir.path("o/mentions.parquet"));
    for c in ["response_id", "theme", "clause", "sentiment", "confidence"] {
        assert!(mentions.column(c).is_ok(), "mentions.parquet lacks {c}");
    }
    assert!(mentions.height() >= 3, "{mentions}");

    // A model from a newer verbatim is refused, not half-read.
    let newer = String::from_utf8(a).unwrap().replacen("verbatim-themes-model/3", "verbatim-themes-model/99", 1);
    std::fs::create_dir(dir.path("m9")).unwrap();
    dir.write("m9/model.json", newer);
    let o = dir.run(
        &with(&["run", "export.csv", "--out", "o9", "--themes-model", "m9"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("upgrade verbatim or retrain"), "{}", stderr(&o));
    assert!(!dir.path("o9/responses.parquet").exists());
}

#[test]
fn invalid_taxonomy_is_a_clear_error() {
    let dir = Dir::new();
    dir.write(
        "t.toml",
        "[[theme]]\nid = \"price\"\nlabel = \"Price\"\nparent = \"money\"\n[theme.en]\nkeywords = [\"price\"]\n",
    );
    dir.write("e.csv", "score,comment\n3,too expensive\n");
    let model = model_dir().display().to_string();
    let o = dir.run(&["run", "e.csv", "--out", "o", "--taxonomy", "t.toml", "--model", &model, "--no-cache"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("theme 'price': parent 'money' is not a theme id"), "{}", stderr(&o));
    assert!(!dir.path("o/responses.parquet").exists());
}

/// The header and rows of a `themes evaluate --predictions` file.
fn read_predictions(path: &std::path::Path) -> (Vec<String>, Vec<csv::StringRecord>) {
    let mut r = csv::Reader::from_path(path).unwrap();
    let header = r.headers().unwrap().iter().map(str::to_string).collect();
    (header, r.records().map(Result::unwrap).collect())
}

/// Micro-F1 of the predicted themes (column 2) against the coded ones (column 1).
fn micro_f1(records: &[csv::StringRecord]) -> f64 {
    let (mut tp, mut n_pred, mut n_gold) = (0, 0, 0);
    for rec in records {
        let set = |i: usize| -> Vec<&str> { rec[i].split(';').filter(|x| !x.is_empty()).collect() };
        let (gold, pred) = (set(1), set(2));
        tp += pred.iter().filter(|t| gold.contains(t)).count();
        (n_pred, n_gold) = (n_pred + pred.len(), n_gold + gold.len());
    }
    2.0 * tp as f64 / (n_pred + n_gold) as f64
}

/// Zero-shot learns from its taxonomy's texts: a classifier trained, deterministically, on
/// each leaf's descriptions, examples and keywords (the other leaves' texts and the
/// counter-examples as negatives) adds themes to those of keywords and prototypes and
/// takes none away. A taxonomy of one leaf has nothing to learn from.
#[test]
fn zero_shot_adds_what_a_classifier_learns_from_the_taxonomy() {
    use clap::Parser;
    use verbatim::cli::args::{Args, Command};
    use verbatim::console::Console;
    use verbatim::themes::{assign, Taxonomy};
    let dir = Dir::new();
    dir.write("e.csv", "score,comment\n3,x\n");
    let (export, model) = (dir.path("e.csv").display().to_string(), model_dir().display().to_string());
    let (cache, out) = (dir.path("cache").display().to_string(), dir.path("o").display().to_string());
    let argv = ["verbatim", "run", &export, "--out", &out, "--model", &model, "--cache-dir", &cache];
    let Command::Run(run_args) = Args::try_parse_from(argv).unwrap().command else { panic!("not run") };
    let enc = verbatim::cli::resolve::run_config(&run_args).unwrap().encoder;
    let console = Console::silent();
    let taxonomy = Taxonomy::load(&repo().join("data/themes.toml")).unwrap();

    let z = assign::zero_shot_learnt(&taxonomy, Default::default(), &enc, &console).unwrap();
    let learnt = z.learnt.as_ref().expect("several leaves: a classifier is trained");
    assert!(learnt.themes.iter().map(|t| &t.id).eq(z.themes.iter().map(|t| &t.id)));
    let staff = learnt.themes.iter().position(|t| t.id == "staff").unwrap();
    // Kept in the cache directory, read back by the next run; trained again, the same.
    let cached: Vec<_> = std::fs::read_dir(dir.path("cache/zero-shot")).unwrap().collect();
    assert_eq!(cached.len(), 1, "one model for one taxonomy");
    let again = assign::zero_shot_learnt(&taxonomy, Default::default(), &enc, &console).unwrap();
    assert_eq!(again.learnt, z.learnt, "read back from the cache");
    let uncached = verbatim::config::EncoderConfig { cache_dir: None, ..enc.clone() };
    let again = assign::zero_shot_learnt(&taxonomy, Default::default(), &uncached, &console).unwrap();
    assert_eq!(again.learnt, z.learnt, "trained twice, the same model");

    // Everyday comments, most of which keywords or prototypes already read.
    let texts: Vec<String> = [
        "Three weeks and still nobody has come round to plug the fibre in",
        "The woman at the counter could not have been kinder",
        "Forty minutes listening to music before a human picked up",
        "Ils m'ont pris 40 euros de trop ce mois-ci",
        "Impossible de me connecter à mon espace client depuis hier",
        "The letter said one thing, the email another",
        "I'm off to another provider when my 24 months are up",
        "Box qui redémarre toute seule trois fois par jour",
    ]
    .map(String::from)
    .to_vec();
    let info = verbatim::encode::ModelInfo::of(&enc).unwrap();
    let plain = assign::zero_shot(&taxonomy, Default::default(), &enc, &console).unwrap();
    assert!(plain.learnt.is_none());
    let (without, _) =
        verbatim::pipeline::assign_texts(&texts, &assign::Assigner::ZeroShot(plain), &enc, &info, &console).unwrap();
    let (with, _) =
        verbatim::pipeline::assign_texts(&texts, &assign::Assigner::ZeroShot(z), &enc, &info, &console).unwrap();
    for (w, wo) in with.iter().zip(&without) {
        assert!(wo.iter().all(|t| w.contains(t)), "the classifier adds themes, never removes: {wo:?} -> {w:?}");
    }
    // Kindness with no keyword of staff ("staff", "friendly", "polite", ...) in it.
    assert!(!without[1].contains(&staff) && with[1].contains(&staff), "{without:?} -> {with:?}");

    let one =
        Taxonomy::parse("[[theme]]\nid = \"price\"\nlabel = \"Price\"\n[theme.en]\nkeywords = [\"price\"]\n").unwrap();
    assert!(assign::zero_shot_learnt(&one, Default::default(), &enc, &console).unwrap().learnt.is_none());
}
