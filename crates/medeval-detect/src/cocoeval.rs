//! COCO box mAP exactly as pycocotools 2.0.x computes it (`COCOeval` with `iouType='bbox'`):
//! per image and category, greedy matching of score-sorted detections at ten IoU thresholds;
//! then, per category, size range and detection limit, a precision/recall curve sampled at 101
//! recall points; then the 12 summary numbers.
//!
//! Every step keeps pycocotools' order of operations (stable sorts, `min(t, 1 - 1e-10)`, IoU
//! ties matching the later ground truth, the `eps` in the precision, numpy's pairwise sum in
//! the means), so the results are equal to the last bit, quirks included:
//!
//! * `gt-id-zero`: a detection matched to a ground truth whose id is 0 counts as unmatched,
//!   because pycocotools records "no match" as 0 (cocoapi#572);
//! * `ignore-from-iscrowd`: an annotation's own `ignore` field is overwritten by `iscrowd`;
//! * `area-field`: size ranges are judged by the ground truth's `area` field (a mask area on
//!   COCO), not by its box;
//! * `crowd-iou`: IoU with a crowd region is intersection over the detection's area, and a
//!   crowd region absorbs any number of detections without counting them.

use rayon::prelude::*;

use crate::dataset::Dataset;
use crate::numeric::{linspace, numpy_mean};

/// The detection limits per image of pycocotools' summary: 1, 10 and 100.
pub const MAX_DETECTIONS: [usize; 3] = [1, 10, 100];

/// The size ranges of pycocotools' summary, bounds included: all, small (< 32²), medium,
/// large (> 96²).
pub const AREA_RANGES: [(f64, f64); 4] =
    [(0.0, 1e10), (0.0, 1024.0), (1024.0, 9216.0), (9216.0, 1e10)];

/// The names of [`AREA_RANGES`], as pycocotools prints them.
pub const AREA_NAMES: [&str; 4] = ["all", "small", "medium", "large"];

/// The thresholds of an evaluation: pycocotools'. Kept private so the matching can pack one
/// bit per IoU threshold into a word.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoParams {
    iou_thresholds: Vec<f64>,
    recall_thresholds: Vec<f64>,
}

impl CocoParams {
    /// pycocotools' thresholds: `linspace(.5, .95, 10)` and `linspace(0, 1, 101)`, computed
    /// as numpy computes them.
    pub fn pycocotools() -> Self {
        Self {
            iou_thresholds: linspace(0.5, 0.95, 10),
            recall_thresholds: linspace(0.0, 1.0, 101),
        }
    }

    /// IoU thresholds (a detection matches at IoU ≥ t).
    pub fn iou_thresholds(&self) -> &[f64] {
        &self.iou_thresholds
    }

    /// Recall points the precision is sampled at.
    pub fn recall_thresholds(&self) -> &[f64] {
        &self.recall_thresholds
    }
}

/// The matching of one image and category under one size range.
#[derive(Debug, Clone)]
struct AreaResult {
    /// Ground truths that count (not crowd, inside the range).
    counted: u32,
    /// Per detection, one word for all thresholds: bit t set when matched (to a nonzero id)
    /// at threshold t, bit 32 + t when ignored there. One load per detection serves every
    /// threshold when the curves are made.
    flags: Vec<u64>,
}

/// The bit of "matched at threshold t".
fn matched_bit(t: usize) -> u64 {
    1 << t
}

/// The bit of "ignored at threshold t".
fn ignored_bit(t: usize) -> u64 {
    1 << (32 + t)
}

/// One image's results for one category: pycocotools' `evalImgs` entry.
#[derive(Debug, Clone)]
struct CellResult {
    image: usize,
    /// Scores of the kept detections, highest first.
    scores: Vec<f64>,
    areas: [AreaResult; 4],
}

/// Per-image matching for every category: everything the curves are made of. Computed once;
/// the summary and each bootstrap replicate accumulate it over a multiset of images.
#[derive(Debug, Clone)]
pub struct ImageEvaluation {
    params: CocoParams,
    /// Per category, its images with a box (ground truth or detection), in image order.
    categories: Vec<Vec<CellResult>>,
    images: usize,
}

