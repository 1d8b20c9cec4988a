//! Sentiment with the real encoder and the default head (trained by the setup command).

use verbatim::cli::resolve::find_ort_library;
use verbatim::infer::{ort::OrtBackend, Encoder, TextTokenizer};
use verbatim::sentiment::{clause_label, Head};

use crate::util::*;

fn encoder() -> Encoder {
    let dir = model_dir();
    let lib = find_ort_library(&dir).unwrap();
    Encoder {
        tokenizer: TextTokenizer::from_file(&dir.join("tokenizer.json"), 512).unwrap(),
        backend: Box::new(OrtBackend::new(&lib, &dir, 2, false, 384).unwrap()),
        batch_tokens: 1024,
        prefix: "query: ".into(),
    }
}

fn default_head() -> Head {
    let dir = repo().join("models/sentiment-default");
    Head::load(&dir).unwrap_or_else(|e| panic!("{e}: run the README's setup command (bash scripts/setup.sh)"))
}

/// Obvious cases in both languages, negation included.
#[test]
fn obvious_cases_in_french_and_english() {
    let cases = [
        ("Très bien, je recommande", "positive"),
        ("Personnel adorable et service rapide", "positive"),
        ("Le service client est injoignable, c'est nul", "negative"),
        ("pas terrible", "negative"),
        ("je ne recommande pas", "negative"),
        ("Pas mal du tout", "positive"),
        ("The staff were lovely and helpful", "positive"),
        ("not bad", "positive"),
        ("The app keeps crashing and nobody answers", "negative"),
        ("Would not recommend", "negative"),
    ];
    let texts: Vec<String> = cases.iter().map(|c| c.0.to_string()).collect();
    let (emb, _) = encoder().encode(&texts, &mut |_| {}).unwrap();
    let head = default_head();
    let wrong: Vec<String> = cases
        .iter()
        .zip(&emb)
        .filter_map(|((t, want), e)| {
            let (got, score) = clause_label(&head.predict(t, e));
            (got != *want).then(|| format!("{t:?}: {got} ({score:.2}), want {want}"))
        })
        .collect();
    assert!(wrong.is_empty(), "{wrong:#?}");
}

