//! Posting lists of the lookup: which entries hold each character pair of a field, kept in
//! rank order and compressed — each id as its gap from the one before (a varint, one byte for
//! the common pairs), in blocks of [`BLOCK`] whose first ids form a skip table, so an
//! intersection can jump over a long list instead of decoding it — and their lazy intersection.

use std::collections::HashMap;

use bytemuck::{Pod, Zeroable};

use super::bytes::{Column, In, Out, Unusable};

/// Ids per block: the skip table costs 8 bytes per block, a seek decodes at most one block.
const BLOCK: u32 = 128;

fn gram(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

/// Where a block starts: its first id, and its gaps' offset in the list's bytes.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Skip {
    first: u32,
    at: u32,
}

/// One list as it grows while the index is built.
#[derive(Default)]
struct Growing {
    len: u32,
    last: u32,
    gaps: Vec<u8>,
    skips: Vec<Skip>,
}

impl Growing {
    fn push(&mut self, id: u32) {
        if self.len.is_multiple_of(BLOCK) {
            self.skips.push(Skip { first: id, at: self.gaps.len() as u32 });
        } else {
            let mut gap = id - self.last;
            while gap >= 0x80 {
                self.gaps.push((gap as u8) | 0x80);
                gap >>= 7;
            }
            self.gaps.push(gap as u8);
        }
        self.last = id;
        self.len += 1;
    }
}

/// Hashes a pair key in one multiply (the default SipHash is made for keys an attacker
/// chooses; these are the registry's own characters, and ten million lookups go through it).
#[derive(Default)]
struct PairHasher(u64);

impl std::hash::Hasher for PairHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.write_u64(u64::from(b));
        }
    }

    fn write_u64(&mut self, key: u64) {
        let mixed = (self.0 ^ key).wrapping_mul(0x9e37_79b9_7f4a_7c15);
        self.0 = mixed ^ (mixed >> 29);
    }
}

/// Which entries contain each character pair of some fields, while the index is built.
#[derive(Default)]
pub(super) struct PostingsBuilder {
    lists: HashMap<u64, Growing, std::hash::BuildHasherDefault<PairHasher>>,
    pairs: Vec<u64>,
}

impl PostingsBuilder {
    /// Adds entry `id` (ids must come in ascending order) under every pair of `fields`.
    pub(super) fn add(&mut self, id: u32, fields: &[&str]) {
        self.pairs.clear();
        for field in fields {
            let mut chars = field.chars();
            let Some(mut a) = chars.next() else { continue };
            for b in chars {
                self.pairs.push(gram(a, b));
                a = b;
            }
        }
        self.pairs.sort_unstable();
        self.pairs.dedup();
        for k in &self.pairs {
            self.lists.entry(*k).or_default().push(id);
        }
    }

    /// The lists packed into a few flat arrays, keyed in order.
    pub(super) fn finish(self) -> Postings {
        let mut lists: Vec<(u64, Growing)> = self.lists.into_iter().collect();
        lists.sort_unstable_by_key(|(k, _)| *k);
        let mut keys = Vec::with_capacity(lists.len());
        let mut heads = Vec::with_capacity(lists.len() + 1);
        let mut gaps = Vec::with_capacity(lists.iter().map(|(_, l)| l.gaps.len()).sum());
        let mut skips = Vec::with_capacity(lists.iter().map(|(_, l)| l.skips.len()).sum());
        for (key, list) in lists {
            keys.push(key);
            heads.push(Head { gaps: gaps.len() as u32, skips: skips.len() as u32, len: list.len });
            gaps.extend_from_slice(&list.gaps);
            skips.extend(list.skips);
        }
        heads.push(Head { gaps: gaps.len() as u32, skips: skips.len() as u32, len: 0 });
        Postings { keys: keys.into(), heads: heads.into(), gaps: gaps.into(), skips: skips.into() }
    }
}

/// Where a key's list starts in the flat arrays; it ends where the next key's starts.
#[derive(Clone, Copy, Pod, Zeroable)]
#[repr(C)]
struct Head {
    gaps: u32,
    skips: u32,
    len: u32,
}

/// The packed lists: sorted pair keys, and per key its gaps and skip table.
pub(super) struct Postings {
    keys: Column<u64>,
    heads: Column<Head>,
    gaps: Column<u8>,
    skips: Column<Skip>,
}

impl Postings {
    fn list(&self, key: u64) -> List<'_> {
        let Ok(i) = self.keys.binary_search(&key) else { return List::EMPTY };
        let (head, next) = (self.heads[i], self.heads[i + 1]);
        List {
            gaps: &self.gaps[head.gaps as usize..next.gaps as usize],
            skips: &self.skips[head.skips as usize..next.skips as usize],
            len: head.len,
        }
    }

    /// The lists whose intersection holds every entry that may contain `term` (two
    /// characters or more).
    pub(super) fn lists(&self, term: &str) -> Vec<List<'_>> {
        let chars: Vec<char> = term.chars().collect();
        chars.windows(2).map(|w| self.list(gram(w[0], w[1]))).collect()
    }

    pub(super) fn write(&self, out: &mut Out) {
        out.array(&self.keys);
        out.array(&self.heads);
        out.array(&self.gaps);
        out.array(&self.skips);
    }

    /// The lists as [`Postings::write`] wrote them, left in the file.
    pub(super) fn read(file: &mut In<'_>) -> Result<Self, Unusable> {
        let postings = Self {
            keys: file.array()?,
            heads: file.array()?,
            gaps: file.array()?,
            skips: file.array()?,
        };
        if postings.heads.len() != postings.keys.len() + 1 {
            return Err(Unusable::Damaged("postings"));
        }
        Ok(postings)
    }

    /// Whether the lists' offsets hold against the arrays (a damaged file must not send a
    /// search out of bounds); reads every head.
    pub(super) fn sound(&self) -> bool {
        self.heads.windows(2).all(|w| {
            let blocks = w[1].skips.checked_sub(w[0].skips);
            w[0].gaps <= w[1].gaps && blocks == Some(w[0].len.div_ceil(BLOCK))
        }) && self.heads.last().is_some_and(|h| {
            h.gaps as usize == self.gaps.len() && h.skips as usize == self.skips.len()
        })
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.keys.heap_bytes()
            + self.heads.heap_bytes()
            + self.gaps.heap_bytes()
            + self.skips.heap_bytes()
    }
}

