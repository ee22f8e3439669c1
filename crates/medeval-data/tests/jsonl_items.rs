//! The native JSONL reader: what it accepts, and the error it gives for each kind of bad input.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use medeval_core::{AnswerType, Image};
use medeval_data::read_items;

/// A 1x1 PNG, base64-encoded.
const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg==";

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn error_of(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "bench.jsonl", text);
    let err = read_items(&path).expect_err("input should be rejected");
    err.to_string()
        .replace(&dir.path().display().to_string(), "DIR")
}

#[test]
fn reads_every_field_and_infers_answer_types() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("img")).unwrap();
    std::fs::write(dir.path().join("img/a.png"), b"not decoded at load time").unwrap();
    let text = format!(
        r#"{{"id": 7, "question": "Modality?", "images": ["img/a.png", "data:image/png;base64,{PNG_1X1}"], "options": {{"A": "CT", "B": "MRI"}}, "answer": "B", "meta": {{"modality": "MR"}}, "cluster": 3}}

{{"id": "q2", "question": "Is there a fracture?", "answer": "No"}}
{{"id": "q3", "question": "Which organ?", "answer": "liver", "answer_type": "open"}}
"#
    );
    let path = write(dir.path(), "bench.jsonl", &text);
    let file = read_items(&path).unwrap();
    assert_eq!(
        file.sha256,
        medeval_core::digest::sha256_hex(text.as_bytes())
    );
    let [mcq, closed, open] = file.items.as_slice() else {
        panic!("expected three items, got {}", file.items.len());
    };
    assert_eq!(mcq.id, "7");
    assert_eq!(mcq.answer_type(), AnswerType::Mcq);
    assert_eq!(mcq.cluster.as_deref(), Some("3"));
    assert_eq!(mcq.group_key("modality").as_deref(), Some("MR"));
    assert_eq!(mcq.images.len(), 2);
    assert_eq!(mcq.images[0], Image::Path(dir.path().join("img/a.png")));
    match &mcq.images[1] {
        Image::Bytes { bytes, .. } => assert_eq!(&bytes[..4], b"\x89PNG"),
        other => panic!("expected decoded bytes, got {other:?}"),
    }
    assert_eq!(closed.answer_type(), AnswerType::Closed);
    assert_eq!(open.answer_type(), AnswerType::Open);
}

#[test]
fn bad_json_names_the_line() {
    assert_eq!(
        error_of("{\"id\": \"a\", \"question\": \"q\", \"answer\": \"yes\"}\n{\"id\": \"b\",\n"),
        "DIR/bench.jsonl:2: not valid JSON: EOF while parsing a value (column 11)"
    );
}

#[test]
fn wrong_types_name_line_and_field() {
    assert_eq!(
        error_of(r#"{"id": "a", "question": ["q"], "answer": "yes"}"#),
        "DIR/bench.jsonl:1: field `question`: expected a string, found a list"
    );
    assert_eq!(
        error_of(r#"{"id": 1.5, "question": "q", "answer": "yes"}"#),
        "DIR/bench.jsonl:1: field `id`: expected a string or an integer, found a number"
    );
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q", "answer": "A", "options": {"A": "x", "B": 2}}"#),
        "DIR/bench.jsonl:1: field `options.B`: expected option text, found a number"
    );
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q"}"#),
        "DIR/bench.jsonl:1: field `answer`: missing (required)"
    );
}

#[test]
fn duplicate_ids_name_both_lines() {
    let line = r#"{"id": "a", "question": "q", "answer": "yes"}"#;
    assert_eq!(
        error_of(&format!("{line}\n\n{line}\n")),
        "DIR/bench.jsonl:3: field `id`: duplicate id \"a\" (first seen on line 1)"
    );
}

#[test]
fn empty_file_is_an_error() {
    assert_eq!(
        error_of("\n  \n"),
        "DIR/bench.jsonl: no items (the file is empty or holds only blank lines)"
    );
}

#[test]
fn unknown_answer_type_and_unknown_fields_are_rejected() {
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q", "answer": "yes", "answer_type": "boolean"}"#),
        "DIR/bench.jsonl:1: field `answer_type`: unknown answer type \"boolean\"; expected mcq, closed, open or report"
    );
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q", "anwser": "yes"}"#),
        "DIR/bench.jsonl:1: field `anwser`: unknown field; an item has id, question, images, options, answer, answer_type, meta, cluster"
    );
}

