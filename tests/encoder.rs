//! The real default model (installed by the README's setup command): embeddings match an
//! independent float64 numpy implementation, and do not depend on batching or threads.

use verbatim::cli::resolve::find_ort_library;
use verbatim::infer::{mock::MockBackend, ort::OrtBackend, Encoder, TextTokenizer};

use crate::util::*;

/// The fp32 graph and the int8 one (weights per channel, activations with fixed scales or
/// per token).
const GRAPHS: [&str; 2] = ["model.onnx", "model-int8.onnx"];

fn encoder(threads: usize, batch_tokens: usize) -> Encoder {
    encoder_on("model.onnx", threads, batch_tokens)
}

fn encoder_on(graph: &str, threads: usize, batch_tokens: usize) -> Encoder {
    let dir = model_dir();
    let lib = find_ort_library(&dir).expect("ONNX Runtime library in models/onnxruntime");
    let backend = OrtBackend::new(&lib, &dir.join(graph), threads, false, 384).expect("load the graph");
    Encoder {
        tokenizer: TextTokenizer::from_file(&dir.join("tokenizer.json"), 512).unwrap(),
        backend: Box::new(backend),
        batch_tokens,
        prefix: "query: ".into(),
    }
}

fn reference() -> Vec<(String, Vec<u32>, Vec<f32>)> {
    let v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(repo().join("tests/fixtures/e5_reference.json")).unwrap())
            .unwrap();
    v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|it| {
            let ids = it["ids"].as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as u32).collect();
            let emb = it["embedding"].as_array().unwrap().iter().map(|x| x.as_f64().unwrap() as f32).collect();
            (it["text"].as_str().unwrap().to_string(), ids, emb)
        })
        .collect()
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a.iter().zip(b).map(|(x, y)| *x as f64 * *y as f64).sum();
    let na: f64 = a.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| (*x as f64).powi(2)).sum::<f64>().sqrt();
    dot / (na * nb)
}

fn max_abs_diff(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    a.iter().zip(b).flat_map(|(x, y)| x.iter().zip(y).map(|(p, q)| (p - q).abs())).fold(0.0, f32::max)
}

#[test]
fn e5_matches_the_numpy_reference() {
    let refs = reference();
    assert_eq!(refs.len(), 20);
    let mut enc = encoder(2, 8192);
    for (text, ids, _) in &refs {
        let t = enc.tokenizer.encode(&format!("query: {text}")).unwrap();
        assert_eq!(&t.ids, ids, "token ids of {text:?}");
    }
    let texts: Vec<String> = refs.iter().map(|r| r.0.clone()).collect();
    let (got, stats) = enc.encode(&texts, &mut |_| {}).unwrap();
    assert_eq!(stats.texts, 20);
    for ((text, _, want), g) in refs.iter().zip(&got) {
        assert_eq!(g.len(), 384);
        let c = cosine(g, want);
        assert!(c >= 0.99, "{text:?}: cosine {c}");
        assert!(c >= 0.9999, "{text:?}: cosine {c} (fp32 ONNX vs float64 numpy should agree to 1e-4)");
    }
}

/// int8: every text's embedding stays close to the float64 reference (fp32 is at 0.9999).
#[test]
fn int8_embeddings_stay_close_to_the_reference() {
    let refs = reference();
    let texts: Vec<String> = refs.iter().map(|r| r.0.clone()).collect();
    let (got, _) = encoder_on("model-int8.onnx", 2, 8192).encode(&texts, &mut |_| {}).unwrap();
    let cos: Vec<f64> = refs.iter().zip(&got).map(|((_, _, want), g)| cosine(g, want)).collect();
    let mean = cos.iter().sum::<f64>() / cos.len() as f64;
    assert!(cos.iter().all(|&c| c >= 0.995), "int8 cosines to the reference: {cos:?}");
    assert!(mean >= 0.998, "int8 mean cosine to the reference {mean}");
    assert!(cos.iter().any(|&c| c < 0.99999), "int8 gives exactly fp32: is it the int8 graph?");
}

