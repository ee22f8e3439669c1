//! `medeval bench`: the benchmark cards (list, print) and integrity checks of downloaded folders.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval_data::{BenchSpec, Card, CheckReport, all_cards, check, find_card};
use medeval_report::{Align, Format, Table};
use serde_json::json;

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
        let listing: Vec<serde_json::Value> = cards.iter().map(card_json).collect();
        outln!("{}", serde_json::to_string_pretty(&listing)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut table = Table::new(&[
        ("name", Align::Left),
        ("title", Align::Left),
        ("split", Align::Left),
        ("rows", Align::Right),
        ("answer types", Align::Left),
        ("options", Align::Left),
    ]);
    for card in &cards {
        let spec = card.spec();
        table.push(vec![
            card.name().to_owned(),
            spec.title.clone(),
            spec.split.clone(),
            default_rows(card).map_or_else(|| "not pinned".to_owned(), |rows| rows.to_string()),
            answer_types(card).join(", "),
            options(card),
        ]);
    }
    out!("{}", table.render(Format::Terminal))?;
    outln!(
        "\nName a benchmark's folder as its card (the first column) under --data-root, or give \
         one folder with --data. `medeval bench card NAME` prints what a card reads."
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Rows of the evaluation split under the card's default options (SLAKE: English).
fn default_rows(card: &Card) -> Option<usize> {
    card.resolve_selections(&BTreeMap::new())
        .ok()
        .and_then(|defaults| card.expected_rows(&defaults))
}

fn answer_types(card: &Card) -> Vec<&'static str> {
    card.answer_types().iter().map(|t| t.as_str()).collect()
}

/// `lang=en|zh|all` (the default first).
fn options(card: &Card) -> String {
    card.selections()
        .iter()
        .map(|(key, selection)| {
            let mut values = vec![selection.default.as_str()];
            values.extend(
                selection
                    .values
                    .keys()
                    .map(String::as_str)
                    .filter(|v| *v != selection.default),
            );
            format!("{key}={}", values.join("|"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn card_json(card: &Card) -> serde_json::Value {
    let spec = card.spec();
    let selections: BTreeMap<&str, serde_json::Value> = card
        .selections()
        .iter()
        .map(|(key, selection)| {
            let values: BTreeMap<&str, Option<usize>> = selection
                .values
                .iter()
                .map(|(value, choice)| (value.as_str(), choice.expected_rows))
                .collect();
            (
                key.as_str(),
                json!({"default": selection.default, "expected_rows": values}),
            )
        })
        .collect();
    json!({
        "name": card.name(),
        "title": spec.title,
        "split": spec.split,
        "layout": spec.layout.as_str(),
        "expected_rows": default_rows(card),
        "answer_types": answer_types(card),
        "breakdown_fields": card.breakdown_fields(),
        "options": selections,
        "origin": card.origin().describe(),
        "sha256": card.sha256(),
    })
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
        out!("{}", render_check(card, &args.data, &report))?;
    }
    Ok(if report.ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// The human-readable check report.
fn render_check(card: &Card, dir: &std::path::Path, report: &CheckReport) -> String {
    use std::fmt::Write as _;
    let spec = card.spec();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} · {} · split {} · {} layout · {}",
        report.benchmark,
        spec.title,
        spec.split,
        spec.layout.as_str(),
        dir.display()
    );
    let rows = match report.expected_rows {
        Some(expected) if expected == report.rows => {
            format!("{} (as the card expects)", report.rows)
        }
        Some(expected) => format!("{} (the card expects {expected})", report.rows),
        None => format!("{} (the card pins no count)", report.rows),
    };
    let _ = writeln!(out, "rows     {rows}");
    if let Some(reason) = &report.skipped_rows.reason {
        let _ = writeln!(
            out,
            "skipped  {} {} without a reference ({reason})",
            report.skipped_rows.count,
            if report.skipped_rows.count == 1 {
                "row"
            } else {
                "rows"
            }
        );
    }
    let types: Vec<String> = report
        .answer_types
        .iter()
        .map(|(t, n)| format!("{t} {n}"))
        .collect();
    if !types.is_empty() {
        let _ = writeln!(out, "items    {}", types.join(", "));
    }
    let _ = writeln!(out, "images   {}", report.images);
    let optional: Vec<&str> = report
        .columns
        .iter()
        .filter(|c| !report.required_columns.contains(c))
        .map(String::as_str)
        .collect();
    let _ = write!(out, "columns  {}", report.required_columns.join(", "));
    if !optional.is_empty() {
        let _ = write!(out, " (optional: {})", optional.join(", "));
    }
    out.push('\n');
    if !report.files.is_empty() {
        let mut files = Table::new(&[
            ("file", Align::Left),
            ("bytes", Align::Right),
            ("sha256", Align::Left),
        ]);
        for file in &report.files {
            files.push(vec![
                file.path.clone(),
                file.bytes.to_string(),
                file.sha256.clone(),
            ]);
        }
        out.push('\n');
        out.push_str(&files.render(Format::Terminal));
    }
    if !report.warnings.is_empty() {
        out.push_str("\nwarnings:\n");
        for warning in &report.warnings {
            let _ = writeln!(out, "  - {warning}");
        }
    }
    if report.ok {
        out.push_str("\nOK: the folder matches the card\n");
    } else {
        out.push_str("\nproblems:\n");
        for problem in &report.problems {
            let _ = writeln!(out, "  - {problem}");
        }
        let _ = writeln!(
            out,
            "\nNOT OK: {} problem(s); a run refuses this folder (a row count that differs from \
             the card's, alone, can be allowed with --allow-row-count-mismatch)",
            report.problems.len()
        );
    }
    out
}
