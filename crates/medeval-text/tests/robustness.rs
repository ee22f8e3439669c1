//! Arbitrary text never panics and never yields empty tokens, in any flavour.
//!
//! Texts are drawn deterministically from a pool of characters that exercise every tokeniser
//! rule (ASCII punctuation, quotes, dashes, digits, combining marks, emoji, deleted and
//! normalised characters, all kinds of whitespace).

use medeval_text::tokenize::Tokenizer;
use medeval_text::{Flavor, Metric, SacreTokenizer, Sample, evaluate};

const POOL: &[&str] = &[
    "a", "Z", "é", "ß", "İ", "Σ", "日", "1", "0", "5", ".", ",", ":", ";", "!", "?", "'", "\"",
    "`", "-", "--", "—", "–", "‐", "…", "...", "(", ")", "[", "]", "{", "}", "<", ">", "&",
    "&amp;", "$", "€", "£", "¢", "₹", "%", "#", "@", "*", "_", "/", "\\", "+", "=", "^", "|", "~",
    "“", "”", "‘", "’", "«", "»", "½", "Ⅳ", "😀", "\u{301}", "\u{ad}", " ", " ", " ", "\t", "\n",
    "\u{a0}", "\u{3000}", "\u{1f}", "n't", "'s", "cannot", "U.S.", "Dr.", "e.g.", "No.", "|||",
    "DOTMULTI", "0.5mm", "T4-5", "1,000", "10:30", "'tis", "o'clock",
];

fn texts(count: usize) -> Vec<String> {
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    (0..count)
        .map(|_| {
            let len = next() % 24;
            (0..len).map(|_| POOL[next() % POOL.len()]).collect()
        })
        .collect()
}

#[test]
fn tokenisers_accept_arbitrary_text() {
    let tokenizers = [
        Tokenizer::CocoPtb,
        Tokenizer::Sacre13a,
        Tokenizer::SacreIntl,
        Tokenizer::Rouge { stem: false },
        Tokenizer::Rouge { stem: true },
    ];
    for text in texts(3000) {
        for tokenizer in tokenizers {
            let tokens = tokenizer.tokenize(&text);
            assert!(
                tokens.iter().all(|t| !t.is_empty()),
                "{tokenizer}: empty token from {text:?}"
            );
        }
    }
}

#[test]
fn every_flavour_scores_arbitrary_text() {
    let all = texts(400);
    let samples: Vec<Sample> = all
        .chunks(4)
        .enumerate()
        .map(|(i, chunk)| Sample {
            id: i.to_string(),
            candidate: chunk[0].clone(),
            references: chunk[1..].to_vec(),
        })
        .collect();
    for (flavor, metrics) in [
        (
            Flavor::Coco,
            vec![
                Metric::Bleu,
                Metric::RougeL,
                Metric::CiderD,
                Metric::MeteorExactStem,
            ],
        ),
        (
            Flavor::Sacrebleu {
                tokenizer: SacreTokenizer::Intl,
            },
            vec![Metric::Bleu],
        ),
        (
            Flavor::RougeScore { stemmer: true },
            vec![Metric::RougeL, Metric::RougeLsum],
        ),
    ] {
        let eval = evaluate(&samples, flavor, &metrics).expect("defined metrics");
        for (key, value) in &eval.corpus {
            assert!(
                value.is_finite() && *value >= 0.0,
                "{flavor} {key} = {value}"
            );
        }
        for item in &eval.items {
            for (key, value) in &item.values {
                assert!(
                    value.is_finite() && *value >= 0.0,
                    "{flavor} item {} {key} = {value}",
                    item.id
                );
            }
        }
    }
}
