//! Open data: awards as 360Giving grants (Data Standard 1.4.3), in the JSON
//! package form and flattened to the official grants-sheet columns.
//!
//! This module only maps values; reading awards in batches and writing the
//! package out as it goes is the caller's job, so an export of any size runs
//! in constant memory.
//!
//! ```
//! use chrono::{NaiveDate, TimeZone, Utc};
//! use grantledger_domain::award::{Award, AwardStatus};
//! use grantledger_domain::fund::{Fund, FundName, Funder};
//! use grantledger_domain::grantee::*;
//! use grantledger_domain::ids::*;
//! use grantledger_domain::money::Money;
//! use grantledger_domain::opendata::{CSV_COLUMNS, GrantSource, Publisher};
//! use grantledger_domain::org_id::OrgId;
//! use grantledger_domain::reference::{AwardReference, FundCode};
//!
//! let fund = Fund::new(
//!     FundId::new(), FundCode::parse("LCF")?, FundName::parse("Local Connections Fund")?, None,
//!     vec![Funder { name: OrganisationName::parse("DCMS")?, org_id: None, contribution: Money::parse("1000000")? }],
//! )?;
//! let grantee = Grantee {
//!     id: GranteeId::new(),
//!     name: OrganisationName::parse("Tuesday Lunch Club")?,
//!     org_id: Some(OrgId::parse("GB-CHC-1234567")?),
//!     organisation_type: OrganisationType::RegisteredCharity,
//!     region: Region::NorthEast,
//!     local_authority: LocalAuthority::parse("Gateshead")?,
//!     postcode: Postcode::parse("NE8 1HE")?,
//!     annual_income: Money::parse("12000")?,
//!     due_diligence: DueDiligence::pending(),
//! };
//! let award = Award {
//!     id: AwardId::new(),
//!     reference: AwardReference::new(fund.code.clone(), 1, 7)?,
//!     application_id: ApplicationId::new(),
//!     round_id: RoundId::new(),
//!     fund_id: fund.id,
//!     grantee_id: grantee.id,
//!     amount: Money::parse("2500")?,
//!     paid: Money::parse("1000")?,
//!     status: AwardStatus::Accepted,
//! };
//! let source = GrantSource {
//!     award: &award,
//!     title: "Tuesday lunches",
//!     description: "A hot lunch and good company every Tuesday.",
//!     amount_applied_for: Money::parse("3000")?,
//!     awarded_at: Utc.with_ymd_and_hms(2019, 7, 15, 10, 0, 0).unwrap(),
//!     modified_at: Utc.with_ymd_and_hms(2019, 9, 1, 8, 30, 0).unwrap(),
//!     end_date: NaiveDate::from_ymd_opt(2020, 7, 15),
//!     grantee: &grantee,
//!     fund: &fund,
//!     round_number: 1,
//!     round_name: "Round 1",
//! };
//! let publisher = Publisher::new("grantledger", "Grant Ledger", None)?;
//! let grant = source.to_grant(&publisher).expect("an accepted award is published");
//! let json = serde_json::to_string(&grant)?;
//! assert!(json.starts_with(r#"{"id":"360G-grantledger-LCF-R1-000007","title":"Tuesday lunches""#));
//! // Amounts are JSON numbers written from the exact decimal, never via a float.
//! assert!(json.contains(r#""amountAwarded":2500.00,"amountDisbursed":1000.00"#));
//! assert!(json.contains(r#""charityNumber":"1234567""#));
//! assert!(json.contains(r#"{"id":"360G-grantledger-funder-dcms","name":"DCMS"}"#));
//!
//! let row = grant.csv_record(1);
//! assert_eq!(row.len(), CSV_COLUMNS.len());
//! assert_eq!(row[0], "360G-grantledger-LCF-R1-000007");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Serialize, Serializer};

use crate::award::{Award, AwardStatus};
use crate::fund::Fund;
use crate::grantee::{Grantee, Region};
use crate::money::Money;
use crate::org_id::{OrgIdScheme, recipient_identifier};

