//! Helpers shared by the integration tests: loading reference data and comparing floats.

#![allow(dead_code)]

use serde_json::Value;

/// Loads `tests/data/<name>`, written by `bench/stats/make_reference.py`.
pub fn reference(name: &str) -> Value {
    let path = format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// The value as f64, panicking with the context if it is not a number.
pub fn number(value: &Value) -> f64 {
    value
        .as_f64()
        .unwrap_or_else(|| panic!("expected a number, found {value}"))
}

/// The value as u64.
pub fn count(value: &Value) -> u64 {
    value
        .as_u64()
        .unwrap_or_else(|| panic!("expected a count, found {value}"))
}

/// The value as a JSON array.
pub fn list(value: &Value) -> &[Value] {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, found {value}"))
}

/// The value as a list of f64.
pub fn numbers(value: &Value) -> Vec<f64> {
    value
        .as_array()
        .unwrap_or_else(|| panic!("expected a list, found {value}"))
        .iter()
        .map(number)
        .collect()
}

/// Asserts |actual - expected| ≤ relative·|expected| + absolute.
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, relative: f64, absolute: f64, context: &str) {
    let tolerance = relative * expected.abs() + absolute;
    assert!(
        (actual - expected).abs() <= tolerance,
        "{context}: got {actual:e}, expected {expected:e} (difference {:e}, tolerance {tolerance:e})",
        (actual - expected).abs()
    );
}
