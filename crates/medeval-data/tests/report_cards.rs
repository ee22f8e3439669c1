//! The report-generation cards (`iu-xray`, `mimic-cxr`, `chexpert-plus`) against folders built
//! here in each upstream layout: R2Gen's `annotation.json` with `train`/`val`/`test` keys and an
//! image folder, and CheXpert Plus's one-table-per-release CSV. The data are credentialed or
//! large, so no copy of them is committed; the folders hold a few records written literally in
//! the upstream schemas, with real PNG and JPEG images taken from the other card fixtures.
//!
//! Checked: items, reference texts, images (bytes and order), the rows skipped for lack of a
//! reference and how they are counted, the `records` key (and its errors), the section
//! selection, the row-count refusal, and the card rules (`answer` xor `reference`).

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medeval_core::{AnswerType, Image, Item};
use medeval_data::{
    BenchError, Card, CardOrigin, Loaded, RowCountPolicy, SkippedRows, builtin_cards, check, load,
    verify,
};
use serde_json::json;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn card(name: &str) -> Card {
    builtin_cards()
        .into_iter()
        .find(|card| card.name() == name)
        .unwrap()
}

fn user_card(text: &str) -> Card {
    Card::parse(text, CardOrigin::File("my-card.toml".into())).unwrap()
}

fn selections(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

/// The encoded bytes of an image, however the reader located it.
fn bytes(image: &Image) -> Vec<u8> {
    match image {
        Image::Path(path) => std::fs::read(path).unwrap(),
        Image::Bytes { bytes, .. } => bytes.to_vec(),
        Image::Deferred(source) => source.read().unwrap(),
        Image::Derived { .. } => panic!("readers never derive images"),
    }
}

/// Three distinct real PNG files (written by `bench/fixtures/make_fixtures.py`).
fn png(n: usize) -> Vec<u8> {
    let name = [
        "omnimedvqa/Images/ACRIMA/Im001.png",
        "omnimedvqa/Images/ACRIMA/Im002.png",
        "omnimedvqa/Images/Chest CT Scan/001.png",
    ][n];
    let bytes = std::fs::read(fixture(name)).unwrap();
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"));
    bytes
}

/// Two distinct real JPEG files: the SLAKE fixture's images, read out of its `imgs.zip`.
fn jpeg(n: usize) -> Vec<u8> {
    let slake = load(
        &card("slake"),
        &selections(&[("lang", "all")]),
        &fixture("slake"),
        RowCountPolicy::AllowMismatch,
    )
    .unwrap();
    let mut distinct: Vec<Vec<u8>> = Vec::new();
    for item in &slake.items {
        let image = bytes(&item.images[0]);
        if !distinct.contains(&image) {
            distinct.push(image);
        }
    }
    let bytes = distinct.swap_remove(n);
    assert!(bytes.starts_with(b"\xff\xd8\xff"));
    bytes
}

fn ids(loaded: &Loaded) -> Vec<&str> {
    loaded.items.iter().map(|i| i.id.as_str()).collect()
}

fn item<'l>(loaded: &'l Loaded, id: &str) -> &'l Item {
    loaded.items.iter().find(|i| i.id == id).unwrap()
}

fn preview(card: &Card, item: &Item) -> String {
    card.prompt().render(item).preview()
}

fn load_allowing(card: &Card, pairs: &[(&str, &str)], dir: &Path) -> Loaded {
    load(card, &selections(pairs), dir, RowCountPolicy::AllowMismatch).unwrap()
}

/// The error of loading `dir`, with the folder replaced by `DIR`.
fn load_error(card: &Card, pairs: &[(&str, &str)], dir: &Path) -> String {
    load(card, &selections(pairs), dir, RowCountPolicy::AllowMismatch)
        .unwrap_err()
        .to_string()
        .replace(&dir.display().to_string(), "DIR")
}

// ---------------------------------------------------------------------------------------------
// IU X-Ray, R2Gen layout.

const IU_FINDINGS_1: &str = "The heart size and pulmonary vascularity appear within normal \
                             limits. No pneumothorax or pleural effusion is seen.";
const IU_FINDINGS_2: &str = "Mild cardiomegaly. The lungs are clear.";

