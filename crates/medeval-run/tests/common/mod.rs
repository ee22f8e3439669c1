//! What the engine's test files share: the films benchmark's manifest, telling films apart in
//! the scripted server's log, and the store.

use std::collections::BTreeMap;
use std::path::Path;

use medeval_core::{
    Decoding, ImagePolicy, ItemsSource, ModelKind, ModelRecord, PromptTemplate, RunManifest,
    ScorerId,
};
use medeval_mockserver::MockServer;
use medeval_store::{Store, StoredRun};

/// The manifest of the four-film benchmark, answered by the mock model at `server`, greedy
/// (so responses are cached). The engine records the scorer it scores with, whatever this says.
pub fn manifest(server: &MockServer) -> RunManifest {
    RunManifest {
        tool_version: "test".into(),
        items: ItemsSource {
            benchmark: "films".into(),
            path: "films.jsonl".into(),
            sha256: "0f1e2d3c".into(),
            count: 4,
            limit: None,
            card: None,
        },
        prompt: PromptTemplate::default(),
        prompt_sha256: PromptTemplate::default().sha256(),
        model: ModelRecord {
            kind: ModelKind::Endpoint,
            name: "mock-model".into(),
            endpoints: vec![server.url()],
            api_key_env: None,
        },
        decoding: Decoding {
            temperature: Some(0.0),
            ..Decoding::default()
        },
        images: ImagePolicy::default(),
        samples_per_item: 1,
        cache: true,
        scorer: ScorerId::rules(""),
        variant: None,
        started_at: None,
        finished_at: None,
    }
}

/// Which film a prompt (`Film N: ...`) is about.
pub fn film(prompt: &str) -> Option<usize> {
    let rest = &prompt[prompt.find("Film ")? + "Film ".len()..];
    rest.chars().next()?.to_digit(10).map(|d| d as usize)
}

/// How many chat requests the server received for each film.
pub fn requests_per_film(server: &MockServer) -> BTreeMap<usize, usize> {
    let mut counts = BTreeMap::new();
    for request in server.chat_requests() {
        let n = film(request.prompt.as_deref().unwrap_or_default()).unwrap();
        *counts.entry(n).or_default() += 1;
    }
    counts
}

/// A store in `dir`.
pub fn open_store(dir: &Path) -> Store {
    Store::open(&dir.join("runs.db")).unwrap()
}

/// The one run of `store`.
pub fn only_run(store: &Store) -> StoredRun {
    let runs = store.list_runs().unwrap();
    assert_eq!(runs.len(), 1, "one run in the store");
    store.load_run(&runs[0].id).unwrap()
}
