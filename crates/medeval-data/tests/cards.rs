//! Every built-in card against its fixture (`tests/fixtures/<card>/`, written by
//! `bench/fixtures/make_fixtures.py` in the layout the benchmark is downloaded in): rows read,
//! field mapping, answer types, options, images, breakdown metadata, cluster keys, what the
//! manifest records, the rendered prompt, and known responses scored.
//!
//! The expected values are the ones the fixture script writes literally, so these tests check
//! medeval's reading against the upstream schemas rather than against its own output. Rows the
//! card must never read (training splits, few-shot `dev` files, restricted parts) are in the
//! fixtures with questions tagged `[train]`, `[dev]` or `[restricted]`.

// In tests a failed unwrap is a failed test, with its message.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::PathBuf;

use medeval_core::{AnswerType, Image, Item, Outcome};
use medeval_data::{BenchError, Card, CardOrigin, Loaded, RowCountPolicy, builtin_cards, load};
use medeval_score::Response;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn card(name: &str) -> Card {
    builtin_cards()
        .into_iter()
        .find(|card| card.name() == name)
        .unwrap()
}

fn selections(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// Loads a fixture. The fixtures hold a handful of rows, not the card's pinned count, so the
/// mismatch is allowed here (and checked to be recorded); `row_counts_are_enforced` covers the
/// refusal.
fn load_fixture(name: &str, pairs: &[(&str, &str)]) -> Loaded {
    let loaded = load(
        &card(name),
        &selections(pairs),
        &fixture(name),
        RowCountPolicy::AllowMismatch,
    )
    .unwrap();
    for item in &loaded.items {
        for tag in ["[train]", "[dev]", "[restricted]"] {
            assert!(
                !item.question.contains(tag),
                "{name}: read a row it must not: {}",
                item.question
            );
        }
    }
    loaded
}

fn ids(loaded: &Loaded) -> Vec<&str> {
    loaded.items.iter().map(|i| i.id.as_str()).collect()
}

fn item<'l>(loaded: &'l Loaded, id: &str) -> &'l Item {
    loaded.items.iter().find(|i| i.id == id).unwrap()
}

fn options(item: &Item) -> Vec<(char, &str)> {
    item.options
        .iter()
        .map(|(letter, text)| (letter.as_char(), text.as_str()))
        .collect()
}

fn meta(item: &Item, field: &str) -> Option<String> {
    item.group_key(field)
}

fn files(loaded: &Loaded) -> Vec<&str> {
    loaded
        .record
        .files
        .iter()
        .map(|f| f.path.as_str())
        .collect()
}

/// The encoded bytes of an image, however the reader located it.
fn bytes(image: &Image) -> Vec<u8> {
    match image {
        Image::Path(path) => std::fs::read(path).unwrap(),
        Image::Bytes { bytes, .. } => bytes.to_vec(),
        Image::Deferred(source) => source.read().unwrap(),
        Image::Derived { .. } => panic!("readers never derive images"),
    }
}

fn is_png(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\x89PNG\r\n\x1a\n")
}

fn is_jpeg(bytes: &[u8]) -> bool {
    bytes.starts_with(b"\xff\xd8\xff") && bytes.ends_with(b"\xff\xd9")
}

/// Outcome and rule of one response.
fn verdict(item: &Item, response: &str) -> (Outcome, String) {
    let scored = medeval_score::score(item, &Response::new(response));
    (scored.outcome, scored.rule)
}

fn outcome(item: &Item, response: &str) -> Outcome {
    verdict(item, response).0
}

fn preview(card: &Card, item: &Item) -> String {
    card.prompt().render(item).preview()
}

