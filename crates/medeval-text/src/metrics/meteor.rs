//! METEOR 1.5 (`-l en -norm`) with the exact and stem matching modules.
//!
//! This follows the published Meteor 1.5 algorithm as the jar pycocoevalcap ships implements
//! it, step by step:
//!
//! 1. **Normalisation** (`-norm`): Meteor's Moses-derived English normaliser (punctuation split
//!    off, quotes and dashes unified, dotted acronyms undotted, non-breaking prefixes kept), then
//!    lower-casing.
//! 2. **Matching**: every candidate/reference word pair with the same surface form is an exact
//!    match; every pair with different surface forms but the same Snowball English stem is a
//!    stem match. Like the jar, words and stems are compared by their Java `String.hashCode`.
//! 3. **Alignment**: matches that are the only option for both words are fixed; the rest are
//!    resolved left to right over the reference by a beam search (beam 40) that prefers more
//!    matched words (exact counting 1, other modules 0.5, truncated to whole numbers as the jar
//!    does), then fewer chunks, then a smaller summed position distance, with the jar's
//!    bookkeeping of that distance reproduced.
//! 4. **Score**: with the English ranking parameters α = 0.85, β = 0.20, γ = 0.60, δ = 0.75 and
//!    module weights 1.0 (exact) and 0.6 (stem), content words count δ and function words 1−δ
//!    in precision and recall, `Fmean = PR / (αP + (1−α)R)`, the fragmentation penalty is
//!    `γ (chunks / mean matched words)^β` (0 for a perfect one-chunk match), and the score is
//!    `Fmean (1 − Pen)`; with several references the best-scoring one counts.
//! 5. **Corpus score**: the sufficient statistics of all items are summed (chunks of perfect
//!    matches excluded) and scored once, as Meteor's `EVAL` command does.
//!
//! The jar's English configuration also runs a WordNet synonym module and a paraphrase-table
//! module. They are not implemented here (the paraphrase table alone is a 60 MB download); the
//! resulting deviation is measured and documented in `docs/report-metrics.md`.

use rust_stemmers::{Algorithm, Stemmer};

const ALPHA: f64 = 0.85;
const BETA: f64 = 0.20;
const GAMMA: f64 = 0.60;
const DELTA: f64 = 0.75;
/// Scoring weights of the modules used (exact, stem), then the two that are not (synonym,
/// paraphrase), in the jar's order.
const MODULE_WEIGHTS: [f64; 4] = [1.0, 0.6, 0.8, 0.6];
/// What one match adds to the jar's ranking counters `matches1 + matches2`. The jar ranks with
/// weights 1.0 (exact) and 0.5 (other modules) but keeps the counters in Java `int`s updated
/// with `+=` of a double, which truncates: an exact match adds 1 + 1, any other match adds
/// `(int)(k + 0.5) - k = 0` to each.
const ALIGN_UNITS: [i32; 2] = [2, 0];
const BEAM_SIZE: usize = 40;
const EXACT: usize = 0;
const STEM: usize = 1;

/// Meteor 1.5's English function-word list (`function/english.words` in the jar).
const FUNCTION_WORDS: &[&str] = &[
    "the", ",", ".", "to", "of", "and", "a", "in", "that", "for", "\"", "is", "on", "'s", "it",
    "with", "was", "as", "said", "at", "he", "by", "be", "from", "have", "has", "are", "his",
    "but", "an", "this", "not", "i", "will", "\u{2019}", "they", ")", "-rrb-", "(", "-lrb-", "who",
    "their", "had", "we", "which", "were", "been", "more", "or", "s", "its", "would", "about",
    "new", "one", "after", "you", ":", "also", "up", "when", "there", "than", "$", "all", "out",
    "her", "people", "she", "year", "two", "-", "can", "if", "last", "first", "\u{201c}", "over",
    "other", "\u{201d}", "into", "some", "what", "so", "--", "no", "time", "years", "could", "?",
    "'t", "\u{2014}", "'",
];

/// Sufficient statistics of one (candidate, reference) alignment, as Meteor's `-ssOut` prints
/// them; summing them over items gives the corpus statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MeteorStats {
    /// Candidate words.
    pub test_len: f64,
    /// Reference words.
    pub ref_len: f64,
    /// Candidate function words.
    pub test_function: f64,
    /// Reference function words.
    pub ref_function: f64,
    /// Per module: candidate content-word matches.
    pub test_content_matches: [f64; 4],
    /// Per module: reference content-word matches.
    pub ref_content_matches: [f64; 4],
    /// Per module: candidate function-word matches.
    pub test_function_matches: [f64; 4],
    /// Per module: reference function-word matches.
    pub ref_function_matches: [f64; 4],
    /// Chunks of contiguous matches.
    pub chunks: f64,
    /// Matched candidate words.
    pub test_word_matches: f64,
    /// Matched reference words.
    pub ref_word_matches: f64,
}

impl MeteorStats {
    fn test_total_matches(&self) -> f64 {
        (0..4)
            .map(|i| self.test_content_matches[i] + self.test_function_matches[i])
            .sum()
    }

