//! The saved index's encoding: a table of the arrays' lengths, then the arrays of plain values
//! as little-endian bytes, each starting on an 8-byte boundary, so that a loaded index reads
//! them in place from the mapped file ([`Column`]) — and lays itself out from the table
//! alone, touching none of the arrays; and the reader that checks every length against what
//! is left.

use std::ops::Deref;
use std::sync::Arc;

use bytemuck::Pod;
use memmap2::Mmap;

// Arrays are read in place as the machine's own integers: the file is little-endian, as are
// the machines the desk runs on (x86-64, ARM64).
const _: () = assert!(cfg!(target_endian = "little"), "the saved index is little-endian");

/// Every array starts on a multiple of this (the widest value's alignment).
const ALIGN: usize = 8;

/// An array of the index: in memory when just built, or read in place from the saved file —
/// then its pages are the system's file cache, read in as searches touch them and given
/// back under memory pressure, instead of the desk's own memory.
pub(super) enum Column<T> {
    Built(Vec<T>),
    Saved { file: Arc<Mmap>, at: usize, len: usize },
}

impl<T: Pod> Deref for Column<T> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        match self {
            Column::Built(items) => items,
            Column::Saved { file, at, len } => {
                bytemuck::cast_slice(&file[*at..*at + len * std::mem::size_of::<T>()])
            }
        }
    }
}

impl<T> From<Vec<T>> for Column<T> {
    fn from(items: Vec<T>) -> Self {
        Column::Built(items)
    }
}

impl<T: Pod> Column<T> {
    /// The desk's own memory it holds (a saved column's bytes are the file's).
    pub(super) fn heap_bytes(&self) -> usize {
        match self {
            Column::Built(items) => items.capacity() * std::mem::size_of::<T>(),
            Column::Saved { .. } => 0,
        }
    }
}

/// Plain values as they are written.
pub(super) fn put<T: Pod>(out: &mut Vec<u8>, v: T) {
    out.extend_from_slice(bytemuck::bytes_of(&v));
}

/// Zeros up to the next array boundary.
pub(super) fn pad(out: &mut Vec<u8>) {
    out.resize(out.len().next_multiple_of(ALIGN), 0);
}

/// The arrays being written, and their lengths.
#[derive(Default)]
pub(super) struct Out {
    lengths: Vec<u64>,
    arrays: Vec<u8>,
}

impl Out {
    pub(super) fn array<T: Pod>(&mut self, items: &[T]) {
        self.lengths.push(items.len() as u64);
        pad(&mut self.arrays);
        self.arrays.extend_from_slice(bytemuck::cast_slice(items));
    }

    /// Appends the table and the arrays to `file` (so far a multiple of 8 bytes long).
    pub(super) fn finish(self, file: &mut Vec<u8>) {
        put(file, self.lengths.len() as u64);
        for len in self.lengths {
            put(file, len);
        }
        file.extend_from_slice(&self.arrays);
    }
}

/// The mapped file being read; every read checks there is enough of it.
pub(super) struct In<'a> {
    file: &'a Arc<Mmap>,
    at: usize,
    /// The lengths of the arrays not yet read.
    lengths: &'a [u8],
}

/// A saved index that cannot be taken as it is.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Unusable {
    #[error("no saved index: {0}")]
    Missing(#[from] std::io::Error),
    #[error("saved for another registry or version")]
    Stale,
    #[error("damaged: {0}")]
    Damaged(&'static str),
}

impl<'a> In<'a> {
    pub(super) fn new(file: &'a Arc<Mmap>) -> Self {
        In { file, at: 0, lengths: &[] }
    }

    /// Reads the table of the arrays' lengths that comes before them.
    pub(super) fn lengths(&mut self) -> Result<(), Unusable> {
        let count =
            usize::try_from(self.value::<u64>()?).map_err(|_| Unusable::Damaged("table"))?;
        self.lengths = self.take(count.checked_mul(8).ok_or(Unusable::Damaged("table"))?)?;
        Ok(())
    }

    /// What is left to read.
    pub(super) fn rest(&self) -> &'a [u8] {
        &self.file[self.at..]
    }

    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], Unusable> {
        let rest = self.rest();
        if rest.len() < n {
            return Err(Unusable::Damaged("cut short"));
        }
        self.at += n;
        Ok(&rest[..n])
    }

    pub(super) fn value<T: Pod>(&mut self) -> Result<T, Unusable> {
        Ok(bytemuck::pod_read_unaligned(self.take(std::mem::size_of::<T>())?))
    }

    /// An array as [`Out::array`] wrote it, left in the file.
    pub(super) fn array<T: Pod>(&mut self) -> Result<Column<T>, Unusable> {
        let (len, rest) = self.lengths.split_first_chunk().ok_or(Unusable::Damaged("table"))?;
        self.lengths = rest;
        let len =
            usize::try_from(u64::from_le_bytes(*len)).map_err(|_| Unusable::Damaged("length"))?;
        self.take(self.at.next_multiple_of(ALIGN) - self.at)?;
        let at = self.at;
        self.take(len.checked_mul(std::mem::size_of::<T>()).ok_or(Unusable::Damaged("length"))?)?;
        Ok(Column::Saved { file: self.file.clone(), at, len })
    }
}
