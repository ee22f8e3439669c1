//! Bad benchmark folders and cards: each fails with a specific message naming the file, row and
//! column (or card key), before any model is called; `check` lists problems instead of stopping.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use medeval_data::{BenchError, Card, CardOrigin, RowCountPolicy, builtin_cards, check, load};

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

fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn copy(from: &Path, dir: &Path, name: &str) {
    write(dir, name, std::fs::read(from).unwrap());
}

/// The error of loading `dir` with `card`, with the temporary folder replaced by `DIR`.
fn load_error(card: &Card, dir: &Path) -> String {
    let error = load(card, &BTreeMap::new(), dir, RowCountPolicy::AllowMismatch).unwrap_err();
    error.to_string().replace(&dir.display().to_string(), "DIR")
}

/// A user card reading `answer`/`question` with `image` paths relative to the folder.
const TABLE_CARD: &str = r#"
name = "my-bench"
title = "Mine"
split = "test"
layout = "LAYOUT"
files = ["FILE"]

[item]
id = "{id}"
question = "{question}"
answer = "answer"
answer_type = "closed-if-yes-no"
images = ["image"]
"#;

fn table_card(layout: &str, file: &str) -> Card {
    user_card(&TABLE_CARD.replace("LAYOUT", layout).replace("FILE", file))
}

#[test]
fn a_folder_holding_another_benchmark_names_the_missing_columns() {
    let dir = tempfile::tempdir().unwrap();
    copy(
        &fixture("medmcqa").join("data/validation-00000-of-00001.parquet"),
        dir.path(),
        "data/test-00000-of-00001.parquet",
    );
    assert_eq!(
        load_error(&card("vqa-rad"), dir.path()),
        "vqa-rad: data/test-00000-of-00001.parquet: missing columns `answer`, `image` (the file \
         has `id`, `question`, `opa`, `opb`, `opc`, `opd`, `cop`, `choice_type`, `subject_name`, \
         `topic_name`, `exp`); this does not look like vqa-rad's parquet layout"
    );
}

#[test]
fn a_folder_without_the_split_says_what_it_holds() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "train.json", "[]");
    write(dir.path(), "imgs/readme.txt", "");
    assert_eq!(
        load_error(&card("slake"), dir.path()),
        "slake: no file matches \"test.json\" in DIR (it holds: imgs/, train.json); is this the \
         slake folder, unpacked as downloaded?"
    );
    let missing = dir.path().join("nowhere");
    let error = load(
        &card("slake"),
        &BTreeMap::new(),
        &missing,
        RowCountPolicy::AllowMismatch,
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        format!(
            "slake: the data folder {} does not exist",
            missing.display()
        )
    );
}

#[test]
fn a_truncated_parquet_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let whole =
        std::fs::read(fixture("vqa-rad").join("data/test-00000-of-00001-a1b2c3.parquet")).unwrap();
    write(
        dir.path(),
        "data/test-00000-of-00001.parquet",
        &whole[..whole.len() / 2],
    );
    let message = load_error(&card("vqa-rad"), dir.path());
    assert!(
        message.starts_with(
            "vqa-rad: data/test-00000-of-00001.parquet: not a readable parquet file (truncated or damaged?)"
        ),
        "{message}"
    );
    // Damage inside the data pages (the footer intact) is reported for the file too, not a crash.
    let mut damaged = whole.clone();
    for byte in &mut damaged[8..whole.len() / 2] {
        *byte = 0x5a;
    }
    write(dir.path(), "data/test-00000-of-00001.parquet", &damaged);
    let message = load_error(&card("vqa-rad"), dir.path());
    assert!(
        message.starts_with("vqa-rad: data/test-00000-of-00001.parquet"),
        "{message}"
    );
}

#[test]
fn parquet_cells_that_are_not_images_name_row_and_column() {
    assert_eq!(
        load_error(&card("vqa-rad"), &fixture("bad/not-an-image")),
        "vqa-rad: data/test-00000-of-00001.parquet: row 2: column `image`: the image bytes are \
         not a PNG or JPEG file"
    );
}