/// One compressed list.
#[derive(Clone, Copy)]
pub(super) struct List<'a> {
    gaps: &'a [u8],
    skips: &'a [Skip],
    len: u32,
}

impl List<'_> {
    const EMPTY: List<'static> = List { gaps: &[], skips: &[], len: 0 };
}

/// A position in a list: block `block`, id `id` at index `i` in it, the next gap at `at`.
struct Cursor<'a> {
    list: List<'a>,
    block: usize,
    i: u32,
    at: usize,
    id: u32,
}

impl<'a> Cursor<'a> {
    fn new(list: List<'a>) -> Self {
        let mut c = Self { list, block: 0, i: 0, at: 0, id: 0 };
        c.enter(0);
        c
    }

    fn done(&self) -> bool {
        self.block >= self.list.skips.len()
    }

    fn enter(&mut self, block: usize) {
        self.block = block;
        self.i = 0;
        if let Some(skip) = self.list.skips.get(block) {
            self.id = skip.first;
            self.at = skip.at as usize;
        }
    }

    fn block_len(&self) -> u32 {
        BLOCK.min(self.list.len - self.block as u32 * BLOCK)
    }

    fn advance(&mut self) {
        if self.i + 1 < self.block_len() {
            let (mut gap, mut shift) = (0u32, 0);
            loop {
                let byte = self.list.gaps[self.at];
                self.at += 1;
                gap |= u32::from(byte & 0x7f) << shift;
                if byte < 0x80 {
                    break;
                }
                shift += 7;
            }
            self.id += gap;
            self.i += 1;
        } else {
            self.enter(self.block + 1);
        }
    }

    /// Moves to the first id ≥ `target`; false when the list has none.
    fn seek(&mut self, target: u32) -> bool {
        if self.done() {
            return false;
        }
        if self.id >= target {
            return true;
        }
        // The last block starting at or before `target`, if it is past this one.
        let ahead = &self.list.skips[self.block + 1..];
        let jump = ahead.partition_point(|s| s.first <= target);
        if jump > 0 {
            self.enter(self.block + jump);
        }
        while !self.done() && self.id < target {
            self.advance();
        }
        !self.done()
    }
}

/// Ids present in every list, in ascending order, found lazily so a search can stop early.
pub(super) struct Intersection<'a> {
    cursors: Vec<Cursor<'a>>,
}

impl<'a> Intersection<'a> {
    pub(super) fn new(mut lists: Vec<List<'a>>) -> Self {
        lists.sort_by_key(|l| l.len);
        lists.dedup_by(|a, b| std::ptr::eq(a.gaps, b.gaps) && std::ptr::eq(a.skips, b.skips));
        Self { cursors: lists.into_iter().map(Cursor::new).collect() }
    }
}

impl Iterator for Intersection<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (first, rest) = self.cursors.split_first_mut()?;
        'candidates: while !first.done() {
            let id = first.id;
            first.advance();
            for other in rest.iter_mut() {
                if !other.seek(id) {
                    first.enter(first.list.skips.len());
                    return None;
                }
                if other.id != id {
                    continue 'candidates;
                }
            }
            return Some(id);
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn built(lists: &[(char, char, &[u32])]) -> Postings {
        let mut b = PostingsBuilder::default();
        let mut by_id: std::collections::BTreeMap<u32, String> = Default::default();
        for (x, y, ids) in lists {
            for id in *ids {
                // Separate fields, so only the wanted pairs are formed.
                by_id.entry(*id).or_default().push_str(&format!("{x}{y}\u{1f}"));
            }
        }
        for (id, text) in by_id {
            let fields: Vec<&str> = text.split('\u{1f}').collect();
            b.add(id, &fields);
        }
        b.finish()
    }

    #[test]
    fn long_lists_intersect_across_blocks_and_gaps_of_every_width() {
        let evens: Vec<u32> = (0..100_000).map(|i| i * 2).collect();
        let sparse: Vec<u32> = vec![0, 2, 254, 256, 16_384, 70_000, 199_998];
        let threes: Vec<u32> = (0..66_667).map(|i| i * 3).collect();
        let p = built(&[('a', 'b', &evens), ('c', 'd', &sparse), ('e', 'f', &threes)]);
        let got: Vec<u32> =
            Intersection::new(vec![p.list(gram('a', 'b')), p.list(gram('c', 'd'))]).collect();
        assert_eq!(got, vec![0, 2, 254, 256, 16_384, 70_000, 199_998]);
        let got: Vec<u32> =
            Intersection::new(vec![p.list(gram('a', 'b')), p.list(gram('e', 'f'))]).collect();
        let want: Vec<u32> = (0..200_000).filter(|i| i % 6 == 0).collect();
        assert_eq!(got, want);
        let all: Vec<u32> = Intersection::new(vec![p.list(gram('e', 'f'))]).collect();
        assert_eq!(all, threes);
        assert_eq!(Intersection::new(p.lists("abzz")).count(), 0, "a missing pair");
    }
}
