//! The saved index's encoding: arrays of plain values as little-endian bytes, each after its
//! length, and the reader that checks every length against what is left.

/// A value stored as its little-endian bytes.
pub(super) trait Plain: Copy {
    const SIZE: usize;
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8]) -> Self;
}

macro_rules! plain {
    ($($t:ty),*) => {$(
        impl Plain for $t {
            const SIZE: usize = std::mem::size_of::<$t>();
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("sized"))
            }
        }
    )*};
}
plain!(u8, u32, u64, i64);

/// The file being written.
#[derive(Default)]
pub(super) struct Out(pub(super) Vec<u8>);

impl Out {
    pub(super) fn value<T: Plain>(&mut self, v: T) {
        v.put(&mut self.0);
    }

    pub(super) fn array<T: Plain>(&mut self, items: &[T]) {
        self.value(items.len() as u64);
        self.0.reserve(items.len() * T::SIZE);
        for &item in items {
            item.put(&mut self.0);
        }
    }
}

/// The file being read; every read checks there is enough of it.
pub(super) struct In<'a>(pub(super) &'a [u8]);

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
    pub(super) fn take(&mut self, n: usize) -> Result<&'a [u8], Unusable> {
        if self.0.len() < n {
            return Err(Unusable::Damaged("cut short"));
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Ok(head)
    }

    pub(super) fn value<T: Plain>(&mut self) -> Result<T, Unusable> {
        Ok(T::get(self.take(T::SIZE)?))
    }

    pub(super) fn array<T: Plain>(&mut self) -> Result<Vec<T>, Unusable> {
        let len = usize::try_from(self.value::<u64>()?).map_err(|_| Unusable::Damaged("length"))?;
        let bytes = self.take(len.checked_mul(T::SIZE).ok_or(Unusable::Damaged("length"))?)?;
        Ok(bytes.chunks_exact(T::SIZE).map(T::get).collect())
    }
}