#[test]
fn vqa_rad_reads_parquet_with_image_structs() {
    let loaded = load_fixture("vqa-rad", &[]);
    assert_eq!(loaded.benchmark, "vqa-rad");
    assert_eq!(ids(&loaded), ["0", "1", "2", "3"]);
    assert_eq!(files(&loaded), ["data/test-00000-of-00001-a1b2c3.parquet"]);
    let types: Vec<AnswerType> = loaded.items.iter().map(|i| i.answer_type()).collect();
    assert_eq!(
        types,
        [
            AnswerType::Closed,
            AnswerType::Open,
            AnswerType::Closed,
            AnswerType::Open
        ]
    );
    let [pneumothorax, lung, heart, modality] = loaded.items.as_slice() else {
        panic!("four items expected");
    };
    assert_eq!(pneumothorax.question, "[vr0] Is there a pneumothorax?");
    assert_eq!(pneumothorax.gold.text(), "yes");
    assert_eq!(lung.gold.text(), "Left");
    assert_eq!(heart.gold.text(), "No");
    assert_eq!(modality.gold.text(), "CT");
    assert!(loaded.items.iter().all(|i| i.options.is_empty()));
    // One image each, from the struct's bytes; the first two rows share one image, and so one
    // cluster; the others have their own.
    for item in &loaded.items {
        assert_eq!(item.images.len(), 1);
    }
    assert!(is_jpeg(&bytes(&pneumothorax.images[0])));
    assert!(is_png(&bytes(&heart.images[0])));
    assert_eq!(pneumothorax.cluster, lung.cluster);
    assert_ne!(pneumothorax.cluster, heart.cluster);
    assert_ne!(heart.cluster, modality.cluster);
    assert!(
        pneumothorax
            .cluster
            .as_deref()
            .unwrap()
            .starts_with("sha256:")
    );
    assert_eq!(
        pneumothorax.images[0].describe(),
        "data/test-00000-of-00001-a1b2c3.parquet: row 1: column image"
    );

    let card = card("vqa-rad");
    assert_eq!(
        preview(&card, pneumothorax),
        "<image 1>[vr0] Is there a pneumothorax?\nAnswer with yes or no."
    );
    assert_eq!(
        preview(&card, modality),
        "<image 1>[vr3] What imaging modality is this?\nAnswer the question using a single word or phrase."
    );
    assert_eq!(outcome(pneumothorax, "Yes."), Outcome::Correct);
    assert_eq!(
        outcome(pneumothorax, "No, the lungs are clear."),
        Outcome::Wrong
    );
    // "no" inside "nodule" is not an answer.
    assert_ne!(outcome(heart, "There is a nodule."), Outcome::Correct);
    assert_eq!(outcome(lung, "left"), Outcome::Correct);
    assert_eq!(outcome(modality, "MRI"), Outcome::Wrong);
}

#[test]
fn pathvqa_reads_every_shard_and_row_group_in_order() {
    let loaded = load_fixture("pathvqa", &[]);
    assert_eq!(
        files(&loaded),
        [
            "data/test-00000-of-00002.parquet",
            "data/test-00001-of-00002.parquet"
        ]
    );
    let questions: Vec<&str> = loaded.items.iter().map(|i| &i.question[..5]).collect();
    assert_eq!(questions, ["[pv0]", "[pv1]", "[pv2]", "[pv3]"]);
    assert_eq!(ids(&loaded), ["0", "1", "2", "3"]);
    let answers: Vec<(String, AnswerType)> = loaded
        .items
        .iter()
        .map(|i| (i.gold.text().into_owned(), i.answer_type()))
        .collect();
    let answers: Vec<(&str, AnswerType)> = answers.iter().map(|(a, t)| (a.as_str(), *t)).collect();
    assert_eq!(
        answers,
        [
            ("yes", AnswerType::Closed),
            ("granuloma", AnswerType::Open),
            ("no", AnswerType::Closed),
            ("liver", AnswerType::Open)
        ]
    );
    // Rows are counted per file: the second shard starts again at row 1.
    assert_eq!(
        loaded.items[3].images[0].describe(),
        "data/test-00001-of-00002.parquet: row 1: column image"
    );
    assert!(is_jpeg(&bytes(&loaded.items[3].images[0])));
    assert_eq!(loaded.items[0].cluster, loaded.items[1].cluster);
    assert_ne!(loaded.items[1].cluster, loaded.items[2].cluster);
    assert_eq!(outcome(&loaded.items[1], "Granuloma."), Outcome::Correct);
    assert_eq!(outcome(&loaded.items[2], "no"), Outcome::Correct);
}

