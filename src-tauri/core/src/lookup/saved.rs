//! 索引の保存: the lookup index written beside the store, so a desk that starts again
//! searches at once instead of reading and folding the whole registry (seconds for the
//! national lists). The file holds the public registry's folded names, addresses and keys
//! only — none of the store's personal data. It is taken only when its format, the registry
//! it was built from and the desk's prefecture are today's and its checksum holds; anything
//! else (a new import, an older version, a torn write) means a rebuild.

use std::io::Write as _;
use std::path::Path;

use madoguchi_domain::Prefecture;

use super::bytes::{In, Out, Unusable};
use super::index::LookupIndex;
use super::keys::Keyed;
use super::postings::Postings;

const MAGIC: &[u8; 16] = b"MADOGUCHI-LOOKUP";
/// Raised whenever the index's layout changes.
const FORMAT: u32 = 1;

/// What an index was built from: the registry's last import, its size, the desk's prefecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) last_import: i64,
    pub(crate) institutions: i64,
    pub(crate) home: Option<Prefecture>,
}

impl Stamp {
    fn bytes(&self) -> Vec<u8> {
        let mut out = Out::default();
        out.value(FORMAT);
        out.value(self.last_import);
        out.value(self.institutions);
        out.value(self.home.map_or(0u8, Prefecture::number));
        out.0
    }
}

/// A 64-bit checksum of the payload, word by word (fast enough to check 50 MB at start-up).
fn checksum(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for w in words.by_ref() {
        h = (h ^ u64::from_le_bytes(w.try_into().expect("8 bytes")))
            .rotate_left(29)
            .wrapping_mul(0x0000_0100_0000_01b3);
    }
    for &b in words.remainder() {
        h = (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl LookupIndex {
    /// Writes the index to `path` (through a temporary file, so a crash leaves the old one).
    pub(crate) fn save(&self, path: &Path, stamp: Stamp) -> std::io::Result<()> {
        let mut out = Out::default();
        out.array(&self.ids);
        out.array(&self.prefectures);
        out.array(self.text.as_bytes());
        out.array(&self.starts);
        self.by_code.write(&mut out);
        self.by_seven.write(&mut out);
        self.by_postal.write(&mut out);
        self.by_phone.write(&mut out);
        self.mains.write(&mut out);
        self.others.write(&mut out);
        self.addresses.write(&mut out);
        out.array(&self.by_main);
        let payload = out.0;

        let next = path.with_extension("lookup-next");
        let mut file = std::fs::File::create(&next)?;
        file.write_all(MAGIC)?;
        file.write_all(&stamp.bytes())?;
        file.write_all(&checksum(&payload).to_le_bytes())?;
        file.write_all(&payload)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&next, path)
    }

    /// The index saved at `path` for `stamp`.
    pub(crate) fn load(path: &Path, stamp: Stamp) -> Result<Self, Unusable> {
        let bytes = std::fs::read(path)?;
        let mut file = In(&bytes);
        if file.take(MAGIC.len())? != MAGIC || file.take(stamp.bytes().len())? != stamp.bytes() {
            return Err(Unusable::Stale);
        }
        let sum: u64 = file.value()?;
        if checksum(file.0) != sum {
            return Err(Unusable::Damaged("checksum"));
        }
        let index = LookupIndex {
            home: stamp.home,
            ids: file.array()?,
            prefectures: file.array()?,
            text: String::from_utf8(file.array()?).map_err(|_| Unusable::Damaged("text"))?,
            starts: file.array()?,
            by_code: Keyed::read(&mut file)?,
            by_seven: Keyed::read(&mut file)?,
            by_postal: Keyed::read(&mut file)?,
            by_phone: Keyed::read(&mut file)?,
            mains: Postings::read(&mut file)?,
            others: Postings::read(&mut file)?,
            addresses: Postings::read(&mut file)?,
            by_main: file.array()?,
        };
        let n = index.ids.len();
        let whole = index.prefectures.len() == n
            && index.by_main.len() == n
            && index.starts.len() == n + 1
            && index.starts.last().is_some_and(|&end| end as usize == index.text.len())
            && file.0.is_empty();
        if !whole {
            return Err(Unusable::Damaged("lengths"));
        }
        Ok(index)
    }
}