/// R2Gen's `annotation.json` for IU X-Ray under `prefix` (`""` or `"iu_xray/"`): two training
/// and one validation record (whose images do not exist: reading them would fail), three test
/// records of which one has an empty report, and the test images.
fn iu_xray_folder(dir: &Path, prefix: &str) {
    let record = |id: &str, report: &str, split: &str| {
        json!({
            "id": id,
            "report": report,
            "image_path": [format!("{id}/0.png"), format!("{id}/1.png")],
            "split": split,
        })
    };
    let annotation = json!({
        "train": [
            record("CXR1_1_IM-0001", "[train] Normal chest.", "train"),
            record("CXR2_IM-0652", "[train] No acute disease.", "train"),
        ],
        "val": [record("CXR3_IM-1384", "[val] Clear lungs.", "val")],
        "test": [
            record("CXR2384_IM-0942", IU_FINDINGS_1, "test"),
            record("CXR2385_IM-0943", "  ", "test"),
            record("CXR2386_IM-0944", &format!("{IU_FINDINGS_2}\n"), "test"),
        ],
    });
    write(
        dir,
        &format!("{prefix}annotation.json"),
        serde_json::to_vec_pretty(&annotation).unwrap(),
    );
    for (id, first, second) in [("CXR2384_IM-0942", 0, 1), ("CXR2386_IM-0944", 2, 0)] {
        write(dir, &format!("{prefix}images/{id}/0.png"), png(first));
        write(dir, &format!("{prefix}images/{id}/1.png"), png(second));
    }
}

#[test]
fn iu_xray_reads_the_test_records_of_r2gen_annotation_json() {
    let dir = tempfile::tempdir().unwrap();
    iu_xray_folder(dir.path(), "");
    let card = card("iu-xray");
    let loaded = load_allowing(&card, &[], dir.path());
    assert_eq!(loaded.benchmark, "iu-xray");
    // The study with a whitespace-only report is skipped, and counted; train and val are
    // never read (their images do not exist).
    assert_eq!(ids(&loaded), ["CXR2384_IM-0942", "CXR2386_IM-0944"]);
    assert_eq!(loaded.skipped_rows, 1);
    assert_eq!(loaded.record.rows, 2);
    assert_eq!(loaded.record.expected_rows, Some(590));
    assert!(loaded.record.row_count_mismatch_allowed);

    let [first, second] = loaded.items.as_slice() else {
        panic!("two items expected");
    };
    assert_eq!(first.answer_type(), AnswerType::Report);
    assert_eq!(first.gold.text(), IU_FINDINGS_1);
    // Surrounding whitespace is not part of the reference.
    assert_eq!(second.gold.text(), IU_FINDINGS_2);
    assert!(first.options.is_empty());
    assert_eq!(first.cluster, None);
    // Both views, in `image_path` order.
    assert_eq!(
        first.images,
        [
            Image::Path(dir.path().join("images/CXR2384_IM-0942/0.png")),
            Image::Path(dir.path().join("images/CXR2384_IM-0942/1.png")),
        ]
    );
    let second_bytes: Vec<Vec<u8>> = second.images.iter().map(bytes).collect();
    assert_eq!(second_bytes, [png(2), png(0)]);
    assert_eq!(
        preview(&card, first),
        "<image 1><image 2>These are the frontal and lateral views of one chest X-ray study. \
         Write the findings section of its radiology report."
    );

    // R2Gen's `iu_xray/` sub-folder is accepted as it is.
    let nested = tempfile::tempdir().unwrap();
    iu_xray_folder(nested.path(), "iu_xray/");
    let from_nested = load_allowing(&card, &[], nested.path());
    assert_eq!(ids(&from_nested), ids(&loaded));
    assert_eq!(
        from_nested.items[0].images[0],
        Image::Path(nested.path().join("iu_xray/images/CXR2384_IM-0942/0.png"))
    );
}

#[test]
fn iu_xray_refuses_a_split_of_another_size_and_counts_items_not_skipped_rows() {
    let dir = tempfile::tempdir().unwrap();
    iu_xray_folder(dir.path(), "");
    let refused = load(
        &card("iu-xray"),
        &BTreeMap::new(),
        dir.path(),
        RowCountPolicy::Enforce,
    )
    .unwrap_err();
    assert!(
        matches!(
            refused,
            BenchError::RowCount {
                expected: 590,
                found: 2,
                ..
            }
        ),
        "{refused}"
    );
    assert!(
        refused.to_string().starts_with(
            "iu-xray: the evaluation split has 2 rows where the card expects 590 (not counting \
             1 row without a reference, skipped); "
        ),
        "{refused}"
    );
    // Pinned at the number of items (three test records, one without a report), the folder
    // passes; pinned at the number of records, it does not.
    let pinned = |rows: usize| {
        let text = card("iu-xray")
            .text()
            .replace("name = \"iu-xray\"", "name = \"my-iu-xray\"")
            .replace("expected_rows = 590", &format!("expected_rows = {rows}"));
        load(
            &user_card(&text),
            &BTreeMap::new(),
            dir.path(),
            RowCountPolicy::Enforce,
        )
    };
    assert_eq!(pinned(2).unwrap().items.len(), 2);
    assert!(matches!(
        pinned(3).unwrap_err(),
        BenchError::RowCount {
            expected: 3,
            found: 2,
            ..
        }
    ));
}

