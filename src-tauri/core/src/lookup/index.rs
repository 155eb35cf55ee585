//! 機関検索: finding an institution from whatever the caller has — a code with a slip, a name
//! said aloud, a reading, an address, a postal code, a phone number.
//!
//! A compact index built from the store, then searched in place in the file it is saved to
//! (`saved`). It keeps only what a search compares — the folded match fields in one text
//! arena, numeric keys as sorted arrays, pair postings compressed — and answers store ids;
//! the rows shown are read from the store for the hits alone. Entries are numbered in a
//! fixed rank order (open before closed, the desk's own prefecture before others, shorter
//! names first), so every posting list, and the arena itself, is already in rank order and a
//! search can stop as soon as the best matches are certain: a common word such as クリニック
//! matches tens of thousands of rows but needs only the first few dozen looked at. The desk's
//! prefecture is fixed when the index is built; a change in 設定 rebuilds it.

use madoguchi_domain::insurance_code::{one_slip_variants, Edit};
use madoguchi_domain::Prefecture;
use madoguchi_registry::fold::fold;
use memchr::memmem;

use super::bytes::Column;
use super::fields::{Fields, SEP, TEXT_CLASSES};
use super::hit::{MatchReason, SearchContext};
use super::keys::{digits_key, parse_digits, phone_key, Keyed};
use super::postings::{Intersection, Postings};
use crate::code_check::{self, CodeCheck};

/// A term of one character: no pair lists, the arena is scanned for it.
fn one_char(term: &memmem::Finder<'_>) -> bool {
    std::str::from_utf8(term.needle()).is_ok_and(|t| t.chars().nth(1).is_none())
}

fn text_reason(class: usize) -> MatchReason {
    [
        MatchReason::NameStart,
        MatchReason::Name,
        MatchReason::Kana,
        MatchReason::CorporateName,
        MatchReason::Address,
    ][class]
        .clone()
}

/// What a search found, best first: store ids and why each matched.
#[derive(Debug)]
pub struct Found {
    pub hits: Vec<(i64, MatchReason)>,
    /// Present when the query is a code: its canonical form, or the check error.
    pub code_check: Option<CodeCheck>,
}

/// The registry in memory, ready to search.
pub struct LookupIndex {
    /// The desk's prefecture: its institutions rank first, and it completes 7-digit codes.
    pub(super) home: Option<Prefecture>,
    /// Per entry, in rank order: its id in the store, and its prefecture's number.
    pub(super) ids: Column<i64>,
    pub(super) prefectures: Column<u8>,
    /// Every entry's fields (UTF-8), one entry after another; entry i is
    /// `text[starts[i]..starts[i+1]]`.
    pub(super) text: Column<u8>,
    pub(super) starts: Column<u32>,
    /// Keys: the 10-digit code, the 7 digits (郡市区+番号+検証), postal code, phone digits.
    pub(super) by_code: Keyed<u64>,
    pub(super) by_seven: Keyed<u32>,
    pub(super) by_postal: Keyed<u32>,
    pub(super) by_phone: Keyed<u64>,
    /// Entries by the character pairs of their distinctive name, apart those of their reading
    /// and corporate name, and apart those of their address: a search for a name need not
    /// wade through the many corporate names or addresses that hold its characters.
    pub(super) mains: Postings,
    pub(super) others: Postings,
    pub(super) addresses: Postings,
    /// Entries in order of their distinctive name, for the name-start class, and each one's
    /// first eight bytes of it ([`name_head`]): the order is searched in these, the names
    /// themselves read only where those tie.
    pub(super) by_main: Column<u32>,
    pub(super) main_heads: Column<u64>,
}

/// A name's first eight bytes as a number that sorts as the names do (big-endian; padded
/// with zeros, which UTF-8 text never holds).
pub(super) fn name_head(name: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let n = name.len().min(8);
    head[..n].copy_from_slice(&name[..n]);
    u64::from_be_bytes(head)
}

impl std::fmt::Debug for LookupIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupIndex").field("entries", &self.ids.len()).finish()
    }
}