#[test]
fn parquet_codecs_medeval_does_not_read_are_named() {
    let message = load_error(&card("vqa-rad"), &fixture("bad/zstd"));
    assert!(
        message.starts_with("vqa-rad: data/test-00000-of-00001.parquet"),
        "{message}"
    );
    assert!(message.contains("compressed with ZSTD"), "{message}");
}

#[test]
fn a_missing_image_names_the_record_the_column_and_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture("slake").join("test.json"), dir.path(), "test.json");
    assert_eq!(
        load_error(&card("slake"), dir.path()),
        "slake: test.json: record 1: field `img_name`: image xmlab1/source.jpg is in none of \
         imgs (absent), imgs.zip (absent)"
    );
}

#[test]
fn a_tsv_image_reference_to_a_missing_index_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let png = std::fs::read(fixture("omnimedvqa").join("Images/ACRIMA/Im001.png")).unwrap();
    let b64 = base64_encode(&png);
    write(
        dir.path(),
        "Bench.tsv",
        format!(
            "index\tquestion\tA\tB\tanswer\timage\n1\tFirst?\tx\ty\tA\t{b64}\n2\tSecond?\tx\ty\tB\t7\n"
        ),
    );
    assert_eq!(
        load_error(&card("vlmevalkit-tsv"), dir.path()),
        "vlmevalkit-tsv: Bench.tsv: row 2: column `image`: refers to the image of index \"7\", but \
         no row with that index holds an image"
    );
}

#[test]
fn tsv_cells_that_are_not_images_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let text = "A".repeat(100);
    write(
        dir.path(),
        "Bench.tsv",
        format!("index\tquestion\tA\tB\tanswer\timage\n1\tFirst?\tx\ty\tA\t{text}\n"),
    );
    assert_eq!(
        load_error(&card("vlmevalkit-tsv"), dir.path()),
        "vlmevalkit-tsv: Bench.tsv: row 1: column `image`: is base64 but not of a PNG or JPEG image"
    );
    write(
        dir.path(),
        "Bench.tsv",
        "index\tquestion\tA\tB\tanswer\n1\tFirst?\tx\ty\n",
    );
    assert_eq!(
        load_error(&card("vlmevalkit-tsv"), dir.path()),
        "vlmevalkit-tsv: Bench.tsv: row 1: has 4 fields where the header has 5"
    );
}

#[test]
fn a_card_with_an_unknown_field_is_refused_with_the_key() {
    let text = card("vqa-rad")
        .text()
        .replace("expected_rows", "expected_row");
    let error = Card::parse(&text, CardOrigin::File("my-card.toml".into())).unwrap_err();
    let message = error.to_string();
    assert!(
        message.starts_with("card my-card.toml: TOML parse error"),
        "{message}"
    );
    assert!(
        message.contains("unknown field `expected_row`"),
        "{message}"
    );

    let nested = card("vqa-rad")
        .text()
        .replace("[item]", "[item]\nimage_root = \"imgs\"");
    let message = Card::parse(&nested, CardOrigin::BuiltIn)
        .unwrap_err()
        .to_string();
    assert!(message.contains("unknown field `image_root`"), "{message}");
}

#[test]
fn cards_are_checked_beyond_their_syntax() {
    let bad = |from: &str, to: &str| {
        let text = card("slake").text().replacen(from, to, 1);
        Card::parse(&text, CardOrigin::File("my-card.toml".into()))
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        bad("name = \"slake\"", "name = \"My Slake\""),
        "card my-card.toml: name \"My Slake\": use lower-case letters, digits and `-` (it names a \
         folder under --data-root)"
    );
    assert_eq!(
        bad("files = [\"test.json\"]", "files = [\"../test.json\"]"),
        "card my-card.toml: files: \"../test.json\" must stay inside the benchmark folder"
    );
    assert_eq!(
        bad("default = \"en\"", "default = \"fr\""),
        "card my-card.toml: select.lang: the default \"fr\" is not one of its values"
    );
    assert_eq!(
        bad("id = \"{qid}\"", "id = \"{qid\""),
        "card my-card.toml: item.id: unclosed placeholder `{qid` in \"{qid\""
    );
    assert_eq!(
        bad(
            "answer_type = \"closed-if-yes-no\"",
            "answer_type = \"mcq\""
        ),
        "card my-card.toml: item.options: multiple-choice items need options"
    );
}

