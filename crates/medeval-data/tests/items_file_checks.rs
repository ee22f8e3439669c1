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

/// Before, only line 2 was reported; the user fixed it, ran again and met line 4, then line 7.
#[test]
fn every_bad_line_is_reported_in_one_error() {
    let text = [
        r#"{"id": "q1", "question": "Modality?", "options": {"A": "CT", "B": "MRI"}, "answer": "A"}"#,
        r#"{'id': 'q2', 'question': 'Organ?', 'answer': 'liver'}"#,
        r#"{"id": "q3", "question": "Fracture?", "answer": "no"}"#,
        r#"{"id": "q4", "answer": "yes"}"#,
        "",
        r#"{"id": "q6", "question": "Organ?", "answer": "spleen"}"#,
        r#"{"id": "q7", "question": "Effusion?", "options": {"A": "yes", "B": "no"}, "answer": "yes", "answer_type": "closed"}"#,
    ]
    .join("\n");
    assert_eq!(
        error_of(&text),
        "DIR/bench.jsonl: 3 problems:\n  \
         DIR/bench.jsonl:2: not valid JSON: key must be a string (column 2)\n  \
         DIR/bench.jsonl:4: field `question`: missing (required)\n  \
         DIR/bench.jsonl:7: field `options`: options are only allowed on mcq items, not closed"
    );
}

#[test]
fn twenty_problems_are_listed_and_the_rest_counted() {
    let text: String = (1..=25)
        .map(|n| format!("{{\"id\": \"q{n}\", \"answer\": \"yes\"}}\n"))
        .collect();
    let mut expected = "DIR/bench.jsonl: 25 problems, the first 20 listed:".to_owned();
    for line in 1..=20 {
        expected.push_str(&format!(
            "\n  DIR/bench.jsonl:{line}: field `question`: missing (required)"
        ));
    }
    expected.push_str("\n  ... and 5 more problems");
    assert_eq!(error_of(&text), expected);
}

#[test]
fn one_bad_line_among_good_ones_is_reported_alone() {
    let text = "{\"id\": \"q1\", \"question\": \"Fracture?\", \"answer\": \"no\"}\n\
                {\"id\": \"q2\", \"question\": \"Organ?\", \"answer\": \"liver\"}\n\
                {\"id\": \"q1\", \"question\": \"Effusion?\", \"answer\": \"yes\"}\n";
    assert_eq!(
        error_of(text),
        "DIR/bench.jsonl:3: field `id`: duplicate id \"q1\" (first seen on line 1)"
    );
}

/// A line over the 16 MiB cap ends the reading: what follows it is not checked.
#[test]
fn a_line_over_the_size_limit_stops_the_list() {
    let long_line = format!("{{\"id\": \"{}\"}}", "x".repeat(16 << 20));
    let text = format!(
        "{{\"id\": \"q1\", \"answer\": \"no\"}}\n\n{long_line}\n{{\"id\": \"q4\", \"answer\": \"no\"}}\n"
    );
    assert_eq!(
        error_of(&text),
        "DIR/bench.jsonl: 2 problems:\n  \
         DIR/bench.jsonl:1: field `question`: missing (required)\n  \
         DIR/bench.jsonl:3: line is longer than 16 MiB, the limit for one JSON Lines line; keep \
         large data (base64 images) in files and name them instead"
    );
}