impl LookupIndex {
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }

    fn entry_text(&self, entry: u32) -> &[u8] {
        &self.text[self.starts[entry as usize] as usize..self.starts[entry as usize + 1] as usize]
    }

    pub(super) fn main(&self, entry: u32) -> &[u8] {
        self.entry_text(entry).split(|&b| b == SEP as u8).next().unwrap_or_default()
    }

    fn fields(&self, entry: u32) -> Fields<'_> {
        let mut f = self.entry_text(entry).split(|&b| b == SEP as u8);
        let mut next = || f.next().unwrap_or_default();
        Fields { main: next(), corporate: next(), kana: next(), address: next() }
    }

    /// The entries whose distinctive name starts with `text` (not empty), in name order.
    fn starting_with(&self, text: &[u8]) -> &[u32] {
        // Heads whose first bytes (up to eight) are the text's lie between these two.
        let shown = text.len().min(8) as u32;
        let rest = u64::MAX.checked_shr(8 * shown).unwrap_or(0);
        let low = name_head(text) & !rest;
        let from = self.main_heads.partition_point(|&h| h < low);
        let to = from + self.main_heads[from..].partition_point(|&h| h <= low | rest);
        let tied = &self.by_main[from..to];
        if text.len() <= 8 {
            return tied;
        }
        let from = tied.partition_point(|&e| self.main(e) < text);
        let to = from + tied[from..].partition_point(|&e| self.main(e).starts_with(text));
        &tied[from..to]
    }

    /// The entry whose text holds arena offset `at`.
    fn entry_at(&self, at: usize) -> u32 {
        (self.starts.partition_point(|&s| s as usize <= at) - 1) as u32
    }

    /// Heap size of the index, in bytes (its arrays, as allocated; none when loaded, as its
    /// arrays are then the saved file's).
    pub fn heap_bytes(&self) -> usize {
        self.ids.heap_bytes()
            + self.prefectures.heap_bytes()
            + self.text.heap_bytes()
            + self.starts.heap_bytes()
            + self.by_code.heap_bytes()
            + self.by_seven.heap_bytes()
            + self.by_postal.heap_bytes()
            + self.by_phone.heap_bytes()
            + self.mains.heap_bytes()
            + self.others.heap_bytes()
            + self.addresses.heap_bytes()
            + self.by_main.heap_bytes()
            + self.main_heads.heap_bytes()
    }

    /// The best `ctx.limit` matches of `query`, best first, as store ids.
    pub fn search(&self, query: &str, ctx: SearchContext) -> Found {
        let folded = fold(query);
        if folded.is_empty() {
            return Found { hits: Vec::new(), code_check: None };
        }
        let numeric = folded.chars().all(|c| c.is_ascii_digit() || "-(),.〒".contains(c));
        let (entries, code_check) = match parse_digits(&folded).filter(|_| numeric) {
            Some(digits) => {
                let check =
                    (7..=10).contains(&digits.len()).then(|| code_check::check(query, self.home));
                let found = self.numeric(&digits);
                if found.is_empty() && digits.len() < 7 {
                    (self.text(&folded, ctx), check)
                } else {
                    (found, check)
                }
            }
            None => (self.text(query, ctx), None),
        };
        let hits = entries
            .into_iter()
            .take(ctx.limit)
            .map(|(entry, reason)| (self.ids[entry as usize], reason))
            .collect();
        Found { hits, code_check }
    }

    /// Codes (10, 9, 7 digits, and their slips), postal codes and phone numbers.
    fn numeric(&self, digits: &[u8]) -> Vec<(u32, MatchReason)> {
        // What a code form finds: exact 10 digits, pref + 7, or 7 alone (in rank order, so the
        // desk's own prefecture first).
        let code_ids = |d: &[u8]| -> Vec<u32> {
            match d.len() {
                10 => self.by_code.get(digits_key(d)).to_vec(),
                9 => {
                    let pref = d[0] * 10 + d[1];
                    let list = self.by_seven.get(digits_key(&d[2..]) as u32);
                    list.iter().copied().filter(|&e| self.prefectures[e as usize] == pref).collect()
                }
                7 => self.by_seven.get(digits_key(d) as u32).to_vec(),
                _ => Vec::new(),
            }
        };
        let mut out: Vec<(u32, MatchReason)> = Vec::new();
        let exact_reason =
            if digits.len() == 7 { MatchReason::CodeSevenDigits } else { MatchReason::Code };
        out.extend(code_ids(digits).into_iter().map(|id| (id, exact_reason.clone())));
        if out.is_empty() && matches!(digits.len(), 7 | 9 | 10) {
            // No such code: the existing codes one slip away, swaps first.
            let mut slips: Vec<(u32, Edit)> = Vec::new();
            for (variant, edit) in one_slip_variants(digits) {
                for id in code_ids(&variant) {
                    if !slips.iter().any(|(x, _)| *x == id) {
                        slips.push((id, edit));
                    }
                }
            }
            // Swaps before changed digits, then rank order (the desk's prefecture first).
            slips.sort_by_key(|(id, edit)| (matches!(edit, Edit::Substitution { .. }), *id));
            out.extend(slips.into_iter().map(|(id, edit)| {
                (id, MatchReason::CodeSlip { edit: code_check::describe(edit) })
            }));
        }
        if digits.len() == 7 {
            let postal = self.by_postal.get(digits_key(digits) as u32);
            out.extend(postal.iter().map(|&id| (id, MatchReason::PostalCode)));
        }
        if digits[0] == 0 && (10..=11).contains(&digits.len()) {
            let phone = self.by_phone.get(phone_key(digits));
            out.extend(phone.iter().map(|&id| (id, MatchReason::Phone)));
        }
        out
    }

    /// Entries that may hold `term` in the fields `postings` covers, in rank order: the
    /// intersection of its pairs' lists, or for a single character every entry whose text
    /// holds it (the arena is in rank order; no list is kept per character).
    fn candidates<'a>(
        &'a self,
        postings: &'a Postings,
        term: &'a memmem::Finder<'a>,
    ) -> Box<dyn Iterator<Item = u32> + 'a> {
        if !one_char(term) {
            let text = std::str::from_utf8(term.needle()).unwrap_or_default();
            return Box::new(Intersection::new(postings.lists(text)));
        }
        let mut last = None;
        Box::new(term.find_iter(&self.text).filter_map(move |at| {
            let entry = self.entry_at(at);
            (last.replace(entry) != Some(entry)).then_some(entry)
        }))
    }

    /// Names, readings, corporate names and addresses; every space-separated term must match.
    fn text(&self, query: &str, ctx: SearchContext) -> Vec<(u32, MatchReason)> {
        let terms: Vec<String> =
            query.split_whitespace().map(fold).filter(|t| !t.is_empty()).collect();
        let finders: Vec<memmem::Finder<'_>> =
            terms.iter().map(|t| memmem::Finder::new(t.as_bytes())).collect();
        match finders.as_slice() {
            [] => Vec::new(),
            [one] => self.one_term(one, ctx),
            _ => self.all_terms(&finders, ctx),
        }
    }

    /// One term, in class order, each class scanned in rank order and left as soon as the
    /// shown matches are certain.
    fn one_term(&self, term: &memmem::Finder<'_>, ctx: SearchContext) -> Vec<(u32, MatchReason)> {
        let text = term.needle();
        let limit = ctx.limit;
        let mut buckets: [Vec<u32>; TEXT_CLASSES] = Default::default();

        // Name-start matches come from the sorted names, all of them: they outrank the rest.
        let mut starting: Vec<u32> = self.starting_with(text).to_vec();
        // The best `limit` of them (a common start such as 内科 has thousands), in rank order.
        if starting.len() > limit {
            starting.select_nth_unstable(limit);
            starting.truncate(limit);
        }
        starting.sort_unstable();
        buckets[0] = starting;

        // Entries matched by name (a bit each), so a later pass does not list them again.
        let mut named: Vec<u64> = Vec::new();
        let is_named = |named: &[u64], e: u32| {
            named.get(e as usize / 64).is_some_and(|w| w & (1 << (e % 64)) != 0)
        };
        if buckets[0].len() < limit {
            named = vec![0; self.len().div_ceil(64)];
            // Then the rest of the distinctive names; once the two name classes fill the page,
            // no later entry can displace them.
            for entry in self.candidates(&self.mains, term) {
                // (The pairs may all be there without the term: it is then left to the next pass.)
                let Some(class @ (0 | 1)) = self.fields(entry).name_class(term) else { continue };
                named[entry as usize / 64] |= 1 << (entry % 64);
                if class == 1 && buckets[1].len() < limit {
                    buckets[1].push(entry);
                }
                if buckets[0].len() + buckets[1].len() >= limit {
                    return self.ranked(buckets, limit);
                }
            }
            // Then readings and corporate names, apart: a term common in corporate names
            // (クリニック) does not wade through them before the distinctive names are done.
            for entry in self.candidates(&self.others, term) {
                if is_named(&named, entry) {
                    continue;
                }
                let Some(class) = self.fields(entry).name_class(term) else { continue };
                named[entry as usize / 64] |= 1 << (entry % 64);
                if buckets[class].len() < limit {
                    buckets[class].push(entry);
                }
                if buckets[..3].iter().map(Vec::len).sum::<usize>() >= limit {
                    return self.ranked(buckets, limit);
                }
            }
        }

        // Addresses last, for entries whose names did not match, until the page is full.
        let mut shown: usize = buckets.iter().map(Vec::len).sum();
        if shown < limit {
            for entry in self.candidates(&self.addresses, term) {
                if is_named(&named, entry) || term.find(self.fields(entry).address).is_none() {
                    continue;
                }
                buckets[4].push(entry);
                shown += 1;
                if shown >= limit {
                    break;
                }
            }
        }
        self.ranked(buckets, limit)
    }

    /// Several terms: each must appear in some field; the weakest match ranks the entry.
    fn all_terms(
        &self,
        terms: &[memmem::Finder<'_>],
        ctx: SearchContext,
    ) -> Vec<(u32, MatchReason)> {
        // Candidates come from the terms of two characters or more (their pair lists); a
        // single character is only checked on them, since its scan would list most of the
        // registry (札幌 市). Only when every term is one character does the first one's scan.
        let long: Vec<&memmem::Finder<'_>> = terms.iter().filter(|t| !one_char(t)).collect();
        let drivers = if long.is_empty() { vec![&terms[0]] } else { long };
        let candidates = drivers
            .into_iter()
            .map(|t| {
                // (A single character's scan covers every field at once.)
                let mut ids: Vec<u32> = self.candidates(&self.mains, t).collect();
                if !one_char(t) {
                    ids.extend(self.candidates(&self.others, t));
                    ids.extend(self.candidates(&self.addresses, t));
                }
                ids.sort_unstable();
                ids.dedup();
                ids
            })
            .reduce(|mut a, b| {
                a.retain(|id| b.binary_search(id).is_ok());
                a
            })
            .unwrap_or_default();
        let mut buckets: [Vec<u32>; TEXT_CLASSES] = Default::default();
        for entry in candidates {
            let fields = self.fields(entry);
            let class = terms
                .iter()
                .map(|t| fields.class_of(t))
                .try_fold(0usize, |worst, c| Some(worst.max(c?)));
            if let Some(class) = class {
                if buckets[class].len() < ctx.limit {
                    buckets[class].push(entry);
                }
            }
        }
        self.ranked(buckets, ctx.limit)
    }

    /// Classes in order, each in rank order.
    fn ranked(&self, buckets: [Vec<u32>; TEXT_CLASSES], limit: usize) -> Vec<(u32, MatchReason)> {
        buckets
            .into_iter()
            .enumerate()
            .flat_map(|(class, bucket)| bucket.into_iter().map(move |id| (id, text_reason(class))))
            .take(limit)
            .collect()
    }
}