    fn ref_total_matches(&self) -> f64 {
        (0..4)
            .map(|i| self.ref_content_matches[i] + self.ref_function_matches[i])
            .sum()
    }

    fn is_perfect(&self) -> bool {
        self.test_total_matches() == self.test_len
            && self.ref_total_matches() == self.ref_len
            && self.chunks == 1.0
    }

    /// Adds one item's statistics (Meteor's `addStats`: chunks of perfect matches are not
    /// added).
    pub fn add(&mut self, other: &Self) {
        self.test_len += other.test_len;
        self.ref_len += other.ref_len;
        self.test_function += other.test_function;
        self.ref_function += other.ref_function;
        for i in 0..4 {
            self.test_content_matches[i] += other.test_content_matches[i];
            self.ref_content_matches[i] += other.ref_content_matches[i];
            self.test_function_matches[i] += other.test_function_matches[i];
            self.ref_function_matches[i] += other.ref_function_matches[i];
        }
        if !other.is_perfect() {
            self.chunks += other.chunks;
        }
        self.test_word_matches += other.test_word_matches;
        self.ref_word_matches += other.ref_word_matches;
    }

    /// The METEOR score of these statistics (Meteor's `computeMetrics`).
    pub fn score(&self) -> f64 {
        let test_weighted_len =
            DELTA * (self.test_len - self.test_function) + (1.0 - DELTA) * self.test_function;
        let ref_weighted_len =
            DELTA * (self.ref_len - self.ref_function) + (1.0 - DELTA) * self.ref_function;
        // Summed in the jar's order: content words of every module, then function words.
        let weighted = |matches: &[f64; 4], factor: f64, mut sum: f64| {
            for (m, w) in matches.iter().zip(MODULE_WEIGHTS) {
                sum += m * w * factor;
            }
            sum
        };
        let test_weighted = weighted(
            &self.test_function_matches,
            1.0 - DELTA,
            weighted(&self.test_content_matches, DELTA, 0.0),
        );
        let ref_weighted = weighted(
            &self.ref_function_matches,
            1.0 - DELTA,
            weighted(&self.ref_content_matches, DELTA, 0.0),
        );
        let precision = test_weighted / test_weighted_len;
        let recall = ref_weighted / ref_weighted_len;
        let f_mean = 1.0 / (((1.0 - ALPHA) / precision) + (ALPHA / recall));
        let frag = if self.is_perfect() {
            0.0
        } else {
            self.chunks / ((self.test_word_matches + self.ref_word_matches) / 2.0)
        };
        let penalty = GAMMA * frag.powf(BETA);
        let score = f_mean * (1.0 - penalty);
        if score.is_nan() { 0.0 } else { score.max(0.0) }
    }
}

/// A normalised, lower-cased sentence ready for alignment: per word, its Java hash, the Java
/// hash of its stem, and whether it is a function word.
#[derive(Debug, Clone)]
pub struct MeteorText {
    hashes: Vec<i32>,
    stem_hashes: Vec<i32>,
    function: Vec<bool>,
}

/// What alignment needs to know about one word.
#[derive(Debug, Clone, Copy)]
struct WordInfo {
    hash: i32,
    stem_hash: i32,
    function: bool,
}

thread_local! {
    /// Per-thread memo of [`WordInfo`]: report vocabularies are small and repetitive, and
    /// stemming dominates the cost of preparing a text otherwise.
    static WORD_INFO: std::cell::RefCell<crate::ngram::FastMap<String, WordInfo>> =
        std::cell::RefCell::new(crate::ngram::FastMap::default());
}

/// Bound on the memo's size; it is cleared when exceeded.
const WORD_INFO_CAPACITY: usize = 1 << 20;

fn word_info(
    cache: &mut crate::ngram::FastMap<String, WordInfo>,
    word: &str,
    stemmer: &Stemmer,
) -> WordInfo {
    if let Some(info) = cache.get(word) {
        return *info;
    }
    let info = WordInfo {
        hash: java_hash(word),
        stem_hash: java_hash(&stemmer.stem(word)),
        function: FUNCTION_WORDS.contains(&word.to_lowercase().as_str()),
    };
    if cache.len() >= WORD_INFO_CAPACITY {
        cache.clear();
    }
    cache.insert(word.to_owned(), info);
    info
}

