//! Closed questions answered by restating the finding instead of saying yes or no.
//!
//! Models often answer "Is there a pleural effusion?" with "No pleural effusion is seen." or
//! "There is a small left pleural effusion.". Whether such a statement means yes or no depends
//! on the question (the same "no fracture" answers "Is there a fracture?" with no and "Is the
//! bone intact?" with yes) and on the reach of its negation ("No change in the large pleural
//! effusion" says the effusion is there). So a statement is read only relative to the finding
//! the question asks about, and only for questions of a few shapes:
//!
//! - presence: "Is there (a/an/any/evidence of) X?", "Are there (any) X?", "Does the image
//!   (scan, radiograph, ...) show (demonstrate, reveal) X?", "Is X present (seen, visible)?";
//! - an attribute of an organ: "Is the X enlarged (dilated, distended, thickened)?".
//!
//! Any other question is declined. A statement about some other finding ("There is a
//! pneumothorax" for the effusion question) answers nothing. See `docs/scoring-rules.md` for
//! the full reading; in short, per clause that names the queried finding:
//!
//! - **negated**: a negation reaches the finding ("no", "without", "negative for", "free of",
//!   "absence of", "not", "does not show", "I don't see", across a list: "no consolidation,
//!   effusion, or pneumothorax"), or follows it ("is not seen", "absent", ": none", "has
//!   resolved", "no longer seen"). A negated finding may be more general than the queried one
//!   ("No fracture" answers "Is there a rib fracture?"), never more specific ("No rib fracture"
//!   does not answer "Is there a fracture?");
//! - **asserted**: "there is", "shows", "is seen", "is present", "consistent with", "unchanged",
//!   "no change in", "aside from", a size ("is small"), or the clause is only the finding ("Small
//!   left pleural effusion."), with no negation or hedge before it in the clause. An asserted
//!   finding may be more specific than the queried one ("rib fractures" for "a fracture");
//! - **hedged**: "possible", "may", "cannot be excluded", "suspected", "if", "likely", "?" ...:
//!   no reading.
//!
//! The response's reading is the one all readings share; readings that disagree, or none, are
//! declined.

use medeval_core::YesNo;

/// What a question asks about, in stemmed lower-case words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Query {
    /// Names of the finding whose presence is asked ("pleural effusion"; "splenomegaly" for
    /// "Is the spleen enlarged?").
    findings: Vec<Finding>,
    /// For attribute questions, the organ and the attribute asked about.
    attribute: Option<(Vec<Vec<String>>, Attribute)>,
}

/// One name of a finding: its words up to a preposition (`core`) and a location after it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Finding {
    core: Vec<String>,
    place: Vec<String>,
}

/// An attribute an organ may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Attribute {
    Enlarged,
    Dilated,
    Thickened,
}

impl Attribute {
    fn parse(word: &str) -> Option<Self> {
        match word {
            "enlarged" => Some(Self::Enlarged),
            "dilated" | "distended" => Some(Self::Dilated),
            "thickened" => Some(Self::Thickened),
            _ => None,
        }
    }

    /// Words that say the organ has the attribute.
    fn positive(self) -> &'static [&'static str] {
        match self {
            Self::Enlarged => &["enlarged", "enlargement", "increased"],
            Self::Dilated => &[
                "dilated",
                "distended",
                "dilatation",
                "dilation",
                "distension",
            ],
            Self::Thickened => &["thickened", "thickening"],
        }
    }

    /// Words after "normal" that say it does not ("normal in size", "normal caliber").
    fn normal_aspects(self) -> &'static [&'static str] {
        match self {
            Self::Enlarged => &["size", "sized", "limit"],
            Self::Dilated => &["caliber", "calibre", "size", "diameter"],
            Self::Thickened => &["thickness"],
        }
    }
}

/// Organs whose enlargement has a name of its own, and other names of the organ.
const ORGAN_TERMS: &[(&str, &str, &[&str])] = &[
    (
        "heart",
        "cardiomegaly",
        &["cardiac silhouette", "cardiac size"],
    ),
    ("spleen", "splenomegaly", &[]),
    ("liver", "hepatomegaly", &[]),
];

/// Words that name the image in "Does the image show X?".
const IMAGE_WORDS: &[&str] = &[
    "image",
    "images",
    "scan",
    "radiograph",
    "x-ray",
    "film",
    "study",
    "picture",
    "ct",
    "mri",
    "ultrasound",
    "examination",
];

/// Verbs of "Does the image show X?".
const SHOW_VERBS: &[&str] = &[
    "show",
    "demonstrate",
    "reveal",
    "depict",
    "display",
    "contain",
];

/// Words of "Is X present?".
const PRESENCE_PREDICATES: &[&str] = &[
    "present",
    "seen",
    "visible",
    "noted",
    "identified",
    "evident",
    "shown",
];

/// Prepositions that end a finding's core and start its location ("fracture of the femur").
const PREPOSITIONS: &[&str] = &[
    "of",
    "in",
    "on",
    "at",
    "within",
    "involving",
    "along",
    "under",
    "over",
    "near",
    "around",
];

/// Reads the question of a closed item; `None` for questions of other shapes. The shapes are
/// matched word by word on the question's last sentence (see the module docs).
pub(crate) fn query(question: &str) -> Option<Query> {
    let sentence = question_sentence(question)?;
    let mut words: Vec<&str> = sentence.split(' ').collect();
    // "... in the image", "... on this scan": where to look, not what.
    if let [.., "in" | "on", "the" | "this" | "these", last] = words.as_slice() {
        if IMAGE_WORDS.contains(last) {
            words.truncate(words.len() - 3);
        }
    }
    match words.as_slice() {
        ["is" | "are", "there", rest @ ..] => presence_query(&without_lead(rest)),
        ["does" | "do", "the" | "this" | "these", rest @ ..] => {
            let verb = rest.iter().take(4).position(|w| SHOW_VERBS.contains(w))?;
            let names_image = verb > 0 && IMAGE_WORDS.contains(&rest[verb - 1]);
            names_image.then(|| presence_query(&without_lead(&rest[verb + 1..])))?
        }
        ["is" | "are", middle @ .., last] if !middle.is_empty() => {
            if let Some(attribute) = Attribute::parse(last) {
                let organ = middle.strip_prefix(&["the"]).unwrap_or(middle);
                return attribute_query(&organ.join(" "), attribute);
            }
            if PRESENCE_PREDICATES.contains(last) {
                return presence_query(&without_lead(middle));
            }
            None
        }
        _ => None,
    }
}

