//! A stored run, summarised: what `medeval show --json` prints, what tables and viewers read.
//!
//! A stored run becomes the one [`ScoredRun`] every report reads here ([`scored_run`]), and
//! nowhere else. Whether it is *complete* and how many samples are *missing* is the
//! [`ScoredRun`]'s to say: a run is complete when every draw of every item has a stored sample,
//! none ended in error, and the run is not marked running.

use std::collections::{BTreeSet, HashMap, HashSet};

use medeval_core::{AnswerType, Outcome};
use medeval_report::{
    Align, RunLabel, RunSource, ScoredRecord, ScoredRun, Summary, SummaryOptions, Table,
    TidySource, push_tidy_rows,
};
use medeval_stats::{CiMethod, RepeatedSummary, TieRule};
use medeval_store::{RunStatus, StoredRun};
use serde::Serialize;

/// A stored run's summary, as `medeval show --json` prints it.
#[derive(Debug, Clone, Serialize)]
pub struct RunSummary {
    /// Run id.
    pub run: String,
    /// Benchmark name.
    pub benchmark: String,
    /// Model name.
    pub model: String,
    /// Recorded status.
    pub status: String,
    /// Whether every item of the run has a final response (no errors, nothing missing).
    pub complete: bool,
    /// Samples of the run not stored yet, one per item and draw (interrupted or limited
    /// invocations); with one sample per item, the items without a response.
    pub missing: u64,
    /// Samples per item the run asks for.
    pub samples_per_item: u32,
    /// The summary. With several samples per item its accuracy is over all samples and its
    /// intervals are clustered by item.
    #[serde(flatten)]
    pub summary: Summary,
    /// Mean accuracy, within-item variance, majority vote and any-correct, for runs with
    /// several samples per item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated: Option<RepeatedSummary>,
    /// Why `repeated` could not be computed (no judged sample, one cluster).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub repeated_error: Option<String>,
    /// Why samples ended in `error`, grouped by reason, most frequent first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub error_reasons: Vec<ErrorReason>,
    /// Answers the token limit cut (`finish_reason` `"length"`): the model did not finish, so
    /// `--max-tokens` may be too low for it. A cut answer is read only where it ended before
    /// the cut (otherwise `unparsed:truncated`).
    pub truncated: u64,
    /// Who judged the run's open answers and how it went, for runs scored by a judge.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub judge: Option<JudgeSummary>,
    /// Samples that ended in error ([`ScoredRun::errors`]); in the JSON, the counts hold them.
    #[serde(skip)]
    errors: u64,
}

/// A judged run's judge: who it is, how many answers it decided, how many it could not, and
/// how often it disagreed with the rules' normalised match.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct JudgeSummary {
    /// The judge model.
    pub model: String,
    /// The judge spec's name.
    pub spec: String,
    /// SHA-256 of the spec's content.
    pub spec_hash: String,
    /// The temperature sent to the judge.
    pub temperature: String,
    /// Which answers the judge decides (`open`, `open+unparsed`).
    pub scope: String,
    /// Samples the judge decided (met or not met).
    pub judged: u64,
    /// Samples the judge was asked about (or would have been) without a verdict; they count
    /// as `unparsed` under the run's non-answer policy.
    pub unjudged: u64,
    /// Unjudged samples by reason (`judge-error`, `no-verdict`, `empty-candidate` ...).
    pub unjudged_reasons: std::collections::BTreeMap<String, u64>,
    /// Of the judged samples the rules could also read, the share where the rules' normalised
    /// match and the judge disagree; `None` when there are none.
    pub rule_judge_disagreement: Option<f64>,
    /// How many judged samples that share is over.
    pub rule_judge_compared: u64,
}

