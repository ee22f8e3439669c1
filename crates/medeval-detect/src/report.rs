//! The words and JSON of detection and FROC results, so every front end says the same thing:
//! each result names its convention (and the quirks it reproduces), its inputs and counts,
//! what was left out and why, and how any interval was obtained.

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use crate::bootstrap::Interval;
use crate::cocoeval::{AREA_NAMES, MAX_DETECTIONS, STAT_DEFINITIONS};
use crate::evaluate::{DetectInput, DetectReport, FrocReport, Scores};
use crate::froc::{FP_RATES, ScanSource};

/// The pycocotools behaviours reproduced under the `pycocotools` convention, by the names the
/// documentation explains them under.
pub const PYCOCOTOOLS_QUIRKS: [&str; 4] = [
    "gt-id-zero",
    "ignore-from-iscrowd",
    "area-field",
    "crowd-iou",
];

/// Short names of pycocotools' 12 numbers, in its order.
pub const STAT_NAMES: [&str; 12] = [
    "AP@[.50:.95]",
    "AP@.50",
    "AP@.75",
    "AP small",
    "AP medium",
    "AP large",
    "AR@1",
    "AR@10",
    "AR@100",
    "AR small",
    "AR medium",
    "AR large",
];

/// A number for JSON: `null` when undefined.
fn number(value: Option<f64>) -> Value {
    value.map_or(Value::Null, |v| json!(v))
}

fn interval_json(interval: &Option<Interval>) -> Value {
    match interval {
        Some(i) => {
            json!({"low": i.low, "high": i.high, "replicates": i.replicates, "undefined": i.undefined})
        }
        None => Value::Null,
    }
}

fn bootstrap_json(
    named: &[(&str, Option<Interval>)],
    resamples: u32,
    seed: u64,
    units: &str,
) -> Value {
    let mut intervals = Map::new();
    for (name, interval) in named {
        intervals.insert((*name).to_owned(), interval_json(interval));
    }
    json!({"resamples": resamples, "seed": seed, "units": units, "level": 0.95,
           "method": "percentile", "intervals": intervals})
}

fn interval_text(name: &str, interval: &Option<Interval>, resamples: u32, seed: u64) -> String {
    match interval {
        Some(i) => format!(
            "{name} 95% interval [{:.4}, {:.4}] ({} {} resamples, seed {seed}{})\n",
            i.low,
            i.high,
            resamples,
            i.units.trim_end_matches('s'),
            if i.undefined > 0 {
                format!("; {} resamples without ground truth left out", i.undefined)
            } else {
                String::new()
            }
        ),
        None => format!("{name}: no resample had ground truth; no interval\n"),
    }
}

impl DetectReport {
    fn paths(&self) -> (&'static str, String, String) {
        match &self.options.input {
            DetectInput::Coco {
                ground_truth,
                results,
            } => (
                "coco",
                ground_truth.display().to_string(),
                results.display().to_string(),
            ),
            DetectInput::Csv {
                ground_truth,
                detections,
            } => (
                "csv",
                ground_truth.display().to_string(),
                detections.display().to_string(),
            ),
        }
    }

    fn per_category(&self) -> Vec<Option<f64>> {
        match &self.scores {
            Scores::Coco(s) => s.per_category.clone(),
            Scores::Vindr(s) => s.per_category.clone(),
        }
    }

    /// The `--json` object: `convention`, the inputs and counts, `stats` (pycocotools' 12
    /// numbers in its order, -1 where it gives -1) or `map` (VinDr), `per_category`, `notes`
    /// and, when asked for, `bootstrap`.
    pub fn to_json(&self) -> Value {
        let (format, gt, dt) = self.paths();
        let mut out = Map::new();
        out.insert("convention".into(), json!(self.options.convention.name()));
        match &self.scores {
            Scores::Coco(summary) => {
                out.insert("quirks".into(), json!(PYCOCOTOOLS_QUIRKS));
                out.insert("stats".into(), json!(summary.stats));
                out.insert("stat_names".into(), json!(STAT_NAMES));
            }
            Scores::Vindr(summary) => {
                out.insert("map".into(), number(summary.map));
                out.insert("iou_threshold".into(), json!(crate::voc::VINDR_IOU));
                out.insert("match".into(), json!("iou > threshold"));
                out.insert("interpolation".into(), json!("all-point (PASCAL VOC 2010)"));
            }
        }
        let categories: Vec<Value> = self
            .dataset
            .categories
            .iter()
            .zip(self.per_category())
            .map(|(c, ap)| json!({"category": c.key, "name": c.name, "ap": number(ap)}))
            .collect();
        out.insert("per_category".into(), Value::Array(categories));
        out.insert("format".into(), json!(format));
        out.insert("ground_truth".into(), json!(gt));
        out.insert("detections".into(), json!(dt));
        out.insert("images".into(), json!(self.dataset.images.len()));
        out.insert("categories".into(), json!(self.dataset.categories.len()));
        out.insert(
            "ground_truth_boxes".into(),
            json!(self.dataset.ground_truth.len()),
        );
        out.insert(
            "detection_boxes".into(),
            json!(self.dataset.detections.len()),
        );
        out.insert("notes".into(), json!(self.dataset.left_out));
        if let Some(spec) = self.options.bootstrap.filter(|s| s.resamples > 0) {
            out.insert(
                "bootstrap".into(),
                bootstrap_json(&self.intervals, spec.resamples, spec.seed, "images"),
            );
        }
        Value::Object(out)
    }

