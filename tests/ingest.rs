//! Every input format of DESIGN.md "Inputs", read with no flags, gives the same NPS; broken
//! inputs give clear errors or rejects, never silent loss.

use polars::prelude::*;

use crate::util::*;

fn plain_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["response_id", "date", "score", "comment", "channel", "region"]).unwrap();
    for r in rows {
        let date = format!("{:04}-{:02}-{:02}", r.date.0, r.date.1, r.date.2);
        w.write_record([&r.id, &date, &r.score.to_string(), &r.comment, r.channel, r.region]).unwrap();
    }
    w.into_inner().unwrap()
}

fn qualtrics_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "StartDate",
        "EndDate",
        "Status",
        "Progress",
        "Finished",
        "RecordedDate",
        "ResponseId",
        "UserLanguage",
        "Q1",
        "Q1_NPS_GROUP",
        "Q2",
        "Channel",
        "Region",
    ])
    .unwrap();
    w.write_record([
        "Start Date",
        "End Date",
        "Response Type",
        "Progress",
        "Finished",
        "Recorded Date",
        "Response ID",
        "User Language",
        "How likely are you to recommend Acme to a friend or colleague?",
        "How likely are you to recommend Acme - Group",
        "What is the main reason for your score?",
        "Channel",
        "Region",
    ])
    .unwrap();
    w.write_record([
        r#"{"ImportId":"startDate","timeZone":"Europe/Paris"}"#,
        r#"{"ImportId":"endDate","timeZone":"Europe/Paris"}"#,
        r#"{"ImportId":"status"}"#,
        r#"{"ImportId":"progress"}"#,
        r#"{"ImportId":"finished"}"#,
        r#"{"ImportId":"recordedDate","timeZone":"Europe/Paris"}"#,
        r#"{"ImportId":"_recordId"}"#,
        r#"{"ImportId":"userLanguage"}"#,
        r#"{"ImportId":"QID1"}"#,
        r#"{"ImportId":"QID1_NPS_GROUP"}"#,
        r#"{"ImportId":"QID2_TEXT"}"#,
        r#"{"ImportId":"Channel"}"#,
        r#"{"ImportId":"Region"}"#,
    ])
    .unwrap();
    for r in rows {
        let d = format!("{:04}-{:02}-{:02} 10:00:00", r.date.0, r.date.1, r.date.2);
        let group = match r.score {
            9..=10 => "3",
            7..=8 => "2",
            _ => "1",
        };
        w.write_record([
            d.as_str(),
            &d,
            "0",
            "100",
            "1",
            &d,
            &r.id,
            "FR",
            &r.score.to_string(),
            group,
            &r.comment,
            r.channel,
            r.region,
        ])
        .unwrap();
    }
    w.into_inner().unwrap()
}

/// French Excel: semicolons, Windows-1252, dd/mm/yyyy, CRLF.
fn french_1252_csv(rows: &[Row]) -> Vec<u8> {
    let mut text = String::from("Identifiant;Date de réponse;Note de recommandation;Commentaire;Canal;Région\r\n");
    for r in rows {
        let comment = if r.comment.contains(';') || r.comment.contains('"') {
            format!("\"{}\"", r.comment.replace('"', "\"\""))
        } else {
            r.comment.clone()
        };
        text.push_str(&format!(
            "{};{:02}/{:02}/{:04};{};{};{};{}\r\n",
            r.id, r.date.2, r.date.1, r.date.0, r.score, comment, r.channel, r.region
        ));
    }
    let (bytes, _, unmappable) = encoding_rs::WINDOWS_1252.encode(&text);
    assert!(!unmappable);
    bytes.into_owned()
}