#[test]
fn unknown_selections_are_refused() {
    let slake = card("slake");
    let pick = |k: &str, v: &str| {
        load(
            &slake,
            &BTreeMap::from([(k.to_owned(), v.to_owned())]),
            &fixture("slake"),
            RowCountPolicy::AllowMismatch,
        )
        .unwrap_err()
        .to_string()
    };
    assert_eq!(
        pick("lang", "fr"),
        "slake: lang=fr is not offered; choose all, en, zh"
    );
    assert_eq!(
        pick("language", "en"),
        "slake: the card has no option \"language\"; it has lang"
    );
}

#[test]
fn csv_rows_with_the_wrong_number_of_fields_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "test.csv",
        "id,question,answer,image\n1,Is it?,yes,a.png\n2,Is it?,no,a.png,extra\n",
    );
    write(dir.path(), "a.png", b"\x89PNG\r\n\x1a\n");
    assert_eq!(
        load_error(&table_card("csv", "test.csv"), dir.path()),
        "my-bench: test.csv: row 2: has 5 fields where the header has 4"
    );
}

#[test]
fn jsonl_lines_that_are_not_json_are_named() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "test.jsonl",
        "{\"id\": 1, \"question\": \"Is it?\", \"answer\": \"yes\", \"image\": \"a.png\"}\n{\"id\": 2,\n",
    );
    write(dir.path(), "a.png", b"\x89PNG\r\n\x1a\n");
    let message = load_error(&table_card("jsonl", "test.jsonl"), dir.path());
    assert!(
        message.starts_with("my-bench: test.jsonl:2: not valid JSON: "),
        "{message}"
    );
}

#[test]
fn values_that_break_the_mapping_name_row_and_column() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.png", b"\x89PNG\r\n\x1a\n");
    let cases = [
        (
            r#"[{"id": 1, "question": "Is it?", "answer": null, "image": "a.png"}]"#,
            "my-bench: test.json: record 1: field `answer`: missing (required)",
        ),
        (
            r#"[{"id": 1, "question": "Is it?", "answer": "yes", "image": "../a.png"}]"#,
            "my-bench: test.json: record 1: field `image`: image path \"../a.png\" leaves the \
             benchmark folder; only relative paths inside it are read",
        ),
        (
            r#"[{"id": 1, "question": "Is it?", "answer": "yes", "image": "a.png"},
                {"id": 1, "question": "Again?", "answer": "no", "image": "a.png"}]"#,
            "my-bench: test.json: record 2: duplicate item id \"1\" (first at test.json: record 1)",
        ),
        (
            r#"[{"id": 1, "question": {"text": "Is it?"}, "answer": "yes", "image": "a.png"}]"#,
            "my-bench: test.json: record 1: field `question`: holds a struct, not text",
        ),
        (
            r#"[{"id": 1, "question": "Is it?", "answer": "yes", "image": "a.png"}, 7]"#,
            "my-bench: test.json: record 2: expected a JSON object",
        ),
    ];
    for (json, expected) in cases {
        write(dir.path(), "test.json", json);
        assert_eq!(
            load_error(&table_card("json", "test.json"), dir.path()),
            expected
        );
    }
}

