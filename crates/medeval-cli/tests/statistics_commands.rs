//! `medeval compare`, `rank`, `power`, `run --plan` and repeated sampling as a user runs them:
//! the real binary against scripted servers on loopback whose disagreements are known, so the
//! discordant counts, p-values and summaries can be worked out by hand.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{
    assert_success, cli, medeval, medeval_in, runtime, snapshot, stderr, stdout, success_json,
};
use medeval_mockserver::{MockServer, Reply};
use serde_json::{Value, json};

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

/// Closed yes/no items `{prefix}0..{prefix}{n-1}`, gold `yes`, two items per image; the id is in
/// the question so a server can answer per item.
fn write_items(dir: &Path, name: &str, prefix: &str, n: usize) -> PathBuf {
    let lines: Vec<String> = (0..n)
        .map(|i| {
            json!({"id": format!("{prefix}{i}"), "question": format!("[{prefix}{i}] Is there an effusion?"),
                   "answer": "yes", "cluster": format!("{prefix}img{}", i / 2),
                   "meta": {"half": if i < n / 2 { "first" } else { "second" }}})
            .to_string()
        })
        .collect();
    let path = dir.join(format!("{name}.jsonl"));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The item id in brackets at the start of a prompt.
fn item_of(prompt: &str) -> String {
    prompt
        .split_once('[')
        .and_then(|(_, rest)| rest.split_once(']'))
        .map(|(id, _)| id.to_owned())
        .unwrap_or_default()
}

/// A server that answers "No." (wrong) on the listed items and "Yes." (right) elsewhere.
fn server_wrong_on(rt: &tokio::runtime::Runtime, wrong: &[&str], model: &str) -> MockServer {
    let wrong: HashSet<String> = wrong.iter().map(|s| (*s).to_owned()).collect();
    rt.block_on(
        MockServer::builder()
            .models(&[model])
            .rule(move |req| {
                Reply::text(if wrong.contains(&item_of(&req.prompt)) {
                    "No."
                } else {
                    "Yes."
                })
            })
            .start(),
    )
    .unwrap()
}

/// Runs `items` against `server` as `model`; returns the run id.
fn run_model(items: &Path, server: &MockServer, model: &str, store: &Path) -> String {
    let output = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        model,
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
        "--json",
    ]);
    success_json(&output)["run"].as_str().unwrap().to_owned()
}

