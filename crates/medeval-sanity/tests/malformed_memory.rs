//! Peak memory while rejecting malformed files: a file may cost what it holds, not what it
//! declares. Alone in its test binary, so that the process's peak resident set (VmHWM) belongs
//! to this test.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use medeval_sanity::{BuildOptions, SanityError, build};

/// The process's peak resident set size, in bytes (Linux).
fn peak_rss() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[test]
fn malformed_files_cost_what_they_hold_not_what_they_declare() {
    let Some(before) = peak_rss() else {
        eprintln!("no /proc/self/status: peak memory not measured");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    // Each file three times over, so that a leak or a per-file allocation would add up.
    for copy in 0..3 {
        for (name, bytes) in common::malformed_files() {
            std::fs::write(dir.path().join(format!("{copy}-{name}")), bytes).unwrap();
        }
    }
    let out = tempfile::tempdir().unwrap();
    let err = build(
        dir.path(),
        &out.path().join("sanity.jsonl"),
        &BuildOptions::default(),
    )
    .unwrap_err();
    let after = peak_rss().unwrap();
    // Several declared lengths are near 4 GB; reading any of them would pass this bound.
    assert!(
        after < before + 200 * 1024 * 1024,
        "peak RSS grew from {before} to {after} bytes"
    );
    // Every file is listed as skipped, each checked at scan time.
    assert!(
        matches!(err, SanityError::NoUsableImages { skipped: 30, .. }),
        "{err}"
    );
}
