//! Dense-prediction metrics for medical imaging: exact, fast segmentation metrics that agree
//! with MONAI, MetricsReloaded, medpy and DeepMind's surface-distance, and binary
//! classification metrics with bootstrap intervals.
//!
//! Map: [`io`] reads label maps (NIfTI, MetaImage, NRRD, PNG, TIFF) into a [`volume::LabelVolume`];
//! [`pair`] checks that two volumes share a grid (or resamples); [`metrics`] computes per-label
//! overlap and surface metrics using [`surface`] (voxel or surfel surfaces) and [`edt`] (exact
//! distance transforms); [`folder`] runs many cases and summarises them with [`stats`] ([`report`]
//! words the results for a reader);
//! [`recon`] computes reconstruction metrics (PSNR, SSIM, NMSE) under the fastMRI and CMRxRecon
//! conventions on intensity images ([`io::read_intensity_image`], including `.npy`);
//! [`classify`] holds the classification metrics; [`encoding`] flags pairs whose label values
//! cannot mean the same thing (0/1 against 0/255, probability maps) and binarizes on request.
//!
//! Invariants: distances are exact (no approximation, no sampling); undefined values are `None`
//! and documented, never NaN; memory stays close to the decoded inputs (labels in their
//! narrowest type, two `u8`/`u16` slice-distance fields per crop, no full-size float map);
//! every read error names the file.
pub mod classify;
pub mod edt;
pub mod encoding;
pub mod folder;
pub mod io;
pub mod metrics;
pub mod pair;
pub mod recon;
pub mod report;
pub mod stats;
pub mod surface;
pub mod volume;
