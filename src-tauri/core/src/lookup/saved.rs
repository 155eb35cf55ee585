//! 索引の保存: the lookup index written beside the store, so a desk that starts again
//! searches at once instead of reading and folding the whole registry (seconds for the
//! national lists). The file holds the public registry's folded names, addresses and keys
//! only — none of the store's personal data. It is taken only when its format, the registry
//! it was built from and the desk's prefecture are today's and its checksum holds; anything
//! else (a new import, an older version, a torn write) means a rebuild.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;

use madoguchi_domain::Prefecture;
use memmap2::Mmap;

use super::bytes::{pad, put, In, Out, Unusable};
use super::index::LookupIndex;
use super::keys::Keyed;
use super::postings::Postings;

const MAGIC: &[u8; 16] = b"MADOGUCHI-LOOKUP";
/// Raised whenever the index's layout changes (2: arrays aligned, read in place; 3: their
/// lengths in one table, the names' heads).
const FORMAT: u32 = 3;

/// What an index was built from: the registry's last import, its size, the desk's prefecture.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Stamp {
    pub(crate) last_import: i64,
    pub(crate) institutions: i64,
    pub(crate) home: Option<Prefecture>,
}

impl Stamp {
    /// The file's first bytes when saved for this stamp (a multiple of 8 long).
    fn header(&self) -> Vec<u8> {
        let mut out = MAGIC.to_vec();
        put(&mut out, FORMAT);
        put(&mut out, self.last_import);
        put(&mut out, self.institutions);
        put(&mut out, self.home.map_or(0u8, Prefecture::number));
        pad(&mut out);
        out
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

/// Tries again for a while when Windows refuses to replace a file that is still mapped (a
/// search finishing on the index being replaced holds it).
fn replace(next: &Path, path: &Path) -> std::io::Result<()> {
    let mut tries = 0;
    loop {
        match std::fs::rename(next, path) {
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied && tries < 40 => {
                tries += 1;
                std::thread::sleep(std::time::Duration::from_millis(50));
            }
            done => return done,
        }
    }
}

/// Tells Unix that searches read the mapping here and there: no read-ahead around a touched
/// page, so a file not yet in the system's cache comes in a page at a time. (Pages the cache
/// already holds in larger runs — the file just written — are mapped a run at a time.)
fn searched_at_random(map: &Mmap) {
    #[cfg(unix)]
    if let Err(e) = map.advise(memmap2::Advice::Random) {
        log::debug!("lookup index: madvise(RANDOM): {e}");
    }
    #[cfg(not(unix))]
    let _ = map;
}

impl LookupIndex {
    /// Writes the index to `path` (through a temporary file, so a crash leaves the old one).
    pub(crate) fn save(&self, path: &Path, stamp: Stamp) -> std::io::Result<()> {
        let mut out = Out::default();
        out.array(&self.ids);
        out.array(&self.prefectures);
        out.array(&self.text);
        out.array(&self.starts);
        self.by_code.write(&mut out);
        self.by_seven.write(&mut out);
        self.by_postal.write(&mut out);
        self.by_phone.write(&mut out);
        self.mains.write(&mut out);
        self.others.write(&mut out);
        self.addresses.write(&mut out);
        out.array(&self.by_main);
        out.array(&self.main_heads);
        let mut bytes = stamp.header();
        let sum_at = bytes.len();
        put(&mut bytes, 0u64);
        out.finish(&mut bytes);
        let sum = checksum(&bytes[sum_at + 8..]);
        bytes[sum_at..sum_at + 8].copy_from_slice(&sum.to_le_bytes());

        let next = path.with_extension("lookup-next");
        let mut file = std::fs::File::create(&next)?;
        file.write_all(&bytes)?;
        file.sync_all()?;
        drop(file);
        replace(&next, path)
    }

    /// The index saved at `path` for `stamp`, searched in place. It is checked whole through
    /// one mapping and then taken through a fresh one: every page the check read would stay
    /// counted in the desk's memory while mapped, the fresh mapping holds only what searches
    /// touch.
    pub(crate) fn load(path: &Path, stamp: Stamp) -> Result<Self, Unusable> {
        let file = std::fs::File::open(path)?;
        Self::mapped(&file, stamp, true)?;
        Self::mapped(&file, stamp, false)
    }

    /// The index laid out over `file` mapped, its lengths checked; its contents read and
    /// checked too (checksum, the postings' offsets) when `whole`.
    fn mapped(file: &std::fs::File, stamp: Stamp, whole: bool) -> Result<Self, Unusable> {
        // SAFETY: the file is the desk's own, beside its store, and is only ever replaced
        // whole by a rename (`save`), never written in place, so the mapped bytes do not
        // change while the index reads them.
        let map = unsafe { Mmap::map(file) }?;
        if !whole {
            searched_at_random(&map);
        }
        let map = Arc::new(map);
        let mut file = In::new(&map);
        let header = stamp.header();
        if file.take(header.len())? != header {
            return Err(Unusable::Stale);
        }
        let sum: u64 = file.value()?;
        if whole && checksum(file.rest()) != sum {
            return Err(Unusable::Damaged("checksum"));
        }
        file.lengths()?;
        let index = LookupIndex {
            home: stamp.home,
            ids: file.array()?,
            prefectures: file.array()?,
            text: file.array()?,
            starts: file.array()?,
            by_code: Keyed::read(&mut file)?,
            by_seven: Keyed::read(&mut file)?,
            by_postal: Keyed::read(&mut file)?,
            by_phone: Keyed::read(&mut file)?,
            mains: Postings::read(&mut file)?,
            others: Postings::read(&mut file)?,
            addresses: Postings::read(&mut file)?,
            by_main: file.array()?,
            main_heads: file.array()?,
        };
        let n = index.ids.len();
        let laid_out = index.prefectures.len() == n
            && index.by_main.len() == n
            && index.main_heads.len() == n
            && index.starts.len() == n + 1
            && file.rest().is_empty();
        if !laid_out {
            return Err(Unusable::Damaged("lengths"));
        }
        // Reads of the arrays (every posting head), so only in the checking pass: the pages
        // read would stay mapped for the searching one.
        let sound = || {
            index.starts.last().is_some_and(|&end| end as usize == index.text.len())
                && [&index.mains, &index.others, &index.addresses].iter().all(|p| p.sound())
        };
        if whole && !sound() {
            return Err(Unusable::Damaged("arrays"));
        }
        Ok(index)
    }
}