#[test]
fn the_records_key_must_be_in_the_document() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "annotation.json",
        r#"{"train": [{"id": "a", "report": "x", "image_path": []}], "val": []}"#,
    );
    assert_eq!(
        load_error(&card("iu-xray"), &[], dir.path()),
        "iu-xray: annotation.json: no top-level key \"test\", which the card reads the records \
         from (the file has \"train\", \"val\")"
    );
    write(
        dir.path(),
        "annotation.json",
        r#"[{"id": "a", "report": "x", "image_path": []}]"#,
    );
    assert_eq!(
        load_error(&card("iu-xray"), &[], dir.path()),
        "iu-xray: annotation.json: the document is an array; the card reads the records under \
         the key \"test\" of an object"
    );
    // The records under the key are checked like any others: the first one's fields, then
    // each record by its position in that array.
    write(
        dir.path(),
        "annotation.json",
        r#"{"test": [{"id": "a", "findings": "x", "image_path": []}]}"#,
    );
    assert_eq!(
        load_error(&card("iu-xray"), &[], dir.path()),
        "iu-xray: annotation.json: missing column `report` (the file has `id`, `findings`, \
         `image_path`); this does not look like iu-xray's json layout"
    );
    write(
        dir.path(),
        "annotation.json",
        r#"{"val": [], "test": [{"id": "a", "report": "x", "image_path": ["a/0.png"]}]}"#,
    );
    assert_eq!(
        load_error(&card("iu-xray"), &[], dir.path()),
        "iu-xray: annotation.json: record 1: field `image_path`: image a/0.png is in none of \
         images (absent), iu_xray/images (absent)"
    );
    // A record without the report field is malformed, not a study without a report.
    write(
        dir.path(),
        "annotation.json",
        r#"{"test": [{"id": "a", "report": "x", "image_path": []},
                     {"id": "b", "image_path": []}]}"#,
    );
    assert_eq!(
        load_error(&card("iu-xray"), &[], dir.path()),
        "iu-xray: annotation.json: record 2: field `report`: missing (required)"
    );
    // `records` belongs to the json layout only.
    let error = Card::parse(
        &card("pmc-vqa")
            .text()
            .replace("layout = \"csv\"", "layout = \"csv\"\nrecords = \"test\""),
        CardOrigin::BuiltIn,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "card (built-in): records: only the json layout has records under a top-level key \
         (this card's layout is csv)"
    );
}

// ---------------------------------------------------------------------------------------------
// MIMIC-CXR, R2Gen layout.

