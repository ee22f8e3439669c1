//! rouge-score's default tokeniser and the Porter stemmer variant it uses.
//!
//! rouge-score lower-cases the text, replaces every character outside `[a-z0-9]` with a space,
//! splits, stems tokens longer than three characters when asked to, and keeps the tokens that
//! are still `[a-z0-9]+`. The stemmer is NLTK's `PorterStemmer()` in its default
//! `NLTK_EXTENSIONS` mode, which departs from Porter's 1980 paper in a handful of documented
//! places (an irregular-forms table, `ies`/`ied` on four-letter words, `y -> i` only after a
//! consonant, extra step-2 rules `alli`, `bli`, `fulli`, `logi`, and words of at most two
//! letters left alone). Each departure is marked below.

use super::Tokens;

/// Tokenises like `rouge_score.tokenize.tokenize(text, stemmer)`.
pub fn tokenize(text: &str, stem: bool) -> Tokens {
    let mut tokens = Tokens::with_capacity(text.len());
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Tokens| {
        if !current.is_empty() {
            if stem && current.len() > 3 {
                push_stem(current, tokens);
            } else {
                tokens.push(current);
            }
            current.clear();
        }
    };
    for c in text.chars() {
        if c.is_ascii() {
            let lower = c.to_ascii_lowercase();
            if lower.is_ascii_lowercase() || lower.is_ascii_digit() {
                current.push(lower);
            } else {
                flush(&mut current, &mut tokens);
            }
        } else {
            // Python's `str.lower` can turn a few non-ASCII letters into ASCII ones
            // (U+212A KELVIN SIGN -> `k`, U+0130 -> `i` + combining dot).
            for lower in c.to_lowercase() {
                if lower.is_ascii_lowercase() || lower.is_ascii_digit() {
                    current.push(lower);
                } else {
                    flush(&mut current, &mut tokens);
                }
            }
        }
    }
    flush(&mut current, &mut tokens);
    tokens
}

thread_local! {
    /// Per-thread memo of stems: report vocabularies are small, stemming is not.
    static STEMS: std::cell::RefCell<crate::ngram::FastMap<String, String>> =
        std::cell::RefCell::new(crate::ngram::FastMap::default());
}

/// Bound on the memo's size; it is cleared when exceeded.
const STEM_MEMO_CAPACITY: usize = 1 << 20;

fn push_stem(word: &str, tokens: &mut Tokens) {
    STEMS.with(|memo| {
        let mut memo = memo.borrow_mut();
        if let Some(stem) = memo.get(word) {
            tokens.push(stem);
            return;
        }
        let stem = porter_stem(word);
        tokens.push(&stem);
        if memo.len() >= STEM_MEMO_CAPACITY {
            memo.clear();
        }
        memo.insert(word.to_owned(), stem);
    });
}

/// Stems one lower-case ASCII word like NLTK's `PorterStemmer().stem(word)`.
pub fn porter_stem(word: &str) -> String {
    let lower = word.to_ascii_lowercase();
    // NLTK extension: irregular forms.
    if let Some(stem) = irregular_form(&lower) {
        return stem.to_owned();
    }
    // NLTK extension: words of one or two letters are returned unchanged.
    if word.chars().count() <= 2 {
        return lower;
    }
    let mut w: Vec<u8> = lower.into_bytes();
    if !w.is_ascii() {
        return String::from_utf8_lossy(&w).into_owned();
    }
    w = step1a(w);
    w = step1b(w);
    w = step1c(w);
    w = step2(w);
    w = step3(w);
    w = step4(w);
    w = step5a(w);
    w = step5b(w);
    // Only ASCII bytes are ever written, so the fallback is unreachable.
    String::from_utf8(w).unwrap_or_default()
}

fn irregular_form(word: &str) -> Option<&'static str> {
    Some(match word {
        "sky" | "skies" => "sky",
        "dying" => "die",
        "lying" => "lie",
        "tying" => "tie",
        "news" => "news",
        "innings" | "inning" => "inning",
        "outings" | "outing" => "outing",
        "cannings" | "canning" => "canning",
        "howe" => "howe",
        "proceed" => "proceed",
        "exceed" => "exceed",
        "succeed" => "succeed",
        _ => return None,
    })
}

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Porter's consonant test: a `y` is a consonant when it starts the word or follows a vowel.
fn is_consonant(w: &[u8], i: usize) -> bool {
    if is_vowel(w[i]) {
        return false;
    }
    if w[i] == b'y' {
        return i == 0 || !is_consonant(w, i - 1);
    }
    true
}

fn consonant_flags(w: &[u8]) -> Vec<bool> {
    let mut flags: Vec<bool> = Vec::with_capacity(w.len());
    for (i, &c) in w.iter().enumerate() {
        let flag = if is_vowel(c) {
            false
        } else if c == b'y' {
            i == 0 || !flags[i - 1]
        } else {
            true
        };
        flags.push(flag);
    }
    flags
}

