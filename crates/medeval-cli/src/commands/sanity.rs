//! `medeval sanity build`: a MedObvious-style sanity benchmark from the user's own DICOM images.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use medeval_sanity::{BuildOptions, Task, build};

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
            serde_json::to_string_pretty(&summary.to_json(options.seed))?
        )?;
    } else {
        out!("{}", summary.report_text())?;
    }
    Ok(ExitCode::SUCCESS)
}