/// A finding's words without a leading article and "evidence of" / "signs of" ("a pleural
/// effusion", "any evidence of a fracture").
fn without_lead(words: &[&str]) -> String {
    let mut rest = words;
    for _ in 0..2 {
        if let [first, tail @ ..] = rest {
            if matches!(*first, "a" | "an" | "any" | "the") {
                rest = tail;
            }
        }
        if let [first, "of", tail @ ..] = rest {
            if matches!(
                *first,
                "evidence" | "sign" | "signs" | "finding" | "findings"
            ) {
                rest = tail;
            }
        }
    }
    rest.join(" ")
}

/// The question's last sentence ending in `?`, lower case, without the question mark.
fn question_sentence(question: &str) -> Option<String> {
    let end = question.find('?')?;
    let before = &question[..end];
    let start = before
        .rfind(['.', '\n', ':', '!', '>'])
        .map_or(0, |i| i + 1);
    let sentence = before[start..].trim().to_lowercase();
    let words: Vec<&str> = sentence.split_whitespace().collect();
    (!words.is_empty()).then(|| words.join(" "))
}

fn presence_query(named: &str) -> Option<Query> {
    if named.is_empty() {
        return None;
    }
    let words = words_of(named);
    // "a fracture or dislocation", "which ...": two findings, or not a finding.
    if words.is_empty()
        || words.len() > 8
        || words
            .iter()
            .any(|w| matches!(w.as_str(), "or" | "and" | "which" | "that" | "what" | ","))
    {
        return None;
    }
    let finding = split_place(&words)?;
    let mut attribute = None;
    if let [single] = finding.core.as_slice() {
        if let Some((organ, _, others)) = ORGAN_TERMS.iter().find(|(_, term, _)| term == single) {
            attribute = Some((organ_names(organ, others), Attribute::Enlarged));
        }
    }
    Some(Query {
        findings: vec![finding],
        attribute,
    })
}

fn attribute_query(organ: &str, attribute: Attribute) -> Option<Query> {
    let words = words_of(organ);
    if words.is_empty() || words.len() > 3 {
        return None;
    }
    let joined = words.join(" ");
    let (names, findings) = match ORGAN_TERMS.iter().find(|(o, _, _)| *o == joined) {
        Some((organ, term, others)) if attribute == Attribute::Enlarged => (
            organ_names(organ, others),
            vec![Finding {
                core: vec![(*term).to_owned()],
                place: vec![],
            }],
        ),
        _ => (vec![words], vec![]),
    };
    Some(Query {
        findings,
        attribute: Some((names, attribute)),
    })
}

fn organ_names(organ: &str, others: &[&str]) -> Vec<Vec<String>> {
    std::iter::once(organ)
        .chain(others.iter().copied())
        .map(words_of)
        .collect()
}

/// A finding's words split at its first preposition: "fracture of the left femur".
fn split_place(words: &[String]) -> Option<Finding> {
    let at = words
        .iter()
        .position(|w| PREPOSITIONS.contains(&w.as_str()))
        .unwrap_or(words.len());
    let core: Vec<String> = words[..at]
        .iter()
        .filter(|w| !DETERMINERS.contains(&w.as_str()))
        .cloned()
        .collect();
    let place: Vec<String> = words[at..]
        .iter()
        .filter(|w| !DETERMINERS.contains(&w.as_str()))
        .cloned()
        .collect();
    (!core.is_empty()).then_some(Finding { core, place })
}

/// The stemmed words of a phrase (see [`stem`]), punctuation dropped.
fn words_of(text: &str) -> Vec<String> {
    tokenize(text)
        .into_iter()
        .filter(|t| !t.punct)
        .map(|t| t.stem)
        .collect()
}

/// One token of a response clause.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Token {
    /// Lower case, as written.
    word: String,
    /// Singular form ([`stem`]).
    stem: String,
    /// Punctuation (`,` `:` `(` ...), kept because lists and labels are read from it.
    punct: bool,
}

/// Words (letters, digits, inner `-` and `'`) and single punctuation marks.
fn tokenize(text: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut word = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let c = if c == '’' { '\'' } else { c };
        let inner = matches!(c, '-' | '\'')
            && !word.is_empty()
            && chars.peek().is_some_and(|n| n.is_alphanumeric());
        if c.is_alphanumeric() || inner {
            word.extend(c.to_lowercase());
            continue;
        }
        if !word.is_empty() {
            tokens.push(word_token(std::mem::take(&mut word)));
        }
        if !c.is_whitespace() {
            tokens.push(Token {
                word: c.to_string(),
                stem: c.to_string(),
                punct: true,
            });
        }
    }
    if !word.is_empty() {
        tokens.push(word_token(word));
    }
    tokens
}

fn word_token(word: String) -> Token {
    Token {
        stem: stem(&word),
        word,
        punct: false,
    }
}

/// A plural's singular, enough to match "effusions" with "effusion" and "opacities" with
/// "opacity": `-ies` to `-y`; `-sses`, `-xes`, `-ches`, `-shes` lose `-es`; other `-s` (not
/// `-ss`, `-us`, `-is`) is dropped from words of four letters or more.
fn stem(word: &str) -> String {
    if word.len() > 4 && word.ends_with("ies") {
        return format!("{}y", &word[..word.len() - 3]);
    }
    for ending in ["sses", "xes", "ches", "shes"] {
        if word.ends_with(ending) {
            return word[..word.len() - 2].to_owned();
        }
    }
    let keeps_s = ["ss", "us", "is"].iter().any(|e| word.ends_with(e));
    if word.len() > 3 && word.ends_with('s') && !keeps_s {
        return word[..word.len() - 1].to_owned();
    }
    word.to_owned()
}

/// Determiners, skipped wherever they stand.
const DETERMINERS: &[&str] = &["a", "an", "the", "any", "this", "these", "that", "some"];

