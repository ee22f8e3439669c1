//! `medeval detect`: detection mAP from a ground-truth file and a detections file, COCO JSON
//! or CSV, under a named convention (pycocotools by default, or VinDr-CXR's mAP@0.4).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use medeval_detect::Convention;
use medeval_detect::bootstrap::BootstrapSpec;
use medeval_detect::evaluate::{DetectInput, DetectOptions, evaluate_detection};

/// `--convention` of `detect`: whose definition of mAP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DetectConvention {
    /// pycocotools' COCOeval (bbox), bit for bit: AP@[.50:.95] and its 12 summary numbers.
    Pycocotools,
    /// VinDr-CXR's Kaggle metric: PASCAL VOC 2010 AP at IoU > 0.4, mean over classes with
    /// ground truth.
    Vindr,
}

/// `--format` of `detect`: how the two files are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum BoxFormat {
    /// From the ground truth's extension: `.json` is COCO, anything else CSV.
    Auto,
    /// COCO ground-truth JSON and COCO results JSON.
    Coco,
    /// CSV: image, class, x1, y1, x2, y2 (and score for detections).
    Csv,
}

/// Arguments of `medeval detect`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Ground truth: a COCO JSON (images, annotations, categories) or a CSV with columns image,
    /// class, x1, y1, x2, y2 (an image without boxes: a row with an empty class).
    #[arg(long)]
    gt: PathBuf,
    /// Detections: a COCO results JSON (image_id, category_id, bbox, score) or a CSV with the
    /// ground truth's columns and score.
    #[arg(long)]
    dt: PathBuf,
    /// How the files are written.
    #[arg(long, value_enum, default_value_t = BoxFormat::Auto)]
    format: BoxFormat,
    /// Whose definition of mAP; see docs/detection-metrics.md.
    #[arg(long, value_enum, default_value_t = DetectConvention::Pycocotools)]
    convention: DetectConvention,
    /// Bootstrap resamples of images for 95% intervals of mAP (0: none).
    #[arg(long, default_value_t = 0)]
    bootstrap: u32,
    /// Bootstrap seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object instead of text.
    #[arg(long)]
    json: bool,
}

fn is_json(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
}

/// Runs `medeval detect`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let coco = match args.format {
        BoxFormat::Coco => true,
        BoxFormat::Csv => false,
        BoxFormat::Auto => is_json(&args.gt),
    };
    let input = if coco {
        DetectInput::Coco {
            ground_truth: args.gt,
            results: args.dt,
        }
    } else {
        DetectInput::Csv {
            ground_truth: args.gt,
            detections: args.dt,
        }
    };
    let options = DetectOptions {
        input,
        convention: match args.convention {
            DetectConvention::Pycocotools => Convention::Pycocotools,
            DetectConvention::Vindr => Convention::Vindr,
        },
        bootstrap: (args.bootstrap > 0).then_some(BootstrapSpec {
            resamples: args.bootstrap,
            seed: args.seed,
        }),
    };
    let report = evaluate_detection(options)?;
    if args.json {
        outln!("{}", report.to_json())?;
    } else {
        out!("{}", report.text())?;
    }
    Ok(ExitCode::SUCCESS)
}
