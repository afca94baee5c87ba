//! The bank files of a payment run through the public API: every field of
//! every Standard 18 record at the positions docs/BACS.md gives, a golden
//! file compared byte for byte, properties over arbitrary runs, and the
//! bulk-payment CSV.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing
)]

use chrono::NaiveDate;
use grantledger_domain::bank::{
    BacsError, BacsLine, BankAccount, Originator, bank_csv, is_bacs_char, julian, standard18,
};
use grantledger_domain::money::Money;
use proptest::prelude::*;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn fund() -> Originator {
    Originator::parse("123456", "40-11-62", "87654321", "Local Connections").unwrap()
}

fn line(
    name: &str,
    sort: &str,
    number: &str,
    roll: &str,
    amount: &str,
    reference: &str,
) -> BacsLine {
    let to = BankAccount::parse(name, sort, number, roll).unwrap();
    BacsLine::new(to, Money::parse(amount).unwrap(), reference).unwrap()
}

/// The three payments of the golden file: a plain account, a long name
/// with an accent and a curly apostrophe, and a building society with a
/// roll number.
fn three() -> Vec<BacsLine> {
    vec![
        line(
            "Tuesday Lunch Club",
            "12-34-56",
            "12345678",
            "",
            "1500",
            "LCF-R1-000123",
        ),
        line(
            "Gateshead Café & Friends’ Association",
            "20-00-00",
            "55779911",
            "",
            "2500.50",
            "lcf-r1-000124",
        ),
        line(
            "Mrs J O'Neill",
            "07-00-93",
            "33333334",
            "ab/123.4-5",
            "250.05",
            "LCF-R1-000125",
        ),
    ]
}

/// Created Thursday 3 December 2026, processed Monday 7 December.
fn golden() -> String {
    standard18(&fund(), 42, day(2026, 12, 3), day(2026, 12, 7), &three()).unwrap()
}

fn records(file: &str) -> Vec<&str> {
    assert!(
        file.ends_with("\r\n"),
        "the last record ends with CR LF too"
    );
    file.split_terminator("\r\n").collect()
}

/// Characters `from` to `to` of a record, counted from 1 as docs/BACS.md
/// counts them.
fn at(record: &str, from: usize, to: usize) -> &str {
    &record[from - 1..to]
}

#[test]
fn golden_file_byte_for_byte() {
    let expected = include_bytes!("golden/standard18.txt");
    assert_eq!(golden().as_bytes(), expected.as_slice());
}

#[test]
fn record_order_and_width() {
    let file = golden();
    assert!(
        !file.replace("\r\n", "").contains(['\r', '\n']),
        "only CR LF pairs"
    );
    let r = records(&file);
    let kinds: Vec<&str> = r.iter().map(|r| &r[..4]).collect();
    assert_eq!(
        kinds,
        [
            "VOL1", "HDR1", "HDR2", "UHL1", "1234", "2000", "0700", "4011", "EOF1", "EOF2", "UTL1"
        ]
    );
    for record in &r {
        assert_eq!(record.len(), 100, "{record:?}");
        assert!(record.chars().all(is_bacs_char), "{record:?}");
    }
}

#[test]
fn vol1_fields() {
    let file = golden();
    let v = records(&file)[0];
    assert_eq!(at(v, 1, 4), "VOL1");
    assert_eq!(at(v, 5, 10), "000042");
    assert_eq!(at(v, 11, 11), "0");
    assert_eq!(at(v, 12, 41), " ".repeat(30));
    assert_eq!(at(v, 42, 47), "123456");
    assert_eq!(at(v, 48, 79), " ".repeat(32));
    assert_eq!(at(v, 80, 80), "1");
    assert_eq!(at(v, 81, 100), " ".repeat(20));
}

#[test]
fn hdr1_and_eof1_fields() {
    let file = golden();
    let r = records(&file);
    for (h, label) in [(r[1], "HDR1"), (r[8], "EOF1")] {
        assert_eq!(at(h, 1, 4), label);
        assert_eq!(at(h, 5, 21), "A123456S  1123456");
        assert_eq!(at(h, 22, 27), "000042");
        assert_eq!(at(h, 28, 31), "0001");
        assert_eq!(at(h, 32, 35), "0001");
        assert_eq!(at(h, 36, 41), "      ");
        assert_eq!(at(h, 42, 47), " 26337");
        assert_eq!(at(h, 48, 53), " 26337");
        assert_eq!(at(h, 54, 54), "0");
        assert_eq!(at(h, 55, 60), "000000");
        assert_eq!(at(h, 61, 100), " ".repeat(40));
    }
    assert_eq!(at(r[1], 5, 100), at(r[8], 5, 100));
}

