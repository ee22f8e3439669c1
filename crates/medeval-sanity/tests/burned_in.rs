//! Patient data must not reach a model: images that may show burned-in text are used only when
//! their header rules it out (or the user explicitly allows unknown burned-in annotation), and no
//! identifying header field or file path reaches the items.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{CT_STORAGE, Image, SC_STORAGE, US_STORAGE, text};
use medeval_sanity::{
    BuildOptions, BuildSummary, META_FIELDS, SanityError, SkipReason, Task, build, burned_in_risk,
};

fn write(dir: &Path, name: &str, bytes: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, bytes).unwrap();
}

fn run(dicom: &Path, allow_unknown_burned_in: bool) -> (tempfile::TempDir, BuildSummary) {
    let out = tempfile::tempdir().unwrap();
    let options = BuildOptions {
        tasks: vec![Task::Modality, Task::Flip],
        allow_unknown_burned_in,
        ..BuildOptions::default()
    };
    let summary = build(dicom, &out.path().join("sanity.jsonl"), &options).unwrap();
    (out, summary)
}

fn used(summary: &BuildSummary) -> Vec<String> {
    summary
        .sources
        .iter()
        .map(|s| s.path.to_string_lossy().into_owned())
        .collect()
}

fn skipped(summary: &BuildSummary) -> BTreeMap<String, SkipReason> {
    summary
        .skipped
        .iter()
        .map(|s| (s.path.to_string_lossy().into_owned(), s.reason.clone()))
        .collect()
}

/// A folder with one image of each kind; every series distinct so that each image is used.
fn mixed_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut series = 0;
    let mut image = |name: &str, image: Image<'_>| {
        series += 1;
        let series = format!("1.2.826.0.1.3680043.10.1087.3{series:02}");
        let bytes = Image {
            series: &series,
            ..image
        }
        .bytes();
        write(dir.path(), name, &bytes);
    };
    // Grey-scale CT without the attribute: used, as most scanners write no such attribute.
    image("ct_mono.dcm", Image::default());
    // Ultrasound, grey scale, without the attribute: burned-in text is routine.
    image(
        "us_mono.dcm",
        Image {
            modality: Some("US"),
            sop_class: US_STORAGE,
            ..Image::default()
        },
    );
    // Ultrasound in colour saying NO: used.
    image(
        "us_rgb_no.dcm",
        Image {
            modality: Some("US"),
            sop_class: US_STORAGE,
            photometric: "RGB",
            burned_in: Some("NO"),
            ..Image::default()
        },
    );
    // A colour image of a modality that is usually grey, without the attribute.
    image(
        "ct_rgb.dcm",
        Image {
            photometric: "RGB",
            ..Image::default()
        },
    );
    // A grey-scale CT written as a Secondary Capture (a screen capture), without the attribute.
    image(
        "ct_secondary_capture.dcm",
        Image {
            sop_class: SC_STORAGE,
            ..Image::default()
        },
    );
    // Angiography whose attribute is neither YES nor NO.
    image(
        "xa_empty.dcm",
        Image {
            modality: Some("XA"),
            burned_in: Some(""),
            ..Image::default()
        },
    );
    // YES: refused even when unknown burned-in annotation is allowed.
    image(
        "us_yes.dcm",
        Image {
            modality: Some("US"),
            sop_class: US_STORAGE,
            burned_in: Some("YES"),
            ..Image::default()
        },
    );
    dir
}

