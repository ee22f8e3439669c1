//! Built-in baselines: reference points that answer without a model server.
//!
//! A number means little without the floor it should beat. These answer every item in a
//! documented, deterministic way, and go through the same scorer as a real model:
//!
//! - `random`: a uniformly random option letter (mcq), yes or no (closed), or the gold answer of
//!   a random *other* open item (open). Seeded per item, so the answer to an item does not depend
//!   on which other items were run or in what order.
//! - `majority`: the most frequent gold answer of the item's answer type over the benchmark (the
//!   most frequent letter for mcq). It reads the evaluation labels' distribution, so it is an
//!   oracle prior: the best constant answer, not a fair model.
//! - `blind`: a text-only prior, cross-fitted. Items are split into two halves by a hash of their
//!   cluster key (or id), so items sharing an image stay together. Each item is answered with the
//!   most frequent gold answer, *in the other half*, of the items asking the same question (same
//!   text, same answer type); for mcq, the option whose text is that answer. Without such
//!   neighbours it falls back to the other half's majority for its type. It measures how much of
//!   a benchmark can be answered from the question alone, without ever seeing the item's own
//!   label. (Leave-one-out would be worse than useless here: on a balanced yes/no question it
//!   always picks the answer the item does not have.)
//!
//! Ties are broken by the smallest answer in byte order, so results are reproducible.

use std::collections::{BTreeMap, HashMap};

use medeval_core::digest::Sha256Hasher;
use medeval_core::{AnswerType, Item, Letter};

/// A built-in baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Baseline {
    /// Uniformly random answers, from a seed.
    Random {
        /// The seed, recorded in the model name.
        seed: u64,
    },
    /// The most frequent gold answer per answer type.
    Majority,
    /// The most frequent gold answer among other items with the same question text.
    Blind,
}

impl Baseline {
    /// Every baseline name, for help texts.
    pub const NAMES: [&'static str; 3] = ["random", "majority", "blind"];

    /// Parses `random`, `random:SEED`, `majority` or `blind`.
    pub fn parse(name: &str) -> Option<Self> {
        match name.split_once(':') {
            Some(("random", seed)) => seed.parse().ok().map(|seed| Self::Random { seed }),
            None => match name {
                "random" => Some(Self::Random { seed: 0 }),
                "majority" => Some(Self::Majority),
                "blind" => Some(Self::Blind),
                _ => None,
            },
            _ => None,
        }
    }

    /// The model name recorded in manifests, e.g. `baseline:random:0`.
    pub fn model_name(&self) -> String {
        match self {
            Self::Random { seed } => format!("baseline:random:{seed}"),
            Self::Majority => "baseline:majority".into(),
            Self::Blind => "baseline:blind".into(),
        }
    }

    /// The answer text for every item, keyed by item id. Computed over the whole benchmark at
    /// once because the priors depend on all items.
    pub fn answers(&self, items: &[Item]) -> HashMap<String, String> {
        match self {
            Self::Random { seed } => items
                .iter()
                .map(|item| (item.id.clone(), random_answer(item, items, *seed)))
                .collect(),
            Self::Majority => {
                let priors = Priors::new(items.iter());
                items
                    .iter()
                    .map(|item| (item.id.clone(), priors.answer(item, None)))
                    .collect()
            }
            Self::Blind => blind_answers(items),
        }
    }
}

/// An answer's comparable form: the option text for mcq (so priors carry across option orders),
/// the trimmed, lower-cased answer otherwise.
fn answer_text(item: &Item) -> String {
    let gold = item.gold.text();
    let answer = match item.gold.letter() {
        Some(letter) => item.options.get(&letter).map_or(&*gold, String::as_str),
        None => &gold,
    };
    answer.trim().to_lowercase()
}

/// Gold-answer counts per answer type, and for mcq per letter.
#[derive(Debug, Default)]
struct Priors {
    texts: BTreeMap<AnswerType, BTreeMap<String, usize>>,
    letters: BTreeMap<Letter, usize>,
}

impl Priors {
    fn new<'a>(items: impl Iterator<Item = &'a Item>) -> Self {
        let mut priors = Self::default();
        for item in items {
            priors.add(item, 1);
        }
        priors
    }

    /// Adds (`delta` = 1) or removes (`delta` = -1) one item's gold answer.
    fn add(&mut self, item: &Item, delta: isize) {
        let count = self
            .texts
            .entry(item.answer_type())
            .or_default()
            .entry(answer_text(item))
            .or_default();
        *count = count.saturating_add_signed(delta);
        if let Some(letter) = item.gold_letter() {
            let count = self.letters.entry(letter).or_default();
            *count = count.saturating_add_signed(delta);
        }
    }

