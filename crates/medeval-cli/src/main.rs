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
    /// Report-generation metrics (BLEU, ROUGE-L, CIDEr-D, METEOR) as pycocoevalcap, sacrebleu
    /// or rouge-score compute them.
    Text(commands::text::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result: anyhow::Result<ExitCode> = match cli.command {
        Command::Text(args) => commands::text::run(args),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            commands::print_error(&err);
            ExitCode::FAILURE
        }
    }
}
