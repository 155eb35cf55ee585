//! 正規化（照合用）: folds text for matching, never for display.
//!
//! Both the stored names and the officer's query go through [`fold`], so they meet in one
//! form: NFKC (full-width letters and digits, half-width kana), katakana as hiragana, small
//! kana as large, old and variant kanji as their common form, every dash and long-vowel mark
//! as one, no spaces or middle dots, ASCII in lower case.

use unicode_normalization::UnicodeNormalization;

/// Kanji that NFKC leaves alone but that people write either way (髙橋/高橋, 﨑/崎 …).
const VARIANTS: &[(char, char)] = &[
    ('髙', '高'),
    ('﨑', '崎'),
    ('嵜', '崎'),
    ('碕', '崎'),
    ('德', '徳'),
    ('邊', '辺'),
    ('邉', '辺'),
    ('齋', '斎'),
    ('齊', '斎'),
    ('斉', '斎'),
    ('𠮷', '吉'),
    ('濱', '浜'),
    ('濵', '浜'),
    ('澤', '沢'),
    ('廣', '広'),
    ('櫻', '桜'),
    ('國', '国'),
    ('槇', '槙'),
    ('嶋', '島'),
    ('嶌', '島'),
    ('冨', '富'),
    ('渕', '淵'),
    ('眞', '真'),
    ('惠', '恵'),
    ('條', '条'),
    ('瀧', '滝'),
    ('龍', '竜'),
    ('曾', '曽'),
    ('桒', '桑'),
    ('峯', '峰'),
    ('舘', '館'),
    ('舩', '船'),
    ('壽', '寿'),
    ('會', '会'),
    ('醫', '医'),
    ('學', '学'),
    ('團', '団'),
    ('與', '与'),
    ('驛', '駅'),
    ('聰', '聡'),
    ('禮', '礼'),
    ('藏', '蔵'),
    ('增', '増'),
    ('﨔', '欅'),
    ('靜', '静'),
    ('縣', '県'),
    ('螢', '蛍'),
    ('萬', '万'),
    ('彌', '弥'),
    ('兒', '児'),
    ('實', '実'),
    ('圓', '円'),
    ('竈', '竃'),
    ('籠', '篭'),
    ('栁', '柳'),
    ('杦', '杉'),
    ('鷗', '鴎'),
    ('蘆', '芦'),
    ('檜', '桧'),
];

/// Dashes, minus signs and long-vowel marks: callers and lists mix them freely.
const DASHES: &[char] =
    &['-', '‐', '‑', '‒', '–', '—', '―', '−', 'ー', 'ｰ', '─', '━', '～', '〜', '~'];

/// Characters that carry no meaning for matching.
const DROPPED: &[char] = &['・', '･', '　', ' ', '\t', '\u{200b}', '\u{feff}'];

fn small_to_large(c: char) -> char {
    match c {
        'ぁ' | 'ぃ' | 'ぅ' | 'ぇ' | 'ぉ' | 'っ' | 'ゃ' | 'ゅ' | 'ょ' | 'ゎ' => {
            char::from_u32(c as u32 + 1).unwrap_or(c)
        }
        'ゕ' => 'か',
        'ゖ' => 'け',
        _ => c,
    }
}

/// The folded form of one character, or `None` for characters that are dropped.
fn fold_char(c: char) -> Option<char> {
    if DROPPED.contains(&c) || c.is_whitespace() {
        return None;
    }
    if DASHES.contains(&c) {
        return Some('-');
    }
    // Katakana ァ..ヶ to hiragana ぁ..ゖ.
    let c =
        if ('ァ'..='ヶ').contains(&c) { char::from_u32(c as u32 - 0x60).unwrap_or(c) } else { c };
    let c = small_to_large(c);
    let c = VARIANTS.iter().find(|(from, _)| *from == c).map_or(c, |(_, to)| *to);
    Some(c.to_ascii_lowercase())
}

/// Folds `text` for matching. Idempotent: `fold(fold(x)) == fold(x)`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    out.extend(text.nfkc().filter_map(fold_char));
    out
}

