//! Dense-prediction metrics for medical imaging.
pub mod classify;
pub mod edt;
pub mod folder;
pub mod io;
pub mod metrics;
pub mod pair;
pub mod stats;
pub mod surface;
pub mod volume;