/// UTF-16 LE with BOM, tab-separated, CRLF (Excel "Unicode text").
fn utf16_tsv(rows: &[Row]) -> Vec<u8> {
    let mut text = String::from("Response ID\tDate\tNPS\tFeedback\tChannel\tRegion\r\n");
    for r in rows {
        text.push_str(&format!(
            "{}\t{:04}-{:02}-{:02}\t{}\t{}\t{}\t{}\r\n",
            r.id, r.date.0, r.date.1, r.date.2, r.score, r.comment, r.channel, r.region
        ));
    }
    let mut out = vec![0xFF, 0xFE];
    for u in text.encode_utf16() {
        out.extend_from_slice(&u.to_le_bytes());
    }
    out
}

/// SurveyMonkey: two header rows, US dates with AM/PM.
fn surveymonkey_csv(rows: &[Row]) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "Respondent ID",
        "Collector ID",
        "Start Date",
        "End Date",
        "How likely is it that you would recommend us to a friend or colleague?",
        "What is the primary reason for your score?",
        "Channel",
        "Region",
    ])
    .unwrap();
    w.write_record(["", "", "", "", "Response", "Open-Ended Response", "Response", "Response"]).unwrap();
    for r in rows {
        let d = format!("{:02}/{:02}/{:04} 03:15:00 PM", r.date.1, r.date.2, r.date.0);
        w.write_record([&r.id, "431", &d, &d, &r.score.to_string(), &r.comment, r.channel, r.region]).unwrap();
    }
    w.into_inner().unwrap()
}

fn ndjson(rows: &[Row]) -> Vec<u8> {
    let mut out = String::new();
    for r in rows {
        let v = serde_json::json!({
            "id": r.id, "created_at": format!("{:04}-{:02}-{:02}T09:30:00Z", r.date.0, r.date.1, r.date.2),
            "score": r.score, "comment": r.comment, "channel": r.channel, "region": r.region,
        });
        out.push_str(&v.to_string());
        out.push('\n');
    }
    out.into_bytes()
}

fn parquet(rows: &[Row]) -> Vec<u8> {
    let mut df = df!(
        "response_id" => rows.iter().map(|r| r.id.clone()).collect::<Vec<_>>(),
        "date" => rows.iter().map(|r| format!("{:04}-{:02}-{:02}", r.date.0, r.date.1, r.date.2)).collect::<Vec<_>>(),
        "nps_score" => rows.iter().map(|r| r.score as i64).collect::<Vec<_>>(),
        "comment" => rows.iter().map(|r| r.comment.clone()).collect::<Vec<_>>(),
        "channel" => rows.iter().map(|r| r.channel).collect::<Vec<_>>(),
        "region" => rows.iter().map(|r| r.region).collect::<Vec<_>>(),
    )
    .unwrap();
    let mut buf = Vec::new();
    ParquetWriter::new(&mut buf).finish(&mut df).unwrap();
    buf
}