#[test]
fn mimic_cxr_reads_r2gen_layout_with_patients_as_clusters() {
    let dir = tempfile::tempdir().unwrap();
    let path = |subject: u32, study: u32, dicom: &str| {
        format!(
            "p{}/p{subject}/s{study}/{dicom}.jpg",
            &subject.to_string()[..2]
        )
    };
    let frontal = path(
        10000032,
        50414267,
        "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014",
    );
    let lateral = path(
        10000032,
        50414267,
        "174413ec-4ec4c1f7-34ea26b7-c5f994f8-79ef1962",
    );
    let other = path(
        10000764,
        57375967,
        "096052b7-d256dc40-453a102b-fa7d01c6-1b22c6b4",
    );
    let annotation = json!({
        "train": [{"id": "t1", "study_id": 1, "subject_id": 1, "report": "[train]",
                   "image_path": ["p10/p1/s1/t1.jpg"], "split": "train"}],
        "val": [],
        "test": [
            {"id": "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014", "study_id": 50414267,
             "subject_id": 10000032, "report": "There is no focal consolidation.",
             "image_path": [frontal], "split": "test"},
            {"id": "174413ec-4ec4c1f7-34ea26b7-c5f994f8-79ef1962", "study_id": 50414267,
             "subject_id": 10000032, "report": "There is no focal consolidation.",
             "image_path": [lateral], "split": "test"},
            {"id": "2a2277a9-b0ded155-c0de8eb9-c124d10e-82c5caab", "study_id": 53189527,
             "subject_id": 10000032, "report": null,
             "image_path": ["p10/p10000032/s53189527/missing.jpg"], "split": "test"},
            {"id": "096052b7-d256dc40-453a102b-fa7d01c6-1b22c6b4",
             "report": "Small right pleural effusion.", "image_path": [other], "split": "test"},
        ],
    });
    write(
        dir.path(),
        "annotation.json",
        serde_json::to_vec(&annotation).unwrap(),
    );
    write(dir.path(), &format!("images/{frontal}"), jpeg(0));
    write(dir.path(), &format!("images/{lateral}"), jpeg(1));
    write(dir.path(), &format!("images/{other}"), jpeg(0));

    let card = card("mimic-cxr");
    let loaded = load_allowing(&card, &[], dir.path());
    assert_eq!(
        ids(&loaded),
        [
            "02aa804e-bde0afdd-112c0b34-7bc16630-4e384014",
            "174413ec-4ec4c1f7-34ea26b7-c5f994f8-79ef1962",
            "096052b7-d256dc40-453a102b-fa7d01c6-1b22c6b4"
        ]
    );
    // A null report is no reference: skipped (its missing image is never looked up).
    assert_eq!(loaded.skipped_rows, 1);
    assert_eq!(loaded.record.expected_rows, Some(3858));
    let [first, second, third] = loaded.items.as_slice() else {
        panic!("three items expected");
    };
    assert_eq!(first.answer_type(), AnswerType::Report);
    assert_eq!(first.gold.text(), "There is no focal consolidation.");
    assert_eq!(bytes(&first.images[0]), jpeg(0));
    assert_eq!(bytes(&second.images[0]), jpeg(1));
    assert_eq!(
        first.images[0],
        Image::Path(dir.path().join("images").join(&frontal))
    );
    // The two images of one patient share a cluster; a record without `subject_id` has none.
    assert_eq!(first.cluster.as_deref(), Some("10000032"));
    assert_eq!(second.cluster, first.cluster);
    assert_eq!(third.cluster, None);
    assert_eq!(first.group_key("study_id").as_deref(), Some("50414267"));
    assert_eq!(first.group_key("subject_id").as_deref(), Some("10000032"));
    assert_eq!(third.group_key("study_id"), None);
    assert_eq!(
        preview(&card, third),
        "<image 1>Write the findings section of the radiology report for this chest X-ray."
    );
}

// ---------------------------------------------------------------------------------------------
// CheXpert Plus, the official table.

const CHEXPERT_HEADER: &str = "path_to_image,path_to_dcm,frontal_lateral,ap_pa,\
                               deid_patient_id,patient_report_date_order,report,\
                               section_findings,section_impression,sex,split";

/// The official table's columns, one row per image: a training row (never read), two views of
/// one patient's study with both sections, a study with only an impression, one with only
/// findings (its report quoted across lines, as the CSV holds them), one with neither.
/// Images are where the table says, under `PNG/` or in the folder itself.
fn chexpert_folder(dir: &Path) {
    let rows = [
        "train/patient00001/study1/view1_frontal.jpg,train/patient00001/study1/view1_frontal.dcm,\
         Frontal,AP,patient00001,1,[train],[train] Clear.,[train] Normal.,Female,train",
        "valid/patient64541/study1/view1_frontal.jpg,valid/patient64541/study1/view1_frontal.dcm,\
         Frontal,AP,patient64541,1,FINDINGS: Lungs are clear. IMPRESSION: No acute disease.,\
         Lungs are clear.,No acute disease.,Male,valid",
        "valid/patient64541/study1/view2_lateral.jpg,valid/patient64541/study1/view2_lateral.dcm,\
         Lateral,,patient64541,1,FINDINGS: Lungs are clear. IMPRESSION: No acute disease.,\
         Lungs are clear.,No acute disease.,Male,valid",
        "valid/patient64542/study1/view1_frontal.jpg,valid/patient64542/study1/view1_frontal.dcm,\
         Frontal,PA,patient64542,1,IMPRESSION: Stable cardiomegaly.,,Stable cardiomegaly.,\
         Female,valid",
        "valid/patient64543/study1/view1_frontal.jpg,valid/patient64543/study1/view1_frontal.dcm,\
         Frontal,AP,patient64543,1,\"FINDINGS: Small left effusion,\nno pneumothorax.\",\
         \"Small left effusion,\nno pneumothorax.\",,,valid",
        "valid/patient64544/study1/view1_frontal.jpg,valid/patient64544/study1/view1_frontal.dcm,\
         Frontal,AP,patient64544,1,COMPARISON: None.,,,Male,valid",
    ];
    write(
        dir,
        "df_chexpert_plus_240401.csv",
        format!("{CHEXPERT_HEADER}\n{}\n", rows.join("\n")),
    );
    write(
        dir,
        "PNG/valid/patient64541/study1/view1_frontal.jpg",
        jpeg(0),
    );
    write(
        dir,
        "PNG/valid/patient64541/study1/view2_lateral.jpg",
        jpeg(1),
    );
    write(dir, "valid/patient64542/study1/view1_frontal.jpg", jpeg(1));
    write(dir, "valid/patient64543/study1/view1_frontal.jpg", jpeg(0));
    write(dir, "valid/patient64544/study1/view1_frontal.jpg", jpeg(0));
}