impl MeteorText {
    /// Normalises `text` (`-norm`) and prepares its words.
    pub fn new(text: &str, stemmer: &Stemmer) -> Self {
        // Lower-case letters, digits and spaces pass the normaliser unchanged (the common case
        // for PTB-tokenised input), so skip it.
        let plain = text
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b' ');
        let normalized;
        let words = if plain {
            text
        } else {
            normalized = normalize_lowercase(text);
            normalized.as_str()
        };
        let capacity = words.bytes().filter(|&b| b == b' ').count() + 1;
        Self::from_words(
            words
                .split([' ', '\t', '\n', '\r', '\u{c}'])
                .filter(|w| !w.is_empty()),
            capacity,
            stemmer,
        )
    }

    /// A text whose words need no normalisation: plain words (lower-case ASCII letters and
    /// digits only), which [`MeteorText::new`] would take as they are. `None` when some word
    /// is not plain.
    pub fn from_plain_words<'a>(
        words: impl ExactSizeIterator<Item = &'a str> + Clone,
        stemmer: &Stemmer,
    ) -> Option<Self> {
        let plain = |word: &str| {
            !word.is_empty()
                && word
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        };
        if !words.clone().all(plain) {
            return None;
        }
        let capacity = words.len();
        Some(Self::from_words(words, capacity, stemmer))
    }

    fn from_words<'a>(
        words: impl Iterator<Item = &'a str>,
        capacity: usize,
        stemmer: &Stemmer,
    ) -> Self {
        let mut prepared = Self {
            hashes: Vec::with_capacity(capacity),
            stem_hashes: Vec::with_capacity(capacity),
            function: Vec::with_capacity(capacity),
        };
        WORD_INFO.with(|cache| {
            let cache = &mut *cache.borrow_mut();
            for word in words {
                let info = word_info(cache, word, stemmer);
                prepared.hashes.push(info.hash);
                prepared.stem_hashes.push(info.stem_hash);
                prepared.function.push(info.function);
            }
        });
        prepared
    }

    /// Number of words after normalisation.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Whether normalisation left no words.
    pub fn is_empty(&self) -> bool {
        self.hashes.is_empty()
    }
}

/// [`normalize`], then lower-cased (in place when ASCII, where that equals `to_lowercase`).
fn normalize_lowercase(text: &str) -> String {
    let mut normalized = normalize(text);
    if normalized.is_ascii() {
        normalized.make_ascii_lowercase();
        normalized
    } else {
        normalized.to_lowercase()
    }
}

/// The Snowball English stemmer METEOR's stem module uses.
pub fn english_stemmer() -> Stemmer {
    Stemmer::create(Algorithm::English)
}

/// Java's `String.hashCode` (over UTF-16 code units), which Meteor compares words by.
pub fn java_hash(s: &str) -> i32 {
    let mut h: i32 = 0;
    for unit in s.encode_utf16() {
        h = h.wrapping_mul(31).wrapping_add(i32::from(unit));
    }
    h
}

/// Statistics of the best-scoring reference for one candidate (Meteor's `SCORE` command).
pub fn meteor_stats(candidate: &MeteorText, references: &[MeteorText]) -> MeteorStats {
    WORKSPACE.with(|workspace| {
        let workspace = &mut *workspace.borrow_mut();
        let mut best = MeteorStats::default();
        let mut best_score = -1.0;
        for reference in references {
            let stats = align(candidate, reference, workspace);
            let score = stats.score();
            if score > best_score {
                best_score = score;
                best = stats;
            }
        }
        best
    })
}

thread_local! {
    /// Per-thread buffers for [`align`]: an alignment needs about twenty vectors, and
    /// allocating them for every (candidate, reference) pair cost more than filling them.
    static WORKSPACE: std::cell::RefCell<Workspace> = Default::default();
}

/// The buffers of one alignment, reused from pair to pair.
#[derive(Default)]
struct Workspace {
    /// The possible matches of every reference word, grouped by reference position: those of
    /// word `j` are `matches[starts[j]..starts[j + 1]]`.
    matches: Vec<Match>,
    starts: Vec<usize>,
    test_coverage: Vec<u32>,
    ref_coverage: Vec<u32>,
    by_word: Vec<(i32, usize)>,
    by_stem: Vec<(i32, usize)>,
    fixed: Vec<Option<Match>>,
    beam: Beam,
}

/// The buffers of [`resolve`]'s beam search.
#[derive(Default)]
struct Beam {
    /// Matches chosen by the search, each with the arena index of its predecessor.
    arena: Vec<(Match, u32)>,
    /// Used-candidate-word bitsets, `words` u64 per path at the path's `bits` offset.
    pool: Vec<u64>,
    next_pool: Vec<u64>,
    paths: Vec<Path>,
    next: Vec<Path>,
    scratch: Vec<Path>,
    order: RankKeys,
    /// The result: the chosen match (if any) of every reference position.
    chosen: Vec<Option<Match>>,
}

impl Workspace {
    fn candidates(&self, j: usize) -> &[Match] {
        &self.matches[self.starts[j]..self.starts[j + 1]]
    }
}

#[derive(Debug, Clone, Copy)]
struct Match {
    /// Position in the reference.
    start: usize,
    /// Position in the candidate.
    match_start: usize,
    module: usize,
}

/// One partial alignment of the beam search.
///
/// The jar copies whole match arrays and used-word flags for every extension; here a path is a
/// few integers: its chosen matches live in a shared arena as a parent-linked list, and the
/// candidate words it has used are a bitset in a shared pool. Reference words need no
/// per-path flags: a search step only ever takes the reference word at the current position,
/// so the only reference words marked in advance are the fixed (definite) matches.
#[derive(Debug, Clone, Copy)]
struct Path {
    /// `matches1 + matches2` of the jar (integer-truncated weighted match counts).
    matches_weighted: i32,
    chunks: i32,
    distance: i32,
    /// End (exclusive) in the candidate of the last match of the open chunk.
    last_match_end: Option<u32>,
    /// Index in the arena of the last match chosen by the search (`u32::MAX`: none).
    history: u32,
    /// Offset of this path's used-candidate-word bitset in the bitset pool.
    bits: u32,
    /// A match taken at this step but not yet recorded in the arena and the bitset (index into
    /// the step's candidates; `u32::MAX`: none). Only the paths that survive the beam are
    /// recorded.
    pending: u32,
}