/// The judge summary of `run`, when a judge scored it.
pub fn judge_summary(run: &StoredRun) -> Option<JudgeSummary> {
    let record = run.manifest.scorer.judge.as_ref()?;
    let mut summary = JudgeSummary {
        model: record.model.clone(),
        spec: record.spec.clone(),
        spec_hash: record.spec_hash.clone(),
        temperature: record.temperature.clone(),
        scope: record.scope.clone(),
        judged: 0,
        unjudged: 0,
        unjudged_reasons: std::collections::BTreeMap::new(),
        rule_judge_disagreement: None,
        rule_judge_compared: 0,
    };
    let mut disagreements = 0u64;
    for sample in &run.samples {
        let rule = sample.scored.rule.as_str();
        let met = match rule {
            medeval_judge::MET_RULE => true,
            medeval_judge::NOT_MET_RULE => false,
            _ => {
                if let Some(reason) = rule.strip_prefix(medeval_judge::UNJUDGED_RULE_PREFIX) {
                    summary.unjudged += 1;
                    *summary
                        .unjudged_reasons
                        .entry(reason.to_owned())
                        .or_default() += 1;
                }
                continue;
            }
        };
        summary.judged += 1;
        if let Some(rule_match) = sample.scored.metrics.get("rule_match") {
            summary.rule_judge_compared += 1;
            if (*rule_match == 1.0) != met {
                disagreements += 1;
            }
        }
    }
    if summary.rule_judge_compared > 0 {
        summary.rule_judge_disagreement =
            Some(disagreements as f64 / summary.rule_judge_compared as f64);
    }
    Some(summary)
}

/// Stored answers that the token limit cut (`finish_reason` `"length"`).
pub fn truncated_answers(run: &StoredRun) -> u64 {
    run.samples
        .iter()
        .filter_map(|sample| sample.completion.as_ref())
        .filter(|completion| completion.finish_reason.as_deref() == Some("length"))
        .count() as u64
}

/// Samples that ended in error for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ErrorReason {
    /// The reason, without the attempt count (`HTTP 503: overloaded`).
    pub reason: String,
    /// Samples that ended with it.
    pub count: u64,
    /// The first few item ids, in the run's order.
    pub examples: Vec<String>,
}

/// Item ids listed per error reason.
const ERROR_EXAMPLES: usize = 3;

/// The samples of `run` that ended in error, grouped by reason. The attempt count a failed
/// request's message ends with ("(after 5 attempts)") is not part of the reason, so one failure
/// mode is one group however many retries each sample took.
pub fn error_reasons(run: &StoredRun) -> Vec<ErrorReason> {
    let mut groups: Vec<ErrorReason> = Vec::new();
    for sample in &run.samples {
        if sample.scored.outcome != Outcome::Error {
            continue;
        }
        let message = sample
            .error
            .as_deref()
            .unwrap_or(sample.scored.rule.as_str());
        let reason = match message.rfind(" (after ") {
            Some(at) if message.ends_with(" attempt)") || message.ends_with(" attempts)") => {
                &message[..at]
            }
            _ => message,
        };
        match groups.iter_mut().find(|group| group.reason == reason) {
            Some(group) => {
                group.count += 1;
                if group.examples.len() < ERROR_EXAMPLES {
                    group.examples.push(sample.item_id.clone());
                }
            }
            None => groups.push(ErrorReason {
                reason: reason.to_owned(),
                count: 1,
                examples: vec![sample.item_id.clone()],
            }),
        }
    }
    // Stable: equally frequent reasons keep the order they first appeared in.
    groups.sort_by_key(|group| std::cmp::Reverse(group.count));
    groups
}

impl RunSummary {
    /// Samples that ended in error, judged and report samples together.
    pub fn errors(&self) -> u64 {
        self.errors
    }
}

/// Summarises a stored run under `options`.
pub fn summarize_stored(run: &StoredRun, options: &SummaryOptions) -> RunSummary {
    let scored = scored_run(run);
    let summary = summarize_scored(&scored, options);
    let samples_per_item = scored.draws_per_item;
    let (repeated, repeated_error) = if samples_per_item > 1 {
        match scored.repeated_summary(options.policy, TieRule::Wrong, options.confidence, true) {
            Ok(summary) => (Some(summary), None),
            Err(error) => (None, Some(error.to_string())),
        }
    } else {
        (None, None)
    };
    RunSummary {
        run: run.id.clone(),
        benchmark: run.manifest.items.benchmark.clone(),
        model: run.manifest.model.name.clone(),
        status: run.status.as_str().to_owned(),
        complete: scored.is_complete(),
        missing: scored.missing_samples(),
        samples_per_item,
        summary,
        repeated,
        repeated_error,
        error_reasons: error_reasons(run),
        truncated: truncated_answers(run),
        judge: judge_summary(run),
        errors: scored.errors(),
    }
}