/// The official grants-sheet column titles of the 360Giving Data Standard
/// 1.4.3, in order (`schemas/360giving/grants-sheet-columns.txt`).
pub const CSV_COLUMNS: [&str; 46] = [
    "Identifier",
    "Title",
    "Description",
    "Currency",
    "Amount Applied For",
    "Amount Awarded",
    "Amount Disbursed",
    "Award Date",
    "URL",
    "Planned Dates:Start Date",
    "Planned Dates:End Date",
    "Planned Dates:Duration (months)",
    "Recipient Ind:Identifier",
    "Recipient Ind:Name",
    "To Individuals Details:Primary Grant Reason",
    "To Individuals Details:Secondary Grant Reason",
    "To Individuals Details:Grant Purpose",
    "Recipient Org:Identifier",
    "Recipient Org:Name",
    "Recipient Org:Charity Number",
    "Recipient Org:Company Number",
    "Recipient Org:Street Address",
    "Recipient Org:City",
    "Recipient Org:County",
    "Recipient Org:Country",
    "Recipient Org:Postal Code",
    "Recipient Org:Description",
    "Recipient Org:Web Address",
    "Beneficiary Location:Name",
    "Beneficiary Location:Country Code",
    "Beneficiary Location:Latitude",
    "Beneficiary Location:Longitude",
    "Beneficiary Location:Geographic Code",
    "Beneficiary Location:Geographic Code Type",
    "Funding Org:Identifier",
    "Funding Org:Name",
    "Funding Org:Department",
    "Location Scope",
    "Grant Programme:Code",
    "Grant Programme:Title",
    "Grant Programme:URL",
    "From An Open Call?",
    "Related Activity",
    "Last Modified",
    "Data Source",
    "For Regrant Type",
];

/// Why publisher settings were refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PublisherError {
    /// The prefix is empty, too long or has characters identifiers cannot carry.
    #[error(
        "the 360Giving publisher prefix must be 1 to 64 letters, digits, '-' or '_', not starting or ending with '-'; got \"{0}\""
    )]
    Prefix(String),
    /// The name is empty.
    #[error("the publisher name must not be empty")]
    Name,
    /// The data source is not an http(s) URL.
    #[error("the data source must be an http:// or https:// URL; got \"{0}\"")]
    DataSource(String),
}

/// Who publishes the data: the part of every identifier after `360G-`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publisher {
    prefix: String,
    name: String,
    data_source: Option<String>,
}

impl Publisher {
    /// Publisher settings. The prefix is the one 360Giving assigned (e.g.
    /// `grantledger` in `360G-grantledger-LCF-R1-000001`), without `360G-`.
    ///
    /// ```
    /// use grantledger_domain::opendata::Publisher;
    /// assert!(Publisher::new("my-funder", "My Funder", Some("https://example.org/data")).is_ok());
    /// assert!(Publisher::new("360G-x y", "X", None).is_err());
    /// assert!(Publisher::new("x", "X", Some("ftp://x")).is_err());
    /// ```
    ///
    /// # Errors
    /// A [`PublisherError`] naming the bad setting.
    pub fn new(
        prefix: &str,
        name: &str,
        data_source: Option<&str>,
    ) -> Result<Publisher, PublisherError> {
        let prefix = prefix.trim();
        let prefix = prefix.strip_prefix("360G-").unwrap_or(prefix);
        let ok = (1..=64).contains(&prefix.len())
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            && !prefix.starts_with('-')
            && !prefix.ends_with('-');
        if !ok {
            return Err(PublisherError::Prefix(prefix.to_owned()));
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(PublisherError::Name);
        }
        let data_source = data_source.map(str::trim).filter(|s| !s.is_empty());
        if let Some(url) = data_source {
            let valid = (url.starts_with("https://") || url.starts_with("http://"))
                && !url.chars().any(char::is_whitespace);
            if !valid {
                return Err(PublisherError::DataSource(url.to_owned()));
            }
        }
        Ok(Publisher {
            prefix: prefix.to_owned(),
            name: name.to_owned(),
            data_source: data_source.map(str::to_owned),
        })
    }

    /// The prefix, without `360G-`.
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The publisher's name.
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Where the data comes from, if configured.
    #[must_use]
    pub fn data_source(&self) -> Option<&str> {
        self.data_source.as_deref()
    }
}

/// An amount written as a JSON number with exactly two decimals (`2500.00`),
/// straight from the exact decimal text: 360Giving wants numbers, and no
/// float ever sees the value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Amount(pub Money);

impl Serialize for Amount {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.to_string())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

/// An organisation in a grant: recipient or funder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Organisation {
    /// org-id.guide identifier, or a `360G-` fallback.
    pub id: String,
    /// Name.
    pub name: String,
    /// Charity number, for organisations on a charity register.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub charity_number: Option<String>,
    /// Companies House number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_number: Option<String>,
    /// Postcode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
}

/// A place that benefits from a grant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Location {
    /// Place name.
    pub name: String,
    /// ISO 3166-1 country code (`GB`; the schema's list has no UK nations).
    pub country_code: &'static str,
    /// The ONS code, e.g. `E12000001` for the North East.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_code: Option<&'static str>,
    /// What kind of code `geo_code` is, from 360Giving's closed
    /// geoCodeType codelist (`RGN` for an English region).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub geo_code_type: Option<&'static str>,
}

