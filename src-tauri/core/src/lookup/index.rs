//! 機関検索: finding an institution from whatever the caller has — a code with a slip, a name
//! said aloud, a reading, an address, a postal code, a phone number.
//!
//! An in-memory index built from the store. Entries are numbered in a fixed rank order (open
//! before closed, the desk's own prefecture before others, shorter names first), so every
//! posting list is already in rank order and a search can stop as soon as the best matches are
//! certain: a common word such as クリニック matches tens of thousands of rows but needs only
//! the first few dozen looked at. The desk's prefecture is fixed when the index is built; a
//! change in 設定 rebuilds it.

use std::collections::HashMap;

use madoguchi_domain::insurance_code::{one_slip_variants, Edit};
use madoguchi_domain::{InstitutionKind, Prefecture};
use madoguchi_registry::fold::{fold, split_name};
use memchr::memmem;

use super::hit::{Hit, InstitutionRow, MatchReason, SearchContext, SearchResult};
use super::postings::{table, Intersection, Postings};
use crate::code_check;

struct Entry {
    row: InstitutionRow,
    /// Folded match fields: the distinctive name, the corporate part, the reading, and the
    /// address with its prefecture.
    main: Box<str>,
    corporate: Box<str>,
    kana: Box<str>,
    address: Box<str>,
}

/// Text match classes, best first; the order of [`MatchReason`]'s text variants.
const TEXT_CLASSES: usize = 5;

impl Entry {
    /// The best name class (0–3) in which `term` appears, if any.
    fn name_class(&self, term: &memmem::Finder<'_>) -> Option<usize> {
        if self.main.as_bytes().starts_with(term.needle()) {
            Some(0)
        } else if term.find(self.main.as_bytes()).is_some() {
            Some(1)
        } else if term.find(self.kana.as_bytes()).is_some() {
            Some(2)
        } else if term.find(self.corporate.as_bytes()).is_some() {
            Some(3)
        } else {
            None
        }
    }

    /// The best class in which `term` appears, the address (4) included.
    fn class_of(&self, term: &memmem::Finder<'_>) -> Option<usize> {
        self.name_class(term).or_else(|| term.find(self.address.as_bytes()).map(|_| 4))
    }
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

fn digits_key(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d))
}

fn parse_digits(s: &str) -> Option<Vec<u8>> {
    let d: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    (!d.is_empty()).then_some(d)
}

/// The registry in memory, ready to search.
pub struct LookupIndex {
    /// Tells one build from another, so caches of what was checked against it know when to go.
    build: u64,
    /// The desk's prefecture: its institutions rank first, and it completes 7-digit codes.
    home: Option<Prefecture>,
    entries: Vec<Entry>,
    /// Keys: the 10-digit code, the 7 digits (郡市区+番号+検証), postal code, phone digits.
    by_code: HashMap<u64, Vec<u32>>,
    by_seven: HashMap<u64, Vec<u32>>,
    by_postal: HashMap<u64, Vec<u32>>,
    by_phone: HashMap<u64, Vec<u32>>,
    /// Entries by the characters of their name fields (name, reading, corporate name) and,
    /// apart, of their address: a name search need not wade through addresses.
    names: Postings,
    addresses: Postings,
    /// Entries in order of their distinctive name, for the name-start class.
    by_main: Vec<u32>,
    /// The 助産所 listed: they have no insurance code to be found by.
    maternity_homes: Vec<u32>,
}

impl std::fmt::Debug for LookupIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LookupIndex").field("entries", &self.entries.len()).finish()
    }
}

/// Phone numbers are keyed with a leading 1 so that their leading 0 survives.
fn phone_key(digits: &[u8]) -> u64 {
    digits_key(&[&[1u8][..], digits].concat())
}

