//! One payment of a bank file.

use super::{BacsError, FIELD_WIDTH, MAX_AMOUNT_PENCE, to_bacs};
use crate::bank::BankAccount;
use crate::money::Money;

/// One payment in a bank file: a credit to a grantee's verified account.
/// Valid by construction: the amount is positive and fits the Bacs amount
/// field, and the reference is in the Bacs character set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BacsLine {
    destination: BankAccount,
    amount: Money,
    reference: String,
}

impl BacsLine {
    /// A payment of `amount` to `destination` with `reference` (the award
    /// reference, e.g. `LCF-R1-000123`), put into the Bacs character set
    /// and cut to 18 characters.
    ///
    /// ```
    /// use grantledger_domain::bank::{BacsLine, BankAccount};
    /// use grantledger_domain::money::Money;
    /// let to = BankAccount::parse("Tuesday Lunch Club", "12-34-56", "12345678", "").unwrap();
    /// let line = BacsLine::new(to, Money::parse("1500")?, "lcf-r1-000123")?;
    /// assert_eq!(line.reference(), "LCF-R1-000123");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    /// [`BacsError::AmountNotPositive`], [`BacsError::AmountTooLarge`],
    /// [`BacsError::EmptyReference`] or [`BacsError::EmptyAccountName`].
    pub fn new(
        destination: BankAccount,
        amount: Money,
        reference: &str,
    ) -> Result<BacsLine, BacsError> {
        if amount.is_zero() {
            return Err(BacsError::AmountNotPositive);
        }
        if amount.pence() > MAX_AMOUNT_PENCE {
            return Err(BacsError::AmountTooLarge { amount });
        }
        let mut reference = to_bacs(reference);
        reference.truncate(FIELD_WIDTH);
        let reference = reference.trim_end().to_owned();
        if !reference.bytes().any(|b| b.is_ascii_alphanumeric()) {
            return Err(BacsError::EmptyReference);
        }
        if !to_bacs(destination.account_name.as_str())
            .bytes()
            .any(|b| b.is_ascii_alphanumeric())
        {
            return Err(BacsError::EmptyAccountName);
        }
        Ok(BacsLine {
            destination,
            amount,
            reference,
        })
    }

    /// The account credited.
    #[must_use]
    pub fn destination(&self) -> &BankAccount {
        &self.destination
    }

    /// The amount paid.
    #[must_use]
    pub fn amount(&self) -> Money {
        self.amount
    }

    /// The payment reference as given, in the Bacs character set, at most
    /// 18 characters.
    #[must_use]
    pub fn reference(&self) -> &str {
        &self.reference
    }

    /// What the Standard 18 reference field carries: the building-society
    /// roll number when the account has one, because the society needs it
    /// to find the member's account behind its own pooled account; the
    /// payment reference otherwise.
    #[must_use]
    pub fn statement_reference(&self) -> &str {
        self.destination
            .roll_number
            .as_ref()
            .map_or(self.reference.as_str(), |r| r.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(roll: &str) -> BankAccount {
        BankAccount::parse("Tuesday Lunch Club", "12-34-56", "12345678", roll).unwrap()
    }

    #[test]
    fn amounts_must_be_positive_and_fit_eleven_digits() {
        assert!(matches!(
            BacsLine::new(account(""), Money::ZERO, "LCF-R1-000001"),
            Err(BacsError::AmountNotPositive)
        ));
        let max = Money::from_pence(MAX_AMOUNT_PENCE).unwrap();
        assert!(BacsLine::new(account(""), max, "LCF-R1-000001").is_ok());
        let over = Money::from_pence(MAX_AMOUNT_PENCE + 1).unwrap();
        let e = BacsLine::new(account(""), over, "LCF-R1-000001").unwrap_err();
        assert!(matches!(e, BacsError::AmountTooLarge { .. }));
        assert!(e.to_string().contains("1000000000.00"), "{e}");
    }

    #[test]
    fn references_are_put_in_the_set_and_cut() {
        let line = BacsLine::new(
            account(""),
            Money::parse("1").unwrap(),
            "lcf-r1-000123 extra words",
        )
        .unwrap();
        assert_eq!(line.reference(), "LCF-R1-000123 EXTR");
        for blank in ["", "   ", "££", "-/-"] {
            assert!(
                matches!(
                    BacsLine::new(account(""), Money::parse("1").unwrap(), blank),
                    Err(BacsError::EmptyReference)
                ),
                "{blank:?}"
            );
        }
    }

    #[test]
    fn account_names_need_something_bacs_can_carry() {
        let to = BankAccount::parse("漢字 ---", "12-34-56", "12345678", "").unwrap();
        assert!(matches!(
            BacsLine::new(to, Money::parse("1").unwrap(), "LCF-R1-000001"),
            Err(BacsError::EmptyAccountName)
        ));
    }

    #[test]
    fn roll_number_takes_the_reference_field() {
        let plain =
            BacsLine::new(account(""), Money::parse("1").unwrap(), "LCF-R1-000001").unwrap();
        assert_eq!(plain.statement_reference(), "LCF-R1-000001");
        let society = BacsLine::new(
            account("ab/123.4-5"),
            Money::parse("1").unwrap(),
            "LCF-R1-000001",
        )
        .unwrap();
        assert_eq!(society.statement_reference(), "AB/123.4-5");
        assert_eq!(society.reference(), "LCF-R1-000001");
    }
}
