//! `medeval sanity build`: a MedObvious-style sanity benchmark from the user's own DICOM images.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use medeval_sanity::{BuildOptions, BuildSummary, Task, build};
use serde_json::json;

/// Sanity benchmarks built from your own images.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: SanityCommand,
}

#[derive(Debug, clap::Subcommand)]
enum SanityCommand {
    /// Build items whose answers come from DICOM headers (modality, body part, plane) or from a
    /// transform applied here (flip, rotation, odd panel), with unaltered negative controls.
    Build(BuildArgs),
}

#[derive(Debug, clap::Args)]
struct BuildArgs {
    /// Folder of DICOM files, searched recursively.
    #[arg(long, value_name = "DIR")]
    dicom_dir: PathBuf,
    /// Items file to write (JSON Lines); images go to `<stem>-images/` beside it.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Tasks, comma-separated: modality, body-part, plane, flip, rotation, odd-panel.
    #[arg(
        long,
        value_delimiter = ',',
        default_value = "modality,body-part,plane,flip,rotation,odd-panel"
    )]
    tasks: Vec<String>,
    /// Seed for distractors, option order, rotations, odd-panel partners and image sampling.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Images per series, evenly spaced by instance number (1: the middle one).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    per_series: u64,
    /// At most this many images in all (a seeded sample).
    #[arg(long, value_name = "N")]
    max_images: Option<usize>,
    /// Scale images down so that their longer side is at most this many pixels (0: never).
    #[arg(long, default_value_t = 1024)]
    max_side: u32,
    /// Replace an existing items file and images folder.
    #[arg(long)]
    force: bool,
    /// Also use images of kinds that routinely carry burned-in text (US, SC, OT, XA, RF, ES, XC,
    /// OP, IVUS, Secondary Capture, colour or unknown photometric interpretation, no modality)
    /// when their header does not say Burned In Annotation (0028,0301) = NO. Such images may
    /// show patient names, dates or ids; check them first. YES is refused either way.
    #[arg(long)]
    allow_unknown_burned_in: bool,
    /// Print the summary as JSON.
    #[arg(long)]
    json: bool,
}

/// Runs `medeval sanity`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    match args.command {
        SanityCommand::Build(args) => run_build(args),
    }
}

fn run_build(args: BuildArgs) -> anyhow::Result<ExitCode> {
    let mut tasks = Vec::new();
    for name in &args.tasks {
        match Task::parse(name.trim()) {
            Some(task) if !tasks.contains(&task) => tasks.push(task),
            Some(_) => {}
            None => bail!(
                "--tasks: unknown task `{name}` (expected {})",
                Task::ALL.map(Task::name).join(", ")
            ),
        }
    }
    let options = BuildOptions {
        seed: args.seed,
        per_series: usize::try_from(args.per_series).unwrap_or(usize::MAX),
        max_images: args.max_images,
        max_side: args.max_side,
        tasks,
        force: args.force,
        allow_unknown_burned_in: args.allow_unknown_burned_in,
    };
    let summary = build(&args.dicom_dir, &args.out, &options).with_context(|| {
        format!(
            "building a sanity benchmark from {}",
            args.dicom_dir.display()
        )
    })?;
    if args.json {
        outln!(
            "{}",
            serde_json::to_string_pretty(&summary_json(&summary, &options))?
        )?;
    } else {
        print_summary(&summary)?;
    }
    Ok(ExitCode::SUCCESS)
}

fn summary_json(summary: &BuildSummary, options: &BuildOptions) -> serde_json::Value {
    let tasks: serde_json::Map<String, serde_json::Value> = summary
        .items_per_task
        .iter()
        .map(|(task, (items, controls))| {
            (
                task.name().to_owned(),
                json!({"items": items, "controls": controls}),
            )
        })
        .collect();
    let skipped: Vec<_> = summary
        .skipped
        .iter()
        .map(|s| json!({"path": s.path, "reason": s.reason.to_string()}))
        .collect();
    let task_skips: Vec<_> = summary
        .task_skips
        .iter()
        .map(|s| {
            json!({
                "source_id": s.source_id,
                "path": source_path(summary, &s.source_id),
                "task": s.task.name(),
                "reason": s.reason,
            })
        })
        .collect();
    json!({
        "items_file": summary.items_file,
        "images_dir": summary.images_dir,
        "images": summary.images,
        "items": summary.items(),
        "seed": options.seed,
        "tasks": tasks,
        "skipped": skipped,
        "task_skips": task_skips,
    })
}

/// The DICOM file a source id was rendered from.
fn source_path<'a>(summary: &'a BuildSummary, source_id: &str) -> Option<&'a std::path::Path> {
    summary
        .sources
        .iter()
        .find(|s| s.id == source_id)
        .map(|s| s.path.as_path())
}

/// How many skipped files are listed one per line before the rest are only counted.
const SKIPPED_LISTED: usize = 10;

fn print_summary(summary: &BuildSummary) -> std::io::Result<()> {
    outln!(
        "Wrote {} items about {} DICOM image(s) to {} (images in {})",
        summary.items(),
        summary.images,
        summary.items_file.display(),
        summary.images_dir.display()
    )?;
    outln!()?;
    outln!("{:<10} {:>6} {:>9}", "task", "items", "controls")?;
    for (task, (items, controls)) in &summary.items_per_task {
        outln!("{:<10} {items:>6} {controls:>9}", task.name())?;
    }
    if !summary.skipped.is_empty() {
        outln!()?;
        outln!("Skipped {} file(s):", summary.skipped.len())?;
        for skipped in summary.skipped.iter().take(SKIPPED_LISTED) {
            outln!("  {}: {}", skipped.path.display(), skipped.reason)?;
        }
        if summary.skipped.len() > SKIPPED_LISTED {
            outln!(
                "  ... and {} more (--json lists all)",
                summary.skipped.len() - SKIPPED_LISTED
            )?;
        }
    }
    if !summary.task_skips.is_empty() {
        outln!()?;
        outln!(
            "Questions not asked ({}; the item would be identical to its control):",
            summary.task_skips.len()
        )?;
        for skip in summary.task_skips.iter().take(SKIPPED_LISTED) {
            let path = source_path(summary, &skip.source_id)
                .map(|p| format!(" ({})", p.display()))
                .unwrap_or_default();
            outln!(
                "  {}{path}, {}: {}",
                skip.source_id,
                skip.task.name(),
                skip.reason
            )?;
        }
        if summary.task_skips.len() > SKIPPED_LISTED {
            outln!(
                "  ... and {} more (--json lists all)",
                summary.task_skips.len() - SKIPPED_LISTED
            )?;
        }
    }
    outln!()?;
    outln!(
        "Next: medeval run --items {} --endpoint URL --model NAME, then medeval probe RUN",
        summary.items_file.display()
    )?;
    Ok(())
}
