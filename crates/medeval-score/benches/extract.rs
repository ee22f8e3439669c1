//! Extraction throughput on a realistic mix of responses, and what the conservative yes/no
//! policy costs on the hand-labelled cases.
//!
//! Run with `cargo bench -p medeval-score`. The mix:
//!
//! - the hand-labelled cases of the original case files (`BASE_CASE_FILES`: short answers,
//!   traps, Chinese, refusals), except those whose gold answer is not valid for their type;
//! - long chain-of-thought multiple-choice responses (1-4 KB) that discuss every option, some
//!   inside `<think>` blocks, ending with a committed answer in one of several forms;
//! - yes/no responses with a sentence or two of explanation, and short open answers.
//!
//! The synthetic responses come from a fixed-seed generator, so every run scores the same text.

use std::hint::black_box;
use std::path::Path;
use std::time::Instant;

use medeval_core::{AnswerType, Gold, Item, Letter, Options};
use medeval_score::{Response, score};

/// A tiny deterministic generator (64-bit LCG), enough to vary the synthetic text.
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.next() % items.len()]
    }
}

/// The case files the realistic mix has always used, named so that adding case files does
/// not change the workload whose speed is compared across versions.
const BASE_CASE_FILES: [&str; 4] = ["closed.jsonl", "mcq.jsonl", "open.jsonl", "report.jsonl"];

fn item(answer_type: AnswerType, options: &[(char, &str)], answer: &str) -> Item {
    Item {
        id: String::new(),
        question: String::new(),
        images: vec![],
        options: options
            .iter()
            .filter_map(|(l, t)| Letter::new(*l).map(|l| (l, (*t).to_owned())))
            .collect::<Options>(),
        gold: Gold::read(answer_type, answer).expect("a valid gold answer"),
        meta: Default::default(),
        cluster: None,
    }
}

const OPTIONS: [(char, &str); 4] = [
    ('A', "Atelectasis"),
    ('B', "Pneumonia"),
    ('C', "Pleural effusion"),
    ('D', "Pneumothorax"),
];

const REASONING: &[&str] = &[
    "The chest radiograph shows a homogeneous opacity in the right lower zone with air bronchograms.",
    "Option A (atelectasis) would usually show volume loss with shift of the fissures, which is not seen here.",
    "Option C, a pleural effusion, would blunt the costophrenic angle and form a meniscus; the angles look sharp.",
    "D is unlikely because no visceral pleural line is visible and lung markings reach the periphery.",
    "The clinical picture of fever and productive cough supports an infective process.",
    "Let me reconsider the lateral view: the opacity projects over the lower lobe, not the middle lobe.",
    "A is tempting given the linear densities, but the overall pattern is consolidation rather than collapse.",
    "右下肺野可见片状高密度影，内见支气管充气征，考虑感染性病变。",
];

const ENDINGS: &[&str] = &[
    "Therefore, the answer is B.",
    "Final Answer: \\boxed{B}",
    "**Answer: (B) Pneumonia**",
    "<answer>B</answer>",
    "{\"answer\": \"B\"}",
    "故选B。",
    "So B is the correct answer.",
    "The most likely diagnosis is pneumonia.",
];

fn long_mcq(rng: &mut Lcg) -> String {
    let mut text = String::new();
    let think = rng.next() % 2 == 0;
    if think {
        text.push_str("<think>\n");
    }
    let sentences = 8 + rng.next() % 30;
    for _ in 0..sentences {
        text.push_str(rng.pick(REASONING));
        text.push(' ');
    }
    if think {
        text.push_str("\n</think>\n\n");
    } else {
        text.push_str("\n\n");
    }
    text.push_str(rng.pick(ENDINGS));
    text
}

const CLOSED: &[&str] = &[
    "Yes, there is a transverse fracture of the distal radius with mild dorsal angulation.",
    "No, there is no fracture. The cortical outlines are intact and the joint is congruent.",
    "Based on the image, no. The lungs are clear and there is no pneumothorax.",
    "There is no evidence of pneumothorax.",
    "是的，图中可见右侧肋骨骨折。",
    "不是。这是一张MRI图像。",
    "The answer is yes: a small left pleural effusion is present.",
];

const OPEN: &[&str] = &[
    "Left lung",
    "The lesion is in the left lower lobe.",
    "Answer: right kidney",
    "右肺上叶",
    "T2-weighted MRI",
];

fn workload() -> Vec<(Item, String)> {
    let mut work = Vec::new();
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    for name in BASE_CASE_FILES {
        let Ok(text) = std::fs::read_to_string(cases.join(name)) else {
            continue;
        };
        for line in text.lines() {
            let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let answer_type = case["type"]
                .as_str()
                .and_then(AnswerType::parse)
                .unwrap_or(AnswerType::Open);
            // A case whose gold is not valid for its type (the invalid-gold cases) is not
            // extraction work.
            let answer = case["answer"].as_str().unwrap_or("");
            if Gold::read(answer_type, answer).is_err() {
                continue;
            }
            let mut item = item(answer_type, &[], answer);
            if answer_type == AnswerType::Mcq {
                item.options = match case["options"].as_object() {
                    Some(options) => options
                        .iter()
                        .filter_map(|(l, t)| {
                            let letter = Letter::try_from(l.clone()).ok()?;
                            Some((letter, t.as_str()?.to_owned()))
                        })
                        .collect(),
                    None => self::item(answer_type, &OPTIONS, "B").options,
                };
            }
            work.push((item, case["response"].as_str().unwrap_or("").to_owned()));
        }
    }
    let mut rng = Lcg(42);
    let mcq = item(AnswerType::Mcq, &OPTIONS, "B");
    let closed = item(AnswerType::Closed, &[], "yes");
    let open = item(AnswerType::Open, &[], "left lung");
    for _ in 0..600 {
        work.push((mcq.clone(), long_mcq(&mut rng)));
    }
    for _ in 0..600 {
        work.push((closed.clone(), rng.pick(CLOSED).to_owned()));
    }
    for _ in 0..300 {
        work.push((open.clone(), rng.pick(OPEN).to_owned()));
    }
    work
}