#[test]
fn a_gold_answer_that_is_no_option_is_an_error_not_a_guess() {
    let dir = tempfile::tempdir().unwrap();
    let mut rows: serde_json::Value = serde_json::from_slice(
        &std::fs::read(fixture("omnimedvqa").join("QA_information/Open-access/ACRIMA.json"))
            .unwrap(),
    )
    .unwrap();
    rows[1]["gt_answer"] = "Ultrasound".into();
    write(
        dir.path(),
        "QA_information/Open-access/ACRIMA.json",
        serde_json::to_string(&rows).unwrap(),
    );
    copy(
        &fixture("omnimedvqa").join("Images/ACRIMA/Im001.png"),
        dir.path(),
        "Images/ACRIMA/Im001.png",
    );
    copy(
        &fixture("omnimedvqa").join("Images/ACRIMA/Im002.png"),
        dir.path(),
        "Images/ACRIMA/Im002.png",
    );
    assert_eq!(
        load_error(&card("omnimedvqa"), dir.path()),
        "omnimedvqa: QA_information/Open-access/ACRIMA.json: record 2: field `gt_answer`: the \
         gold answer \"Ultrasound\" is not the text of any option"
    );
}

#[test]
fn medqa_with_five_options_is_another_release() {
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"question": "Q?", "answer": "x", "options": {"A": "a", "B": "b", "C": "c", "D": "d", "E": "e"}, "meta_info": "step1", "answer_idx": "E"}"#;
    write(dir.path(), "test.jsonl", format!("{line}\n"));
    assert_eq!(
        load_error(&card("medqa"), dir.path()),
        "medqa: test.jsonl:1: field `options`: has 5 options (ABCDE) where the card expects 4: \
         another release of this benchmark?"
    );
}

#[test]
fn pubmedqa_test_ids_missing_from_the_data_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    copy(
        &fixture("pubmedqa").join("ori_pqal.json"),
        dir.path(),
        "ori_pqal.json",
    );
    write(
        dir.path(),
        "test_ground_truth.json",
        r#"{"21645374": "yes", "99999999": "no"}"#,
    );
    assert_eq!(
        load_error(&card("pubmedqa"), dir.path()),
        "pubmedqa: 1 of the 2 ids listed in test_ground_truth.json are not in the data (first: \
         99999999)"
    );
}

#[test]
fn a_damaged_zip_member_fails_when_its_image_is_read() {
    let dir = tempfile::tempdir().unwrap();
    copy(&fixture("slake").join("test.json"), dir.path(), "test.json");
    let mut zip = std::fs::read(fixture("slake").join("imgs.zip")).unwrap();
    // Flip bytes inside the first member's compressed data (after its 30-byte local header and
    // name), leaving the central directory intact.
    let name_len = usize::from(u16::from_le_bytes([zip[26], zip[27]]));
    let start = 30 + name_len + 40;
    for byte in &mut zip[start..start + 8] {
        *byte ^= 0xff;
    }
    write(dir.path(), "imgs.zip", zip);
    let loaded = load(
        &card("slake"),
        &BTreeMap::new(),
        dir.path(),
        RowCountPolicy::AllowMismatch,
    )
    .unwrap();
    let medeval_core::Image::Deferred(source) = &loaded.items[0].images[0] else {
        panic!("a zip member is read on demand");
    };
    let error = source.read().unwrap_err();
    assert!(error.starts_with("cannot inflate"), "{error}");
}