/// The clustered counterpart of an interval method: samples of one item are not independent.
fn clustered_method(ci: CiMethod) -> CiMethod {
    match ci {
        CiMethod::Bootstrap(bootstrap) | CiMethod::ClusterBootstrap(bootstrap) => {
            CiMethod::ClusterBootstrap(bootstrap)
        }
        _ => CiMethod::ClusterRobust,
    }
}

/// Summarises a stored run's samples; returns the summary and the number of samples not
/// stored yet ([`ScoredRun::missing_samples`]).
pub fn summarize_samples(run: &StoredRun, options: &SummaryOptions) -> (Summary, u64) {
    let scored = scored_run(run);
    (summarize_scored(&scored, options), scored.missing_samples())
}

/// Summarises a run's samples as `show` does.
///
/// With several samples per item, every sample counts in the accuracy and the intervals are
/// clustered by item (items sharing a cluster key stay in one cluster): an iid interval over
/// k·n samples would pretend to k times the evidence.
fn summarize_scored(run: &ScoredRun, options: &SummaryOptions) -> Summary {
    let mut options = options.clone();
    if run.draws_per_item > 1 {
        options.ci = clustered_method(options.ci);
    }
    medeval_report::summarize(run, &options)
}

/// A stored run as the one [`ScoredRun`] every report reads: one record per sample, in the
/// run's item order, each with its item's gold answer, type, cluster key and metadata; the
/// items without a sample, the draws the manifest asks for, the variant and whether the run is
/// still marked running. This is the only place a stored run's samples become records.
pub fn scored_run(run: &StoredRun) -> ScoredRun {
    let items: HashMap<&str, &medeval_store::ItemRecord> = run
        .items
        .iter()
        .map(|item| (item.id.as_str(), item))
        .collect();
    let records: Vec<ScoredRecord> = run
        .samples
        .iter()
        .filter_map(|sample| {
            let item = items.get(sample.item_id.as_str())?;
            Some(ScoredRecord {
                id: item.id.clone(),
                sample: sample.sample,
                scored: sample.scored.clone(),
                gold: Some(item.gold.text().into_owned()),
                answer_type: Some(item.gold.answer_type()),
                cluster: item.cluster.clone(),
                meta: item.meta.clone(),
            })
        })
        .collect();
    let answered: HashSet<&str> = records.iter().map(|r| r.id.as_str()).collect();
    let unanswered = run
        .items
        .iter()
        .filter(|item| !answered.contains(item.id.as_str()))
        .map(|item| item.id.clone())
        .collect();
    let manifest = &run.manifest;
    ScoredRun {
        label: RunLabel {
            label: run.id.clone(),
            source: RunSource::Store {
                run: run.id.clone(),
            },
            model: Some(manifest.model.name.clone()),
        },
        benchmark: Some(manifest.items.benchmark.clone()),
        variant: manifest.variant.clone(),
        items_sha256: Some(manifest.items.sha256.clone()),
        draws_per_item: manifest.samples_per_item.max(1),
        unanswered,
        running: run.status == RunStatus::Running,
        records,
    }
}

impl RunSummary {
    /// Appends this summary's rows to a tidy table ([`medeval_report::tidy_table`]): the
    /// numbers of `show --format csv`, one per row.
    pub fn push_tidy_rows(&self, table: &mut Table) {
        let source = TidySource {
            run: &self.run,
            benchmark: &self.benchmark,
            model: &self.model,
        };
        push_tidy_rows(table, source, &self.summary, self.repeated.as_ref());
    }
}

