use super::*;
use proptest::prelude::*;

#[test]
fn parses_the_accepted_forms() {
    for (input, pence) in [
        ("0", 0),
        ("0.5", 50),
        ("0.05", 5),
        ("2500", 250_000),
        ("2500.5", 250_050),
        ("2500.50", 250_050),
        ("1000000000000", MAX_PENCE),
        ("1000000000000.00", MAX_PENCE),
    ] {
        assert_eq!(Money::parse(input).map(Money::pence), Ok(pence), "{input}");
    }
}

#[test]
fn rejects_each_bad_form_with_its_own_reason() {
    for (input, err) in [
        ("", MoneyError::Empty),
        (" 1", MoneyError::Whitespace),
        ("1 ", MoneyError::Whitespace),
        ("+1", MoneyError::PlusSign),
        ("-1", MoneyError::Negative),
        ("1e3", MoneyError::Exponent),
        ("1E3", MoneyError::Exponent),
        ("1.234", MoneyError::TooManyDecimalPlaces),
        ("01", MoneyError::LeadingZero),
        ("00.50", MoneyError::LeadingZero),
        ("1,000", MoneyError::ThousandsSeparator),
        ("£5", MoneyError::CurrencySymbol),
        ("NaN", MoneyError::Malformed("NaN".into())),
        ("1.", MoneyError::Malformed("1.".into())),
        (".5", MoneyError::Malformed(".5".into())),
        ("1.2.3", MoneyError::Malformed("1.2.3".into())),
        ("1000000000000.01", MoneyError::TooLarge),
        ("99999999999999999999999", MoneyError::TooLarge),
    ] {
        assert_eq!(Money::parse(input), Err(err), "{input:?}");
    }
}

#[test]
fn error_messages_name_the_problem() {
    assert_eq!(
        MoneyError::TooManyDecimalPlaces.to_string(),
        "more than 2 decimal places"
    );
    assert_eq!(
        MoneyError::Negative.to_string(),
        "negative amounts are not allowed"
    );
    assert_eq!(
        MoneyError::TooLarge.to_string(),
        "exceeds the maximum of 1000000000000.00"
    );
}

#[test]
fn displays_two_decimals() {
    assert_eq!(Money::parse("2500").unwrap().to_string(), "2500.00");
    assert_eq!(Money::parse("0.5").unwrap().to_string(), "0.50");
    assert_eq!(Money::ZERO.to_string(), "0.00");
    assert_eq!(Money::MAX.to_string(), "1000000000000.00");
    assert_eq!(format!("{:?}", Money::parse("1.5").unwrap()), "Money(1.50)");
}

#[test]
fn decimal_conversions() {
    let d: Decimal = "12.30".parse().unwrap();
    assert_eq!(Money::from_decimal(d).unwrap().pence(), 1230);
    assert_eq!(
        Money::from_decimal("12.3000".parse().unwrap())
            .unwrap()
            .pence(),
        1230
    );
    assert_eq!(
        Money::from_decimal("12.301".parse().unwrap()),
        Err(MoneyError::TooManyDecimalPlaces)
    );
    assert_eq!(
        Money::from_decimal("-1".parse().unwrap()),
        Err(MoneyError::Negative)
    );
    assert_eq!(Money::from_decimal("-0".parse().unwrap()), Ok(Money::ZERO));
    assert_eq!(
        Money::from_decimal("1000000000000.01".parse().unwrap()),
        Err(MoneyError::TooLarge)
    );
    assert_eq!(Money::from_decimal(Decimal::MAX), Err(MoneyError::TooLarge));
    assert_eq!(
        Money::parse("2500.5").unwrap().as_decimal().to_string(),
        "2500.50"
    );
}

#[test]
fn multiplication_and_sum() {
    let m = Money::parse("250").unwrap();
    assert_eq!(m.checked_mul(4).unwrap().to_string(), "1000.00");
    assert_eq!(Money::MAX.checked_mul(2), Err(MoneyError::TooLarge));
    assert_eq!(Money::MAX.checked_mul(u32::MAX), Err(MoneyError::TooLarge));
    assert_eq!(Money::sum([m, m, m]).unwrap().to_string(), "750.00");
    assert_eq!(Money::sum([]), Ok(Money::ZERO));
    assert_eq!(Money::sum([Money::MAX, m]), Err(MoneyError::TooLarge));
    assert!(Money::ZERO.is_zero());
}

