//! Dense-prediction metrics for medical imaging.
pub mod edt;
pub mod io;
pub mod metrics;
pub mod surface;
pub mod volume;
