//! `medeval`: evaluate medical AI models with explicit rules and honest statistics.
//!
//! The binary maps flags to the typed settings of the `medeval` library and its leaf crates,
//! shows progress and prints results; each subcommand lives in its own module under
//! `commands/`.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Evaluate medical AI models with explicit, versioned scoring rules and honest statistics.
#[derive(Debug, Parser)]
// No `about` attribute: it would print the package description; the doc comment above is the
// user's summary.
#[command(name = "medeval", version, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a model (or a baseline) over benchmark items; every response is stored as it
    /// arrives, and re-running the same command continues an interrupted run.
    Run(Box<commands::run::Args>),
    /// Benchmark cards: list them, check a downloaded folder (files, columns, rows, SHA-256),
    /// print a card.
    Bench(commands::bench::Args),
    /// Score a file of model responses against benchmark items, offline.
    Score(commands::score::Args),
    /// List the runs in a store.
    Runs(commands::runs::Args),
    /// Summarise a stored run: accuracy with intervals, outcome counts, breakdowns.
    Show(commands::show::Args),
    /// Compare two runs on the items both answered: accuracies, difference with its interval,
    /// McNemar's test, paired bootstrap, discordant items; several pairs with Holm and BH.
    Compare(commands::compare::Args),
    /// Is a run equally good for every patient group? Per-group accuracy, the gap and ratio
    /// between the best and worst group, a test of equal accuracy, Holm across fields.
    Fairness(commands::fairness::Args),
    /// Rank several runs: accuracies, bootstrap intervals for the ranks, every pair compared
    /// with Holm and BH across the pairs.
    Rank(commands::rank::Args),
    /// Score a stored run again without asking the model: by a judge (--judge-model) or by
    /// this build's rules.
    Rescore(commands::rescore::Args),
    /// Judge specs, and how far a judge agrees with people or with another judge.
    Judge(commands::judge::Args),
    /// Plan a comparison: items needed to detect an improvement, minimum detectable effect.
    Power(commands::power::Args),
    /// Stored runs side by side for a paper: models as rows, benchmarks as columns (optional
    /// sub-columns), each cell accuracy with its interval and n, as terminal text, Markdown,
    /// CSV, LaTeX or JSON.
    Table(commands::table::Args),
    /// Report on a robustness or sanity probe: option permutation, image ablation, corruption.
    Probe(commands::probe::Args),
    /// Build sanity benchmarks from your own DICOM images (modality, body part, plane, flip,
    /// rotation, odd panel), with negative controls.
    Sanity(commands::sanity::Args),
    /// Run the bundled demo benchmark with the built-in baselines (no server needed).
    Demo(commands::demo::Args),
    /// Segmentation metrics (Dice, IoU, Hausdorff, HD95, ASSD, NSD, ...) for a pair of label
    /// maps or two folders of them.
    Seg(commands::seg::Args),
    /// Reconstruction metrics (PSNR, SSIM, NMSE) under the fastMRI or CMRxRecon convention for
    /// a pair of images or two folders of them.
    Recon(commands::recon::Args),
    /// Binary classification metrics (AUROC, AUPRC, F1, balanced accuracy, sensitivity,
    /// specificity, ECE) with bootstrap intervals, from a labels CSV and a scores CSV.
    Classify(commands::classify::Args),
    /// Report-generation metrics (BLEU, ROUGE-L, CIDEr-D, METEOR) as pycocoevalcap, sacrebleu
    /// or rouge-score compute them.
    Text(commands::text::Args),
    /// Detection mAP from COCO JSON or CSV boxes: pycocotools' 12 numbers bit for bit, or
    /// VinDr-CXR's mAP at IoU > 0.4, with bootstrap intervals over images.
    Detect(commands::detect::Args),
    /// FROC and CPM of a nodule detector as the LUNA16 evaluation script computes them.
    Froc(commands::froc::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {
        Command::Run(args) => commands::run::run(*args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Score(args) => commands::score::run(args),
        Command::Runs(args) => commands::runs::run(args),
        Command::Show(args) => commands::show::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Rank(args) => commands::rank::run(args),
        Command::Fairness(args) => commands::fairness::run(args),
        Command::Power(args) => commands::power::run(args),
        Command::Rescore(args) => commands::rescore::run(args),
        Command::Judge(args) => commands::judge::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Probe(args) => commands::probe::run(args),
        Command::Table(args) => commands::table::run(args),
        Command::Sanity(args) => commands::sanity::run(args),
        Command::Seg(args) => commands::seg::run(args),
        Command::Recon(args) => commands::recon::run(args),
        Command::Classify(args) => commands::classify::run(args),
        Command::Text(args) => commands::text::run(args),
        Command::Detect(args) => commands::detect::run(args),
        Command::Froc(args) => commands::froc::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) if commands::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            commands::print_error(&err);
            ExitCode::FAILURE
        }
    }
}
