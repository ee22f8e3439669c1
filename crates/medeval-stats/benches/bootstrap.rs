//! Bootstrap throughput: 10,000 replicates over a 100,000-item run, plain and clustered.
//!
//! Run with `cargo bench -p medeval-stats --bench bootstrap`. Prints one line per workload with
//! the best and median of several timings, on one thread and on all available threads, and
//! checks that both give identical intervals. `--json` prints the figures as one JSON object for
//! `bench/stats/compare_numpy.py`.

use std::hint::black_box;
use std::time::{Duration, Instant};

use medeval_core::Outcome;
use medeval_stats::rng::Xoshiro256StarStar;
use medeval_stats::{
    Bootstrap, CiMethod, CompareOptions, NonJudgementPolicy, PairedOutcomes, RunOutcomes, compare,
    estimate_accuracy,
};

const ITEMS: usize = 100_000;
const ITEMS_PER_CLUSTER: usize = 5;
const REPLICATES: u32 = 10_000;
const REPEATS: usize = 5;

fn outcome(correct: bool) -> Outcome {
    if correct {
        Outcome::Correct
    } else {
        Outcome::Wrong
    }
}

/// Timings of `work`: best and median of [`REPEATS`] runs, and its last result.
fn time<T>(mut work: impl FnMut() -> T) -> (Duration, Duration, T) {
    let mut last = work();
    let mut timings = Vec::with_capacity(REPEATS);
    for _ in 0..REPEATS {
        let start = Instant::now();
        last = black_box(work());
        timings.push(start.elapsed());
    }
    timings.sort();
    (timings[0], timings[REPEATS / 2], last)
}

fn on_threads<T: Send>(threads: usize, work: impl FnOnce() -> T + Send) -> T {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("a thread pool")
        .install(work)
}

fn main() {
    let json = std::env::args().any(|arg| arg == "--json");
    let all_threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut rng = Xoshiro256StarStar::seed_from_u64(2024);
    // Model A is right on ~72% of items, model B agrees with A on ~85% of them.
    let a: Vec<bool> = (0..ITEMS).map(|_| rng.below(100) < 72).collect();
    let b: Vec<bool> = a
        .iter()
        .map(|&x| if rng.below(100) < 85 { x } else { !x })
        .collect();
    let cluster_of = |i: usize| Some(i / ITEMS_PER_CLUSTER);

    let plain = RunOutcomes::new(a.iter().map(|&x| outcome(x)), NonJudgementPolicy::Exclude);
    let clustered = RunOutcomes::clustered(
        a.iter()
            .enumerate()
            .map(|(i, &x)| (outcome(x), cluster_of(i))),
        NonJudgementPolicy::Exclude,
    );
    let pairs = PairedOutcomes::new(
        a.iter().zip(&b).map(|(&x, &y)| (outcome(x), outcome(y))),
        NonJudgementPolicy::Exclude,
    );
    let clustered_pairs = PairedOutcomes::clustered(
        a.iter()
            .zip(&b)
            .enumerate()
            .map(|(i, (&x, &y))| (outcome(x), outcome(y), cluster_of(i))),
        NonJudgementPolicy::Exclude,
    );
    let bootstrap = Bootstrap {
        replicates: REPLICATES,
        seed: 7,
    };
    let options = CompareOptions {
        bootstrap,
        ..CompareOptions::default()
    };

    type Workload<'a> = (&'a str, Box<dyn Fn() -> [f64; 2] + Sync + 'a>);
    let workloads: Vec<Workload<'_>> = vec![
        (
            "accuracy_bootstrap",
            Box::new(|| {
                estimate_accuracy(&plain, CiMethod::Bootstrap(bootstrap), 0.95)
                    .expect("interval")
                    .ci
            }),
        ),
        (
            "accuracy_cluster_bootstrap",
            Box::new(|| {
                estimate_accuracy(&clustered, CiMethod::ClusterBootstrap(bootstrap), 0.95)
                    .expect("interval")
                    .ci
            }),
        ),
        (
            "paired_bootstrap",
            Box::new(|| compare(&pairs, &options).expect("comparison").diff_ci),
        ),
        (
            "cluster_paired_bootstrap",
            Box::new(|| {
                compare(&clustered_pairs, &options)
                    .expect("comparison")
                    .diff_ci
            }),
        ),
    ];

    let mut figures = Vec::new();
    if !json {
        println!(
            "{ITEMS} items ({} clusters of {ITEMS_PER_CLUSTER}), {REPLICATES} replicates; best / median of {REPEATS}",
            ITEMS / ITEMS_PER_CLUSTER
        );
    }
    for (name, work) in &workloads {
        let (best_1, median_1, ci_1) = on_threads(1, || time(work));
        let (best_n, median_n, ci_n) = on_threads(all_threads, || time(work));
        assert_eq!(
            ci_1, ci_n,
            "{name}: the interval depends on the number of threads"
        );
        if !json {
            println!(
                "{name:<28} 1 thread {:>8.1} ms / {:>8.1} ms   {all_threads} threads {:>8.1} ms / {:>8.1} ms   ci [{:.5}, {:.5}]",
                best_1.as_secs_f64() * 1e3,
                median_1.as_secs_f64() * 1e3,
                best_n.as_secs_f64() * 1e3,
                median_n.as_secs_f64() * 1e3,
                ci_n[0],
                ci_n[1],
            );
        }
        figures.push(format!(
            "\"{name}\": {{\"threads_1_s\": {}, \"threads_{all_threads}_s\": {}, \"ci\": [{}, {}]}}",
            best_1.as_secs_f64(),
            best_n.as_secs_f64(),
            ci_n[0],
            ci_n[1]
        ));
    }
    if json {
        println!(
            "{{\"items\": {ITEMS}, \"replicates\": {REPLICATES}, \"threads\": {all_threads}, {}}}",
            figures.join(", ")
        );
    }
}
