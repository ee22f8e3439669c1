//! `medeval fairness` as a user runs it: a scripted server answers 100 items with known
//! metadata, wrong on known items, so every group's accuracy, the gaps, ratios, chi-square
//! statistics, p-values and Holm values can be worked out by hand.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::path::Path;

use common::{medeval, runtime, stderr, success_json};
use medeval_mockserver::{MockServer, Reply};
use serde_json::{Value, json};

fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("{value} is not a number"))
}

fn close(actual: &Value, expected: f64) {
    let actual = number(actual);
    assert!(
        (actual - expected).abs() <= 1e-12 * expected.abs().max(1.0),
        "{actual} vs {expected}"
    );
}

/// Items q0..q99, gold `yes`: sex F for q0-q49 and M for q50-q99; site A for q0-q39, B for
/// q40-q79, C for q80-q89 and no site for q90-q99.
fn write_items(dir: &Path) -> String {
    let lines: Vec<String> = (0..100)
        .map(|i| {
            let mut meta = json!({"sex": if i < 50 { "F" } else { "M" }});
            let site = match i {
                0..=39 => Some("A"),
                40..=79 => Some("B"),
                80..=89 => Some("C"),
                _ => None,
            };
            if let Some(site) = site {
                meta["site"] = json!(site);
            }
            json!({"id": format!("q{i}"), "question": format!("[q{i}] Is there an effusion?"),
                   "answer": "yes", "meta": meta})
            .to_string()
        })
        .collect();
    let path = dir.join("items.jsonl");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path.to_str().unwrap().to_owned()
}

/// Answers "No." (wrong) on q0-q9 and q50-q74, "Yes." elsewhere.
fn server(rt: &tokio::runtime::Runtime) -> MockServer {
    let wrong: HashSet<String> = (0..10).chain(50..75).map(|i| format!("q{i}")).collect();
    rt.block_on(
        MockServer::builder()
            .models(&["m"])
            .rule(move |req| {
                let id = req
                    .prompt
                    .split_once('[')
                    .and_then(|(_, rest)| rest.split_once(']'))
                    .map(|(id, _)| id.to_owned())
                    .unwrap_or_default();
                Reply::text(if wrong.contains(&id) { "No." } else { "Yes." })
            })
            .start(),
    )
    .unwrap()
}

fn group<'a>(field: &'a Value, name: &str) -> &'a Value {
    field["groups"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["group"] == name)
        .unwrap_or_else(|| panic!("no group {name} in {field}"))
}