#[test]
fn two_scripted_servers_give_the_known_discordant_cells_and_p_values() {
    let rt = runtime();
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("runs.db");
    let bench1 = write_items(dir.path(), "bench1", "q", 40);
    let bench2 = write_items(dir.path(), "bench2", "r", 30);
    // Both wrong on q30-q32. A alone wrong on q1, q3 (c = 2); B alone wrong on q10-q16 (b = 7).
    // On bench2, B alone is wrong on r0-r9 (b = 10, c = 0).
    let both = ["q30", "q31", "q32"];
    let mut wrong_a: Vec<&str> = vec!["q1", "q3"];
    wrong_a.extend(both);
    let mut wrong_b: Vec<&str> = vec!["q10", "q11", "q12", "q13", "q14", "q15", "q16"];
    wrong_b.extend(both);
    wrong_b.extend(["r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9"]);
    let server_a = server_wrong_on(&rt, &wrong_a, "model-a");
    let server_b = server_wrong_on(&rt, &wrong_b, "model-b");
    let a1 = run_model(&bench1, &server_a, "model-a", &store);
    let b1 = run_model(&bench1, &server_b, "model-b", &store);
    let a2 = run_model(&bench2, &server_a, "model-a", &store);
    let b2 = run_model(&bench2, &server_b, "model-b", &store);
    let store_arg = store.to_str().unwrap();

    let single = success_json(&medeval(&[
        "compare", &a1, &b1, "--store", store_arg, "--json",
    ]));
    let c = &single[0];
    assert_eq!(c["benchmark"], "bench1");
    assert_eq!(c["n_paired"], 40);
    assert_eq!(c["b"], 7);
    assert_eq!(c["c"], 2);
    // acc A = 35/40, acc B = 30/40, diff = (b - c)/n = 5/40.
    assert_eq!(number(&c["acc_a"]), 0.875);
    assert_eq!(number(&c["acc_b"]), 0.75);
    assert!((number(&c["diff"]) - 0.125).abs() < 1e-15);
    // b + c = 9 < 25: exact, 2·P(X ≤ 2), X ~ Bin(9, 1/2) = 2·(1 + 9 + 36)/512 = 0.1796875.
    assert_eq!(c["mcnemar_method"], "exact_binomial");
    assert!((number(&c["mcnemar_p"]) - 0.179_687_5).abs() < 1e-15);
    assert_eq!(number(&c["p_holm"]), number(&c["mcnemar_p"]));
    let ci = c["diff_ci"].as_array().unwrap();
    assert!(number(&ci[0]) < 0.125 && 0.125 < number(&ci[1]), "{ci:?}");
    let bootstrap_p = number(&c["bootstrap_p"]);
    assert!(bootstrap_p > 0.0 && bootstrap_p <= 1.0);
    // Items share images two by two: the bootstrap resamples the 20 images whole.
    assert_eq!(c["diff_ci_method"], "cluster_paired_bootstrap_percentile");
    assert_eq!(c["clusters"], 20);
    assert_eq!(c["bootstrap"]["seed"], 30_792_254_334_853_484_u64);
    assert_eq!(c["policy"], "count_as_wrong");
    assert_eq!(c["exclusions"]["excluded_items"], 0);
    let ids = |cell: &str| -> Vec<String> {
        c["discordant"][cell]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids("a_right_b_wrong"),
        ["q10", "q11", "q12", "q13", "q14", "q15", "q16"]
    );
    assert_eq!(ids("a_wrong_b_right"), ["q1", "q3"]);
    assert_eq!(c["discordant"]["a_wrong_b_right"][0]["answer_a"], "no");

    // Per group: q0-q19 are the first half, which holds all the discordant items (b = 7 from
    // q10-q16, c = 2 from q1, q3); q20-q39 the second, where both are wrong on q30-q32 only.
    let by = success_json(&medeval(&[
        "compare", &a1, &b1, "--store", store_arg, "--json", "--by", "half",
    ]));
    let groups = by[0]["groups"].as_array().unwrap();
    assert_eq!(groups[0]["group"], "first");
    assert_eq!(
        (groups[0]["b"].clone(), groups[0]["c"].clone()),
        (json!(7), json!(2))
    );
    assert_eq!(groups[1]["group"], "second");
    assert_eq!(number(&groups[1]["mcnemar_p"]), 1.0);
    assert_eq!(groups[0]["family_size"], 2);

    // Two benchmarks, one family. bench2: b = 10, c = 0, p = 2/2¹⁰ = 0.001953125. Holm over
    // (0.1796875, 0.001953125): 2·0.001953125 = 0.00390625 and max(0.00390625, 0.1796875).
    let family = success_json(&medeval(&[
        "compare", &a1, &b1, &a2, &b2, "--store", store_arg, "--json",
    ]));
    assert_eq!(family[1]["benchmark"], "bench2");
    assert_eq!(
        (family[1]["b"].clone(), family[1]["c"].clone()),
        (json!(10), json!(0))
    );
    assert!((number(&family[1]["mcnemar_p"]) - 0.001_953_125).abs() < 1e-15);
    assert!((number(&family[1]["p_holm"]) - 0.003_906_25).abs() < 1e-15);
    assert!((number(&family[0]["p_holm"]) - 0.179_687_5).abs() < 1e-15);
    // BH: 2·0.001953125/1 = 0.00390625; 2·0.1796875/2 = 0.1796875.
    assert!((number(&family[1]["p_bh"]) - 0.003_906_25).abs() < 1e-15);
    assert!((number(&family[0]["p_bh"]) - 0.179_687_5).abs() < 1e-15);
    assert_eq!(family[0]["family_size"], 2);

    // What a user reads.
    let table = medeval(&[
        "compare",
        &a1,
        &b1,
        "--store",
        store_arg,
        "--discordant",
        "3",
    ]);
    assert_success(&table);
    snapshot!("compare_two_servers", stdout(&table));

    // Runs on different benchmarks are not compared.
    let mismatch = medeval(&["compare", &a1, &b2, "--store", store_arg]);
    assert!(!mismatch.status.success());
    assert!(
        stderr(&mismatch).contains("is on \"bench2\""),
        "{}",
        stderr(&mismatch)
    );
}