const P41_FRONTAL: &str = "valid/patient64541/study1/view1_frontal.jpg";
const P41_LATERAL: &str = "valid/patient64541/study1/view2_lateral.jpg";
const P42: &str = "valid/patient64542/study1/view1_frontal.jpg";
const P43: &str = "valid/patient64543/study1/view1_frontal.jpg";

#[test]
fn chexpert_plus_reads_the_valid_rows_of_the_official_table() {
    let dir = tempfile::tempdir().unwrap();
    chexpert_folder(dir.path());
    let card = card("chexpert-plus");
    let loaded = load_allowing(&card, &[], dir.path());
    assert_eq!(loaded.benchmark, "chexpert-plus");
    assert_eq!(loaded.record.selections["section"], "findings");
    assert_eq!(loaded.record.expected_rows, None);
    // Rows without findings (an impression only; neither section) are skipped and counted.
    assert_eq!(ids(&loaded), [P41_FRONTAL, P41_LATERAL, P43]);
    assert_eq!(loaded.skipped_rows, 2);
    assert_eq!(loaded.record.rows, 3);

    let frontal = item(&loaded, P41_FRONTAL);
    assert_eq!(frontal.answer_type(), AnswerType::Report);
    assert_eq!(frontal.gold.text(), "Lungs are clear.");
    assert_eq!(
        item(&loaded, P43).gold.text(),
        "Small left effusion,\nno pneumothorax."
    );
    // `PNG/` first, then the folder itself.
    assert_eq!(
        frontal.images,
        [Image::Path(dir.path().join("PNG").join(P41_FRONTAL))]
    );
    assert_eq!(
        item(&loaded, P43).images,
        [Image::Path(dir.path().join(P43))]
    );
    assert_eq!(bytes(&item(&loaded, P41_LATERAL).images[0]), jpeg(1));
    // The patient is the cluster: two views of one study share it.
    assert_eq!(frontal.cluster.as_deref(), Some("patient64541"));
    assert_eq!(item(&loaded, P41_LATERAL).cluster, frontal.cluster);
    assert_eq!(item(&loaded, P43).cluster.as_deref(), Some("patient64543"));
    assert_eq!(
        frontal.group_key("frontal_lateral").as_deref(),
        Some("Frontal")
    );
    assert_eq!(frontal.group_key("ap_pa").as_deref(), Some("AP"));
    assert_eq!(frontal.group_key("sex").as_deref(), Some("Male"));
    assert_eq!(
        preview(&card, frontal),
        "<image 1>Write the findings section of the radiology report for this chest X-ray."
    );
}

#[test]
fn chexpert_plus_findings_and_impression_is_a_selection_with_its_own_references() {
    let dir = tempfile::tempdir().unwrap();
    chexpert_folder(dir.path());
    let card = card("chexpert-plus");
    let findings = load_allowing(&card, &[], dir.path());
    let both = load_allowing(&card, &[("section", "findings-impression")], dir.path());
    assert_eq!(both.benchmark, "chexpert-plus:section=findings-impression");
    assert_eq!(both.record.selections["section"], "findings-impression");
    assert_ne!(both.fingerprint, findings.fingerprint);
    // Only the row with neither section is skipped now.
    assert_eq!(ids(&both), [P41_FRONTAL, P41_LATERAL, P42, P43]);
    assert_eq!(both.skipped_rows, 1);
    // Each section is a paragraph under its heading line; an absent section has neither.
    assert_eq!(
        item(&both, P41_FRONTAL).gold.text(),
        "FINDINGS:\nLungs are clear.\n\nIMPRESSION:\nNo acute disease."
    );
    assert_eq!(
        item(&both, P42).gold.text(),
        "IMPRESSION:\nStable cardiomegaly."
    );
    assert_eq!(
        item(&both, P43).gold.text(),
        "FINDINGS:\nSmall left effusion,\nno pneumothorax."
    );
    // The instruction asks for both sections, in that format.
    assert_eq!(
        preview(&card, item(&both, P42)),
        "<image 1>Write the findings and impression sections of the radiology report for this \
         chest X-ray. Begin the findings with a line reading FINDINGS: and the impression with \
         a line reading IMPRESSION:, and leave an empty line between the two sections."
    );
    let offered: Vec<&str> = card.selections()["section"]
        .values
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(offered, ["findings", "findings-impression"]);
}