    /// The terminal text: the convention, the counts, the numbers, AP per category, notes and
    /// intervals.
    pub fn text(&self) -> String {
        let mut text = String::new();
        let d = &self.dataset;
        match &self.scores {
            Scores::Coco(summary) => {
                let _ = writeln!(
                    text,
                    "COCO box mAP, pycocotools convention (reproduced quirks: {})",
                    PYCOCOTOOLS_QUIRKS.join(", ")
                );
                self.counts(&mut text);
                for (i, (ap, iou, area, limit)) in STAT_DEFINITIONS.iter().enumerate() {
                    let iou = iou.map_or("0.50:0.95".to_owned(), |t| format!("{t:.2}"));
                    let _ = writeln!(
                        text,
                        "  {} ({})  IoU {:<9}  area {:>6}  max dets {:>3}  {:.3}",
                        if *ap {
                            "Average precision"
                        } else {
                            "Average recall   "
                        },
                        if *ap { "AP" } else { "AR" },
                        iou,
                        AREA_NAMES[*area],
                        MAX_DETECTIONS[*limit],
                        summary.stats[i]
                    );
                }
                text.push_str("AP@[.50:.95] per category:\n");
            }
            Scores::Vindr(summary) => {
                let _ = writeln!(
                    text,
                    "Detection mAP, VinDr convention: PASCAL VOC 2010 AP at IoU > {}, mean over \
                     classes with ground truth",
                    crate::voc::VINDR_IOU
                );
                self.counts(&mut text);
                match summary.map {
                    Some(map) => {
                        let _ = writeln!(text, "  mAP@0.4  {map:.4}");
                    }
                    None => text.push_str("  mAP@0.4  undefined: no class has ground truth\n"),
                }
                text.push_str("AP@0.4 per class:\n");
            }
        }
        let width = d
            .categories
            .iter()
            .map(|c| label(c).len())
            .max()
            .unwrap_or(0);
        for (category, ap) in d.categories.iter().zip(self.per_category()) {
            let value = ap.map_or("no ground truth (left out of the mean)".to_owned(), |v| {
                format!("{v:.4}")
            });
            let _ = writeln!(text, "  {:<width$}  {value}", label(category));
        }
        for note in &d.left_out {
            let _ = writeln!(text, "note: {note}");
        }
        if let Some(spec) = self.options.bootstrap.filter(|s| s.resamples > 0) {
            for (name, interval) in &self.intervals {
                text.push_str(&interval_text(name, interval, spec.resamples, spec.seed));
            }
        }
        text
    }

    fn counts(&self, text: &mut String) {
        let d = &self.dataset;
        let _ = writeln!(
            text,
            "{} images, {} categories, {} ground-truth boxes, {} detections",
            d.images.len(),
            d.categories.len(),
            d.ground_truth.len(),
            d.detections.len()
        );
    }
}

fn label(category: &crate::dataset::Category) -> String {
    if category.name.is_empty() || category.name == category.key {
        category.key.clone()
    } else {
        format!("{} {}", category.key, category.name)
    }
}

/// The key of a false-positive rate in `sensitivities`: `0.125`, `0.25`, `0.5`, `1`, `2` ...
pub fn rate_key(rate: f64) -> String {
    if rate.fract() == 0.0 {
        format!("{rate:.0}")
    } else {
        rate.to_string()
    }
}