/// pycocotools' box IoU (`bbIou` in its C code): intersection over union, or over the
/// detection's area for a crowd region; 0 when the boxes do not overlap.
fn box_iou(dt: &[f64; 4], gt: &[f64; 4], crowd: bool) -> f64 {
    let w = (dt[2] + dt[0]).min(gt[2] + gt[0]) - dt[0].max(gt[0]);
    if w <= 0.0 {
        return 0.0;
    }
    let h = (dt[3] + dt[1]).min(gt[3] + gt[1]) - dt[1].max(gt[1]);
    if h <= 0.0 {
        return 0.0;
    }
    let inter = w * h;
    let dt_area = dt[2] * dt[3];
    let union = if crowd {
        dt_area
    } else {
        dt_area + gt[2] * gt[3] - inter
    };
    inter / union
}

/// Sorts indices by score, highest first, keeping file order among equal scores (numpy's
/// mergesort of the negated scores).
fn by_score_descending(indices: &mut [usize], score: impl Fn(usize) -> f64) {
    indices.sort_by(|a, b| {
        score(*b)
            .partial_cmp(&score(*a))
            .unwrap_or(std::cmp::Ordering::Equal)
    });
}

/// Groups box indices of one category by image (stable, so file order is kept per image).
fn group_by_image(
    mut indices: Vec<usize>,
    image_of: impl Fn(usize) -> usize,
) -> Vec<(usize, Vec<usize>)> {
    indices.sort_by_key(|i| image_of(*i));
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    for i in indices {
        let image = image_of(i);
        match groups.last_mut() {
            Some((last, members)) if *last == image => members.push(i),
            _ => groups.push((image, vec![i])),
        }
    }
    groups
}

impl ImageEvaluation {
    /// Matches detections to ground truth per image and category (pycocotools' `evaluate`),
    /// categories in parallel.
    pub fn new(dataset: &Dataset, params: CocoParams) -> Self {
        let k = dataset.categories.len();
        let mut gts: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (i, gt) in dataset.ground_truth.iter().enumerate() {
            gts[gt.category].push(i);
        }
        let mut dts: Vec<Vec<usize>> = vec![Vec::new(); k];
        for (i, dt) in dataset.detections.iter().enumerate() {
            dts[dt.category].push(i);
        }
        let categories = gts
            .into_par_iter()
            .zip(dts.into_par_iter())
            .map(|(gts, dts)| evaluate_category(dataset, &params, gts, dts))
            .collect();
        Self {
            params,
            categories,
            images: dataset.images.len(),
        }
    }

    /// The number of images of the ground truth (the units a bootstrap resamples).
    pub fn images(&self) -> usize {
        self.images
    }

    /// The thresholds used.
    pub fn params(&self) -> &CocoParams {
        &self.params
    }

    /// pycocotools' `accumulate` for the chosen size ranges and limits (indices into
    /// [`AREA_RANGES`] and [`MAX_DETECTIONS`]), each image counted as often as `weights` says
    /// (all once when `None`; a bootstrap replicate gives its draw counts).
    pub fn accumulate(
        &self,
        areas: &[usize],
        limits: &[usize],
        weights: Option<&[u32]>,
    ) -> Accumulated {
        let categories = self
            .categories
            .par_iter()
            .map(|cells| accumulate_category(&self.params, cells, areas, limits, weights))
            .collect();
        Accumulated {
            thresholds: self.params.iou_thresholds.len(),
            recalls: self.params.recall_thresholds.len(),
            categories,
        }
    }

    /// The 12 summary numbers and per-category AP over all images.
    pub fn summarize(&self) -> CocoSummary {
        let accumulated = self.accumulate(&[0, 1, 2, 3], &[0, 1, 2], None);
        accumulated.summary(&self.params)
    }
}

fn evaluate_category(
    dataset: &Dataset,
    params: &CocoParams,
    gts: Vec<usize>,
    dts: Vec<usize>,
) -> Vec<CellResult> {
    let gt_groups = group_by_image(gts, |i| dataset.ground_truth[i].image);
    let dt_groups = group_by_image(dts, |i| dataset.detections[i].image);
    let mut cells = Vec::with_capacity(gt_groups.len().max(dt_groups.len()));
    let (mut g, mut d) = (
        gt_groups.into_iter().peekable(),
        dt_groups.into_iter().peekable(),
    );
    loop {
        let next_gt = g.peek().map(|x| x.0);
        let next_dt = d.peek().map(|x| x.0);
        let image = match (next_gt, next_dt) {
            (None, None) => break,
            (Some(a), Some(b)) => a.min(b),
            (Some(a), None) => a,
            (None, Some(b)) => b,
        };
        let cell_gts = if next_gt == Some(image) {
            g.next().map(|x| x.1).unwrap_or_default()
        } else {
            Vec::new()
        };
        let cell_dts = if next_dt == Some(image) {
            d.next().map(|x| x.1).unwrap_or_default()
        } else {
            Vec::new()
        };
        cells.push(evaluate_cell(dataset, params, image, &cell_gts, cell_dts));
    }
    cells
}

