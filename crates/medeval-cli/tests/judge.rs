//! `medeval run --judge-*`, `medeval rescore`, `medeval judge specs|spec|agree`: the judge from
//! the command line, against a candidate and a judge server on loopback.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::{assert_success, json, medeval, runtime, stderr, stdout, success_json};
use medeval_mockserver::{MockServer, Reply};

const ITEMS: &str = concat!(
    r#"{"id": "o1", "question": "[o1] Which organ is enlarged?", "answer": "heart", "answer_type": "open"}"#,
    "\n",
    r#"{"id": "o2", "question": "[o2] What is the abnormality?", "answer": "cardiomegaly", "answer_type": "open"}"#,
    "\n",
    r#"{"id": "o3", "question": "[o3] Which side?", "answer": "left", "answer_type": "open"}"#,
    "\n",
    r#"{"id": "c1", "question": "[c1] Fracture?", "answer": "yes"}"#,
    "\n",
);

fn candidate(prompt: &str) -> Reply {
    Reply::text(if prompt.contains("[o1]") {
        "Heart."
    } else if prompt.contains("[o2]") {
        "Enlarged heart."
    } else if prompt.contains("[o3]") {
        "Right."
    } else {
        "Yes."
    })
}

fn judge(prompt: &str) -> Reply {
    Reply::text(if prompt.contains("[o3]") {
        "Different side.\nVERDICT: INCORRECT"
    } else {
        "Same finding.\nVERDICT: CORRECT"
    })
}

struct Servers {
    _runtime: tokio::runtime::Runtime,
    candidate: MockServer,
    judge: MockServer,
}

fn servers() -> Servers {
    let runtime = runtime();
    let candidate = runtime
        .block_on(
            MockServer::builder()
                .models(&["cand"])
                .rule(|r| candidate(&r.prompt))
                .start(),
        )
        .unwrap();
    let judge = runtime
        .block_on(
            MockServer::builder()
                .models(&["judge"])
                .rule(|r| judge(&r.prompt))
                .start(),
        )
        .unwrap();
    Servers {
        _runtime: runtime,
        candidate,
        judge,
    }
}

#[test]
fn a_judged_run_reports_its_judge_and_rescoring_asks_the_judge_nothing() {
    let servers = servers();
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(&items, ITEMS).unwrap();
    let store = dir.path().join("runs.db");
    let (items, store) = (items.to_str().unwrap(), store.to_str().unwrap());
    let judge_url = servers.judge.url();
    let output = medeval(&[
        "run",
        "--items",
        items,
        "--store",
        store,
        "--no-progress",
        "--json",
        "--endpoint",
        &servers.candidate.url(),
        "--model",
        "cand",
        "--judge-endpoint",
        &judge_url,
        "--judge-model",
        "judge",
    ]);
    let summary = success_json(&output);
    // o1, o2 (overturned from the rules' "wrong") and c1 right; o3 wrong.
    assert_eq!(summary["counts"]["correct"], 3, "{summary}");
    assert_eq!(summary["counts"]["wrong"], 1);
    let judge = &summary["judge"];
    assert_eq!(judge["model"], "judge");
    assert_eq!(judge["spec"], "open-equivalence");
    assert_eq!(judge["judged"], 3);
    assert_eq!(judge["unjudged"], 0);
    assert_eq!(judge["rule_judge_compared"], 3);
    assert_eq!(servers.judge.chat_requests().len(), 3);

    // The terminal summary names the judge above its numbers.
    let shown = medeval(&["show", "--store", store]);
    assert_success(&shown);
    let text = stdout(&shown);
    assert!(text.contains("judge: judge, open-equivalence "), "{text}");
    assert!(
        text.contains("rule and judge disagree on 33.3% of 3"),
        "{text}"
    );

    // Back to the rules, then judged again from the cache: no new judge request.
    let ruled = medeval(&["rescore", "--store", store, "--json"]);
    assert_eq!(json(&ruled)["counts"]["correct"], 2, "{}", stderr(&ruled));
    assert!(json(&ruled).get("judge").is_none());
    let judged = medeval(&[
        "rescore",
        "--store",
        store,
        "--json",
        "--judge-endpoint",
        &judge_url,
        "--judge-model",
        "judge",
    ]);
    assert_eq!(json(&judged)["counts"]["correct"], 3, "{}", stderr(&judged));
    assert!(
        stderr(&judged).contains("3 verdict(s) changed"),
        "{}",
        stderr(&judged)
    );
    assert_eq!(
        servers.judge.chat_requests().len(),
        3,
        "every reply came from the store"
    );

    // The judge against labels a person wrote: it agrees on o1 and o3, not on o2.
    let labels = dir.path().join("labels.jsonl");
    std::fs::write(
        &labels,
        "{\"id\": \"o1\", \"label\": true}\n{\"id\": \"o2\", \"label\": \"wrong\"}\n{\"id\": \"o3\", \"label\": 0}\n",
    )
    .unwrap();
    let run_id = json(&judged)["run"].as_str().unwrap().to_owned();
    let agree = medeval(&[
        "judge",
        "agree",
        &run_id,
        "--store",
        store,
        "--labels",
        labels.to_str().unwrap(),
        "--json",
    ]);
    let agreement = success_json(&agree);
    assert_eq!(agreement["n"], 3);
    assert!((agreement["accuracy"].as_f64().unwrap() - 2.0 / 3.0).abs() < 1e-12);
    // Judge met/label not met on o2 only. kappa: p_o 2/3; judge met 2/3, labels met 1/3:
    // p_e = 2/3*1/3 + 1/3*2/3 = 4/9; kappa = (2/3 - 4/9) / (5/9) = 0.4.
    assert_eq!(agreement["rater_met_reference_not"], 1);
    assert!((agreement["kappa"].as_f64().unwrap() - 0.4).abs() < 1e-12);
}

