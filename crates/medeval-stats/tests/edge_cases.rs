//! Edge cases: all correct, all wrong, no discordant pairs, one cluster, n = 1, n = 0.
//!
//! Every case ends either in a documented value (checked against a closed form) or in a typed
//! error; no result may carry NaN. serde_json writes NaN as `null`, so each serialized result is
//! searched for nulls, which may appear only in the fields documented as optional.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use common::assert_close;
use medeval_core::Outcome::{
    self, Correct as C, Error as E, Refused as R, Unparsed as U, Wrong as W,
};
use medeval_stats::{
    Bootstrap, CiMethod, CiMethodName, Clusters, CompareOptions, Discordance, Leaderboard,
    NonJudgementPolicy, PairedOutcomes, PowerDesign, PowerMethod, RepeatedItem, RunOutcomes,
    SampledAnswer, StatsError, TieRule, benjamini_hochberg, clopper_pearson, cluster_robust_mean,
    compare, estimate_accuracy, holm, items_needed, minimum_detectable_effect, power_at,
    rank_intervals, summarize_repeated, wald, wilson,
};
use serde::Serialize;
use serde_json::Value;

const Z95: f64 = 1.959_963_984_540_054;
const SMALL_BOOTSTRAP: Bootstrap = Bootstrap {
    replicates: 500,
    seed: 1,
};

fn all_methods() -> [CiMethod; 6] {
    [
        CiMethod::Wilson,
        CiMethod::ClopperPearson,
        CiMethod::Wald,
        CiMethod::ClusterRobust,
        CiMethod::Bootstrap(SMALL_BOOTSTRAP),
        CiMethod::ClusterBootstrap(SMALL_BOOTSTRAP),
    ]
}

/// JSON paths holding `null` in the serialized `value`.
fn null_paths(value: &impl Serialize) -> Vec<String> {
    fn walk(value: &Value, path: String, found: &mut Vec<String>) {
        match value {
            Value::Null => found.push(path),
            Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, format!("{path}[{i}]"), found);
                }
            }
            Value::Object(fields) => {
                for (key, item) in fields {
                    walk(item, format!("{path}.{key}"), found);
                }
            }
            _ => {}
        }
    }
    let mut found = Vec::new();
    walk(
        &serde_json::to_value(value).expect("results serialize"),
        String::new(),
        &mut found,
    );
    found
}

fn run(outcomes: &[Outcome]) -> RunOutcomes {
    RunOutcomes::new(outcomes.iter().copied(), NonJudgementPolicy::Exclude)
}

#[test]
fn all_correct_and_all_wrong_give_closed_form_bounds() {
    let n = 25_usize;
    let nf = n as f64;
    let all_correct = run(&vec![C; n]);
    let all_wrong = run(&vec![W; n]);
    // Wilson: the far bound is n/(n + z²); Clopper-Pearson: (α/2)^(1/n).
    let wilson_far = nf / (nf + Z95 * Z95);
    let cp_far = 0.025_f64.powf(1.0 / nf);
    for method in all_methods() {
        let right = estimate_accuracy(&all_correct, method, 0.95).unwrap();
        let wrong = estimate_accuracy(&all_wrong, method, 0.95).unwrap();
        assert_eq!((right.accuracy, wrong.accuracy), (1.0, 0.0));
        assert_eq!((right.ci[1], wrong.ci[0]), (1.0, 0.0), "{method:?}");
        match method {
            CiMethod::Wilson => {
                assert_close(right.ci[0], wilson_far, 1e-14, 0.0, "Wilson, all correct");
                assert_close(
                    wrong.ci[1],
                    1.0 - wilson_far,
                    1e-13,
                    0.0,
                    "Wilson, all wrong",
                );
            }
            CiMethod::ClopperPearson => {
                assert_close(
                    right.ci[0],
                    cp_far,
                    1e-13,
                    0.0,
                    "Clopper-Pearson, all correct",
                );
                assert_close(
                    wrong.ci[1],
                    1.0 - cp_far,
                    1e-12,
                    0.0,
                    "Clopper-Pearson, all wrong",
                );
            }
            // The cluster methods meet 25 singleton clusters, fewer than MIN_CLUSTERS: the cluster
            // bound, Wilson at n²/Σm² = 25, which is Wilson's closed form here.
            CiMethod::ClusterRobust | CiMethod::ClusterBootstrap(_) => {
                assert_eq!(right.ci_method, CiMethodName::WilsonClusterBound);
                assert_close(right.ci[0], wilson_far, 1e-14, 0.0, "bound, all correct");
                assert_close(
                    wrong.ci[1],
                    1.0 - wilson_far,
                    1e-13,
                    0.0,
                    "bound, all wrong",
                );
            }
            // Wald and the item bootstrap have no spread to work with.
            _ => {
                assert_eq!((right.ci, wrong.ci), ([1.0, 1.0], [0.0, 0.0]), "{method:?}");
                assert_eq!(right.standard_error, 0.0);
            }
        }
        // Only optional fields may be null: the design effect is 0/0 here.
        let optional = [
            ".ci_fallback",
            ".clusters",
            ".bootstrap",
            ".clusters.design_effect",
            ".clusters.effective_n",
        ];
        assert!(
            null_paths(&right)
                .iter()
                .all(|p| optional.contains(&p.as_str()))
        );
    }
    // With cluster keys the design effect is undefined (0/0) and says so; 5 clusters of 5 are
    // worth 5 items at worst: Wilson's 5/(5 + z²).
    let keyed = RunOutcomes::clustered(
        (0..n).map(|i| (C, Some(i / 5))),
        NonJudgementPolicy::Exclude,
    );
    let estimate = estimate_accuracy(&keyed, CiMethod::ClusterRobust, 0.95).unwrap();
    assert_eq!(estimate.clusters.unwrap().design_effect, None);
    assert_close(
        estimate.ci[0],
        5.0 / (5.0 + Z95 * Z95),
        1e-14,
        0.0,
        "5 clusters",
    );
    assert_eq!(
        null_paths(&estimate),
        vec![
            ".clusters.design_effect",
            ".clusters.effective_n",
            ".bootstrap"
        ]
    );
}