    /// The prior's answer for `item`, preferring `preferred_text` when given.
    fn answer(&self, item: &Item, preferred_text: Option<&str>) -> String {
        match item.answer_type() {
            AnswerType::Mcq => {
                if let Some(letter) = preferred_text.and_then(|text| option_with_text(item, text)) {
                    return letter.to_string();
                }
                most_frequent(
                    self.letters
                        .iter()
                        .filter(|(letter, _)| item.options.contains_key(letter))
                        .map(|(letter, count)| (letter.to_string(), *count)),
                )
                .unwrap_or_default()
            }
            _ => preferred_text.map(str::to_owned).unwrap_or_else(|| {
                self.texts
                    .get(&item.answer_type())
                    .and_then(|counts| {
                        most_frequent(counts.iter().map(|(text, count)| (text.clone(), *count)))
                    })
                    .unwrap_or_default()
            }),
        }
    }
}

fn option_with_text(item: &Item, text: &str) -> Option<Letter> {
    item.options
        .iter()
        .find(|(_, option)| option.trim().to_lowercase() == text)
        .map(|(letter, _)| *letter)
}

/// The key with the highest count (> 0); ties go to the smallest key.
fn most_frequent(counts: impl Iterator<Item = (String, usize)>) -> Option<String> {
    counts
        .filter(|(_, count)| *count > 0)
        .max_by(|(a_key, a), (b_key, b)| a.cmp(b).then_with(|| b_key.cmp(a_key)))
        .map(|(key, _)| key)
}

fn blind_answers(items: &[Item]) -> HashMap<String, String> {
    let folds: Vec<bool> = items.iter().map(fold_of).collect();
    let mut answers = HashMap::new();
    for fold in [false, true] {
        // The priors come from the other half only.
        let others: Vec<&Item> = items
            .iter()
            .zip(&folds)
            .filter(|(_, f)| **f != fold)
            .map(|(item, _)| item)
            .collect();
        let priors = Priors::new(others.iter().copied());
        let mut by_question: HashMap<(AnswerType, String), BTreeMap<String, usize>> =
            HashMap::new();
        for other in &others {
            *by_question
                .entry(question_key(other))
                .or_default()
                .entry(answer_text(other))
                .or_default() += 1;
        }
        for (item, _) in items.iter().zip(&folds).filter(|(_, f)| **f == fold) {
            // For mcq, a neighbour's answer only helps if this item offers it as an option.
            let preferred = by_question.get(&question_key(item)).and_then(|counts| {
                most_frequent(
                    counts
                        .iter()
                        .filter(|(text, _)| {
                            item.answer_type() != AnswerType::Mcq
                                || option_with_text(item, text).is_some()
                        })
                        .map(|(text, count)| (text.clone(), *count)),
                )
            });
            answers.insert(item.id.clone(), priors.answer(item, preferred.as_deref()));
        }
    }
    answers
}

fn question_key(item: &Item) -> (AnswerType, String) {
    (item.answer_type(), item.question.trim().to_lowercase())
}

/// The half an item belongs to for cross-fitting: a hash of its cluster key, else its id.
pub(crate) fn fold_of(item: &Item) -> bool {
    let key = item.cluster.as_deref().unwrap_or(&item.id);
    let mut hasher = Sha256Hasher::new();
    hasher.update(b"medeval-blind-fold");
    hasher.update(key.as_bytes());
    hasher.finish_hex().as_bytes()[0] % 2 == 1
}

fn random_answer(item: &Item, items: &[Item], seed: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(item_seed(seed, &item.id));
    match item.answer_type() {
        AnswerType::Mcq => {
            let letters: Vec<&Letter> = item.options.keys().collect();
            letters
                .get(rng.usize(..letters.len().max(1)))
                .map(|l| l.to_string())
                .unwrap_or_default()
        }
        AnswerType::Closed => if rng.bool() { "yes" } else { "no" }.into(),
        AnswerType::Open | AnswerType::Report => {
            let pool: Vec<&Item> = items
                .iter()
                .filter(|other| other.answer_type() == item.answer_type() && other.id != item.id)
                .collect();
            if pool.is_empty() {
                String::new()
            } else {
                pool[rng.usize(..pool.len())].gold.text().into_owned()
            }
        }
    }
}

