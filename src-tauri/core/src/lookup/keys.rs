//! Numeric keys of the lookup — insurance codes, postal codes, phone numbers — as integers,
//! and the entries under each.

use bytemuck::Pod;

use super::bytes::{Column, In, Out, Unusable};

pub(super) fn digits_key(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d))
}

pub(super) fn parse_digits(s: &str) -> Option<Vec<u8>> {
    let d: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    (!d.is_empty()).then_some(d)
}

/// Phone numbers are keyed with a leading 1 so that their leading 0 survives.
pub(super) fn phone_key(digits: &[u8]) -> u64 {
    digits_key(&[&[1u8][..], digits].concat())
}

/// Entries by a numeric key: two sorted arrays instead of a table of small lists.
pub(super) struct Keyed<K> {
    keys: Column<K>,
    ids: Column<u32>,
}

impl<K: Ord + Pod> Keyed<K> {
    pub(super) fn new(mut pairs: Vec<(K, u32)>) -> Self {
        pairs.sort_unstable();
        let (keys, ids): (Vec<K>, Vec<u32>) = pairs.into_iter().unzip();
        Self { keys: keys.into(), ids: ids.into() }
    }

    /// The entries under `key`, in rank order.
    pub(super) fn get(&self, key: K) -> &[u32] {
        let from = self.keys.partition_point(|k| *k < key);
        let to = from + self.keys[from..].partition_point(|k| *k == key);
        &self.ids[from..to]
    }

    pub(super) fn heap_bytes(&self) -> usize {
        self.keys.heap_bytes() + self.ids.heap_bytes()
    }

    pub(super) fn write(&self, out: &mut Out) {
        out.array(&self.keys);
        out.array(&self.ids);
    }

    pub(super) fn read(file: &mut In<'_>) -> Result<Self, Unusable> {
        let (keys, ids): (Column<K>, Column<u32>) = (file.array()?, file.array()?);
        if keys.len() != ids.len() {
            return Err(Unusable::Damaged("keys"));
        }
        Ok(Self { keys, ids })
    }
}
