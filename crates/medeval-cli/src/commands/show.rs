//! `medeval show`: the summary of a stored run. Exit status 3 while the run is incomplete.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use medeval_store::Store;

use super::output::{ReportArgs, StoreArgs, exit_code, print_stored_run, write_samples_csv};

/// Arguments of `medeval show`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run id or unique prefix (default: the most recent run).
    pub run: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub report: ReportArgs,
    /// Also write every sample of the run to this CSV file, one row per item and draw (verdict,
    /// answers, latency, tokens, response, metadata), for pandas or a spreadsheet.
    #[arg(long, value_name = "FILE")]
    pub samples_csv: Option<PathBuf>,
}

/// Runs `medeval show`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(&args.store.store)?;
    let run_id = store
        .resolve_run(args.run.as_deref())
        .with_context(|| format!("in {}", args.store.store.display()))?;
    let complete = print_stored_run(&store, &run_id, &args.report)?;
    if let Some(path) = &args.samples_csv {
        let rows = write_samples_csv(&store, &run_id, path)?;
        eprintln!(
            "wrote {rows} sample(s) of run {run_id} to {}",
            path.display()
        );
    }
    Ok(exit_code(complete))
}
