//! A flip, rotation or odd panel that leaves the image unchanged would make an item identical to
//! its control with the opposite answer; such items are not written, and the build says why.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use common::{CT_STORAGE, EXPLICIT_LE, Image, file, header};
use medeval_sanity::{BuildOptions, BuildSummary, Task, build};
use serde_json::Value;

/// A 6 x 4 grey CT image with the given 8-bit pixels, in a series of its own.
fn ct(pixels: &[u8], series: &str) -> Vec<u8> {
    assert_eq!(pixels.len(), 24);
    let mut ds = Image {
        series,
        ..Image::default()
    }
    .header();
    ds.extend(header(0x7FE0, 0x0010, "OB", 24));
    ds.extend(pixels);
    file(EXPLICIT_LE, CT_STORAGE, &ds)
}

fn run(files: &[(&str, Vec<u8>)], tasks: Vec<Task>, seed: u64) -> (BuildSummary, Vec<Value>) {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in files {
        std::fs::write(dir.path().join(name), bytes).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let items_file = out.path().join("sanity.jsonl");
    let options = BuildOptions {
        tasks,
        seed,
        ..BuildOptions::default()
    };
    let summary = build(dir.path(), &items_file, &options).unwrap();
    let items: Vec<Value> = std::fs::read_to_string(&items_file)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    // No altered image is the same picture as its control.
    for item in items.iter().filter(|i| i["meta"]["control"] == false) {
        let control = items
            .iter()
            .find(|c| c["id"] == format!("{}-control", item["id"].as_str().unwrap()))
            .unwrap();
        let read = |i: &Value| std::fs::read(out.path().join(i["images"][0].as_str().unwrap()));
        assert_ne!(
            read(item).unwrap(),
            read(control).unwrap(),
            "{}",
            item["id"]
        );
    }
    (summary, items)
}

fn id(summary: &BuildSummary, file: &str) -> String {
    summary
        .sources
        .iter()
        .find(|s| s.path == Path::new(file))
        .unwrap()
        .id
        .clone()
}

fn tasks_about(items: &[Value], source: &str) -> Vec<(String, bool)> {
    items
        .iter()
        .filter(|i| i["meta"]["source_id"] == source)
        .map(|i| {
            (
                i["meta"]["task"].as_str().unwrap().to_owned(),
                i["meta"]["control"].as_bool().unwrap(),
            )
        })
        .collect()
}

fn skips(summary: &BuildSummary, source: &str) -> Vec<(Task, String)> {
    summary
        .task_skips
        .iter()
        .filter(|s| s.source_id == source)
        .map(|s| (s.task, s.reason.clone()))
        .collect()
}

#[test]
fn transforms_that_leave_the_image_unchanged_make_no_items() {
    let constant = [40u8; 24];
    // Each row one value: mirroring left to right changes nothing; a half turn does.
    let rows: Vec<u8> = (0..24).map(|i| (i / 6 * 50) as u8).collect();
    // Two opposite corners lit: a half turn changes nothing; a mirror does.
    let mut corners = [0u8; 24];
    corners[0] = 255;
    corners[23] = 255;
    let gradient: Vec<u8> = (0..24).map(|i| (i * 10) as u8).collect();
    let files = [
        (
            "constant.dcm",
            ct(&constant, "1.2.826.0.1.3680043.10.1087.301"),
        ),
        ("rows.dcm", ct(&rows, "1.2.826.0.1.3680043.10.1087.302")),
        (
            "corners.dcm",
            ct(&corners, "1.2.826.0.1.3680043.10.1087.303"),
        ),
        (
            "gradient.dcm",
            ct(&gradient, "1.2.826.0.1.3680043.10.1087.304"),
        ),
    ];
    for seed in 0..4 {
        let (summary, items) = run(&files, vec![Task::Flip, Task::Rotation], seed);
        assert_eq!(summary.images, 4);

        let constant = id(&summary, "constant.dcm");
        assert_eq!(tasks_about(&items, &constant), vec![]);
        let reasons = skips(&summary, &constant);
        assert_eq!(reasons.len(), 2, "{reasons:?}");
        assert_eq!(reasons[0].0, Task::Flip);
        assert!(reasons[0].1.contains("leaves it unchanged"), "{reasons:?}");
        assert_eq!(reasons[1].0, Task::Rotation);
        assert!(reasons[1].1.contains("is identical to"), "{reasons:?}");

        let rows = id(&summary, "rows.dcm");
        let asked = tasks_about(&items, &rows);
        assert!(asked.iter().all(|(t, _)| t == "rotation"), "{asked:?}");
        assert_eq!(asked.len(), 2);
        assert_eq!(skips(&summary, &rows).len(), 1);

        let corners = id(&summary, "corners.dcm");
        let asked = tasks_about(&items, &corners);
        assert!(asked.iter().all(|(t, _)| t == "flip"), "{asked:?}");
        assert_eq!(asked.len(), 2);
        assert_eq!(skips(&summary, &corners)[0].0, Task::Rotation);

        let gradient = id(&summary, "gradient.dcm");
        assert_eq!(tasks_about(&items, &gradient).len(), 4);
        assert!(skips(&summary, &gradient).is_empty());
    }
}

#[test]
fn an_odd_panel_identical_to_the_others_makes_no_item() {
    let files = [
        ("a.dcm", ct(&[40u8; 24], "1.2.826.0.1.3680043.10.1087.311")),
        ("b.dcm", ct(&[90u8; 24], "1.2.826.0.1.3680043.10.1087.312")),
    ];
    // Constant frames without a window render black, so the two images are the same.
    let (summary, items) = run(&files, vec![Task::OddPanel], 0);
    assert!(items.is_empty(), "{items:?}");
    assert_eq!(summary.task_skips.len(), 2);
    assert!(
        summary
            .task_skips
            .iter()
            .all(|s| s.task == Task::OddPanel && s.reason.contains("identical"))
    );
}
