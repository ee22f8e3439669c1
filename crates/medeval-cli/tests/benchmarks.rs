//! `medeval bench` and `medeval run --bench` as a user runs them: the real binary over the card
//! fixtures of `medeval-data` (the upstream layouts, built by `bench/fixtures/make_fixtures.py`)
//! against the scripted OpenAI-compatible server on loopback.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};

use base64::Engine as _;
use common::{assert_success, json, medeval, runtime, snapshot, stderr, stdout};
use medeval_mockserver::{MockServer, Reply};
use serde_json::Value;

/// The folder holding one fixture folder per card, named like the card: a `--data-root`.
fn fixtures() -> PathBuf {
    common::manifest_dir().join("../medeval-data/tests/fixtures")
}

/// The fixture question tag a prompt carries (`[vr0]`).
fn tag_of(prompt: &str) -> &str {
    prompt
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map_or("", |(tag, _)| tag)
}

/// Answers by fixture tag: right everywhere except VQA-RAD's `[vr3]` (CT, answered MRI) and
/// SLAKE's `[sl1]` (Lung, answered Liver).
fn answer(prompt: &str) -> Reply {
    let text = match tag_of(prompt) {
        "vr0" => "Yes.",
        "vr1" => "Left",
        "vr2" => "No",
        "vr3" => "MRI",
        "sl0" => "No",
        "sl1" => "Liver",
        "sl2" => "The liver",
        "sl3" => "是",
        "sl4" => "CT",
        "mm0" | "mm1" => "B",
        "mm2" => "75",
        "mm3" => "A",
        "mm4" => "C",
        "mq0" => "D",
        "mq1" => "A",
        "mf0" => "B",
        "mf1" => "A",
        _ => "I do not know.",
    };
    Reply::text(text)
}

fn start_server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(
        MockServer::builder()
            .models(&["qwen2.5-vl-7b"])
            .rule(|req| answer(&req.prompt))
            .start(),
    )
    .unwrap()
}

fn manifests(store: &Path) -> Vec<Value> {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut select = conn
        .prepare("SELECT manifest FROM runs ORDER BY created_at, rowid")
        .unwrap();
    select
        .query_map([], |row| row.get::<_, String>(0))
        .unwrap()
        .map(|text| serde_json::from_str(&text.unwrap()).unwrap())
        .collect()
}

