//! Building a sanity benchmark from the DICOM fixtures written by pydicom
//! (`bench/sanity/make_fixtures.py`): header answers, rendered pixels, transforms, controls,
//! skipped files, determinism and output errors.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use image::GenericImageView;
use medeval_sanity::{BuildOptions, SanityError, SkipReason, Task, build};
use serde_json::Value;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/dicom")
}

struct Built {
    dir: tempfile::TempDir,
    items: Vec<Value>,
    summary: medeval_sanity::BuildSummary,
}

impl Built {
    fn new(options: &BuildOptions) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("sanity.jsonl");
        let summary = build(&fixtures(), &out, options).unwrap();
        let items = std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        Self {
            dir,
            items,
            summary,
        }
    }

    fn item(&self, id: &str) -> &Value {
        self.items
            .iter()
            .find(|i| i["id"] == id)
            .unwrap_or_else(|| panic!("no item {id}"))
    }

    /// The source id (`img0003`) of a DICOM file.
    fn source_id(&self, source: &str) -> String {
        self.summary
            .sources
            .iter()
            .find(|s| s.path == Path::new(source))
            .unwrap_or_else(|| panic!("no image from {source}"))
            .id
            .clone()
    }

    fn gold_text(&self, id: &str) -> String {
        let item = self.item(id);
        let letter = item["answer"].as_str().unwrap();
        item["options"][letter].as_str().unwrap().to_owned()
    }

    fn image(&self, item: &Value) -> image::DynamicImage {
        image::open(self.dir.path().join(item["images"][0].as_str().unwrap())).unwrap()
    }
}

#[test]
fn answers_come_from_the_headers() {
    let built = Built::new(&BuildOptions::default());
    let ct = built.source_id("ct/series1/slice2.dcm");
    let sagittal = built.source_id("mr/sagittal.dcm");
    let coronal = built.source_id("mr/coronal_multiframe.dcm");
    let cr = built.source_id("cr/chest.dcm");
    let dx = built.source_id("dx/hand_jpeg.dcm");
    let us = built.source_id("us/rgb.dcm");

    assert_eq!(built.gold_text(&format!("{ct}-modality")), "CT");
    assert_eq!(built.gold_text(&format!("{sagittal}-modality")), "MRI");
    assert_eq!(
        built.gold_text(&format!("{cr}-modality")),
        "X-ray radiography"
    );
    assert_eq!(
        built.gold_text(&format!("{dx}-modality")),
        "X-ray radiography"
    );
    assert_eq!(built.gold_text(&format!("{us}-modality")), "Ultrasound");

    assert_eq!(built.gold_text(&format!("{ct}-body-part")), "Chest");
    assert_eq!(built.gold_text(&format!("{sagittal}-body-part")), "Head");
    assert_eq!(built.gold_text(&format!("{coronal}-body-part")), "Knee");
    assert_eq!(built.gold_text(&format!("{dx}-body-part")), "Hand");

    assert_eq!(built.gold_text(&format!("{ct}-plane")), "Axial");
    assert_eq!(built.gold_text(&format!("{sagittal}-plane")), "Sagittal");
    assert_eq!(built.gold_text(&format!("{coronal}-plane")), "Coronal");

    // No body part in the ultrasound header; no plane for projection radiography.
    let ids: Vec<&str> = built
        .items
        .iter()
        .map(|i| i["id"].as_str().unwrap())
        .collect();
    assert!(!ids.contains(&format!("{us}-body-part").as_str()));
    assert!(!ids.contains(&format!("{cr}-plane").as_str()));

    // Four distinct options, the truth among them.
    let options = built.item(&format!("{ct}-modality"))["options"]
        .as_object()
        .unwrap()
        .clone();
    assert_eq!(options.len(), 4);
    let mut texts: Vec<&str> = options.values().map(|v| v.as_str().unwrap()).collect();
    texts.sort();
    texts.dedup();
    assert_eq!(texts.len(), 4);
}