#[test]
fn a_single_item_has_closed_form_intervals_and_no_bootstrap() {
    // n = 1, k = 1: Wilson lower = 1/(1 + z²); Clopper-Pearson lower = α/2.
    let [lower, upper] = wilson(1, 1, 0.95).unwrap();
    assert_close(lower, 1.0 / (1.0 + Z95 * Z95), 1e-14, 0.0, "Wilson 1/1");
    assert_eq!(upper, 1.0);
    let [lower, upper] = clopper_pearson(1, 1, 0.95).unwrap();
    assert_close(lower, 0.025, 1e-14, 0.0, "Clopper-Pearson 1/1");
    assert_eq!(upper, 1.0);
    assert_eq!(clopper_pearson(0, 1, 0.95).unwrap(), [0.0, 0.975]);
    assert_eq!(wald(1, 1, 0.95).unwrap(), [1.0, 1.0]);
    let one = run(&[C]);
    assert!(matches!(
        estimate_accuracy(&one, CiMethod::Bootstrap(SMALL_BOOTSTRAP), 0.95),
        Err(StatsError::TooFewUnits {
            found: 1,
            needed: 2,
            ..
        })
    ));
    // A cluster method on one item gives the cluster bound: Wilson for 1/1.
    let bound = estimate_accuracy(&one, CiMethod::ClusterRobust, 0.95).unwrap();
    assert_close(
        bound.ci[0],
        1.0 / (1.0 + Z95 * Z95),
        1e-14,
        0.0,
        "bound 1/1",
    );
    assert_eq!(bound.ci_method, CiMethodName::WilsonClusterBound);
    let pair = PairedOutcomes::new([(C, W)], NonJudgementPolicy::Exclude);
    let err = compare(&pair, &CompareOptions::default()).unwrap_err();
    assert_eq!(
        err.to_string(),
        "paired bootstrap needs at least 2 items, but the data has 1"
    );
}

#[test]
fn no_items_is_an_error_everywhere() {
    let empty = run(&[]);
    for method in all_methods() {
        assert!(matches!(
            estimate_accuracy(&empty, method, 0.95),
            Err(StatsError::NoItems { .. })
        ));
    }
    assert!(matches!(
        wilson(0, 0, 0.95),
        Err(StatsError::NoItems { .. })
    ));
    assert!(matches!(
        clopper_pearson(0, 0, 0.95),
        Err(StatsError::NoItems { .. })
    ));
    assert!(matches!(
        cluster_robust_mean(&[], &Clusters::from_keys::<u8>([])),
        Err(StatsError::NoItems { .. })
    ));
    let pairs = PairedOutcomes::new([], NonJudgementPolicy::Exclude);
    assert!(matches!(
        compare(&pairs, &CompareOptions::default()),
        Err(StatsError::NoItems { .. })
    ));
    let board = Leaderboard::aligned::<u8>(
        vec![("a".into(), vec![])],
        None,
        NonJudgementPolicy::Exclude,
    )
    .unwrap();
    assert!(matches!(
        rank_intervals(&board, &SMALL_BOOTSTRAP, 0.95),
        Err(StatsError::NoItems { .. })
    ));
    assert!(matches!(
        summarize_repeated(&[], NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95),
        Err(StatsError::NoItems { .. })
    ));
    // An empty family needs no correction: the adjusted list is empty too.
    assert_eq!(holm(&[]).unwrap(), Vec::<f64>::new());
    assert_eq!(benjamini_hochberg(&[]).unwrap(), Vec::<f64>::new());
}

#[test]
fn only_non_judgements_leave_nothing_under_exclude_and_zero_under_count_as_wrong() {
    let failures = [U, R, E, E];
    let err = estimate_accuracy(&run(&failures), CiMethod::Wilson, 0.95).unwrap_err();
    assert_eq!(
        err,
        StatsError::NoItems {
            statistic: "accuracy",
            excluded: 4
        }
    );
    assert!(err.to_string().contains("4 excluded"));
    let counted = RunOutcomes::new(failures, NonJudgementPolicy::CountAsWrong);
    let estimate = estimate_accuracy(&counted, CiMethod::Wilson, 0.95).unwrap();
    assert_eq!(
        (estimate.n, estimate.accuracy, estimate.excluded),
        (4, 0.0, 0)
    );
    assert_eq!(estimate.non_judgements.error, 2);
}

