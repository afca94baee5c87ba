use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{Map, Value, json};

use super::check::{AnswerError, AnswerErrors};
use super::definition::{Form, Question, QuestionId};
use super::kind::{DateBound, QuestionKind};
use crate::grantee::Postcode;
use crate::money::Money;
use crate::text;

/// A UK postal address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Address {
    /// First line (building and street).
    pub line1: String,
    /// Second line, if any.
    pub line2: Option<String>,
    /// Town or city.
    pub town: String,
    /// Postcode.
    pub postcode: Postcode,
}

/// One line of a budget table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BudgetLine {
    /// What the money is for.
    pub item: String,
    /// How much, more than 0.00.
    pub amount: Money,
}

/// An answer, already checked against its question's own rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Short or long text.
    Text(String),
    /// A whole number.
    Number(i64),
    /// An amount of money.
    Money(Money),
    /// A date.
    Date(NaiveDate),
    /// Yes (`true`) or no.
    YesNo(bool),
    /// The option chosen.
    Choice(QuestionId),
    /// The options chosen, at least one.
    Choices(Vec<QuestionId>),
    /// An address.
    Address(Address),
    /// A budget of one or more lines.
    Budget(Vec<BudgetLine>),
    /// The declaration was confirmed.
    Declared,
}

impl Answer {
    /// The answer as JSON, in the shape the API takes it.
    pub fn to_json(&self) -> Value {
        match self {
            Answer::Text(s) => json!(s),
            Answer::Number(n) => json!(n),
            Answer::Money(m) => json!(m.to_string()),
            Answer::Date(d) => json!(d.to_string()),
            Answer::YesNo(b) => json!(b),
            Answer::Choice(c) => json!(c.as_str()),
            Answer::Choices(cs) => json!(cs.iter().map(QuestionId::as_str).collect::<Vec<_>>()),
            Answer::Address(a) => json!({
                "line1": a.line1, "line2": a.line2, "town": a.town, "postcode": a.postcode.as_str()
            }),
            Answer::Budget(lines) => Value::Array(
                lines
                    .iter()
                    .map(|l| json!({"item": l.item, "amount": l.amount.to_string()}))
                    .collect(),
            ),
            Answer::Declared => json!(true),
        }
    }

    /// The answer as plain text, for exports: option labels, ISO dates,
    /// amounts in pounds, an address and a budget on one line.
    pub fn text(&self, question: &Question) -> String {
        let label = |value: &str| match &question.kind {
            QuestionKind::SingleChoice { options, .. }
            | QuestionKind::MultipleChoice { options } => options
                .iter()
                .find(|o| o.value.as_str() == value)
                .map_or_else(|| value.to_owned(), |o| o.label.clone()),
            _ => value.to_owned(),
        };
        match self {
            Answer::Text(s) => s.clone(),
            Answer::Number(n) => n.to_string(),
            Answer::Money(m) => m.to_string(),
            Answer::Date(d) => d.to_string(),
            Answer::YesNo(b) => if *b { "Yes" } else { "No" }.to_owned(),
            Answer::Choice(c) => label(c.as_str()),
            Answer::Choices(cs) => cs
                .iter()
                .map(|c| label(c.as_str()))
                .collect::<Vec<_>>()
                .join("; "),
            Answer::Address(a) => [
                Some(a.line1.as_str()),
                a.line2.as_deref(),
                Some(a.town.as_str()),
            ]
            .into_iter()
            .flatten()
            .chain([a.postcode.as_str()])
            .collect::<Vec<_>>()
            .join(", "),
            Answer::Budget(lines) => lines
                .iter()
                .map(|l| format!("{}: {}", l.item, l.amount))
                .collect::<Vec<_>>()
                .join("; "),
            Answer::Declared => "Confirmed".to_owned(),
        }
    }

    /// Whether this answer has the value a condition looks for.
    pub(super) fn matches(&self, value: &str) -> bool {
        match self {
            Answer::YesNo(b) => value == if *b { "yes" } else { "no" },
            Answer::Choice(c) => c.as_str() == value,
            Answer::Choices(cs) => cs.iter().any(|c| c.as_str() == value),
            _ => false,
        }
    }
}

/// A set of answers to one form, keyed by question id. File questions are
/// answered by uploads, which are not held here.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Answers(BTreeMap<QuestionId, Answer>);

impl Answers {
    /// The answer to a question, if given.
    pub fn get(&self, id: &QuestionId) -> Option<&Answer> {
        self.0.get(id)
    }

    /// How many questions are answered.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing is answered.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every answer, by question id.
    pub fn iter(&self) -> impl Iterator<Item = (&QuestionId, &Answer)> {
        self.0.iter()
    }

    /// All answers as one JSON object, as stored and as the API shows them.
    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_json()))
                .collect(),
        )
    }

    /// These answers with `newer` laid over them: a key in `newer` replaces
    /// the answer, or removes it when `newer` left it empty.
    #[must_use]
    pub fn merged(mut self, newer: Answers, cleared: &[QuestionId]) -> Answers {
        for id in cleared {
            self.0.remove(id);
        }
        self.0.extend(newer.0);
        self
    }
}

