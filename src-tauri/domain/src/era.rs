//! 和暦: dates as a caller hears them on the telephone (令和7年4月1日), not as the database
//! keeps them.

use chrono::{Datelike, NaiveDate};

/// `date` in the Japanese era: 令和 from 2019-05-01, 平成 before it (元年 for the first year).
pub fn wareki(date: NaiveDate) -> String {
    let reiwa = NaiveDate::from_ymd_opt(2019, 5, 1).expect("a valid date");
    let (era, year) =
        if date >= reiwa { ("令和", date.year() - 2018) } else { ("平成", date.year() - 1988) };
    let year = if year == 1 { "元".to_owned() } else { year.to_string() };
    format!("{era}{year}年{}月{}日", date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reiwa_heisei_and_the_first_year() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert_eq!(wareki(d("2027-03-31")), "令和9年3月31日");
        assert_eq!(wareki(d("2024-01-04")), "令和6年1月4日");
        assert_eq!(wareki(d("2019-05-01")), "令和元年5月1日");
        assert_eq!(wareki(d("2019-04-30")), "平成31年4月30日");
    }
}
