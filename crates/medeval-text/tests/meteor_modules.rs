//! METEOR 1.5 with all four modules, against the jar run on data written for these tests.
//!
//! `tests/data/meteor-fixture/` holds a small synonym and paraphrase data set in the jar's
//! formats; `tests/data/meteor_fixture.json` the scores the METEOR 1.5 jar gave texts written
//! for it with that data (`bench/text/make_meteor_fixture.py`). Every score must agree to
//! 1e-9, and the data must load from each layout users point at.

use std::io::Write;
use std::path::Path;

use medeval_text::metrics::meteor::{
    MeteorData, MeteorStats, MeteorText, english_stemmer, meteor_stats_with_data,
};
use serde_json::Value;

const TOLERANCE: f64 = 1e-9;

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/data/meteor-fixture/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn gzip(text: &str) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(text.as_bytes()).expect("gzip");
    encoder.finish().expect("gzip")
}

/// The fixture laid out as extracted files in a folder.
fn extracted_folder(dir: &Path) {
    std::fs::write(dir.join("english.synsets"), fixture("english.synsets")).expect("write");
    std::fs::write(
        dir.join("english.exceptions"),
        fixture("english.exceptions"),
    )
    .expect("write");
    std::fs::write(
        dir.join("paraphrase-en.gz"),
        gzip(&fixture("paraphrase-en.txt")),
    )
    .expect("write");
}

/// The fixture laid out as pycocoevalcap installs the jar: the synonym files inside
/// `meteor-1.5.jar`, the paraphrase table in `data/` beside it.
fn jar_folder(dir: &Path) -> std::path::PathBuf {
    let jar = dir.join("meteor-1.5.jar");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(&jar).expect("jar"));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for name in ["english.synsets", "english.exceptions"] {
        zip.start_file(format!("synonym/{name}"), options)
            .expect("member");
        zip.write_all(fixture(name).as_bytes()).expect("member");
    }
    zip.finish().expect("jar");
    std::fs::create_dir(dir.join("data")).expect("data folder");
    std::fs::write(
        dir.join("data/paraphrase-en.gz"),
        gzip(&fixture("paraphrase-en.txt")),
    )
    .expect("write");
    jar
}

fn recorded() -> Value {
    let path = format!(
        "{}/tests/data/meteor_fixture.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).expect("fixture")).expect("json")
}

/// Scores every recorded item with `data`; returns failures.
fn compare_with_jar(data: &MeteorData) -> Vec<String> {
    let stemmer = english_stemmer();
    let recorded = recorded();
    let mut total = MeteorStats::default();
    let mut failures = Vec::new();
    for item in recorded["items"].as_array().expect("items") {
        let candidate =
            MeteorText::with_data(item["candidate"].as_str().expect("text"), &stemmer, data);
        let references: Vec<MeteorText> = item["references"]
            .as_array()
            .expect("references")
            .iter()
            .map(|r| MeteorText::with_data(r.as_str().expect("text"), &stemmer, data))
            .collect();
        let stats = meteor_stats_with_data(&candidate, &references, data);
        total.add(&stats);
        let want = item["jar"].as_f64().expect("score");
        if (stats.score() - want).abs() > TOLERANCE {
            failures.push(format!(
                "{}: medeval {} jar {want} (jar stats {}; medeval {stats:?})",
                item["id"],
                stats.score(),
                item["jar_stats"]
            ));
        }
    }
    let want = recorded["corpus"].as_f64().expect("corpus");
    if (total.score() - want).abs() > TOLERANCE {
        failures.push(format!("corpus: medeval {} jar {want}", total.score()));
    }
    failures
}

#[test]
fn all_four_modules_match_the_jar_on_fixture_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    extracted_folder(dir.path());
    let data = MeteorData::load(dir.path()).expect("extracted files load");
    let failures = compare_with_jar(&data);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn data_loads_from_the_jar_its_folder_and_the_package_folder() {
    let dir = tempfile::tempdir().expect("tempdir");
    let meteor = dir.path().join("meteor");
    std::fs::create_dir(&meteor).expect("folder");
    let jar = jar_folder(&meteor);
    for path in [jar.as_path(), meteor.as_path(), dir.path()] {
        let data = MeteorData::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(data.source, jar.display().to_string());
        let failures = compare_with_jar(&data);
        assert!(
            failures.is_empty(),
            "{}: {}",
            path.display(),
            failures.join("\n")
        );
    }
}

#[test]
fn a_jar_without_its_paraphrase_table_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let jar = jar_folder(dir.path());
    std::fs::remove_file(dir.path().join("data/paraphrase-en.gz")).expect("remove");
    let message = MeteorData::load(&jar).expect_err("no table").to_string();
    assert!(message.contains("paraphrase-en.gz"), "{message}");
}

/// Hand-checkable: "b a" against "a b" where a and b are synonyms of the reference words.
/// Two synonym matches (weight 0.8) of content words in two chunks: P = R = 0.8,
/// Fmean = 0.8, fragmentation 2/2 = 1, penalty 0.6, score 0.8 * 0.4 = 0.32.
#[test]
fn synonym_matches_count_their_module_weight() {
    let data =
        MeteorData::from_contents("", "heart\n1\ncor\n1\nlung\n2\npulmo\n2\n", "").expect("data");
    let stemmer = english_stemmer();
    let candidate = MeteorText::with_data("pulmo cor", &stemmer, &data);
    let reference = MeteorText::with_data("heart lung", &stemmer, &data);
    let stats = meteor_stats_with_data(&candidate, &[reference], &data);
    assert_eq!(stats.test_content_matches, [0.0, 0.0, 2.0, 0.0]);
    assert_eq!(stats.chunks, 2.0);
    assert!((stats.score() - 0.32).abs() < 1e-12, "{}", stats.score());
}

/// Hand-checkable: a three-word paraphrase of a one-word phrase. Candidate "no evidence of
/// fluid" (`no` and `of` are function words), reference "without fluid" (two content words):
/// `no evidence of` <-> `without` (paraphrase, weight 0.6) and `fluid` (exact), one chunk.
/// Candidate: content 0.75 * (1 + 0.6) + function 0.25 * 0.6 * 2 = 1.5 over weighted length
/// 0.75 * 2 + 0.25 * 2 = 2, P = 0.75; reference: 0.75 * (1 + 0.6) = 1.2 over 1.5, R = 0.8;
/// Fmean = 1 / (0.15 / 0.75 + 0.85 / 0.8) = 1 / 1.2625. Every word is matched in one chunk,
/// so there is no fragmentation penalty.
#[test]
fn paraphrase_matches_span_several_words() {
    let data = MeteorData::from_contents("", "", "0.5\nwithout\nno evidence of\n").expect("data");
    let stemmer = english_stemmer();
    let candidate = MeteorText::with_data("no evidence of fluid", &stemmer, &data);
    let reference = MeteorText::with_data("without fluid", &stemmer, &data);
    let stats = meteor_stats_with_data(&candidate, &[reference], &data);
    assert_eq!(stats.test_content_matches, [1.0, 0.0, 0.0, 1.0]);
    assert_eq!(stats.test_function_matches, [0.0, 0.0, 0.0, 2.0]);
    assert_eq!(stats.ref_content_matches, [1.0, 0.0, 0.0, 1.0]);
    assert_eq!(stats.chunks, 1.0);
    let expected = 1.0 / 1.2625;
    assert!(
        (stats.score() - expected).abs() < 1e-12,
        "{} vs {expected}",
        stats.score()
    );
}