impl LookupIndex {
    pub fn build(rows: Vec<InstitutionRow>, home: Option<Prefecture>) -> Self {
        let home_code = home.map(|p| p.code());
        let mut entries: Vec<Entry> = rows
            .into_iter()
            .map(|row| {
                let parts = split_name(&row.name);
                let pref_name = row.prefecture.parse::<Prefecture>().map_or("", |p| p.name_ja());
                Entry {
                    main: parts.distinctive.into(),
                    corporate: parts.corporate.into(),
                    kana: row.kana.as_deref().map(fold).unwrap_or_default().into(),
                    address: fold(&format!("{pref_name}{}", row.address)).into(),
                    row,
                }
            })
            .collect();
        let away = |e: &Entry| home_code.as_ref().is_some_and(|h| *h != e.row.prefecture);
        entries.sort_by_cached_key(|e| {
            (e.row.closed, away(e), e.main.chars().count(), e.main.clone(), e.row.id)
        });

        static BUILDS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);
        let mut index = LookupIndex {
            build: BUILDS.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            home,
            by_code: HashMap::new(),
            by_seven: HashMap::new(),
            by_postal: HashMap::new(),
            by_phone: HashMap::new(),
            names: Postings::default(),
            addresses: Postings::default(),
            by_main: (0..entries.len() as u32).collect(),
            maternity_homes: Vec::new(),
            entries: Vec::new(),
        };
        let mut scratch = Default::default();
        for (i, e) in entries.iter().enumerate() {
            let id = i as u32;
            if let Some(d) = e.row.insurance_code.as_deref().and_then(parse_digits) {
                index.by_code.entry(digits_key(&d)).or_default().push(id);
                index.by_seven.entry(digits_key(&d[3..])).or_default().push(id);
            }
            if let Some(d) = e.row.postal_code.as_deref().and_then(parse_digits) {
                index.by_postal.entry(digits_key(&d)).or_default().push(id);
            }
            if let Some(d) = e.row.phone.as_deref().and_then(parse_digits) {
                index.by_phone.entry(phone_key(&d)).or_default().push(id);
            }
            if e.row.kind.as_deref() == Some(InstitutionKind::MaternityHome.key()) {
                index.maternity_homes.push(id);
            }
            index.names.add(id, &[&e.main, &e.corporate, &e.kana], &mut scratch);
            index.addresses.add(id, &[&e.address], &mut scratch);
        }
        index.by_main.sort_by(|&a, &b| entries[a as usize].main.cmp(&entries[b as usize].main));
        index.names.shrink();
        index.addresses.shrink();
        index.entries = entries;
        index
    }

    /// This build's number: a rebuilt index (after an import) has another.
    pub fn build_id(&self) -> u64 {
        self.build
    }

    /// The institutions listed under a 10-digit insurance code.
    pub fn by_insurance_code(&self, digits: &str) -> Vec<&InstitutionRow> {
        parse_digits(digits)
            .filter(|d| d.len() == 10)
            .and_then(|d| self.by_code.get(&digits_key(&d)))
            .map_or_else(Vec::new, |ids| {
                ids.iter().map(|&id| &self.entries[id as usize].row).collect()
            })
    }

    /// The open 助産所 of `prefecture` whose distinctive name contains `name`'s or is contained
    /// in it; None when the registry lists no 助産所 at all (医療情報ネット's list not imported).
    pub fn maternity_homes_named(
        &self,
        prefecture: Prefecture,
        name: &str,
    ) -> Option<Vec<&InstitutionRow>> {
        if self.maternity_homes.is_empty() {
            return None;
        }
        let ours = split_name(name).distinctive;
        let code = prefecture.code();
        Some(
            self.maternity_homes
                .iter()
                .map(|&id| &self.entries[id as usize])
                .filter(|e| !e.row.closed && e.row.prefecture == code)
                .filter(|e| !ours.is_empty() && (e.main.contains(&ours) || ours.contains(&*e.main)))
                .map(|e| &e.row)
                .collect(),
        )
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Approximate heap size of the index, in bytes (strings, lists and tables).
    pub fn heap_bytes(&self) -> usize {
        let row = |r: &InstitutionRow| {
            [&r.source, &r.source_key, &r.name, &r.prefecture, &r.address]
                .iter()
                .map(|s| s.capacity())
                .sum::<usize>()
                + [&r.insurance_code, &r.kind, &r.kana, &r.postal_code, &r.phone]
                    .iter()
                    .map(|s| s.as_ref().map_or(0, String::capacity))
                    .sum::<usize>()
        };
        let entries: usize = self
            .entries
            .iter()
            .map(|e| {
                std::mem::size_of::<Entry>()
                    + row(&e.row)
                    + e.main.len()
                    + e.corporate.len()
                    + e.kana.len()
                    + e.address.len()
            })
            .sum();
        entries
            + table(&self.by_code)
            + table(&self.by_seven)
            + table(&self.by_postal)
            + table(&self.by_phone)
            + self.names.heap_bytes()
            + self.addresses.heap_bytes()
            + self.by_main.capacity() * 4
            + self.maternity_homes.capacity() * 4
    }

    /// The best `ctx.limit` matches of `query`, best first.
    pub fn search(&self, query: &str, ctx: SearchContext) -> SearchResult {
        let folded = fold(query);
        if folded.is_empty() {
            return SearchResult { hits: Vec::new(), indexed: self.len(), code_check: None };
        }
        let numeric = folded.chars().all(|c| c.is_ascii_digit() || "-(),.〒".contains(c));
        let (ids, code_check) = match parse_digits(&folded).filter(|_| numeric) {
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
        let hits = ids
            .into_iter()
            .take(ctx.limit)
            .map(|(id, reason)| Hit {
                kind_ja: self.entries[id as usize]
                    .row
                    .kind
                    .as_deref()
                    .and_then(InstitutionKind::from_key)
                    .map(InstitutionKind::name_ja),
                institution: self.entries[id as usize].row.clone(),
                reason_ja: reason.label_ja(),
                reason,
            })
            .collect();
        SearchResult { hits, indexed: self.len(), code_check }
    }

    /// Codes (10, 9, 7 digits, and their slips), postal codes and phone numbers.
    fn numeric(&self, digits: &[u8]) -> Vec<(u32, MatchReason)> {
        let in_pref = |id: &u32, pref: &str| self.entries[*id as usize].row.prefecture == pref;
        // What a code form finds: exact 10 digits, pref + 7, or 7 alone (in rank order, so the
        // desk's own prefecture first).
        let code_ids = |d: &[u8]| -> Vec<u32> {
            match d.len() {
                10 => self.by_code.get(&digits_key(d)).cloned().unwrap_or_default(),
                9 => {
                    let pref = format!("{}{}", d[0], d[1]);
                    let list = self.by_seven.get(&digits_key(&d[2..])).map_or(&[][..], |v| &v[..]);
                    list.iter().copied().filter(|id| in_pref(id, &pref)).collect()
                }
                7 => self.by_seven.get(&digits_key(d)).cloned().unwrap_or_default(),
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
            let postal = self.by_postal.get(&digits_key(digits)).map_or(&[][..], |v| &v[..]);
            out.extend(postal.iter().map(|&id| (id, MatchReason::PostalCode)));
        }
        if digits[0] == 0 && (10..=11).contains(&digits.len()) {
            let phone = self.by_phone.get(&phone_key(digits)).map_or(&[][..], |v| &v[..]);
            out.extend(phone.iter().map(|&id| (id, MatchReason::Phone)));
        }
        out
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
        let text = std::str::from_utf8(term.needle()).unwrap_or_default();
        let limit = ctx.limit;
        let mut buckets: [Vec<u32>; TEXT_CLASSES] = Default::default();

        // Name-start matches come from the sorted names, all of them: they outrank the rest.
        let start = self.by_main.partition_point(|&id| &*self.entries[id as usize].main < text);
        buckets[0] = self.by_main[start..]
            .iter()
            .take_while(|&&id| self.entries[id as usize].main.starts_with(text))
            .copied()
            .collect();
        buckets[0].sort_unstable();
        buckets[0].truncate(limit);

        // Then the rest of the name fields; once the two name classes fill the page, no later
        // entry can displace them.
        // Entries matched by name (a bit each), so the address pass does not list them again.
        let mut named: Vec<u64> = Vec::new();
        if buckets[0].len() < limit {
            named = vec![0; self.entries.len().div_ceil(64)];
            for id in Intersection::new(self.names.lists(text)) {
                let Some(class) = self.entries[id as usize].name_class(term) else { continue };
                named[id as usize / 64] |= 1 << (id % 64);
                if class > 0 && buckets[class].len() < limit {
                    buckets[class].push(id);
                }
                if buckets[0].len() + buckets[1].len() >= limit {
                    return self.ranked(buckets, limit);
                }
            }
        }

        // Addresses last, for entries whose names did not match, until the page is full.
        let mut shown: usize = buckets.iter().map(Vec::len).sum();
        if shown < limit {
            for id in Intersection::new(self.addresses.lists(text)) {
                let was_named =
                    named.get(id as usize / 64).is_some_and(|w| w & (1 << (id % 64)) != 0);
                if was_named || term.find(self.entries[id as usize].address.as_bytes()).is_none() {
                    continue;
                }
                buckets[4].push(id);
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
        let candidates = terms
            .iter()
            .map(|t| {
                let text = std::str::from_utf8(t.needle()).unwrap_or_default();
                let mut ids: Vec<u32> = Intersection::new(self.names.lists(text)).collect();
                ids.extend(Intersection::new(self.addresses.lists(text)));
                ids.sort_unstable();
                ids.dedup();
                ids
            })
            .reduce(|a, b| Intersection::new(vec![&a, &b]).collect())
            .unwrap_or_default();
        let mut buckets: [Vec<u32>; TEXT_CLASSES] = Default::default();
        for id in candidates {
            let entry = &self.entries[id as usize];
            let class = terms
                .iter()
                .map(|t| entry.class_of(t))
                .try_fold(0usize, |worst, c| Some(worst.max(c?)));
            if let Some(class) = class {
                if buckets[class].len() < ctx.limit {
                    buckets[class].push(id);
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