#[test]
fn slake_is_english_by_default_and_selections_are_recorded() {
    let english = load_fixture("slake", &[]);
    assert_eq!(english.benchmark, "slake");
    assert_eq!(ids(&english), ["11", "12", "13"]);
    assert_eq!(english.record.selections["lang"], "en");
    assert_eq!(english.record.expected_rows, Some(1061));

    let chinese = load_fixture("slake", &[("lang", "zh")]);
    assert_eq!(chinese.benchmark, "slake:lang=zh");
    assert_eq!(ids(&chinese), ["14", "15"]);
    assert_eq!(chinese.record.expected_rows, Some(1033));

    let all = load_fixture("slake", &[("lang", "all")]);
    assert_eq!(all.benchmark, "slake:lang=all");
    assert_eq!(all.items.len(), 5);
    assert_eq!(all.record.expected_rows, Some(2094));
    // The selection is part of the items' identity.
    assert_ne!(english.fingerprint, chinese.fingerprint);
    assert_ne!(english.fingerprint, all.fingerprint);

    let healthy = item(&all, "11");
    assert_eq!(healthy.answer_type(), AnswerType::Closed);
    assert_eq!(healthy.gold.text(), "No");
    // Upstream labels "Which is bigger, the liver or the spleen?" CLOSED; its gold is not yes/no,
    // so it is an open item, with the upstream label kept for breakdowns.
    let bigger = item(&all, "13");
    assert_eq!(bigger.answer_type(), AnswerType::Open);
    assert_eq!(
        meta(bigger, "upstream_answer_type").as_deref(),
        Some("CLOSED")
    );
    let liver = item(&all, "14");
    assert_eq!(liver.answer_type(), AnswerType::Closed);
    assert_eq!(liver.gold.text(), "是");
    assert_eq!(meta(liver, "q_lang").as_deref(), Some("zh"));
    assert_eq!(meta(liver, "modality").as_deref(), Some("CT"));
    assert_eq!(meta(liver, "location").as_deref(), Some("腹部"));
    assert_eq!(meta(liver, "content_type").as_deref(), Some("Organ"));
    // Images come straight from imgs.zip (members under `imgs/`), clusters from `img_id`.
    assert_eq!(
        healthy.images[0].describe(),
        "imgs.zip:imgs/xmlab1/source.jpg"
    );
    assert!(is_jpeg(&bytes(&healthy.images[0])));
    assert_eq!(healthy.cluster.as_deref(), Some("1"));
    assert_eq!(liver.cluster.as_deref(), Some("2"));

    assert_eq!(outcome(healthy, "No."), Outcome::Correct);
    assert_eq!(outcome(bigger, "The liver"), Outcome::Correct);
    assert_eq!(outcome(liver, "是"), Outcome::Correct);
    assert_eq!(outcome(liver, "否"), Outcome::Wrong);
}

#[test]
fn slake_reads_an_unpacked_image_folder_too() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(
        fixture("slake").join("test.json"),
        dir.path().join("test.json"),
    )
    .unwrap();
    let from_zip = load_fixture("slake", &[]);
    for item in &from_zip.items {
        let member = item.images[0].describe();
        let relative = member.strip_prefix("imgs.zip:").unwrap();
        let path = dir.path().join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes(&item.images[0])).unwrap();
    }
    let loaded = load(
        &card("slake"),
        &BTreeMap::new(),
        dir.path(),
        RowCountPolicy::AllowMismatch,
    )
    .unwrap();
    assert_eq!(
        loaded.items[0].images[0],
        Image::Path(dir.path().join("imgs/xmlab1/source.jpg"))
    );
}