#[test]
fn deltas() {
    assert_eq!(MoneyDelta::parse("-250").unwrap().to_string(), "-250.00");
    assert_eq!(MoneyDelta::parse("+250").unwrap().to_string(), "250.00");
    assert_eq!(MoneyDelta::parse("0.01").unwrap().pence(), 1);
    assert_eq!(MoneyDelta::parse("-0.01").unwrap().to_string(), "-0.01");
    assert_eq!(
        MoneyDelta::parse("--1"),
        Err(MoneyError::Malformed("--1".into()))
    );
    assert_eq!(MoneyDelta::parse("-"), Err(MoneyError::Empty));
    assert_eq!(
        MoneyDelta::parse("-1.001"),
        Err(MoneyError::TooManyDecimalPlaces)
    );
    assert_eq!(
        MoneyDelta::parse("-1000000000000.01"),
        Err(MoneyError::TooLarge)
    );
    assert_eq!(
        MoneyDelta::from_pence(-MAX_PENCE - 1),
        Err(MoneyError::TooLarge)
    );
    let d = MoneyDelta::from_pence(-MAX_PENCE).unwrap();
    assert_eq!(d.abs(), Money::MAX);
    assert_eq!(
        Money::ZERO.checked_add_delta(MoneyDelta::from_pence(-1).unwrap()),
        Err(MoneyError::Negative)
    );
    assert_eq!(
        Money::MAX.checked_add_delta(MoneyDelta::from_pence(1).unwrap()),
        Err(MoneyError::TooLarge)
    );
}

#[test]
fn serde_shape() {
    let m = Money::parse("2500").unwrap();
    assert_eq!(serde_json::to_string(&m).unwrap(), "\"2500.00\"");
    assert_eq!(
        serde_json::from_str::<Money>("\"2500.5\"").unwrap(),
        Money::from_pence(250_050).unwrap()
    );
    for number in ["2500", "2500.5", "-1", "1e3"] {
        let err = serde_json::from_str::<Money>(number)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("amounts must be strings such as \"2500.00\""),
            "{number}: {err}"
        );
    }
    let err = serde_json::from_str::<Money>("\"1.234\"")
        .unwrap_err()
        .to_string();
    assert!(err.contains("more than 2 decimal places"), "{err}");
    assert!(serde_json::from_str::<Money>("null").is_err());
    let d = MoneyDelta::parse("-250").unwrap();
    assert_eq!(serde_json::to_string(&d).unwrap(), "\"-250.00\"");
    assert_eq!(
        serde_json::from_str::<MoneyDelta>("\"-250.00\"").unwrap(),
        d
    );
    assert!(serde_json::from_str::<MoneyDelta>("-250").is_err());
}

fn any_money() -> impl Strategy<Value = Money> {
    (0..=MAX_PENCE).prop_map(|p| Money::from_pence(p).unwrap())
}

proptest! {
    #[test]
    fn parse_display_round_trip(m in any_money()) {
        prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
    }

    #[test]
    fn pence_round_trip(p in 0..=MAX_PENCE) {
        prop_assert_eq!(Money::from_pence(p).map(Money::pence), Ok(p));
    }

    #[test]
    fn from_pence_rejects_out_of_range(p in prop_oneof![i64::MIN..0, (MAX_PENCE + 1)..=i64::MAX]) {
        prop_assert!(Money::from_pence(p).is_err());
    }

    #[test]
    fn decimal_round_trip(m in any_money()) {
        prop_assert_eq!(Money::from_decimal(m.as_decimal()), Ok(m));
    }

    #[test]
    fn add_is_commutative_and_exact(a in any_money(), b in any_money()) {
        prop_assert_eq!(a.checked_add(b), b.checked_add(a));
        let sum = a.pence() + b.pence();
        match a.checked_add(b) {
            Ok(m) => prop_assert_eq!(m.pence(), sum),
            Err(e) => {
                prop_assert!(sum > MAX_PENCE);
                prop_assert_eq!(e, MoneyError::TooLarge);
            }
        }
    }

    #[test]
    fn sub_fails_exactly_when_negative(a in any_money(), b in any_money()) {
        match a.checked_sub(b) {
            Ok(m) => {
                prop_assert!(b <= a);
                prop_assert_eq!(m.pence(), a.pence() - b.pence());
            }
            Err(e) => {
                prop_assert!(b > a);
                prop_assert_eq!(e, MoneyError::Negative);
            }
        }
    }

    #[test]
    fn serde_round_trip(m in any_money()) {
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn delta_round_trip(a in any_money(), b in any_money()) {
        let d = a.delta_to(b);
        prop_assert_eq!(a.checked_add_delta(d), Ok(b));
        prop_assert_eq!(MoneyDelta::parse(&d.to_string()), Ok(d));
        let json = serde_json::to_string(&d).unwrap();
        prop_assert_eq!(serde_json::from_str::<MoneyDelta>(&json).unwrap(), d);
    }

    #[test]
    fn parse_never_panics(s in "\\PC*") {
        let _ = Money::parse(&s);
        let _ = MoneyDelta::parse(&s);
    }

    #[test]
    fn parse_never_panics_on_numberish(s in "[-+0-9.eE,£ ]{0,20}") {
        if let Ok(m) = Money::parse(&s) {
            prop_assert_eq!(m.to_string().parse::<Decimal>().unwrap(), s.parse::<Decimal>().unwrap());
        }
        let _ = MoneyDelta::parse(&s);
    }
}
