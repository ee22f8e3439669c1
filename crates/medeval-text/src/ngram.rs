//! N-gram counting over token fingerprints.
//!
//! Every metric here compares n-grams (n = 1..4) between a candidate and its references. Tokens
//! are first reduced to 64-bit fingerprints and an n-gram to a 64-bit key mixed from its
//! order and token fingerprints, so counting works on plain integers instead of hashing
//! strings and tuples as the Python tools do: a sort where the n-grams are needed in key order
//! ([`count_ngrams`], for CIDEr-D's floating-point sums), otherwise a small reused
//! open-addressing table ([`CountTable`], for BLEU's clipped counts). Two different n-grams
//! share a key with
//! probability about k²/2⁶³ for k distinct n-grams (about 10⁻⁷ for a million), which is far
//! below the 1e-6 agreement the tests demand.

/// The highest n-gram order any metric here uses.
pub const MAX_ORDER: usize = 4;

/// 64-bit fingerprint of one token: its bytes, eight at a time, folded through the splitmix64
/// permutation, with the length in the initial state.
pub fn fingerprint(token: &str) -> u64 {
    let bytes = token.as_bytes();
    let mut h = 0x243f_6a88_85a3_08d3 ^ bytes.len() as u64;
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        h = mix(h ^ u64::from_le_bytes(word));
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        h = mix(h ^ little_endian(tail));
    }
    mix(h)
}

/// The bytes of `tail` (at most 8) as a little-endian integer, zero-padded: what
/// `u64::from_le_bytes` gives for them padded to eight bytes, without a variable-length copy.
#[inline]
fn little_endian(tail: &[u8]) -> u64 {
    tail.iter()
        .rev()
        .fold(0u64, |word, &byte| (word << 8) | u64::from(byte))
}

/// `std::hash::Hasher` over [`fingerprint`]'s mixing, for the crate's string-keyed memos
/// (much cheaper than SipHash on short words; the memos are not exposed to untrusted keys in a
/// way where collision flooding would matter more than a slower lookup).
#[derive(Debug, Default, Clone, Copy)]
pub struct FastHasher(u64);

impl std::hash::Hasher for FastHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = self.0 ^ bytes.len() as u64;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            h = mix(h ^ u64::from_le_bytes(word));
        }
        let tail = chunks.remainder();
        if !tail.is_empty() {
            h = mix(h ^ little_endian(tail));
        }
        self.0 = mix(h);
    }

    fn write_u8(&mut self, i: u8) {
        self.0 = mix(self.0 ^ u64::from(i));
    }
}

/// A `HashMap` hashed with [`FastHasher`].
pub type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<FastHasher>>;

/// Fingerprints of a token sequence.
pub fn fingerprints<'a>(tokens: impl IntoIterator<Item = &'a str>) -> Vec<u64> {
    tokens.into_iter().map(fingerprint).collect()
}