/// Words that negate what follows them.
const NEGATIONS: &[&str] = &[
    "no", "without", "not", "nor", "neither", "never", "isn't", "aren't", "wasn't", "weren't",
    "absence", "absent", "negative", "free",
];

/// Negated auxiliaries before a verb of seeing ("does not show", "I don't see").
const NEGATED_AUXILIARIES: &[&str] = &[
    "not", "don't", "doesn't", "didn't", "cannot", "can't", "couldn't", "won't", "dont", "doesnt",
];

/// Verbs of seeing and showing: negated they negate their object, otherwise they assert it.
const SEEING: &[&str] = &[
    "see",
    "sees",
    "seen",
    "show",
    "shows",
    "showing",
    "demonstrate",
    "demonstrates",
    "demonstrating",
    "reveal",
    "reveals",
    "revealing",
    "identify",
    "identified",
    "appreciate",
    "detect",
    "visualize",
    "visualise",
    "depict",
    "depicts",
    "find",
    "notice",
    "observe",
];

/// Words between a negation and its finding that keep the finding in its reach ("no evidence
/// of", "negative for", "free of", "absence of").
const CHAIN_WORDS: &[&str] = &[
    "evidence",
    "sign",
    "finding",
    "suggestion",
    "feature",
    "indication",
    "of",
    "for",
    "radiographic",
    "definite",
    "obvious",
];

/// Modifiers a negated finding may carry and still deny the queried one ("No acute fracture",
/// "no significant effusion").
const BENIGN_MODIFIERS: &[&str] = &[
    "acute",
    "obvious",
    "definite",
    "definitive",
    "significant",
    "visible",
    "evident",
    "apparent",
    "gross",
    "discrete",
    "appreciable",
    "focal",
    "overt",
    "frank",
    "identifiable",
    "radiographic",
    "demonstrable",
    "detectable",
    "underlying",
    "residual",
    "any",
    "other",
];

/// Words that make the whole clause uncertain.
const HEDGES: &[&str] = &[
    "if",
    "whether",
    "may",
    "might",
    "could",
    "would",
    "should",
    "possible",
    "possibly",
    "probable",
    "probably",
    "likely",
    "unlikely",
    "questionable",
    "question",
    "suspected",
    "suspect",
    "suspicious",
    "concern",
    "concerning",
    "suggestive",
    "suggest",
    "suggests",
    "suggesting",
    "suggested",
    "consider",
    "considered",
    "differential",
    "versus",
    "vs",
    "cannot",
    "can't",
    "exclude",
    "excluded",
    "evaluate",
    "evaluation",
    "assess",
    "unclear",
    "uncertain",
    "indeterminate",
    "equivocal",
    "borderline",
    "doubt",
    "history",
    "?",
    "query",
    "rule",
    "ruled",
    "unsure",
    "maybe",
    "perhaps",
    "difficult",
];

/// Words after the finding that deny it.
const NEGATED_AFTER: &[&str] = &[
    "not", "no", "absent", "none", "negative", "resolved", "gone", "isn't", "aren't",
];

/// Words whose negation says the finding persists ("has not changed", "not resolved").
const CHANGES: &[&str] = &[
    "change",
    "changed",
    "changes",
    "increase",
    "increased",
    "decrease",
    "decreased",
    "improve",
    "improved",
    "worsen",
    "worsened",
    "worsening",
    "resolve",
    "resolved",
    "progression",
    "progressed",
    "improvement",
];

/// Words that assert a finding, before or after it.
const ASSERTIONS: &[&str] = &[
    "present",
    "seen",
    "noted",
    "identified",
    "visible",
    "evident",
    "demonstrated",
    "observed",
    "appreciated",
    "unchanged",
    "stable",
    "persistent",
    "persists",
    "again",
    "redemonstrated",
    "shows",
    "show",
    "showing",
    "demonstrates",
    "demonstrating",
    "reveals",
    "revealing",
    "depicts",
    "consistent",
    "compatible",
    "representing",
    "indicating",
    "indicative",
    "positive",
    "with",
    "change",
    "increase",
    "decrease",
    "size",
    "aside",
    "apart",
    "except",
    "besides",
    "there",
    "small",
    "large",
    "moderate",
    "mild",
    "massive",
    "trace",
    "tiny",
    "minimal",
    "loculated",
    "layering",
    "yes",
    "confirmed",
    "residual",
    "changed",
    "increased",
    "decreased",
    "larger",
    "smaller",
    "enlarging",
    "worsened",
    "without",
    "known",
    "see",
    "sees",
];

/// Negations of a verb: before a finding they deny whatever follows ("I don't think there is
/// a fracture"), so no assertion is read after them.
const VERB_NEGATIONS: &[&str] = &[
    "not", "don't", "doesn't", "didn't", "cannot", "can't", "couldn't", "won't", "dont", "doesnt",
    "never", "isn't", "aren't", "wasn't", "weren't", "neither", "nor",
];

/// Words that break a negation's reach ("no pneumothorax is seen, there is ...").
const BREAKS: &[&str] = &[
    "is", "are", "was", "were", "there", "which", "that", "with", "but", "has", "have", "and",
];

