//! The harness the CLI's end-to-end tests share: run the real `medeval` binary, read what it
//! printed, and snapshot it with what varies between runs replaced by placeholders.
//!
//! Each test file includes it with `mod common;` and then
//! * runs the binary: `medeval(&["show", "--json"])`, or with a working directory or an
//!   environment variable `cli(["run", ...]).current_dir(dir).env("KEY", "value").run()`;
//! * reads the [`Output`]: [`stdout`], [`stderr`], [`json`] (stdout parsed, the test failing with
//!   both streams when it is not JSON), [`assert_success`] (failing with stderr and the exit
//!   code), [`success_json`] (both);
//! * snapshots text with `common::snapshot!(name, text)`, under [`redactions`].
//!
//! Tests that talk to the scripted server [`medeval_mockserver::MockServer`] start it on
//! [`runtime`].

// Every test file uses part of the harness, none all of it (hence also the allowances on
// `snapshot!` below).
#![allow(dead_code)]
// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::ffi::OsStr;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

/// The `medeval` binary Cargo built for these tests.
pub const BIN: &str = env!("CARGO_BIN_EXE_medeval");

/// The crate's directory: fixtures of this and other crates are found from it.
pub fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// One invocation of the binary, configured by chaining and started by [`Cli::run`] (waits for
/// it, capturing both streams) or [`Cli::spawn`] (does not wait).
#[must_use = "a Cli does nothing until it is run"]
pub struct Cli {
    command: Command,
}

/// The binary with these arguments, in the test's working directory and environment.
pub fn cli<I, S>(args: I) -> Cli
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new(BIN);
    command.args(args);
    Cli { command }
}

impl Cli {
    /// Runs in `dir`, so relative paths in the arguments (and in what is printed) are relative
    /// to it.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.command.current_dir(dir);
        self
    }

    /// Sets an environment variable for this invocation only.
    pub fn env(mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) -> Self {
        self.command.env(key, value);
        self
    }

    /// Runs as the user and group `id` (the test process must be root to switch): for tests
    /// whose file permissions must bite, which they do not for root.
    #[cfg(unix)]
    pub fn user(mut self, id: u32) -> Self {
        use std::os::unix::process::CommandExt;
        self.command.uid(id).gid(id);
        self
    }

    /// Runs to the end and returns the exit status and both streams.
    pub fn run(mut self) -> Output {
        self.command
            .output()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"))
    }

    /// Starts without waiting, stdin closed and stdout and stderr as given: for tests that kill
    /// the process or close its pipe.
    pub fn spawn(mut self, stdout: Stdio, stderr: Stdio) -> Child {
        self.command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {BIN}: {e}"))
    }
}

/// The arguments of `medeval run` over the items file `items`, answered by `model` at
/// `endpoints` (each an `--endpoint`), into `store`, without a progress bar, followed by the
/// test's own `flags`. Run them with `cli(&args).run()`.
pub fn run_command(
    items: &Path,
    endpoints: &[&str],
    model: &str,
    store: &Path,
    flags: &[&str],
) -> Vec<String> {
    let mut args = vec!["run".to_owned(), "--items".to_owned(), path_arg(items)];
    for endpoint in endpoints {
        args.extend(["--endpoint".to_owned(), (*endpoint).to_owned()]);
    }
    args.extend([
        "--model".to_owned(),
        model.to_owned(),
        "--store".to_owned(),
        path_arg(store),
        "--no-progress".to_owned(),
    ]);
    args.extend(flags.iter().map(|flag| (*flag).to_owned()));
    args
}

/// A path as a command-line argument (test paths are UTF-8).
fn path_arg(path: &Path) -> String {
    path.to_str().unwrap().to_owned()
}

/// Runs the binary with these arguments to the end: `cli(args).run()`.
pub fn medeval(args: &[&str]) -> Output {
    cli(args).run()
}

/// Runs the binary in `dir` to the end: `cli(args).current_dir(dir).run()`.
pub fn medeval_in(dir: &Path, args: &[&str]) -> Output {
    cli(args).current_dir(dir).run()
}

/// Standard output as text (invalid UTF-8 replaced).
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text (invalid UTF-8 replaced).
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Fails the test, showing the exit code and stderr, unless the command exited with 0.
#[track_caller]
pub fn assert_success(output: &Output) {
    assert!(
        output.status.success(),
        "exit {:?}:\n{}",
        output.status.code(),
        stderr(output)
    );
}

/// Standard output parsed as JSON, whatever the exit status; fails the test, showing both
/// streams, when it is not JSON.
#[track_caller]
pub fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(output),
            stderr(output)
        )
    })
}

/// [`assert_success`], then [`json`].
#[track_caller]
pub fn success_json(output: &Output) -> Value {
    assert_success(output);
    json(output)
}

/// A runtime for the scripted servers a test starts (the binary runs in its own process).
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap()
}

/// `text` with the characters a regular expression gives a meaning to escaped.
fn regex_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// Insta settings replacing what differs from one run of the tests to the next, so snapshots
/// hold only what the command decides. In order:
///
/// | what                                              | becomes      |
/// |---------------------------------------------------|--------------|
/// | the card fixtures of `medeval-data`               | `[FIXTURES]` |
/// | the DICOM fixtures of `medeval-sanity`            | `[DICOM]`    |
/// | a temporary directory of `tempfile`               | `[DIR]`      |
/// | the loopback address of a scripted server         | `[ADDR]`     |
/// | a run id: 8 hex digits, maybe a `-N` suffix (¹)   | `[RUN]`      |
/// | a short hash (of a prompt): 12 hex digits         | `[HASH]`     |
/// | a date and time (`2025-01-31 14:05:09`, RFC 3339) | `[TIME]`     |
/// | an elapsed time (`00:01:30`, `1.2s`, `350ms`)     | `[ELAPSED]`  |
///
/// (¹) An eight-digit number reads as a run id too; snapshots hold none that is not one.
///
/// Full SHA-256 digests (64 hex digits) are kept: they are of files the test wrote, so they are
/// the same on every run.
pub fn redactions() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\S*/medeval-data/tests/fixtures", "[FIXTURES]");
    settings.add_filter(r"\S*/medeval-sanity/tests/fixtures/dicom", "[DICOM]");
    let temp = std::env::temp_dir();
    let temp = temp.to_string_lossy();
    let temp = temp.trim_end_matches('/');
    settings.add_filter(&format!(r"{}/\.tmp\w+", regex_escape(temp)), "[DIR]");
    settings.add_filter(r"127\.0\.0\.1:\d+", "[ADDR]");
    settings.add_filter(r"\b[0-9a-f]{8}(-\d+)?\b", "[RUN]");
    settings.add_filter(r"\b[0-9a-f]{12}\b", "[HASH]");
    settings.add_filter(
        r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?",
        "[TIME]",
    );
    settings.add_filter(r"\b\d{2}:\d{2}:\d{2}\b", "[ELAPSED]");
    settings.add_filter(r"\b(\d+h ?)?(\d+m ?)?\d+(\.\d+)?(ms|s)\b", "[ELAPSED]");
    settings
}

/// `insta::assert_snapshot!(name, value)` under [`redactions`]. The snapshot is named after the
/// calling test file, as a direct `insta::assert_snapshot!` there would be.
#[allow(unused_macros)]
macro_rules! snapshot {
    ($name:expr, $value:expr $(,)?) => {
        $crate::common::redactions().bind(|| {
            insta::assert_snapshot!($name, $value);
        })
    };
}
#[allow(unused_imports)]
pub(crate) use snapshot;