fn mix(mut x: u64) -> u64 {
    // splitmix64 finaliser: a bijection with good avalanche.
    x ^= x >> 30;
    x = x.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x ^= x >> 27;
    x = x.wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

/// Hash of the n-gram `ids` (its length is part of the hash).
pub fn ngram_key(ids: &[u64]) -> u64 {
    let mut h = mix(ids.len() as u64);
    for &id in ids {
        h = mix(h ^ id);
    }
    h
}

/// The key [`count_ngrams`] gives the n-gram `window` (its order index in the two low bits).
#[inline]
pub fn order_key(window: &[u64]) -> u64 {
    (ngram_key(window) & !3) | (window.len() as u64 - 1)
}

/// Calls `f(order, key)` for every n-gram of orders `1..=max_order` of `ids`, with the
/// zero-based order and the [`order_key`]. (A closure rather than an iterator: the nested
/// loops then compile to straight-line code.)
#[inline]
pub fn for_each_ngram(ids: &[u64], max_order: usize, mut f: impl FnMut(usize, u64)) {
    for n in 1..=max_order {
        for window in ids.windows(n) {
            f(n - 1, order_key(window));
        }
    }
}

/// A map from n-gram key to count for the n-grams of one item, reused from item to item.
///
/// Open addressing over a power-of-two slot array, sized for the item at hand: the keys are
/// already uniformly mixed, so their bits index the slots directly, and a slot belongs to the
/// current item only when it carries the current generation number, so that starting a new
/// item costs nothing instead of clearing the array. A handful of report-sized texts fit in L1
/// cache, which makes this several times faster than sorting the keys.
#[derive(Debug, Default)]
pub struct CountTable {
    slots: Vec<Slot>,
    /// Slots in use by the current item (indices into `slots`), for iterating over them.
    occupied: Vec<u32>,
    mask: usize,
    generation: u32,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slot {
    key: u64,
    count: u32,
    generation: u32,
}

impl CountTable {
    /// Empties the table, with room for at least `keys` distinct keys.
    pub fn reset(&mut self, keys: usize) {
        // At most half full, so that probe sequences stay short.
        let capacity = (2 * keys).next_power_of_two().max(16);
        if capacity > self.slots.len() {
            self.slots = vec![Slot::default(); capacity];
            self.generation = 0;
        }
        self.generation = self.generation.wrapping_add(1);
        if self.generation == 0 {
            // After 2^32 items stale stamps could look current again: start over.
            self.slots.fill(Slot::default());
            self.generation = 1;
        }
        self.mask = capacity - 1;
        self.occupied.clear();
    }

    /// The slot of `key`: where it is, or the free slot where it would go.
    fn find(&self, key: u64) -> usize {
        // The two low bits hold the n-gram order; the bits above them are uniform.
        let mut i = (key >> 2) as usize & self.mask;
        loop {
            let slot = &self.slots[i];
            if slot.generation != self.generation || slot.key == key {
                return i;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Mutable count of `key`, inserted with count 0 when absent.
    ///
    /// The table must have room: at most as many distinct keys as [`CountTable::reset`] was
    /// given.
    pub fn entry(&mut self, key: u64) -> &mut u32 {
        let i = self.find(key);
        let generation = self.generation;
        let slot = &mut self.slots[i];
        if slot.generation != generation {
            debug_assert!(
                self.occupied.len() < self.mask,
                "count table sized for fewer keys"
            );
            *slot = Slot {
                key,
                count: 0,
                generation,
            };
            self.occupied.push(i as u32);
        }
        &mut slot.count
    }

    /// Mutable count of `key` if present.
    pub fn get_mut(&mut self, key: u64) -> Option<&mut u32> {
        let i = self.find(key);
        let slot = &mut self.slots[i];
        (slot.generation == self.generation).then_some(&mut slot.count)
    }

    /// The keys and counts of the current item, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, u32)> + '_ {
        self.occupied.iter().map(|&i| {
            let slot = &self.slots[i as usize];
            (slot.key, slot.count)
        })
    }
}

/// One distinct n-gram of a text and how often it occurs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NgramCount {
    /// The n-gram's key: [`ngram_key`] with the order index in the two low bits.
    pub key: u64,
    /// Zero-based order index (0 for unigrams).
    pub order: u8,
    /// Occurrences in the text.
    pub count: u32,
}

/// The distinct n-grams of orders `1..=max_order` (at most 4) of `ids`, sorted by key.
///
/// The order index is kept in the key's two low bits, so that counting is a sort of plain
/// integers.
pub fn count_ngrams(ids: &[u64], max_order: usize) -> Vec<NgramCount> {
    let mut counts = Vec::new();
    count_ngrams_into(ids, max_order, &mut Vec::new(), &mut counts);
    counts
}

/// [`count_ngrams`] into `counts` (replacing its contents), with `keys` as scratch space:
/// buffers reused from text to text save two allocations per text.
pub fn count_ngrams_into(
    ids: &[u64],
    max_order: usize,
    keys: &mut Vec<u64>,
    counts: &mut Vec<NgramCount>,
) {
    debug_assert!(max_order <= MAX_ORDER);
    keys.clear();
    keys.reserve(ids.len() * max_order);
    for_each_ngram(ids, max_order, |_, key| keys.push(key));
    keys.sort_unstable();
    counts.clear();
    for &key in keys.iter() {
        match counts.last_mut() {
            Some(last) if last.key == key => last.count += 1,
            _ => counts.push(NgramCount {
                key,
                order: (key & 3) as u8,
                count: 1,
            }),
        }
    }
}

/// Count of `key` in a key-sorted list, 0 when absent.
pub fn lookup(sorted: &[NgramCount], key: u64) -> u32 {
    sorted
        .binary_search_by_key(&key, |c| c.key)
        .map_or(0, |i| sorted[i].count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_words_are_little_endian() {
        for len in 0..8 {
            let bytes = &b"\x01\x02\x03\x04\x05\x06\x07"[..len];
            let mut word = [0u8; 8];
            word[..len].copy_from_slice(bytes);
            assert_eq!(little_endian(bytes), u64::from_le_bytes(word));
        }
    }

    #[test]
    fn counts_repeated_ngrams() {
        let ids = fingerprints(["a", "b", "a", "b"]);
        let counts = count_ngrams(&ids, 2);
        assert_eq!(counts.len(), 4, "a, b, a-b, b-a");
        assert_eq!(lookup(&counts, ngram_key(&ids[0..2]) & !3 | 1), 2);
        assert_eq!(lookup(&counts, ngram_key(&ids[1..3]) & !3 | 1), 1);
        assert_eq!(lookup(&counts, ngram_key(&ids[0..1]) & !3), 2);
    }

    #[test]
    fn count_table_forgets_the_previous_item_and_survives_collisions() {
        let mut table = CountTable::default();
        table.reset(4);
        *table.entry(8) += 2;
        *table.entry(12) += 1;
        assert_eq!(table.get_mut(8).copied(), Some(2));
        table.reset(4);
        assert_eq!(table.get_mut(8), None);
        assert_eq!(table.iter().count(), 0);
        // Keys whose slot bits are all equal land in one probe chain.
        table.reset(100);
        for k in 0..100u64 {
            *table.entry(k << 50) += 1 + k as u32;
        }
        for k in 0..100u64 {
            assert_eq!(table.get_mut(k << 50).copied(), Some(1 + k as u32));
        }
        assert_eq!(table.get_mut(7 << 50 | 1), None);
        assert_eq!(table.iter().count(), 100);
    }
}
