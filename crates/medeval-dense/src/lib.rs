//! Dense-prediction metrics for medical imaging.
pub mod io;
pub mod volume;