#[test]
fn pmc_vqa_reads_test_2_with_labelled_choices_and_zipped_figures() {
    let loaded = load_fixture("pmc-vqa", &[]);
    assert_eq!(files(&loaded), ["test_2.csv"]);
    assert_eq!(loaded.record.expected_rows, None);
    assert_eq!(loaded.items.len(), 3);
    let uptake = &loaded.items[0];
    assert_eq!(uptake.answer_type(), AnswerType::Mcq);
    assert_eq!(uptake.gold.text(), "B");
    assert_eq!(
        options(uptake),
        [
            ('A', "Diffuse uptake pattern"),
            ('B', "Focal uptake pattern"),
            ('C', "No uptake pattern"),
            ('D', "Cannot determine from the information given")
        ]
    );
    // "A: CT" loses its label and the space after it.
    assert_eq!(
        options(&loaded.items[1]),
        [('A', "CT"), ('B', "MRI"), ('C', "PET"), ('D', "Ultrasound")]
    );
    // A quoted CSV field keeps its quotes and comma.
    assert_eq!(
        loaded.items[2].question,
        "[pm2] What does the arrow, labelled \"a\", point to?"
    );
    assert_eq!(
        uptake.images[0].describe(),
        "images_2.zip:figures/PMC1064097_F1.jpg"
    );
    assert!(is_jpeg(&bytes(&uptake.images[0])));
    assert_eq!(loaded.items[1].cluster, loaded.items[2].cluster);
    assert_eq!(uptake.cluster.as_deref(), Some("PMC1064097_F1.jpg"));

    let card = card("pmc-vqa");
    assert_eq!(
        preview(&card, uptake),
        "<image 1>[pm0] What is the uptake pattern in the breast?\nA. Diffuse uptake pattern\n\
         B. Focal uptake pattern\nC. No uptake pattern\nD. Cannot determine from the information given\n\
         Answer with the option's letter from the given choices directly."
    );
    assert_eq!(outcome(uptake, "B"), Outcome::Correct);
    assert_eq!(outcome(uptake, "The answer is A."), Outcome::Wrong);
    assert_eq!(outcome(uptake, "I cannot tell."), Outcome::Refused);
    assert_eq!(outcome(uptake, "A or B, both fit."), Outcome::Unparsed);
}

#[test]
fn omnimedvqa_reads_every_open_access_file_and_letters_the_gold_text() {
    let loaded = load_fixture("omnimedvqa", &[]);
    assert_eq!(
        files(&loaded),
        [
            "QA_information/Open-access/ACRIMA.json",
            "QA_information/Open-access/Chest CT Scan.json"
        ]
    );
    assert_eq!(
        ids(&loaded),
        [
            "ACRIMA/ACRIMA_0001",
            "ACRIMA/ACRIMA_0002",
            "Chest CT Scan/Chest CT Scan_0001"
        ]
    );
    let glaucoma = item(&loaded, "ACRIMA/ACRIMA_0001");
    assert_eq!(glaucoma.gold.text(), "B");
    assert_eq!(glaucoma.options.len(), 4);
    // Two options only; the gold text differs in case from the option.
    let modality = item(&loaded, "ACRIMA/ACRIMA_0002");
    assert_eq!(
        options(modality),
        [('A', "CT"), ('B', "Fundus Photography")]
    );
    assert_eq!(modality.gold.text(), "B");
    let organ = item(&loaded, "Chest CT Scan/Chest CT Scan_0001");
    assert_eq!(organ.gold.text(), "A");
    assert_eq!(organ.options.len(), 3);
    assert_eq!(
        meta(glaucoma, "question_type").as_deref(),
        Some("Disease Diagnosis")
    );
    assert_eq!(
        meta(glaucoma, "modality").as_deref(),
        Some("Fundus Photography")
    );
    assert_eq!(meta(glaucoma, "dataset").as_deref(), Some("ACRIMA"));
    // One file spells the column `modality`.
    assert_eq!(meta(organ, "modality").as_deref(), Some("CT"));
    assert_eq!(
        glaucoma.images[0],
        Image::Path(fixture("omnimedvqa").join("Images/ACRIMA/Im001.png"))
    );
    assert!(is_png(&bytes(&glaucoma.images[0])));
    assert_eq!(glaucoma.cluster.as_deref(), Some("Images/ACRIMA/Im001.png"));
    assert_eq!(outcome(glaucoma, "B. Glaucoma"), Outcome::Correct);
    assert_eq!(outcome(modality, "A"), Outcome::Wrong);
}

