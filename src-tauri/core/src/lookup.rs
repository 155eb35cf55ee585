//! 機関検索: finding an institution from whatever the caller has — a code with a slip, a name
//! said aloud, a reading, an address, a postal code, a phone number.
//!
//! An in-memory index built from the store. Entries are numbered in a fixed rank order (open
//! before closed, shorter names first), so every posting list is already in rank order and a
//! search can stop as soon as the best matches are certain: a common word such as クリニック
//! matches tens of thousands of rows but needs only the first few dozen looked at.

use std::collections::HashMap;

use madoguchi_domain::insurance_code::one_slip_variants;
use madoguchi_domain::{InstitutionKind, Prefecture};
use madoguchi_registry::fold::{fold, split_name};
use memchr::memmem;
use serde::Serialize;

use crate::code_check::{self, CodeCheck};
use crate::store::{Store, StoreError};

/// An institution as the lookup lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, sqlx::FromRow)]
pub struct InstitutionRow {
    pub id: i64,
    pub source: String,
    pub source_key: String,
    pub insurance_code: Option<String>,
    pub kind: Option<String>,
    pub name: String,
    pub kana: Option<String>,
    pub prefecture: String,
    pub postal_code: Option<String>,
    pub address: String,
    pub phone: Option<String>,
    /// No longer in the latest list of its source (廃止・休止, or moved out).
    pub closed: bool,
}

/// Why a row matched, best first; the UI shows `label_ja`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum MatchReason {
    Code,
    CodeSevenDigits,
    CodeSlip { edit: String },
    PostalCode,
    Phone,
    NameStart,
    Name,
    Kana,
    CorporateName,
    Address,
}

impl MatchReason {
    pub fn label_ja(&self) -> String {
        match self {
            Self::Code => "保険医療機関コードが一致".into(),
            Self::CodeSevenDigits => "7桁コードが一致".into(),
            Self::CodeSlip { edit } => format!("コードの打ち間違い？（{edit}）"),
            Self::PostalCode => "郵便番号が一致".into(),
            Self::Phone => "電話番号が一致".into(),
            Self::NameStart => "名称の先頭が一致".into(),
            Self::Name => "名称に含む".into(),
            Self::Kana => "フリガナに含む".into(),
            Self::CorporateName => "法人名に含む".into(),
            Self::Address => "所在地に含む".into(),
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    pub institution: InstitutionRow,
    /// 病院・診療所 … for the stored kind.
    pub kind_ja: Option<&'static str>,
    pub reason: MatchReason,
    pub reason_ja: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    pub hits: Vec<Hit>,
    /// Present when the query is a code: its canonical form, or the check error.
    pub code_check: Option<CodeCheck>,
}

#[derive(Debug, Clone, Copy)]
pub struct SearchContext {
    /// The desk's prefecture: completes 7-digit codes and comes first among equal matches.
    pub prefecture: Option<Prefecture>,
    pub limit: usize,
}

impl Default for SearchContext {
    fn default() -> Self {
        Self { prefecture: None, limit: 20 }
    }
}

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
    /// The best class in which `term` appears, if any.
    fn class_of(&self, term: &memmem::Finder<'_>) -> Option<usize> {
        let needle = term.needle();
        if self.main.as_bytes().starts_with(needle) {
            Some(0)
        } else if term.find(self.main.as_bytes()).is_some() {
            Some(1)
        } else if term.find(self.kana.as_bytes()).is_some() {
            Some(2)
        } else if term.find(self.corporate.as_bytes()).is_some() {
            Some(3)
        } else if term.find(self.address.as_bytes()).is_some() {
            Some(4)
        } else {
            None
        }
    }
}

fn text_reason(class: usize) -> MatchReason {
    [MatchReason::NameStart, MatchReason::Name, MatchReason::Kana, MatchReason::CorporateName, MatchReason::Address]
        [class]
        .clone()
}

fn digits_key(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |acc, &d| acc * 10 + u64::from(d))
}

fn parse_digits(s: &str) -> Option<Vec<u8>> {
    let d: Vec<u8> = s.bytes().filter(u8::is_ascii_digit).map(|b| b - b'0').collect();
    (!d.is_empty()).then_some(d)
}

fn gram(a: char, b: char) -> u64 {
    (u64::from(a as u32) << 32) | u64::from(b as u32)
}