#[test]
fn images_that_may_show_burned_in_text_need_an_explicit_no() {
    let dir = mixed_folder();
    let (_out, summary) = run(dir.path(), false);
    assert_eq!(used(&summary), vec!["ct_mono.dcm", "us_rgb_no.dcm"]);
    let skipped = skipped(&summary);
    let unknown = |risk: &str, value: Option<&str>| SkipReason::BurnedInAnnotationUnknown {
        risk: risk.to_owned(),
        value: value.map(str::to_owned),
    };
    assert_eq!(skipped["us_mono.dcm"], unknown("modality US", None));
    assert_eq!(
        skipped["ct_rgb.dcm"],
        unknown("photometric interpretation RGB", None)
    );
    assert_eq!(
        skipped["ct_secondary_capture.dcm"],
        unknown("Secondary Capture SOP class", None)
    );
    // An empty value reads as absent.
    assert_eq!(skipped["xa_empty.dcm"], unknown("modality XA", None));
    assert_eq!(skipped["us_yes.dcm"], SkipReason::BurnedInAnnotation);
    assert_eq!(skipped.len(), 5);
    // The reason a user reads names the attribute and the way out.
    assert_eq!(
        skipped["us_mono.dcm"].to_string(),
        "burned-in annotation not ruled out (modality US; Burned In Annotation (0028,0301) is \
         absent, not NO): the pixels may show patient data (--allow-unknown-burned-in uses such \
         images)"
    );
}

#[test]
fn allowing_unknown_burned_in_annotation_uses_them_but_never_yes() {
    let dir = mixed_folder();
    let (_out, summary) = run(dir.path(), true);
    assert_eq!(
        used(&summary),
        vec![
            "ct_mono.dcm",
            "ct_rgb.dcm",
            "ct_secondary_capture.dcm",
            "us_mono.dcm",
            "us_rgb_no.dcm",
            "xa_empty.dcm"
        ]
    );
    let skipped = skipped(&summary);
    assert_eq!(skipped.len(), 1);
    assert_eq!(skipped["us_yes.dcm"], SkipReason::BurnedInAnnotation);
}

#[test]
fn only_an_exact_no_rules_burned_in_text_out() {
    let dir = tempfile::tempdir().unwrap();
    for (i, value) in ["no", "UNKNOWN", "NO\\YES"].iter().enumerate() {
        let bytes = Image {
            modality: Some("US"),
            sop_class: US_STORAGE,
            burned_in: Some(value),
            ..Image::default()
        }
        .bytes();
        write(dir.path(), &format!("us{i}.dcm"), &bytes);
    }
    let out = tempfile::tempdir().unwrap();
    let err = build(
        dir.path(),
        &out.path().join("sanity.jsonl"),
        &BuildOptions::default(),
    )
    .unwrap_err();
    assert!(
        matches!(err, SanityError::NoUsableImages { skipped: 3, ref reasons, .. }
            if reasons == "3 burned-in annotation not ruled out"),
        "{err}"
    );
}

#[test]
fn no_modality_or_photometric_interpretation_counts_as_unknown() {
    assert_eq!(
        burned_in_risk(None, Some("MONOCHROME2"), Some(CT_STORAGE)).as_deref(),
        Some("no recognisable modality")
    );
    assert_eq!(
        burned_in_risk(Some("CT"), None, Some(CT_STORAGE)).as_deref(),
        Some("no photometric interpretation")
    );
    assert_eq!(
        burned_in_risk(Some("MR"), Some("YBR_FULL_422"), None).as_deref(),
        Some("photometric interpretation YBR_FULL_422")
    );
    // Multi-frame Secondary Capture classes share the prefix; other classes merely starting with
    // the same digits do not.
    assert!(
        burned_in_risk(
            Some("CT"),
            Some("MONOCHROME2"),
            Some(&format!("{SC_STORAGE}.2"))
        )
        .is_some()
    );
    assert_eq!(
        burned_in_risk(
            Some("CT"),
            Some("MONOCHROME2"),
            Some("1.2.840.10008.5.1.4.1.1.77.1")
        ),
        None
    );
    for modality in ["CT", "MR", "CR", "DX", "MG", "PT", "NM"] {
        assert_eq!(
            burned_in_risk(Some(modality), Some("MONOCHROME1"), None),
            None
        );
    }
}