#[test]
fn medxpertqa_mm_keeps_question_types_and_does_not_list_choices_twice() {
    let loaded = load_fixture("medxpertqa-mm", &[]);
    assert_eq!(files(&loaded), ["MM/test.jsonl"]);
    assert_eq!(ids(&loaded), ["MM-1", "MM-2"]);
    let rash = item(&loaded, "MM-1");
    assert_eq!(rash.gold.text(), "C");
    assert_eq!(rash.options.len(), 5);
    assert_eq!(rash.options.values().nth(2).unwrap(), "Lichen planus");
    assert_eq!(meta(rash, "question_type").as_deref(), Some("Reasoning"));
    assert_eq!(meta(rash, "medical_task").as_deref(), Some("Diagnosis"));
    assert_eq!(meta(rash, "body_system").as_deref(), Some("Integumentary"));
    let marked = item(&loaded, "MM-2");
    assert_eq!(
        meta(marked, "question_type").as_deref(),
        Some("Understanding")
    );
    let members: Vec<String> = rash.images.iter().map(Image::describe).collect();
    assert_eq!(
        members,
        [
            "images.zip:images/MM-1-a.jpeg",
            "images.zip:images/MM-1-b.jpeg"
        ]
    );
    assert!(rash.images.iter().all(|image| is_jpeg(&bytes(image))));
    assert_eq!(rash.cluster, None);

    let prompt = preview(&card("medxpertqa-mm"), rash);
    assert_eq!(prompt.matches("(C) Lichen planus").count(), 1);
    assert!(!prompt.contains("C. Lichen planus"));
    assert!(prompt.starts_with("<image 1><image 2>[mx0]"));
    assert_eq!(outcome(rash, "The answer is (C)."), Outcome::Correct);
    assert_eq!(outcome(rash, "E"), Outcome::Wrong);
}

#[test]
fn medxpertqa_text_has_ten_options() {
    let loaded = load_fixture("medxpertqa-text", &[]);
    assert_eq!(files(&loaded), ["Text/test.jsonl"]);
    let first = item(&loaded, "Text-1");
    assert_eq!(first.options.len(), 10);
    assert_eq!(first.gold.text(), "J");
    assert!(first.images.is_empty());
    assert_eq!(meta(first, "question_type").as_deref(), Some("Reasoning"));
    assert_eq!(outcome(first, "J"), Outcome::Correct);
    assert_eq!(
        outcome(item(&loaded, "Text-2"), "Answer: B"),
        Outcome::Correct
    );
}

