//! VinDr-CXR's Kaggle metric: PASCAL VOC 2010 average precision at IoU > 0.4, averaged over the
//! classes that have ground truth.
//!
//! The competition's page describes its metric as "the standard PASCAL VOC 2010 mean Average
//! Precision (mAP) at IoU > 0.4"; its scoring code is not public. This module follows the
//! published VOC definition (the `voc_eval` procedure): per class, detections in score order
//! (ties in file order), each compared with the ground truth of its image; the box of highest
//! IoU (the first of equals) is matched when that IoU is **strictly above** the threshold and it
//! is not matched yet, otherwise the detection is a false positive (a duplicate is not passed on
//! to the next-best box, unlike pycocotools). AP is the area under the precision envelope at
//! every recall step (VOC 2010's all-point interpolation, not 11-point). Boxes are continuous
//! corners (no "+1" pixel), all detections count (no per-image limit), and no box is crowd.

use rayon::prelude::*;

use crate::dataset::Dataset;
use crate::numeric::{numpy_mean, numpy_sum};

/// The IoU a match must exceed in VinDr-CXR's metric.
pub const VINDR_IOU: f64 = 0.4;

/// One detection after matching.
#[derive(Debug, Clone, Copy)]
struct Scored {
    score: f64,
    order: usize,
    image: usize,
    true_positive: bool,
}

/// Per class: its detections after matching, and its ground-truth count per image.
#[derive(Debug, Clone)]
struct ClassResult {
    detections: Vec<Scored>,
    positives: Vec<(usize, u32)>,
}

/// Matching done once; [`VocEvaluation::summary`] accumulates it over any multiset of images.
#[derive(Debug, Clone)]
pub struct VocEvaluation {
    threshold: f64,
    classes: Vec<ClassResult>,
    images: usize,
}

/// AP per class and their mean.
#[derive(Debug, Clone, PartialEq)]
pub struct VocSummary {
    /// The mean over classes with ground truth, `None` when no class has any.
    pub map: Option<f64>,
    /// AP per class (category order), `None` for a class without ground truth.
    pub per_category: Vec<Option<f64>>,
}

fn corner_iou(d: &[f64; 4], g: &[f64; 4]) -> f64 {
    let iw = d[2].min(g[2]) - d[0].max(g[0]);
    let ih = d[3].min(g[3]) - d[1].max(g[1]);
    if iw <= 0.0 || ih <= 0.0 {
        return 0.0;
    }
    let inter = iw * ih;
    let union = (d[2] - d[0]) * (d[3] - d[1]) + (g[2] - g[0]) * (g[3] - g[1]) - inter;
    inter / union
}

impl VocEvaluation {
    /// Matches every class's detections at IoU strictly above `threshold`.
    pub fn new(dataset: &Dataset, threshold: f64) -> Self {
        let classes = (0..dataset.categories.len())
            .into_par_iter()
            .map(|k| match_class(dataset, k, threshold))
            .collect();
        Self {
            threshold,
            classes,
            images: dataset.images.len(),
        }
    }

    /// The IoU a match had to exceed.
    pub fn threshold(&self) -> f64 {
        self.threshold
    }

    /// The number of images (the units a bootstrap resamples).
    pub fn images(&self) -> usize {
        self.images
    }

    /// AP per class and mAP, each image counted as often as `weights` says (once when `None`).
    pub fn summary(&self, weights: Option<&[u32]>) -> VocSummary {
        let per_category: Vec<Option<f64>> = self
            .classes
            .iter()
            .map(|class| class_ap(class, weights))
            .collect();
        let defined: Vec<f64> = per_category.iter().flatten().copied().collect();
        VocSummary {
            map: (!defined.is_empty()).then(|| numpy_mean(&defined)),
            per_category,
        }
    }
}

fn match_class(dataset: &Dataset, k: usize, threshold: f64) -> ClassResult {
    let mut gts_by_image: std::collections::BTreeMap<usize, Vec<[f64; 4]>> = Default::default();
    for gt in dataset.ground_truth.iter().filter(|g| g.category == k) {
        gts_by_image
            .entry(gt.image)
            .or_default()
            .push(gt.bbox.corners);
    }
    let mut order: Vec<usize> = (0..dataset.detections.len())
        .filter(|&i| dataset.detections[i].category == k)
        .collect();
    order.sort_by(|a, b| {
        dataset.detections[*b]
            .score
            .partial_cmp(&dataset.detections[*a].score)
            .unwrap_or(std::cmp::Ordering::Equal)
    });
    let mut taken: std::collections::HashMap<usize, Vec<bool>> = Default::default();
    let mut detections = Vec::with_capacity(order.len());
    for i in order {
        let dt = &dataset.detections[i];
        let gts = gts_by_image.get(&dt.image).map_or(&[][..], Vec::as_slice);
        let mut best = f64::NEG_INFINITY;
        let mut best_at = None;
        for (j, gt) in gts.iter().enumerate() {
            let iou = corner_iou(&dt.bbox.corners, gt);
            if iou > best {
                best = iou;
                best_at = Some(j);
            }
        }
        let mut true_positive = false;
        if let Some(j) = best_at {
            if best > threshold {
                let used = taken
                    .entry(dt.image)
                    .or_insert_with(|| vec![false; gts.len()]);
                if !used[j] {
                    used[j] = true;
                    true_positive = true;
                }
            }
        }
        detections.push(Scored {
            score: dt.score,
            order: i,
            image: dt.image,
            true_positive,
        });
    }
    ClassResult {
        detections,
        positives: gts_by_image
            .iter()
            .map(|(i, g)| (*i, g.len() as u32))
            .collect(),
    }
}

fn class_ap(class: &ClassResult, weights: Option<&[u32]>) -> Option<f64> {
    let weight = |image: usize| weights.map_or(1, |w| w[image]);
    let positives: u64 = class
        .positives
        .iter()
        .map(|(image, n)| u64::from(*n) * u64::from(weight(*image)))
        .sum();
    if positives == 0 {
        return None;
    }
    let mut entries: Vec<Scored> = Vec::with_capacity(class.detections.len());
    for d in &class.detections {
        for _ in 0..weight(d.image) {
            entries.push(*d);
        }
    }
    entries.sort_by(|a, b| {
        b.score
            .partial_cmp(&a.score)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.order.cmp(&b.order))
    });
    let npos = positives as f64;
    let mut recall = Vec::with_capacity(entries.len() + 2);
    let mut precision = Vec::with_capacity(entries.len() + 2);
    recall.push(0.0);
    precision.push(0.0);
    let (mut tp, mut fp) = (0.0_f64, 0.0_f64);
    for e in &entries {
        if e.true_positive {
            tp += 1.0;
        } else {
            fp += 1.0;
        }
        recall.push(tp / npos);
        precision.push(tp / (tp + fp).max(f64::EPSILON));
    }
    recall.push(1.0);
    precision.push(0.0);
    for i in (1..precision.len()).rev() {
        precision[i - 1] = precision[i - 1].max(precision[i]);
    }
    let steps: Vec<f64> = (0..recall.len() - 1)
        .filter(|&i| recall[i + 1] != recall[i])
        .map(|i| (recall[i + 1] - recall[i]) * precision[i + 1])
        .collect();
    Some(numpy_sum(&steps))
}