/// Porter's measure `m`: the number of vowel-consonant transitions.
fn measure(stem: &[u8]) -> usize {
    let flags = consonant_flags(stem);
    flags.windows(2).filter(|p| !p[0] && p[1]).count()
}

fn contains_vowel(stem: &[u8]) -> bool {
    consonant_flags(stem).iter().any(|c| !c)
}

fn ends_double_consonant(w: &[u8]) -> bool {
    w.len() >= 2 && w[w.len() - 1] == w[w.len() - 2] && is_consonant(w, w.len() - 1)
}

/// `*o`: the stem ends consonant-vowel-consonant and the last is not `w`, `x` or `y`; the NLTK
/// extension also accepts a two-letter vowel-consonant stem.
fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    (n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w[n - 1], b'w' | b'x' | b'y'))
        || (n == 2 && !is_consonant(w, 0) && is_consonant(w, 1))
}

/// One rule of a suffix list: the suffix, its replacement, and the condition on the stem.
type Rule<'a> = (&'a str, &'a str, &'a dyn Fn(&[u8]) -> bool);

/// NLTK's `_apply_rule_list`: the first rule whose suffix matches decides, whether or not
/// its condition holds.
fn apply_rules(w: Vec<u8>, rules: &[Rule<'_>]) -> Vec<u8> {
    for (suffix, replacement, condition) in rules {
        if w.ends_with(suffix.as_bytes()) {
            let stem = &w[..w.len() - suffix.len()];
            if condition(stem) {
                let mut out = stem.to_vec();
                out.extend_from_slice(replacement.as_bytes());
                return out;
            }
            return w;
        }
    }
    w
}

fn replace_suffix(w: &[u8], suffix_len: usize, replacement: &str) -> Vec<u8> {
    let mut out = w[..w.len() - suffix_len].to_vec();
    out.extend_from_slice(replacement.as_bytes());
    out
}

fn always(_: &[u8]) -> bool {
    true
}

fn positive_measure(stem: &[u8]) -> bool {
    measure(stem) > 0
}

fn measure_above_one(stem: &[u8]) -> bool {
    measure(stem) > 1
}

fn step1a(w: Vec<u8>) -> Vec<u8> {
    // NLTK extension: `ties` -> `tie`, `dies` -> `die`.
    if w.ends_with(b"ies") && w.len() == 4 {
        return replace_suffix(&w, 3, "ie");
    }
    apply_rules(
        w,
        &[
            ("sses", "ss", &always),
            ("ies", "i", &always),
            ("ss", "ss", &always),
            ("s", "", &always),
        ],
    )
}

fn step1b(w: Vec<u8>) -> Vec<u8> {
    // NLTK extension: `ied` -> `ie` on four-letter words, `i` otherwise.
    if w.ends_with(b"ied") {
        return replace_suffix(&w, 3, if w.len() == 4 { "ie" } else { "i" });
    }
    if w.ends_with(b"eed") {
        let stem = &w[..w.len() - 3];
        return if measure(stem) > 0 {
            replace_suffix(&w, 1, "")
        } else {
            w
        };
    }
    let mut stem: Option<Vec<u8>> = None;
    for suffix in ["ed", "ing"] {
        if w.ends_with(suffix.as_bytes()) {
            let candidate = &w[..w.len() - suffix.len()];
            if contains_vowel(candidate) {
                stem = Some(candidate.to_vec());
                break;
            }
        }
    }
    let Some(stem) = stem else {
        return w;
    };
    for (suffix, replacement) in [("at", "ate"), ("bl", "ble"), ("iz", "ize")] {
        if stem.ends_with(suffix.as_bytes()) {
            return replace_suffix(&stem, suffix.len(), replacement);
        }
    }
    if ends_double_consonant(&stem) {
        let last = stem[stem.len() - 1];
        return if matches!(last, b'l' | b's' | b'z') {
            stem
        } else {
            stem[..stem.len() - 1].to_vec()
        };
    }
    if measure(&stem) == 1 && ends_cvc(&stem) {
        let mut out = stem;
        out.push(b'e');
        return out;
    }
    stem
}

fn step1c(w: Vec<u8>) -> Vec<u8> {
    // NLTK extension: y -> i only after a consonant that is not the whole stem.
    let condition = |stem: &[u8]| stem.len() > 1 && is_consonant(stem, stem.len() - 1);
    apply_rules(w, &[("y", "i", &condition)])
}

fn step2(w: Vec<u8>) -> Vec<u8> {
    // NLTK extension: `alli` -> `al` is applied first and step 2 runs again.
    if w.ends_with(b"alli") && positive_measure(&w[..w.len() - 4]) {
        return step2(replace_suffix(&w, 4, "al"));
    }
    let whole = w.clone();
    // NLTK extension: `logi` -> `log` when the word minus `ogi` has a positive measure.
    let logi = move |_: &[u8]| positive_measure(&whole[..whole.len() - 3]);
    apply_rules(
        w,
        &[
            ("ational", "ate", &positive_measure),
            ("tional", "tion", &positive_measure),
            ("enci", "ence", &positive_measure),
            ("anci", "ance", &positive_measure),
            ("izer", "ize", &positive_measure),
            // NLTK extension: `bli` -> `ble` replaces the paper's `abli` -> `able`.
            ("bli", "ble", &positive_measure),
            ("alli", "al", &positive_measure),
            ("entli", "ent", &positive_measure),
            ("eli", "e", &positive_measure),
            ("ousli", "ous", &positive_measure),
            ("ization", "ize", &positive_measure),
            ("ation", "ate", &positive_measure),
            ("ator", "ate", &positive_measure),
            ("alism", "al", &positive_measure),
            ("iveness", "ive", &positive_measure),
            ("fulness", "ful", &positive_measure),
            ("ousness", "ous", &positive_measure),
            ("aliti", "al", &positive_measure),
            ("iviti", "ive", &positive_measure),
            ("biliti", "ble", &positive_measure),
            ("fulli", "ful", &positive_measure),
            ("logi", "log", &logi),
        ],
    )
}

fn step3(w: Vec<u8>) -> Vec<u8> {
    apply_rules(
        w,
        &[
            ("icate", "ic", &positive_measure),
            ("ative", "", &positive_measure),
            ("alize", "al", &positive_measure),
            ("iciti", "ic", &positive_measure),
            ("ical", "ic", &positive_measure),
            ("ful", "", &positive_measure),
            ("ness", "", &positive_measure),
        ],
    )
}

fn step4(w: Vec<u8>) -> Vec<u8> {
    let ion = |stem: &[u8]| measure(stem) > 1 && matches!(stem.last(), Some(b's' | b't'));
    apply_rules(
        w,
        &[
            ("al", "", &measure_above_one),
            ("ance", "", &measure_above_one),
            ("ence", "", &measure_above_one),
            ("er", "", &measure_above_one),
            ("ic", "", &measure_above_one),
            ("able", "", &measure_above_one),
            ("ible", "", &measure_above_one),
            ("ant", "", &measure_above_one),
            ("ement", "", &measure_above_one),
            ("ment", "", &measure_above_one),
            ("ent", "", &measure_above_one),
            ("ion", "", &ion),
            ("ou", "", &measure_above_one),
            ("ism", "", &measure_above_one),
            ("ate", "", &measure_above_one),
            ("iti", "", &measure_above_one),
            ("ous", "", &measure_above_one),
            ("ive", "", &measure_above_one),
            ("ize", "", &measure_above_one),
        ],
    )
}

fn step5a(w: Vec<u8>) -> Vec<u8> {
    if w.ends_with(b"e") {
        let stem = &w[..w.len() - 1];
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            return stem.to_vec();
        }
    }
    w
}