#[test]
fn hdr2_and_eof2_fields() {
    let file = golden();
    let r = records(&file);
    for (h, label) in [(r[2], "HDR2"), (r[9], "EOF2")] {
        assert_eq!(at(h, 1, 4), label);
        assert_eq!(at(h, 5, 5), "F");
        assert_eq!(at(h, 6, 10), "02000");
        assert_eq!(at(h, 11, 15), "00100");
        assert_eq!(at(h, 16, 50), " ".repeat(35));
        assert_eq!(at(h, 51, 52), "00");
        assert_eq!(at(h, 53, 100), " ".repeat(48));
    }
}

#[test]
fn uhl1_fields() {
    let file = golden();
    let u = records(&file)[3];
    assert_eq!(at(u, 1, 4), "UHL1");
    assert_eq!(at(u, 5, 10), " 26341");
    assert_eq!(at(u, 11, 20), "999999    ");
    assert_eq!(at(u, 21, 22), "00");
    assert_eq!(at(u, 23, 28), "000000");
    assert_eq!(at(u, 29, 37), "1 DAILY  ");
    assert_eq!(at(u, 38, 40), "001");
    assert_eq!(at(u, 41, 100), " ".repeat(60));
}

#[test]
fn julian_dates() {
    assert_eq!(julian(day(2026, 1, 1)), " 26001");
    assert_eq!(julian(day(2026, 12, 31)), " 26365");
    assert_eq!(julian(day(2028, 12, 31)), " 28366");
    assert_eq!(julian(day(2000, 2, 29)), " 00060");
    assert_eq!(julian(day(2105, 3, 1)), " 05060");
}

#[test]
fn data_record_fields() {
    let file = golden();
    let r = records(&file);
    let d = r[4];
    assert_eq!(at(d, 1, 6), "123456");
    assert_eq!(at(d, 7, 14), "12345678");
    assert_eq!(at(d, 15, 15), "0");
    assert_eq!(at(d, 16, 17), "99");
    assert_eq!(at(d, 18, 23), "401162");
    assert_eq!(at(d, 24, 31), "87654321");
    assert_eq!(at(d, 32, 35), "    ");
    assert_eq!(at(d, 36, 46), "00000150000");
    assert_eq!(at(d, 47, 64), "LOCAL CONNECTIONS ");
    assert_eq!(at(d, 65, 82), "LCF-R1-000123     ");
    assert_eq!(at(d, 83, 100), "TUESDAY LUNCH CLUB");

    // Upper-cased, accent folded, apostrophe dropped, cut to 18.
    let long = r[5];
    assert_eq!(at(long, 36, 46), "00000250050");
    assert_eq!(at(long, 65, 82), "LCF-R1-000124     ");
    assert_eq!(at(long, 83, 100), "GATESHEAD CAFE & F");

    // A building society: the roll number is the reference.
    let society = r[6];
    assert_eq!(at(society, 1, 14), "07009333333334");
    assert_eq!(at(society, 36, 46), "00000025005");
    assert_eq!(at(society, 65, 82), "AB/123.4-5        ");
    assert_eq!(at(society, 83, 100), "MRS J ONEILL      ");
}

#[test]
fn contra_record_fields() {
    let file = golden();
    let c = records(&file)[7];
    assert_eq!(at(c, 1, 6), "401162");
    assert_eq!(at(c, 7, 14), "87654321");
    assert_eq!(at(c, 15, 15), "0");
    assert_eq!(at(c, 16, 17), "17");
    assert_eq!(at(c, 18, 23), "401162");
    assert_eq!(at(c, 24, 31), "87654321");
    assert_eq!(at(c, 32, 35), "    ");
    assert_eq!(at(c, 36, 46), "00000425055");
    assert_eq!(at(c, 47, 64), "GRANT RUN 000042  ");
    assert_eq!(at(c, 65, 82), "CONTRA            ");
    assert_eq!(at(c, 83, 100), "LOCAL CONNECTIONS ");
}

#[test]
fn utl1_fields() {
    let file = golden();
    let u = records(&file)[10];
    assert_eq!(at(u, 1, 4), "UTL1");
    assert_eq!(at(u, 5, 17), "0000000425055");
    assert_eq!(at(u, 18, 30), "0000000425055");
    assert_eq!(at(u, 31, 37), "0000001");
    assert_eq!(at(u, 38, 44), "0000003");
    assert_eq!(at(u, 45, 100), " ".repeat(56));
}