impl Form {
    /// Parses answers given by an applicant (a JSON object keyed by question
    /// id), checking each against its own question's rules, including date
    /// limits relative to `today`. Missing questions are fine (a draft);
    /// `null` or `""` leaves a question unanswered. Returns the answers and
    /// the ids left unanswered, so a draft can merge them.
    ///
    /// # Errors
    /// Every problem found, each naming its question.
    pub fn parse_answers(
        &self,
        raw: &Map<String, Value>,
        today: NaiveDate,
    ) -> Result<Answers, AnswerErrors> {
        self.parse_with(raw, Some(today)).map(|(a, _)| a)
    }

    /// Like [`Form::parse_answers`] but also returns the questions the
    /// applicant cleared, for merging into a saved draft.
    ///
    /// # Errors
    /// Every problem found, each naming its question.
    pub fn parse_changes(
        &self,
        raw: &Map<String, Value>,
        today: NaiveDate,
    ) -> Result<(Answers, Vec<QuestionId>), AnswerErrors> {
        self.parse_with(raw, Some(today))
    }

    /// Reads answers saved earlier. Limits relative to today are not
    /// checked again (they were when the answer was given, and are at
    /// submission).
    ///
    /// # Errors
    /// When saved answers no longer fit the form.
    pub fn stored_answers(&self, raw: &Map<String, Value>) -> Result<Answers, AnswerErrors> {
        self.parse_with(raw, None).map(|(a, _)| a)
    }

    fn parse_with(
        &self,
        raw: &Map<String, Value>,
        today: Option<NaiveDate>,
    ) -> Result<(Answers, Vec<QuestionId>), AnswerErrors> {
        let mut answers = BTreeMap::new();
        let mut cleared = Vec::new();
        let mut errors = Vec::new();
        for (key, value) in raw {
            let Some(q) = self.question(key) else {
                errors.push(AnswerError {
                    question: key.clone(),
                    label: String::new(),
                    message: format!("this form has no question \"{key}\""),
                });
                continue;
            };
            if is_empty(value) {
                cleared.push(q.id.clone());
                continue;
            }
            match parse_one(q, value, today) {
                Ok(a) => {
                    answers.insert(q.id.clone(), a);
                }
                Err(message) => errors.push(AnswerError::new(q, message)),
            }
        }
        if errors.is_empty() {
            Ok((Answers(answers), cleared))
        } else {
            Err(AnswerErrors(errors))
        }
    }
}

fn is_empty(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => false,
    }
}

/// How many words a text has: runs of non-space characters.
pub fn word_count(s: &str) -> usize {
    s.split_whitespace().count()
}

fn string(v: &Value) -> Result<&str, String> {
    v.as_str().ok_or_else(|| "expected text".to_owned())
}