fn step5b(w: Vec<u8>) -> Vec<u8> {
    if w.ends_with(b"ll") && measure(&w[..w.len() - 1]) > 1 {
        return w[..w.len() - 1].to_vec();
    }
    w
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected stems are the examples printed in Porter (1980) and NLTK's documentation of
    // its extensions.
    #[test]
    fn porter_paper_examples() {
        for (word, stem) in [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("cats", "cat"),
            ("agreed", "agre"),
            ("plastered", "plaster"),
            ("motoring", "motor"),
            ("hopping", "hop"),
            ("falling", "fall"),
            ("filing", "file"),
            ("happy", "happi"),
            ("relational", "relat"),
            ("generalization", "gener"),
            ("effusions", "effus"),
            ("controlling", "control"),
        ] {
            assert_eq!(porter_stem(word), stem, "{word}");
        }
    }

    #[test]
    fn nltk_extensions() {
        assert_eq!(porter_stem("dying"), "die");
        assert_eq!(porter_stem("ties"), "tie");
        assert_eq!(porter_stem("spied"), "spi");
        assert_eq!(porter_stem("enjoy"), "enjoy");
        assert_eq!(porter_stem("is"), "is");
    }

    #[test]
    fn tokenizer_keeps_lowercase_alphanumeric_runs() {
        assert_eq!(
            tokenize("No pleural-effusion; T4/T5 ok.", false).to_vec(),
            vec!["no", "pleural", "effusion", "t4", "t5", "ok"]
        );
        assert_eq!(
            tokenize("Café naïve", false).to_vec(),
            vec!["caf", "na", "ve"]
        );
        assert_eq!(
            tokenize("Effusions noted", true).to_vec(),
            vec!["effus", "note"]
        );
    }
}