#[test]
fn counts_per_task_and_skipped_files() {
    let built = Built::new(&BuildOptions::default());
    // Six usable images: one (the middle slice) of the three-slice CT series, two MR, CR, US, DX.
    assert_eq!(built.summary.images, 6);
    let per_task = &built.summary.items_per_task;
    assert_eq!(per_task[&Task::Modality], (6, 0));
    assert_eq!(per_task[&Task::BodyPart], (5, 0));
    assert_eq!(per_task[&Task::Plane], (3, 0));
    // The ultrasound's rows are uniform: mirrored, it is unchanged, so it gets no flip item.
    assert_eq!(per_task[&Task::Flip], (5, 5));
    assert_eq!(per_task[&Task::Rotation], (6, 6));
    assert_eq!(per_task[&Task::OddPanel], (6, 6));
    assert_eq!(built.items.len(), 48);
    assert_eq!(built.summary.items(), 48);
    let us = built.source_id("us/rgb.dcm");
    let task_skips: Vec<(&str, Task)> = built
        .summary
        .task_skips
        .iter()
        .map(|s| (s.source_id.as_str(), s.task))
        .collect();
    assert_eq!(task_skips, vec![(us.as_str(), Task::Flip)]);

    let skipped: Vec<(String, &SkipReason)> = built
        .summary
        .skipped
        .iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), &s.reason))
        .collect();
    assert_eq!(skipped.len(), 3, "{skipped:?}");
    assert_eq!(skipped[0].0, "README.txt");
    assert_eq!(skipped[0].1, &SkipReason::NotDicom);
    assert_eq!(skipped[1].0, "ct/j2k.dcm");
    assert_eq!(
        skipped[1].1,
        &SkipReason::UnsupportedTransferSyntax("1.2.840.10008.1.2.4.90".into())
    );
    assert_eq!(skipped[2].0, "us/burned_in.dcm");
    assert_eq!(skipped[2].1, &SkipReason::BurnedInAnnotation);

    // Every item is a valid native item; images resolve next to the items file.
    let file = medeval_data::read_items(&built.dir.path().join("sanity.jsonl")).unwrap();
    assert_eq!(file.items.len(), 48);
    for item in &built.items {
        assert!(
            built
                .dir
                .path()
                .join(item["images"][0].as_str().unwrap())
                .is_file()
        );
    }
}

#[test]
fn pixels_follow_the_dicom_display_pipeline() {
    let built = Built::new(&BuildOptions::default());
    let original = |source: &str| {
        let id = built.source_id(source);
        built.image(built.item(&format!("{id}-modality")))
    };

    // CT: stored HU + 1024, rescale intercept -1024, window 40/400. The first row's ramp
    // -160, -60, 40, 140, 240 HU maps by hand (PS3.3 C.11.2.1.2.1) to 0, 64, 128, 192, 255.
    let ct = original("ct/series1/slice2.dcm").to_luma8();
    assert_eq!(ct.dimensions(), (20, 16));
    let ramp: Vec<u8> = (0..5).map(|x| ct.get_pixel(x, 0).0[0]).collect();
    assert_eq!(ramp, vec![0, 64, 128, 192, 255]);
    // The middle slice's square is 80 HU: ((80 - 39.5) / 399 + 0.5) * 255 = 153.4.
    assert_eq!(ct.get_pixel(8, 8).0[0], 153);

    // CR, MONOCHROME1 without a window: the range 0..255 is stretched, then inverted.
    let cr = original("cr/chest.dcm").to_luma8();
    assert_eq!(cr.get_pixel(0, 0).0[0], 255);
    assert_eq!(cr.get_pixel(15, 0).0[0], 0);

    // Multi-frame: the middle frame (of three) is bright over its first 8 columns.
    let frames = original("mr/coronal_multiframe.dcm").to_luma8();
    assert_eq!(frames.get_pixel(7, 0).0[0], 255);
    assert_eq!(frames.get_pixel(8, 0).0[0], 0);

    // MR, unsigned 16-bit, no window: columns hold 0, 100, ... 1500 and a 3000 block;
    // full range 0..3000 puts 1500 at ((1500 - 1500) / 3000 + 0.5) * 255 = 127.5 -> 128.
    let mr = original("mr/sagittal.dcm").to_luma8();
    assert_eq!(mr.dimensions(), (16, 24));
    assert_eq!(mr.get_pixel(15, 20).0[0], 128);
    assert_eq!(mr.get_pixel(3, 3).0[0], 255);
    assert_eq!(mr.get_pixel(0, 20).0[0], 0);

    // RGB ultrasound passes through.
    let us = original("us/rgb.dcm").to_rgb8();
    assert_eq!(us.get_pixel(0, 0).0, [200, 0, 0]);
    assert_eq!(us.get_pixel(0, 5).0, [200, 0, 120]);

    // JPEG baseline: lossy, so within a few levels.
    let dx = original("dx/hand_jpeg.dcm").to_luma8();
    assert!(dx.get_pixel(0, 0).0[0].abs_diff(230) <= 4);
    assert!(dx.get_pixel(15, 15).0[0] <= 4);
}

