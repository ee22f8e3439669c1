//! `medeval`: evaluate medical AI models with explicit rules and honest statistics.
//!
//! This binary only parses arguments and wires the library crates together; each subcommand
//! lives in its own module under `commands/`.

mod commands;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Evaluate medical AI models with explicit, versioned scoring rules and honest statistics.
#[derive(Debug, Parser)]
#[command(name = "medeval", version, about, max_term_width = 100)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Segmentation metrics (Dice, IoU, Hausdorff, HD95, ASSD, NSD, ...) for a pair of label
    /// maps or two folders of them.
    Seg(commands::seg::Args),
    /// Binary classification metrics (AUROC, AUPRC, F1, balanced accuracy, sensitivity,
    /// specificity, ECE) with bootstrap intervals, from a labels CSV and a scores CSV.
    Classify(commands::classify::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {
        Command::Seg(args) => commands::seg::run(args),
        Command::Classify(args) => commands::classify::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            commands::print_error(&err);
            ExitCode::FAILURE
        }
    }
}