/// Words that may follow a finding's name without continuing it as another noun: verbs,
/// prepositions, conjunctions, laterality, sizes. Any other word makes the finding part of a
/// longer noun ("mass effect", "fracture fragments", "pneumonia risk"): another finding.
const AFTER_FINDING: &[&str] = &[
    "is",
    "are",
    "was",
    "were",
    "be",
    "been",
    "has",
    "have",
    "had",
    "appears",
    "appear",
    "seems",
    "seem",
    "also",
    "again",
    "still",
    "now",
    "which",
    "that",
    "to",
    "or",
    "nor",
    "and",
    "but",
    "with",
    "without",
    "measuring",
    "following",
    "after",
    "since",
    "post",
    "line",
    "lines",
    "bilaterally",
    "bilateral",
    "left",
    "right",
    "not",
    "no",
    "cannot",
    "can't",
    "isn't",
    "aren't",
    "wasn't",
    "weren't",
    "seen",
    "noted",
    "present",
    "identified",
    "visible",
    "evident",
    "demonstrated",
    "observed",
    "appreciated",
    "unchanged",
    "stable",
    "persists",
    "persistent",
    "absent",
    "resolved",
    "none",
    "consistent",
    "compatible",
    "larger",
    "smaller",
    "greater",
    "more",
    "than",
    "over",
    "above",
    "exceeding",
    "may",
    "might",
    "could",
    "would",
    "should",
    "will",
    "as",
    "if",
    "versus",
    "vs",
    "rather",
    "suspected",
    "likely",
    "unlikely",
    "possible",
    "probable",
    "found",
    "detected",
    "shown",
    "confirmed",
    "remains",
    "remain",
    "increased",
    "decreased",
    "improved",
    "worsened",
    "redemonstrated",
    "in",
    "on",
    "at",
    "of",
    "within",
    "involving",
    "along",
    "under",
    "near",
    "around",
    "for",
    "from",
    "by",
    "here",
    "there",
    "either",
    "both",
    "only",
    "alone",
    "yes",
    "negative",
    "positive",
    "small",
    "large",
    "moderate",
    "mild",
    "massive",
    "trace",
    "tiny",
    "minimal",
    "loculated",
    "layering",
    "apparent",
    "visualized",
    "visualised",
    "noticed",
];

/// Words after a negated finding that narrow what is denied ("no nodule larger than 5 mm",
/// "no fracture measuring ..."): the negation says nothing of the rest.
const NARROWING: &[&str] = &[
    "larger",
    "greater",
    "bigger",
    "more",
    "over",
    "above",
    "exceeding",
    "measuring",
    "than",
    ">",
    "≥",
    "smaller",
    "less",
];

/// Sides and levels: a negation that names one ("no effusion on the right") leaves the other
/// open.
const LATERALITY: &[&str] = &[
    "left",
    "right",
    "upper",
    "lower",
    "apical",
    "basal",
    "base",
    "apex",
    "unilateral",
    "medial",
    "lateral",
    "anterior",
    "posterior",
    "proximal",
    "distal",
];

/// Words that carry a negation to a finding through a raised verb ("does not appear to be a
/// pleural effusion").
const RAISING: &[&str] = &["appear", "appears", "seem", "seems", "to", "be"];

/// Words after "not" that deny a finding's presence ("is not seen"); "not" before any other
/// word denies something else ("not large", "not significant").
const PRESENCE_WORDS: &[&str] = &[
    "seen",
    "present",
    "identified",
    "visible",
    "visualized",
    "visualised",
    "evident",
    "demonstrated",
    "appreciated",
    "noted",
    "detected",
    "observed",
    "found",
    "apparent",
    "shown",
    "there",
    "longer",
];

/// Clause boundaries inside a sentence: contrasts.
const CONTRASTS: &[&str] = &[
    "but", "however", "although", "though", "whereas", "while", "yet",
];

/// How one clause speaks of the finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    Negated,
    Asserted,
    Hedged,
}

/// How a finding named in a response relates to the queried one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    /// The same finding, or a more specific one ("small left pleural effusion" for "pleural
    /// effusion"): asserted, it answers yes.
    specific: bool,
    /// The same finding, or a more general one ("effusion", "acute fracture" for "fracture"):
    /// negated, it answers no.
    general: bool,
}

/// Reads `text` (a prepared response) relative to `query`: `Some` when every clause that names
/// the queried finding reads the same way. With `last_unfinished` (a response cut inside its
/// last sentence), that sentence is not read as a bare finding: "Pleural effusion," may have
/// gone on "if present, would ...".
pub(crate) fn read(text: &str, query: &Query, last_unfinished: bool) -> Option<YesNo> {
    if !may_name(text, query) {
        return None;
    }
    let sentences: Vec<Vec<Vec<Token>>> = sentences(text).map(clauses).collect();
    read_sentences(&sentences, query, last_unfinished)
}

/// Whether `text` may name the queried finding or organ: it holds the head word's spelling
/// (without a final "y", so "opacities" holds "opacit"), in any case. Most responses that do not
/// are not split into words at all.
fn may_name(text: &str, query: &Query) -> bool {
    let heads = query.findings.iter().filter_map(|f| f.core.last());
    let organs = query
        .attribute
        .iter()
        .flat_map(|(names, _)| names.iter().filter_map(|n| n.first()));
    heads.chain(organs).any(|word| {
        let key = word.strip_suffix('y').unwrap_or(word);
        crate::commit::contains_ascii_ci(text, key)
    })
}

/// [`read`] on a response already split into sentences of clauses.
fn read_sentences(
    sentences: &[Vec<Vec<Token>>],
    query: &Query,
    last_unfinished: bool,
) -> Option<YesNo> {
    let mut found: Option<YesNo> = None;
    for (n, clauses) in sentences.iter().enumerate() {
        let bare_finding_allowed = !(last_unfinished && n + 1 == sentences.len());
        // A hedge anywhere in the sentence ("No obvious effusion, although a small one cannot
        // be excluded") leaves every mention in it open.
        let sentence_hedged = clauses.iter().any(|c| hedged(c));
        for clause in clauses {
            let readings = clause_readings(clause, query, bare_finding_allowed);
            if sentence_hedged && !readings.is_empty() {
                return None;
            }
            for reading in readings {
                let answer = match reading {
                    Reading::Negated => YesNo::No,
                    Reading::Asserted => YesNo::Yes,
                    Reading::Hedged => return None,
                };
                match found {
                    Some(earlier) if earlier != answer => return None,
                    _ => found = Some(answer),
                }
            }
        }
    }
    found
}

/// How a response speaks of each option's text, read as a finding ("The image shows a
/// pneumothorax" asserts the option "Pneumothorax"; "There is no pleural effusion" denies the
/// option "Pleural effusion"): per option, `Some` only when every clause that names it agrees.
/// The response is split into clauses once for all options.
pub(crate) fn option_statements(text: &str, options: &[&str]) -> Vec<Option<YesNo>> {
    let queries: Vec<Option<Query>> = options.iter().map(|o| presence_query(o)).collect();
    if !queries.iter().flatten().any(|q| may_name(text, q)) {
        return vec![None; options.len()];
    }
    let sentences: Vec<Vec<Vec<Token>>> = sentences(text).map(clauses).collect();
    queries
        .iter()
        .map(|query| read_sentences(&sentences, query.as_ref()?, false))
        .collect()
}