#[test]
fn transforms_match_their_answers_and_controls_are_unaltered() {
    let built = Built::new(&BuildOptions::default());
    let id = built.source_id("mr/sagittal.dcm");
    let original = built.image(built.item(&format!("{id}-flip-control")));

    let flip = built.item(&format!("{id}-flip"));
    assert_eq!(flip["answer"], "yes");
    assert_eq!(flip["answer_type"], "closed");
    assert_eq!(flip["meta"]["control"], false);
    let control = built.item(&format!("{id}-flip-control"));
    assert_eq!(control["answer"], "no");
    assert_eq!(control["meta"]["control"], true);
    assert_eq!(built.image(flip), original.fliph());

    let rotation = built.item(&format!("{id}-rotation"));
    let expected = match rotation["meta"]["transform"].as_str().unwrap() {
        "rotate-90-clockwise" => ("B", original.rotate90()),
        "rotate-180" => ("C", original.rotate180()),
        "rotate-90-counter-clockwise" => ("D", original.rotate270()),
        other => panic!("unexpected transform {other}"),
    };
    assert_eq!(rotation["answer"], expected.0);
    assert_eq!(built.image(rotation), expected.1);
    let control = built.item(&format!("{id}-rotation-control"));
    assert_eq!(control["answer"], "A");
    assert_eq!(built.image(control), original);

    // Odd panel: the panel named by the answer differs from the other three; the control's
    // four panels are identical and the answer is E.
    let odd = built.item(&format!("{id}-odd-panel"));
    let grid = built.image(odd);
    let (w, h) = original.dimensions();
    let gutter = (w.max(h) / 32).max(2);
    assert_eq!(grid.dimensions(), (2 * w + 3 * gutter, 2 * h + 3 * gutter));
    let panel = |grid: &image::DynamicImage, i: u32| {
        grid.crop_imm(
            gutter + (i % 2) * (w + gutter),
            gutter + (i / 2) * (h + gutter),
            w,
            h,
        )
        .to_luma8()
    };
    let gold = "ABCD"
        .find(odd["answer"].as_str().unwrap())
        .expect("the altered grid's answer is a panel") as u32;
    for i in 0..4 {
        assert_eq!(
            panel(&grid, i) == original.to_luma8(),
            i != gold,
            "panel {i}, gold {gold}"
        );
    }
    let control = built.item(&format!("{id}-odd-panel-control"));
    assert_eq!(control["answer"], "E");
    let same = built.image(control);
    for i in 0..4 {
        assert_eq!(panel(&same, i), original.to_luma8());
    }

    // Clusters follow studies: the two MR series share study 2.
    let coronal = built.source_id("mr/coronal_multiframe.dcm");
    assert_eq!(
        built.item(&format!("{id}-flip"))["cluster"],
        built.item(&format!("{coronal}-flip"))["cluster"]
    );
    let ct = built.source_id("ct/series1/slice2.dcm");
    assert_ne!(
        built.item(&format!("{id}-flip"))["cluster"],
        built.item(&format!("{ct}-flip"))["cluster"]
    );
}

#[test]
fn a_seed_fixes_the_benchmark() {
    let read = |built: &Built| std::fs::read(built.dir.path().join("sanity.jsonl")).unwrap();
    let a = Built::new(&BuildOptions::default());
    let b = Built::new(&BuildOptions::default());
    assert_eq!(read(&a), read(&b));
    let c = Built::new(&BuildOptions {
        seed: 7,
        ..BuildOptions::default()
    });
    assert_ne!(read(&a), read(&c));
}

#[test]
fn options_select_tasks_and_images() {
    let built = Built::new(&BuildOptions {
        tasks: vec![Task::Modality],
        max_images: Some(2),
        per_series: 3,
        ..BuildOptions::default()
    });
    assert_eq!(built.summary.images, 2);
    assert_eq!(built.items.len(), 2);
    assert!(built.items.iter().all(|i| i["meta"]["task"] == "modality"));

    // Three per series takes every CT slice.
    let all = Built::new(&BuildOptions {
        tasks: vec![Task::Modality],
        per_series: 3,
        ..BuildOptions::default()
    });
    assert_eq!(all.summary.images, 8);
}

#[test]
fn large_images_are_scaled_down() {
    let built = Built::new(&BuildOptions {
        tasks: vec![Task::Flip],
        max_side: 8,
        ..BuildOptions::default()
    });
    for item in &built.items {
        let (w, h) = built.image(item).dimensions();
        assert!(w.max(h) <= 8, "{w}x{h}");
    }
}

#[test]
fn output_errors_are_clear_and_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sanity.jsonl");
    build(&fixtures(), &out, &BuildOptions::default()).unwrap();
    let before = std::fs::read(&out).unwrap();

    let again = build(&fixtures(), &out, &BuildOptions::default()).unwrap_err();
    assert!(matches!(again, SanityError::OutputExists(ref p) if p == &out));
    assert_eq!(std::fs::read(&out).unwrap(), before);

    std::fs::write(dir.path().join("sanity-images/notes.txt"), "mine").unwrap();
    let forced = BuildOptions {
        force: true,
        ..BuildOptions::default()
    };
    let refused = build(&fixtures(), &out, &forced).unwrap_err();
    assert!(matches!(refused, SanityError::ForeignFiles(_)), "{refused}");
    assert!(dir.path().join("sanity-images/notes.txt").exists());

    std::fs::remove_file(dir.path().join("sanity-images/notes.txt")).unwrap();
    build(&fixtures(), &out, &forced).unwrap();
    assert_eq!(std::fs::read(&out).unwrap(), before);

    let missing = build(&dir.path().join("nope"), &out, &forced).unwrap_err();
    assert_eq!(
        missing.to_string(),
        format!("{}: not a directory", dir.path().join("nope").display())
    );

    let empty = tempfile::tempdir().unwrap();
    std::fs::write(empty.path().join("a.txt"), "not dicom").unwrap();
    let none = build(empty.path(), &out, &forced).unwrap_err();
    assert_eq!(
        none.to_string(),
        format!(
            "no usable DICOM image under {} (1 file(s) skipped: 1 not DICOM)",
            empty.path().display()
        )
    );
}