impl Path {
    /// The jar's ranking (more weighted matches, then fewer chunks, then less distance) as
    /// one integer, smaller first.
    ///
    /// The low 32 bits are left for a tie-breaking index (see [`keep_best`]).
    fn rank_key(&self) -> u128 {
        let matches = u128::from(u32::MAX - self.matches_weighted.max(0) as u32);
        let chunks = u128::from(self.chunks.max(0) as u32);
        let distance = u128::from(self.distance.max(0) as u32);
        (matches << 96) | (chunks << 64) | (distance << 32)
    }

    /// [`Path::rank_key`] with `position` as the tie-breaker, packed into 64 bits (16 for the
    /// weighted matches, 14 for chunks, 22 for the distance, 12 for the position) when every
    /// value fits.
    fn narrow_rank_key(&self, position: usize) -> Option<u64> {
        let fits = (0..1 << 16).contains(&self.matches_weighted)
            && (0..1 << 14).contains(&self.chunks)
            && (0..1 << 22).contains(&self.distance)
            && position < 1 << 12;
        fits.then(|| {
            let matches = (1 << 16) - 1 - self.matches_weighted as u64;
            (matches << 48)
                | ((self.chunks as u64) << 34)
                | ((self.distance as u64) << 12)
                | position as u64
        })
    }

    fn take(&mut self, m: Match) {
        self.matches_weighted += ALIGN_UNITS[m.module];
        if self
            .last_match_end
            .is_some_and(|end| m.match_start != end as usize)
        {
            self.chunks += 1;
        }
        self.last_match_end = Some(m.match_start as u32 + 1);
    }
}

fn align(test: &MeteorText, reference: &MeteorText, ws: &mut Workspace) -> MeteorStats {
    let n_test = test.len();
    let n_ref = reference.len();
    let identical = test.hashes == reference.hashes;
    ws.matches.clear();
    ws.starts.clear();
    ws.test_coverage.clear();
    ws.test_coverage.resize(n_test, 0);
    ws.ref_coverage.clear();
    ws.ref_coverage.resize(n_ref, 0);
    // Candidate positions by word hash and by stem hash, so that each reference word finds its
    // partners by binary search; equal keys keep candidate order, as the jar's nested loops do.
    ws.by_word.clear();
    ws.by_word.extend(test.hashes.iter().copied().zip(0..));
    ws.by_word.sort_unstable();
    ws.by_stem.clear();
    ws.by_stem.extend(test.stem_hashes.iter().copied().zip(0..));
    ws.by_stem.sort_unstable();
    fn partners(index: &[(i32, usize)], key: i32) -> impl Iterator<Item = usize> + '_ {
        let from = index.partition_point(|e| e.0 < key);
        index[from..]
            .iter()
            .take_while(move |e| e.0 == key)
            .map(|e| e.1)
    }
    for j in 0..n_ref {
        ws.starts.push(ws.matches.len());
        for i in partners(&ws.by_word, reference.hashes[j]) {
            ws.matches.push(Match {
                start: j,
                match_start: i,
                module: EXACT,
            });
            ws.test_coverage[i] += 1;
            ws.ref_coverage[j] += 1;
        }
        if identical {
            continue;
        }
        for i in partners(&ws.by_stem, reference.stem_hashes[j]) {
            if test.hashes[i] != reference.hashes[j] {
                ws.matches.push(Match {
                    start: j,
                    match_start: i,
                    module: STEM,
                });
                ws.test_coverage[i] += 1;
                ws.ref_coverage[j] += 1;
            }
        }
    }
    ws.starts.push(ws.matches.len());
    // One-to-one matches whose words have no other option are definite.
    ws.fixed.clear();
    ws.fixed.resize(n_ref, None);
    for j in 0..n_ref {
        if let [m] = ws.candidates(j)
            && ws.ref_coverage[j] == 1
            && ws.test_coverage[m.match_start] == 1
        {
            ws.fixed[j] = Some(*m);
        }
    }
    resolve(ws, n_test);
    let chosen = &ws.beam.chosen;

    let mut stats = MeteorStats {
        test_len: n_test as f64,
        ref_len: n_ref as f64,
        test_function: test.function.iter().filter(|f| **f).count() as f64,
        ref_function: reference.function.iter().filter(|f| **f).count() as f64,
        ..MeteorStats::default()
    };
    let mut chunks = 0;
    let mut last_end: Option<usize> = None;
    for slot in chosen {
        match slot {
            None => {
                if last_end.take().is_some() {
                    chunks += 1;
                }
            }
            Some(m) => {
                if test.function[m.match_start] {
                    stats.test_function_matches[m.module] += 1.0;
                } else {
                    stats.test_content_matches[m.module] += 1.0;
                }
                if reference.function[m.start] {
                    stats.ref_function_matches[m.module] += 1.0;
                } else {
                    stats.ref_content_matches[m.module] += 1.0;
                }
                stats.test_word_matches += 1.0;
                stats.ref_word_matches += 1.0;
                if last_end.is_some_and(|end| m.match_start != end) {
                    chunks += 1;
                }
                last_end = Some(m.match_start + 1);
            }
        }
    }
    if last_end.is_some() {
        chunks += 1;
    }
    stats.chunks = f64::from(chunks);
    stats
}