#[test]
fn mmmu_med_reads_five_subjects_with_python_list_options_and_image_tokens() {
    let loaded = load_fixture("mmmu-med", &[]);
    assert_eq!(loaded.items.len(), 5);
    assert!(files(&loaded).iter().all(|f| f.contains("/validation-")));
    let subjects: Vec<String> = loaded
        .items
        .iter()
        .map(|i| meta(i, "subject").unwrap())
        .collect();
    assert_eq!(
        subjects,
        [
            "Basic_Medical_Science",
            "Clinical_Medicine",
            "Diagnostics_and_Laboratory_Medicine",
            "Pharmacy",
            "Public_Health"
        ]
    );
    let mitosis = item(&loaded, "validation_Basic_Medical_Science_1");
    assert_eq!(
        options(mitosis),
        [('A', "<image 1>"), ('B', "<image 2>"), ('C', "Neither")]
    );
    assert_eq!(mitosis.images.len(), 2);
    assert!(mitosis.images.iter().all(|image| is_png(&bytes(image))));
    let kaposi = item(&loaded, "validation_Clinical_Medicine_1");
    assert_eq!(kaposi.options.values().nth(1).unwrap(), "Kaposi's sarcoma");
    assert_eq!(meta(kaposi, "subfield").as_deref(), Some("Pathology"));
    assert_eq!(meta(kaposi, "topic_difficulty").as_deref(), Some("Hard"));
    let heart_rate = item(&loaded, "validation_Diagnostics_and_Laboratory_Medicine_1");
    assert_eq!(heart_rate.answer_type(), AnswerType::Open);
    assert_eq!(heart_rate.gold.text(), "75");
    assert!(heart_rate.options.is_empty());

    // Images go where the text mentions them.
    let card = card("mmmu-med");
    assert!(preview(&card, mitosis).starts_with("[mm0] Compare <image 1> with <image 2>."));
    assert_eq!(
        card.prompt().render(heart_rate).parts.len(),
        3,
        "text, image, text"
    );
    assert_eq!(outcome(kaposi, "B"), Outcome::Correct);
    assert_eq!(outcome(heart_rate, "75"), Outcome::Correct);
    // Normalised match, not character by character: 750 is not 75.
    assert_eq!(outcome(heart_rate, "750"), Outcome::Wrong);
}

#[test]
fn medqa_reads_the_four_option_jsonl() {
    let loaded = load_fixture("medqa", &[]);
    assert_eq!(files(&loaded), ["test.jsonl"]);
    assert_eq!(ids(&loaded), ["0", "1"]);
    let dysuria = &loaded.items[0];
    assert_eq!(dysuria.gold.text(), "D");
    assert_eq!(dysuria.options.len(), 4);
    assert_eq!(meta(dysuria, "meta_info").as_deref(), Some("step2&3"));
    assert_eq!(outcome(dysuria, "D. Nitrofurantoin"), Outcome::Correct);
    assert_eq!(outcome(&loaded.items[1], "B"), Outcome::Wrong);
}

#[test]
fn medmcqa_reads_zero_based_correct_option_indices() {
    let loaded = load_fixture("medmcqa", &[]);
    assert_eq!(files(&loaded), ["data/validation-00000-of-00001.parquet"]);
    let letters: Vec<String> = loaded
        .items
        .iter()
        .map(|i| i.gold.text().into_owned())
        .collect();
    assert_eq!(letters, ["C", "A", "D"]);
    let scurvy = item(&loaded, "e9ad821a-c438-4965-9f77-760819dfa155");
    assert_eq!(
        options(scurvy),
        [
            ('A', "Vitamin A"),
            ('B', "Vitamin B1"),
            ('C', "Vitamin C"),
            ('D', "Vitamin D")
        ]
    );
    assert_eq!(
        meta(scurvy, "subject_name").as_deref(),
        Some("Biochemistry")
    );
    assert_eq!(meta(scurvy, "topic_name").as_deref(), Some("Vitamins"));
    assert_eq!(
        meta(&loaded.items[2], "choice_type").as_deref(),
        Some("multi")
    );
    // A null topic is absent, not the text "null".
    assert_eq!(meta(&loaded.items[1], "topic_name"), None);
    assert_eq!(outcome(scurvy, "C"), Outcome::Correct);
}

