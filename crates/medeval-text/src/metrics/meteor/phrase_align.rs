//! METEOR 1.5's alignment with all four English modules: exact, stem, synonym (WordNet
//! synsets) and paraphrase (phrase-table entries, which may span several words on either
//! side), resolved by the jar's beam search.
//!
//! The exact+stem aligner in `align` is specialised for one-word matches; this one follows the
//! jar's general search, where a match covers `length` reference words from `start` and
//! `match_length` candidate words from `match_start`.

use super::resources::MeteorData;
use super::score::MeteorStats;
use super::words::{Lexical, MeteorText};
use crate::ngram::FastMap;

const BEAM_SIZE: usize = 40;
const EXACT: u8 = 0;
const STEM: u8 = 1;
const SYNONYM: u8 = 2;
const PARAPHRASE: u8 = 3;
/// The weights the jar's aligner ranks partial alignments with (exact 1, others 0.5); they
/// are added to Java `int` counters, so a fraction is truncated at each addition.
const RANK_WEIGHTS: [f64; 4] = [1.0, 0.5, 0.5, 0.5];

/// Statistics of the best-scoring reference for one candidate (Meteor's `SCORE` command),
/// with all four modules. Both texts must have been prepared with
/// [`MeteorText::with_data`] and the same `data`.
pub fn meteor_stats_with_data(
    candidate: &MeteorText,
    references: &[MeteorText],
    data: &MeteorData,
) -> MeteorStats {
    let mut best = MeteorStats::default();
    let mut best_score = -1.0;
    for reference in references {
        let stats = align(candidate, reference, data);
        let score = stats.score();
        if score > best_score {
            best_score = score;
            best = stats;
        }
    }
    best
}

/// One possible match: `length` reference words from `start` with `match_length` candidate
/// words from `match_start`, found by `module`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Match {
    start: usize,
    length: usize,
    match_start: usize,
    match_length: usize,
    module: u8,
}

/// Every possible match, grouped by reference start position, with how many matches cover
/// each word of either text.
struct Stage {
    matches: Vec<Vec<Match>>,
    test_coverage: Vec<u32>,
    ref_coverage: Vec<u32>,
}

impl Stage {
    fn add(&mut self, m: Match) {
        self.matches[m.start].push(m);
        for k in 0..m.match_length {
            self.test_coverage[m.match_start + k] += 1;
        }
        for k in 0..m.length {
            self.ref_coverage[m.start + k] += 1;
        }
    }
}

fn one_word(j: usize, i: usize, module: u8) -> Match {
    Match {
        start: j,
        length: 1,
        match_start: i,
        match_length: 1,
        module,
    }
}

fn lexical(text: &MeteorText) -> &Lexical {
    static EMPTY: std::sync::OnceLock<Lexical> = std::sync::OnceLock::new();
    text.lexical
        .as_ref()
        .unwrap_or_else(|| EMPTY.get_or_init(Lexical::default))
}

/// Finds every match, module by module (the order fixes the order of candidates, which the
/// search's tie-breaking depends on).
fn find_matches(test: &MeteorText, reference: &MeteorText, data: &MeteorData) -> Stage {
    let (n1, n2) = (test.len(), reference.len());
    let mut stage = Stage {
        matches: vec![Vec::new(); n2],
        test_coverage: vec![0; n1],
        ref_coverage: vec![0; n2],
    };
    for j in 0..n2 {
        for i in 0..n1 {
            if test.hashes[i] == reference.hashes[j] {
                stage.add(one_word(j, i, EXACT));
            }
        }
    }
    // Identical sentences need exact matches only (the jar's guard against search errors).
    if test.hashes == reference.hashes {
        return stage;
    }
    for j in 0..n2 {
        for i in 0..n1 {
            if test.stem_hashes[i] == reference.stem_hashes[j]
                && test.hashes[i] != reference.hashes[j]
            {
                stage.add(one_word(j, i, STEM));
            }
        }
    }
    let (lex1, lex2) = (lexical(test), lexical(reference));
    for j in 0..n2 {
        let Some(sets2) = lex2.synsets.get(j) else {
            continue;
        };
        for i in 0..n1 {
            let Some(sets1) = lex1.synsets.get(i) else {
                continue;
            };
            if test.hashes[i] != reference.hashes[j] && intersects(sets1, sets2) {
                stage.add(one_word(j, i, SYNONYM));
            }
        }
    }
    paraphrase_matches(&mut stage, lex1, lex2, data);
    stage
}