/// When the funded work is planned to run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlannedDates {
    /// Start (`YYYY-MM-DD`).
    pub start_date: String,
    /// End (`YYYY-MM-DD`), when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub end_date: Option<String>,
}

/// The programme a grant was made under: the fund and round.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GrantProgramme {
    /// `LCF-R1`.
    pub code: String,
    /// `Local Connections Fund: Round 1`.
    pub title: String,
}

/// One grant in the 360Giving shape. Field order follows the standard.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Grant {
    /// `360G-<prefix>-<award reference>`.
    pub id: String,
    /// The project title.
    pub title: String,
    /// The project summary.
    pub description: String,
    /// Always `GBP`.
    pub currency: &'static str,
    /// What the application asked for.
    pub amount_applied_for: Amount,
    /// What was awarded (after variations and recoveries).
    pub amount_awarded: Amount,
    /// What has been paid (net of recoveries).
    pub amount_disbursed: Amount,
    /// The day of the award decision (`YYYY-MM-DD`).
    pub award_date: String,
    /// When the work runs.
    pub planned_dates: Vec<PlannedDates>,
    /// The grantee.
    pub recipient_organization: Vec<Organisation>,
    /// Where the benefit falls: the grantee's region.
    pub beneficiary_location: Vec<Location>,
    /// The fund's funders (at least one).
    pub funding_organization: Vec<Organisation>,
    /// Fund and round.
    pub grant_programme: Vec<GrantProgramme>,
    /// Rounds are open calls: `Yes`.
    pub from_open_call: &'static str,
    /// When the award last changed (RFC 3339).
    pub date_modified: String,
    /// Where the data comes from, when configured.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub data_source: Option<String>,
}

/// The amount to publish for an award, or `None` when it is not published:
/// offered, accepted and completed awards stand at their amount; a cancelled
/// award stands at what was paid before it was cancelled (nothing paid:
/// not published); a declined offer was never a grant.
///
/// ```
/// use grantledger_domain::award::AwardStatus::*;
/// use grantledger_domain::money::Money;
/// use grantledger_domain::opendata::published_amount;
/// let (amount, paid) = (Money::parse("2500")?, Money::parse("500")?);
/// assert_eq!(published_amount(Accepted, amount, paid), Some(amount));
/// assert_eq!(published_amount(Cancelled, amount, paid), Some(paid));
/// assert_eq!(published_amount(Cancelled, amount, Money::ZERO), None);
/// assert_eq!(published_amount(Declined, amount, Money::ZERO), None);
/// # Ok::<(), grantledger_domain::MoneyError>(())
/// ```
#[must_use]
pub fn published_amount(status: AwardStatus, amount: Money, paid: Money) -> Option<Money> {
    match status {
        AwardStatus::Offered | AwardStatus::Accepted | AwardStatus::Completed => Some(amount),
        AwardStatus::Cancelled if !paid.is_zero() => Some(paid),
        AwardStatus::Cancelled | AwardStatus::Declined => None,
    }
}

/// The statuses whose awards may be published (see [`published_amount`]).
pub const PUBLISHED_STATUSES: [AwardStatus; 4] = [
    AwardStatus::Offered,
    AwardStatus::Accepted,
    AwardStatus::Completed,
    AwardStatus::Cancelled,
];

/// Everything a grant is made from: an award with its application's text,
/// its grantee, fund and round.
#[derive(Debug, Clone, Copy)]
pub struct GrantSource<'a> {
    /// The award.
    pub award: &'a Award,
    /// The application's project title.
    pub title: &'a str,
    /// The application's summary.
    pub description: &'a str,
    /// What the application asked for.
    pub amount_applied_for: Money,
    /// When the award was made.
    pub awarded_at: DateTime<Utc>,
    /// When the award last changed.
    pub modified_at: DateTime<Utc>,
    /// When the funded work should be done (the evaluation return date), if set.
    pub end_date: Option<NaiveDate>,
    /// The recipient.
    pub grantee: &'a Grantee,
    /// The award's fund.
    pub fund: &'a Fund,
    /// The round's number.
    pub round_number: u16,
    /// The round's name.
    pub round_name: &'a str,
}

/// A slug for fallback identifiers: lower-case letters and digits, runs of
/// anything else as one `-`.
fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out.push_str("unnamed");
    }
    out
}