#[test]
fn pubmedqa_reads_only_the_labelled_test_ids_with_their_contexts() {
    let loaded = load_fixture("pubmedqa", &[]);
    assert_eq!(files(&loaded), ["ori_pqal.json", "test_ground_truth.json"]);
    assert_eq!(ids(&loaded), ["21645374", "16418930", "12377809"]);
    let letters: Vec<String> = loaded
        .items
        .iter()
        .map(|i| i.gold.text().into_owned())
        .collect();
    assert_eq!(letters, ["A", "C", "B"]);
    let lace = &loaded.items[0];
    assert_eq!(options(lace), [('A', "yes"), ('B', "no"), ('C', "maybe")]);
    assert_eq!(
        lace.question,
        "Context:\nProgrammed cell death occurs in lace plant leaves.\nMitochondria were observed.\n\
         Question: [pq0] Do mitochondria play a role in remodelling lace plant leaves?"
    );
    assert_eq!(meta(lace, "year").as_deref(), Some("2011"));
    assert_eq!(outcome(&loaded.items[1], "C. maybe"), Outcome::Correct);
    assert_eq!(outcome(&loaded.items[1], "A"), Outcome::Wrong);
}

#[test]
fn medframeqa_sends_every_frame_in_order() {
    let loaded = load_fixture("medframeqa", &[]);
    let [lesion, valve] = loaded.items.as_slice() else {
        panic!("two items expected");
    };
    assert_eq!(lesion.images.len(), 3);
    assert_eq!(valve.images.len(), 2);
    let columns: Vec<String> = lesion.images.iter().map(Image::describe).collect();
    assert_eq!(
        columns,
        [
            "data/test-00000-of-00001.parquet: row 1: column image_1",
            "data/test-00000-of-00001.parquet: row 1: column image_2",
            "data/test-00000-of-00001.parquet: row 1: column image_3"
        ]
    );
    assert!(lesion.images.iter().all(|image| is_png(&bytes(image))));
    assert_eq!(lesion.gold.text(), "B");
    // The gold answer given as the option's text.
    assert_eq!(valve.gold.text(), "A");
    assert_eq!(meta(lesion, "body_system").as_deref(), Some("Digestive"));
    assert_eq!(meta(lesion, "organ").as_deref(), Some("Stomach"));
    assert!(preview(&card("medframeqa"), lesion).starts_with("<image 1><image 2><image 3>[mf0]"));
    assert_eq!(outcome(lesion, "B"), Outcome::Correct);
}

#[test]
fn gmai_mmbench_reads_the_tsv_with_shared_images_and_three_axes() {
    let loaded = load_fixture("gmai-mmbench", &[]);
    assert_eq!(ids(&loaded), ["1", "2", "3"]);
    let disease = item(&loaded, "1");
    assert_eq!(
        options(disease),
        [('A', "Pneumonia"), ('B', "Normal"), ('C', "Edema")]
    );
    assert_eq!(disease.question, "[gm0] Which disease is shown?");
    let organ = item(&loaded, "2");
    assert_eq!(
        organ.question,
        "Hint: The box is red.\n[gm1] Which organ is in the box?"
    );
    assert_eq!(organ.gold.text(), "C");
    // Row 2's image cell is "1": the image of index 1, and so the same cluster.
    assert_eq!(organ.images, disease.images);
    assert_eq!(organ.cluster, disease.cluster);
    assert!(is_png(&bytes(&organ.images[0])));
    let grade = item(&loaded, "3");
    assert_eq!(
        grade.question,
        "[gm2] Grade the lesion\t(\"mild\" or \"severe\")"
    );
    assert!(is_jpeg(&bytes(&grade.images[0])));
    assert_eq!(
        meta(organ, "clinical_vqa_task").as_deref(),
        Some("Organ Recognition")
    );
    assert_eq!(meta(organ, "department").as_deref(), Some("Urology"));
    assert_eq!(
        meta(organ, "perceptual_granularity").as_deref(),
        Some("Box Level")
    );
    let fields = card("gmai-mmbench").breakdown_fields();
    for field in [
        "answer_type",
        "clinical_vqa_task",
        "department",
        "perceptual_granularity",
    ] {
        assert!(fields.iter().any(|f| f == field), "{field}");
    }
    assert_eq!(outcome(organ, "C"), Outcome::Correct);
    assert_eq!(outcome(organ, "E"), Outcome::Wrong);
}

