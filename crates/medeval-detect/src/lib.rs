//! Detection metrics on files, computed exactly as the reference tools compute them.
//!
//! * [`cocoeval`]: COCO box mAP, bit for bit as pycocotools (the 12 summary numbers and AP per
//!   category), from COCO JSON ([`coco`]) or from CSV boxes ([`csv_boxes`]).
//! * [`voc`]: VinDr-CXR's Kaggle metric, PASCAL VOC 2010 AP at IoU > 0.4 averaged over the
//!   classes with ground truth.
//! * [`froc`]: the LUNA16 FROC and its CPM score, from the challenge's CSV files.
//! * [`bootstrap`]: intervals from resampling images (or scans).
//! * [`report`]: the words and JSON every front end prints, so they say the same thing.
//!
//! Conventions are named ([`Convention`]) and reported with every result, because the same
//! boxes give different numbers under different tools. See `docs/detection-metrics.md`.

pub mod bootstrap;
pub mod coco;
pub mod cocoeval;
pub mod csv_boxes;
pub mod dataset;
pub mod error;
pub mod evaluate;
pub mod froc;
pub mod numeric;
pub mod report;
pub mod voc;

pub use dataset::Dataset;
pub use error::{DetectError, Result};

/// Which tool's definition of detection mAP a result reproduces. Recorded in every output,
/// because the definitions disagree on the same boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Convention {
    /// pycocotools' COCOeval (bbox): AP averaged over IoU 0.50:0.95 and 101 recall points,
    /// with its quirks (`gt-id-zero`, `ignore-from-iscrowd`, `area-field`, `crowd-iou`).
    Pycocotools,
    /// VinDr-CXR's Kaggle metric: PASCAL VOC 2010 AP (all-point interpolation) at IoU > 0.4,
    /// averaged over the classes with ground truth.
    Vindr,
}

impl Convention {
    /// The name users pass and outputs record.
    pub fn name(self) -> &'static str {
        match self {
            Self::Pycocotools => "pycocotools",
            Self::Vindr => "vindr",
        }
    }
}