/// Sort keys for [`keep_best`], in two widths.
#[derive(Default)]
struct RankKeys {
    narrow: Vec<u64>,
    wide: Vec<u128>,
}

/// Reorders `paths` as a stable sort by rank would and keeps the first [`BEAM_SIZE`].
///
/// Ties are broken by position, which makes every key unique, so selecting the best
/// [`BEAM_SIZE`] and sorting only those gives exactly the stable sort's prefix.
///
/// The ranking fields and the position usually fit in 64 bits
/// ([`Path::narrow_rank_key`]), and sorting `u64`s is markedly faster than sorting
/// [`Path::rank_key`]'s `u128`s; both keys order paths identically, and the wide one is used
/// whenever a value does not fit.
fn keep_best(paths: &mut Vec<Path>, scratch: &mut Vec<Path>, keys: &mut RankKeys) {
    keys.narrow.clear();
    for (position, path) in paths.iter().enumerate() {
        match path.narrow_rank_key(position) {
            Some(key) => keys.narrow.push(key),
            None => break,
        }
    }
    scratch.clear();
    if keys.narrow.len() == paths.len() {
        select_sorted(&mut keys.narrow);
        scratch.extend(keys.narrow.iter().map(|&key| paths[(key & 0xfff) as usize]));
    } else {
        keys.wide.clear();
        keys.wide.extend(
            paths
                .iter()
                .zip(0u32..)
                .map(|(p, i)| p.rank_key() | u128::from(i)),
        );
        select_sorted(&mut keys.wide);
        scratch.extend(keys.wide.iter().map(|&key| paths[(key as u32) as usize]));
    }
    std::mem::swap(paths, scratch);
}

/// [`keep_best`] with the narrow keys of all `paths` already computed.
fn keep_ranked(paths: &mut Vec<Path>, scratch: &mut Vec<Path>, keys: &mut Vec<u64>) {
    select_sorted(keys);
    scratch.clear();
    scratch.extend(keys.iter().map(|&key| paths[(key & 0xfff) as usize]));
    std::mem::swap(paths, scratch);
}

/// The [`BEAM_SIZE`] smallest keys, sorted.
fn select_sorted<K: Ord>(keys: &mut Vec<K>) {
    if keys.len() > BEAM_SIZE {
        keys.select_nth_unstable(BEAM_SIZE - 1);
        keys.truncate(BEAM_SIZE);
    }
    keys.sort_unstable();
}