#[test]
fn generic_tsv_card_reads_image_lists() {
    let loaded = load_fixture("vlmevalkit-tsv", &[]);
    let two = item(&loaded, "10");
    assert_eq!(two.images.len(), 2);
    assert!(is_png(&bytes(&two.images[0])));
    assert!(is_jpeg(&bytes(&two.images[1])));
    assert_eq!(meta(two, "l2_category").as_deref(), Some("perception"));
    assert_eq!(item(&loaded, "11").images.len(), 1);
}

#[test]
fn row_counts_are_enforced_unless_allowed_and_recorded() {
    let refused = load(
        &card("vqa-rad"),
        &BTreeMap::new(),
        &fixture("vqa-rad"),
        RowCountPolicy::Enforce,
    )
    .unwrap_err();
    assert!(matches!(
        refused,
        BenchError::RowCount {
            expected: 451,
            found: 4,
            ..
        }
    ));
    assert!(refused.to_string().contains("--allow-row-count-mismatch"));
    let allowed = load_fixture("vqa-rad", &[]);
    assert_eq!(allowed.record.rows, 4);
    assert_eq!(allowed.record.expected_rows, Some(451));
    assert!(allowed.record.row_count_mismatch_allowed);

    // A user card that pins the count the folder has runs under the default policy.
    let text = card("vqa-rad")
        .text()
        .replace("name = \"vqa-rad\"", "name = \"my-vqa-rad\"")
        .replace("expected_rows = 451", "expected_rows = 4");
    let mine = Card::parse(&text, CardOrigin::File("my-vqa-rad.toml".into())).unwrap();
    let loaded = load(
        &mine,
        &BTreeMap::new(),
        &fixture("vqa-rad"),
        RowCountPolicy::Enforce,
    )
    .unwrap();
    assert!(!loaded.record.row_count_mismatch_allowed);
    assert_eq!(loaded.record.origin, "my-vqa-rad.toml");
    assert_eq!(
        loaded.record.sha256,
        medeval_core::digest::sha256_hex(text.as_bytes())
    );
}

#[test]
fn the_manifest_record_pins_card_files_and_split() {
    let loaded = load_fixture("medmcqa", &[]);
    let record = &loaded.record;
    assert_eq!(record.name, "medmcqa");
    assert_eq!(record.origin, "built-in");
    assert_eq!(record.layout, "parquet");
    assert_eq!(record.split, "validation");
    assert_eq!(
        record.sha256,
        medeval_core::digest::sha256_hex(card("medmcqa").text().as_bytes())
    );
    let file = &record.files[0];
    let content =
        std::fs::read(fixture("medmcqa").join("data/validation-00000-of-00001.parquet")).unwrap();
    assert_eq!(file.bytes, content.len() as u64);
    assert_eq!(file.sha256, medeval_core::digest::sha256_hex(&content));
}

/// Cards over credentialed or large data have no committed fixture: `report_cards.rs` builds
/// their folders in each test and checks them the same way.
const BUILT_IN_THEIR_TESTS: [&str; 3] = ["iu-xray", "mimic-cxr", "chexpert-plus"];

#[test]
fn every_card_lists_its_breakdown_fields_and_loads_its_fixture() {
    for card in builtin_cards() {
        if BUILT_IN_THEIR_TESTS.contains(&card.name()) {
            assert!(!fixture(card.name()).exists(), "{}", card.name());
            continue;
        }
        let loaded = load_fixture(card.name(), &[]);
        assert!(!loaded.items.is_empty(), "{}", card.name());
        let fields = card.breakdown_fields();
        assert_eq!(fields[0], "answer_type");
        // Every metadata field the card declares is present on some item of its fixture.
        for field in &fields[1..] {
            assert!(
                loaded.items.iter().any(|i| meta(i, field).is_some()),
                "{}: no item has {field}",
                card.name()
            );
        }
    }
}