fn intersects(a: &[u32], b: &[u32]) -> bool {
    let (mut x, mut y) = (0, 0);
    while x < a.len() && y < b.len() {
        match a[x].cmp(&b[y]) {
            std::cmp::Ordering::Less => x += 1,
            std::cmp::Ordering::Greater => y += 1,
            std::cmp::Ordering::Equal => return true,
        }
    }
    false
}

/// Paraphrases of reference phrases found in the candidate, then paraphrases of candidate
/// phrases found in the reference, in the jar's loop order. A paraphrase is looked for only
/// where its first word occurs (in increasing position, as the jar's scan finds them).
fn paraphrase_matches(stage: &mut Stage, lex1: &Lexical, lex2: &Lexical, data: &MeteorData) {
    let table = &data.paraphrases;
    let (line1, line2) = (&lex1.paraphrase_ids, &lex2.paraphrase_ids);
    let positions1 = positions_by_word(line1);
    let positions2 = positions_by_word(line2);
    let mut phrases = Vec::new();
    for j in 0..line2.len() {
        table.phrases_at(line2, j, &mut phrases);
        for &(length, entry) in &phrases {
            let words = table.paraphrase(entry);
            for i in occurrences(line1, &positions1, words) {
                stage.add(Match {
                    start: j,
                    length,
                    match_start: i,
                    match_length: words.len(),
                    module: PARAPHRASE,
                });
            }
        }
    }
    for i in 0..line1.len() {
        table.phrases_at(line1, i, &mut phrases);
        for &(length, entry) in &phrases {
            let words = table.paraphrase(entry);
            for j in occurrences(line2, &positions2, words) {
                stage.add(Match {
                    start: j,
                    length: words.len(),
                    match_start: i,
                    match_length: length,
                    module: PARAPHRASE,
                });
            }
        }
    }
}

/// The positions of each paraphrase-table word of `line`, in increasing order.
fn positions_by_word(line: &[Option<u32>]) -> FastMap<u32, Vec<usize>> {
    let mut positions: FastMap<u32, Vec<usize>> = FastMap::default();
    for (at, word) in line.iter().enumerate() {
        if let Some(id) = word {
            positions.entry(*id).or_default().push(at);
        }
    }
    positions
}

/// Where the phrase `words` occurs in `line`, in increasing position.
fn occurrences<'a>(
    line: &'a [Option<u32>],
    positions: &'a FastMap<u32, Vec<usize>>,
    words: &'a [u32],
) -> impl Iterator<Item = usize> + 'a {
    let starts = words
        .first()
        .and_then(|first| positions.get(first))
        .map_or(&[][..], Vec::as_slice);
    starts.iter().copied().filter(move |&at| {
        words.len() <= line.len() - at
            && words
                .iter()
                .enumerate()
                .all(|(k, w)| line[at + k] == Some(*w))
    })
}

/// One partial alignment of the beam search (the jar's `PartialAlignment`).
#[derive(Debug, Clone, Copy)]
struct Path {
    /// The jar's `matches1 + matches2`, each a Java `int` (see [`RANK_WEIGHTS`]).
    matches1: i32,
    matches2: i32,
    chunks: i32,
    /// Next reference position not covered by this path's matches.
    idx: usize,
    /// End in the candidate of the open chunk's last match.
    last_match_end: Option<usize>,
    distance: i32,
    /// Last match chosen by the search, as an index into the arena (`u32::MAX`: none).
    history: u32,
    /// Offset of this path's used-word bits (candidate words, then reference words).
    bits: usize,
}

