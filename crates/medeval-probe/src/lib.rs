//! Robustness and sanity probes as run variants.
//!
//! Medical VLMs answer from text priors, prefer option positions and report findings that are not
//! there. Each probe here is a [`Variant`] that turns a benchmark's items into variant items (so a
//! variant run is an ordinary run: resumable, cached, scored, stored), and a report that reads the
//! variant run, usually against the clean run:
//!
//! | variant | report |
//! |---|---|
//! | `circular`, `permute:K` | [`permutation_report`]: circular accuracy, consistency, position bias |
//! | `no-image`, `blank-image`, `mismatched-image` | [`ablation_report`]: gain from the image with a paired interval |
//! | `corrupt:NAME@S..T` | [`corruption_report`]: accuracy per severity, relative to clean |
//! | a `medeval sanity build` benchmark | [`sanity_report`]: accuracy and false alarms on controls |

mod reports;
mod variant;

pub use reports::{
    AblationReport, CONTROL, CorruptionReport, PermutationReport, PositionBias, ProbeError,
    SanityReport, SanityTask, SeverityLevel, TASK, ablation_report, corruption_report,
    permutation_report, sanity_report,
};
pub use variant::{Expansion, SOURCE_ID, VARIANT, VARIANT_PARAM, Variant, VariantError};
