//! Probe variants end to end: the real binary against scripted servers that behave in known ways
//! (always picks A; ignores the image; answers from the image), with the reports checked against
//! what those behaviours imply.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::{assert_success, medeval, runtime, snapshot, stdout, success_json};
use medeval_mockserver::{MockServer, Reply};
use serde_json::{Value, json};

/// Runs the items against the server and returns the run id (the JSON summary's `run`).
fn run(items: &Path, url: &str, store: &Path, extra: &[&str]) -> Value {
    run_model(items, url, store, "mock-model", extra)
}

/// [`run`] with a model name of the caller's choice (a run is identified by its model).
fn run_model(items: &Path, url: &str, store: &Path, model: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        url,
        "--model",
        model,
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ];
    args.extend_from_slice(extra);
    success_json(&medeval(&args))
}

fn probe(store: &Path, runs: &[&str]) -> Value {
    let mut args = vec!["probe"];
    args.extend_from_slice(runs);
    args.extend_from_slice(&["--store", store.to_str().unwrap(), "--json"]);
    success_json(&medeval(&args))
}

#[test]
fn option_permutation_exposes_a_model_that_always_answers_a() {
    let rt = runtime();
    let server = rt
        .block_on(MockServer::builder().rule(|_| Reply::text("A")).start())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("mcq.jsonl");
    // Eight 4-option items; gold letters A, B, C, D, A, B, C, D; one closed item that the
    // permutation must leave out.
    let mut lines: Vec<String> = (0..8)
        .map(|i| {
            let gold = ["A", "B", "C", "D"][i % 4];
            json!({"id": format!("m{i}"), "question": format!("Question {i}?"),
                   "options": {"A": "alpha", "B": "beta", "C": "gamma", "D": "delta"},
                   "answer": gold})
            .to_string()
        })
        .collect();
    lines.push(json!({"id": "c", "question": "Yes?", "answer": "yes"}).to_string());
    std::fs::write(&items, lines.join("\n")).unwrap();
    let store = dir.path().join("runs.db");

    let circular = run(&items, &server.url(), &store, &["--variant", "circular"]);
    assert_eq!(circular["n"], 32, "8 items x 4 shifts");
    let report = probe(&store, &[circular["run"].as_str().unwrap()]);
    assert_eq!(report["probe"], "permutation");
    assert_eq!(report["items"], 8);
    // Always "A": right exactly when the gold option sits at A, which each item's gold does
    // under exactly one of its four shifts.
    assert_eq!(report["mean_accuracy"], 0.25);
    assert_eq!(report["circular_accuracy"], 0.0);
    assert_eq!(report["original_order_accuracy"], 0.25);
    // Always the same letter means a different option text under every shift.
    assert_eq!(report["consistency_rate"], 0.0);
    let bias = report["position_bias"].as_array().unwrap();
    assert_eq!(bias[0]["letter"], "A");
    assert_eq!(bias[0]["chosen_share"], 1.0);
    assert_eq!(bias[0]["gold_share"], 0.25);
    assert_eq!(bias[1]["chosen"], 0);
}

/// A uniform grey PNG.
fn grey_png(path: &Path, level: u8) {
    image::GrayImage::from_pixel(32, 32, image::Luma([level]))
        .save(path)
        .unwrap();
}

/// Mean grey level of the first image in a chat request, if any.
fn image_brightness(body: &Value) -> Option<f64> {
    let parts = body["messages"].as_array()?.last()?["content"].as_array()?;
    let url = parts.iter().find(|p| p["type"] == "image_url")?["image_url"]["url"].as_str()?;
    let (_, data) = url.split_once(',')?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .ok()?;
    let image = image::load_from_memory(&bytes).ok()?.to_luma8();
    let sum: f64 = image.pixels().map(|p| f64::from(p.0[0])).sum();
    Some(sum / f64::from(image.width() * image.height()))
}