fn xlsx(rows: &[Row], path: &std::path::Path) {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    let ws = wb.add_worksheet();
    let date_fmt = Format::new().set_num_format("dd/mm/yyyy");
    for (c, h) in ["Response ID", "Date", "Likelihood to recommend", "Comment", "Channel", "Region"].iter().enumerate()
    {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (i, r) in rows.iter().enumerate() {
        let row = i as u32 + 1;
        ws.write_string(row, 0, &r.id).unwrap();
        let d = ExcelDateTime::from_ymd(r.date.0 as u16, r.date.1 as u8, r.date.2 as u8).unwrap();
        ws.write_datetime_with_format(row, 1, &d, &date_fmt).unwrap();
        ws.write_number(row, 2, r.score as f64).unwrap();
        if !r.comment.is_empty() {
            ws.write_string(row, 3, &r.comment).unwrap();
        }
        ws.write_string(row, 4, r.channel).unwrap();
        ws.write_string(row, 5, r.region).unwrap();
    }
    wb.save(path).unwrap();
}

/// DESIGN.md's done criterion: the same dataset exported as plain CSV, Qualtrics CSV,
/// French semicolon Windows-1252 CSV, .xlsx and Parquet (and more) gives the same NPS.
#[test]
fn every_format_gives_the_same_nps() {
    let rows = survey(240);
    let (n, p, d) = expected(&rows);
    let want_nps = 100.0 * (p as f64 - d as f64) / n as f64;
    let dir = Dir::new();
    let mut files = vec![
        dir.write("plain.csv", plain_csv(&rows)),
        dir.write("qualtrics.csv", qualtrics_csv(&rows)),
        dir.write("french.csv", french_1252_csv(&rows)),
        dir.write("unicode.txt", utf16_tsv(&rows)),
        dir.write("monkey.csv", surveymonkey_csv(&rows)),
        dir.write("typeform.ndjson", ndjson(&rows)),
        dir.write("export.parquet", parquet(&rows)),
    ];
    let x = dir.path("export.xlsx");
    xlsx(&rows, &x);
    files.push(x);
    let mut by_period: Option<DataFrame> = None;
    for f in &files {
        let name = f.file_name().unwrap().to_string_lossy().to_string();
        let out = format!("out-{name}");
        let o = dir.ok(&["nps", f.to_str().unwrap(), "--out", &out]);
        let log = stderr(&o);
        assert!(log.contains("rows read 240 = accepted 240 + rejected 0 + duplicates 0"), "{name}: {log}");
        assert!(log.contains("date     <- '"), "{name}: date detected: {log}");
        let nps = read_parquet(&dir.path(&out).join("nps.parquet"));
        let (gn, gp, _, gd, gnps) = overall(&nps);
        assert_eq!((gn, gp, gd), (n, p, d), "{name}");
        assert!((gnps - want_nps).abs() < 1e-9, "{name}");
        // Same weekly rows too (dates in every layout parse to the same ISO weeks).
        let periods = nps
            .clone()
            .lazy()
            .filter(col("segment").eq(lit("all")).and(col("period").neq(lit("all"))))
            .select([col("period"), col("n"), col("nps")])
            .collect()
            .unwrap();
        assert_eq!(periods.height(), 8, "{name}: 8 ISO weeks");
        match &by_period {
            None => by_period = Some(periods),
            Some(first) => assert!(first.equals_missing(&periods), "{name}: weekly NPS differs"),
        }
        // Segment values keep their accents.
        let regions = nps.column("value").unwrap().str().unwrap().iter().flatten().any(|v| v == "Île-de-France");
        assert!(regions, "{name}: accented segment value preserved");
    }
}

#[test]
fn qualtrics_prefers_the_score_over_its_nps_group_column() {
    let rows = survey(40);
    let dir = Dir::new();
    let f = dir.write("q.csv", qualtrics_csv(&rows));
    let o = dir.ok(&["nps", f.to_str().unwrap()]);
    let log = stderr(&o);
    assert!(log.contains("score    <- 'Q1' ("), "{log}");
    assert!(log.contains("comment  <- 'Q2' ("), "{log}");
    assert!(log.contains("id       <- 'ResponseId'"), "{log}");
    assert!(log.contains("qualtrics layout (3 header rows)"), "{log}");
}

#[test]
fn empty_file_is_a_clear_error() {
    let dir = Dir::new();
    dir.write("empty.csv", "");
    let o = dir.run(&["nps", "empty.csv"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("empty.csv") && stderr(&o).contains("empty"), "{}", stderr(&o));
}

#[test]
fn header_only_is_a_clear_error() {
    let dir = Dir::new();
    dir.write("h.csv", "id,score,comment\n");
    let o = dir.run(&["nps", "h.csv"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("no responses"), "{}", stderr(&o));
}

#[test]
fn no_score_column_exits_2_with_candidates() {
    let dir = Dir::new();
    dir.write("n.csv", "id,rating_text,age\n1,great,34\n2,bad,51\n3,ok,12\n");
    let o = dir.run(&["nps", "n.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("no score column found") && e.contains("--score-col"), "{e}");
    assert!(e.contains("'age'") || e.contains("'id'"), "candidates listed: {e}");
}

/// A column named score is the score even when most of its values are unusable: those
/// rows are rejected with their reason, and the run warns loudly (also under --quiet).
#[test]
fn a_column_named_score_is_taken_even_when_most_values_are_invalid() {
    let dir = Dir::new();
    dir.write(
        "s.csv",
        "id,Score,Comment\n1,N/A,pas répondu\n2,dix,en lettres\n3,11,trop\n4,7.5,demi\n5,,vide\n\
         6,9,top\n7,3,nul\n8,n/a,?\n",
    );
    let o = dir.ok(&["nps", "s.csv", "--out", "o", "--quiet"]);
    let e = stderr(&o);
    assert!(e.contains("warning: 6 of 8 rows (75%) were rejected") && e.contains("'Score'"), "{e}");
    let rejects = std::fs::read_to_string(dir.path("o/rejects.csv")).unwrap();
    assert_eq!(rejects.lines().count(), 1 + 6, "{rejects}");
    for value in ["'N/A'", "'dix'", "'11'", "'7.5'"] {
        assert!(rejects.contains(value), "{value} rejected with its reason: {rejects}");
    }
    let run: serde_json::Value = serde_json::from_slice(&std::fs::read(dir.path("o/run.json")).unwrap()).unwrap();
    assert_eq!(run["counts"]["accepted"], 2);
    assert!(run["warnings"][0].as_str().unwrap().contains("rejected"), "{run}");
    assert!(
        run["inputs"][0]["mapping"]["score"]["reason"].as_str().unwrap().contains("its name says 'score'"),
        "{run}"
    );
}

#[test]
fn scores_as_labels_only_are_explained() {
    let dir = Dir::new();
    dir.write("l.csv", "id,NPS Category,comment\n1,Promoter,great\n2,Detractor,bad\n3,Passive,ok\n");
    let o = dir.run(&["nps", "l.csv"]);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    assert!(e.contains("'NPS Category'") && e.contains("labels"), "{e}");
    // The flag fixes nothing here, but an explicit wrong column name is named too.
    let o = dir.run(&["nps", "l.csv", "--score-col", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--score-col 'nope' is not a column"), "{}", stderr(&o));
}

#[test]
fn bad_rows_go_to_rejects_and_counts_reconcile() {
    let dir = Dir::new();
    let text = "id,date,score,comment\n\
                1,2026-01-05,9,bien\n\
                2,2026-01-05,N/A,pas de note\n\
                3,2026-01-05,dix,en lettres\n\
                4,2026-01-06,7.5,demi-point\n\
                5,2026-01-06,11,trop haut\n\
                6,2026-01-06,,sans note\n\
                7,2026-01-07,3,\"une virgule, dans un champ cité\"\n\
                8,2026-01-07,2,trop,de,champs\n\
                9,pas une date,8,date illisible\n\
                =HYPERLINK(1),2026-01-08,=1+1,formule\n\
                1,2026-01-09,10,resoumis\n\
                11,2026-01-09,9,a\n12,2026-01-09,9,b\n13,2026-01-09,8,c\n\
                14,2026-01-09,7,d\n15,2026-01-09,0,e\n16,2026-01-09,10,f\n";
    dir.write("bad.csv", text);
    let o = dir.ok(&["nps", "bad.csv", "--out", "o"]);
    let e = stderr(&o);
    assert!(e.contains("rows read 17 = accepted 8 + rejected 8 + duplicates 1"), "{e}");
    let rejects = std::fs::read_to_string(dir.path("o/rejects.csv")).unwrap();
    let mut r = csv::Reader::from_reader(rejects.as_bytes());
    let recs: Vec<csv::StringRecord> = r.records().map(Result::unwrap).collect();
    assert_eq!(recs.len(), 8);
    let reasons: Vec<&str> = recs.iter().map(|r| &r[2]).collect();
    assert!(reasons.iter().any(|r| r.contains("'N/A' is not a number")));
    assert!(reasons.iter().any(|r| r.contains("'dix' is not a number")));
    assert!(reasons.iter().any(|r| r.contains("'7.5' is not a whole number")));
    assert!(reasons.iter().any(|r| r.contains("'11' is outside 0-10")));
    assert!(reasons.iter().any(|r| r.contains("missing score")));
    assert!(reasons.iter().any(|r| r.contains("has 6 fields but the header has 4")));
    assert!(reasons.iter().any(|r| r.contains("'pas une date' is not a date")));
    // Source file and row are named; the raw row is kept, formula-neutralised.
    let n_a = recs.iter().find(|r| r[2].contains("N/A")).unwrap();
    assert!(n_a[0].ends_with("bad.csv") && &n_a[1] == "3", "{n_a:?}");
    assert!(rejects.contains("'=HYPERLINK(1),2026-01-08,=1+1,formule"), "formula neutralised: {rejects}");
    // The later submission of id 1 won (10, not 9).
    let (n, p, _, d, _) = overall(&read_parquet(&dir.path("o/nps.parquet")));
    assert_eq!((n, p, d), (8, 4, 2));
    // --strict: outputs written, exit code 3.
    let o = dir.run(&["nps", "bad.csv", "--out", "o2", "--strict"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(dir.path("o2/nps.parquet").is_file());
}

#[test]
fn rejects_csv_has_a_header_when_nothing_is_rejected() {
    let dir = Dir::new();
    dir.write("ok.csv", "score,comment\n9,a\n");
    dir.ok(&["nps", "ok.csv", "--out", "o"]);
    assert_eq!(std::fs::read_to_string(dir.path("o/rejects.csv")).unwrap(), "source_file,row,reason,raw_row,scope\n");
    let run: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path("o/run.json")).unwrap()).unwrap();
    assert_eq!(run["inputs"][0]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(run["counts"]["accepted"], 1);
    assert_eq!(run["inputs"][0]["mapping"]["score"]["column"], "score");
}

#[test]
fn quoted_newlines_crlf_and_a_megabyte_comment() {
    let dir = Dir::new();
    let long = "très long commentaire ".repeat(50_000); // ~1.1 MB
    let text = format!(
        "id,score,comment\r\n1,9,\"première ligne\r\ndeuxième ligne\"\r\n2,3,\"{long}\"\r\n3,8,\"il a dit \"\"bof\"\"\"\r\n"
    );
    dir.write("q.csv", text);
    let o = dir.ok(&["nps", "q.csv"]);
    assert!(stderr(&o).contains("rows read 3 = accepted 3 + rejected 0"), "{}", stderr(&o));
}

#[test]
fn failed_run_leaves_previous_outputs_untouched() {
    let dir = Dir::new();
    dir.write("good.csv", "score,comment\n9,a\n3,b\n");
    dir.write("bad.csv", "comment\nno score here\n");
    dir.ok(&["nps", "good.csv", "--out", "o"]);
    let before = std::fs::read(dir.path("o/nps.parquet")).unwrap();
    let o = dir.run(&["nps", "bad.csv", "--out", "o"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(std::fs::read(dir.path("o/nps.parquet")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(dir.path("o")).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers.len(), 3, "no temporary files left: {leftovers:?}");
}

#[test]
fn several_inputs_later_file_wins_on_duplicate_ids() {
    let dir = Dir::new();
    dir.write("w1.csv", "id,score\nA,0\nB,9\n");
    dir.write("w2.csv", "id,score\nA,10\nC,7\n");
    let o = dir.ok(&["nps", "w1.csv", "w2.csv", "--out", "o"]);
    assert!(stderr(&o).contains("rows read 4 = accepted 3 + rejected 0 + duplicates 1"), "{}", stderr(&o));
    let (n, p, pa, d, nps) = overall(&read_parquet(&dir.path("o/nps.parquet")));
    assert_eq!((n, p, pa, d), (3, 2, 1, 0));
    assert!((nps - 200.0 / 3.0).abs() < 1e-9);
}

#[test]
fn overrides_win_over_detection() {
    let dir = Dir::new();
    dir.write("o.csv", "note_a,note_b,pays\n9,1,FR\n10,2,UK\n0,10,FR\n");
    let o = dir.ok(&["nps", "o.csv", "--score-col", "note_b", "--segment-col", "pays"]);
    let log = stderr(&o);
    assert!(log.contains("score    <- 'note_b' (--score-col)"), "{log}");
    assert!(log.contains("segment  <- 'pays' (--segment-col)"), "{log}");
    assert!(stdout(&o).contains("pays"), "{}", stdout(&o));
}

/// Every input the fuzzing harness (tests/fuzz.rs) found crashing, hanging or aborting a
/// reader, through the binary: a clear error naming the file (or a run), never a panic, an
/// abort or a hang.
#[test]
fn fuzz_fixtures_end_in_clear_errors() {
    let dir = Dir::new();
    let fixtures = repo().join("tests/fixtures/fuzz");
    let mut seen = 0;
    for entry in std::fs::read_dir(&fixtures).expect("tests/fixtures/fuzz") {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        let ext = match name.split('-').next().unwrap() {
            "csv" | "columns" | "header" => "csv",
            "ndjson" => "ndjson",
            "xlsx" => "xlsx",
            "parquet" => "parquet",
            _ => continue,
        };
        let file = format!("{}.{ext}", name.trim_end_matches(".bin"));
        std::fs::copy(fixtures.join(&name), dir.path(&file)).unwrap();
        let started = std::time::Instant::now();
        let o = dir.run(&["nps", &file, "--out", "o"]);
        let e = stderr(&o);
        assert!(matches!(o.status.code(), Some(0 | 2)), "{name}: exit {:?}\n{e}", o.status);
        assert!(!e.contains("panicked"), "{name}: {e}");
        assert!(o.status.success() || e.contains(&file), "{name}: the error names the file: {e}");
        assert!(started.elapsed().as_secs() < 30, "{name}: {:?}", started.elapsed());
        seen += 1;
    }
    assert!(seen >= 10, "{seen} fixtures");
    // What each kind of hostile file is told.
    let err = |file: &str| {
        let p = dir.path(file);
        let o = dir.run(&["nps", p.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{file}: {}", stderr(&o));
        stderr(&o)
    };
    assert!(err("csv-ba7b2906154ad9e2.csv").contains("the first rows have 50001 columns"));
    assert!(err("columns-04b49619d3559b16.csv").contains("more than a spreadsheet holds (16384)"));
    assert!(err("ndjson-f85a566d2bccce74.ndjson").contains("distinct keys"));
    assert!(err("parquet-ffe55725e0ba7aff.parquet").contains("is not a valid Parquet file"));
    assert!(err("parquet-01dcc216fd01bc5b.parquet").contains("the Parquet reader failed"));
    assert!(err("xlsx-f118f047f716b90d.xlsx").contains("shared strings table claims"));
    // Under the column cap, short rows under a wide header meet the cell limit instead.
    let mut wide = "a,".repeat(16_000);
    wide.push('\n');
    wide.push_str(&"x\n".repeat(500_000));
    dir.write("wide.csv", wide);
    assert!(err("wide.csv").contains("cells, far more than the file holds"));
    // Two cells at the corners of Excel's grid: read as 16,384 columns, not 17 billion cells.
    let o = dir.run(&["nps", "xlsx-026438a1502748a1.xlsx", "--out", "corners"]);
    assert!(stderr(&o).contains("rows read 2"), "{}", stderr(&o));
}
