//! Values of enumerated flags, parsed by clap: `--help` lists them, a misspelt one is refused
//! with the list, and each maps once to the library's own type.

use medeval_report::Format;
use medeval_stats::{Bootstrap, CiMethod, NonJudgementPolicy};

/// `--format`: how results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum OutputFormat {
    /// Aligned text tables for the terminal.
    #[value(alias = "terminal")]
    Table,
    /// Markdown tables.
    #[value(alias = "md")]
    Markdown,
    /// Comma-separated values.
    Csv,
    /// LaTeX tables.
    #[value(alias = "tex")]
    Latex,
    /// One JSON document.
    Json,
}

impl OutputFormat {
    /// The table format, or `None` for JSON; `json` (the flag) forces JSON.
    pub fn tables(self, json: bool) -> Option<Format> {
        match self {
            _ if json => None,
            Self::Json => None,
            Self::Table => Some(Format::Terminal),
            Self::Markdown => Some(Format::Markdown),
            Self::Csv => Some(Format::Csv),
            Self::Latex => Some(Format::Latex),
        }
    }
}

/// `--non-answers`: how unparsed, refused and error outcomes enter accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum NonAnswers {
    /// The item stays, as a wrong answer.
    #[value(alias = "count_as_wrong")]
    CountAsWrong,
    /// The item is left out and counted.
    Exclude,
}

impl From<NonAnswers> for NonJudgementPolicy {
    fn from(value: NonAnswers) -> Self {
        match value {
            NonAnswers::CountAsWrong => Self::CountAsWrong,
            NonAnswers::Exclude => Self::Exclude,
        }
    }
}

/// `--ci` of `show` and `run`: the interval method for accuracy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum IntervalMethod {
    /// Cluster-robust when the run's items carry cluster keys, Wilson otherwise (as `table`).
    Auto,
    /// Wilson score interval.
    Wilson,
    /// Exact (Clopper-Pearson) interval.
    ClopperPearson,
    /// Normal approximation.
    Wald,
    /// Cluster-robust (sandwich) standard error over the items' cluster keys; with fewer than 30
    /// clusters, the cluster bound instead (named in the output).
    #[value(alias = "cluster-robust")]
    Cluster,
    /// Percentile bootstrap over items.
    Bootstrap,
    /// Percentile bootstrap over clusters.
    ClusterBootstrap,
}

impl IntervalMethod {
    /// The statistics crate's method, with `bootstrap` for the bootstrap methods.
    pub fn method(self, bootstrap: Bootstrap) -> CiMethod {
        match self {
            Self::Auto => CiMethod::Auto,
            Self::Wilson => CiMethod::Wilson,
            Self::ClopperPearson => CiMethod::ClopperPearson,
            Self::Wald => CiMethod::Wald,
            Self::Cluster => CiMethod::ClusterRobust,
            Self::Bootstrap => CiMethod::Bootstrap(bootstrap),
            Self::ClusterBootstrap => CiMethod::ClusterBootstrap(bootstrap),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::ValueEnum;

    use super::*;

    #[test]
    fn every_spelling_the_docs_use_is_accepted() {
        for (name, format) in [
            ("table", OutputFormat::Table),
            ("terminal", OutputFormat::Table),
            ("md", OutputFormat::Markdown),
            ("tex", OutputFormat::Latex),
            ("json", OutputFormat::Json),
        ] {
            assert_eq!(OutputFormat::from_str(name, false), Ok(format));
        }
        assert_eq!(
            NonAnswers::from_str("count_as_wrong", false),
            Ok(NonAnswers::CountAsWrong)
        );
        assert_eq!(
            IntervalMethod::from_str("cluster-robust", false),
            Ok(IntervalMethod::Cluster)
        );
        assert_eq!(OutputFormat::Csv.tables(true), None);
        assert_eq!(OutputFormat::Csv.tables(false), Some(Format::Csv));
    }
}
