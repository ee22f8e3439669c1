//! Hand-labelled extraction cases.
//!
//! Every line of `tests/cases/*.jsonl` is one response with the verdict a careful human reader
//! gives it, written by reading the response, not by running the extractor. Fields:
//!
//! - `type`, `question` (optional), `options` (optional for `mcq`: the default set below),
//!   `answer`: the item.
//! - `response`, `reasoning`, `refusal`: what the model returned.
//! - `outcome`, `extracted`, `rule`: the expected verdict under the documented rules.
//! - `human`: only where the rules deliberately decline to read an answer that a human would
//!   read (declarative yes/no answers, hedged commitments): what the human reads. The rules must
//!   then say `unparsed`; they may be conservative, never different.
//! - `token_f1` (optional, open answers): the hand-computed token F1.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use medeval_core::{AnswerType, Gold, GoldError, Item, Letter, Options, Outcome};
use medeval_score::{RULES, Response, score};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    id: String,
    #[serde(rename = "type")]
    answer_type: String,
    #[serde(default)]
    question: Option<String>,
    #[serde(default)]
    options: Option<BTreeMap<String, String>>,
    answer: String,
    response: String,
    #[serde(default)]
    reasoning: Option<String>,
    #[serde(default)]
    refusal: Option<String>,
    outcome: String,
    extracted: Option<String>,
    rule: String,
    #[serde(default)]
    human: Option<String>,
    #[serde(default)]
    token_f1: Option<f64>,
    #[allow(dead_code)]
    note: String,
}

/// The options of `mcq` cases that do not list their own.
const DEFAULT_OPTIONS: [(char, &str); 4] = [
    ('A', "Atelectasis"),
    ('B', "Pneumonia"),
    ('C', "Pleural effusion"),
    ('D', "Pneumothorax"),
];

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases")
}

fn load_cases() -> Vec<(String, Case)> {
    let mut files: Vec<PathBuf> = fs::read_dir(cases_dir())
        .expect("tests/cases exists")
        .map(|e| e.expect("readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "jsonl"))
        .collect();
    files.sort();
    let mut cases = Vec::new();
    for file in files {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let text = fs::read_to_string(&file).expect("readable case file");
        for (line_no, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let case: Case = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("{name} line {}: {e}", line_no + 1));
            cases.push((name.clone(), case));
        }
    }
    cases
}

/// The case's item, or why its gold answer cannot be one: a gold answer that does not fit its
/// answer type is refused where items are built, so it never reaches a scorer.
fn item(case: &Case) -> Result<Item, GoldError> {
    let answer_type = AnswerType::parse(&case.answer_type)
        .unwrap_or_else(|| panic!("{}: unknown type {}", case.id, case.answer_type));
    let options: Options = match (&case.options, answer_type) {
        (Some(options), _) => options
            .iter()
            .map(|(l, t)| {
                let letter =
                    Letter::try_from(l.clone()).unwrap_or_else(|e| panic!("{}: {e}", case.id));
                (letter, t.clone())
            })
            .collect(),
        (None, AnswerType::Mcq) => DEFAULT_OPTIONS
            .iter()
            .map(|(l, t)| (Letter::new(*l).expect("A-D are letters"), (*t).to_owned()))
            .collect(),
        (None, _) => Options::new(),
    };
    Ok(Item {
        id: case.id.clone(),
        question: case.question.clone().unwrap_or_default(),
        images: vec![],
        options,
        gold: Gold::read(answer_type, &case.answer)?,
        meta: Default::default(),
        cluster: None,
    })
}

fn response(case: &Case) -> Response<'_> {
    Response {
        content: &case.response,
        reasoning: case.reasoning.as_deref(),
        refusal: case.refusal.as_deref(),
    }
}

#[test]
fn every_hand_labelled_case_is_scored_as_labelled() {
    let cases = load_cases();
    assert!(cases.len() >= 300, "only {} cases", cases.len());
    let mut failures = Vec::new();
    for (file, case) in &cases {
        let scored = match item(case) {
            Ok(item) => score(&item, &response(case)),
            // Refused before scoring: the same verdict a scorer gives a gold it cannot read.
            Err(_) => medeval_core::Scored::new(Outcome::Error, None, "error:invalid-gold"),
        };
        let expected = (
            case.outcome.as_str(),
            case.extracted.as_deref(),
            case.rule.as_str(),
        );
        let got = (
            scored.outcome.as_str(),
            scored.extracted.as_deref(),
            scored.rule.as_str(),
        );
        if got != expected {
            failures.push(format!(
                "{file} {}: expected {expected:?}, got {got:?}\n    response: {:?}",
                case.id, case.response
            ));
        }
        if let Some(expected_f1) = case.token_f1 {
            let f1 = scored.metrics.get("token_f1").copied();
            if f1.is_none_or(|f1| (f1 - expected_f1).abs() > 1e-9) {
                failures.push(format!(
                    "{file} {}: token_f1 expected {expected_f1}, got {f1:?}",
                    case.id
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn labels_are_consistent() {
    let cases = load_cases();
    let mut ids = BTreeSet::new();
    for (file, case) in &cases {
        assert!(ids.insert(&case.id), "{file}: duplicate id {}", case.id);
        assert!(
            Outcome::parse(&case.outcome).is_some(),
            "{}: unknown outcome",
            case.id
        );
        let judged = matches!(case.outcome.as_str(), "correct" | "wrong");
        let has_extracted = case.extracted.is_some();
        if case.answer_type != "open" && case.answer_type != "report" {
            assert_eq!(
                judged, has_extracted,
                "{}: an answer is extracted exactly when it is judged",
                case.id
            );
        }
        // Conservative, never different: where a human reads more than the rules, the rules
        // read nothing.
        if case.human.is_some() {
            assert_eq!(
                (case.outcome.as_str(), has_extracted),
                ("unparsed", false),
                "{}: `human` is only for answers the rules decline to read",
                case.id
            );
        }
    }
}

#[test]
fn every_rule_is_exercised_by_a_case() {
    let cases = load_cases();
    let used: BTreeSet<&str> = cases.iter().map(|(_, c)| c.rule.as_str()).collect();
    let bases: BTreeSet<&str> = used
        .iter()
        .map(|rule| rule.split('+').next().unwrap_or(rule))
        .collect();
    for rule in RULES {
        assert!(bases.contains(rule), "no case exercises {rule}");
    }
    for base in &bases {
        assert!(RULES.contains(base), "case rule {base} is not in RULES");
    }
    for suffix in ["+text", "+outside"] {
        assert!(
            used.iter().any(|r| r.ends_with(suffix)),
            "no case reads a letter as {suffix}"
        );
    }
}

#[test]
fn every_rule_is_documented() {
    let doc_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/scoring-rules.md");
    let doc = fs::read_to_string(&doc_path).expect("docs/scoring-rules.md exists");
    for rule in RULES {
        assert!(
            doc.contains(&format!("`{rule}`")),
            "{rule} is missing from docs/scoring-rules.md"
        );
    }
    assert!(
        doc.contains(&format!(
            "extractor version `{}`",
            medeval_score::EXTRACTOR_VERSION
        )),
        "docs/scoring-rules.md names the extractor version"
    );
}
