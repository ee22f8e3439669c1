//! How commands reach a store: one `medeval run` works on a run at a time (a second identical
//! command is refused while the first is alive, and takes over from one that was killed), the
//! commands that only read open the store read-only (a store on read-only media is read, an
//! earlier release's store is left as it was), and a damaged store is named with what is wrong.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Output, Stdio};
use std::time::{Duration, Instant};

use common::{assert_success, json, medeval_in, runtime, stderr};
use medeval_mockserver::{MockServer, Reply};

fn fixture(store: &str, name: &str) -> PathBuf {
    common::manifest_dir()
        .join("tests/fixtures")
        .join(store)
        .join(name)
}

/// A folder with the ten items of the 0.1.0 fixture.
fn items_folder() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("store-0.1", "items.jsonl"),
        dir.path().join("items.jsonl"),
    )
    .unwrap();
    dir
}

/// The command that runs the mock model over the items into `store.db`, against `url`.
fn run_command(url: &str) -> Vec<String> {
    [
        "run",
        "--items",
        "items.jsonl",
        "--endpoint",
        url,
        "--model",
        "mock-model",
        "--store",
        "store.db",
        "--no-progress",
    ]
    .map(str::to_owned)
    .to_vec()
}

/// A server that answers every item right after a minute: a run against it is mid-flight for
/// as long as a test needs.
fn slow_server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(
        MockServer::builder()
            .latency(Duration::from_secs(60))
            .rule(|_| Reply::text("The answer is A."))
            .start(),
    )
    .unwrap()
}

fn fast_server(rt: &tokio::runtime::Runtime) -> MockServer {
    rt.block_on(
        MockServer::builder()
            .rule(|_| Reply::text("The answer is A."))
            .start(),
    )
    .unwrap()
}

/// Starts the run against the slow server and waits until all ten of its requests are in flight.
fn start_first_run(dir: &Path, slow: &MockServer) -> Child {
    let child = common::cli(run_command(&slow.url()))
        .current_dir(dir)
        .spawn(Stdio::null(), Stdio::piped());
    let started = Instant::now();
    while slow.chat_requests().len() < 10 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "the first run never sent its requests"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    child
}

/// This machine's host name, as `uname -n` prints it.
fn host_name() -> String {
    let output = std::process::Command::new("uname")
        .arg("-n")
        .output()
        .unwrap();
    String::from_utf8(output.stdout).unwrap().trim().to_owned()
}