#[test]
fn a_self_judging_run_and_a_bad_label_file_are_refused_with_advice() {
    let servers = servers();
    let dir = tempfile::tempdir().unwrap();
    let items = dir.path().join("items.jsonl");
    std::fs::write(&items, ITEMS).unwrap();
    let store = dir.path().join("runs.db");
    let url = servers.candidate.url();
    let output = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
        "--endpoint",
        &url,
        "--model",
        "cand",
        "--judge-endpoint",
        &url,
        "--judge-model",
        "cand",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("--allow-self-judge"),
        "{}",
        stderr(&output)
    );
    assert!(!store.exists(), "nothing is written for a refused run");
    assert!(servers.candidate.chat_requests().is_empty());

    let output = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
        "--endpoint",
        &url,
        "--model",
        "cand",
        "--judge-endpoint",
        &servers.judge.url(),
        "--judge-model",
        "judge",
        "--judge-spec",
        "open-equivalance",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(
        stderr(&output).contains("medeval judge specs"),
        "{}",
        stderr(&output)
    );

    // A label file with a bad line names the file, the line and the field.
    let run = medeval(&[
        "run",
        "--items",
        items.to_str().unwrap(),
        "--store",
        store.to_str().unwrap(),
        "--no-progress",
        "--endpoint",
        &url,
        "--model",
        "cand",
        "--json",
    ]);
    let run_id = success_json(&run)["run"].as_str().unwrap().to_owned();
    let labels = dir.path().join("labels.jsonl");
    std::fs::write(
        &labels,
        "{\"id\": \"o1\", \"label\": true}\n{\"id\": \"o2\", \"label\": \"maybe\"}\n",
    )
    .unwrap();
    let output = medeval(&[
        "judge",
        "agree",
        "--store",
        store.to_str().unwrap(),
        "--labels",
        labels.to_str().unwrap(),
        &run_id,
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("labels.jsonl, line 2: field \"label\""),
        "{message}"
    );
}

#[test]
fn the_built_in_specs_are_listed_with_their_hashes() {
    let list = success_json(&medeval(&["judge", "specs", "--json"]));
    let names: Vec<&str> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|spec| spec["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "open-equivalence",
            "medevalkit-open",
            "model-graded-fact",
            "binary-strict",
            "short-answer"
        ]
    );
    for spec in list.as_array().unwrap() {
        assert_eq!(spec["hash"].as_str().unwrap().len(), 64);
    }
    let shown = medeval(&["judge", "spec", "model-graded-fact"]);
    assert_success(&shown);
    assert!(stdout(&shown).contains("[BEGIN DATA]"));
}