/// The registry in memory, ready to search.
pub struct LookupIndex {
    entries: Vec<Entry>,
    /// Keys: the 10-digit code, the 7 digits (郡市区+番号+検証), postal code, phone digits.
    by_code: HashMap<u64, Vec<u32>>,
    by_seven: HashMap<u64, Vec<u32>>,
    by_postal: HashMap<u64, Vec<u32>>,
    by_phone: HashMap<u64, Vec<u32>>,
    /// Entries containing each character pair, and each character, of any match field.
    grams: HashMap<u64, Vec<u32>>,
    chars: HashMap<u32, Vec<u32>>,
    /// Entries in order of their distinctive name, for the name-start class.
    by_main: Vec<u32>,
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
    pub fn build(rows: Vec<InstitutionRow>) -> Self {
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
        entries.sort_by(|a, b| {
            (a.row.closed, a.main.chars().count(), &a.main, a.row.id)
                .cmp(&(b.row.closed, b.main.chars().count(), &b.main, b.row.id))
        });

        let mut index = LookupIndex {
            by_code: HashMap::new(),
            by_seven: HashMap::new(),
            by_postal: HashMap::new(),
            by_phone: HashMap::new(),
            grams: HashMap::new(),
            chars: HashMap::new(),
            by_main: (0..entries.len() as u32).collect(),
            entries: Vec::new(),
        };
        let mut keys: Vec<u64> = Vec::new();
        let mut singles: Vec<u32> = Vec::new();
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
            keys.clear();
            singles.clear();
            for field in [&e.main, &e.corporate, &e.kana, &e.address] {
                let chars: Vec<char> = field.chars().collect();
                keys.extend(chars.windows(2).map(|w| gram(w[0], w[1])));
                singles.extend(chars.iter().map(|&c| c as u32));
            }
            keys.sort_unstable();
            keys.dedup();
            singles.sort_unstable();
            singles.dedup();
            for k in &keys {
                index.grams.entry(*k).or_default().push(id);
            }
            for c in &singles {
                index.chars.entry(*c).or_default().push(id);
            }
        }
        index.by_main.sort_by(|&a, &b| entries[a as usize].main.cmp(&entries[b as usize].main));
        for list in index.grams.values_mut().chain(index.chars.values_mut()) {
            list.shrink_to_fit();
        }
        index.entries = entries;
        index
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
            [&r.source, &r.source_key, &r.name, &r.prefecture, &r.address].iter().map(|s| s.capacity()).sum::<usize>()
                + [&r.insurance_code, &r.kind, &r.kana, &r.postal_code, &r.phone]
                    .iter()
                    .map(|s| s.as_ref().map_or(0, String::capacity))
                    .sum::<usize>()
        };
        let entries: usize = self
            .entries
            .iter()
            .map(|e| std::mem::size_of::<Entry>() + row(&e.row) + e.main.len() + e.corporate.len() + e.kana.len() + e.address.len())
            .sum();
        fn table<K>(m: &HashMap<K, Vec<u32>>) -> usize {
            m.capacity() * (std::mem::size_of::<K>() + std::mem::size_of::<Vec<u32>>() + 1)
                + m.values().map(|v| v.capacity() * 4).sum::<usize>()
        }
        entries
            + table(&self.by_code)
            + table(&self.by_seven)
            + table(&self.by_postal)
            + table(&self.by_phone)
            + table(&self.grams)
            + table(&self.chars)
            + self.by_main.capacity() * 4
    }

    /// The best `ctx.limit` matches of `query`, best first.
    pub fn search(&self, query: &str, ctx: SearchContext) -> SearchResult {
        let folded = fold(query);
        if folded.is_empty() {
            return SearchResult { hits: Vec::new(), code_check: None };
        }
        let numeric = folded.chars().all(|c| c.is_ascii_digit() || "-(),.〒".contains(c));
        let (ids, code_check) = match parse_digits(&folded).filter(|_| numeric) {
            Some(digits) => {
                let check = (7..=10).contains(&digits.len()).then(|| code_check::check(query, ctx.prefecture));
                let found = self.numeric(&digits, ctx);
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
                kind_ja: self.entries[id as usize].row.kind.as_deref().and_then(InstitutionKind::from_key).map(InstitutionKind::name_ja),
                institution: self.entries[id as usize].row.clone(),
                reason_ja: reason.label_ja(),
                reason,
            })
            .collect();
        SearchResult { hits, code_check }
    }

    /// Codes (10, 9, 7 digits, and their slips), postal codes and phone numbers.
    fn numeric(&self, digits: &[u8], ctx: SearchContext) -> Vec<(u32, MatchReason)> {
        let own = ctx.prefecture.map(|p| p.code());
        let in_pref = |id: &u32, pref: &str| self.entries[*id as usize].row.prefecture == pref;
        // What a code form finds: exact 10 digits, pref + 7, or 7 alone (own prefecture first).
        let code_ids = |d: &[u8]| -> Vec<u32> {
            match d.len() {
                10 => self.by_code.get(&digits_key(d)).cloned().unwrap_or_default(),
                9 => {
                    let pref = format!("{}{}", d[0], d[1]);
                    let list = self.by_seven.get(&digits_key(&d[2..])).map_or(&[][..], |v| &v[..]);
                    list.iter().copied().filter(|id| in_pref(id, &pref)).collect()
                }
                7 => {
                    let mut list = self.by_seven.get(&digits_key(d)).cloned().unwrap_or_default();
                    if let Some(own) = &own {
                        list.sort_by_key(|id| !in_pref(id, own));
                    }
                    list
                }
                _ => Vec::new(),
            }
        };
        let mut out: Vec<(u32, MatchReason)> = Vec::new();
        let exact_reason = if digits.len() == 7 { MatchReason::CodeSevenDigits } else { MatchReason::Code };
        out.extend(code_ids(digits).into_iter().map(|id| (id, exact_reason.clone())));
        if out.is_empty() && matches!(digits.len(), 7 | 9 | 10) {
            // No such code: the existing codes one slip away, swaps first.
            let mut slips: Vec<(u32, MatchReason)> = Vec::new();
            for (variant, edit) in one_slip_variants(digits) {
                for id in code_ids(&variant) {
                    if !slips.iter().any(|(x, _)| *x == id) {
                        slips.push((id, MatchReason::CodeSlip { edit: code_check::describe(edit) }));
                    }
                }
            }
            if let Some(own) = &own {
                slips.sort_by_key(|(id, _)| !in_pref(id, own));
            }
            out.extend(slips);
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
        let terms: Vec<String> = query.split_whitespace().map(fold).filter(|t| !t.is_empty()).collect();
        let finders: Vec<memmem::Finder<'_>> = terms.iter().map(|t| memmem::Finder::new(t.as_bytes())).collect();
        let mut lists: Vec<&[u32]> = Vec::new();
        for term in &terms {
            let chars: Vec<char> = term.chars().collect();
            if chars.len() == 1 {
                lists.push(self.chars.get(&(chars[0] as u32)).map_or(&[], |v| &v[..]));
            } else {
                for w in chars.windows(2) {
                    lists.push(self.grams.get(&gram(w[0], w[1])).map_or(&[], |v| &v[..]));
                }
            }
        }
        if lists.is_empty() {
            return Vec::new();
        }
        let limit = ctx.limit;
        let own = ctx.prefecture.map(|p| p.code());
        let is_own = |id: u32| own.as_deref().is_none_or(|o| self.entries[id as usize].row.prefecture == o);
        let mut buckets: [Vec<u32>; TEXT_CLASSES] = Default::default();
        // How many of the desk's own (or, with no desk prefecture, of any) matches are in the
        // two name classes: once `limit` are, nothing later can displace them.
        let mut settled = 0;
        let single = finders.len() == 1;
        if single {
            // Name-start matches come from the sorted names, all of them: they outrank the rest.
            let term = terms[0].as_str();
            let start = self.by_main.partition_point(|&id| &*self.entries[id as usize].main < term);
            buckets[0] = self.by_main[start..]
                .iter()
                .take_while(|&&id| self.entries[id as usize].main.starts_with(term))
                .copied()
                .collect();
            buckets[0].sort_unstable_by_key(|&id| (!is_own(id), id));
            buckets[0].truncate(limit);
            settled = buckets[0].iter().filter(|&&id| is_own(id)).count();
            if settled >= limit {
                return self.ranked(buckets, ctx);
            }
        }
        for id in Intersection::new(lists) {
            let entry = &self.entries[id as usize];
            let classes = finders.iter().map(|f| entry.class_of(f));
            // Every term must match; the weakest match ranks the entry.
            let Some(class) = classes.fold(Some(0usize), |worst, c| Some(worst?.max(c?))) else {
                continue;
            };
            // With one term, name-start matches were all taken above.
            if single && class == 0 {
                continue;
            }
            let own_entry = is_own(id);
            let bucket = &mut buckets[class];
            if bucket.len() < limit {
                bucket.push(id);
            } else if own_entry {
                // A full bucket still takes the desk's own matches ahead of others.
                if let Some(other) = bucket.iter().rposition(|&x| !is_own(x)) {
                    bucket.remove(other);
                    bucket.push(id);
                }
            }
            // Entries come in rank order: once enough of the best classes are settled, stop.
            if single && class <= 1 && own_entry {
                settled += 1;
                if settled >= limit {
                    break;
                }
            }
        }
        self.ranked(buckets, ctx)
    }

    /// Classes in order; within a class, the desk's prefecture first, then rank order.
    fn ranked(&self, mut buckets: [Vec<u32>; TEXT_CLASSES], ctx: SearchContext) -> Vec<(u32, MatchReason)> {
        let own = ctx.prefecture.map(|p| p.code());
        let mut out = Vec::new();
        for (class, bucket) in buckets.iter_mut().enumerate() {
            if let Some(own) = &own {
                bucket.sort_by_key(|&id| (self.entries[id as usize].row.prefecture != *own, id));
            }
            out.extend(bucket.iter().map(|&id| (id, text_reason(class))));
            if out.len() >= ctx.limit {
                break;
            }
        }
        out
    }
}

/// Ids present in every list, in ascending order, found lazily so a search can stop early.
struct Intersection<'a> {
    lists: Vec<&'a [u32]>,
    pos: Vec<usize>,
    next: usize,
}

impl<'a> Intersection<'a> {
    fn new(mut lists: Vec<&'a [u32]>) -> Self {
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

impl Store {
    /// Every institution, open and closed, for the lookup index.
    pub async fn lookup_rows(&self) -> Result<Vec<InstitutionRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, source, source_key, insurance_code, kind, name, kana, prefecture, postal_code,
                    address, phone, closed_import_id IS NOT NULL AS closed
             FROM institutions",
        )
        .fetch_all(self.pool())
        .await?)
    }

    pub async fn lookup_index(&self) -> Result<LookupIndex, StoreError> {
        Ok(LookupIndex::build(self.lookup_rows().await?))
    }
}