fn signal(child: &Child, name: &str) {
    let status = std::process::Command::new("kill")
        .args([name, &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// The one run in `store.db`.
fn only_run(dir: &Path) -> String {
    let runs = json(&medeval_in(dir, &["runs", "--store", "store.db", "--json"]));
    let runs = runs.as_array().unwrap();
    assert_eq!(runs.len(), 1, "{runs:#?}");
    runs[0]["run"].as_str().unwrap().to_owned()
}

#[test]
fn a_second_identical_run_is_refused_while_the_first_is_requesting() {
    // Ctrl-C and SIGTERM both end the first run cleanly, releasing it.
    for stop in ["-INT", "-TERM"] {
        refused_while_held_then_released_by(stop);
    }
}

/// A second identical command is refused while the first requests; `stop` sent to the first
/// releases the run, and the same command then continues it without taking anything over.
fn refused_while_held_then_released_by(stop: &str) {
    let dir = items_folder();
    let rt = runtime();
    let slow = slow_server(&rt);
    let first = start_first_run(dir.path(), &slow);
    let run = only_run(dir.path());

    let second = common::cli(run_command(&slow.url()))
        .current_dir(dir.path())
        .run();
    let refusal = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{refusal}");
    let holder = format!("process {} on {} (since ", first.id(), host_name());
    assert!(
        refusal.starts_with(&format!(
            "error: store store.db: run {run} is in use by {holder}"
        )),
        "{refusal}"
    );
    assert!(
        refusal.contains(&format!("`kill {}`", first.id())),
        "{refusal}"
    );
    assert!(refusal.contains("--fresh"), "{refusal}");
    assert_eq!(
        slow.chat_requests().len(),
        10,
        "the second command requested nothing"
    );

    // Stopped cleanly, the first releases the run: the same command continues it elsewhere.
    signal(&first, stop);
    let stopped = first.wait_with_output().unwrap();
    assert_eq!(
        stopped.status.code(),
        Some(3),
        "{stop}: {}",
        stderr(&stopped)
    );
    let fast = fast_server(&rt);
    let mut command = run_command(&fast.url());
    command.push("--json".into());
    let continued = common::cli(command).current_dir(dir.path()).run();
    assert_success(&continued);
    assert!(
        !stderr(&continued).contains("took it over"),
        "{stop} left the run held: {}",
        stderr(&continued)
    );
    let summary = json(&continued);
    assert_eq!(summary["run"], run.as_str());
    assert_eq!(summary["complete"], true);
    assert_eq!(fast.chat_requests().len(), 10);
    assert_eq!(only_run(dir.path()), run);
}

#[test]
fn a_run_whose_process_was_killed_is_taken_over_and_the_take_over_reported() {
    let dir = items_folder();
    let rt = runtime();
    let slow = slow_server(&rt);
    let first = start_first_run(dir.path(), &slow);
    let run = only_run(dir.path());
    let pid = first.id();
    // kill -9: no chance to release the run.
    signal(&first, "-KILL");
    first.wait_with_output().unwrap();

    let fast = fast_server(&rt);
    let mut command = run_command(&fast.url());
    command.push("--json".into());
    let continued = common::cli(command).current_dir(dir.path()).run();
    assert_success(&continued);
    let notes = stderr(&continued);
    assert!(
        notes.contains(&format!(
            "note: run {run} was held by process {pid} on {} (since ",
            host_name()
        )),
        "{notes}"
    );
    assert!(
        notes.contains(
            "that process no longer exists on this machine, so this command took it over"
        ),
        "{notes}"
    );
    assert_eq!(json(&continued)["run"], run.as_str());
    assert_eq!(fast.chat_requests().len(), 10);
}

/// Whether the tests run as root, for whom file permissions do not bite.
#[cfg(unix)]
fn running_as_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    let probe = dir.join("owner-probe");
    std::fs::write(&probe, b"").unwrap();
    let root = std::fs::metadata(&probe).unwrap().uid() == 0;
    std::fs::remove_file(probe).unwrap();
    root
}

#[cfg(unix)]
fn set_mode(path: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// The files in `dir`, sorted.
fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The read-only commands on the store `store`, as `run_as` runs them: listing, showing,
/// comparing and tabling its two runs of `items`. Returns each output.
fn read_everything(store: &str, run_as: impl Fn(Vec<String>) -> Output) -> Vec<Output> {
    let listing = run_as(vec![
        "runs".into(),
        "--store".into(),
        store.into(),
        "--json".into(),
    ]);
    assert_success(&listing);
    let runs = json(&listing);
    let ids: Vec<String> = runs
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["benchmark"] == "items" && r["variant"].is_null())
        .map(|r| r["run"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 2, "{runs:#}");
    let owned = |args: &[&str]| args.iter().map(|a| (*a).to_owned()).collect::<Vec<_>>();
    let mut outputs = vec![listing];
    for args in [
        owned(&["show", &ids[0], "--store", store, "--json"]),
        owned(&["compare", &ids[0], &ids[1], "--store", store, "--json"]),
        owned(&[
            "table", &ids[0], &ids[1], "--store", store, "--format", "json",
        ]),
    ] {
        let output = run_as(args.clone());
        // `show` exits 3 for an incomplete run; anything else is a failure.
        assert!(
            matches!(output.status.code(), Some(0 | 3)),
            "{args:?}: exit {:?}: {}",
            output.status.code(),
            stderr(&output)
        );
        json(&output);
        outputs.push(output);
    }
    outputs
}

#[cfg(unix)]
#[test]
fn a_store_on_read_only_media_is_read_without_creating_or_writing_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // As root, permissions do not bite: the commands then run as `nobody`, who may enter the
    // folder but not write to it.
    let as_root = running_as_root(dir.path());
    set_mode(dir.path(), 0o755);
    let media = dir.path().join("media");
    std::fs::create_dir(&media).unwrap();
    let store = media.join("store.db");
    std::fs::copy(fixture("store-schema-2", "store.db"), &store).unwrap();
    std::fs::copy(
        fixture("store-0.1", "items.jsonl"),
        dir.path().join("items.jsonl"),
    )
    .unwrap();
    set_mode(&store, 0o444);
    set_mode(&media, 0o555);
    let before = std::fs::read(&store).unwrap();
    let run_as = |args: Vec<String>| {
        let cli = common::cli(args).current_dir(dir.path());
        if as_root { cli.user(65_534) } else { cli }.run()
    };

    read_everything("media/store.db", run_as);
    assert_eq!(
        files_in(&media),
        ["store.db"],
        "no -wal or -shm was created"
    );
    assert_eq!(
        std::fs::read(&store).unwrap(),
        before,
        "nothing was written"
    );

    // A run needs to write: refused, naming the store and what to do.
    let refused = run_as(
        [
            "run",
            "--items",
            "items.jsonl",
            "--baseline",
            "majority",
            "--store",
            "media/store.db",
        ]
        .map(str::to_owned)
        .to_vec(),
    );
    assert_eq!(refused.status.code(), Some(1));
    let message = stderr(&refused);
    assert!(
        message.contains("store media/store.db: read-only: the file cannot be written"),
        "{message}"
    );
    assert!(
        message.contains("copy it to a writable folder and pass that --store"),
        "{message}"
    );
    assert_eq!(files_in(&media), ["store.db"]);
    assert!(
        std::fs::read(&store).unwrap() == before,
        "nothing was written"
    );
    set_mode(&media, 0o755);
}

#[test]
fn read_only_commands_leave_an_earlier_release_store_as_it_was() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store.db");
    std::fs::copy(fixture("store-0.1", "store.db"), &store).unwrap();
    let before = std::fs::read(&store).unwrap();
    read_everything("store.db", |args| {
        common::cli(args).current_dir(dir.path()).run()
    });
    // Opened for writing, a schema-1 store would have been migrated: its bytes would differ.
    assert!(
        std::fs::read(&store).unwrap() == before,
        "never migrated or written"
    );
}

#[test]
fn a_damaged_store_is_named_with_what_is_wrong_and_what_to_do() {
    let dir = items_folder();
    let store = dir.path().join("store.db");
    let mut bytes = std::fs::read(fixture("store-schema-2", "store.db")).unwrap();
    // The file format's write version: SQLite alone reports "attempt to write a readonly
    // database" for it.
    bytes[18] ^= 0xff;
    std::fs::write(&store, &bytes).unwrap();
    let damage = "store store.db: not a medeval store or corrupt: its header is damaged: the file format versions read 253 and 2, where SQLite writes 1 or 2; check that --store names your store; if it does, restore it from a backup (`sqlite3 FILE .recover` can often save its rows). Nothing was written to it";

    let shown = medeval_in(dir.path(), &["show", "--store", "store.db"]);
    assert_eq!(shown.status.code(), Some(1));
    assert_eq!(stderr(&shown), format!("error: {damage}\n"));

    let rt = runtime();
    let fast = fast_server(&rt);
    let run = common::cli(run_command(&fast.url()))
        .current_dir(dir.path())
        .run();
    assert_eq!(run.status.code(), Some(1));
    assert!(stderr(&run).contains(damage), "{}", stderr(&run));
    assert_eq!(fast.chat_requests().len(), 0);
    assert!(std::fs::read(&store).unwrap() == bytes, "left as it was");
}