/// The jar's beam search over the reference positions (`Aligner.resolve`) of the matches in
/// `ws`; leaves the chosen match (if any) of every reference position in `ws.beam.chosen`.
///
/// Each step sorts the paths (stably) by the jar's ranking, keeps the best [`BEAM_SIZE`], and
/// advances them over one reference word. Steps without a choice (no candidate match, or a
/// fixed match) update the paths in place; a step that leaves every path unchanged also leaves
/// the list sorted, so the next sort is skipped. A step with choices ranks its extensions
/// right away and records only the survivors. All shortcuts give the same sequence of beams
/// as the jar's copy-everything loop.
fn resolve(ws: &mut Workspace, n_test: usize) {
    let words = n_test.div_ceil(64).max(1);
    let Beam {
        arena,
        pool,
        next_pool,
        paths,
        next,
        scratch,
        order,
        chosen,
    } = &mut ws.beam;
    let fixed = &ws.fixed;
    arena.clear();
    pool.clear();
    pool.resize(words, 0);
    for m in fixed.iter().flatten() {
        pool[m.match_start / 64] |= 1 << (m.match_start % 64);
    }
    paths.clear();
    paths.push(Path {
        matches_weighted: 0,
        chunks: 0,
        distance: 0,
        last_match_end: None,
        history: u32::MAX,
        bits: 0,
        pending: u32::MAX,
    });
    let mut sorted = true;
    for (current, &fixed_match) in fixed.iter().enumerate() {
        if !sorted {
            keep_best(paths, scratch, order);
        }
        if let Some(m) = fixed_match {
            let distance = m.start.abs_diff(m.match_start) as i32;
            for path in paths.iter_mut() {
                path.take(m);
                path.distance += distance;
            }
            sorted = paths.len() <= 1;
            continue;
        }
        let candidates = &ws.matches[ws.starts[current]..ws.starts[current + 1]];
        if candidates.is_empty() {
            let mut changed = false;
            for path in paths.iter_mut() {
                if path.last_match_end.take().is_some() {
                    path.chunks += 1;
                    changed = true;
                }
            }
            sorted = !changed || paths.len() <= 1;
            continue;
        }
        // Extend every path by each usable match and by skipping, as the jar does, but only
        // rank the extensions here: the bitset copies and arena entries are made afterwards for
        // the BEAM_SIZE survivors, which the next step would select anyway.
        next.clear();
        order.narrow.clear();
        // Rank keys are computed as the extensions are made, while they fit in 64 bits.
        let mut narrow = true;
        for &path in paths.iter() {
            let mut path = path;
            let at = path.bits as usize;
            for (index, &m) in candidates.iter().enumerate() {
                if pool[at + m.match_start / 64] & (1 << (m.match_start % 64)) != 0 {
                    continue;
                }
                let mut extended = path;
                extended.take(m);
                extended.pending = index as u32;
                if narrow {
                    match extended.narrow_rank_key(next.len()) {
                        Some(key) => order.narrow.push(key),
                        None => narrow = false,
                    }
                }
                next.push(extended);
                // The jar adds this distance to the path being extended, not to the new one.
                path.distance += m.start.abs_diff(m.match_start) as i32;
            }
            if path.last_match_end.take().is_some() {
                path.chunks += 1;
            }
            if narrow {
                match path.narrow_rank_key(next.len()) {
                    Some(key) => order.narrow.push(key),
                    None => narrow = false,
                }
            }
            next.push(path);
        }
        if narrow {
            keep_ranked(next, scratch, &mut order.narrow);
        } else {
            keep_best(next, scratch, order);
        }
        next_pool.clear();
        for path in next.iter_mut() {
            let at = path.bits as usize;
            path.bits = next_pool.len() as u32;
            next_pool.extend_from_slice(&pool[at..at + words]);
            if path.pending != u32::MAX {
                let m = candidates[path.pending as usize];
                next_pool[path.bits as usize + m.match_start / 64] |= 1 << (m.match_start % 64);
                arena.push((m, path.history));
                path.history = (arena.len() - 1) as u32;
                path.pending = u32::MAX;
            }
        }
        std::mem::swap(paths, next);
        std::mem::swap(pool, next_pool);
        sorted = true;
    }
    if !sorted {
        keep_best(paths, scratch, order);
    }
    for path in paths.iter_mut() {
        if path.last_match_end.is_some() {
            path.chunks += 1;
        }
    }
    // The first best path, as after the jar's final stable sort.
    let best = paths.iter().min_by_key(|p| p.rank_key());
    chosen.clear();
    chosen.extend_from_slice(fixed);
    let mut node = best.map_or(u32::MAX, |p| p.history);
    while node != u32::MAX {
        let (m, parent) = arena[node as usize];
        chosen[m.start] = Some(m);
        node = parent;
    }
}

// ---------------------------------------------------------------------------------------------
// Normaliser (`Normalizer.normalizeLine` for English, punctuation kept).

fn is_alpha(c: char) -> bool {
    matches!(c,
        'A'..='Z' | 'a'..='z' | 'Š' | 'Ž' | 'š' | 'ž' | 'Ÿ' | 'À'..='Ö' | 'Ø'..='ö' | 'ø'..='ž'
        | 'Ѐ'..='ӿ' | 'Ԁ'..='ԧ' | 'Ꙁ'..='ꙮ' | '꙾'..='ꚗ' | 'ᴀ'..='ᵿ')
}

fn is_alnum(c: char) -> bool {
    c.is_ascii_digit() || is_alpha(c)
}

fn is_java_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// Replaces all non-overlapping matches of a three-character pattern `[a][b][c]`, scanning
/// left to right like `Matcher.replaceAll`.
fn replace_triples(
    text: &str,
    a: impl Fn(char) -> bool,
    b: impl Fn(char) -> bool,
    c: impl Fn(char) -> bool,
    replace: impl Fn(char, char, char, &mut String),
) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.chars();
    // The next three characters (`None` past the end).
    let mut window = [chars.next(), chars.next(), chars.next()];
    loop {
        match window {
            [Some(x), Some(y), Some(z)] if a(x) && b(y) && c(z) => {
                replace(x, y, z, &mut out);
                window = [chars.next(), chars.next(), chars.next()];
            }
            [Some(x), y, z] => {
                out.push(x);
                window = [y, z, chars.next()];
            }
            [None, ..] => return out,
        }
    }
}

fn spaced(x: char, middle: &str, y: char, out: &mut String) {
    out.push(x);
    out.push_str(middle);
    out.push(y);
}

/// Non-breaking prefixes of Meteor's English list: `true` for those that are non-breaking
/// only before a number.
fn nonbreaking_prefix(word: &str) -> Option<bool> {
    const ANY: &[&str] = &[
        "Adj", "Adm", "Adv", "Asst", "Bart", "Bldg", "Brig", "Bros", "Capt", "Cmdr", "Col",
        "Comdr", "Con", "Corp", "Cpl", "DR", "Dr", "Drs", "Ens", "Gen", "Gov", "Hon", "Hr", "Hosp",
        "Insp", "Lt", "MM", "MR", "MRS", "MS", "Maj", "Messrs", "Mlle", "Mme", "Mr", "Mrs", "Ms",
        "Msgr", "Op", "Ord", "Pfc", "Ph", "Prof", "Pvt", "Rep", "Reps", "Res", "Rev", "Rt", "Sen",
        "Sens", "Sfc", "Sgt", "Sr", "St", "Supt", "Surg", "v", "vs", "i.e", "rev", "e.g", "Nos",
        "Nr",
    ];
    const NUMERIC_ONLY: &[&str] = &["No", "Art", "pp"];
    let single_capital = word.len() == 1 && word.as_bytes()[0].is_ascii_uppercase();
    if single_capital || ANY.contains(&word) {
        Some(false)
    } else if NUMERIC_ONLY.contains(&word) {
        Some(true)
    } else {
        None
    }
}