/// A response that is only a presence or absence word ("Absent.", "None seen.", "Present, on
/// the left.", "Not enlarged."), read against the question.
pub(crate) fn read_ellipsis(text: &str, query: &Query) -> Option<YesNo> {
    let sentences: Vec<&str> = sentences(text).filter(|s| !is_blank_sentence(s)).collect();
    let [sentence] = sentences.as_slice() else {
        return None;
    };
    let first = sentence.split(',').next().unwrap_or("");
    let rest: Vec<Token> = tokenize(&sentence[first.len()..]);
    // What follows a comma may only place the finding ("on the left").
    if rest.iter().any(|t| {
        !t.punct
            && (HEDGES.contains(&t.word.as_str())
                || NEGATIONS.contains(&t.word.as_str())
                || BREAKS.contains(&t.word.as_str()))
    }) {
        return None;
    }
    let words: Vec<String> = tokenize(first)
        .into_iter()
        .filter(|t| !t.punct)
        .map(|t| t.word)
        .collect();
    let words: Vec<&str> = words.iter().map(String::as_str).collect();
    if let Some((_, attribute)) = &query.attribute {
        return attribute_ellipsis(&words, *attribute);
    }
    match words.as_slice() {
        ["present"] | ["seen"] | ["positive"] | ["visible"] => Some(YesNo::Yes),
        ["absent"] | ["none"] | ["negative"] => Some(YesNo::No),
        [
            "not",
            "seen" | "present" | "identified" | "visible" | "visualized" | "evident",
        ] => Some(YesNo::No),
        [
            "none",
            "seen" | "identified" | "present" | "visible" | "noted",
        ] => Some(YesNo::No),
        _ => None,
    }
}

fn attribute_ellipsis(words: &[&str], attribute: Attribute) -> Option<YesNo> {
    match words {
        [word] if attribute.positive().contains(word) => Some(YesNo::Yes),
        ["not", word] if attribute.positive().contains(word) => Some(YesNo::No),
        ["normal"] => Some(YesNo::No),
        ["normal", aspect] | ["normal", "in", aspect]
            if attribute.normal_aspects().contains(aspect) =>
        {
            Some(YesNo::No)
        }
        _ => None,
    }
}

fn is_blank_sentence(s: &str) -> bool {
    !s.chars().any(char::is_alphanumeric)
}

/// The sentences of a response: split at `.`, `!`, `;`, line breaks and `。` (a `.` between
/// digits does not end one); questions (ending in `?`) are dropped, so an echoed question is
/// never read as a statement.
fn sentences(text: &str) -> impl Iterator<Item = &str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let next = chars.peek().map(|&(_, n)| n);
        let ends = match c {
            '.' => !next.is_some_and(|n| n.is_ascii_digit()),
            '!' | ';' | '\n' | '。' | '?' | '；' | '！' | '？' => true,
            _ => false,
        };
        if ends {
            if !matches!(c, '?' | '？') {
                pieces.push(&text[start..i]);
            }
            start = i + c.len_utf8();
        }
    }
    pieces.push(&text[start..]);
    pieces.into_iter()
}

/// The clauses of a sentence: split before contrasting words ("but", "however" ...) and before
/// ", and the" / ", and there".
fn clauses(sentence: &str) -> Vec<Vec<Token>> {
    let tokens = tokenize(sentence);
    let starts_clause = |i: usize| {
        let word = tokens[i].word.as_str();
        CONTRASTS.contains(&word)
            || word == "and"
                && i > 0
                && tokens[i - 1].word == ","
                && tokens
                    .get(i + 1)
                    .is_some_and(|n| matches!(n.word.as_str(), "the" | "there"))
    };
    let mut out: Vec<Vec<Token>> = vec![Vec::new()];
    let boundaries: Vec<bool> = (0..tokens.len()).map(starts_clause).collect();
    for (token, boundary) in tokens.into_iter().zip(boundaries) {
        if boundary {
            out.push(Vec::new());
            // The contrast word itself belongs to neither clause; "and" starts the new one.
            if CONTRASTS.contains(&token.word.as_str()) {
                continue;
            }
        }
        if let Some(clause) = out.last_mut() {
            clause.push(token);
        }
    }
    out.retain(|c| c.iter().any(|t| !t.punct));
    out
}

/// The readings of every mention of the queried finding (or organ) in one clause.
fn clause_readings(clause: &[Token], query: &Query, bare_finding_allowed: bool) -> Vec<Reading> {
    let mut readings = Vec::new();
    for finding in &query.findings {
        for (start, end, how) in mentions(clause, finding) {
            if let Some(reading) = mention_reading(clause, start, end, how, bare_finding_allowed) {
                readings.push(reading);
            }
        }
    }
    if let Some((names, attribute)) = &query.attribute {
        for name in names {
            for (start, end) in organ_mentions(clause, name) {
                if let Some(reading) = attribute_reading(clause, start, end, *attribute) {
                    readings.push(reading);
                }
            }
        }
    }
    readings
}

/// Where a clause names `finding` (token range of the named finding) and how it relates.
fn mentions(clause: &[Token], finding: &Finding) -> Vec<(usize, usize, Match)> {
    let Some(head) = finding.core.last() else {
        return Vec::new();
    };
    let mut found = Vec::new();
    for (i, token) in clause.iter().enumerate() {
        if token.punct || token.stem != *head {
            continue;
        }
        let continues = clause
            .get(i + 1)
            .is_some_and(|n| !n.punct && !AFTER_FINDING.contains(&n.word.as_str()));
        if continues {
            continue;
        }
        // The noun phrase's modifiers, leftwards.
        let mut start = i;
        while start > 0 && is_modifier(&clause[start - 1]) {
            start -= 1;
        }
        let named: Vec<&str> = clause[start..=i].iter().map(|t| t.stem.as_str()).collect();
        let (place, end) = place_after(clause, i + 1);
        let core: Vec<&str> = finding.core.iter().map(String::as_str).collect();
        let wanted_place: Vec<&str> = finding.place.iter().map(String::as_str).collect();
        let specific = named.ends_with(&core) && (wanted_place.is_empty() || place == wanted_place);
        let essential: Vec<&str> = named
            .iter()
            .copied()
            .filter(|w| !BENIGN_MODIFIERS.contains(w))
            .collect();
        let general = core.ends_with(&essential)
            && !essential.is_empty()
            && (place.is_empty() || place == wanted_place || is_meta_place(&place));
        if specific || general {
            found.push((start, end, Match { specific, general }));
        }
    }
    found
}

