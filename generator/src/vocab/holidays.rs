//! The public holidays of the gazetteer's 20 countries, from 2015 to 2035
//! (`holidays.csv` beside this file: country code, date, name): the
//! national holidays of the `holidays` package (python-holidays,
//! <https://github.com/vacanza/holidays>, MIT licence, version 0.109),
//! generated with `holidays.country_holidays(code, years=range(2015, 2036))`.
//! Days outside those years have no holidays.

use std::collections::HashSet;
use std::sync::OnceLock;

use chrono::NaiveDate;

const TABLE: &str = include_str!("holidays.csv");

/// The first and the last year the table covers.
pub const YEARS: (i32, i32) = (2015, 2035);

/// (country code, days from the common era) of every holiday.
fn table() -> &'static HashSet<([u8; 2], i32)> {
    static TABLE_SET: OnceLock<HashSet<([u8; 2], i32)>> = OnceLock::new();
    TABLE_SET.get_or_init(|| {
        TABLE
            .lines()
            .skip(1)
            .map(|line| {
                let mut fields = line.splitn(3, ',');
                let code = fields.next().expect("a country code").as_bytes();
                let date: NaiveDate = fields
                    .next()
                    .and_then(|d| d.parse().ok())
                    .expect("holidays.csv has a date in its second column");
                ([code[0], code[1]], chrono::Datelike::num_days_from_ce(&date))
            })
            .collect()
    })
}

/// Whether `date` is a public holiday in the country of ISO code `country_code`.
pub fn is_holiday(country_code: &str, date: NaiveDate) -> bool {
    let code = country_code.as_bytes();
    code.len() == 2 && table().contains(&([code[0], code[1]], chrono::Datelike::num_days_from_ce(&date)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_knows_national_holidays() {
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        assert!(is_holiday("US", d("2026-07-04")));
        assert!(is_holiday("DE", d("2026-10-03")));
        assert!(is_holiday("JP", d("2026-01-01")));
        assert!(!is_holiday("US", d("2026-10-03")));
        assert!(!is_holiday("DE", d("2026-07-04")));
    }
}