impl Path {
    /// The jar's ranking: more weighted matches, then fewer chunks, then less distance.
    fn rank(&self) -> (i32, i32, i32) {
        (-(self.matches1 + self.matches2), self.chunks, self.distance)
    }

    fn take(&mut self, m: &Match) {
        let weight = RANK_WEIGHTS[m.module as usize];
        self.matches1 = (f64::from(self.matches1) + m.match_length as f64 * weight) as i32;
        self.matches2 = (f64::from(self.matches2) + m.length as f64 * weight) as i32;
        if self.last_match_end.is_some_and(|end| m.match_start != end) {
            self.chunks += 1;
        }
        self.idx = m.start + m.length;
        self.last_match_end = Some(m.match_start + m.match_length);
    }
}

/// Used-word bit sets of all paths of one search step, `stride` words per path.
struct Bits {
    words: Vec<u64>,
    stride: usize,
    /// Where the reference words' bits start within a path's bits.
    ref_offset: usize,
}

impl Bits {
    fn get(&self, at: usize, bit: usize) -> bool {
        self.words[at + bit / 64] & (1 << (bit % 64)) != 0
    }

    fn set(&mut self, at: usize, bit: usize) {
        self.words[at + bit / 64] |= 1 << (bit % 64);
    }

    fn is_used(&self, at: usize, m: &Match) -> bool {
        (0..m.length).any(|k| self.get(at, self.ref_offset * 64 + m.start + k))
            || (0..m.match_length).any(|k| self.get(at, m.match_start + k))
    }

    fn mark(&mut self, at: usize, m: &Match) {
        for k in 0..m.length {
            self.set(at, self.ref_offset * 64 + m.start + k);
        }
        for k in 0..m.match_length {
            self.set(at, m.match_start + k);
        }
    }

    /// Copies the bits at `from` in `source` to the end of `self`; returns their offset.
    fn copy_from(&mut self, source: &Bits, from: usize) -> usize {
        let at = self.words.len();
        self.words
            .extend_from_slice(&source.words[from..from + self.stride]);
        at
    }
}

fn align(test: &MeteorText, reference: &MeteorText, data: &MeteorData) -> MeteorStats {
    let stage = find_matches(test, reference, data);
    let (n1, n2) = (test.len(), reference.len());
    let ref_offset = n1.div_ceil(64);
    let stride = ref_offset + n2.div_ceil(64);
    let mut bits = Bits {
        words: vec![0; stride.max(1)],
        stride,
        ref_offset,
    };
    // One-to-one matches whose words no other match covers are definite.
    let mut fixed: Vec<Option<Match>> = vec![None; n2];
    for (j, candidates) in stage.matches.iter().enumerate() {
        if let [m] = candidates.as_slice() {
            let alone = (0..m.length).all(|k| stage.ref_coverage[j + k] == 1)
                && (0..m.match_length).all(|k| stage.test_coverage[m.match_start + k] == 1);
            if alone {
                fixed[j] = Some(*m);
                bits.mark(0, m);
            }
        }
    }
    let (best, arena) = resolve(&stage, &fixed, bits, n2);
    let mut chosen = fixed;
    let mut node = best.history;
    while node != u32::MAX {
        let (m, parent) = arena[node as usize];
        chosen[m.start] = Some(m);
        node = parent;
    }
    statistics(test, reference, &chosen)
}