/// pycocotools' `computeIoU` and `evaluateImg` for one image and category, all size ranges.
fn evaluate_cell(
    dataset: &Dataset,
    params: &CocoParams,
    image: usize,
    gts: &[usize],
    mut dts: Vec<usize>,
) -> CellResult {
    by_score_descending(&mut dts, |i| dataset.detections[i].score);
    dts.truncate(MAX_DETECTIONS[2]);
    let gt_boxes: Vec<&crate::dataset::GroundTruth> =
        gts.iter().map(|&i| &dataset.ground_truth[i]).collect();
    let dt_boxes: Vec<&crate::dataset::Detection> =
        dts.iter().map(|&i| &dataset.detections[i]).collect();
    let (n_dt, n_gt) = (dt_boxes.len(), gt_boxes.len());
    let mut ious = vec![0.0_f64; n_dt * n_gt];
    for (di, dt) in dt_boxes.iter().enumerate() {
        for (gi, gt) in gt_boxes.iter().enumerate() {
            ious[di * n_gt + gi] = box_iou(&dt.bbox.xywh, &gt.bbox.xywh, gt.crowd);
        }
    }
    let dt_areas: Vec<f64> = dt_boxes
        .iter()
        .map(|d| d.bbox.xywh[2] * d.bbox.xywh[3])
        .collect();
    let areas = AREA_RANGES.map(|range| match_in_range(params, range, &gt_boxes, &dt_areas, &ious));
    CellResult {
        image,
        scores: dt_boxes.iter().map(|d| d.score).collect(),
        areas,
    }
}

/// Greedy matching at every threshold for one size range (pycocotools' `evaluateImg`).
fn match_in_range(
    params: &CocoParams,
    (low, high): (f64, f64),
    gts: &[&crate::dataset::GroundTruth],
    dt_areas: &[f64],
    ious: &[f64],
) -> AreaResult {
    let n_gt = gts.len();
    let n_dt = dt_areas.len();
    // `ignore` is the crowd flag (quirk `ignore-from-iscrowd`); the range is judged by the
    // `area` field (quirk `area-field`).
    let ignored: Vec<bool> = gts
        .iter()
        .map(|g| g.crowd || g.area < low || g.area > high)
        .collect();
    let mut order: Vec<usize> = (0..n_gt).collect();
    order.sort_by_key(|&g| ignored[g]);
    let counted = ignored.iter().filter(|i| !**i).count() as u32;
    let dt_outside: Vec<bool> = dt_areas.iter().map(|a| *a < low || *a > high).collect();
    let mut flags = vec![0_u64; n_dt];
    let mut gt_taken = vec![false; n_gt];
    for (t, threshold) in params.iou_thresholds.iter().enumerate() {
        gt_taken.iter_mut().for_each(|x| *x = false);
        for d in 0..n_dt {
            let mut best = threshold.min(1.0 - 1e-10);
            let mut matched: Option<usize> = None;
            for (position, &g) in order.iter().enumerate() {
                if gt_taken[position] && !gts[g].crowd {
                    continue;
                }
                if let Some(m) = matched {
                    if !ignored[order[m]] && ignored[g] {
                        break;
                    }
                }
                let iou = ious[d * n_gt + g];
                if iou < best {
                    continue;
                }
                best = iou;
                matched = Some(position);
            }
            let mut flag = 0;
            let mut nonzero = false;
            if let Some(m) = matched {
                gt_taken[m] = true;
                // Quirk `gt-id-zero`: the match is recorded as the gt id, and 0 reads as none.
                nonzero = gts[order[m]].id != 0;
                if nonzero {
                    flag |= matched_bit(t);
                }
                if ignored[order[m]] {
                    flag |= ignored_bit(t);
                }
            }
            if !nonzero && dt_outside[d] {
                flag |= ignored_bit(t);
            }
            flags[d] |= flag;
        }
    }
    AreaResult { counted, flags }
}