#[test]
fn one_command_runs_several_benchmarks_one_run_each() {
    let rt = runtime();
    let server = start_server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let output = medeval(&[
        "run",
        "--bench",
        "vqa-rad,slake,mmmu-med",
        "--data-root",
        fixtures().to_str().unwrap(),
        "--allow-row-count-mismatch",
        "--endpoint",
        &server.url(),
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--by",
        "answer_type",
        "--by",
        "q_lang",
        "--json",
        "--no-progress",
    ]);
    assert_success(&output);
    let runs = json(&output);
    let runs = runs.as_array().unwrap();
    let names: Vec<&str> = runs
        .iter()
        .map(|r| r["benchmark"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["vqa-rad", "slake", "mmmu-med"]);

    let vqa_rad = &runs[0];
    assert_eq!(vqa_rad["n"], 4);
    assert_eq!(vqa_rad["accuracy"], 0.75);
    assert_eq!(vqa_rad["counts"]["correct"], 3);
    assert_eq!(vqa_rad["counts"]["wrong"], 1);
    assert_eq!(vqa_rad["groups"]["answer_type"]["closed"]["n"], 2);
    assert_eq!(vqa_rad["groups"]["answer_type"]["closed"]["accuracy"], 1.0);
    assert_eq!(vqa_rad["groups"]["answer_type"]["open"]["accuracy"], 0.5);
    // SLAKE is English by default: three items, the Chinese ones are not run.
    let slake = &runs[1];
    assert_eq!(slake["n"], 3);
    assert_eq!(slake["groups"]["q_lang"]["en"]["n"], 3);
    assert_eq!(slake["counts"]["correct"], 2);
    assert_eq!(runs[2]["n"], 5);
    assert_eq!(runs[2]["accuracy"], 1.0);
    let run_ids: Vec<&str> = runs.iter().map(|r| r["run"].as_str().unwrap()).collect();
    assert_eq!(
        run_ids
            .iter()
            .collect::<std::collections::HashSet<_>>()
            .len(),
        3
    );
    assert_eq!(server.chat_requests().len(), 4 + 3 + 5);

    // Each manifest records the card, its hash, the split, every file's hash and the row check.
    let manifests = manifests(&store);
    assert_eq!(manifests.len(), 3);
    let card = &manifests[0]["items"]["card"];
    assert_eq!(card["name"], "vqa-rad");
    assert_eq!(card["origin"], "built-in");
    assert_eq!(card["split"], "test");
    assert_eq!(card["layout"], "parquet");
    assert_eq!(card["rows"], 4);
    assert_eq!(card["expected_rows"], 451);
    assert_eq!(card["row_count_mismatch_allowed"], true);
    assert_eq!(card["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(
        card["files"][0]["path"],
        "data/test-00000-of-00001-a1b2c3.parquet"
    );
    let parquet =
        std::fs::read(fixtures().join("vqa-rad/data/test-00000-of-00001-a1b2c3.parquet")).unwrap();
    assert_eq!(
        card["files"][0]["sha256"],
        medeval_core::digest::sha256_hex(&parquet)
    );
    assert_eq!(manifests[1]["items"]["card"]["selections"]["lang"], "en");

    // The same command again continues the three runs and requests nothing.
    let again = medeval(&[
        "run",
        "--bench",
        "vqa-rad,slake,mmmu-med",
        "--data-root",
        fixtures().to_str().unwrap(),
        "--allow-row-count-mismatch",
        "--endpoint",
        &server.url(),
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]);
    assert_success(&again);
    let again_ids: Vec<String> = json(&again)
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["run"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(again_ids, run_ids);
    assert_eq!(server.chat_requests().len(), 12);

    // `show --by question_type` reads the card's metadata from the store.
    let shown = json(&medeval(&[
        "show",
        run_ids[2],
        "--store",
        store.to_str().unwrap(),
        "--by",
        "subject",
        "--json",
    ]));
    assert_eq!(shown["groups"]["subject"]["Pharmacy"]["n"], 1);
}

#[test]
fn a_split_with_another_row_count_is_refused_before_any_request() {
    let rt = runtime();
    let server = start_server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let output = medeval(&[
        "run",
        "--bench",
        "medqa,vqa-rad",
        "--data-root",
        fixtures().to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output).trim_end(),
        "error: medqa: the evaluation split has 2 rows where the card expects 1273; a partial \
         download, another release, or a training split mixed in? Pass \
         --allow-row-count-mismatch to run anyway (the manifest records it)."
    );
    assert!(server.chat_requests().is_empty());
    assert!(!store.exists(), "nothing is stored for a refused run");

    // A user card pinning the folder's count runs without the flag, and says so.
    let text = std::fs::read_to_string(fixtures().join("../../cards/medqa.toml"))
        .unwrap()
        .replace("name = \"medqa\"", "name = \"my-medqa\"")
        .replace("expected_rows = 1273", "expected_rows = 2");
    let card = dir.path().join("my-medqa.toml");
    std::fs::write(&card, &text).unwrap();
    let output = medeval(&[
        "run",
        "--card",
        card.to_str().unwrap(),
        "--data",
        fixtures().join("medqa").to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]);
    assert_success(&output);
    assert!(
        stderr(&output)
            .contains("my-medqa: 2 rows, as the card expects; split test; 1 file(s) hashed"),
        "{}",
        stderr(&output)
    );
    let runs = json(&output);
    assert_eq!(runs[0]["benchmark"], "my-medqa");
    assert_eq!(runs[0]["accuracy"], 1.0);
    let manifest = &manifests(&store)[0];
    assert_eq!(
        manifest["items"]["card"]["row_count_mismatch_allowed"],
        false
    );
    assert_eq!(
        manifest["items"]["card"]["origin"],
        card.display().to_string()
    );
}

/// The images of a user turn as `(index of the part, RGB of its top-left pixel)`, and the texts.
fn user_parts(body: &[u8]) -> Vec<Result<[u8; 3], String>> {
    let body: Value = serde_json::from_slice(body).unwrap();
    let content = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["role"] == "user")
        .unwrap()["content"]
        .as_array()
        .unwrap()
        .clone();
    content
        .iter()
        .map(|part| match part["type"].as_str().unwrap() {
            "text" => Err(part["text"].as_str().unwrap().to_owned()),
            _ => {
                let url = part["image_url"]["url"].as_str().unwrap();
                let data = url.split_once(";base64,").unwrap().1;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(data)
                    .unwrap();
                let pixels = image::load_from_memory(&bytes).unwrap().to_rgb8();
                Ok(pixels.get_pixel(0, 0).0)
            }
        })
        .collect()
}

/// The top-left pixel `bench/fixtures/make_fixtures.py` gives the image of `seed`.
fn fixture_pixel(seed: u32) -> [u8; 3] {
    [
        (seed * 53 % 256) as u8,
        (seed * 29 % 256) as u8,
        (seed * 71 % 256) as u8,
    ]
}

#[test]
fn multi_image_items_are_sent_with_images_where_the_text_mentions_them() {
    let rt = runtime();
    let server = start_server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let output = medeval(&[
        "run",
        "--bench",
        "mmmu-med,medframeqa",
        "--data-root",
        fixtures().to_str().unwrap(),
        "--allow-row-count-mismatch",
        "--endpoint",
        &server.url(),
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]);
    assert_success(&output);
    let requests = server.chat_requests();
    let find = |tag: &str| {
        requests
            .iter()
            .find(|r| tag_of(r.prompt.as_deref().unwrap_or_default()) == tag)
            .unwrap()
    };

    // MMMU: "Compare <image 1> with <image 2>", options "<image 1>", "<image 2>": each image
    // once, where the question first mentions it, the later mentions left as text.
    let parts = user_parts(&find("mm0").body);
    assert_eq!(
        parts,
        vec![
            Err("[mm0] Compare ".to_owned()),
            Ok(fixture_pixel(60)),
            Err(" with ".to_owned()),
            Ok(fixture_pixel(61)),
            Err(
                ". Which shows mitosis?\nA. <image 1>\nB. <image 2>\nC. Neither\nAnswer with \
                 the option's letter from the given choices directly."
                    .to_owned()
            ),
        ]
    );
    // An open MMMU question: the image mid-sentence.
    let parts = user_parts(&find("mm2").body);
    assert_eq!(parts.len(), 3);
    assert_eq!(parts[1], Ok(fixture_pixel(63)));

    // MedFrameQA: the frames, in order, before the question.
    let parts = user_parts(&find("mf0").body);
    assert_eq!(parts.len(), 4);
    assert_eq!(
        parts[..3],
        [
            Ok(fixture_pixel(80)),
            Ok(fixture_pixel(81)),
            Ok(fixture_pixel(82))
        ]
    );
    assert!(
        parts[3]
            .clone()
            .unwrap_err()
            .starts_with("[mf0] Across the frames")
    );
}

#[test]
fn slake_languages_are_selected_and_recorded() {
    let rt = runtime();
    let server = start_server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let data = fixtures().join("slake");
    let url = server.url();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            "--bench",
            "slake",
            "--data",
            data.to_str().unwrap(),
            "--allow-row-count-mismatch",
            "--endpoint",
            &url,
            "--model",
            "qwen2.5-vl-7b",
            "--store",
            store.to_str().unwrap(),
            "--json",
            "--no-progress",
        ];
        args.extend_from_slice(extra);
        medeval(&args)
    };
    let chinese = run(&["--lang", "zh"]);
    assert_success(&chinese);
    let summary = json(&chinese);
    assert_eq!(summary[0]["benchmark"], "slake:lang=zh");
    assert_eq!(summary[0]["n"], 2);
    let both = run(&["--select", "lang=all", "--by", "q_lang"]);
    let summary = json(&both);
    assert_eq!(summary[0]["benchmark"], "slake:lang=all");
    assert_eq!(summary[0]["groups"]["q_lang"]["zh"]["n"], 2);
    assert_eq!(summary[0]["groups"]["q_lang"]["en"]["n"], 3);
    let recorded: Vec<String> = manifests(&store)
        .iter()
        .map(|m| {
            m["items"]["card"]["selections"]["lang"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(recorded, ["zh", "all"]);

    let bad = run(&["--lang", "fr"]);
    assert_eq!(bad.status.code(), Some(1));
    assert_eq!(
        stderr(&bad).trim_end(),
        "error: slake: lang=fr is not offered; choose all, en, zh"
    );
    let unknown_field = run(&["--by", "organ"]);
    assert_eq!(unknown_field.status.code(), Some(1));
    assert!(
        stderr(&unknown_field).starts_with("error: --by organ: not a field of slake; fields: "),
        "{}",
        stderr(&unknown_field)
    );
}

#[test]
fn variants_apply_to_the_items_of_each_card() {
    let rt = runtime();
    let server = start_server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let output = medeval(&[
        "run",
        "--bench",
        "medqa,vqa-rad",
        "--data-root",
        fixtures().to_str().unwrap(),
        "--allow-row-count-mismatch",
        "--variant",
        "circular",
        "--endpoint",
        &server.url(),
        "--model",
        "qwen2.5-vl-7b",
        "--store",
        store.to_str().unwrap(),
        "--json",
        "--no-progress",
    ]);
    assert_success(&output);
    // Circular permutations apply to multiple-choice items: MedQA's two items become 2 x 4;
    // VQA-RAD has none, so there is no VQA-RAD run, and a note says why.
    assert!(
        stderr(&output).contains("note: vqa-rad: circular needs multiple-choice items; none of the 4 items has options; no run"),
        "{}",
        stderr(&output)
    );
    let manifests = manifests(&store);
    assert_eq!(manifests.len(), 1);
    assert_eq!(manifests[0]["variant"], "circular");
    assert_eq!(manifests[0]["items"]["card"]["name"], "medqa");
    let medqa_requests = server
        .chat_requests()
        .iter()
        .filter(|r| tag_of(r.prompt.as_deref().unwrap_or_default()).starts_with("mq"))
        .count();
    assert_eq!(medqa_requests, 8);
}

#[test]
fn bench_list_and_check_follow_their_contracts() {
    let listed = medeval(&["bench", "list", "--json"]);
    assert_success(&listed);
    let cards = json(&listed);
    let slake = cards
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "slake")
        .unwrap();
    assert_eq!(slake["expected_rows"], 1061);
    assert_eq!(slake["options"]["lang"]["default"], "en");
    assert_eq!(slake["answer_types"], serde_json::json!(["closed", "open"]));

    let checked = medeval(&[
        "bench",
        "check",
        "slake",
        "--data",
        fixtures().join("slake").to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(
        checked.status.code(),
        Some(1),
        "a row-count mismatch fails the check"
    );
    let report = json(&checked);
    assert_eq!(report["benchmark"], "slake");
    assert_eq!(report["rows"], 3);
    assert_eq!(report["expected_rows"], 1061);
    assert_eq!(report["ok"], false);
    assert_eq!(
        report["problems"],
        serde_json::json!(["the evaluation split has 3 rows where the card expects 1061"])
    );
    let test_json = std::fs::read(fixtures().join("slake/test.json")).unwrap();
    assert_eq!(
        report["files"][0]["sha256"],
        medeval_core::digest::sha256_hex(&test_json)
    );

    // A folder holding another benchmark: the missing columns, and a failing exit.
    let wrong = medeval(&[
        "bench",
        "check",
        "vqa-rad",
        "--data",
        fixtures().join("pathvqa").to_str().unwrap(),
        "--json",
    ]);
    // PathVQA has the same columns as VQA-RAD; only the count tells them apart.
    assert_eq!(json(&wrong)["rows"], 4);
    let other = medeval(&[
        "bench",
        "check",
        "pathvqa",
        "--data",
        fixtures().join("medmcqa").to_str().unwrap(),
    ]);
    assert_eq!(other.status.code(), Some(1));
    let text = stdout(&other);
    assert!(
        text.contains("no file matches \"{data/,}test-*.parquet\""),
        "{text}"
    );
}

#[test]
fn bench_list_and_check_read_well_in_a_terminal() {
    let listed = medeval(&["bench", "list"]);
    assert_success(&listed);
    snapshot!("bench_list", stdout(&listed));
    let checked = medeval(&[
        "bench",
        "check",
        "mmmu-med",
        "--data",
        fixtures().join("mmmu-med").to_str().unwrap(),
    ]);
    assert_eq!(checked.status.code(), Some(1));
    snapshot!("bench_check_mmmu", stdout(&checked));
}

/// Runs two baselines over three benchmarks; returns the run ids in order (majority's three,
/// then random's three).
fn baseline_runs(store: &Path) -> Vec<String> {
    let mut ids = Vec::new();
    for baseline in ["majority", "random:7"] {
        let output = medeval(&[
            "run",
            "--bench",
            "vqa-rad,slake,medxpertqa-mm",
            "--data-root",
            fixtures().to_str().unwrap(),
            "--allow-row-count-mismatch",
            "--baseline",
            baseline,
            "--store",
            store.to_str().unwrap(),
            "--json",
            "--no-progress",
        ]);
        assert_success(&output);
        ids.extend(
            json(&output)
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["run"].as_str().unwrap().to_owned()),
        );
    }
    ids
}

#[test]
fn tables_put_models_in_rows_and_benchmarks_in_columns() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let ids = baseline_runs(&store);
    let table = |extra: &[&str]| {
        let mut args = vec!["table", "--store", store.to_str().unwrap()];
        args.extend(ids.iter().map(String::as_str));
        args.extend_from_slice(extra);
        let output = medeval(&args);
        assert_success(&output);
        stdout(&output)
    };
    snapshot!(
        "table_terminal_sub",
        table(&["--sub", "answer_type,q_lang"])
    );
    snapshot!("table_markdown", table(&["--format", "markdown"]));
    snapshot!("table_csv", table(&["--format", "csv"]));
    snapshot!(
        "table_latex_study_layout",
        table(&["--format", "latex", "--layout", "2507.11200"])
    );

    // The JSON form: one row per model, one cell per benchmark, the interval method named.
    // VQA-RAD's items share images (cluster keys): cluster-robust is asked for, and with the
    // fixture's few images the cell gets the cluster bound instead, saying why.
    let json: Value = serde_json::from_str(&table(&["--format", "json"])).unwrap();
    assert_eq!(json["rows"][0]["model"], "baseline:majority");
    let vqa_rad = &json["rows"][0]["cells"][0];
    assert_eq!(vqa_rad["n"], 4);
    assert_eq!(vqa_rad["ci_method"], "wilson_cluster_bound");
    assert_eq!(vqa_rad["ci_fallback"]["from"], "cluster_robust");
    assert_eq!(vqa_rad["ci_fallback"]["reason"], "too_few_clusters");
    assert_eq!(json["columns"][2]["benchmark"], "medxpertqa-mm");
    // MedXpertQA items carry no cluster key: Wilson.
    assert_eq!(json["rows"][0]["cells"][2]["ci_method"], "wilson");

    // Two runs of one model on one benchmark cannot share a cell.
    let mut args = vec!["table", "--store", store.to_str().unwrap()];
    args.extend(ids.iter().map(String::as_str));
    args.push(&ids[0][..]);
    let twice = medeval(&args);
    assert_eq!(twice.status.code(), Some(1));
    assert!(
        stderr(&twice).contains("is given twice"),
        "{}",
        stderr(&twice)
    );
}

/// An IU X-Ray folder in R2Gen's layout (`annotation.json` with `train`/`val`/`test`, images
/// under `images/`): three test studies, one of them without a report, with real PNG views
/// taken from the card fixtures.
fn iu_xray_folder(dir: &Path) {
    let png = std::fs::read(fixtures().join("omnimedvqa/Images/ACRIMA/Im001.png")).unwrap();
    let record = |id: &str, report: &str| {
        serde_json::json!({
            "id": id,
            "report": report,
            "image_path": [format!("{id}/0.png"), format!("{id}/1.png")],
            "split": "test",
        })
    };
    let annotation = serde_json::json!({
        "train": [record("CXR1_1_IM-0001", "Normal chest.")],
        "val": [],
        "test": [
            record("CXR2384_IM-0942", "The heart size is within normal limits. No effusion."),
            record("CXR2385_IM-0943", ""),
            record("CXR2386_IM-0944", "Mild cardiomegaly. The lungs are clear."),
        ],
    });
    std::fs::write(
        dir.join("annotation.json"),
        serde_json::to_vec_pretty(&annotation).unwrap(),
    )
    .unwrap();
    for id in ["CXR2384_IM-0942", "CXR2386_IM-0944"] {
        std::fs::create_dir_all(dir.join("images").join(id)).unwrap();
        for view in ["0.png", "1.png"] {
            std::fs::write(dir.join("images").join(id).join(view), &png).unwrap();
        }
    }
}

#[test]
fn bench_check_of_a_report_card_counts_the_rows_without_a_reference() {
    let dir = tempfile::tempdir().unwrap();
    iu_xray_folder(dir.path());
    let data = dir.path().to_str().unwrap();
    let checked = medeval(&["bench", "check", "iu-xray", "--data", data, "--json"]);
    // Two items where the card pins R2Gen's 590: not usable as it is.
    assert_eq!(checked.status.code(), Some(1));
    let report = json(&checked);
    assert_eq!(report["rows"], 2);
    assert_eq!(report["expected_rows"], 590);
    assert_eq!(report["skipped_rows"]["count"], 1);
    assert_eq!(report["answer_types"], serde_json::json!({"report": 2}));
    assert_eq!(report["images"], 4);
    let annotation = std::fs::read(dir.path().join("annotation.json")).unwrap();
    assert_eq!(
        report["files"][0]["sha256"],
        medeval_core::digest::sha256_hex(&annotation)
    );
    snapshot!("bench_check_iu_xray_json", stdout(&checked));

    let text = medeval(&["bench", "check", "iu-xray", "--data", data]);
    assert_eq!(text.status.code(), Some(1));
    snapshot!("bench_check_iu_xray", stdout(&text));

    // The list shows the report cards and the section option.
    let listed = json(&medeval(&["bench", "list", "--json"]));
    let chexpert = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "chexpert-plus")
        .unwrap();
    assert_eq!(chexpert["answer_types"], serde_json::json!(["report"]));
    assert_eq!(chexpert["options"]["section"]["default"], "findings");
}
