//! Times the two halves of `medeval text` in process, for profiling (e.g. under `perf record`):
//! reading and pairing the JSONL files, and scoring them.
//!
//! ```text
//! cargo run --release -p medeval-text --example text_profile -- \
//!     refs.jsonl cands.jsonl [flavour] [metric,metric,...] [repeats]
//! ```
//!
//! `flavour` is a name [`Flavor`] parses (`coco`, `sacrebleu`, `sacrebleu-intl`, `rouge-score`,
//! `rouge-score-stem`; default `coco`); `metric` defaults to every metric the flavour defines.
//! Prints the median and minimum wall time of each half over `repeats` runs (default 5) and
//! the corpus values, so that a change can be checked not to move them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use medeval_text::{Flavor, Metric, evaluate, read_samples};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [references, candidates, rest @ ..] = &args[..] else {
        return Err("usage: text_profile REFS CANDS [flavour] [metrics] [repeats]".into());
    };
    let (references, candidates) = (PathBuf::from(references), PathBuf::from(candidates));
    let flavor: Flavor = rest.first().map_or("coco", String::as_str).parse()?;
    let metrics: Vec<Metric> = match rest.get(1) {
        Some(list) => list
            .split(',')
            .map(|m| Metric::parse(m).ok_or_else(|| format!("unknown metric {m:?}")))
            .collect::<Result<_, _>>()?,
        None => flavor.metrics().to_vec(),
    };
    let repeats: usize = rest.get(2).map_or(Ok(5), |r| r.parse())?;

    let mut read_times = Vec::with_capacity(repeats);
    let mut score_times = Vec::with_capacity(repeats);
    let mut corpus = Vec::new();
    for _ in 0..repeats.max(1) {
        let start = Instant::now();
        let samples = read_samples(&references, &candidates)?;
        read_times.push(start.elapsed());
        let start = Instant::now();
        let evaluation = evaluate(&samples, flavor, &metrics)?;
        score_times.push(start.elapsed());
        corpus = evaluation.corpus;
    }
    println!("read+pair  {}", summary(&mut read_times));
    println!("evaluate   {}", summary(&mut score_times));
    for (key, value) in corpus {
        println!("  {key:<14} {value}");
    }
    Ok(())
}

fn summary(times: &mut [Duration]) -> String {
    times.sort_unstable();
    format!(
        "median {:.4} s  min {:.4} s",
        times[times.len() / 2].as_secs_f64(),
        times[0].as_secs_f64()
    )
}
