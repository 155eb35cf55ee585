//! An entry's folded match fields as the lookup's text arena holds them, and the match
//! class of a term in them.

use memchr::memmem;

/// Ends each field in the arena: fold drops it (whitespace), so no term matches across two.
pub(super) const SEP: char = '\n';

/// An entry's folded match fields, borrowed from the arena as the UTF-8 bytes that terms are
/// found in.
pub(super) struct Fields<'a> {
    /// The distinctive name, the corporate part, the reading, the address with its prefecture.
    pub(super) main: &'a [u8],
    pub(super) corporate: &'a [u8],
    pub(super) kana: &'a [u8],
    pub(super) address: &'a [u8],
}

/// Text match classes, best first; the order of `MatchReason`'s text variants.
pub(super) const TEXT_CLASSES: usize = 5;

impl Fields<'_> {
    /// The best name class (0–3) in which `term` appears, if any.
    pub(super) fn name_class(&self, term: &memmem::Finder<'_>) -> Option<usize> {
        if self.main.starts_with(term.needle()) {
            Some(0)
        } else if term.find(self.main).is_some() {
            Some(1)
        } else if term.find(self.kana).is_some() {
            Some(2)
        } else if term.find(self.corporate).is_some() {
            Some(3)
        } else {
            None
        }
    }

    /// The best class in which `term` appears, the address (4) included.
    pub(super) fn class_of(&self, term: &memmem::Finder<'_>) -> Option<usize> {
        self.name_class(term).or_else(|| term.find(self.address).map(|_| 4))
    }
}