#[test]
fn bench_check_and_verify_count_the_skipped_rows_with_their_reason() {
    let dir = tempfile::tempdir().unwrap();
    chexpert_folder(dir.path());
    let card = card("chexpert-plus");
    let report = check(&card, &BTreeMap::new(), dir.path()).unwrap();
    assert!(report.ok, "{:?}", report.problems);
    assert_eq!(report.rows, 3);
    assert_eq!(
        report.skipped_rows,
        SkippedRows {
            count: 2,
            reason: Some(
                "no reference report: the template `{section_findings}` is empty for these rows"
                    .into()
            ),
        }
    );
    assert_eq!(report.answer_types, BTreeMap::from([("report".into(), 3)]));
    assert_eq!(report.images, 3);
    // Every column a reference names is required, the optional sections included: a table
    // without them is another table, not one whose rows all lack a reference.
    let (_, required) = card.columns(&selections(&[("section", "findings-impression")]));
    for column in [
        "section_findings",
        "section_impression",
        "split",
        "path_to_image",
    ] {
        assert!(required.iter().any(|c| c == column), "{column}");
    }
    let both = check(
        &card,
        &selections(&[("section", "findings-impression")]),
        dir.path(),
    )
    .unwrap();
    assert_eq!(both.rows, 4);
    assert_eq!(both.skipped_rows.count, 1);
    assert_eq!(
        both.skipped_rows.reason.as_deref(),
        Some(
            "no reference report: the template \
             `FINDINGS:\\n{section_findings?}\\n\\nIMPRESSION:\\n{section_impression?}` is empty \
             for these rows"
        )
    );
    let verified = verify(&card, &BTreeMap::new(), dir.path(), RowCountPolicy::Enforce).unwrap();
    assert_eq!(verified.skipped_rows, 2);
    assert_eq!(verified.record.rows, 3);

    // Cards whose rows are never skipped say so with no reason.
    let slake = check(&crate::card("slake"), &BTreeMap::new(), &fixture("slake")).unwrap();
    assert_eq!(
        slake.skipped_rows,
        SkippedRows {
            count: 0,
            reason: None
        }
    );
}

#[test]
fn a_split_whose_every_row_lacks_a_reference_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "df_chexpert_plus_240401.csv",
        format!(
            "{CHEXPERT_HEADER}\n\
             valid/p1/study1/view1_frontal.jpg,,Frontal,AP,p1,1,IMPRESSION: Normal.,,Normal.,Male,valid\n"
        ),
    );
    assert_eq!(
        load_error(&card("chexpert-plus"), &[], dir.path()),
        "chexpert-plus: every one of the 1 rows of the evaluation split was skipped (no \
         reference report: the template `{section_findings}` is empty for these rows); is this \
         the right file, and does it hold this section?"
    );
    let report = check(&card("chexpert-plus"), &BTreeMap::new(), dir.path()).unwrap();
    assert!(!report.ok);
    assert_eq!(report.skipped_rows.count, 1);
}

#[test]
fn a_missing_image_names_the_file_with_another_extension() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "df_chexpert_plus_240401.csv",
        format!(
            "{CHEXPERT_HEADER}\n\
             valid/patient64541/study1/view1_frontal.jpg,,Frontal,AP,patient64541,1,x,Clear.,,Male,valid\n"
        ),
    );
    write(
        dir.path(),
        "PNG/valid/patient64541/study1/view1_frontal.png",
        png(0),
    );
    assert_eq!(
        load_error(&card("chexpert-plus"), &[], dir.path()),
        "chexpert-plus: df_chexpert_plus_240401.csv: row 1: column `path_to_image`: image \
         valid/patient64541/study1/view1_frontal.jpg is in none of PNG, .; \
         PNG/valid/patient64541/study1/view1_frontal.png exists: the images here have another \
         extension than the paths in the data (images and table from different releases? see \
         the card's notes)"
    );
}