/// A per-item seed: stable whatever else is in the run.
fn item_seed(seed: u64, id: &str) -> u64 {
    let mut hasher = Sha256Hasher::new();
    hasher.update(&seed.to_le_bytes());
    hasher.update(id.as_bytes());
    let hex = hasher.finish_hex();
    u64::from_str_radix(&hex[..16], 16).unwrap_or(seed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use medeval_core::Gold;
    use medeval_core::{Meta, Options};

    fn mcq(id: &str, question: &str, options: &[&str], gold: char) -> Item {
        let mut opts = Options::new();
        for (i, text) in options.iter().enumerate() {
            opts.insert(Letter::from_index(i).unwrap(), (*text).into());
        }
        Item {
            id: id.into(),
            question: question.into(),
            images: vec![],
            options: opts,
            gold: Gold::Letter(Letter::new(gold).unwrap()),
            meta: Meta::new(),
            cluster: None,
        }
    }

    trait WithCluster {
        fn with_cluster(self, key: &str) -> Self;
    }

    impl WithCluster for Item {
        fn with_cluster(mut self, key: &str) -> Self {
            self.cluster = Some(key.to_owned());
            self
        }
    }

    fn closed(id: &str, question: &str, gold: &str) -> Item {
        Item {
            id: id.into(),
            question: question.into(),
            images: vec![],
            options: Options::new(),
            gold: Gold::read(AnswerType::Closed, gold).unwrap(),
            meta: Meta::new(),
            cluster: None,
        }
    }

    #[test]
    fn names_parse_and_round_trip() {
        assert_eq!(
            Baseline::parse("random"),
            Some(Baseline::Random { seed: 0 })
        );
        assert_eq!(
            Baseline::parse("random:42"),
            Some(Baseline::Random { seed: 42 })
        );
        assert_eq!(Baseline::parse("random:x"), None);
        assert_eq!(Baseline::parse("oracle"), None);
        assert_eq!(
            Baseline::Random { seed: 42 }.model_name(),
            "baseline:random:42"
        );
    }

    #[test]
    fn majority_answers_the_most_frequent_gold_per_type() {
        let items = vec![
            closed("1", "a?", "no"),
            closed("2", "b?", "No"),
            closed("3", "c?", "yes"),
            mcq("4", "m?", &["x", "y", "z"], 'C'),
            mcq("5", "m?", &["x", "y", "z"], 'C'),
            mcq("6", "m?", &["x", "y"], 'A'),
        ];
        let answers = Baseline::Majority.answers(&items);
        assert_eq!(answers["1"], "no");
        assert_eq!(answers["3"], "no");
        assert_eq!(answers["4"], "C");
        // Item 6 offers no C: the most frequent letter it does offer is A.
        assert_eq!(answers["6"], "A");
    }

    #[test]
    fn blind_answers_from_the_other_half_and_never_its_own_gold() {
        let mut items = vec![
            mcq("1", "Which modality?", &["CT", "MR"], 'A'),
            mcq("2", "Which modality?", &["MR", "CT"], 'B'),
            mcq("3", "Which modality?", &["CT", "US"], 'B'),
            mcq("4", "Which modality?", &["US", "CT"], 'A'),
            closed("5", "Is it flipped?", "yes"),
            closed("6", "Is it flipped?", "no"),
            closed("7", "Is it flipped?", "no"),
            closed("8", "Another question?", "yes"),
        ];
        // Put items in halves by hand through their cluster keys: find one key per half.
        let key_in = |half: bool| {
            (0..100)
                .map(|i| format!("k{i}"))
                .find(|k| fold_of(&closed("x", "q", "yes").with_cluster(k)) == half)
                .unwrap()
        };
        let (a, b) = (key_in(false), key_in(true));
        for (item, key) in items.iter_mut().zip([&a, &a, &b, &b, &a, &b, &b, &b]) {
            item.cluster = Some(key.clone());
        }
        let answers = Baseline::Blind.answers(&items);
        // Half a = {1, 2, 5}; half b = {3, 4, 6, 7, 8}.
        // Item 1 sees b's modality answers US (item 3), US (item 4): not an option of 1, so the
        // type majority of half b by letter: B (3) and A (4) tie -> "A".
        assert_eq!(answers["1"], "A");
        // Item 2 (MR, CT) sees US, US: no usable option; letters tie -> "A".
        assert_eq!(answers["2"], "A");
        // Items 3 and 4 see half a: CT (item 1), CT (item 2) -> the option CT: A for 3, B for 4.
        assert_eq!(answers["3"], "A");
        assert_eq!(answers["4"], "B");
        // Item 5 sees half b's "Is it flipped?" answers no, no -> no.
        assert_eq!(answers["5"], "no");
        // Items 6 and 7 see half a's: yes (item 5) -> yes.
        assert_eq!(answers["6"], "yes");
        // Item 8's question is not asked in half a: half a's closed majority, yes.
        assert_eq!(answers["8"], "yes");
    }

    #[test]
    fn random_is_seeded_per_item_and_within_the_options() {
        let items: Vec<Item> = (0..200)
            .map(|i| mcq(&i.to_string(), "q", &["a", "b", "c", "d"], 'A'))
            .collect();
        let first = Baseline::Random { seed: 7 }.answers(&items);
        let subset = Baseline::Random { seed: 7 }.answers(&items[100..]);
        for (id, answer) in &subset {
            assert_eq!(
                &first[id], answer,
                "an item's answer must not depend on the others"
            );
        }
        let a_count = first.values().filter(|a| *a == "A").count();
        assert!(
            (25..=75).contains(&a_count),
            "A chosen {a_count} times of 200"
        );
        assert!(
            first
                .values()
                .all(|a| ["A", "B", "C", "D"].contains(&a.as_str()))
        );
        let other_seed = Baseline::Random { seed: 8 }.answers(&items);
        assert_ne!(first, other_seed);
    }
}