/// A scored-sample file with the given outcome per id.
fn write_scored(dir: &Path, name: &str, outcomes: &[(String, &str)]) -> String {
    let lines: Vec<String> = outcomes
        .iter()
        .map(|(id, outcome)| json!({"id": id, "outcome": outcome}).to_string())
        .collect();
    let path = dir.join(name);
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_owned()
}

#[test]
fn files_of_scored_samples_pair_by_id_and_count_what_was_left_out() {
    let dir = tempfile::tempdir().unwrap();
    // Items 0-7: A wrong, B right (c = 8). 8-27: A right, B wrong (b = 20). 28-29 both wrong.
    // 30-59 both right. 60: A unparsed, B wrong. 61: A wrong, B error. 62: A unparsed, B error.
    // 63 only in A, 64 only in B.
    let mut a = Vec::new();
    let mut b = Vec::new();
    for i in 0..60 {
        let (x, y) = match i {
            0..=7 => ("wrong", "correct"),
            8..=27 => ("correct", "wrong"),
            28..=29 => ("wrong", "wrong"),
            _ => ("correct", "correct"),
        };
        a.push((i.to_string(), x));
        b.push((i.to_string(), y));
    }
    a.extend([
        ("60".to_owned(), "unparsed"),
        ("61".to_owned(), "wrong"),
        ("62".to_owned(), "unparsed"),
        ("63".to_owned(), "correct"),
    ]);
    b.extend([
        ("60".to_owned(), "wrong"),
        ("61".to_owned(), "error"),
        ("62".to_owned(), "error"),
        ("64".to_owned(), "correct"),
    ]);
    let file_a = write_scored(dir.path(), "a.jsonl", &a);
    let file_b = write_scored(dir.path(), "b.jsonl", &b);

    let counted = success_json(&medeval(&["compare", &file_a, &file_b, "--json"]));
    let c = &counted[0];
    assert_eq!(c["n_paired"], 63);
    assert_eq!((c["b"].clone(), c["c"].clone()), (json!(20), json!(8)));
    assert_eq!(c["exclusions"]["only_in_a"], 1);
    assert_eq!(c["exclusions"]["only_in_b"], 1);
    assert_eq!(c["exclusions"]["excluded_items"], 2);
    assert_eq!(c["exclusions"]["non_judgements_a"]["unparsed"], 2);
    assert_eq!(c["exclusions"]["non_judgements_b"]["error"], 2);
    // b + c = 28 ≥ 25: continuity-corrected chi-square, (|20 - 8| - 1)²/28 = 121/28, and
    // p = erfc(√(121/56)) = 0.0376353137873143 (Python's math.erfc; scipy.stats.chi2.sf(121/28, 1)).
    assert_eq!(c["mcnemar_method"], "chi_square_corrected");
    assert!((number(&c["mcnemar_p"]) - 0.037_635_313_787_314_3).abs() < 1e-13);
    assert_eq!(c["diff_ci_method"], "paired_bootstrap_percentile");
    assert!((number(&c["acc_a"]) - 50.0 / 63.0).abs() < 1e-15);

    let excluded = success_json(&medeval(&[
        "compare",
        &file_a,
        &file_b,
        "--json",
        "--non-answers",
        "exclude",
    ]));
    let x = &excluded[0];
    assert_eq!(x["policy"], "exclude");
    assert_eq!(x["n_paired"], 60);
    assert_eq!(x["exclusions"]["excluded_items"], 5);
    assert!((number(&x["acc_a"]) - 50.0 / 60.0).abs() < 1e-15);

    let table = medeval(&[
        "compare",
        &file_a,
        &file_b,
        "--non-answers",
        "exclude",
        "--discordant",
        "2",
    ]);
    assert_success(&table);
    let shown = stdout(&table).replace(dir.path().to_str().unwrap(), "[DIR]");
    assert!(shown.contains("paired on 60 items; 5 excluded: 1 only in A, 1 only in B, 3 with a non-answer in A or B"), "{shown}");
    snapshot!("compare_files_excluding_non_answers", shown);

    // A misspelt field is an error naming the file, line and field.
    let bad = dir.path().join("bad.jsonl");
    std::fs::write(
        &bad,
        "{\"id\": \"1\", \"outcome\": \"correct\"}\n{\"id\": \"2\", \"outcom\": \"wrong\"}\n",
    )
    .unwrap();
    let error = medeval(&["compare", &file_a, bad.to_str().unwrap()]);
    assert!(!error.status.success());
    let message = stderr(&error);
    assert!(message.contains("bad.jsonl:2: field `outcom`"), "{message}");
}

