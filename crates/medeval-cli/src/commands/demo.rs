//! `medeval demo`: the bundled demo benchmark, end to end, with no server.
//!
//! The benchmark (58 items from DICOM test images that ship with pydicom; see
//! `crates/medeval-cli/demo/README.md` for how it was built and the licences) is compiled into the
//! binary. The demo runs the three built-in baselines through the same engine, store and scorer a
//! real model uses, prints them side by side, and shows how to point the same benchmark at a real
//! endpoint.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use medeval::{Connection, EndpointModel, ItemSet, ModelSpec, RunSpec, render};
use medeval_core::{ItemsSource, digest::sha256_hex};
use medeval_models::Baseline;
use medeval_report::Format;
use medeval_store::Store;

use super::run::{Execution, Runner};

/// The demo items, embedded.
const DEMO_ITEMS: &str = include_str!("../../demo/items.jsonl");
/// The demo benchmark's name.
const DEMO_NAME: &str = "medeval-demo";
/// The baselines the demo runs.
const BASELINES: [&str; 3] = ["random", "majority", "blind"];

/// Arguments of `medeval demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Run store for the demo runs (re-running the demo reuses them).
    #[arg(long, default_value = "medeval-demo.db", value_name = "FILE")]
    pub store: PathBuf,
    /// Also run the demo against a real model: its OpenAI-compatible base URL.
    #[arg(long, requires = "model", value_name = "URL")]
    pub endpoint: Option<String>,
    /// The model name for --endpoint.
    #[arg(long, requires = "endpoint")]
    pub model: Option<String>,
    /// Write the demo items (JSONL with embedded PNG images) to this file and exit.
    #[arg(long, value_name = "FILE")]
    pub export: Option<PathBuf>,
}

/// Runs `medeval demo`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if let Some(path) = &args.export {
        std::fs::write(path, DEMO_ITEMS)
            .with_context(|| format!("cannot write {}", path.display()))?;
        outln!("wrote the demo benchmark to {}", path.display())?;
        return Ok(ExitCode::SUCCESS);
    }
    let items = medeval_data::parse_items_str(DEMO_ITEMS, Path::new("<bundled demo>"))?;
    let source = ItemsSource {
        benchmark: DEMO_NAME.to_owned(),
        path: "<bundled demo>".to_owned(),
        sha256: sha256_hex(DEMO_ITEMS.as_bytes()),
        count: items.len(),
        limit: None,
        card: None,
    };
    outln!(
        "medeval demo: {} items (modality, body part, mirroring and rotation questions on DICOM test images)\n",
        items.len()
    )?;

    let mut models = BASELINES
        .iter()
        .map(|name| {
            Baseline::parse(name)
                .map(ModelSpec::Baseline)
                .with_context(|| format!("unknown baseline {name}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    if let (Some(endpoint), Some(model)) = (&args.endpoint, &args.model) {
        models.push(ModelSpec::Endpoint(EndpointModel {
            endpoints: vec![endpoint.clone()],
            name: model.clone(),
            api_key_env: None,
            connection: Connection::default(),
        }));
    }
    let items = ItemSet {
        source,
        items,
        card_prompt: None,
    };
    let specs = models
        .into_iter()
        .map(|model| RunSpec::builder(model).build(items.clone(), None))
        .collect::<Result<Vec<_>, _>>()?;
    let execution = Execution {
        store: args.store.clone(),
        dry_run: false,
        fresh: false,
        progress: args.endpoint.is_some(),
    };
    let mut runner = Runner::new(&execution, specs.iter().map(RunSpec::samples).sum());
    for spec in specs {
        runner.run(spec)?;
    }
    let runs = runner.run_ids().to_vec();
    drop(runner.into_store());

    let store = Store::open_read_only(&args.store)?;
    let stored = runs
        .iter()
        .map(|id| store.load_run(id))
        .collect::<Result<Vec<_>, _>>()?;
    out!(
        "{}",
        render::side_by_side(&stored, "task").render(Format::Terminal)
    )?;
    outln!(
        "\nBaselines are reference points, not models: random guesses uniformly; majority answers the\n\
         most frequent gold answer of each type (it reads the label distribution); blind answers from\n\
         the question text alone. A model has to beat all three for its accuracy to mean anything.\n"
    )?;
    outln!("Runs are stored in {}. Next steps:", args.store.display())?;
    outln!(
        "  medeval show {} --store {} --by task     # breakdown by task",
        runs[0],
        args.store.display()
    )?;
    outln!(
        "  medeval demo --endpoint http://localhost:8000/v1 --model MODEL   # add a real model"
    )?;
    outln!(
        "  medeval demo --export demo.jsonl && medeval run --items demo.jsonl --endpoint URL --model MODEL"
    )?;
    Ok(ExitCode::SUCCESS)
}