/// Corporate forms that open many names (医療法人社団 …). They still match, but a query should
/// find the distinctive part of a name first: longest first, so 医療法人社団 wins over 医療法人.
const CORPORATE_FORMS: &[&str] = &[
    "社会医療法人財団",
    "社会医療法人社団",
    "社会福祉法人恩賜財団",
    "医療法人社団",
    "医療法人財団",
    "特定医療法人",
    "社会医療法人",
    "医療法人",
    "社会福祉法人",
    "地方独立行政法人",
    "独立行政法人",
    "国立大学法人",
    "公立大学法人",
    "一般社団法人",
    "一般財団法人",
    "公益社団法人",
    "公益財団法人",
    "学校法人",
    "宗教法人",
    "株式会社",
    "有限会社",
    "合同会社",
    "合資会社",
    "医療生活協同組合",
    "生活協同組合",
    "消費生活協同組合",
    "国家公務員共済組合連合会",
    "日本赤十字社",
];

/// A name split for ranking: the distinctive part (the facility's own name) and the corporate
/// part in front of it, both folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NameParts {
    pub distinctive: String,
    pub corporate: String,
}

/// Splits a published name such as `医療法人社団 慈藻会 平松記念病院` into its corporate part
/// (`医療法人社団 慈藻会`) and its distinctive part (`平松記念病院`).
///
/// The lists separate the corporation from the facility with a space; a name that opens with
/// a corporate form but has no space is all corporate form plus name (`医療法人愛全病院`).
pub fn split_name(name: &str) -> NameParts {
    let normalized: String = name.nfkc().collect();
    let trimmed = normalized.trim();
    let corporate_prefix = CORPORATE_FORMS.iter().find(|f| trimmed.starts_with(**f));
    match corporate_prefix {
        None => NameParts { distinctive: fold(trimmed), corporate: String::new() },
        Some(form) => {
            let (corporate, distinctive) = match trimmed.rfind(char::is_whitespace) {
                Some(i) if i >= form.len() => (&trimmed[..i], &trimmed[i..]),
                _ => (*form, &trimmed[form.len()..]),
            };
            let distinctive = fold(distinctive);
            if distinctive.is_empty() {
                NameParts { distinctive: fold(trimmed), corporate: String::new() }
            } else {
                NameParts { distinctive, corporate: fold(corporate) }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn width_kana_and_case() {
        assert_eq!(fold("ＡＢＣ　ｸﾘﾆｯｸ　１２３"), "abcくりにつく123");
        assert_eq!(fold("クリニック"), fold("くりにっく"));
        assert_eq!(fold("クリニツク"), fold("クリニック"), "old-style large ツ matches");
        assert_eq!(fold("ヴィラ"), fold("ゔぃら"));
    }

    #[test]
    fn variant_kanji_match_their_common_form() {
        assert_eq!(fold("髙橋"), "高橋");
        assert_eq!(fold("山﨑医院"), "山崎医院");
        assert_eq!(fold("德島"), "徳島");
        assert_eq!(fold("渡邊"), fold("渡辺"));
        assert_eq!(fold("渡邉"), fold("渡辺"));
        assert_eq!(fold("齋藤"), fold("斎藤"));
        assert_eq!(fold("齊藤"), fold("斉藤"));
        assert_eq!(fold("𠮷田"), "吉田");
    }

    #[test]
    fn dashes_spaces_and_dots() {
        assert_eq!(fold("３－３－１０"), "3-3-10");
        assert_eq!(fold("センター"), fold("センタ－"));
        assert_eq!(fold("内科・小児科"), "内科小児科");
        assert_eq!(fold("医療法人　愛全病院"), "医療法人愛全病院");
    }

    #[test]
    fn folding_is_idempotent() {
        for s in [
            "医療法人社団 慈藻会 平松記念病院",
            "ｻｸﾗ薬局",
            "札幌市中央区南２２条西１４丁目１番２０号",
            "𠮷野家",
        ] {
            assert_eq!(fold(&fold(s)), fold(s), "{s}");
        }
    }

    #[test]
    fn corporate_forms_are_split_off() {
        let p = split_name("医療法人社団 慈藻会 平松記念病院");
        assert_eq!(p.distinctive, "平松記念病院");
        assert_eq!(p.corporate, "医療法人社団慈藻会");
        let p = split_name("社会医療法人北海道恵愛会 札幌南一条病院");
        assert_eq!(p.distinctive, "札幌南一条病院");
        let p = split_name("医療法人愛全病院");
        assert_eq!(p.distinctive, "愛全病院");
        assert_eq!(p.corporate, "医療法人");
        let p = split_name("札幌中央病院");
        assert_eq!((p.distinctive.as_str(), p.corporate.as_str()), ("札幌中央病院", ""));
        let p = split_name("医療法人");
        assert_eq!(p.distinctive, "医療法人");
    }
}