/// The curve of one category, size range and limit: precision at each recall point per
/// threshold (threshold-major) and the final recall per threshold.
#[derive(Debug, Clone, PartialEq)]
pub struct Curve {
    /// `precision[t * R + r]`.
    pub precision: Vec<f64>,
    /// `recall[t]`.
    pub recall: Vec<f64>,
}

/// pycocotools' `eval['precision']` and `eval['recall']`: per category, size range and limit,
/// a curve, or `None` where pycocotools leaves -1 (no ground truth that counts).
#[derive(Debug, Clone)]
pub struct Accumulated {
    thresholds: usize,
    recalls: usize,
    /// `categories[k][area][limit]`.
    categories: Vec<[[Option<Curve>; 3]; 4]>,
}

fn accumulate_category(
    params: &CocoParams,
    cells: &[CellResult],
    areas: &[usize],
    limits: &[usize],
    weights: Option<&[u32]>,
) -> [[Option<Curve>; 3]; 4] {
    let mut out: [[Option<Curve>; 3]; 4] = Default::default();
    let weight = |cell: &CellResult| weights.map_or(1, |w| w[cell.image]);
    if cells.iter().all(|c| weight(c) == 0) {
        return out;
    }
    for &limit in limits {
        let max_det = MAX_DETECTIONS[limit];
        // (score, cell, detection) over the images in order, each image as often as it counts.
        let mut entries: Vec<(f64, u32, u32)> = Vec::new();
        for (c, cell) in cells.iter().enumerate() {
            let kept = cell.scores.len().min(max_det);
            for _ in 0..weight(cell) {
                entries.extend((0..kept).map(|d| (cell.scores[d], c as u32, d as u32)));
            }
        }
        entries.sort_by(|a, b| b.0.partial_cmp(&a.0).unwrap_or(std::cmp::Ordering::Equal));
        for &area in areas {
            let counted: u64 = cells
                .iter()
                .map(|c| u64::from(c.areas[area].counted) * u64::from(weight(c)))
                .sum();
            if counted == 0 {
                continue;
            }
            out[area][limit] = Some(curve(params, cells, &entries, area, counted));
        }
    }
    out
}

/// The smallest true-positive count whose recall (`k / npig`, as a double) reaches each recall
/// point: `searchsorted(rc, r, 'left')` is the first detection where the count reaches it,
/// because `k / npig` is non-decreasing in k.
fn counts_reaching(recall_points: &[f64], npig: u64) -> Vec<u64> {
    let denominator = npig as f64;
    let mut k = 0_u64;
    recall_points
        .iter()
        .map(|r| {
            while k <= npig && (k as f64) / denominator < *r {
                k += 1;
            }
            k
        })
        .collect()
}

/// One curve, as pycocotools' `accumulate` makes it, without materialising its arrays: the
/// envelope (precision made non-increasing from the right) at a point is the largest precision
/// at or after it, and precision rises only at a true positive, so it is the largest precision
/// among that and later true positives; and every sampled point is the detection where the
/// true-positive count first reaches the recall point (or the first detection). Precision
/// values are computed as pycocotools computes them, `tp / (fp + tp + eps)`.
fn curve(
    params: &CocoParams,
    cells: &[CellResult],
    entries: &[(f64, u32, u32)],
    area: usize,
    counted: u64,
) -> Curve {
    let r_count = params.recall_thresholds.len();
    let t_count = params.iou_thresholds.len();
    let mut precision = vec![0.0; t_count * r_count];
    let mut recall = vec![0.0; t_count];
    if entries.is_empty() {
        return Curve { precision, recall };
    }
    let needed = counts_reaching(&params.recall_thresholds, counted);
    let packed: Vec<u64> = entries
        .iter()
        .map(|&(_, c, d)| cells[c as usize].areas[area].flags[d as usize])
        .collect();
    // at_tp[k - 1]: precision at the k-th true positive, then its suffix maximum.
    let mut at_tp: Vec<f64> = Vec::with_capacity(counted as usize);
    for t in 0..t_count {
        at_tp.clear();
        let (mut tp, mut fp) = (0_u64, 0_u64);
        let (matched, ignored) = (matched_bit(t), ignored_bit(t));
        for &flag in &packed {
            if flag & ignored == 0 {
                if flag & matched != 0 {
                    tp += 1;
                    let tpf = tp as f64;
                    at_tp.push(tpf / (fp as f64 + tpf + f64::EPSILON));
                } else {
                    fp += 1;
                }
            }
        }
        recall[t] = tp as f64 / counted as f64;
        for i in (1..at_tp.len()).rev() {
            if at_tp[i] > at_tp[i - 1] {
                at_tp[i - 1] = at_tp[i];
            }
        }
        for (r, k) in needed.iter().enumerate() {
            let value = match *k {
                // The first detection: the envelope's value there is the largest precision
                // of all (0 without a true positive).
                0 => at_tp.first().copied().unwrap_or(0.0),
                k if k <= tp => at_tp[(k - 1) as usize],
                // Past the final recall: pycocotools leaves these at 0.
                _ => break,
            };
            precision[t * r_count + r] = value;
        }
    }
    Curve { precision, recall }
}

