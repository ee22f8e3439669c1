//! Runs kept in different stores, compared, ranked and tabled together (`STORE:RUN`), and two
//! settings of one model side by side in a table, each row named by the setting that differs.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{cli, run_command, runtime, stderr, success_json};
use medeval_mockserver::{MockServer, Reply};

const ITEMS: &str = concat!(
    r#"{"id": "m1", "question": "[m1] Modality?", "options": {"A": "CT", "B": "MRI"}, "answer": "A"}"#,
    "\n",
    r#"{"id": "m2", "question": "[m2] Organ?", "options": {"A": "Liver", "B": "Spleen"}, "answer": "B"}"#,
    "\n",
    r#"{"id": "m3", "question": "[m3] Side?", "options": {"A": "Left", "B": "Right"}, "answer": "A"}"#,
    "\n",
);

#[test]
fn runs_of_two_stores_are_compared_and_tabled_with_their_differing_setting_named() {
    let rt = runtime();
    // Always answers A: m1 and m3 right, m2 wrong.
    let server = rt
        .block_on(MockServer::builder().rule(|_| Reply::text("A")).start())
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(&items, ITEMS).unwrap();
    let greedy = dir.path().join("greedy.db");
    let hot = dir.path().join("hot.db");
    let url = server.url();
    let mut ids = Vec::new();
    for (store, temperature) in [(&greedy, "0"), (&hot, "0.7")] {
        let args = run_command(
            &items,
            &[&url],
            "mock-model",
            store,
            &["--json", "--temperature", temperature],
        );
        ids.push(
            success_json(&cli(&args).run())["run"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    let a = format!("{}:{}", greedy.display(), ids[0]);
    let b = format!("{}:{}", hot.display(), ids[1]);

    let compared = cli(["compare", &a, &b, "--json"]).run();
    let comparison = success_json(&compared);
    let first = &comparison[0];
    assert_eq!(first["n_paired"], 3, "{comparison:#}");
    assert!((first["acc_a"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(first["diff"], 0.0, "{comparison:#}");
    assert_eq!(first["run_a"]["label"], a.as_str());
    assert_eq!(first["run_b"]["run"], ids[1].as_str());

    let tabled = cli(["table", &a, &b, "--format", "json"]).run();
    let table = success_json(&tabled);
    let rows: Vec<&str> = table["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["model"].as_str().unwrap())
        .collect();
    assert_eq!(
        rows,
        ["mock-model [temperature 0]", "mock-model [temperature 0.7]"],
        "{table:#}"
    );

    // A run given twice (the same store and run) is refused; an unknown run in a named store
    // names that store.
    let twice = cli(["table", &a, &a, "--format", "json"]).run();
    assert_eq!(twice.status.code(), Some(1));
    assert!(
        stderr(&twice).contains("is given twice"),
        "{}",
        stderr(&twice)
    );
    let unknown = cli(["compare", &a, &format!("{}:nosuchrun", hot.display())]).run();
    assert_eq!(unknown.status.code(), Some(1));
    assert!(stderr(&unknown).contains("hot.db"), "{}", stderr(&unknown));
}