#[test]
fn rank_orders_runs_and_corrects_across_all_pairs() {
    let dir = tempfile::tempdir().unwrap();
    // 30 items. x wrong on 0-1, y wrong on 0-9, z wrong on 0-19: every discordance is one-sided.
    let make = |wrong: usize| -> Vec<(String, &str)> {
        (0..30)
            .map(|i| (i.to_string(), if i < wrong { "wrong" } else { "correct" }))
            .collect()
    };
    let x = write_scored(dir.path(), "x.jsonl", &make(2));
    let y = write_scored(dir.path(), "y.jsonl", &make(10));
    let z = write_scored(dir.path(), "z.jsonl", &make(20));
    let boards = success_json(&medeval(&["rank", &z, &x, &y, "--json"]));
    let board = &boards[0];
    assert_eq!(board["n_items"], 30);
    let ranks: Vec<u64> = board["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["rank"].as_u64().unwrap())
        .collect();
    assert_eq!(ranks, [3, 1, 2]);
    // z is right only where x and y are: it could share first place only on a resample
    // without any of items 2-19, which 10,000 replicates do not draw.
    assert_eq!(board["entries"][0]["p_best"], 0.0);
    assert_eq!(board["entries"][1]["rank_ci"], json!([1, 1]));
    // Pairs (z, x): b = 0, c = 18; (z, y): c = 10; (x, y): b = 8. Exact p: 2/2¹⁸, 2/2¹⁰,
    // 2/2⁸. Holm over three: 3·2⁻¹⁷, max(that, 2·2⁻⁹), max(.., 1·2⁻⁷).
    let pairs = board["pairs"].as_array().unwrap();
    assert_eq!(pairs.len(), 3);
    let cells: Vec<(u64, u64)> = pairs
        .iter()
        .map(|p| (p["b"].as_u64().unwrap(), p["c"].as_u64().unwrap()))
        .collect();
    assert_eq!(cells, [(0, 18), (0, 10), (8, 0)]);
    let holm: Vec<f64> = pairs.iter().map(|p| number(&p["p_holm"])).collect();
    let expected = [3.0 * 2f64.powi(-17), 2.0 * 2f64.powi(-9), 2f64.powi(-7)];
    for (got, want) in holm.iter().zip(expected) {
        assert!((got - want).abs() <= 1e-12 * want, "{holm:?}");
    }
    assert!(pairs.iter().all(|p| p["family_size"] == 3));
    assert!(
        pairs
            .iter()
            .all(|p| p["discordant"]["a_right_b_wrong"] == json!([]))
    );

    // Run where the files are, so the labels (and the column widths) are the bare names.
    let table = medeval_in(dir.path(), &["rank", "z.jsonl", "x.jsonl", "y.jsonl"]);
    assert_success(&table);
    snapshot!("rank_three_files", stdout(&table));
}

#[test]
fn power_plans_match_connors_formula_by_hand() {
    // p = 0.7, δ = 0.05, independent errors: q = 0.75, ψ = 0.7·0.25 + 0.75·0.3 = 0.4.
    // Connor: (1.959964·√0.4 + 0.841621·√(0.4 - 0.0025))²/0.05² = 1253.46 → 1254 items.
    let plan = success_json(&medeval(&[
        "power",
        "--accuracy",
        "0.7",
        "--effect",
        "0.05",
        "--items",
        "1000",
        "--json",
    ]));
    assert_eq!(plan["items_needed"]["items_needed"], 1254);
    assert!((number(&plan["items_needed"]["discordance_rate"]) - 0.4).abs() < 1e-12);
    assert_eq!(plan["discordance_source"], "independent_errors");
    // With 1,000 items the power is below 0.8 and the detectable effect above 0.05.
    let power = number(&plan["power_at_items"]);
    assert!(power > 0.6 && power < 0.8, "{power}");
    assert!(number(&plan["minimum_detectable_effect"]["minimum_detectable_effect"]) > 0.05);

    // An assumed discordance and design effect: n = (1.959964·√0.2 + 0.841621·√0.1975)²/0.0025
    // = (0.876523 + 0.374025)²/0.0025 = 625.55; ×1.5 = 938.3 → 939 items.
    let assumed = success_json(&medeval(&[
        "power",
        "--accuracy",
        "0.7",
        "--effect",
        "0.05",
        "--discordance",
        "0.2",
        "--design-effect",
        "1.5",
        "--json",
    ]));
    let needed = &assumed["items_needed"];
    assert!(
        (number(&needed["independent_items"]) - 625.55).abs() < 0.01,
        "{needed}"
    );
    assert_eq!(needed["items_needed"], 939);

    let table = medeval(&[
        "power",
        "--accuracy",
        "0.7",
        "--effect",
        "0.05",
        "--items",
        "1000",
    ]);
    assert_success(&table);
    snapshot!("power_assumed_accuracy", stdout(&table));

    let nothing = medeval(&["power", "--effect", "0.05"]);
    assert!(!nothing.status.success());
    assert!(stderr(&nothing).contains("--baseline RUN, or --accuracy P"));
}

#[test]
fn run_plan_counts_the_items_and_sends_nothing() {
    let rt = runtime();
    let server = server_wrong_on(&rt, &[], "mock-model");
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), "bench", "q", 50);
    let store = dir.path().join("runs.db");
    let plan = success_json(&medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--endpoint",
        &server.url(),
        "--model",
        "mock-model",
        "--store",
        store.to_str().unwrap(),
        "--limit",
        "40",
        "--plan",
        "--effect",
        "0.05",
        "--accuracy",
        "0.7",
        "--json",
    ]));
    assert_eq!(plan["items"], 40);
    assert_eq!(plan["items_needed"]["items_needed"], 1254);
    assert!(server.requests().is_empty(), "a plan contacts nothing");
    assert!(!store.exists(), "a plan stores nothing");
    // Planning flags without --plan are a mistake, not a silent no-op.
    let stray = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--baseline",
        "majority",
        "--store",
        store.to_str().unwrap(),
        "--effect",
        "0.05",
    ]);
    assert!(!stray.status.success());
    assert!(stderr(&stray).contains("add --plan"));
}