#[test]
fn check_lists_every_problem_and_hashes_the_files() {
    let dir = tempfile::tempdir().unwrap();
    let rows = r#"[
        {"qid": 1, "img_id": 1, "img_name": "xmlab1/source.jpg", "question": "Q1?", "answer": "yes", "q_lang": "en", "answer_type": "CLOSED", "modality": "CT", "location": "Lung", "content_type": "Organ"},
        {"qid": 2, "img_id": 1, "img_name": "xmlab9/source.jpg", "question": "Q2?", "answer": "no", "q_lang": "en", "answer_type": "CLOSED", "modality": "CT", "location": "Lung", "content_type": "Organ"},
        {"qid": 3, "img_id": 1, "img_name": "xmlab1/source.jpg", "question": "", "answer": "no", "q_lang": "en", "answer_type": "CLOSED", "modality": "CT", "location": "Lung", "content_type": "Organ"}
    ]"#;
    write(dir.path(), "test.json", rows);
    copy(&fixture("slake").join("imgs.zip"), dir.path(), "imgs.zip");
    let report = check(&card("slake"), &BTreeMap::new(), dir.path()).unwrap();
    assert!(!report.ok);
    assert_eq!(report.rows, 3);
    assert_eq!(report.expected_rows, Some(1061));
    assert_eq!(
        report.problems,
        [
            "test.json: record 2: field `img_name`: image xmlab9/source.jpg is in none of imgs \
             (absent), imgs.zip",
            "test.json: record 3: the question is empty",
            "the evaluation split has 3 rows where the card expects 1061",
        ]
    );
    assert_eq!(report.files.len(), 1);
    assert_eq!(
        report.files[0].sha256,
        medeval_core::digest::sha256_hex(rows.as_bytes())
    );

    let good = check(&card("slake"), &BTreeMap::new(), &fixture("slake")).unwrap();
    assert_eq!(good.rows, 3);
    assert_eq!(good.images, 3);
    assert_eq!(good.answer_types["closed"], 1);
    assert_eq!(good.answer_types["open"], 2);
    assert_eq!(
        good.problems,
        ["the evaluation split has 3 rows where the card expects 1061"]
    );
}

#[test]
fn user_cards_may_not_take_a_built_in_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("slake.toml");
    std::fs::write(&path, card("slake").text()).unwrap();
    let error = medeval_data::all_cards(&[path]).unwrap_err();
    assert!(matches!(error, BenchError::InvalidCard { .. }));
    assert!(
        error.to_string().ends_with(
            "name \"slake\" is already taken by a built-in card; give your card its own name"
        ),
        "{error}"
    );
}

/// Standard base64 with padding (RFC 4648), for writing TSV cells.
fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn command_wide_options_must_be_offered_by_some_benchmark() {
    let vqa_rad = card("vqa-rad");
    let slake = card("slake");
    let lang = BTreeMap::from([("lang".to_owned(), "zh".to_owned())]);
    let error = medeval_data::check_global_selections(&[&vqa_rad], &lang).unwrap_err();
    assert_eq!(
        error.to_string(),
        "vqa-rad: none of these benchmarks offers the option \"lang\" (offered by slake)"
    );
    assert!(medeval_data::check_global_selections(&[&vqa_rad, &slake], &lang).is_ok());
    // The option reaches the cards that offer it; a name's own selection wins.
    let spec = medeval_data::BenchSpec::parse("slake:lang=all").unwrap();
    assert_eq!(spec.selections_for(&slake, &lang)["lang"], "all");
    let plain = medeval_data::BenchSpec::parse("vqa-rad").unwrap();
    assert!(plain.selections_for(&vqa_rad, &lang).is_empty());
}

#[test]
fn data_root_without_the_benchmark_folder_says_how_to_name_it() {
    let root = tempfile::tempdir().unwrap();
    std::fs::create_dir(root.path().join("SLAKE")).unwrap();
    let location = medeval_data::DataLocation::Root(root.path().to_path_buf());
    let error = location.folder_for(&card("slake"), 2).unwrap_err();
    assert_eq!(
        error
            .to_string()
            .replace(&root.path().display().to_string(), "ROOT"),
        "slake: no folder \"slake\" in ROOT (it holds: SLAKE/); --data-root expects one \
         sub-folder per benchmark, named as `medeval bench list` prints them (or give one \
         benchmark's folder with --data)"
    );
    let one = medeval_data::DataLocation::Folder(root.path().to_path_buf());
    assert!(matches!(
        one.folder_for(&card("slake"), 2),
        Err(BenchError::DataForSeveral { count: 2 })
    ));
}