/// Whether a token can modify the noun after it (an adjective or noun, not a function word).
fn is_modifier(token: &Token) -> bool {
    let w = token.word.as_str();
    !token.punct
        && !DETERMINERS.contains(&w)
        && !NEGATIONS.contains(&w)
        && !HEDGES.contains(&w)
        && !BREAKS.contains(&w)
        && !SEEING.contains(&w)
        && !CHAIN_WORDS.contains(&w)
        && !PREPOSITIONS.contains(&w)
        && !CHANGES.contains(&w)
        && !matches!(
            w,
            "be" | "been"
                | "appears"
                | "appear"
                | "to"
                | "from"
                | "i"
                | "we"
                | "it"
                | "or"
                | "nor"
                | "after"
                | "before"
                | "by"
                | "as"
                | "consistent"
                | "compatible"
                | "positive"
                | "also"
                | "seen"
                | "noted"
                | "present"
        )
}

/// A location phrase after a finding ("of the left femur", "in the right lower lobe"): its
/// stemmed words without determiners, and the token index where it ends.
fn place_after(clause: &[Token], from: usize) -> (Vec<&str>, usize) {
    let Some(first) = clause.get(from) else {
        return (Vec::new(), from);
    };
    if !PREPOSITIONS.contains(&first.word.as_str()) {
        return (Vec::new(), from);
    }
    let mut end = from + 1;
    while clause
        .get(end)
        .is_some_and(|t| is_modifier(t) || DETERMINERS.contains(&t.word.as_str()))
    {
        end += 1;
    }
    if end == from + 1 {
        return (Vec::new(), from);
    }
    let words = clause[from..end]
        .iter()
        .filter(|t| !DETERMINERS.contains(&t.word.as_str()))
        .map(|t| t.stem.as_str())
        .collect();
    (words, end)
}

/// "on this image", "in the prior study": where the statement was made, not where the finding
/// is.
fn is_meta_place(place: &[&str]) -> bool {
    place.last().is_some_and(|w| {
        matches!(
            *w,
            "image"
                | "study"
                | "scan"
                | "radiograph"
                | "film"
                | "x-ray"
                | "examination"
                | "exam"
                | "view"
                | "picture"
        )
    })
}

/// How a clause speaks of a finding named at `start..end`.
fn mention_reading(
    clause: &[Token],
    start: usize,
    end: usize,
    how: Match,
    bare_finding_allowed: bool,
) -> Option<Reading> {
    if hedged(clause) {
        return Some(Reading::Hedged);
    }
    let before = negated_before(clause, start);
    let after = negated_after(clause, end);
    match (before, after) {
        (Some(true), _) | (_, Some(true)) | (Some(false), Some(false)) => Some(Reading::Hedged),
        (Some(false), None) | (None, Some(false)) if !how.general => None,
        (Some(false), None) | (None, Some(false)) if narrowed(clause, start, end) => {
            Some(Reading::Hedged)
        }
        (Some(false), None) | (None, Some(false)) => Some(Reading::Negated),
        (None, None) if how.specific && asserted(clause, start, end, bare_finding_allowed) => {
            // "a pleural effusion or atelectasis": one of two.
            let either = |t: Option<&Token>| {
                t.is_some_and(|t| matches!(t.word.as_str(), "or" | "versus" | "vs"))
            };
            if either(start.checked_sub(1).and_then(|i| clause.get(i))) || either(clause.get(end)) {
                Some(Reading::Hedged)
            } else {
                Some(Reading::Asserted)
            }
        }
        (None, None) => None,
    }
}

/// Whether a negated finding is narrowed by what the clause says around it: a size after it
/// ("no nodule larger than 5 mm"), a side or level elsewhere in the clause ("no effusion is
/// seen on the right"), or a place after it ("no fracture is seen in the distal radius").
fn narrowed(clause: &[Token], start: usize, end: usize) -> bool {
    if clause
        .get(end)
        .is_some_and(|t| NARROWING.contains(&t.word.as_str()))
    {
        return true;
    }
    let mut outside = clause[..start].iter().chain(&clause[end..]);
    if outside.any(|t| LATERALITY.contains(&t.word.as_str())) {
        return true;
    }
    (end..clause.len()).any(|k| {
        PREPOSITIONS.contains(&clause[k].word.as_str()) && {
            let (place, _) = place_after(clause, k);
            !place.is_empty() && !is_meta_place(&place)
        }
    })
}

/// Whether a hedge stands anywhere in the clause, outside a negated verb of seeing ("I cannot
/// see" negates; "cannot be excluded" hedges).
fn hedged(clause: &[Token]) -> bool {
    clause.iter().enumerate().any(|(i, t)| {
        let w = t.word.as_str();
        if !HEDGES.contains(&w) {
            return false;
        }
        let negates_seeing = matches!(w, "cannot" | "can't")
            && clause
                .get(i + 1)
                .is_some_and(|n| SEEING.contains(&n.word.as_str()));
        !negates_seeing
    })
}