/// The 12 numbers of pycocotools' `stats`, in its order, and AP per category.
#[derive(Debug, Clone, PartialEq)]
pub struct CocoSummary {
    /// AP@[.5:.95], AP@.5, AP@.75, AP small, medium, large; AR@1, AR@10, AR@100, AR small,
    /// medium, large; -1 where nothing counts (pycocotools' value).
    pub stats: [f64; 12],
    /// AP@[.5:.95] (all sizes, 100 detections) per category, in category order; `None` for a
    /// category without ground truth (pycocotools' -1, left out of the mean).
    pub per_category: Vec<Option<f64>>,
}

/// What each of the 12 numbers is: AP or AR, IoU threshold (None: all), size range, limit.
pub const STAT_DEFINITIONS: [(bool, Option<f64>, usize, usize); 12] = [
    (true, None, 0, 2),
    (true, Some(0.5), 0, 2),
    (true, Some(0.75), 0, 2),
    (true, None, 1, 2),
    (true, None, 2, 2),
    (true, None, 3, 2),
    (false, None, 0, 0),
    (false, None, 0, 1),
    (false, None, 0, 2),
    (false, None, 1, 2),
    (false, None, 2, 2),
    (false, None, 3, 2),
];

impl Accumulated {
    /// One summary number, as pycocotools' `_summarize`: the numpy mean of every defined value
    /// of the slice, in numpy's memory order (threshold, recall point, category), or -1.
    pub fn stat(
        &self,
        params: &CocoParams,
        average_precision: bool,
        iou: Option<f64>,
        area: usize,
        limit: usize,
    ) -> f64 {
        let thresholds: Vec<usize> = match iou {
            None => (0..self.thresholds).collect(),
            // pycocotools selects the threshold with `==`.
            Some(value) => params
                .iou_thresholds
                .iter()
                .position(|t| *t == value)
                .into_iter()
                .collect(),
        };
        let mut values = Vec::new();
        for &t in &thresholds {
            if average_precision {
                for r in 0..self.recalls {
                    for category in &self.categories {
                        if let Some(curve) = &category[area][limit] {
                            values.push(curve.precision[t * self.recalls + r]);
                        }
                    }
                }
            } else {
                for category in &self.categories {
                    if let Some(curve) = &category[area][limit] {
                        values.push(curve.recall[t]);
                    }
                }
            }
        }
        if values.is_empty() {
            -1.0
        } else {
            numpy_mean(&values)
        }
    }

    /// AP@[.5:.95] of one category (all sizes, 100 detections), or `None` without ground truth.
    pub fn category_ap(&self, category: usize) -> Option<f64> {
        let curve = self.categories[category][0][2].as_ref()?;
        Some(numpy_mean(&curve.precision))
    }

    /// The 12 numbers and the per-category AP (needs every size range and limit accumulated).
    pub fn summary(&self, params: &CocoParams) -> CocoSummary {
        let stats =
            STAT_DEFINITIONS.map(|(ap, iou, area, limit)| self.stat(params, ap, iou, area, limit));
        CocoSummary {
            stats,
            per_category: (0..self.categories.len())
                .map(|k| self.category_ap(k))
                .collect(),
        }
    }
}
