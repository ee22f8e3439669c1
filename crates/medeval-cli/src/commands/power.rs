//! `medeval power`: how many items a paired comparison needs, and the smallest improvement a
//! benchmark of a given size can show.

use std::process::ExitCode;

use anyhow::{Context, bail};
use medeval_report::{BaselineFacts, Format, PlanSettings, PowerPlan, plan_power, render_plan};
use medeval_stats::{NonJudgementPolicy, PowerMethod};

use super::output::StoreArgs;
use super::values::{NonAnswers, OutputFormat};
use medeval::runs::RunLoader;

/// Arguments of `medeval power`.
#[derive(Debug, clap::Args)]
#[command(after_help = "\
With --baseline RUN the baseline accuracy, the number of items and the design effect come from the \
run (a run id in the store or a scored-sample file); the discordance comes from its repeated \
samples when it has several per item, and otherwise assumes the other model's errors independent \
of the baseline's. --discordance and --design-effect override both. Without a run, give \
--accuracy (and --items for the minimum detectable effect). Formulas: docs/statistics.md.")]
pub struct Args {
    /// A run whose accuracy, items and clustering the plan starts from.
    #[arg(long, value_name = "RUN", conflicts_with = "accuracy")]
    pub baseline: Option<String>,
    /// Number of items for the minimum detectable effect (default: the baseline run's).
    #[arg(long, value_name = "N")]
    pub items: Option<u64>,
    #[command(flatten)]
    pub plan: PlanArgs,
    #[command(flatten)]
    pub store: StoreArgs,
    /// How unparsed, refused and error outcomes enter the baseline's accuracy.
    #[arg(long, value_enum, default_value_t = NonAnswers::CountAsWrong, value_name = "POLICY")]
    pub non_answers: NonAnswers,
    /// Measure the baseline's design effect as if its items were independent.
    #[arg(long)]
    pub ignore_clusters: bool,
    /// Print the plan as JSON.
    #[arg(long)]
    pub json: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Table, value_name = "FORMAT")]
    pub format: OutputFormat,
}

/// `--test`: the paired test a plan is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PlannedTest {
    /// McNemar's test, sized by Connor (1987).
    Mcnemar,
    /// The normal approximation to the paired difference.
    #[value(alias = "paired_z")]
    PairedZ,
}

/// The planning assumptions `power` and `run --plan` share.
#[derive(Debug, Clone, clap::Args)]
pub struct PlanArgs {
    /// Improvement in accuracy to detect, as a fraction (0.03 = 3 percentage points).
    #[arg(long, value_name = "DELTA", allow_negative_numbers = true)]
    pub effect: Option<f64>,
    /// Assumed accuracy of the baseline model (no run).
    #[arg(long, value_name = "P")]
    pub accuracy: Option<f64>,
    /// Two-sided significance level.
    #[arg(long, default_value_t = 0.05, value_name = "ALPHA")]
    pub alpha: f64,
    /// Target power (at least 0.5).
    #[arg(long, default_value_t = 0.8, value_name = "POWER")]
    pub power: f64,
    /// Assumed discordance: the share of items on which the two models differ in correctness
    /// (from a previous comparison: (b + c) / n_paired).
    #[arg(long, value_name = "PSI")]
    pub discordance: Option<f64>,
    /// Assumed design effect of clustered items (from `medeval show RUN --ci cluster`).
    #[arg(long, value_name = "DEFF")]
    pub design_effect: Option<f64>,
    /// The test the plan is for.
    #[arg(long, value_enum, default_value_t = PlannedTest::Mcnemar, value_name = "TEST")]
    pub test: PlannedTest,
}

impl PlanArgs {
    /// Whether any planning flag differs from its default.
    pub fn is_given(&self) -> bool {
        self.effect.is_some()
            || self.accuracy.is_some()
            || self.discordance.is_some()
            || self.design_effect.is_some()
            || self.alpha != 0.05
            || self.power != 0.8
            || self.test != PlannedTest::Mcnemar
    }

    /// The settings these arguments ask for.
    pub fn settings(
        &self,
        policy: NonJudgementPolicy,
        items: Option<u64>,
        use_clusters: bool,
    ) -> anyhow::Result<PlanSettings> {
        let method = match self.test {
            PlannedTest::Mcnemar => PowerMethod::McNemarConnor,
            PlannedTest::PairedZ => PowerMethod::NormalPairedDifference,
        };
        if let Some(accuracy) = self.accuracy {
            if !(0.0..=1.0).contains(&accuracy) {
                bail!("--accuracy must be between 0 and 1, got {accuracy}");
            }
        }
        Ok(PlanSettings {
            policy,
            method,
            alpha: self.alpha,
            power: self.power,
            effect: self.effect,
            items,
            discordance: self.discordance,
            design_effect: self.design_effect,
            use_clusters,
        })
    }
}

/// Runs `medeval power`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let format = args.format.tables(args.json);
    let policy = args.non_answers.into();
    let settings = args
        .plan
        .settings(policy, args.items, !args.ignore_clusters)?;
    let baseline = match (&args.baseline, args.plan.accuracy) {
        (Some(selector), _) => {
            let mut runs = RunLoader::new(&args.store.store).load(selector)?;
            if runs.len() != 1 {
                bail!(
                    "{selector} holds {} benchmarks; a plan starts from one (split the file by benchmark)",
                    runs.len()
                );
            }
            let run = runs.remove(0);
            BaselineFacts::from_run(&run, policy, settings.use_clusters)
                .with_context(|| format!("cannot read a baseline from {selector}"))?
        }
        (None, Some(accuracy)) => BaselineFacts::assumed(accuracy, policy),
        (None, None) => bail!("give --baseline RUN, or --accuracy P for an assumed accuracy"),
    };
    if settings.effect.is_none() && settings.items.is_none() && baseline.items.is_none() {
        bail!(
            "nothing to plan: give --effect (items needed) and/or --items (minimum detectable effect)"
        );
    }
    let plan = plan_power(baseline, &settings)?;
    print_plan(&plan, format)?;
    Ok(ExitCode::SUCCESS)
}

/// Prints a plan as JSON (`None`) or tables.
pub fn print_plan(plan: &PowerPlan, format: Option<Format>) -> anyhow::Result<()> {
    match format {
        None => outln!("{}", serde_json::to_string_pretty(plan)?)?,
        Some(format) => out!("{}", render_plan(plan, format))?,
    }
    Ok(())
}