/// Meteor's English `-norm` normalisation (before lower-casing).
pub fn normalize(line: &str) -> String {
    let mut s = String::with_capacity(line.len() + 16);
    s.push(' ');
    for c in line.chars() {
        if is_alnum(c) || is_java_space(c) || matches!(c, '.' | '\'' | '`' | ',' | '-' | '‘' | '’')
        {
            s.push(c);
        } else {
            s.push(' ');
            s.push(c);
            s.push(' ');
        }
    }
    s.push(' ');

    // Escape runs of dots.
    if s.contains("..") {
        let chars: Vec<char> = s.chars().collect();
        let mut out = String::with_capacity(s.len() + 16);
        let mut i = 0;
        while i < chars.len() {
            if chars[i] == '.' && chars.get(i + 1) == Some(&'.') {
                let mut j = i + 1;
                while chars.get(j) == Some(&'.') {
                    j += 1;
                }
                out.push_str(" DOTMULTI");
                out.extend(&chars[i + 1..j]);
                i = j;
            } else {
                out.push(chars[i]);
                i += 1;
            }
        }
        s = out;
        while s.contains("DOTMULTI.") {
            s = replace_dotmulti_before_non_dot(&s);
            s = s.replace("DOTMULTI.", "DOTDOTMULTI");
        }
    }

    // Commas outside numbers.
    let digit = |c: char| c.is_ascii_digit();
    let non_digit = |c: char| !c.is_ascii_digit();
    let comma = |c: char| c == ',';
    let sep = |x: char, _: char, y: char, o: &mut String| spaced(x, " , ", y, o);
    if s.contains(',') {
        s = replace_triples(&s, non_digit, comma, non_digit, sep);
        s = replace_triples(&s, digit, comma, non_digit, sep);
        s = replace_triples(&s, non_digit, comma, digit, sep);
    }

    // Quotes and dashes.
    if s.contains(['`', '‘', '’']) {
        s = s
            .chars()
            .map(|c| {
                if matches!(c, '`' | '‘' | '’') {
                    '\''
                } else {
                    c
                }
            })
            .collect();
    }
    if s.contains("''") || s.contains(['“', '”']) {
        s = s.replace("''", " \" ").replace(['“', '”'], " \" ");
    }
    if s.contains('–') {
        s = s.replace('–', "-");
    }
    if s.contains('-') {
        if s.contains("--") {
            s = s.replace("--", "-");
        }
        s = replace_triples(
            &s,
            |c| is_alnum(c) || c == '.',
            |c| c == '-',
            is_alnum,
            |x, _, y, o| spaced(x, " ", y, o),
        );
    }

    // English contractions split to the right.
    let apostrophe = |c: char| c == '\'';
    let split = |x: char, _: char, y: char, o: &mut String| spaced(x, " ' ", y, o);
    let attach = |x: char, _: char, y: char, o: &mut String| spaced(x, " '", y, o);
    if s.contains('\'') {
        s = replace_triples(&s, |c| !is_alpha(c), apostrophe, |c| !is_alpha(c), split);
        let before_letter = |c: char| !is_alpha(c) && !c.is_ascii_digit();
        s = replace_triples(&s, before_letter, apostrophe, is_alpha, split);
        s = replace_triples(&s, is_alpha, apostrophe, |c| !is_alpha(c), split);
        s = replace_triples(&s, is_alpha, apostrophe, is_alpha, attach);
        s = replace_triples(&s, digit, apostrophe, |c| c == 's', attach);
    }

    // Words ending in a dot: split unless a non-breaking prefix. Without a dot this step
    // changes only the spacing, which the final whitespace pass settles the same way, unless
    // there are tabs or line breaks (which only this step turns into spaces).
    if s.contains('.') || s.contains(['\t', '\n', '\r', '\u{c}']) {
        s = split_final_dots(&s);
    }
    if s.contains("DOTMULTI") {
        while s.contains("DOTDOTMULTI") {
            s = s.replace("DOTDOTMULTI", "DOTMULTI.");
        }
        s = s.replace("DOTMULTI", ".");
    }

    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if matches!(
            c,
            ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
                ..='\u{200a}' | '\u{202f}' | '\u{205f}' | '\u{3000}'
        ) {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out.trim_matches(|c: char| c <= ' ').to_owned()
}

/// The normaliser's step for words ending in a dot: the dot is split off unless the word is a
/// dotted acronym (dots removed) or a non-breaking prefix; words are rejoined with single
/// spaces.
fn split_final_dots(s: &str) -> String {
    let words: Vec<&str> = s
        .split([' ', '\t', '\n', '\r', '\u{c}'])
        .filter(|w| !w.is_empty())
        .collect();
    let mut rebuilt = String::with_capacity(s.len());
    for (i, word) in words.iter().enumerate() {
        if word.len() > 1 && word.ends_with('.') {
            let prefix = &word[..word.len() - 1];
            let next = words.get(i + 1);
            if prefix.contains('.') && prefix.chars().any(is_alpha) {
                rebuilt.push_str(&word.replace('.', ""));
            } else if nonbreaking_prefix(prefix) == Some(false)
                || next.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_lowercase()))
                || (nonbreaking_prefix(prefix) == Some(true)
                    && next.is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit())))
            {
                rebuilt.push_str(word);
            } else {
                rebuilt.push_str(prefix);
                rebuilt.push_str(" .");
            }
        } else {
            rebuilt.push_str(word);
        }
        rebuilt.push(' ');
    }
    rebuilt
}

