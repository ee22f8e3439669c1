//! `medeval text`: report-generation metrics over a references file and a candidates file.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use std::sync::Arc;

use medeval_text::{
    Evaluation, Flavor, METEOR_DATA_MISSING, MeteorData, Metric, Options, SacreTokenizer,
    evaluate_with, read_samples,
};

/// Score generated reports against references with BLEU, ROUGE-L, CIDEr-D and METEOR, computed
/// exactly as pycocoevalcap, sacrebleu or rouge-score compute them.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// JSONL file of references: one `{"id", "text"}` object per line; `text` may be a list.
    #[arg(long, value_name = "FILE")]
    references: PathBuf,
    /// JSONL file of generated reports: one `{"id", "text"}` object per line.
    #[arg(long, value_name = "FILE")]
    candidates: PathBuf,
    /// Comma-separated metrics: bleu, rouge-l, rouge-lsum, cider-d, meteor, meteor-exact-stem
    /// (default: what the flavour's toolkit reports; for coco, meteor is METEOR 1.5 with its
    /// synonym and paraphrase data, see --meteor-data).
    #[arg(long, value_delimiter = ',', value_name = "LIST")]
    metrics: Vec<String>,
    /// METEOR 1.5's synonym and paraphrase data: meteor-1.5.jar (with data/paraphrase-en.gz
    /// beside it), its folder (e.g. pycocoevalcap/meteor of a pycocoevalcap installation), or
    /// a folder of the extracted files (default: $MEDEVAL_METEOR_DATA). Without it, meteor
    /// is not computed.
    #[arg(long, value_name = "PATH")]
    meteor_data: Option<PathBuf>,
    /// Which reference implementation to reproduce.
    #[arg(long, value_enum, default_value = "coco")]
    flavor: FlavorArg,
    /// sacrebleu tokeniser (with `--flavor sacrebleu`; default 13a).
    #[arg(long, value_enum)]
    tokenize: Option<SacreTokenizeArg>,
    /// Porter stemming (with `--flavor rouge-score`; rouge-score's `use_stemmer=True`).
    #[arg(long)]
    stemmer: bool,
    /// Print one JSON object on stdout instead of a table.
    #[arg(long)]
    json: bool,
    /// Also write per-item values to this JSONL file.
    #[arg(long, value_name = "FILE")]
    per_item: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum FlavorArg {
    /// pycocoevalcap (PTB tokenisation; BLEU, ROUGE-L, CIDEr-D, METEOR; 0-1 scale).
    Coco,
    /// sacrebleu BLEU (13a or intl tokenisation; 0-100 scale).
    Sacrebleu,
    /// Google rouge-score (ROUGE-L, ROUGE-Lsum; 0-1 scale).
    RougeScore,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum SacreTokenizeArg {
    #[value(name = "13a")]
    Thirteen,
    Intl,
}

/// Runs the command.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.tokenize.is_some() && !matches!(args.flavor, FlavorArg::Sacrebleu) {
        bail!("--tokenize applies to --flavor sacrebleu only");
    }
    if args.stemmer && !matches!(args.flavor, FlavorArg::RougeScore) {
        bail!("--stemmer applies to --flavor rouge-score only");
    }
    let flavor = match args.flavor {
        FlavorArg::Coco => Flavor::Coco,
        FlavorArg::Sacrebleu => Flavor::Sacrebleu {
            tokenizer: match args.tokenize {
                None | Some(SacreTokenizeArg::Thirteen) => SacreTokenizer::Thirteen,
                Some(SacreTokenizeArg::Intl) => SacreTokenizer::Intl,
            },
        },
        FlavorArg::RougeScore => Flavor::RougeScore {
            stemmer: args.stemmer,
        },
    };
    let metrics = parse_metrics(&args.metrics, flavor)?;
    let named_meteor = !args.metrics.is_empty() && metrics.contains(&Metric::Meteor);
    let meteor_path = args
        .meteor_data
        .clone()
        .or_else(|| std::env::var_os("MEDEVAL_METEOR_DATA").map(PathBuf::from));
    let meteor_data = match &meteor_path {
        Some(path) if metrics.contains(&Metric::Meteor) => Some(Arc::new(
            MeteorData::load(path).context("cannot use --meteor-data")?,
        )),
        _ => None,
    };
    if named_meteor && meteor_data.is_none() {
        bail!(
            "--metrics meteor: {METEOR_DATA_MISSING}; pass it with --meteor-data PATH (or MEDEVAL_METEOR_DATA), or ask for meteor-exact-stem"
        );
    }
    let samples = read_samples(&args.references, &args.candidates)?;
    if samples.is_empty() {
        bail!("{} holds no items", args.references.display());
    }
    let evaluation = evaluate_with(&samples, flavor, &metrics, &Options { meteor_data })?;
    for missing in &evaluation.unavailable {
        eprintln!(
            "warning: {} not computed: {}; pass its data with --meteor-data PATH (or MEDEVAL_METEOR_DATA)",
            missing.metric, missing.reason
        );
    }
    if let Some(path) = &args.per_item {
        write_per_item(path, &evaluation)
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    if args.json {
        writeln!(stdout, "{}", evaluation.to_json(&metrics))?;
    } else {
        write!(stdout, "{}", evaluation.table())?;
    }
    Ok(ExitCode::SUCCESS)
}

fn parse_metrics(names: &[String], flavor: Flavor) -> anyhow::Result<Vec<Metric>> {
    if names.is_empty() {
        return Ok(flavor.default_metrics().to_vec());
    }
    names
        .iter()
        .filter(|n| !n.trim().is_empty())
        .map(|n| {
            Metric::parse(n).with_context(|| {
                format!(
                    "unknown metric {n:?} (known: bleu, rouge-l, rouge-lsum, cider-d, meteor, \
                     meteor-exact-stem)"
                )
            })
        })
        .collect()
}

/// Writes `--per-item`: one JSON line per item.
fn write_per_item(path: &std::path::Path, evaluation: &Evaluation) -> std::io::Result<()> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    evaluation.write_per_item(&mut out)?;
    out.flush()
}
