//! Paying grantees: their bank accounts, checked by shape and (in later
//! modules) by the Pay.UK modulus rules, and the files a bank accepts.

mod account;

pub use account::{
    AccountName, AccountNumber, BankAccount, BankAccountError, RollNumber, SortCode,
};