/// The jar's beam search over reference positions; returns the best complete path and the
/// arena its chosen matches live in.
fn resolve(
    stage: &Stage,
    fixed: &[Option<Match>],
    bits: Bits,
    n2: usize,
) -> (Path, Vec<(Match, u32)>) {
    let mut arena: Vec<(Match, u32)> = Vec::new();
    let mut paths = vec![Path {
        matches1: 0,
        matches2: 0,
        chunks: 0,
        idx: 0,
        last_match_end: None,
        distance: 0,
        history: u32::MAX,
        bits: 0,
    }];
    let mut pool = bits;
    for current in 0..=n2 {
        // Java's sort is stable, and only the first BEAM_SIZE paths are tried.
        paths.sort_by_key(Path::rank);
        paths.truncate(BEAM_SIZE);
        let mut next_pool = Bits {
            words: Vec::with_capacity(pool.stride * paths.len() * 2),
            stride: pool.stride,
            ref_offset: pool.ref_offset,
        };
        let mut next: Vec<Path> = Vec::with_capacity(paths.len() * 2);
        for path in &paths {
            let mut path = *path;
            if current == n2 {
                if path.last_match_end.is_some() {
                    path.chunks += 1;
                }
                path.bits = next_pool.copy_from(&pool, path.bits);
                next.push(path);
                continue;
            }
            if pool.get(path.bits, pool.ref_offset * 64 + current) {
                if current < path.idx {
                    path.bits = next_pool.copy_from(&pool, path.bits);
                    next.push(path);
                } else if let Some(m) = fixed.get(path.idx).copied().flatten() {
                    path.take(&m);
                    path.distance += m.start.abs_diff(m.match_start) as i32;
                    path.bits = next_pool.copy_from(&pool, path.bits);
                    next.push(path);
                }
                continue;
            }
            for m in &stage.matches[current] {
                if pool.is_used(path.bits, m) {
                    continue;
                }
                let mut extended = path;
                extended.take(m);
                extended.bits = next_pool.copy_from(&pool, path.bits);
                next_pool.mark(extended.bits, m);
                arena.push((*m, path.history));
                extended.history = (arena.len() - 1) as u32;
                next.push(extended);
                // The jar adds this distance to the path being extended, not the new one.
                path.distance += m.start.abs_diff(m.match_start) as i32;
            }
            if path.last_match_end.take().is_some() {
                path.chunks += 1;
            }
            path.idx += 1;
            path.bits = next_pool.copy_from(&pool, path.bits);
            next.push(path);
        }
        if next.is_empty() {
            // The jar's fallback when no path can continue.
            let mut path = paths[0];
            path.bits = next_pool.copy_from(&pool, path.bits);
            next.push(path);
        }
        paths = next;
        pool = next_pool;
    }
    paths.sort_by_key(Path::rank);
    (paths[0], arena)
}

/// The sufficient statistics of a complete alignment (`chosen[j]`: the match starting at
/// reference word `j`, if any).
fn statistics(test: &MeteorText, reference: &MeteorText, chosen: &[Option<Match>]) -> MeteorStats {
    let mut stats = MeteorStats {
        test_len: test.len() as f64,
        ref_len: reference.len() as f64,
        test_function: test.function.iter().filter(|f| **f).count() as f64,
        ref_function: reference.function.iter().filter(|f| **f).count() as f64,
        ..MeteorStats::default()
    };
    for m in chosen.iter().flatten() {
        let module = m.module as usize;
        for k in 0..m.match_length {
            if test.function[m.match_start + k] {
                stats.test_function_matches[module] += 1.0;
            } else {
                stats.test_content_matches[module] += 1.0;
            }
        }
        for k in 0..m.length {
            if reference.function[m.start + k] {
                stats.ref_function_matches[module] += 1.0;
            } else {
                stats.ref_content_matches[module] += 1.0;
            }
        }
        stats.test_word_matches += m.match_length as f64;
        stats.ref_word_matches += m.length as f64;
    }
    // Chunks, walking the reference as the jar's `getCountAndChunks` does.
    let mut chunks = 0;
    let mut idx = 0;
    let mut last_end: Option<usize> = None;
    while idx < chosen.len() {
        match chosen[idx] {
            None => {
                if last_end.take().is_some() {
                    chunks += 1;
                }
                idx += 1;
            }
            Some(m) => {
                if last_end.is_some_and(|end| m.match_start != end) {
                    chunks += 1;
                }
                idx = m.start + m.length;
                last_end = Some(m.match_start + m.match_length);
            }
        }
    }
    if last_end.is_some() {
        chunks += 1;
    }
    stats.chunks = f64::from(chunks);
    stats
}