/// The ONS code of an English region (`E12000001`–`E12000009`, type `RGN`
/// on 360Giving's geoCodeType codelist). Wales, Scotland and Northern
/// Ireland have none: their ONS country codes (`W92000004`, …) have no type
/// on that closed list, so they are published by name only.
///
/// ```
/// use grantledger_domain::grantee::Region;
/// use grantledger_domain::opendata::region_ons_code;
/// assert_eq!(region_ons_code(Region::London), Some("E12000007"));
/// assert_eq!(region_ons_code(Region::Wales), None);
/// ```
#[must_use]
pub const fn region_ons_code(region: Region) -> Option<&'static str> {
    match region {
        Region::NorthEast => Some("E12000001"),
        Region::NorthWest => Some("E12000002"),
        Region::YorkshireAndTheHumber => Some("E12000003"),
        Region::EastMidlands => Some("E12000004"),
        Region::WestMidlands => Some("E12000005"),
        Region::EastOfEngland => Some("E12000006"),
        Region::London => Some("E12000007"),
        Region::SouthEast => Some("E12000008"),
        Region::SouthWest => Some("E12000009"),
        Region::Wales | Region::Scotland | Region::NorthernIreland => None,
    }
}

/// The beneficiary location of a grantee's region: its name, `GB`, and
/// its ONS code where it has one (see [`region_ons_code`]).
#[must_use]
pub fn region_location(region: Region) -> Location {
    let code = region_ons_code(region);
    Location {
        name: region.label().to_owned(),
        country_code: "GB",
        geo_code: code,
        geo_code_type: code.map(|_| "RGN"),
    }
}

/// The identifier published for a funder with no org id:
/// `360G-<prefix>-funder-<slug of the name>`, the same in every fund.
///
/// ```
/// use grantledger_domain::opendata::{funder_identifier, Publisher};
/// let p = Publisher::new("grantledger", "Grant Ledger", None)?;
/// assert_eq!(funder_identifier(&p, "Dept. for Culture, Media & Sport"), "360G-grantledger-funder-dept-for-culture-media-sport");
/// # Ok::<(), grantledger_domain::opendata::PublisherError>(())
/// ```
#[must_use]
pub fn funder_identifier(publisher: &Publisher, name: &str) -> String {
    format!("360G-{}-funder-{}", publisher.prefix, slug(name))
}

impl GrantSource<'_> {
    /// The 360Giving grant, or `None` for an award that is not published
    /// (see [`published_amount`]).
    #[must_use]
    pub fn to_grant(&self, publisher: &Publisher) -> Option<Grant> {
        let a = self.award;
        let amount_awarded = published_amount(a.status, a.amount, a.paid)?;
        let g = self.grantee;
        let (charity_number, company_number) = match &g.org_id {
            Some(id) if id.scheme() == OrgIdScheme::CompaniesHouse => {
                (None, Some(id.number().to_owned()))
            }
            Some(id) if id.scheme().is_charity_register() => (Some(id.number().to_owned()), None),
            Some(_) | None => (None, None),
        };
        let recipient = Organisation {
            id: recipient_identifier(g.org_id.as_ref(), &publisher.prefix, g.id),
            name: g.name.to_string(),
            charity_number,
            company_number,
            postal_code: Some(g.postcode.to_string()),
        };
        let mut funders: Vec<Organisation> = self
            .fund
            .funders
            .iter()
            .map(|f| Organisation {
                id: f.org_id.as_ref().map_or_else(
                    || funder_identifier(publisher, f.name.as_str()),
                    |id| id.to_string(),
                ),
                name: f.name.to_string(),
                charity_number: None,
                company_number: None,
                postal_code: None,
            })
            .collect();
        if funders.is_empty() {
            // A fund set up with a budget and no funders is the publisher's own money.
            funders.push(Organisation {
                id: format!("360G-{}", publisher.prefix),
                name: publisher.name.clone(),
                charity_number: None,
                company_number: None,
                postal_code: None,
            });
        }
        let award_date = self.awarded_at.date_naive().to_string();
        Some(Grant {
            id: format!("360G-{}-{}", publisher.prefix, a.reference),
            title: self.title.to_owned(),
            description: self.description.to_owned(),
            currency: "GBP",
            amount_applied_for: Amount(self.amount_applied_for),
            amount_awarded: Amount(amount_awarded),
            amount_disbursed: Amount(a.paid),
            planned_dates: vec![PlannedDates {
                start_date: award_date.clone(),
                end_date: self.end_date.map(|d| d.to_string()),
            }],
            award_date,
            recipient_organization: vec![recipient],
            beneficiary_location: vec![region_location(g.region)],
            funding_organization: funders,
            grant_programme: vec![GrantProgramme {
                code: format!("{}-R{}", self.fund.code, self.round_number),
                title: format!("{}: {}", self.fund.name, self.round_name),
            }],
            from_open_call: "Yes",
            date_modified: self.modified_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            data_source: publisher.data_source.clone(),
        })
    }
}

