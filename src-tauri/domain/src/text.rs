//! Folding of typed digits: what people paste from Excel, mail and paper forms.

/// Maps full-width digits to ASCII and leaves every other character as it is.
pub(crate) fn ascii_digit(c: char) -> char {
    match c {
        '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
        _ => c,
    }
}

/// Separators people put between digit groups: spaces, hyphens and dashes of every width,
/// commas, dots and the postal mark.
pub(crate) fn is_separator(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '-' | '‐'
                | '‑'
                | '‒'
                | '–'
                | '—'
                | '―'
                | '−'
                | 'ー'
                | 'ｰ'
                | '－'
                | ','
                | '，'
                | '、'
                | '.'
                | '．'
                | '。'
                | '〒'
                | '_'
        )
}

/// Digits 0–9 as their ASCII characters.
pub(crate) fn digit_string(digits: &[u8]) -> String {
    digits.iter().map(|d| char::from(b'0' + d)).collect()
}

/// Serde for a code type through its string form: parsed (and so validated) on the way in,
/// its canonical digits on the way out.
macro_rules! serde_as_string {
    ($ty:ty, $to_string:ident) => {
        impl TryFrom<String> for $ty {
            type Error = <$ty as std::str::FromStr>::Err;
            fn try_from(s: String) -> Result<Self, Self::Error> {
                s.parse()
            }
        }

        impl From<$ty> for String {
            fn from(v: $ty) -> String {
                v.$to_string()
            }
        }
    };
}
pub(crate) use serde_as_string;

/// The digits of `input` with separators dropped, or the first character that is neither.
pub(crate) fn digits_only(input: &str) -> Result<Vec<u8>, char> {
    let mut out = Vec::with_capacity(input.len());
    for c in input.chars().map(ascii_digit) {
        if let Some(d) = c.to_digit(10) {
            out.push(d as u8);
        } else if !is_separator(c) {
            return Err(c);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_full_width_and_drops_separators() {
        assert_eq!(digits_only("０２，７０７５ー１"), Ok(vec![0, 2, 7, 0, 7, 5, 1]));
        assert_eq!(digits_only(" 01-40055 "), Ok(vec![0, 1, 4, 0, 0, 5, 5]));
        assert_eq!(digits_only("12a"), Err('a'));
    }
}