/// A batch gives the same result as one text at a time; the head is a pure function.
#[test]
fn batch_equals_one_at_a_time() {
    let texts: Vec<String> =
        ["Livraison rapide mais facture fausse", "ok", "I waited an hour on the phone", "Produit très bien"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    let head = default_head();
    let mut enc = encoder();
    let (batch, _) = enc.encode(&texts, &mut |_| {}).unwrap();
    for (t, b) in texts.iter().zip(&batch) {
        let (alone, _) = enc.encode(std::slice::from_ref(t), &mut |_| {}).unwrap();
        let (pa, pb) = (head.predict(t, &alone[0]), head.predict(t, b));
        for c in 0..3 {
            assert!((pa[c] - pb[c]).abs() < 1e-5, "{t}: {pa:?} vs {pb:?}");
        }
    }
}

fn coded_csv() -> String {
    let mut s = String::from("text,themes,sentiment\n");
    let rows = [
        ("Conseiller très aimable et efficace", "positive"),
        ("Le délai de livraison est beaucoup trop long", "negative"),
        ("J'ai appelé hier pour changer d'offre", "neutral"),
        ("Great support, problem solved quickly", "positive"),
        ("Billing is a mess, charged twice", "negative"),
        ("I moved house last month", "neutral"),
        ("Super appli, très pratique", "positive"),
        ("Le réseau coupe tous les soirs", "negative"),
        ("Nous sommes clients depuis 2019", "neutral"),
        ("Fast delivery and friendly driver", "positive"),
        ("The router stopped working after a week", "negative"),
        ("", "positive"),
        ("Texte sans étiquette", ""),
    ];
    for (t, l) in rows {
        s.push_str(&format!("\"{t}\",,{l}\n"));
    }
    s
}

/// `sentiment train` is deterministic; `evaluate` prints the figures (and JSON).
#[test]
fn train_is_deterministic_and_evaluate_reports() {
    let dir = Dir::new();
    dir.write("coded.csv", coded_csv());
    let model = model_dir().display().to_string();
    let cache = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("verbatim-test-cache");
    let cache = cache.to_str().unwrap();
    let train = |out: &str| {
        dir.ok(&[
            "sentiment",
            "train",
            "--labels",
            "coded.csv",
            "--out",
            out,
            "--model",
            &model,
            "--cache-dir",
            cache,
            "--folds",
            "3",
        ])
    };
    let o = train("h1");
    assert!(stderr(&o).contains("coded.csv: 11 labelled texts (2 skipped), weight 1"), "{}", stderr(&o));
    train("h2");
    let a = std::fs::read(dir.path("h1/head.json")).unwrap();
    let b = std::fs::read(dir.path("h2/head.json")).unwrap();
    assert!(a == b, "two trainings on the same data give different heads");
    let manifest: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path("h1/MANIFEST")).unwrap()).unwrap();
    assert_eq!(manifest["training_data"][0]["rows"], 11);
    assert!(manifest["training_data"][1]["file"].as_str().unwrap().ends_with("feedback_fr_en.csv"));

    let evaluate_h1 = |extra: &[&str]| {
        let mut args =
            vec!["sentiment", "evaluate", "--labels", "coded.csv", "--sentiment-model", "h1", "--model", &model];
        args.extend(["--cache-dir", cache]);
        args.extend(extra);
        stdout(&dir.ok(&args))
    };
    let out = evaluate_h1(&[]);
    assert!(out.starts_with("n 11  accuracy "), "{out}");
    assert!(out.contains("confusion (rows: gold, columns: predicted)") && out.contains("macro-F1"), "{out}");
    // A head trained on the int8 graph (the default) runs on the fp32 one: same weights.
    let out = evaluate_h1(&["--precision", "fp32"]);
    assert!(out.starts_with("n 11  accuracy "), "{out}");
    let o =
        dir.ok(&["sentiment", "evaluate", "--labels", "coded.csv", "--json", "--model", &model, "--cache-dir", cache]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["n"], 11);
    // The default head leans away from neutral (docs/QUALITY.md); clear opinions it gets right.
    let right = v["confusion"][0][0].as_u64().unwrap() + v["confusion"][2][2].as_u64().unwrap();
    assert!(right >= 6, "default head on 8 clear opinions: {v}");

    // Comments scored as a run scores them: four classes, mixed included; terse complaints
    // are negative, plain praise positive.
    dir.write(
        "comments.csv",
        "text,sentiment\nExpensive,negative\nTrop cher,negative\nNever again,negative\n\
         \"Top service from start to finish, cheers\",positive\n\"Je recommande, rien à redire\",positive\n\
         \"Installation rapide et technicien adorable, mais la box plante tous les soirs depuis un mois\",mixed\n",
    );
    let o = dir.ok(&[
        "sentiment",
        "evaluate",
        "--comments",
        "--labels",
        "comments.csv",
        "--json",
        "--model",
        &model,
        "--cache-dir",
        cache,
    ]);
    let v: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(v["n"], 6);
    assert_eq!(v["confusion"].as_array().unwrap().len(), 4, "negative, neutral, positive, mixed: {v}");
    assert_eq!(v["confusion"][0][0], 3, "terse complaints are negative: {v}");
    assert_eq!(v["confusion"][2][2], 2, "praise is positive: {v}");

    // A file without the needed columns is a clear error.
    dir.write("bad.csv", "comment,label\na,b\n");
    let o = dir.run(&["sentiment", "evaluate", "--labels", "bad.csv", "--model", &model, "--cache-dir", cache]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("need columns 'text' and 'sentiment'"), "{}", stderr(&o));
}
