//! 郵便番号の地域: the prefecture a postal code's first three digits normally belong to.
//! Japan Post assigns the leading digits by region; a few codes near borders cross over, so
//! a mismatch is a question for the officer, not an error.

use crate::postal::PostalCode;
use crate::prefecture::Prefecture;

/// Inclusive ranges of the first three digits, and their prefecture.
const RANGES: &[(u16, u16, u8)] = &[
    (1, 9, 1),
    (10, 19, 5),
    (20, 29, 3),
    (30, 39, 2),
    (40, 99, 1),
    (100, 209, 13),
    (210, 259, 14),
    (260, 299, 12),
    (300, 319, 8),
    (320, 329, 9),
    (330, 369, 11),
    (370, 379, 10),
    (380, 399, 20),
    (400, 409, 19),
    (410, 439, 22),
    (440, 499, 23),
    (500, 509, 21),
    (510, 519, 24),
    (520, 529, 25),
    (530, 599, 27),
    (600, 629, 26),
    (630, 639, 29),
    (640, 649, 30),
    (650, 679, 28),
    (680, 689, 31),
    (690, 699, 32),
    (700, 719, 33),
    (720, 739, 34),
    (740, 759, 35),
    (760, 769, 37),
    (770, 779, 36),
    (780, 789, 39),
    (790, 799, 38),
    (800, 839, 40),
    (840, 849, 41),
    (850, 859, 42),
    (860, 869, 43),
    (870, 879, 44),
    (880, 889, 45),
    (890, 899, 46),
    (900, 909, 47),
    (910, 919, 18),
    (920, 929, 17),
    (930, 939, 16),
    (940, 959, 15),
    (960, 979, 7),
    (980, 989, 4),
    (990, 999, 6),
];

/// The prefecture `postal` normally belongs to.
pub fn usual_prefecture(postal: &PostalCode) -> Option<Prefecture> {
    let head: u16 = postal.digits()[..3].parse().ok()?;
    RANGES
        .iter()
        .find(|(from, to, _)| (*from..=*to).contains(&head))
        .and_then(|(_, _, pref)| Prefecture::from_number(*pref).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_offices() {
        let pref = |p: &str| usual_prefecture(&p.parse().unwrap()).unwrap().code();
        assert_eq!(pref("100-8916"), "13"); // 霞が関
        assert_eq!(pref("060-0001"), "01"); // 札幌
        assert_eq!(pref("530-0001"), "27"); // 大阪
        assert_eq!(pref("900-0001"), "47"); // 那覇
        assert_eq!(pref("980-0001"), "04"); // 仙台
    }
}