#[test]
fn same_embeddings_whatever_batch_size_or_threads() {
    let refs = reference();
    let mut texts: Vec<String> = refs.iter().map(|r| r.0.clone()).collect();
    texts.extend(texts.clone().into_iter().map(|t| format!("{t} Merci.")));
    for graph in GRAPHS {
        let (big, s_big) = encoder_on(graph, 2, 8192).encode(&texts, &mut |_| {}).unwrap();
        let (small, s_small) = encoder_on(graph, 2, 24).encode(&texts, &mut |_| {}).unwrap();
        let (one_thread, _) = encoder_on(graph, 1, 512).encode(&texts, &mut |_| {}).unwrap();
        assert!(s_small.batches > s_big.batches, "different batching: {} vs {}", s_small.batches, s_big.batches);
        let d = max_abs_diff(&big, &small);
        assert!(d <= 1e-5, "{graph}: batch size changed embeddings by {d}");
        let d = max_abs_diff(&big, &one_thread);
        assert!(d <= 1e-5, "{graph}: threads changed embeddings by {d}");
        // One text alone equals the same text inside a batch.
        let (alone, _) = encoder_on(graph, 2, 8192).encode(&texts[3..4], &mut |_| {}).unwrap();
        assert!(max_abs_diff(&alone, &big[3..4]) <= 1e-5, "{graph}: alone vs in a batch");
    }
}

#[test]
fn long_texts_are_truncated_at_512_tokens() {
    let mut enc = encoder(2, 8192);
    let long = "le service client ne répond jamais ".repeat(200);
    let t = enc.tokenizer.encode(&long).unwrap();
    assert!(t.truncated && t.ids.len() == 512);
    assert_eq!(*t.ids.last().unwrap(), 2, "ends with </s>");
    let (v, s) = enc.encode(&[long], &mut |_| {}).unwrap();
    assert_eq!(s.truncated, 1);
    assert!((v[0].iter().map(|x| x * x).sum::<f32>() - 1.0).abs() < 1e-4);
}

/// The mock backend: exact equality across token budgets (the batching itself adds nothing).
#[test]
fn mock_backend_is_batch_invariant() {
    let texts: Vec<String> = (0..50).map(|i| "mot ".repeat(i % 17 + 1) + &i.to_string()).collect();
    let mut results = Vec::new();
    for budget in [16, 100, 4096] {
        let mut enc = Encoder {
            tokenizer: TextTokenizer::from_file(&model_dir().join("tokenizer.json"), 512).unwrap(),
            backend: Box::new(MockBackend { hidden: 32 }),
            batch_tokens: budget,
            prefix: String::new(),
        };
        results.push(enc.encode(&texts, &mut |_| {}).unwrap().0);
    }
    assert_eq!(results[0], results[1]);
    assert_eq!(results[0], results[2]);
}

/// Token states for learnt themes: the graph's layer_mean_states, one row per attended
/// token, the same whatever the batching, and not the last hidden states.
#[test]
fn token_states_for_themes_are_per_text_and_batch_invariant() {
    let texts: Vec<String> = reference().into_iter().map(|r| r.0).collect();
    for graph in GRAPHS {
        token_states_check(graph, &texts);
    }
}

fn token_states_check(graph: &str, texts: &[String]) {
    let collect = |batch_tokens: usize| {
        let mut enc = encoder_on(graph, 2, batch_tokens);
        let mut states = vec![Vec::new(); texts.len()];
        let (emb, _) = enc
            .encode_with_states(texts, &mut |_| {}, Some(&mut |i: usize, s: &[f32]| states[i] = s.to_vec()))
            .unwrap();
        (emb, states)
    };
    let (emb, big) = collect(8192);
    let (_, small) = collect(24);
    let tokenizer = TextTokenizer::from_file(&model_dir().join("tokenizer.json"), 512).unwrap();
    for (i, t) in texts.iter().enumerate() {
        let tokens = tokenizer.encode(&format!("query: {t}")).unwrap().ids.len();
        assert_eq!(big[i].len(), tokens * 384, "one state per attended token");
    }
    let d = max_abs_diff(&big, &small);
    assert!(d <= 1e-5, "{graph}: batching changed token states by {d}");
    // The mean of the layer-mean states is not the (normalised) sentence embedding.
    let mean: Vec<f32> = (0..384).map(|j| big[0].iter().skip(j).step_by(384).sum::<f32>()).collect();
    assert!(cosine(&mean, &emb[0]) < 0.999, "token states are the last layer's: {}", cosine(&mean, &emb[0]));
}