#[test]
fn gold_letter_must_be_an_option() {
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q", "options": {"A": "x", "B": "y"}, "answer": "C"}"#),
        "DIR/bench.jsonl:1: field `answer`: gold letter C is not among the options (AB)"
    );
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q", "options": {"A": "x", "b": "y"}, "answer": "A"}"#),
        "DIR/bench.jsonl:1: field `options.b`: option label \"b\" is not a single letter A-Z"
    );
    assert_eq!(
        error_of(r#"{"id": "a", "question": "q", "answer_type": "closed", "answer": "maybe"}"#),
        "DIR/bench.jsonl:1: field `answer`: a closed item's answer must be yes or no, found \"maybe\""
    );
    // Options belong to multiple-choice items only, whatever the declared type.
    assert_eq!(
        error_of(
            r#"{"id": "a", "question": "q", "answer_type": "closed", "options": {"A": "x", "B": "y"}, "answer": "yes"}"#
        ),
        "DIR/bench.jsonl:1: field `options`: options are only allowed on mcq items, not closed"
    );
}

#[test]
fn missing_or_corrupt_images_are_named() {
    assert_eq!(
        error_of(
            r#"{"id": "a", "question": "q", "answer": "yes", "images": ["scans/missing.png"]}"#
        ),
        "DIR/bench.jsonl:1: field `images[0]`: image file DIR/scans/missing.png does not exist"
    );
    assert_eq!(
        error_of(
            r#"{"id": "a", "question": "q", "answer": "yes", "images": ["data:image/png;base64,@@@"]}"#
        ),
        "DIR/bench.jsonl:1: field `images[0]`: data: URI payload is not valid base64: Invalid symbol 64, offset 0."
    );
}

#[test]
fn a_byte_order_mark_before_the_first_line_is_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let text = "\u{feff}{\"id\": \"a\", \"question\": \"q\", \"answer\": \"yes\"}\n\
                {\"id\": \"b\", \"question\": \"r\", \"answer\": \"no\"}\n";
    let path = write(dir.path(), "bench.jsonl", text);
    let file = read_items(&path).unwrap();
    let ids: Vec<&str> = file.items.iter().map(|item| item.id.as_str()).collect();
    assert_eq!(ids, ["a", "b"]);
    assert_eq!(file.items[0].answer_type(), AnswerType::Closed);
    // The fingerprint is of the file's bytes, mark included.
    assert_eq!(
        file.sha256,
        medeval_core::digest::sha256_hex(text.as_bytes())
    );
    // Only a mark at the very start is skipped; one later is an error naming its line.
    assert_eq!(
        error_of("{\"id\": \"a\", \"question\": \"q\", \"answer\": \"yes\"}\n\u{feff}{}\n"),
        "DIR/bench.jsonl:2: not valid JSON: expected value (column 1)"
    );
}

#[test]
fn invalid_utf8_names_the_line() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.jsonl");
    std::fs::write(
        &path,
        b"{\"id\": \"a\", \"question\": \"q\", \"answer\": \"yes\"}\n\xff\xfe\n",
    )
    .unwrap();
    let err = read_items(&path).unwrap_err().to_string();
    assert!(
        err.ends_with("bench.jsonl:2: line is not valid UTF-8"),
        "{err}"
    );
}

mod predictions {
    use super::*;
    use medeval_data::read_predictions;

    fn prediction_error(text: &str) -> String {
        let dir = tempfile::tempdir().unwrap();
        let path = write(dir.path(), "preds.jsonl", text);
        read_predictions(&path)
            .expect_err("input should be rejected")
            .to_string()
            .replace(&dir.path().display().to_string(), "DIR")
    }

    #[test]
    fn reads_ids_responses_and_optional_reasoning() {
        let dir = tempfile::tempdir().unwrap();
        let path = write(
            dir.path(),
            "preds.jsonl",
            "{\"id\": 1, \"response\": \"B\"}\n{\"id\": \"q2\", \"response\": \"yes\", \"reasoning\": \"think\"}\n",
        );
        let predictions = read_predictions(&path).unwrap();
        assert_eq!(predictions["1"].response, "B");
        assert_eq!(predictions["q2"].reasoning.as_deref(), Some("think"));
        assert_eq!(predictions["q2"].line, 2);
    }

    #[test]
    fn bad_predictions_name_line_field_and_id() {
        assert_eq!(
            prediction_error("{\"id\": \"a\", \"response\": 3}\n"),
            "DIR/preds.jsonl:1: field `response`: expected a string for id \"a\""
        );
        assert_eq!(
            prediction_error(
                "{\"id\": \"a\", \"response\": \"A\"}\n{\"id\": \"a\", \"response\": \"B\"}\n"
            ),
            "DIR/preds.jsonl:2: field `id`: duplicate id \"a\" (first seen on line 1)"
        );
        assert_eq!(
            prediction_error("{\"id\": \"a\", \"answer\": \"A\"}\n"),
            "DIR/preds.jsonl:1: field `answer`: unknown field; a prediction has id, response, reasoning, refusal"
        );
        assert_eq!(
            prediction_error("{\"id\": \"a\"}\n"),
            "DIR/preds.jsonl:1: field `response`: missing (required) for id \"a\""
        );
    }
}