/// Correct samples per item in the repeated-sampling tests: item qN has N mod 5 of its 4 draws
/// right (draws 0..c), the rest answer "No.".
fn correct_draws(item: &str) -> u64 {
    item.trim_start_matches('q').parse::<u64>().unwrap_or(0) % 5
}

/// Answers by item and draw: the draw index is the request's seed minus the base seed 100.
fn repeated_server(rt: &tokio::runtime::Runtime, latency: Duration) -> MockServer {
    rt.block_on(
        MockServer::builder()
            .latency(latency)
            .rule(|req| {
                let draw = req.body["seed"].as_u64().unwrap_or(0).saturating_sub(100);
                Reply::text(if draw < correct_draws(&item_of(&req.prompt)) {
                    "Yes."
                } else {
                    "No."
                })
            })
            .start(),
    )
    .unwrap()
}

fn repeated_args<'a>(items: &'a str, url: &'a str, store: &'a str, k: &'a str) -> Vec<&'a str> {
    vec![
        "run",
        "--items",
        items,
        "--endpoint",
        url,
        "--model",
        "mock-model",
        "--store",
        store,
        "--samples-per-item",
        k,
        "--temperature",
        "0.7",
        "--seed",
        "100",
        "--no-progress",
        "--json",
    ]
}

#[test]
fn repeated_samples_report_mean_vote_any_correct_and_variance() {
    let rt = runtime();
    let server = repeated_server(&rt, Duration::ZERO);
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), "bench", "q", 12);
    let store = dir.path().join("runs.db");
    let (items_arg, store_arg, url) = (
        items.to_str().unwrap(),
        store.to_str().unwrap(),
        server.url(),
    );

    // Temperature 0 would make four copies of one answer.
    let mut greedy = repeated_args(items_arg, &url, store_arg, "4");
    greedy.retain(|a| *a != "--temperature" && *a != "0.7");
    let refused = medeval(&greedy);
    assert!(!refused.status.success());
    assert!(
        stderr(&refused).contains("needs --temperature above 0"),
        "{}",
        stderr(&refused)
    );
    assert!(server.requests().is_empty());

    let summary = success_json(&medeval(&repeated_args(items_arg, &url, store_arg, "4")));
    assert_eq!(summary["samples_per_item"], 4);
    assert_eq!(summary["n"], 48);
    assert_eq!(server.chat_requests().len(), 48);
    let r = &summary["repeated"];
    // Correct draws per item, q0..q11: 0 1 2 3 4 0 1 2 3 4 0 1 (sum 21).
    assert_eq!(r["n_items"], 12);
    assert!((number(&r["mean_accuracy"]) - 21.0 / 48.0).abs() < 1e-15);
    // Σ c(4 - c)/(4·3) over items = (0+3+4+3+0+0+3+4+3+0+0+3)/12 = 23/12; mean 23/144.
    assert!((number(&r["within_item_variance"]) - 23.0 / 144.0).abs() < 1e-15);
    // Vote: c = 3, 4 win (q3, q4, q8, q9); c = 2 ties 2-2 with "no" (q2, q7), counted wrong.
    assert!((number(&r["majority_vote_accuracy"]) - 4.0 / 12.0).abs() < 1e-15);
    assert_eq!(r["ties"], 2);
    assert_eq!(r["tie_rule"], "wrong");
    // Any correct: every item but q0, q5, q10.
    assert!((number(&r["any_correct_accuracy"]) - 9.0 / 12.0).abs() < 1e-15);
    assert_eq!(r["inconsistent_items"], 7);
    // Items share images two by two: 6 clusters.
    assert_eq!(r["clusters"], 6);
    // Six clusters are too few for the sandwich: the repeated statistics and the per-sample
    // accuracy (clustered too, whatever --ci said) get the cluster bound, and say so. Six
    // clusters of 2 items × 4 draws: n_w = 48²/(6·8²) = 6 samples' worth.
    assert_eq!(r["ci_method"], "wilson_cluster_bound");
    assert_eq!(r["ci_fallback"]["reason"], "too_few_clusters");
    assert_eq!(summary["ci_method"], "wilson_cluster_bound");
    assert_eq!(summary["ci_fallback"]["from"], "cluster_robust");
    assert!((number(&summary["ci_fallback"]["worst_case_n"]) - 6.0).abs() < 1e-12);

    // The run list divides by items × draws, not by items.
    let listed = success_json(&medeval(&["runs", "--store", store_arg, "--json"]));
    assert_eq!(listed[0]["samples_per_item"], 4);
    assert!((number(&listed[0]["accuracy"]) - 21.0 / 48.0).abs() < 1e-15);

    let shown = medeval(&["show", "--store", store_arg]);
    assert_success(&shown);
    snapshot!("show_repeated_samples", stdout(&shown));

    // A power plan from this baseline uses the draws' discordance: ψ₀ = 2·23/144 = 0.319444,
    // ψ = ψ₀ + δ at δ = 0.1.
    let plan = success_json(&medeval(&[
        "power",
        "--baseline",
        summary["run"].as_str().unwrap(),
        "--store",
        store_arg,
        "--effect",
        "0.1",
        "--json",
    ]));
    assert_eq!(plan["discordance_source"], "repeated_draws");
    let psi0 = 46.0 / 144.0;
    assert!((number(&plan["baseline"]["draw_discordance"]) - psi0).abs() < 1e-15);
    assert!((number(&plan["baseline"]["accuracy"]) - 21.0 / 48.0).abs() < 1e-15);
    let psi = psi0 + 0.1;
    let (z_a, z_b) = (1.959_963_984_540_054_f64, 0.841_621_233_572_914_3_f64);
    let connor = ((z_a * psi.sqrt() + z_b * (psi - 0.01).sqrt()) / 0.1).powi(2);
    let independent = number(&plan["items_needed"]["independent_items"]);
    assert!(
        (independent - connor).abs() < 1e-4 * connor,
        "{independent} vs {connor}"
    );

    // A paired test needs one outcome per item: compare asks for a draw.
    let run = summary["run"].as_str().unwrap();
    let ambiguous = medeval(&["compare", run, run, "--store", store_arg]);
    assert!(!ambiguous.status.success());
    assert!(stderr(&ambiguous).contains("--draw N"));
    let same = success_json(&medeval(&[
        "compare", run, run, "--store", store_arg, "--draw", "0", "--json",
    ]));
    assert_eq!(
        (same[0]["b"].clone(), same[0]["c"].clone()),
        (json!(0), json!(0))
    );
}