/// The encode stage with a cache: a text whose token states are wanted is encoded even when
/// its embedding is cached, unless the caller marks it known (what it derives from the
/// states is cached elsewhere); known texts come from the cache.
#[test]
fn cached_texts_are_encoded_again_only_when_their_states_are_wanted() {
    use verbatim::encode::{cache::Cache, embed, StatesRequest};
    let dir = Dir::new();
    let texts: Vec<String> = ["le prix", "the app crashes", "merci"].iter().map(|s| s.to_string()).collect();
    let make = || {
        Ok(Encoder {
            tokenizer: TextTokenizer::from_file(&model_dir().join("tokenizer.json"), 512).unwrap(),
            backend: Box::new(MockBackend { hidden: 32 }),
            batch_tokens: 4096,
            prefix: String::new(),
        })
    };
    let mut cache = Cache::open(&dir.path("cache"), "mock", 32).unwrap();
    let (first, r1) = embed(&texts, make, Some(&mut cache), &mut |_, _| {}, None).unwrap();
    assert_eq!((r1.encoded, r1.from_cache), (3, 0));

    let mut seen = Vec::new();
    let mut sink = |i: usize, s: &[f32]| seen.push((i, s.len()));
    let known = [true, false, true];
    let request = StatesRequest { sink: &mut sink, known: &known };
    let (second, r2) = embed(&texts, make, Some(&mut cache), &mut |_, _| {}, Some(request)).unwrap();
    assert_eq!((r2.encoded, r2.from_cache), (1, 2));
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].0, 1, "only the unknown text's states are handed over");
    assert!(seen[0].1 > 0 && seen[0].1 % 32 == 0);
    assert_eq!(first, second);

    let (_, r3) = embed(&texts, make, Some(&mut cache), &mut |_, _| {}, None).unwrap();
    assert_eq!((r3.encoded, r3.from_cache), (0, 3));
}

/// One pass per text, its spans read in context: a span's vector is the mean over its own
/// tokens (not the text alone, not another span), a span that is the whole text is the
/// text, spans do not depend on the batch, and a second call takes everything from the
/// cache, with the same values.
#[test]
fn spans_are_read_in_context_and_cached() {
    use verbatim::encode::{cache::Cache, embed_spans};
    let dir = Dir::new();
    let texts: Vec<String> = ["Prix trop élevé mais le réseau est top", "merci", "the app crashes. Support was kind"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let spans: Vec<Vec<(usize, usize)>> = vec![vec![(0, 17), (18, 41)], vec![(0, 5)], vec![(0, 16), (17, 33)]];
    let make = |budget: usize| {
        move || {
            Ok(Encoder {
                tokenizer: TextTokenizer::from_file(&model_dir().join("tokenizer.json"), 512).unwrap(),
                backend: Box::new(MockBackend { hidden: 32 }),
                batch_tokens: budget,
                prefix: "query: ".into(),
            })
        }
    };
    let (first, r1) = embed_spans(&texts, &spans, make(4096), None, &mut |_, _| {}, None).unwrap();
    assert_eq!(r1.encoded, 3);
    assert_eq!(first[0].spans.len(), 2);
    assert_ne!(first[0].spans[0], first[0].spans[1]);
    assert_ne!(first[0].spans[0], first[0].text);
    assert_eq!(first[1].spans, vec![first[1].text.clone()], "a span that is the whole text is the text");
    let (small, _) = embed_spans(&texts, &spans, make(16), None, &mut |_, _| {}, None).unwrap();
    assert_eq!(first, small, "spans do not depend on the batch");

    let mut cache = Cache::open(&dir.path("cache"), "mock", 32).unwrap();
    embed_spans(&texts, &spans, make(4096), Some(&mut cache), &mut |_, _| {}, None).unwrap();
    // Texts, plus the spans that are not a whole text.
    assert_eq!(cache.len(), 3 + 4);
    let (again, r2) = embed_spans(&texts, &spans, make(4096), Some(&mut cache), &mut |_, _| {}, None).unwrap();
    assert_eq!((r2.encoded, r2.from_cache), (0, 3));
    assert_eq!(first, again);
}