/// Best-of-`rounds` time to score every response once, in seconds.
fn time(work: &[(Item, String)], rounds: usize) -> f64 {
    (0..rounds)
        .map(|_| {
            let start = Instant::now();
            for (item, text) in work {
                black_box(score(item, &Response::new(text)));
            }
            start.elapsed().as_secs_f64()
        })
        .fold(f64::INFINITY, f64::min)
}

fn report(name: &str, work: &[(Item, String)]) {
    let bytes: usize = work.iter().map(|(_, t)| t.len()).sum();
    let seconds = time(work, 20);
    let per_response = seconds / work.len() as f64;
    println!(
        "{name:<28} {:>6} responses  {:>7.0} B avg  {:>9.0} responses/s  {:>7.2} µs/response  {:>6.1} MB/s",
        work.len(),
        bytes as f64 / work.len() as f64,
        1.0 / per_response,
        per_response * 1e6,
        bytes as f64 / seconds / 1e6,
    );
}

/// Yes/no cases where a human reads an answer the rules decline to read.
fn conservative_cost() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases/closed.jsonl");
    let text = std::fs::read_to_string(path).expect("closed cases");
    let cases: Vec<serde_json::Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    let human_readable = cases
        .iter()
        .filter(|c| c["extracted"].is_string() || c["human"].is_string())
        .count();
    let declined = cases.iter().filter(|c| c["human"].is_string()).count();
    let read = human_readable - declined;
    println!(
        "closed cases: {} in all; a human reads yes/no in {human_readable}; the rules read {read} \
         of those ({:.1}%) and decline {declined}; they never read a different answer",
        cases.len(),
        100.0 * read as f64 / human_readable as f64,
    );
    substring_rule_on(&cases);
}

/// The substring yes/no test several toolkits use (benchmarks reference: "'no' in response"
/// also matches "nodule"), on the same cases: "yes" when the lower-cased response contains
/// "yes" and not "no", "no" when it contains "no" and not "yes", else nothing.
fn substring_rule_on(cases: &[serde_json::Value]) {
    let mut differs = 0;
    let mut reads_unlabelled = 0;
    for case in cases {
        let text = case["response"].as_str().unwrap_or("").to_lowercase();
        let substring = match (text.contains("yes"), text.contains("no")) {
            (true, false) => Some("yes"),
            (false, true) => Some("no"),
            _ => None,
        };
        let human = case["human"].as_str().or(case["extracted"].as_str());
        match (substring, human) {
            (Some(s), Some(h)) if s != h => differs += 1,
            (Some(_), None) => reads_unlabelled += 1,
            _ => {}
        }
    }
    println!(
        "substring rule on the same cases: reads a different answer from the human in {differs}, \
         and an answer where the human reads none in {reads_unlabelled}"
    );
}

fn main() {
    let work = workload();
    // Compile the patterns before timing.
    time(&work, 1);
    let by_kind = |kind: fn(&(Item, String)) -> bool| -> Vec<(Item, String)> {
        work.iter().filter(|w| kind(w)).cloned().collect()
    };
    println!(
        "medeval-score extraction (extractor version {})",
        medeval_score::EXTRACTOR_VERSION
    );
    report("all (realistic mix)", &work);
    report(
        "long chain-of-thought mcq",
        &by_kind(|(i, t)| i.answer_type() == AnswerType::Mcq && t.len() > 800),
    );
    report(
        "short mcq",
        &by_kind(|(i, t)| i.answer_type() == AnswerType::Mcq && t.len() <= 800),
    );
    report(
        "closed",
        &by_kind(|(i, _)| i.answer_type() == AnswerType::Closed),
    );
    report(
        "open",
        &by_kind(|(i, _)| i.answer_type() == AnswerType::Open),
    );
    report("realstyle cases (not in mix)", &realstyle());
    conservative_cost();
}

/// The responses in real models' styles (`tests/cases/realstyle-*.jsonl`), timed on their own
/// so that the realistic mix stays comparable across versions.
fn realstyle() -> Vec<(Item, String)> {
    let cases = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/cases");
    let mut work = Vec::new();
    for name in REALSTYLE_FILES {
        let Ok(text) = std::fs::read_to_string(cases.join(name)) else {
            continue;
        };
        for line in text.lines() {
            let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let answer_type = case["type"]
                .as_str()
                .and_then(AnswerType::parse)
                .unwrap_or(AnswerType::Open);
            let answer = case["answer"].as_str().unwrap_or("");
            if Gold::read(answer_type, answer).is_err() {
                continue;
            }
            let mut item = item(answer_type, &[], answer);
            item.question = case["question"].as_str().unwrap_or("").to_owned();
            if answer_type == AnswerType::Mcq {
                item.options = match case["options"].as_object() {
                    Some(options) => options
                        .iter()
                        .filter_map(|(l, t)| {
                            let letter = Letter::try_from(l.clone()).ok()?;
                            Some((letter, t.as_str()?.to_owned()))
                        })
                        .collect(),
                    None => self::item(answer_type, &OPTIONS, "B").options,
                };
            }
            work.push((item, case["response"].as_str().unwrap_or("").to_owned()));
        }
    }
    work
}

/// The case files of responses in real models' styles.
const REALSTYLE_FILES: [&str; 3] = [
    "realstyle-mcq.jsonl",
    "realstyle-closed.jsonl",
    "realstyle-open.jsonl",
];
