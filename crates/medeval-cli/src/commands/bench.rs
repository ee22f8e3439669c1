//! `medeval bench`: the benchmark cards (list, print) and integrity checks of downloaded folders.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval::cards;
use medeval_data::{BenchSpec, Card, all_cards, check, find_card};
use medeval_report::Format;

/// Arguments of `medeval bench`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: BenchCommand,
}

#[derive(Debug, clap::Subcommand)]
enum BenchCommand {
    /// List the benchmark cards: name (also the --data-root sub-folder), title, evaluation
    /// split, expected rows, answer types and options.
    List(ListArgs),
    /// Check a downloaded benchmark folder against its card: files, columns, every row and
    /// image reference, the row count, and the SHA-256 of every file. Exit status 1 when
    /// anything would stop a run.
    Check(CheckArgs),
    /// Print a card's TOML: what it reads and how (a starting point for a card of your own).
    Card(ShowArgs),
}

/// Card files of the user's, and selections of card options: shared by `bench` and `run`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct CardArgs {
    /// A benchmark card file of your own (repeatable); its name can then be used like a
    /// built-in one. See docs/benchmarks.md for the format.
    #[arg(long = "card", value_name = "FILE")]
    pub cards: Vec<PathBuf>,
    /// SLAKE's question language: en (default), zh or all; the same as --select lang=LANG.
    #[arg(long, value_name = "LANG")]
    pub lang: Option<String>,
    /// Set a card option for every benchmark that offers it (repeatable), e.g. lang=zh.
    #[arg(long = "select", value_name = "KEY=VALUE")]
    pub select: Vec<String>,
}

impl CardArgs {
    /// The built-in cards and the user's.
    pub fn cards(&self) -> anyhow::Result<Vec<Card>> {
        Ok(all_cards(&self.cards)?)
    }

    /// The command-wide selections (`--lang`, `--select`).
    pub fn selections(&self) -> anyhow::Result<BTreeMap<String, String>> {
        let mut selections = BTreeMap::new();
        for pair in &self.select {
            let (key, value) = pair
                .split_once('=')
                .with_context(|| format!("--select {pair:?}: expected KEY=VALUE, e.g. lang=zh"))?;
            selections.insert(key.trim().to_owned(), value.trim().to_owned());
        }
        if let Some(lang) = &self.lang {
            if selections.get("lang").is_some_and(|v| v != lang) {
                bail!(
                    "--lang {lang} contradicts --select lang={}",
                    selections["lang"]
                );
            }
            selections.insert("lang".to_owned(), lang.clone());
        }
        Ok(selections)
    }
}

#[derive(Debug, clap::Args)]
struct ListArgs {
    #[command(flatten)]
    cards: CardArgs,
    /// Print the cards as a JSON array.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct CheckArgs {
    /// The benchmark (card name, optionally with options: slake:lang=zh).
    name: String,
    /// The benchmark's folder, as downloaded and unpacked.
    #[arg(long, value_name = "DIR")]
    data: PathBuf,
    #[command(flatten)]
    cards: CardArgs,
    /// Print the report as one JSON object.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
struct ShowArgs {
    /// The card's name.
    name: String,
    #[command(flatten)]
    cards: CardArgs,
}

/// Runs `medeval bench`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        BenchCommand::List(list) => run_list(&list),
        BenchCommand::Check(check) => run_check(&check),
        BenchCommand::Card(show) => {
            let cards = show.cards.cards()?;
            out!("{}", find_card(&cards, &show.name)?.text())?;
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn run_list(args: &ListArgs) -> anyhow::Result<ExitCode> {
    let cards = args.cards.cards()?;
    if args.json {
        let listing: Vec<serde_json::Value> = cards.iter().map(cards::card_json).collect();
        outln!("{}", serde_json::to_string_pretty(&listing)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let table = cards::listing_table(&cards);
    out!("{}", table.render(Format::Terminal))?;
    outln!(
        "\nName a benchmark's folder as its card (the first column) under --data-root, or give \
         one folder with --data. `medeval bench card NAME` prints what a card reads."
    )?;
    Ok(ExitCode::SUCCESS)
}

fn run_check(args: &CheckArgs) -> anyhow::Result<ExitCode> {
    let cards = args.cards.cards()?;
    let spec = BenchSpec::parse(&args.name)?;
    let card = find_card(&cards, &spec.name)?;
    medeval_data::check_global_selections(&[card], &args.cards.selections()?)?;
    let selections = spec.selections_for(card, &args.cards.selections()?);
    let report = check(card, &selections, &args.data)?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&report)?)?;
    } else {
        out!("{}", cards::check_text(card, &args.data, &report))?;
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