/// `DOTMULTI\.([^\.])` -> `DOTDOTMULTI $1`.
fn replace_dotmulti_before_non_dot(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut rest = s;
    while let Some(pos) = rest.find("DOTMULTI.") {
        let after = &rest[pos + "DOTMULTI.".len()..];
        match after.chars().next() {
            Some(c) if c != '.' => {
                out.push_str(&rest[..pos]);
                out.push_str("DOTDOTMULTI ");
                out.push(c);
                rest = &after[c.len_utf8()..];
            }
            _ => {
                out.push_str(&rest[..pos + "DOTMULTI.".len()]);
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> MeteorText {
        MeteorText::new(s, &english_stemmer())
    }

    #[test]
    fn plain_words_are_prepared_as_their_text_is() {
        let stemmer = english_stemmer();
        let words = ["no", "acute", "cardiopulmonary", "processes", "2"];
        let quick = MeteorText::from_plain_words(words.iter().copied(), &stemmer).expect("plain");
        let full = text(&words.join(" "));
        assert_eq!(quick.hashes, full.hashes);
        assert_eq!(quick.stem_hashes, full.stem_hashes);
        assert_eq!(quick.function, full.function);
        for unusual in ["x-ray", "The", "2.5", ""] {
            let words = ["a", unusual];
            assert!(MeteorText::from_plain_words(words.iter().copied(), &stemmer).is_none());
        }
    }

    #[test]
    fn java_hash_matches_java() {
        // "hello".hashCode() == 99162322 in Java.
        assert_eq!(java_hash("hello"), 99_162_322);
        assert_eq!(java_hash(""), 0);
    }

    #[test]
    fn identical_sentences_score_one() {
        let a = text("no acute cardiopulmonary process");
        let stats = meteor_stats(&a, std::slice::from_ref(&a));
        assert_eq!(stats.chunks, 1.0);
        assert!((stats.score() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn hand_computed_two_chunk_alignment() {
        // candidate "b a" vs reference "a b": 2 exact content matches in 2 chunks.
        // P = R = 1, Fmean = 1, frag = 2 / 2 = 1, Pen = 0.6 -> score 0.4.
        let stats = meteor_stats(&text("lung heart"), &[text("heart lung")]);
        assert_eq!(stats.chunks, 2.0);
        assert!((stats.score() - 0.4).abs() < 1e-12);
    }

    #[test]
    fn narrow_and_wide_rank_keys_order_paths_alike() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move |bound: i32| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            (state >> 33) as i32 % bound
        };
        let paths: Vec<Path> = (0..300)
            .map(|_| Path {
                matches_weighted: next(8),
                chunks: next(5),
                distance: next(6),
                last_match_end: None,
                history: u32::MAX,
                bits: 0,
                pending: u32::MAX,
            })
            .collect();
        let mut narrow: Vec<u64> = (0..paths.len())
            .map(|i| paths[i].narrow_rank_key(i).expect("small values fit"))
            .collect();
        narrow.sort_unstable();
        let mut wide: Vec<u128> = (0..paths.len())
            .map(|i| paths[i].rank_key() | i as u128)
            .collect();
        wide.sort_unstable();
        let narrow_order: Vec<u64> = narrow.iter().map(|k| k & 0xfff).collect();
        let wide_order: Vec<u64> = wide.iter().map(|&k| k as u32 as u64).collect();
        assert_eq!(narrow_order, wide_order);
        let far = Path {
            distance: 1 << 22,
            ..paths[0]
        };
        assert_eq!(far.narrow_rank_key(0), None);
    }

    #[test]
    fn normalizer_splits_punctuation_and_undots_acronyms() {
        assert_eq!(normalize("the u.s. is big."), "the us is big .");
        assert_eq!(normalize("it's 2,000 (approx)"), "it 's 2,000 ( approx )");
        // Spacing comes out the same whether or not the dot step runs.
        assert_eq!(
            normalize("x-ray\tshows  no\neffusion"),
            "x ray shows no effusion"
        );
        assert_eq!(
            normalize(" x-ray  shows no effusion "),
            "x ray shows no effusion"
        );
        assert_eq!(
            normalize("x-ray  shows no effusion."),
            "x ray shows no effusion ."
        );
    }
}