/// Samples committed so far; 0 while the store is still being created.
fn committed_samples(store: &Path) -> usize {
    if !store.exists() {
        return 0;
    }
    let Ok(conn) = rusqlite::Connection::open(store) else {
        return 0;
    };
    conn.query_row("SELECT COUNT(*) FROM samples", [], |row| {
        row.get::<_, i64>(0)
    })
    .map_or(0, |n| n as usize)
}

fn stored_pairs(store: &Path) -> Vec<(String, u32)> {
    let conn = rusqlite::Connection::open(store).unwrap();
    let mut select = conn
        .prepare("SELECT item_id, sample FROM samples ORDER BY item_id, sample")
        .unwrap();
    select
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn a_killed_repeated_run_requests_exactly_the_missing_draws() {
    let rt = runtime();
    let server = repeated_server(&rt, Duration::from_millis(40));
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path(), "bench", "q", 30);
    let store = dir.path().join("runs.db");
    let url = server.url();
    let mut args = repeated_args(items.to_str().unwrap(), &url, store.to_str().unwrap(), "3");
    args.extend(["--concurrency", "2"]);
    let mut child = cli(&args).spawn(Stdio::null(), Stdio::null());
    let deadline = Instant::now() + Duration::from_secs(30);
    while committed_samples(&store) < 10 {
        assert!(Instant::now() < deadline, "the run never stored 10 samples");
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().unwrap(); // SIGKILL on Unix
    child.wait().unwrap();
    let before: HashSet<(String, u32)> = stored_pairs(&store).into_iter().collect();
    assert!(before.len() < 90, "the kill came too late to test anything");
    let requests_before = server.chat_requests().len();

    let resumed = success_json(&medeval(&args));
    let requested: Vec<(String, u32)> = server.chat_requests()[requests_before..]
        .iter()
        .map(|r| {
            let body: Value = serde_json::from_slice(&r.body).unwrap();
            let draw = body["seed"].as_u64().unwrap() - 100;
            (
                item_of(r.prompt.as_deref().unwrap_or_default()),
                draw as u32,
            )
        })
        .collect();
    let requested_set: HashSet<(String, u32)> = requested.iter().cloned().collect();
    assert_eq!(
        requested.len(),
        requested_set.len(),
        "no draw requested twice"
    );
    let all: HashSet<(String, u32)> = (0..30)
        .flat_map(|i| (0..3).map(move |s| (format!("q{i}"), s)))
        .collect();
    let missing: HashSet<(String, u32)> = all.difference(&before).cloned().collect();
    assert_eq!(
        requested_set, missing,
        "exactly the missing (item, draw) pairs"
    );
    let after = stored_pairs(&store);
    assert_eq!(after.len(), 90);
    assert_eq!(after.into_iter().collect::<HashSet<_>>(), all);
    assert_eq!(resumed["missing"], 0);
    assert_eq!(resumed["complete"], true);
    assert_eq!(resumed["repeated"]["n_items"], 30);
}