impl FrocReport {
    fn scan_source_text(&self) -> String {
        match &self.scan_source {
            ScanSource::List(path) => format!("list {}", path.display()),
            ScanSource::Union => {
                "union of the seriesuids in the annotations and candidates (no --scans)".to_owned()
            }
        }
    }

    /// The `--json` object: `cpm`, `sensitivities` keyed by rate (`"0.125"` ... `"8"`), the
    /// convention, the scan count and where it came from, the counts, and `bootstrap`.
    pub fn to_json(&self) -> Value {
        let mut sensitivities = Map::new();
        for (rate, value) in FP_RATES.iter().zip(self.cpm.sensitivities) {
            sensitivities.insert(rate_key(*rate), json!(value));
        }
        let mut out = Map::new();
        out.insert("cpm".into(), json!(self.cpm.cpm));
        out.insert("sensitivities".into(), Value::Object(sensitivities));
        out.insert("convention".into(), json!("luna16"));
        out.insert("scans".into(), json!(self.scans));
        out.insert("scan_source".into(), json!(self.scan_source_text()));
        out.insert("nodules".into(), json!(self.nodules));
        out.insert("detected".into(), json!(self.detected));
        out.insert("marks".into(), json!(self.marks));
        out.insert(
            "false_positive_marks".into(),
            json!(self.false_positive_marks),
        );
        out.insert("marks_over_cap".into(), json!(self.marks_over_cap));
        out.insert("marks_on_excluded".into(), json!(self.marks_on_excluded));
        out.insert("duplicate_marks".into(), json!(self.duplicate_marks));
        out.insert(
            "rows_outside_scan_list".into(),
            json!(self.rows_outside_scan_list),
        );
        out.insert(
            "excluded_file".into(),
            json!(
                self.options
                    .excluded
                    .as_ref()
                    .map(|p| p.display().to_string())
            ),
        );
        if let Some(spec) = self.options.bootstrap.filter(|s| s.resamples > 0) {
            let names: Vec<String> = std::iter::once("cpm".to_owned())
                .chain(FP_RATES.iter().map(|r| rate_key(*r)))
                .collect();
            let named: Vec<(&str, Option<Interval>)> = names
                .iter()
                .map(String::as_str)
                .zip(self.intervals.iter().cloned())
                .collect();
            out.insert(
                "bootstrap".into(),
                bootstrap_json(&named, spec.resamples, spec.seed, "scans"),
            );
        }
        Value::Object(out)
    }

    /// The terminal text: counts, the sensitivity at each rate, CPM, intervals.
    pub fn text(&self) -> String {
        let mut text = String::new();
        let _ = writeln!(
            text,
            "LUNA16 FROC: {} scans ({}), {} nodules, {} detected",
            self.scans,
            self.scan_source_text(),
            self.nodules,
            self.detected
        );
        let _ = writeln!(
            text,
            "{} marks: {} false positives; ignored: {} over the 100-per-scan cap, {} on \
             excluded nodules, {} extra marks on an already hit nodule",
            self.marks,
            self.false_positive_marks,
            self.marks_over_cap,
            self.marks_on_excluded,
            self.duplicate_marks
        );
        if self.options.excluded.is_none() {
            text.push_str(
                "note: no --excluded file: every mark off a counted nodule is a false positive\n",
            );
        }
        if self.rows_outside_scan_list > 0 {
            let _ = writeln!(
                text,
                "note: {} rows name a scan outside the scan list; left out",
                self.rows_outside_scan_list
            );
        }
        let spec = self.options.bootstrap.filter(|s| s.resamples > 0);
        text.push_str("  FP/scan  sensitivity\n");
        for (i, (rate, value)) in FP_RATES.iter().zip(self.cpm.sensitivities).enumerate() {
            let _ = write!(text, "  {:>7}  {value:.4}", rate_key(*rate));
            if let Some(Some(interval)) = spec.and(self.intervals.get(i + 1)) {
                let _ = write!(text, "  [{:.4}, {:.4}]", interval.low, interval.high);
            }
            text.push('\n');
        }
        let _ = write!(text, "  CPM      {:.4}", self.cpm.cpm);
        if let Some(Some(interval)) = spec.and(self.intervals.first()) {
            let _ = write!(text, "  [{:.4}, {:.4}]", interval.low, interval.high);
        }
        text.push('\n');
        if let Some(spec) = spec {
            let _ = writeln!(
                text,
                "intervals: 95% percentile, {} scan resamples, seed {}",
                spec.resamples, spec.seed
            );
        }
        text
    }
}
