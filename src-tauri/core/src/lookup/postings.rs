//! Posting lists of the lookup: which entries hold each character pair of a field, kept in
//! rank order, and their lazy intersection.

use std::collections::HashMap;

fn gram(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

/// Which entries contain each character pair, and each character, of some fields.
#[derive(Default)]
pub(super) struct Postings {
    grams: HashMap<u64, Vec<u32>>,
    chars: HashMap<u32, Vec<u32>>,
}

impl Postings {
    /// Adds entry `id` (ids must come in ascending order) under every pair and character of
    /// `fields`; `scratch` is reused between calls.
    pub(super) fn add(&mut self, id: u32, fields: &[&str], scratch: &mut (Vec<u64>, Vec<u32>)) {
        let (pairs, singles) = scratch;
        pairs.clear();
        singles.clear();
        for field in fields {
            let chars: Vec<char> = field.chars().collect();
            pairs.extend(chars.windows(2).map(|w| gram(w[0], w[1])));
            singles.extend(chars.iter().map(|&c| c as u32));
        }
        pairs.sort_unstable();
        pairs.dedup();
        singles.sort_unstable();
        singles.dedup();
        for k in pairs.iter() {
            self.grams.entry(*k).or_default().push(id);
        }
        for c in singles.iter() {
            self.chars.entry(*c).or_default().push(id);
        }
    }

    pub(super) fn shrink(&mut self) {
        for list in self.grams.values_mut().chain(self.chars.values_mut()) {
            list.shrink_to_fit();
        }
    }

    /// The lists whose intersection holds every entry that may contain `term`.
    pub(super) fn lists(&self, term: &str) -> Vec<&[u32]> {
        let chars: Vec<char> = term.chars().collect();
        if chars.len() == 1 {
            return vec![self.chars.get(&(chars[0] as u32)).map_or(&[], |v| &v[..])];
        }
        chars
            .windows(2)
            .map(|w| self.grams.get(&gram(w[0], w[1])).map_or(&[][..], |v| &v[..]))
            .collect()
    }

    pub(super) fn heap_bytes(&self) -> usize {
        table(&self.grams) + table(&self.chars)
    }
}

pub(super) fn table<K>(m: &HashMap<K, Vec<u32>>) -> usize {
    m.capacity() * (std::mem::size_of::<K>() + std::mem::size_of::<Vec<u32>>() + 1)
        + m.values().map(|v| v.capacity() * 4).sum::<usize>()
}

/// Ids present in every list, in ascending order, found lazily so a search can stop early.
pub(super) struct Intersection<'a> {
    lists: Vec<&'a [u32]>,
    pos: Vec<usize>,
    next: usize,
}

impl<'a> Intersection<'a> {
    pub(super) fn new(mut lists: Vec<&'a [u32]>) -> Self {
        lists.sort_by_key(|l| l.len());
        lists.dedup();
        let pos = vec![0; lists.len()];
        Self { lists, pos, next: 0 }
    }
}

impl Iterator for Intersection<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        let (first, rest) = self.lists.split_first()?;
        'candidates: while self.next < first.len() {
            let id = first[self.next];
            self.next += 1;
            for (list, pos) in rest.iter().zip(self.pos.iter_mut().skip(1)) {
                // Gallop forward to the first id >= `id`.
                let mut step = 1;
                let mut hi = *pos;
                while hi < list.len() && list[hi] < id {
                    *pos = hi;
                    hi += step;
                    step *= 2;
                }
                let hi = hi.min(list.len());
                *pos += list[*pos..hi].partition_point(|&x| x < id);
                if *pos >= list.len() {
                    self.next = first.len();
                    return None;
                }
                if list[*pos] != id {
                    continue 'candidates;
                }
            }
            return Some(id);
        }
        None
    }
}
