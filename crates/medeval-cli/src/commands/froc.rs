//! `medeval froc`: the FROC curve and CPM of a nodule detector, as the LUNA16 evaluation script
//! computes them, from the challenge's CSV files.

use std::path::PathBuf;
use std::process::ExitCode;

use medeval_detect::bootstrap::BootstrapSpec;
use medeval_detect::evaluate::{FrocOptions, evaluate_froc};

/// `--convention` of `froc`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FrocConvention {
    /// LUNA16's noduleCADEvaluationLUNA16.py: hits within the nodule radius, excluded nodules
    /// ignored, 100 marks per scan, CPM over 1/8..8 false positives per scan.
    Luna16,
}

/// Arguments of `medeval froc`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Nodules: CSV with seriesuid, coordX, coordY, coordZ, diameter_mm (LUNA16's
    /// annotations.csv).
    #[arg(long)]
    gt: PathBuf,
    /// CAD marks: CSV with seriesuid, coordX, coordY, coordZ, probability.
    #[arg(long)]
    dt: PathBuf,
    /// The convention.
    #[arg(long, value_enum, default_value_t = FrocConvention::Luna16)]
    convention: FrocConvention,
    /// Nodules whose marks are neither hits nor false positives (LUNA16's
    /// annotations_excluded.csv).
    #[arg(long)]
    excluded: Option<PathBuf>,
    /// The scans evaluated, one seriesuid per line (LUNA16's seriesuids.csv). It sets the
    /// false positives per scan; without it, the scans named in --gt and --dt are used.
    #[arg(long)]
    scans: Option<PathBuf>,
    /// Bootstrap resamples of scans for 95% intervals (0: none; the LUNA16 script uses 1000).
    #[arg(long, default_value_t = 0)]
    bootstrap: u32,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

/// Runs `medeval froc`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let FrocConvention::Luna16 = args.convention;
    let options = FrocOptions {
        annotations: args.gt,
        candidates: args.dt,
        excluded: args.excluded,
        scans: args.scans,
        bootstrap: (args.bootstrap > 0).then_some(BootstrapSpec {
            resamples: args.bootstrap,
            seed: args.seed,
        }),
    };
    let report = evaluate_froc(options)?;
    if !args.json && report.scan_source == medeval_detect::froc::ScanSource::Union {
        eprintln!(
            "note: no --scans: false positives per scan are over the {} scans named in the files; \
             a scan with neither nodules nor marks is not counted",
            report.scans
        );
    }
    if args.json {
        outln!("{}", report.to_json())?;
    } else {
        out!("{}", report.text())?;
    }
    Ok(ExitCode::SUCCESS)
}