/// Whether a negation before `start` reaches the finding: `Some(false)` when it does,
/// `Some(true)` when only through an ambiguous "and" ("no pneumothorax and a small effusion")
/// or a comma list without "or"/"nor" ("No effusion, pneumothorax present"), `None` when none
/// does.
fn negated_before(clause: &[Token], start: usize) -> Option<bool> {
    let mut through_and = false;
    let mut through_comma = false;
    let mut j = start;
    while j > 0 {
        j -= 1;
        let t = &clause[j];
        let w = t.word.as_str();
        if NEGATIONS.contains(&w) {
            if negates_a_change(clause, j) {
                return None;
            }
            let listed = clause[j..]
                .iter()
                .any(|t| matches!(t.word.as_str(), "or" | "nor"));
            return Some(through_and || through_comma && !listed);
        }
        if SEEING.contains(&w) {
            let negated = clause[j.saturating_sub(2)..j]
                .iter()
                .any(|a| NEGATED_AUXILIARIES.contains(&a.word.as_str()));
            return negated.then_some(through_and);
        }
        // "there is no longer a pleural effusion".
        if w == "longer" && j > 0 && clause[j - 1].word == "no" {
            return Some(through_and);
        }
        if RAISING.contains(&w) {
            // A raised verb passes on only a negation ("does not appear to be").
            let negated = clause[..j]
                .iter()
                .rev()
                .take(3)
                .any(|a| NEGATED_AUXILIARIES.contains(&a.word.as_str()));
            if negated {
                return Some(through_and);
            }
            continue;
        }
        if w == "and" {
            through_and = true;
            continue;
        }
        through_comma |= w == ",";
        let in_list = matches!(w, "," | "or" | "nor");
        let reachable = DETERMINERS.contains(&w)
            || CHAIN_WORDS.contains(&w)
            || CHAIN_WORDS.contains(&t.stem.as_str())
            || in_list;
        // Another finding of a list ("no consolidation, effusion") is skipped over.
        let listed = is_modifier(t)
            && clause[j + 1..start]
                .iter()
                .any(|n| matches!(n.word.as_str(), "," | "or" | "nor" | "and"));
        if !(reachable || listed) {
            return None;
        }
    }
    None
}

/// Whether the negation at `at` denies a change ("no change in", "no significant interval
/// change"), which says the finding is there.
fn negates_a_change(clause: &[Token], at: usize) -> bool {
    clause[at + 1..]
        .iter()
        .map(|t| t.word.as_str())
        .find(|w| !DETERMINERS.contains(w) && !CHANGE_QUALIFIERS.contains(w))
        .is_some_and(|w| CHANGES.contains(&w) && w != "resolved")
}

/// Words between a negation and the change it denies ("no significant interval change").
const CHANGE_QUALIFIERS: &[&str] = &[
    "significant",
    "significantly",
    "interval",
    "appreciable",
    "substantial",
    "definite",
    "further",
    "major",
];

/// Whether the words after the finding (up to a comma or a new finding) deny it:
/// `Some(false)` when they do, `Some(true)` when they deny something about it that leaves its
/// presence open ("not excluded", "not large"), `None` when they do not.
fn negated_after(clause: &[Token], end: usize) -> Option<bool> {
    let mut k = end;
    while k < clause.len() {
        let w = clause[k].word.as_str();
        let next = clause.get(k + 1);
        match w {
            // ", which has resolved" still speaks of the finding.
            "," if next.is_some_and(|n| matches!(n.word.as_str(), "which" | "that")) => {}
            "," | "without" | "with" => return None,
            // "and has resolved" continues the predicate, "and pneumothorax are absent"
            // coordinates another finding; "and the ...", "and no ..." start a new statement.
            "and" | "or" => {
                let continues = next.is_some_and(|n| {
                    matches!(
                        n.word.as_str(),
                        "has"
                            | "have"
                            | "had"
                            | "is"
                            | "are"
                            | "was"
                            | "were"
                            | "now"
                            | "since"
                            | "subsequently"
                            | "then"
                            | "also"
                    ) || is_modifier(n)
                });
                if !continues {
                    return None;
                }
            }
            // "... present no pneumothorax": a new negated finding starts.
            "no" if next.is_some_and(|n| is_modifier(n) && n.word != "longer") => return None,
            "not" | "no" => {
                // "not significantly changed", "no longer large": look past the qualifier.
                let mut n = k + 1;
                while clause.get(n).is_some_and(|t| {
                    CHANGE_QUALIFIERS.contains(&t.word.as_str()) || t.word == "longer"
                }) {
                    n += 1;
                }
                let qualified = n > k + 1;
                return match clause.get(n).map(|t| t.word.as_str()) {
                    // "has not changed", "not resolved": the finding persists.
                    Some(n) if CHANGES.contains(&n) => None,
                    // "not significant": something else is denied.
                    None if qualified => Some(true),
                    None => Some(false),
                    Some(n) if PRESENCE_WORDS.contains(&n) || n == "be" => Some(false),
                    // "not large", "not excluded": something else is denied.
                    Some(_) => Some(true),
                };
            }
            _ if NEGATED_AFTER.contains(&w) => return Some(false),
            _ => {}
        }
        k += 1;
    }
    None
}

/// Whether the clause asserts the finding: an assertion word before or after it with no
/// negated verb before it, "other than" before it, or a clause that is only the finding and
/// its place.
fn asserted(clause: &[Token], start: usize, end: usize, bare_finding_allowed: bool) -> bool {
    // "No pneumothorax, there is a pleural effusion": a negation that does not reach the
    // finding negates another one, but a negated verb ("I don't think there is") or "no
    // longer" denies all that follows it.
    let denied = clause[..start].iter().enumerate().any(|(i, t)| {
        VERB_NEGATIONS.contains(&t.word.as_str())
            || t.word == "longer" && i > 0 && clause[i - 1].word == "no"
    });
    if denied {
        return false;
    }
    let other_than = clause[..start]
        .windows(2)
        .any(|w| w[0].word == "other" && w[1].word == "than");
    let words_before: Vec<&Token> = clause[..start].iter().filter(|t| !t.punct).collect();
    let only_the_finding = words_before
        .iter()
        .all(|t| DETERMINERS.contains(&t.word.as_str()))
        && clause[end..].iter().all(|t| t.punct);
    only_the_finding && bare_finding_allowed
        || other_than
        || clause[..start]
            .iter()
            .chain(&clause[end..])
            .any(|t| ASSERTIONS.contains(&t.word.as_str()))
}

/// Where a clause names the organ `name` ("the spleen", "the cardiac silhouette").
fn organ_mentions(clause: &[Token], name: &[String]) -> Vec<(usize, usize)> {
    if name.is_empty() || clause.len() < name.len() {
        return Vec::new();
    }
    (0..=clause.len() - name.len())
        .filter(|&i| {
            clause[i..i + name.len()]
                .iter()
                .zip(name)
                .all(|(t, n)| t.stem == *n)
        })
        .map(|i| (i, i + name.len()))
        .collect()
}

