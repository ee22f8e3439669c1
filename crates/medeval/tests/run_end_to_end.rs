//! The library's run path without the command line: an items file planned into a spec, run in
//! a session against a real HTTP server on loopback, summarised from the store.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::time::Duration;

use medeval::plan::{self, Planned};
use medeval::{Connection, EndpointModel, ModelSpec, RunSpec, Session, summarize_stored};
use medeval_mockserver::{Fault, MockServer, Reply};
use medeval_probe::Variant;
use medeval_report::SummaryOptions;
use medeval_run::Quiet;

const ITEMS: &str = concat!(
    r#"{"id": "m1", "question": "[m1] Modality?", "options": {"A": "CT", "B": "MRI"}, "answer": "A"}"#,
    "\n",
    r#"{"id": "m2", "question": "[m2] Organ?", "options": {"A": "Liver", "B": "Spleen", "C": "Kidney"}, "answer": "B"}"#,
    "\n",
    r#"{"id": "c1", "question": "[c1] Fracture?", "answer": "yes"}"#,
    "\n",
    r#"{"id": "c2", "question": "[c2] Effusion?", "answer": "no"}"#,
    "\n",
);

fn endpoint(url: String) -> ModelSpec {
    ModelSpec::Endpoint(EndpointModel {
        endpoints: vec![url],
        name: "mock-model".into(),
        api_key_env: None,
        connection: Connection {
            retry_base: Duration::from_millis(1),
            max_attempts: 2,
            ..Connection::default()
        },
    })
}

#[test]
fn a_session_runs_planned_specs_and_their_summaries_say_what_happened() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench.jsonl");
    std::fs::write(&path, ITEMS).unwrap();
    let session_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    // Always answers "A" and "yes"; c2 fails with HTTP 500 on every attempt.
    let server = session_runtime
        .block_on(
            MockServer::builder()
                .rule(|request| {
                    Reply::text(if request.prompt.contains("[c") {
                        "Yes."
                    } else {
                        "The answer is A."
                    })
                })
                .faults(|request| {
                    request.prompt.contains("[c2]").then_some(Fault::Status {
                        code: 500,
                        retry_after: None,
                    })
                })
                .start(),
        )
        .unwrap();
    let settings = RunSpec::builder(endpoint(server.url()));
    let items = plan::items_file(&path, None).unwrap();
    let planned = plan::runs_for(
        &settings,
        items,
        &[
            Variant::parse("circular").unwrap(),
            Variant::parse("no-image").unwrap(),
        ],
        0,
    )
    .unwrap();
    // Circular applies to the two multiple-choice items (2 + 3 rotations); no-image to none.
    let [Planned::Run(circular), Planned::NotApplicable { .. }] = planned.as_slice() else {
        panic!("{planned:?}");
    };
    assert_eq!(circular.items().len(), 5);
    assert_eq!(circular.left_out(), 2);

    let store_path = dir.path().join("runs.db");
    let mut session = Session::new(&store_path).unwrap();
    assert!(!store_path.exists(), "nothing is written before a run");
    let plain = settings
        .build(plan::items_file(&path, None).unwrap(), None)
        .unwrap();
    assert!(session.connect(&plain).unwrap().is_empty());
    let report = session
        .run(plain, false, &Quiet, std::future::pending())
        .unwrap();
    assert_eq!(
        (report.requested, report.answered, report.failed),
        (4, 3, 1)
    );

    let store = session.into_store().unwrap();
    let run = store.load_run(&report.run_id).unwrap();
    let summary = summarize_stored(&run, &SummaryOptions::default());
    // m1 (gold A) and c1 (gold yes) are right, m2 is wrong, c2 ended in error.
    assert_eq!(
        summary
            .summary
            .overall
            .counts
            .get(medeval_core::Outcome::Correct),
        2
    );
    assert_eq!(summary.errors(), 1);
    assert_eq!(summary.missing, 0);
    assert!(!summary.complete, "a run with an error is not complete");
    // The reason is the server's, without the attempt count: one failure mode, one group.
    assert_eq!(
        summary.error_reasons,
        vec![medeval::ErrorReason {
            reason: "HTTP 500: injected failure".into(),
            count: 1,
            examples: vec!["c2".into()],
        }]
    );
    // c2 was attempted twice (one retry), every other item once.
    assert_eq!(server.chat_requests().len(), 5);
    // The accuracy of an unfinished run says how it treats the error, under either policy:
    // 2 of 4 with the error as wrong, 2 of 3 without it.
    let line = medeval::render::incomplete_policy_line(&summary);
    assert!(
        line.contains("counts the 1 sample(s) in error as wrong"),
        "{line}"
    );
    assert_eq!(summary.summary.overall.accuracy, Some(0.5));
    let excluding = SummaryOptions {
        policy: medeval_stats::NonJudgementPolicy::Exclude,
        ..SummaryOptions::default()
    };
    let excluded = summarize_stored(&run, &excluding);
    let line = medeval::render::incomplete_policy_line(&excluded);
    assert!(
        line.contains("leaves out the 1 sample(s) in error"),
        "{line}"
    );
    assert!((excluded.summary.overall.accuracy.unwrap() - 2.0 / 3.0).abs() < 1e-12);
}

/// A 40 × 20 grey-level PNG, written by hand (zlib-compressed rows behind an IHDR chunk).
const PNG_40_BY_20: &str = "iVBORw0KGgoAAAANSUhEUgAAACgAAAAUCAAAAADaLSBnAAAAPElEQVR4nGNgYOMRkpBT0TIws3Hy8AuJSkjLKaqoa+maMG3OohXrtuw6cOzMpRv3nrxiGFU4qnBUIUghAPS1bbCUtI5lAAAAAElFTkSuQmCC";

#[test]
fn each_sample_records_its_images_as_the_item_held_them_and_as_they_were_sent() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("images.jsonl");
    std::fs::write(
        &path,
        format!(
            "{}\n",
            serde_json::json!({"id": "i1", "question": "Which modality?",
                "images": [format!("data:image/png;base64,{PNG_40_BY_20}")],
                "options": {"A": "CT", "B": "MRI"}, "answer": "A"})
        ),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let server = runtime
        .block_on(MockServer::builder().rule(|_| Reply::text("A")).start())
        .unwrap();
    // The longer side is capped at 10 pixels: 40 × 20 is sent as 10 × 5.
    let spec = RunSpec::builder(endpoint(server.url()))
        .images(medeval_core::ImagePolicy {
            encoding: medeval_core::ImageEncoding::Png,
            max_side: Some(10),
        })
        .build(plan::items_file(&path, None).unwrap(), None)
        .unwrap();
    let mut session = Session::new(&dir.path().join("runs.db")).unwrap();
    let report = session
        .run(spec, false, &Quiet, std::future::pending())
        .unwrap();
    let run = session
        .into_store()
        .unwrap()
        .load_run(&report.run_id)
        .unwrap();
    assert_eq!(
        run.samples[0].images,
        vec![medeval_core::ImageGeometry {
            original_width: 40,
            original_height: 20,
            sent_width: 10,
            sent_height: 5,
        }]
    );
    assert_eq!(server.chat_requests().len(), 1);
}