/// The fix the card's notes give: a renamed copy with `image_extension = "png"` reads the PNG
/// release whose files end in `.png` while the table names `.jpg`.
#[test]
fn a_copy_of_the_card_with_an_image_extension_reads_the_png_release() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "df_chexpert_plus_240401.csv",
        format!(
            "{CHEXPERT_HEADER}\n\
             valid/patient64541/study1/view1_frontal.jpg,,Frontal,AP,patient64541,1,x,Clear.,,Male,valid\n"
        ),
    );
    write(
        dir.path(),
        "PNG/valid/patient64541/study1/view1_frontal.png",
        png(0),
    );
    let text = card("chexpert-plus")
        .text()
        .replace("name = \"chexpert-plus\"", "name = \"my-chexpert-plus\"")
        .replace("[item]\n", "[item]\nimage_extension = \"png\"\n");
    let loaded = load_allowing(&user_card(&text), &[], dir.path());
    let frontal = item(&loaded, "valid/patient64541/study1/view1_frontal.jpg");
    assert_eq!(bytes(&frontal.images[0]), png(0));
}

// ---------------------------------------------------------------------------------------------
// Card rules.

const REPORT_CARD: &str = r#"
name = "my-reports"
title = "Mine"
split = "test"
layout = "csv"
files = ["reports.csv"]

[item]
id = "{id}"
question = "Write the report."
answer_type = ANSWER_TYPE
GOLD
"#;

fn report_card(answer_type: &str, gold: &str) -> Result<Card, BenchError> {
    Card::parse(
        &REPORT_CARD
            .replace("ANSWER_TYPE", answer_type)
            .replace("GOLD", gold),
        CardOrigin::File("my-card.toml".into()),
    )
}

#[test]
fn a_card_gives_the_gold_as_a_column_or_a_template_not_both() {
    let both = report_card(
        "\"report\"",
        "answer = \"findings\"\nreference = \"{findings}\"",
    )
    .unwrap_err();
    assert_eq!(
        both.to_string(),
        "card my-card.toml: item: give either `answer` (the gold column) or `reference` (a \
         template giving the gold text), not both"
    );
    let neither = report_card("\"report\"", "").unwrap_err();
    assert_eq!(
        neither.to_string(),
        "card my-card.toml: item: give `answer` (the gold column) or `reference` (a template \
         giving the gold text)"
    );
    let constant = report_card("\"report\"", "reference = \"Normal.\"").unwrap_err();
    assert_eq!(
        constant.to_string(),
        "card my-card.toml: item.reference: \"Normal.\" names no column, so every item would \
         have the same gold text"
    );
    // Two options may not both replace the reference: which would win is not obvious.
    let text = format!(
        "{}\n[select.a]\ndefault = \"x\"\n[select.a.values.x]\nreference = \"{{f}}\"\n\
         [select.b]\ndefault = \"y\"\n[select.b.values.y]\nreference = \"{{g}}\"\n",
        REPORT_CARD
            .replace("ANSWER_TYPE", "\"report\"")
            .replace("GOLD", "answer = \"f\"")
    );
    let error = Card::parse(&text, CardOrigin::File("my-card.toml".into())).unwrap_err();
    assert_eq!(
        error.to_string(),
        "card my-card.toml: select: only one option may set `reference` (here a and b do)"
    );
}

#[test]
fn empty_references_skip_report_rows_only() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "reports.csv",
        "id,task,findings,impression\n\
         1,rg,Clear lungs.,Normal.\n\
         2,rg,,Normal.\n\
         3,vqa,Pneumonia,\n",
    );
    // The report type in a by-column table: row 2 is skipped, row 3 is an open item.
    let mixed = report_card(
        "{ column = \"task\", values = { rg = \"report\", vqa = \"open\" } }",
        "reference = \"{findings}\"",
    )
    .unwrap();
    assert_eq!(mixed.answer_types(), [AnswerType::Open, AnswerType::Report]);
    let loaded = load_allowing(&mixed, &[], dir.path());
    let kinds: Vec<(&str, AnswerType, &str)> = loaded
        .items
        .iter()
        .map(|i| {
            (
                i.id.as_str(),
                i.answer_type(),
                i.gold.reference().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("1", AnswerType::Report, "Clear lungs."),
            ("3", AnswerType::Open, "Pneumonia")
        ]
    );
    assert_eq!(loaded.skipped_rows, 1);

    // For other answer types an empty gold stays an error, named by row and column.
    write(
        dir.path(),
        "reports.csv",
        "id,task,findings,impression\n1,vqa,Pneumonia,\n2,vqa,,Normal.\n",
    );
    assert_eq!(
        load_error(&mixed, &[], dir.path()),
        "my-reports: reports.csv: row 2: column `findings`: the gold answer is empty"
    );
    let open = report_card("\"open\"", "answer = \"findings\"").unwrap();
    assert_eq!(
        load_error(&open, &[], dir.path()),
        "my-reports: reports.csv: row 2: column `findings`: the gold answer is empty"
    );
}

