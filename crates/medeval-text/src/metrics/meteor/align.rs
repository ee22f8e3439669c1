//! Exact and stem matching and the jar's beam-search alignment of one candidate and reference.

use super::score::MeteorStats;
use super::words::MeteorText;

/// What one match adds to the jar's ranking counters `matches1 + matches2`. The jar ranks with
/// weights 1.0 (exact) and 0.5 (other modules) but keeps the counters in Java `int`s updated
/// with `+=` of a double, which truncates: an exact match adds 1 + 1, any other match adds
/// `(int)(k + 0.5) - k = 0` to each.
const ALIGN_UNITS: [i32; 2] = [2, 0];
const BEAM_SIZE: usize = 40;
const EXACT: usize = 0;
const STEM: usize = 1;

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

#[cfg(test)]
mod tests {
    use super::*;

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
}