#[test]
fn refusals() {
    let (created, monday) = (day(2026, 12, 3), day(2026, 12, 7));
    assert!(matches!(
        standard18(&fund(), 1, created, monday, &[]),
        Err(BacsError::NoLines)
    ));
    for weekend in [day(2026, 12, 5), day(2026, 12, 6)] {
        let e = standard18(&fund(), 1, created, weekend, &three()).unwrap_err();
        assert!(matches!(e, BacsError::NotABankingDay { .. }), "{e}");
        assert!(e.to_string().contains("banking days"), "{e}");
    }
    assert!(matches!(
        standard18(&fund(), 1, day(2026, 12, 8), monday, &three()),
        Err(BacsError::ProcessingDayBeforeCreation { .. })
    ));
    assert!(standard18(&fund(), 1, monday, monday, &three()).is_ok());
    for serial in [0, 1_000_000] {
        assert!(matches!(
            standard18(&fund(), serial, created, monday, &three()),
            Err(BacsError::FileSerial { .. })
        ));
    }
    assert!(standard18(&fund(), 999_999, created, monday, &three()).is_ok());

    let big = line(
        "A",
        "12-34-56",
        "12345678",
        "",
        "999999999.99",
        "LCF-R1-000001",
    );
    assert!(standard18(&fund(), 1, created, monday, std::slice::from_ref(&big)).is_ok());
    let small = line("A", "12-34-56", "12345678", "", "0.01", "LCF-R1-000002");
    assert!(matches!(
        standard18(&fund(), 1, created, monday, &[big, small]),
        Err(BacsError::TotalTooLarge)
    ));
}

#[test]
fn csv_header_and_rows() {
    let csv = String::from_utf8(bank_csv(&three()).unwrap()).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(
        rows,
        [
            "sort_code,account_number,account_name,amount,reference,roll_number",
            "123456,12345678,TUESDAY LUNCH CLUB,1500.00,LCF-R1-000123,",
            "200000,55779911,GATESHEAD CAFE & F,2500.50,LCF-R1-000124,",
            "070093,33333334,MRS J ONEILL,250.05,LCF-R1-000125,AB/123.4-5",
        ]
    );
    assert!(matches!(bank_csv(&[]), Err(BacsError::NoLines)));
}

#[test]
fn csv_cells_cannot_start_a_formula() {
    let hostile = line("-2+3+cmd", "12-34-56", "12345678", "", "10", "-1+1");
    let csv = String::from_utf8(bank_csv(&[hostile]).unwrap()).unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert_eq!(row, "123456,12345678,'-2 3 CMD,10.00,'-1 1,");
    // `=`, `+` and `@` are outside the Bacs set, so they never reach a cell.
    let eq = line(
        "=HYPERLINK(\"x\")",
        "12-34-56",
        "12345678",
        "",
        "10",
        "@SUM(A1)",
    );
    let csv = String::from_utf8(bank_csv(&[eq]).unwrap()).unwrap();
    assert_eq!(
        csv.lines().nth(1).unwrap(),
        "123456,12345678,HYPERLINK X,10.00,SUM A1,"
    );
}

fn arb_line() -> impl Strategy<Value = BacsLine> {
    (
        "\\PC{1,40}",
        "[0-9]{6}",
        "[0-9]{8}",
        proptest::option::of("[A-Za-z0-9/.-]{1,18}"),
        1i64..=99_999_999_999,
        "[A-Za-z0-9][\\PC]{0,30}",
    )
        .prop_filter_map(
            "a valid account",
            |(name, sort, number, roll, pence, reference)| {
                let to = BankAccount::parse(&name, &sort, &number, roll.as_deref().unwrap_or(""))
                    .ok()?;
                BacsLine::new(to, Money::from_pence(pence).ok()?, &reference).ok()
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn totals_balance_and_every_record_is_100_bacs_characters(
        mut lines in proptest::collection::vec(arb_line(), 1..20),
        serial in 1u32..=999_999,
    ) {
        // Keep the run within what one file carries.
        let mut total = 0i64;
        lines.retain(|l| {
            total += l.amount().pence();
            total <= 99_999_999_999
        });
        prop_assume!(!lines.is_empty());
        let file = standard18(&fund(), serial, day(2026, 12, 3), day(2026, 12, 7), &lines).unwrap();
        let r = records(&file);
        prop_assert_eq!(r.len(), lines.len() + 8);
        for record in &r {
            prop_assert_eq!(record.len(), 100);
            prop_assert!(record.chars().all(is_bacs_char), "{:?}", record);
        }
        let data = &r[4..4 + lines.len()];
        let sum: u64 = data.iter().map(|d| at(d, 36, 46).parse::<u64>().unwrap()).sum();
        prop_assert!(data.iter().all(|d| at(d, 16, 17) == "99"));
        let contra = r[4 + lines.len()];
        prop_assert_eq!(at(contra, 16, 17), "17");
        prop_assert_eq!(at(contra, 36, 46).parse::<u64>().unwrap(), sum);
        let utl1 = r[r.len() - 1];
        prop_assert_eq!(at(utl1, 18, 30).parse::<u64>().unwrap(), sum);
        prop_assert_eq!(at(utl1, 5, 17).parse::<u64>().unwrap(), sum);
        prop_assert_eq!(at(utl1, 38, 44).parse::<usize>().unwrap(), lines.len());
        prop_assert_eq!(at(utl1, 31, 37), "0000001");
    }
}
