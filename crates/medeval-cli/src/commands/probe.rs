//! `medeval probe`: the report of a robustness or sanity probe run.

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval_probe::{
    Variant, ablation_report, corruption_report, permutation_report, sanity_report,
};
use medeval_report::{Table, render_tables};
use medeval_store::{Store, StoredRun};
use serde_json::json;

use super::output::{Output, ReportArgs, StoreArgs};

/// Arguments of `medeval probe`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
With one run: a `circular`/`permute:K` run, a corruption run, or a run on a `medeval sanity build` \
benchmark. With two: the clean run first, then the variant run (required for no-image, \
blank-image and mismatched-image; optional for corruptions, which it adds a paired drop to).")]
pub struct Args {
    /// The clean run, or the only run.
    pub first: String,
    /// The variant run, when the first is the clean run.
    pub second: Option<String>,
    #[command(flatten)]
    pub store: StoreArgs,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// Runs `medeval probe`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let store = Store::open_read_only(&args.store.store)?;
    let load = |selector: &str| -> anyhow::Result<StoredRun> {
        let id = store
            .resolve_run(Some(selector))
            .with_context(|| format!("in {}", args.store.store.display()))?;
        Ok(store.load_run(&id)?)
    };
    let first = load(&args.first)?;
    let (clean, probed) = match &args.second {
        Some(second) => (Some(first), load(second)?),
        None => (None, first),
    };
    let policy = args.report.options()?.policy;
    let variant = probed
        .manifest
        .variant
        .as_deref()
        .map(|recorded| {
            Variant::parse_recorded(recorded)
                .with_context(|| format!("run {} records variant {recorded:?}", probed.id))
        })
        .transpose()?;
    if let Some(clean) = &clean {
        if clean.manifest.variant.is_some() {
            bail!(
                "run {} is itself a variant run ({}); give the clean run first",
                clean.id,
                clean.manifest.variant.as_deref().unwrap_or_default()
            );
        }
    }
    let (kind, value, tables): (&str, serde_json::Value, Vec<Table>) = match &variant {
        Some(Variant::Circular | Variant::Permute { .. }) => {
            let report = permutation_report(&probed)?;
            (
                "permutation",
                serde_json::to_value(&report)?,
                report.tables(),
            )
        }
        Some(Variant::NoImage | Variant::BlankImage | Variant::MismatchedImage) => {
            let Some(clean) = &clean else {
                bail!(
                    "an image-ablation report compares with the clean run: medeval probe CLEAN_RUN {}",
                    probed.id
                );
            };
            let report = ablation_report(clean, &probed, policy)?;
            (
                "image-ablation",
                serde_json::to_value(&report)?,
                report.tables(),
            )
        }
        Some(Variant::Corrupt { .. }) => {
            let report = corruption_report(clean.as_ref(), &probed, policy)?;
            (
                "corruption",
                serde_json::to_value(&report)?,
                report.tables(),
            )
        }
        None => {
            let report = sanity_report(&probed).with_context(|| {
                format!(
                    "run {} has no variant; give the clean run and a variant run, or a run on a sanity benchmark",
                    probed.id
                )
            })?;
            ("sanity", serde_json::to_value(&report)?, report.tables())
        }
    };
    match args.report.output()? {
        Output::Json => {
            let mut document = json!({
                "probe": kind,
                "run": probed.id,
                "clean_run": clean.as_ref().map(|c| c.id.clone()),
                "variant": probed.manifest.variant,
                "policy": policy,
            });
            if let (Some(object), serde_json::Value::Object(fields)) =
                (document.as_object_mut(), value)
            {
                object.extend(fields);
            }
            outln!("{}", serde_json::to_string_pretty(&document)?)?;
        }
        Output::Tables(format) => out!("{}", render_tables(&tables, format))?,
    }
    Ok(ExitCode::SUCCESS)
}