/// How a clause speaks of an organ's attribute: "the spleen appears enlarged", "the spleen is
/// not enlarged", "the heart is normal in size", "an enlarged spleen".
fn attribute_reading(
    clause: &[Token],
    start: usize,
    end: usize,
    attribute: Attribute,
) -> Option<Reading> {
    if hedged(clause) {
        return Some(Reading::Hedged);
    }
    // "an enlarged spleen", "no enlarged spleen".
    if start > 0
        && attribute
            .positive()
            .contains(&clause[start - 1].word.as_str())
    {
        return Some(match negated_before(clause, start - 1) {
            Some(false) => Reading::Negated,
            Some(true) => Reading::Hedged,
            None => Reading::Asserted,
        });
    }
    // "No bowel dilatation": a negation that reaches the organ negates its attribute.
    let mut negated = match negated_before(clause, start) {
        Some(true) => return Some(Reading::Hedged),
        Some(false) => true,
        None => false,
    };
    // The predicate after the organ, up to a comma or a new subject.
    let mut k = end;
    while k < clause.len() {
        let w = clause[k].word.as_str();
        // "Heart: enlarged" is a label; a later colon or comma ends the predicate.
        let label = w == ":" && k == end;
        if !label && matches!(w, "," | ":" | "while" | "whereas") || w == "and" && k > end {
            break;
        }
        if matches!(w, "upper" | "borderline" | "top" | "high" | "limit") {
            return Some(Reading::Hedged);
        }
        if matches!(w, "not" | "no" | "never" | "isn't" | "aren't") {
            negated = true;
        } else if attribute.positive().contains(&w) {
            return Some(if negated {
                Reading::Negated
            } else {
                Reading::Asserted
            });
        } else if matches!(w, "normal" | "normally" | "unremarkable") {
            if negated {
                return Some(Reading::Hedged);
            }
            return Some(Reading::Negated);
        } else if w == "within" && clause.get(k + 1).is_some_and(|n| n.word == "normal") {
            return Some(Reading::Negated);
        }
        k += 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(question: &str, response: &str) -> Option<&'static str> {
        let query = query(question)?;
        read(response, &query, false)
            .or_else(|| read_ellipsis(response, &query))
            .map(YesNo::as_str)
    }

    #[test]
    fn questions_of_other_shapes_are_not_read() {
        assert!(query("Is this a CT scan?").is_none());
        assert!(query("What is the diagnosis?").is_none());
        assert!(query("Is there a fracture or dislocation?").is_none());
        assert!(query("Is the lesion in the left lung?").is_none());
        assert!(query("Is there a fracture").is_none());
    }

    #[test]
    fn presence_questions_name_their_finding() {
        let q = query("Is there a pleural effusion?").expect("a presence question");
        assert_eq!(q.findings[0].core, ["pleural", "effusion"]);
        let q = query("<image>\nDoes the image show consolidation?").expect("shows");
        assert_eq!(q.findings[0].core, ["consolidation"]);
        let q = query("Are there any rib fractures?").expect("plural");
        assert_eq!(q.findings[0].core, ["rib", "fracture"]);
        let q = query("Is there a fracture of the left femur?").expect("a place");
        assert_eq!(q.findings[0].place, ["of", "left", "femur"]);
    }

    #[test]
    fn negations_reach_their_finding() {
        let pe = "Is there a pleural effusion?";
        assert_eq!(answer(pe, "No pleural effusion is seen."), Some("no"));
        assert_eq!(
            answer(pe, "Findings are negative for pleural effusion."),
            Some("no")
        );
        assert_eq!(answer(pe, "Pleural effusion: absent."), Some("no"));
        assert_eq!(
            answer(
                pe,
                "Lungs are clear without consolidation, pleural effusion, or pneumothorax."
            ),
            Some("no")
        );
        assert_eq!(
            answer(pe, "No change in the large pleural effusion."),
            Some("yes")
        );
        assert_eq!(
            answer(pe, "There is a small left pleural effusion."),
            Some("yes")
        );
        assert_eq!(
            answer(pe, "The pleural effusion has not changed."),
            Some("yes")
        );
    }

    #[test]
    fn other_findings_and_hedges_answer_nothing() {
        let pe = "Is there a pleural effusion?";
        assert_eq!(answer(pe, "There is a pneumothorax."), None);
        assert_eq!(answer(pe, "No pneumothorax."), None);
        assert_eq!(answer(pe, "There is a pericardial effusion."), None);
        assert_eq!(answer(pe, "A pleural effusion cannot be excluded."), None);
        assert_eq!(answer(pe, "No large pleural effusion."), None);
        let fx = "Is there a fracture?";
        assert_eq!(
            answer(fx, "No fracture, but there is an effusion."),
            Some("no")
        );
        assert_eq!(answer(fx, "No rib fracture."), None);
        assert_eq!(
            answer("Is there a rib fracture?", "No fracture is seen."),
            Some("no")
        );
        assert_eq!(answer("Is there a mass?", "There is mass effect."), None);
    }

    #[test]
    fn attributes_are_read_on_their_organ() {
        let q = "Is the spleen enlarged?";
        assert_eq!(answer(q, "The spleen appears enlarged."), Some("yes"));
        assert_eq!(answer(q, "The spleen is normal in size."), Some("no"));
        assert_eq!(answer(q, "The spleen is not enlarged."), Some("no"));
        assert_eq!(answer(q, "Splenomegaly is present."), Some("yes"));
        assert_eq!(answer(q, "The liver is enlarged."), None);
        assert_eq!(answer(q, "Enlarged."), Some("yes"));
    }

    #[test]
    fn stems_are_singular() {
        assert_eq!(stem("effusions"), "effusion");
        assert_eq!(stem("opacities"), "opacity");
        assert_eq!(stem("masses"), "mass");
        assert_eq!(stem("pneumothorax"), "pneumothorax");
        assert_eq!(stem("bronchiectasis"), "bronchiectasis");
    }
}