fn parse_one(q: &Question, v: &Value, today: Option<NaiveDate>) -> Result<Answer, String> {
    match &q.kind {
        QuestionKind::ShortText { max_length } => {
            let s = text::single_line("answer", string(v)?, *max_length as usize)
                .map_err(|e| e.to_string())?;
            Ok(Answer::Text(s))
        }
        QuestionKind::LongText { word_limit } => {
            let s = text::multi_line("answer", string(v)?, 100_000).map_err(|e| e.to_string())?;
            let words = word_count(&s);
            if words > *word_limit as usize {
                return Err(format!(
                    "use {word_limit} words or fewer; this answer has {words}"
                ));
            }
            Ok(Answer::Text(s))
        }
        QuestionKind::WholeNumber { min, max } => {
            let n = match v {
                Value::Number(n) => n.as_i64(),
                Value::String(s) => s.trim().replace(',', "").parse().ok(),
                _ => None,
            }
            .ok_or_else(|| "enter a whole number, like 12".to_owned())?;
            if let Some(min) = min.filter(|m| n < *m) {
                return Err(format!("enter {min} or more"));
            }
            if let Some(max) = max.filter(|m| n > *m) {
                return Err(format!("enter {max} or less"));
            }
            Ok(Answer::Number(n))
        }
        QuestionKind::Money { min, max } => {
            let m = money(v)?;
            if let Some(min) = min.filter(|x| m < *x) {
                return Err(format!("enter £{min} or more"));
            }
            if let Some(max) = max.filter(|x| m > *x) {
                return Err(format!("enter £{max} or less"));
            }
            Ok(Answer::Money(m))
        }
        QuestionKind::Date {
            not_before,
            not_after,
        } => {
            let d = NaiveDate::parse_from_str(string(v)?.trim(), "%Y-%m-%d")
                .map_err(|_| "enter a real date, as YYYY-MM-DD".to_owned())?;
            if let Some(today) = today {
                check_date(d, not_before.as_ref(), not_after.as_ref(), |b| {
                    fixed_bound(b, today)
                })?;
            }
            Ok(Answer::Date(d))
        }
        QuestionKind::YesNo => match v {
            Value::Bool(b) => Ok(Answer::YesNo(*b)),
            Value::String(s) if s == "yes" => Ok(Answer::YesNo(true)),
            Value::String(s) if s == "no" => Ok(Answer::YesNo(false)),
            _ => Err("answer yes or no".into()),
        },
        QuestionKind::SingleChoice { options, .. } => {
            let s = string(v)?;
            options
                .iter()
                .find(|o| o.value.as_str() == s)
                .map(|o| Answer::Choice(o.value.clone()))
                .ok_or_else(|| format!("\"{s}\" is not one of the options"))
        }
        QuestionKind::MultipleChoice { options } => {
            let given: Vec<&str> = match v {
                Value::Array(items) => items.iter().map(string).collect::<Result<_, _>>()?,
                Value::String(s) => vec![s.as_str()],
                _ => return Err("select one or more options".into()),
            };
            let mut chosen = Vec::new();
            for s in given {
                let o = options
                    .iter()
                    .find(|o| o.value.as_str() == s)
                    .ok_or_else(|| format!("\"{s}\" is not one of the options"))?;
                if !chosen.contains(&o.value) {
                    chosen.push(o.value.clone());
                }
            }
            Ok(Answer::Choices(chosen))
        }
        QuestionKind::Address => address(v).map(Answer::Address),
        QuestionKind::File { .. } => Err(format!(
            "file questions are answered by uploading a file for \"{}\", not in the answers",
            q.id
        )),
        QuestionKind::Budget { max_lines } => {
            let Value::Array(items) = v else {
                return Err("a budget is a list of lines, each an item and an amount".into());
            };
            if items.len() > *max_lines as usize {
                return Err(format!(
                    "a budget has at most {max_lines} lines; this one has {}",
                    items.len()
                ));
            }
            let mut lines = Vec::with_capacity(items.len());
            for (n, line) in items.iter().enumerate() {
                let n = n + 1;
                let item = line.get("item").and_then(Value::as_str).unwrap_or_default();
                let item =
                    text::single_line("item", item, 200).map_err(|e| format!("line {n}: {e}"))?;
                let amount = line
                    .get("amount")
                    .ok_or_else(|| format!("line {n}: enter an amount"))
                    .and_then(|a| money(a).map_err(|e| format!("line {n}: {e}")))?;
                if amount.is_zero() {
                    return Err(format!("line {n}: the amount must be more than £0.00"));
                }
                lines.push(BudgetLine { item, amount });
            }
            Ok(Answer::Budget(lines))
        }
        QuestionKind::Declaration { .. } => match v {
            Value::Bool(true) => Ok(Answer::Declared),
            Value::String(s) if matches!(s.as_str(), "true" | "yes" | "on") => Ok(Answer::Declared),
            _ => Err("confirm the declaration to go on".into()),
        },
    }
}

/// Checks a date against its limits, each resolved by `resolve` (`None`:
/// not known yet, so not checked).
pub(super) fn check_date(
    d: NaiveDate,
    not_before: Option<&DateBound>,
    not_after: Option<&DateBound>,
    resolve: impl Fn(&DateBound) -> Option<NaiveDate>,
) -> Result<(), String> {
    if let Some(earliest) = not_before.and_then(&resolve)
        && d < earliest
    {
        return Err(format!("the date must be on or after {earliest}"));
    }
    if let Some(latest) = not_after.and_then(&resolve)
        && d > latest
    {
        return Err(format!("the date must be on or before {latest}"));
    }
    Ok(())
}

/// A bound that does not depend on another answer.
pub(super) fn fixed_bound(b: &DateBound, today: NaiveDate) -> Option<NaiveDate> {
    match b {
        DateBound::Today { days } => {
            today.checked_add_signed(chrono::Duration::days(i64::from(*days)))
        }
        DateBound::Date { date } => Some(*date),
        DateBound::Answer { .. } => None,
    }
}

fn money(v: &Value) -> Result<Money, String> {
    let s = match v {
        Value::String(s) => s.trim().trim_start_matches('£').replace(',', ""),
        Value::Number(n) => n.to_string(),
        _ => return Err("enter an amount in pounds, like 1500.00".into()),
    };
    Money::parse(&s).map_err(|_| format!("\"{s}\" is not an amount in pounds, like 1500.00"))
}

fn address(v: &Value) -> Result<Address, String> {
    let field = |k: &str| v.get(k).and_then(Value::as_str).unwrap_or_default().trim();
    if !v.is_object() {
        return Err("an address has line1, line2, town and postcode".into());
    }
    let line1 =
        text::single_line("address line 1", field("line1"), 200).map_err(|e| e.to_string())?;
    let line2 = match field("line2") {
        "" => None,
        s => Some(text::single_line("address line 2", s, 200).map_err(|e| e.to_string())?),
    };
    let town = text::single_line("town or city", field("town"), 100).map_err(|e| e.to_string())?;
    let postcode = Postcode::parse(field("postcode")).map_err(|e| e.to_string())?;
    Ok(Address {
        line1,
        line2,
        town,
        postcode,
    })
}
