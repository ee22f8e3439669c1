//! A build worded for its reader: the summary `sanity build` prints, and its JSON.
//!
//! Every skipped file and every question not asked is accounted for with its reason, so a user
//! can see why an image was left out (burned-in text, an unreadable encoding, a transform that
//! would not change it) before sending anything to a model.

use std::fmt::Write as _;

use serde_json::json;

use crate::BuildSummary;

/// The DICOM file a source id was rendered from.
fn source_path<'a>(summary: &'a BuildSummary, source_id: &str) -> Option<&'a std::path::Path> {
    summary
        .sources
        .iter()
        .find(|s| s.id == source_id)
        .map(|s| s.path.as_path())
}

/// How many skipped files are listed one per line before the rest are only counted.
const SKIPPED_LISTED: usize = 10;

impl BuildSummary {
    /// The build as one JSON object (`sanity build --json`): files written, items per task,
    /// every file skipped and every question not asked, with reasons.
    pub fn to_json(&self, seed: u64) -> serde_json::Value {
        let summary = self;
        let tasks: serde_json::Map<String, serde_json::Value> = summary
            .items_per_task
            .iter()
            .map(|(task, (items, controls))| {
                (
                    task.name().to_owned(),
                    json!({"items": items, "controls": controls}),
                )
            })
            .collect();
        let skipped: Vec<_> = summary
            .skipped
            .iter()
            .map(|s| json!({"path": s.path, "reason": s.reason.to_string()}))
            .collect();
        let task_skips: Vec<_> = summary
            .task_skips
            .iter()
            .map(|s| {
                json!({
                    "source_id": s.source_id,
                    "path": source_path(summary, &s.source_id),
                    "task": s.task.name(),
                    "reason": s.reason,
                })
            })
            .collect();
        json!({
            "items_file": summary.items_file,
            "images_dir": summary.images_dir,
            "images": summary.images,
            "items": summary.items(),
            "seed": seed,
            "tasks": tasks,
            "skipped": skipped,
            "task_skips": task_skips,
        })
    }

    /// The build for a reader: files written, items and controls per task, skipped files and
    /// questions not asked (the first ten of each, with reasons), and the next command.
    pub fn report_text(&self) -> String {
        let summary = self;
        let mut text = String::new();
        let _ = writeln!(
            text,
            "Wrote {} items about {} DICOM image(s) to {} (images in {})",
            summary.items(),
            summary.images,
            summary.items_file.display(),
            summary.images_dir.display()
        );
        text.push('\n');
        let _ = writeln!(text, "{:<10} {:>6} {:>9}", "task", "items", "controls");
        for (task, (items, controls)) in &summary.items_per_task {
            let _ = writeln!(text, "{:<10} {items:>6} {controls:>9}", task.name());
        }
        if !summary.skipped.is_empty() {
            text.push('\n');
            let _ = writeln!(text, "Skipped {} file(s):", summary.skipped.len());
            for skipped in summary.skipped.iter().take(SKIPPED_LISTED) {
                let _ = writeln!(text, "  {}: {}", skipped.path.display(), skipped.reason);
            }
            if summary.skipped.len() > SKIPPED_LISTED {
                let _ = writeln!(
                    text,
                    "  ... and {} more (--json lists all)",
                    summary.skipped.len() - SKIPPED_LISTED
                );
            }
        }
        if !summary.task_skips.is_empty() {
            text.push('\n');
            let _ = writeln!(
                text,
                "Questions not asked ({}; the item would be identical to its control):",
                summary.task_skips.len()
            );
            for skip in summary.task_skips.iter().take(SKIPPED_LISTED) {
                let path = source_path(summary, &skip.source_id)
                    .map(|p| format!(" ({})", p.display()))
                    .unwrap_or_default();
                let _ = writeln!(
                    text,
                    "  {}{path}, {}: {}",
                    skip.source_id,
                    skip.task.name(),
                    skip.reason
                );
            }
            if summary.task_skips.len() > SKIPPED_LISTED {
                let _ = writeln!(
                    text,
                    "  ... and {} more (--json lists all)",
                    summary.task_skips.len() - SKIPPED_LISTED
                );
            }
        }
        text.push('\n');
        let _ = writeln!(
            text,
            "Next: medeval run --items {} --endpoint URL --model NAME, then medeval probe RUN",
            summary.items_file.display()
        );
        text
    }
}