/// The columns of [`samples_table`] before the metadata and metric columns.
pub const SAMPLE_COLUMNS: [&str; 20] = [
    "run",
    "benchmark",
    "variant",
    "model",
    "item_id",
    "sample",
    "answer_type",
    "cluster",
    "outcome",
    "correct",
    "extracted",
    "gold",
    "rule",
    "latency_ms",
    "prompt_tokens",
    "completion_tokens",
    "cached",
    "finish_reason",
    "error",
    "response",
];

/// Every stored sample of `run` as one row, for `show --samples-csv`: the item, the draw, the
/// verdict, `correct` as 1 or 0 (0 for every outcome but `correct`; empty for generated
/// reports, which are not judged), the answer read and the gold one, latency and tokens, the
/// response text, then one `meta.FIELD` column per metadata field of the run's items and one
/// `metric.NAME` column per per-sample metric. Response, extracted answer, error and metadata
/// are untrusted: rendered as CSV they are quoted, control characters escaped and cells a
/// spreadsheet would run as a formula neutralised (see [`Table::render`]).
pub fn samples_table(run: &StoredRun) -> Table {
    let items: HashMap<&str, &medeval_store::ItemRecord> = run
        .items
        .iter()
        .map(|item| (item.id.as_str(), item))
        .collect();
    let meta_fields: BTreeSet<&str> = run
        .items
        .iter()
        .flat_map(|item| item.meta.keys().map(String::as_str))
        .collect();
    let metric_names: BTreeSet<&str> = run
        .samples
        .iter()
        .flat_map(|sample| sample.scored.metrics.keys().map(String::as_str))
        .collect();
    let mut headers: Vec<String> = SAMPLE_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    headers.extend(meta_fields.iter().map(|field| format!("meta.{field}")));
    headers.extend(metric_names.iter().map(|name| format!("metric.{name}")));
    let columns: Vec<(&str, Align)> = headers.iter().map(|h| (h.as_str(), Align::Left)).collect();
    let mut table = Table::new(&columns);
    let manifest = &run.manifest;
    for sample in &run.samples {
        let item = items.get(sample.item_id.as_str());
        let completion = sample.completion.as_ref();
        let usage = completion.and_then(|c| c.usage);
        let outcome = sample.scored.outcome;
        let correct = match outcome {
            Outcome::Generated => String::new(),
            Outcome::Correct => "1".to_owned(),
            _ => "0".to_owned(),
        };
        let mut row = vec![
            run.id.clone(),
            manifest.items.benchmark.clone(),
            manifest.variant.clone().unwrap_or_default(),
            manifest.model.name.clone(),
            sample.item_id.clone(),
            sample.sample.to_string(),
            item.map_or(String::new(), |i| answer_type(i.gold.answer_type())),
            item.and_then(|i| i.cluster.clone()).unwrap_or_default(),
            outcome.as_str().to_owned(),
            correct,
            sample.scored.extracted.clone().unwrap_or_default(),
            item.map_or(String::new(), |i| i.gold.text().into_owned()),
            sample.scored.rule.clone(),
            format!("{}", sample.latency_ms),
            usage.map_or(String::new(), |u| u.prompt_tokens.to_string()),
            usage.map_or(String::new(), |u| u.completion_tokens.to_string()),
            u8::from(sample.cached).to_string(),
            completion
                .and_then(|c| c.finish_reason.clone())
                .unwrap_or_default(),
            sample.error.clone().unwrap_or_default(),
            completion.map_or(String::new(), |c| c.content.clone()),
        ];
        row.extend(meta_fields.iter().map(|field| {
            item.and_then(|i| i.meta.get(*field))
                .map_or(String::new(), |value| match value {
                    serde_json::Value::Null => String::new(),
                    serde_json::Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
        }));
        row.extend(metric_names.iter().map(|name| {
            sample
                .scored
                .metrics
                .get(*name)
                .map_or(String::new(), |value| format!("{value}"))
        }));
        table.push(row);
    }
    table
}

fn answer_type(answer_type: AnswerType) -> String {
    answer_type.as_str().to_owned()
}
