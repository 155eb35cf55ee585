//! Building the lookup index: the registry's rows folded, ranked, and packed into the
//! index's arrays.

use madoguchi_domain::Prefecture;
use madoguchi_registry::fold::{fold, split_name};

use super::fields::SEP;
use super::index::{name_head, LookupIndex};
use super::keys::{digits_key, parse_digits, phone_key, Keyed};
use super::postings::PostingsBuilder;

/// What the index reads of an institution; the rest is read from the store for the hits.
#[derive(Debug, sqlx::FromRow)]
pub(super) struct IndexRow {
    id: i64,
    insurance_code: Option<String>,
    name: String,
    kana: Option<String>,
    prefecture: String,
    postal_code: Option<String>,
    address: String,
    phone: Option<String>,
    closed: bool,
}

/// An institution on its way into the index: its folded fields and keys, its rank.
pub(super) struct Pending {
    id: i64,
    rank: (bool, bool, usize),
    prefecture: u8,
    /// The four fields, each ended by [`SEP`].
    text: Box<str>,
    code: Option<u64>,
    postal: Option<u32>,
    phone: Option<u64>,
}

impl Pending {
    pub(super) fn new(row: IndexRow, home: Option<Prefecture>) -> Self {
        let parts = split_name(&row.name);
        let prefecture = row.prefecture.parse::<Prefecture>().ok();
        let pref_name = prefecture.map_or("", |p| p.name_ja());
        let kana = row.kana.as_deref().map(fold).unwrap_or_default();
        let address = fold(&format!("{pref_name}{}", row.address));
        let text = [parts.distinctive.as_str(), &parts.corporate, &kana, &address]
            .iter()
            .flat_map(|f| [*f, "\n"])
            .collect::<String>();
        let away = home.is_some_and(|h| Some(h) != prefecture);
        let digits = |s: &Option<String>| s.as_deref().and_then(parse_digits);
        Pending {
            id: row.id,
            rank: (row.closed, away, parts.distinctive.chars().count()),
            prefecture: prefecture.map_or(0, Prefecture::number),
            text: text.into(),
            code: digits(&row.insurance_code).filter(|d| d.len() == 10).map(|d| digits_key(&d)),
            postal: digits(&row.postal_code).map(|d| digits_key(&d) as u32),
            phone: digits(&row.phone).map(|d| phone_key(&d)),
        }
    }

    fn main(&self) -> &str {
        self.text.split(SEP).next().unwrap_or_default()
    }
}

impl LookupIndex {
    /// The index of `pending` (the registry as read from the store) for a desk of `home`.
    pub(super) fn build(mut pending: Vec<Pending>, home: Option<Prefecture>) -> Self {
        pending.sort_by(|a, b| (a.rank, a.main(), a.id).cmp(&(b.rank, b.main(), b.id)));
        let n = pending.len();
        let mut text = String::with_capacity(pending.iter().map(|p| p.text.len()).sum());
        let (mut starts, mut ids, mut prefectures) =
            (Vec::with_capacity(n + 1), Vec::with_capacity(n), Vec::with_capacity(n));
        let (mut code, mut seven, mut postal, mut phone) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut mains, mut others, mut addresses) =
            (PostingsBuilder::default(), PostingsBuilder::default(), PostingsBuilder::default());
        for (i, p) in pending.into_iter().enumerate() {
            let entry = i as u32;
            starts.push(text.len() as u32);
            text.push_str(&p.text);
            ids.push(p.id);
            prefectures.push(p.prefecture);
            if let Some(c) = p.code {
                code.push((c, entry));
                seven.push(((c % 10_000_000) as u32, entry));
            }
            postal.extend(p.postal.map(|k| (k, entry)));
            phone.extend(p.phone.map(|k| (k, entry)));
            let mut fields = p.text.split(SEP);
            let mut next = || fields.next().unwrap_or_default();
            mains.add(entry, &[next()]);
            others.add(entry, &[next(), next()]);
            addresses.add(entry, &[next()]);
        }
        starts.push(text.len() as u32);

        let mut index = LookupIndex {
            home,
            ids: ids.into(),
            prefectures: prefectures.into(),
            text: text.into_bytes().into(),
            starts: starts.into(),
            by_code: Keyed::new(code),
            by_seven: Keyed::new(seven),
            by_postal: Keyed::new(postal),
            by_phone: Keyed::new(phone),
            mains: mains.finish(),
            others: others.finish(),
            addresses: addresses.finish(),
            by_main: Vec::new().into(),
            main_heads: Vec::new().into(),
        };
        let mut by_main: Vec<u32> = (0..n as u32).collect();
        by_main.sort_unstable_by(|&a, &b| index.main(a).cmp(index.main(b)));
        index.main_heads =
            by_main.iter().map(|&e| name_head(index.main(e))).collect::<Vec<_>>().into();
        index.by_main = by_main.into();
        index
    }
}