#[test]
fn no_discordant_pairs_mean_no_evidence() {
    let pairs = PairedOutcomes::new(
        (0..30).map(|i| if i % 4 == 0 { (W, W) } else { (C, C) }),
        NonJudgementPolicy::Exclude,
    );
    let result = compare(&pairs, &CompareOptions::default()).unwrap();
    assert_eq!((result.b, result.c, result.diff), (0, 0, 0.0));
    assert_eq!((result.mcnemar_p, result.bootstrap_p), (1.0, 1.0));
    assert_eq!(result.diff_ci, [0.0, 0.0]);
    assert_eq!(result.diff_se, Some(0.0));
    assert!(pairs.discordant().a_right_b_wrong.is_empty());
    assert_eq!(
        null_paths(&result),
        vec![".p_holm", ".diff_design_effect", ".clusters"]
    );
}

#[test]
fn one_cluster_is_the_cluster_bound_for_intervals_and_an_error_for_resampling() {
    let one_cluster = RunOutcomes::clustered(
        [(C, Some("img")), (W, Some("img"))],
        NonJudgementPolicy::Exclude,
    );
    for method in [
        CiMethod::ClusterRobust,
        CiMethod::ClusterBootstrap(SMALL_BOOTSTRAP),
    ] {
        let estimate = estimate_accuracy(&one_cluster, method, 0.95).unwrap();
        assert_eq!(estimate.ci_method, CiMethodName::WilsonClusterBound);
        // Wilson for one trial at p = 1/2: 1/2 ± z/(2√(1+z²)).
        let half = Z95 / (2.0 * (1.0 + Z95 * Z95).sqrt());
        assert_close(estimate.ci[0], 0.5 - half, 1e-14, 0.0, "one cluster");
        assert_close(estimate.ci[1], 0.5 + half, 1e-14, 0.0, "one cluster");
    }
    let pairs = PairedOutcomes::clustered(
        [
            (C, W, Some("img")),
            (W, C, Some("img")),
            (C, W, Some("img")),
        ],
        NonJudgementPolicy::Exclude,
    );
    assert!(matches!(
        compare(&pairs, &CompareOptions::default()),
        Err(StatsError::TooFewUnits {
            unit: "clusters",
            ..
        })
    ));
    let board = Leaderboard::aligned(
        vec![("a".into(), vec![C, W]), ("b".into(), vec![W, W])],
        Some(vec![Some("img"), Some("img")]),
        NonJudgementPolicy::Exclude,
    )
    .unwrap();
    assert!(matches!(
        rank_intervals(&board, &SMALL_BOOTSTRAP, 0.95),
        Err(StatsError::TooFewUnits {
            unit: "clusters",
            ..
        })
    ));
    let items = [RepeatedItem {
        samples: vec![
            SampledAnswer {
                outcome: C,
                answer: None,
            },
            SampledAnswer {
                outcome: W,
                answer: Some("B"),
            },
        ],
        cluster: None,
    }];
    let repeated =
        summarize_repeated(&items, NonJudgementPolicy::Exclude, TieRule::Wrong, 0.95).unwrap();
    assert_eq!(repeated.ci_method, CiMethodName::WilsonClusterBound);
}

#[test]
fn invalid_parameters_are_named() {
    let some = run(&[C, W, C]);
    for confidence in [0.0, 1.0, -0.5, 95.0, f64::NAN] {
        let err = estimate_accuracy(&some, CiMethod::Wilson, confidence).unwrap_err();
        assert!(
            matches!(
                err,
                StatsError::InvalidParameter {
                    name: "confidence",
                    ..
                }
            ),
            "{err}"
        );
    }
    let zero_replicates = Bootstrap {
        replicates: 0,
        seed: 1,
    };
    assert!(matches!(
        estimate_accuracy(&some, CiMethod::Bootstrap(zero_replicates), 0.95),
        Err(StatsError::InvalidParameter {
            name: "replicates",
            ..
        })
    ));
    let design = PowerDesign {
        method: PowerMethod::McNemarConnor,
        alpha: 0.05,
        power: 0.8,
        discordance: Discordance::Observed { rate: 1.5 },
        design_effect: 1.0,
    };
    assert!(matches!(
        items_needed(0.05, &design),
        Err(StatsError::InvalidParameter {
            name: "discordance rate",
            ..
        })
    ));
    let design = PowerDesign {
        discordance: Discordance::IndependentErrors {
            baseline_accuracy: 1.0,
        },
        ..design
    };
    // A perfect baseline leaves no room for improvement.
    assert!(minimum_detectable_effect(1_000, &design).is_err());
    assert!(matches!(
        power_at(0, 0.05, &design),
        Err(StatsError::NoItems { .. })
    ));
}