/// The CSV header for an export whose funds have at most `funders` funders:
/// the official [`CSV_COLUMNS`], then `Funding Org:1:Identifier`,
/// `Funding Org:1:Name`, … for the second funder onwards, as flattentool
/// names further items of a list, so the CSV unflattens to the JSON.
///
/// ```
/// use grantledger_domain::opendata::{csv_header, CSV_COLUMNS};
/// let header = csv_header(2);
/// assert_eq!(header.len(), CSV_COLUMNS.len() + 2);
/// assert_eq!(header[CSV_COLUMNS.len()], "Funding Org:1:Identifier");
/// assert_eq!(csv_header(1).len(), CSV_COLUMNS.len());
/// ```
#[must_use]
pub fn csv_header(funders: usize) -> Vec<String> {
    let mut header: Vec<String> = CSV_COLUMNS.iter().map(|c| (*c).to_owned()).collect();
    for i in 1..funders {
        header.push(format!("Funding Org:{i}:Identifier"));
        header.push(format!("Funding Org:{i}:Name"));
    }
    header
}

impl Grant {
    /// The grant flattened to one row of [`csv_header`]`(funders)`: the
    /// recipient, beneficiary location and first funder fill the official
    /// columns; each further funder fills its numbered pair; columns with
    /// nothing to say are empty.
    #[must_use]
    pub fn csv_record(&self, funders: usize) -> Vec<String> {
        let mut record: Vec<String> = CSV_COLUMNS.iter().map(|c| self.csv_field(c)).collect();
        for i in 1..funders {
            let funder = self.funding_organization.get(i);
            record.push(funder.map(|f| f.id.clone()).unwrap_or_default());
            record.push(funder.map(|f| f.name.clone()).unwrap_or_default());
        }
        record
    }

    fn csv_field(&self, column: &str) -> String {
        let recipient = self.recipient_organization.first();
        let location = self.beneficiary_location.first();
        let programme = self.grant_programme.first();
        let dates = self.planned_dates.first();
        let funder = self.funding_organization.first();
        let opt = |v: Option<&str>| v.unwrap_or_default().to_owned();
        match column {
            "Identifier" => self.id.clone(),
            "Title" => self.title.clone(),
            "Description" => self.description.clone(),
            "Currency" => self.currency.to_owned(),
            "Amount Applied For" => self.amount_applied_for.0.to_string(),
            "Amount Awarded" => self.amount_awarded.0.to_string(),
            "Amount Disbursed" => self.amount_disbursed.0.to_string(),
            "Award Date" => self.award_date.clone(),
            "Planned Dates:Start Date" => opt(dates.map(|d| d.start_date.as_str())),
            "Planned Dates:End Date" => opt(dates.and_then(|d| d.end_date.as_deref())),
            "Recipient Org:Identifier" => opt(recipient.map(|r| r.id.as_str())),
            "Recipient Org:Name" => opt(recipient.map(|r| r.name.as_str())),
            "Recipient Org:Charity Number" => {
                opt(recipient.and_then(|r| r.charity_number.as_deref()))
            }
            "Recipient Org:Company Number" => {
                opt(recipient.and_then(|r| r.company_number.as_deref()))
            }
            "Recipient Org:Postal Code" => opt(recipient.and_then(|r| r.postal_code.as_deref())),
            "Beneficiary Location:Name" => opt(location.map(|l| l.name.as_str())),
            "Beneficiary Location:Country Code" => opt(location.map(|l| l.country_code)),
            "Beneficiary Location:Geographic Code" => opt(location.and_then(|l| l.geo_code)),
            "Beneficiary Location:Geographic Code Type" => {
                opt(location.and_then(|l| l.geo_code_type))
            }
            "Funding Org:Identifier" => opt(funder.map(|o| o.id.as_str())),
            "Funding Org:Name" => opt(funder.map(|o| o.name.as_str())),
            "Grant Programme:Code" => opt(programme.map(|p| p.code.as_str())),
            "Grant Programme:Title" => opt(programme.map(|p| p.title.as_str())),
            "From An Open Call?" => self.from_open_call.to_owned(),
            "Last Modified" => self.date_modified.clone(),
            "Data Source" => opt(self.data_source.as_deref()),
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