/// Ten closed items "Is the image bright?": even ones bright (gold yes), odd ones dark (gold no).
/// Each item has its own image (its own cluster).
fn brightness_items(dir: &Path) -> PathBuf {
    let mut lines = Vec::new();
    for i in 0..10 {
        let bright = i % 2 == 0;
        grey_png(
            &dir.join(format!("img{i}.png")),
            if bright { 220 } else { 20 },
        );
        lines.push(
            json!({"id": format!("b{i}"), "question": "Is the image bright?",
                   "images": [format!("img{i}.png")], "answer": if bright { "yes" } else { "no" },
                   "cluster": format!("img{i}")})
            .to_string(),
        );
    }
    let path = dir.join("bright.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

#[test]
fn image_ablation_measures_what_the_image_brings() {
    let rt = runtime();
    // Answers from the image: bright -> yes, dark -> no, no image -> cannot tell.
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|req| match image_brightness(&req.body) {
                    Some(mean) if mean > 127.5 => Reply::text("Yes."),
                    Some(_) => Reply::text("No."),
                    None => Reply::text("There is no image to look at."),
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = brightness_items(dir.path());
    let store = dir.path().join("runs.db");
    let clean = run(&items, &server.url(), &store, &[]);
    assert_eq!(clean["accuracy"], 1.0);
    let clean_id = clean["run"].as_str().unwrap().to_owned();
    let variants = run(
        &items,
        &server.url(),
        &store,
        &[
            "--variant",
            "no-image,blank-image,mismatched-image",
            "--variant-seed",
            "4",
        ],
    );
    let variants = variants.as_array().unwrap();
    assert_eq!(variants.len(), 3);

    // No image: nothing can be answered, so the whole accuracy is the image's.
    let no_image = probe(&store, &[&clean_id, variants[0]["run"].as_str().unwrap()]);
    assert_eq!(no_image["probe"], "image-ablation");
    assert_eq!(no_image["comparison"]["n_paired"], 10);
    assert_eq!(no_image["comparison"]["acc_b"], 0.0);
    assert_eq!(no_image["comparison"]["diff"], 1.0);
    assert_eq!(no_image["comparison"]["b"], 10);
    assert_eq!(no_image["correct_without_image"], 0.0);
    // McNemar exact with b = 10, c = 0: p = 2 / 2^10.
    let p = no_image["comparison"]["mcnemar_p"].as_f64().unwrap();
    assert!((p - 2.0 / 1024.0).abs() < 1e-12, "{p}");

    // Blank (black) images look dark: the five "no" items stay right, the five "yes" items fail.
    let blank = probe(&store, &[&clean_id, variants[1]["run"].as_str().unwrap()]);
    assert_eq!(blank["comparison"]["acc_b"], 0.5);
    assert_eq!(blank["still_correct"], 0.5);

    // Mismatched: right exactly when the donor image has the item's own brightness.
    let store_runs = success_json(&medeval(&[
        "show",
        variants[2]["run"].as_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(store_runs["n"], 10);
    let conn = rusqlite::Connection::open(&store).unwrap();
    let mut select = conn
        .prepare("SELECT i.record, s.outcome FROM items i JOIN samples s ON s.run_id = i.run_id AND s.item_id = i.item_id WHERE i.run_id = ?1")
        .unwrap();
    let rows: Vec<(String, String)> = select
        .query_map([variants[2]["run"].as_str().unwrap()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap()
        .map(Result::unwrap)
        .collect();
    let mut expected_right = 0;
    for (record, outcome) in &rows {
        let record: Value = serde_json::from_str(record).unwrap();
        let own: usize = record["id"].as_str().unwrap()[1..2].parse().unwrap();
        let donor: usize = record["meta"]["variant_param"].as_str().unwrap()[1..]
            .parse()
            .unwrap();
        let right = own % 2 == donor % 2;
        expected_right += usize::from(right);
        assert_eq!(outcome == "correct", right, "{record}");
    }
    let mismatched = probe(&store, &[&clean_id, variants[2]["run"].as_str().unwrap()]);
    assert_eq!(
        mismatched["comparison"]["acc_b"],
        expected_right as f64 / 10.0
    );
}

#[test]
fn corruption_accuracy_follows_severity() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|req| match image_brightness(&req.body) {
                    Some(mean) if mean > 127.5 => Reply::text("Yes."),
                    _ => Reply::text("No."),
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = brightness_items(dir.path());
    let store = dir.path().join("runs.db");
    let clean = run(&items, &server.url(), &store, &[]);
    let corrupted = run(
        &items,
        &server.url(),
        &store,
        &["--variant", "corrupt:brightness@1..5"],
    );
    assert_eq!(corrupted["n"], 50);
    let report = probe(
        &store,
        &[
            clean["run"].as_str().unwrap(),
            corrupted["run"].as_str().unwrap(),
        ],
    );
    assert_eq!(report["probe"], "corruption");
    // Dark images are 20/255 = 0.078; brightness adds 0.1 ... 0.5. They read as bright (mean
    // above 127.5/255) only at severity 5 (0.578), so the five "no" items fail only there.
    let accuracies: Vec<f64> = report["levels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["accuracy"].as_f64().unwrap())
        .collect();
    assert_eq!(accuracies, [1.0, 1.0, 1.0, 1.0, 0.5]);
    assert_eq!(report["clean"]["accuracy"], 1.0);
    assert_eq!(report["levels"][4]["drop"], 0.5);
    assert_eq!(report["levels"][4]["relative"], 0.5);

    // Re-running the same variant is the same run: nothing is requested again.
    let before = server.chat_requests().len();
    let again = run(
        &items,
        &server.url(),
        &store,
        &["--variant", "corrupt:brightness@1..5"],
    );
    assert_eq!(again["run"], corrupted["run"]);
    assert_eq!(server.chat_requests().len(), before);
}

#[test]
fn a_model_that_ignores_the_image_gains_nothing_from_it() {
    let rt = runtime();
    // Answers from the question's own id, whatever the image: even ids yes, odd ids no.
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|req| {
                    let even = req.prompt.contains("[even]");
                    Reply::text(if even { "Yes." } else { "No." })
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..6 {
        grey_png(&dir.path().join(format!("img{i}.png")), 100);
        let even = i % 2 == 0;
        // The id in the question keeps the image-less requests distinct: identical requests
        // would share one cached response, and the server would see fewer than six.
        lines.push(
            json!({"id": format!("q{i}"), "question": format!("[{}] Is there an effusion in image {i}?", if even { "even" } else { "odd" }),
                   "images": [format!("img{i}.png")], "answer": if even { "yes" } else { "no" }})
            .to_string(),
        );
    }
    let items = dir.path().join("items.jsonl");
    std::fs::write(&items, lines.join("\n")).unwrap();
    let store = dir.path().join("runs.db");
    let clean = run(&items, &server.url(), &store, &[]);
    let ablated = run(&items, &server.url(), &store, &["--variant", "no-image"]);
    let report = probe(
        &store,
        &[
            clean["run"].as_str().unwrap(),
            ablated["run"].as_str().unwrap(),
        ],
    );
    assert_eq!(report["comparison"]["acc_a"], 1.0);
    assert_eq!(report["comparison"]["acc_b"], 1.0);
    assert_eq!(report["comparison"]["diff"], 0.0);
    assert_eq!(report["comparison"]["mcnemar_p"], 1.0);
    assert_eq!(report["correct_without_image"], 1.0);
    assert_eq!(report["still_correct"], 1.0);
    // The run says which variant it is.
    let shown = medeval(&[
        "show",
        ablated["run"].as_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
    ]);
    assert_success(&shown);
    assert!(stdout(&shown).contains("variant no-image"));
    // The variant requests really carried no image.
    let without: Vec<_> = server.chat_requests().into_iter().skip(6).collect();
    assert_eq!(without.len(), 6);
    assert!(
        without
            .iter()
            .all(|r| !String::from_utf8_lossy(&r.body).contains("image_url"))
    );
}

/// The text of the last user message of a chat request.
fn prompt_text(body: &Value) -> String {
    let content = &body["messages"].as_array().unwrap().last().unwrap()["content"];
    match content.as_array() {
        Some(parts) => parts
            .iter()
            .filter_map(|p| p["text"].as_str())
            .collect::<Vec<_>>()
            .join("\n"),
        None => content.as_str().unwrap_or_default().to_owned(),
    }
}

#[test]
fn sanity_benchmarks_count_false_alarms_on_controls() {
    let dicom = common::manifest_dir().join("../medeval-sanity/tests/fixtures/dicom");
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("sanity.jsonl");
    let built = success_json(&medeval(&[
        "sanity",
        "build",
        "--dicom-dir",
        dicom.to_str().unwrap(),
        "--out",
        items.to_str().unwrap(),
        "--tasks",
        "flip,rotation",
        "--json",
    ]));
    // Six usable images (pydicom fixtures): each gives an altered item and a control per task,
    // except where the transform changes nothing: mirroring us/rgb.dcm leaves it as it is, so
    // flip has five of each and rotation six: 10 + 12 items.
    assert_eq!(built["images"], 6);
    assert_eq!(built["items"], 22);
    assert_eq!(built["skipped"].as_array().unwrap().len(), 3);
    let task_skips = built["task_skips"].as_array().unwrap();
    assert_eq!(task_skips.len(), 1, "{task_skips:?}");
    assert_eq!(
        (&task_skips[0]["path"], &task_skips[0]["task"]),
        (&json!("us/rgb.dcm"), &json!("flip"))
    );
    let altered = |task: &Value| if task["task"] == "flip" { 5 } else { 6 };

    let rt = runtime();
    // Never sees an alteration: "no" to the flip question, "A" (not rotated) to the rotation one.
    let blind = rt
        .block_on(
            MockServer::builder()
                .rule(|req| match prompt_text(&req.body).contains("mirrored") {
                    true => Reply::text("No."),
                    false => Reply::text("A"),
                })
                .start(),
        )
        .unwrap();
    // Always sees one: "yes", and "B" (rotated clockwise).
    let alarmist = rt
        .block_on(
            MockServer::builder()
                .models(&["alarmist"])
                .rule(|req| match prompt_text(&req.body).contains("mirrored") {
                    true => Reply::text("Yes."),
                    false => Reply::text("B"),
                })
                .start(),
        )
        .unwrap();
    let store = dir.path().join("runs.db");
    let quiet = run(&items, &blind.url(), &store, &[]);
    let loud = run_model(&items, &alarmist.url(), &store, "alarmist", &[]);

    let report = probe(&store, &[quiet["run"].as_str().unwrap()]);
    assert_eq!(report["probe"], "sanity");
    for task in report["tasks"].as_array().unwrap() {
        let n = altered(task);
        assert_eq!(task["n"], n);
        assert_eq!(task["accuracy"], 0.0);
        assert_eq!(task["controls"], n);
        assert_eq!(task["false_alarms"], 0);
        assert_eq!(task["false_alarm_rate"], 0.0);
        // No false alarm in n controls: the rule of three bounds the rate by 3/n (3/6 = 0.5 for
        // rotation, 3/5 = 0.6 for flip).
        assert_eq!(task["false_alarm_upper"], 3.0 / f64::from(n));
    }

    let report = probe(&store, &[loud["run"].as_str().unwrap()]);
    let tasks = report["tasks"].as_array().unwrap();
    let flip = tasks.iter().find(|t| t["task"] == "flip").unwrap();
    assert_eq!(flip["accuracy"], 1.0);
    assert_eq!(flip["false_alarms"], 5);
    assert_eq!(flip["false_alarm_rate"], 1.0);
    // Every control a false alarm: the one-sided 95% Clopper-Pearson upper limit is 1.
    assert_eq!(flip["false_alarm_upper"], 1.0);
    let rotation = tasks.iter().find(|t| t["task"] == "rotation").unwrap();
    assert_eq!(rotation["false_alarms"], 6);
    // "B" is right only where the seeded rotation was 90 degrees clockwise.
    let expected = std::fs::read_to_string(&items)
        .unwrap()
        .lines()
        .filter(|l| l.contains("\"rotate-90-clockwise\""))
        .count() as f64
        / 6.0;
    assert_eq!(rotation["accuracy"], expected);
}

/// What a user reads from `medeval probe CLEAN VARIANT` in a terminal, for a blank-image run.
///
/// The ten brightness items against a server answering from the image: the clean run gets all
/// ten right. Blank (black) images look dark, so the five "no" items stay right and the five
/// "yes" items turn wrong. By hand: clean 100.0%, blank 50.0%, gain +50.0 points; discordant
/// pairs b = 5 (right only with the image), c = 0; exact McNemar p = 2 · 0.5⁵ = 0.0625; right
/// without the image 5 of 10, and of the ten right with it, 5 still right: 50.0% both.
#[test]
fn an_image_ablation_report_reads_well_in_a_terminal() {
    let rt = runtime();
    let server = rt
        .block_on(
            MockServer::builder()
                .rule(|req| match image_brightness(&req.body) {
                    Some(mean) if mean > 127.5 => Reply::text("Yes."),
                    _ => Reply::text("No."),
                })
                .start(),
        )
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = brightness_items(dir.path());
    let store = dir.path().join("runs.db");
    let clean = run(&items, &server.url(), &store, &[]);
    let blank = run(&items, &server.url(), &store, &["--variant", "blank-image"]);
    let (clean, blank) = (
        clean["run"].as_str().unwrap(),
        blank["run"].as_str().unwrap(),
    );

    let report = probe(&store, &[clean, blank]);
    assert_eq!(report["comparison"]["acc_a"], 1.0);
    assert_eq!(report["comparison"]["acc_b"], 0.5);
    assert_eq!(report["comparison"]["diff"], 0.5);
    assert_eq!(report["comparison"]["b"], 5);
    assert_eq!(report["comparison"]["c"], 0);
    assert_eq!(report["comparison"]["mcnemar_p"], 0.0625);
    assert_eq!(report["correct_without_image"], 0.5);
    assert_eq!(report["still_correct"], 0.5);

    let table = medeval(&["probe", clean, blank, "--store", store.to_str().unwrap()]);
    assert_success(&table);
    let text = stdout(&table);
    for figure in ["100.0%", "50.0%", "+50.0 pts", "0.062", "5 / 0"] {
        assert!(text.contains(figure), "{figure} not in\n{text}");
    }
    snapshot!("probe_blank_image_terminal", text);
}