/// The fixtures written by pydicom (`bench/sanity/make_fixtures.py`): a grey-scale CT and an RGB
/// ultrasound image, neither with Burned In Annotation.
#[test]
fn pydicom_written_ultrasound_without_the_attribute_needs_the_flag() {
    let dicom = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/burned_in_unknown");
    let (_out, summary) = run(&dicom, false);
    assert_eq!(used(&summary), vec!["ct.dcm"]);
    assert!(matches!(
        &skipped(&summary)["us_rgb.dcm"],
        SkipReason::BurnedInAnnotationUnknown { risk, value: None } if risk == "modality US"
    ));
    let (_out, summary) = run(&dicom, true);
    assert_eq!(used(&summary), vec!["ct.dcm", "us_rgb.dcm"]);
}

/// Identifying values: each must appear nowhere in the items file nor in the image names.
const IDENTIFIERS: [&str; 12] = [
    "Doe^Jane",
    "PID-884422",
    "19520314",
    "ACC-7781",
    "General Hospital",
    "Dr^Who",
    "20240102",
    "1.2.826.0.1.3680043.10.1087.100",
    "1.2.826.0.1.3680043.10.1087.9",
    "1.2.826.0.1.3680043.10.1087.3",
    "Doe_Jane_PID-884422",
    "slice_PID",
];

#[test]
fn items_carry_no_identifying_header_fields_or_file_paths() {
    let dir = tempfile::tempdir().unwrap();
    let mut extra = Vec::new();
    extra.extend(text(0x0008, 0x0020, "DA", "20240102"));
    extra.extend(text(0x0008, 0x0050, "SH", "ACC-7781"));
    extra.extend(text(0x0008, 0x0080, "LO", "General Hospital"));
    extra.extend(text(0x0008, 0x0090, "PN", "Dr^Who"));
    extra.extend(text(0x0010, 0x0010, "PN", "Doe^Jane"));
    extra.extend(text(0x0010, 0x0020, "LO", "PID-884422"));
    extra.extend(text(0x0010, 0x0030, "DA", "19520314"));
    extra.extend(text(0x0018, 0x0015, "CS", "CHEST"));
    for (i, modality) in ["CT", "MR"].iter().enumerate() {
        let series = format!("1.2.826.0.1.3680043.10.1087.3{i}");
        let bytes = Image {
            modality: Some(modality),
            series: &series,
            extra: extra.clone(),
            ..Image::default()
        }
        .bytes();
        // Exports often name folders and files after the patient.
        write(
            dir.path(),
            &format!("Doe_Jane_PID-884422/20240102/slice_PID-884422_{i}.dcm"),
            &bytes,
        );
    }
    let out = tempfile::tempdir().unwrap();
    let items_file = out.path().join("sanity.jsonl");
    let summary = build(dir.path(), &items_file, &BuildOptions::default()).unwrap();
    assert_eq!(summary.images, 2);
    // The person building still learns which file each source id came from.
    assert_eq!(
        summary.sources[0].path,
        PathBuf::from("Doe_Jane_PID-884422/20240102/slice_PID-884422_0.dcm")
    );

    let written = std::fs::read_to_string(&items_file).unwrap();
    for identifier in IDENTIFIERS {
        assert!(
            !written.contains(identifier),
            "{identifier} leaked into the items"
        );
    }
    for entry in std::fs::read_dir(&summary.images_dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(IDENTIFIERS.iter().all(|id| !name.contains(id)), "{name}");
    }
    for line in written.lines() {
        let item: serde_json::Value = serde_json::from_str(line).unwrap();
        for key in item["meta"].as_object().unwrap().keys() {
            assert!(META_FIELDS.contains(&key.as_str()), "meta.{key}");
        }
        // The cluster is a number, not the Study Instance UID.
        assert!(item["cluster"].as_str().unwrap().starts_with("study"));
    }
    // Modality and body part do reach the items, as codes.
    assert!(written.contains("\"modality\":\"CT\""));
    assert!(written.contains("Chest"));
}
