//! Native items files that used to be misread: options with fewer than two entries, and paths
//! that are not regular files. Each file is written by the test itself.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::path::Path;

use medeval_core::AnswerType;
use medeval_data::read_items;

/// The error reading `text` as an items file gives, with the folder shown as `DIR`.
fn error_of(text: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.jsonl");
    std::fs::write(&path, text).unwrap();
    read_items(&path)
        .expect_err("input should be rejected")
        .to_string()
        .replace(&dir.path().display().to_string(), "DIR")
}

/// Before, `"options": {}` made line 2 an open item whose gold answer is the text "A".
#[test]
fn options_with_fewer_than_two_entries_are_an_error_naming_file_line_and_field() {
    let first = r#"{"id": "q1", "question": "Modality?", "options": {"A": "CT", "B": "MRI"}, "answer": "A"}"#;
    let hint = "leave `options` out for an item without choices";
    for (line, found) in [
        (
            r#"{"id": "q2", "question": "Which finding?", "options": {}, "answer": "A"}"#,
            0,
        ),
        // The type given does not make an empty object meaningful.
        (
            r#"{"id": "q2", "question": "Which finding?", "options": {}, "answer": "A", "answer_type": "open"}"#,
            0,
        ),
        (
            r#"{"id": "q2", "question": "Fracture?", "options": {}, "answer": "yes"}"#,
            0,
        ),
        (
            r#"{"id": "q2", "question": "Which finding?", "options": {"A": "Effusion"}, "answer": "A"}"#,
            1,
        ),
    ] {
        assert_eq!(
            error_of(&format!("{first}\n{line}\n")),
            format!(
                "DIR/bench.jsonl:2: field `options`: must have at least two entries, found \
                 {found}; {hint}"
            ),
            "{line}"
        );
    }
}

#[test]
fn items_without_options_are_still_open_or_closed() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.jsonl");
    std::fs::write(
        &path,
        "{\"id\": 1, \"question\": \"Organ?\", \"answer\": \"liver\"}\n\
         {\"id\": 2, \"question\": \"Fracture?\", \"answer\": \"no\", \"options\": null}\n",
    )
    .unwrap();
    let items = read_items(&path).unwrap().items;
    let types: Vec<AnswerType> = items.iter().map(|i| i.answer_type()).collect();
    assert_eq!(types, vec![AnswerType::Open, AnswerType::Closed]);
}

/// Before, `/dev/zero` was read as one endless line until memory ran out.
#[cfg(unix)]
#[test]
fn a_device_is_not_a_regular_file() {
    let error = read_items(Path::new("/dev/zero")).unwrap_err().to_string();
    assert_eq!(
        error,
        "/dev/zero: not a regular file (it is a device, pipe or socket); give a JSON Lines \
         items file"
    );
}

#[test]
fn a_directory_is_not_a_regular_file() {
    let dir = tempfile::tempdir().unwrap();
    let error = read_items(dir.path()).unwrap_err().to_string();
    assert_eq!(
        error,
        format!(
            "{}: not a regular file (it is a directory); give a JSON Lines items file",
            dir.path().display()
        )
    );
}

#[test]
fn a_missing_file_is_reported_as_missing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("absent.jsonl");
    let error = read_items(&path).unwrap_err().to_string();
    assert!(
        error.starts_with(&format!("{}: ", path.display())),
        "{error}"
    );
    assert!(error.contains("No such file or directory"), "{error}");
}