/// The user card `docs/benchmarks.md` shows for IU X-Ray with findings and impression, read
/// from the docs and run against a folder in its layout.
#[test]
fn the_documented_findings_and_impression_card_reads_its_layout() {
    let docs = std::fs::read_to_string(
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/benchmarks.md"),
    )
    .unwrap();
    let start = docs.find("name = \"iu-xray-sections\"").unwrap();
    let end = start + docs[start..].find("```").unwrap();
    let card = user_card(&docs[start..end]);

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "iu_xray_sections.csv",
        "uid,frontal,lateral,findings,impression,split\n\
         1,1_IM-0001-4001.png,1_IM-0001-3001.png,The cardiac silhouette is within normal limits.,Normal chest x-XXXX.,test\n\
         2,2_IM-0652-1001.png,2_IM-0652-2001.png,,No active disease.,test\n\
         3,3_IM-1384-1001.png,3_IM-1384-2001.png,Clear lungs.,,train\n\
         4,4_IM-2050-1001.png,4_IM-2050-2001.png,Borderline cardiomegaly.,,test\n",
    );
    for (uid, frontal, lateral) in [
        ("1_IM-0001", "4001", "3001"),
        ("2_IM-0652", "1001", "2001"),
        ("4_IM-2050", "1001", "2001"),
    ] {
        write(dir.path(), &format!("images/{uid}-{frontal}.png"), png(0));
        write(dir.path(), &format!("images/{uid}-{lateral}.png"), png(1));
    }
    let both = load_allowing(&card, &[], dir.path());
    assert_eq!(both.benchmark, "iu-xray-sections");
    assert_eq!(ids(&both), ["1", "2", "4"]);
    assert_eq!(both.skipped_rows, 0);
    assert_eq!(
        item(&both, "1").gold.text(),
        "FINDINGS:\nThe cardiac silhouette is within normal limits.\n\n\
         IMPRESSION:\nNormal chest x-XXXX."
    );
    assert_eq!(
        item(&both, "2").gold.text(),
        "IMPRESSION:\nNo active disease."
    );
    assert_eq!(
        item(&both, "4").gold.text(),
        "FINDINGS:\nBorderline cardiomegaly."
    );
    let views: Vec<Vec<u8>> = item(&both, "4").images.iter().map(bytes).collect();
    assert_eq!(views, [png(0), png(1)]);
    assert!(preview(&card, item(&both, "1")).contains("findings and impression sections"));

    let findings = load_allowing(&card, &[("section", "findings")], dir.path());
    assert_eq!(findings.benchmark, "iu-xray-sections:section=findings");
    assert_eq!(ids(&findings), ["1", "4"]);
    assert_eq!(findings.skipped_rows, 1);
    assert_eq!(item(&findings, "4").gold.text(), "Borderline cardiomegaly.");
    assert!(preview(&card, item(&findings, "4")).contains("findings section of its"));
}

#[test]
fn every_report_card_lists_its_breakdown_fields_and_reads_its_layout() {
    let iu = tempfile::tempdir().unwrap();
    iu_xray_folder(iu.path(), "");
    let chexpert = tempfile::tempdir().unwrap();
    chexpert_folder(chexpert.path());
    for (name, dir, fields) in [
        ("iu-xray", iu.path(), vec!["answer_type"]),
        (
            "chexpert-plus",
            chexpert.path(),
            vec!["answer_type", "ap_pa", "frontal_lateral", "sex"],
        ),
    ] {
        let card = card(name);
        assert_eq!(card.answer_types(), [AnswerType::Report], "{name}");
        assert_eq!(card.breakdown_fields(), fields, "{name}");
        let loaded = load_allowing(&card, &[], dir);
        for field in &fields[1..] {
            assert!(
                loaded.items.iter().any(|i| i.group_key(field).is_some()),
                "{name}: no item has {field}"
            );
        }
    }
    assert_eq!(
        card("mimic-cxr").breakdown_fields(),
        ["answer_type", "study_id", "subject_id"]
    );
}