#[test]
fn fairness_numbers_match_a_hand_computation() {
    let rt = runtime();
    let server = server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path());
    let store = dir.path().join("runs.db");
    let store = store.to_str().unwrap();
    success_json(&medeval(&[
        "run",
        "--items",
        &items,
        "--endpoint",
        &server.url(),
        "--model",
        "m",
        "--store",
        store,
        "--no-progress",
        "--json",
    ]));

    let report = success_json(&medeval(&[
        "fairness",
        "--by",
        "sex",
        "--by",
        "site",
        "--store",
        store,
        "--json",
        "--replicates",
        "2000",
    ]));
    assert_eq!(report["min_group_n"], 30);
    assert_eq!(report["policy"], "count_as_wrong");
    let sex = &report["fields"][0];
    let site = &report["fields"][1];
    assert_eq!(
        (sex["field"].as_str(), site["field"].as_str()),
        (Some("sex"), Some("site"))
    );

    // sex: F 40/50 = 0.8, M 25/50 = 0.5. Gap 0.3, ratio 0.625, worst M.
    close(&group(sex, "F")["accuracy"], 0.8);
    close(&group(sex, "M")["accuracy"], 0.5);
    assert_eq!(group(sex, "F")["items"], 50);
    assert_eq!(sex["ranked_groups"], 2);
    assert_eq!(sex["worst_group"]["group"], "M");
    assert_eq!(sex["best_group"]["group"], "F");
    close(&sex["gap"], 0.3);
    close(&sex["ratio"], 0.625);
    let [low, high] = [number(&sex["gap_ci"][0]), number(&sex["gap_ci"][1])];
    assert!(
        low < 0.3 && 0.3 < high && low > 0.0 && high < 0.6,
        "{low} {high}"
    );
    // Table [[40, 10], [25, 25]]: expected 32.5 and 17.5 in both rows, every difference 7.5,
    // statistic 2·56.25·(1/32.5 + 1/17.5) = 900/91, p = erfc(√(450/91)) (Python math.erfc).
    let test = &sex["test"];
    assert_eq!(test["method"], "pearson_chi_square");
    close(&test["statistic"], 900.0 / 91.0);
    assert_eq!(test["df"], 1);
    close(&test["min_expected"], 17.5);
    close(&test["p_value"], 0.001_661_694_457_983_511);

    // site: A 30/40 = 0.75, B 15/40 = 0.375; C (10 items) too small; 10 items without a site.
    close(&group(site, "A")["accuracy"], 0.75);
    close(&group(site, "B")["accuracy"], 0.375);
    assert_eq!(group(site, "C")["standing"], "too_small");
    assert_eq!(group(site, "C")["items"], 10);
    close(&group(site, "C")["accuracy"], 1.0);
    assert_eq!(group(site, "(missing)")["standing"], "missing_field");
    assert_eq!(group(site, "(missing)")["items"], 10);
    assert_eq!(site["ranked_groups"], 2);
    assert_eq!(site["left_out"]["too_small"], 1);
    assert_eq!(site["left_out"]["too_small_items"], 10);
    assert_eq!(site["left_out"]["missing_field_items"], 10);
    assert_eq!(site["worst_group"]["group"], "B");
    close(&site["gap"], 0.375);
    close(&site["ratio"], 0.5);
    // Table [[30, 10], [15, 25]]: expected 22.5 and 17.5, differences 7.5, statistic
    // 2·56.25·(1/22.5 + 1/17.5) = 80/7, p = erfc(√(40/7)).
    close(&site["test"]["statistic"], 80.0 / 7.0);
    let p_site = 0.000_723_232_716_430_193_9;
    close(&site["test"]["p_value"], p_site);
    // Holm over two fields: site's p is smaller, 2·p_site; sex gets max(2·p_site, p_sex) = p_sex.
    close(&site["p_holm"], 2.0 * p_site);
    close(&sex["p_holm"], 0.001_661_694_457_983_511);

    // The groups' accuracies and intervals are show --by's.
    let show = success_json(&medeval(&[
        "show", "--by", "site", "--store", store, "--json",
    ]));
    for name in ["A", "B", "C", "(missing)"] {
        assert_eq!(
            group(site, name)["accuracy_ci"],
            show["groups"]["site"][name]["accuracy_ci"]
        );
        assert_eq!(group(site, name)["n"], show["groups"]["site"][name]["n"]);
    }

    // With a minimum of 5, site C is judged: its expected wrong count is 10·35/90 < 5, so the
    // permutation test is used, and said.
    let small = success_json(&medeval(&[
        "fairness",
        "--by",
        "site",
        "--store",
        store,
        "--json",
        "--min-group-n",
        "5",
        "--permutations",
        "2000",
    ]));
    let site = &small["fields"][0];
    assert_eq!(site["ranked_groups"], 3);
    assert_eq!(site["best_group"]["group"], "C");
    close(&site["gap"], 0.625);
    assert_eq!(site["test"]["method"], "permutation_small_expected");
    assert_eq!(site["test"]["permutations"]["count"], 2000);
    let p = number(&site["test"]["p_value"]);
    assert!((1.0 / 2001.0..0.01).contains(&p), "{p}");

    // One group only: no gap, no test, said plainly.
    let one = success_json(&medeval(&[
        "fairness",
        "--by",
        "site",
        "--store",
        store,
        "--json",
        "--min-group-n",
        "40",
    ]));
    let site = &one["fields"][0];
    assert_eq!(site["ranked_groups"], 2, "A and B have 40 items each");
    let one = success_json(&medeval(&[
        "fairness",
        "--by",
        "sex",
        "--store",
        store,
        "--json",
        "--min-group-n",
        "51",
    ]));
    let sex = &one["fields"][0];
    assert_eq!(sex["ranked_groups"], 0);
    assert_eq!(sex["test"], Value::Null);
    assert_eq!(sex["gap"], Value::Null);
    assert!(
        sex["not_compared"]
            .as_str()
            .unwrap()
            .contains("no group has 51 or more items")
    );

    // The terminal report names the worst group and the test.
    let text = medeval(&["fairness", "--by", "sex", "--store", store]);
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("worst group: M (50.0%)"), "{text}");
    assert!(text.contains("Pearson chi-square"), "{text}");
}

#[test]
fn an_unknown_field_names_it_and_the_fields_the_items_have() {
    let rt = runtime();
    let server = server(&rt);
    let dir = tempfile::tempdir().unwrap();
    let items = write_items(dir.path());
    let store = dir.path().join("runs.db");
    let store = store.to_str().unwrap();
    success_json(&medeval(&[
        "run",
        "--items",
        &items,
        "--endpoint",
        &server.url(),
        "--model",
        "m",
        "--store",
        store,
        "--no-progress",
        "--json",
    ]));
    let output = medeval(&["fairness", "--by", "scanner", "--store", store]);
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(message.contains("--by scanner"), "{message}");
    assert!(message.contains("answer_type, sex, site"), "{message}");
}
