//! A form's questions as portal fields, and back. Every field is filled
//! from posted names (a saved answer is first turned into the names it
//! would have been posted as), so a page shows saved answers and a refused
//! post the same way.
//!
//! Names: `a_<id>` for one value; `a_<id>_day|month|year` for a date;
//! `a_<id>__<option>` for each ticked option; `a_<id>_line1|line2|town|postcode`
//! for an address; `a_<id>_item_<n>` and `a_<id>_amount_<n>` for budget lines.

use std::collections::HashMap;

use grantledger_domain::form::{Answer, Answers, Form, Question, QuestionKind, Section};
use serde_json::{Map, Value, json};

use crate::portal::format::{date, pounds};
use crate::portal::messages::Messages;

/// Posted values by name.
pub type Posted = HashMap<String, String>;

/// One option of a choice.
#[derive(Debug, Clone)]
pub struct Opt {
    /// Posted value (or, for a checkbox, its field name).
    pub value: String,
    /// What it says.
    pub label: String,
    /// Whether it is chosen.
    pub checked: bool,
}

/// How a question is asked.
#[derive(Debug, Clone)]
pub enum FieldKind {
    /// One line.
    Text { value: String, width: &'static str },
    /// Paragraphs with a word limit (counted as the user types when scripts run).
    LongText { value: String, word_limit: u32 },
    /// A whole number.
    Number { value: String },
    /// Pounds and pence.
    Money { value: String },
    /// Day, month and year.
    Date {
        day: String,
        month: String,
        year: String,
    },
    /// One of a few options.
    Radios { options: Vec<Opt> },
    /// One of many options.
    Select { options: Vec<Opt> },
    /// Any of several options.
    Checkboxes { options: Vec<Opt> },
    /// A UK address.
    Address {
        line1: String,
        line2: String,
        town: String,
        postcode: String,
    },
    /// Budget lines: item and amount, as many rows as the form allows.
    Budget { lines: Vec<(String, String)> },
    /// A statement to confirm.
    Declaration { statement: String, checked: bool },
    /// An upload, answered on its own form.
    File {
        current: Option<(String, String)>,
        accept: String,
        question: String,
    },
}

/// A question as the page shows it.
#[derive(Debug, Clone)]
pub struct Field {
    /// The base name (`a_<id>`), also the first input's id.
    pub name: String,
    /// The question.
    pub label: String,
    /// Its hint, or "".
    pub hint: String,
    /// When it is asked only for some answers, which, or "".
    pub condition: String,
    /// Whether it may be left blank.
    pub optional: bool,
    /// How it is asked.
    pub kind: FieldKind,
}

fn name(q: &Question) -> String {
    format!("a_{}", q.id)
}

fn get(posted: &Posted, key: &str) -> String {
    posted.get(key).cloned().unwrap_or_default()
}

/// Builds the fields of a section from posted values.
pub fn fields(
    m: &Messages,
    form: &Form,
    section: &Section,
    posted: &Posted,
    files: &HashMap<String, (String, String)>,
) -> Vec<Field> {
    section
        .questions
        .iter()
        .map(|q| {
            let n = name(q);
            let kind = match &q.kind {
                QuestionKind::ShortText { max_length } => FieldKind::Text {
                    value: get(posted, &n),
                    width: if *max_length <= 20 {
                        "govuk-input--width-20"
                    } else {
                        ""
                    },
                },
                QuestionKind::LongText { word_limit } => FieldKind::LongText {
                    value: get(posted, &n),
                    word_limit: *word_limit,
                },
                QuestionKind::WholeNumber { .. } => FieldKind::Number {
                    value: get(posted, &n),
                },
                QuestionKind::Money { .. } => FieldKind::Money {
                    value: get(posted, &n),
                },
                QuestionKind::Date { .. } => FieldKind::Date {
                    day: get(posted, &format!("{n}_day")),
                    month: get(posted, &format!("{n}_month")),
                    year: get(posted, &format!("{n}_year")),
                },
                QuestionKind::YesNo => FieldKind::Radios {
                    options: ["yes", "no"]
                        .into_iter()
                        .map(|v| Opt {
                            value: v.to_owned(),
                            label: m.t(&format!("answer-{v}")),
                            checked: get(posted, &n) == v,
                        })
                        .collect(),
                },
                QuestionKind::SingleChoice { options, dropdown } => {
                    let mut opts: Vec<Opt> = options
                        .iter()
                        .map(|o| Opt {
                            value: o.value.to_string(),
                            label: o.label.clone(),
                            checked: get(posted, &n) == o.value.as_str(),
                        })
                        .collect();
                    if *dropdown {
                        opts.insert(
                            0,
                            Opt {
                                value: String::new(),
                                label: m.t("answer-choose"),
                                checked: get(posted, &n).is_empty(),
                            },
                        );
                        FieldKind::Select { options: opts }
                    } else {
                        FieldKind::Radios { options: opts }
                    }
                }
                QuestionKind::MultipleChoice { options } => FieldKind::Checkboxes {
                    options: options
                        .iter()
                        .map(|o| {
                            let key = format!("{n}__{}", o.value);
                            Opt {
                                checked: posted.contains_key(&key),
                                value: key,
                                label: o.label.clone(),
                            }
                        })
                        .collect(),
                },
                QuestionKind::Address => FieldKind::Address {
                    line1: get(posted, &format!("{n}_line1")),
                    line2: get(posted, &format!("{n}_line2")),
                    town: get(posted, &format!("{n}_town")),
                    postcode: get(posted, &format!("{n}_postcode")),
                },
                QuestionKind::Budget { max_lines } => FieldKind::Budget {
                    lines: (0..*max_lines)
                        .map(|i| {
                            (
                                get(posted, &format!("{n}_item_{i}")),
                                get(posted, &format!("{n}_amount_{i}")),
                            )
                        })
                        .collect(),
                },
                QuestionKind::Declaration { statement } => FieldKind::Declaration {
                    statement: statement.clone(),
                    checked: posted.contains_key(&n),
                },
                QuestionKind::File { accept, .. } => FieldKind::File {
                    current: files.get(q.id.as_str()).cloned(),
                    accept: accept
                        .iter()
                        .map(|t| t.label())
                        .collect::<Vec<_>>()
                        .join(", "),
                    question: q.id.to_string(),
                },
            };
            Field {
                name: n,
                label: q.label.clone(),
                hint: q.hint.clone().unwrap_or_default(),
                condition: condition(m, form, q),
                optional: !q.required,
                kind,
            }
        })
        .collect()
}

/// "Answer this only if you answered ‘Yes’ to ‘…’", or "".
fn condition(m: &Messages, form: &Form, q: &Question) -> String {
    let Some(c) = &q.show_when else {
        return String::new();
    };
    let Some(target) = form.question(c.question.as_str()) else {
        return String::new();
    };
    let answer = match &target.kind {
        QuestionKind::YesNo => m.t(&format!("answer-{}", c.equals)),
        QuestionKind::SingleChoice { options, .. } | QuestionKind::MultipleChoice { options } => {
            options
                .iter()
                .find(|o| o.value.as_str() == c.equals)
                .map(|o| o.label.clone())
                .unwrap_or_default()
        }
        _ => c.equals.clone(),
    };
    m.with(
        "answer-only-if",
        &[("answer", &answer), ("question", &target.label)],
    )
}

/// The names a saved answer would have been posted as.
pub fn posted_from(form: &Form, answers: &Answers) -> Posted {
    let mut p = Posted::new();
    for (id, answer) in answers.iter() {
        let Some(q) = form.question(id.as_str()) else {
            continue;
        };
        let n = name(q);
        match answer {
            Answer::Text(s) => {
                p.insert(n, s.clone());
            }
            Answer::Number(v) => {
                p.insert(n, v.to_string());
            }
            Answer::Money(v) => {
                p.insert(n, v.to_string());
            }
            Answer::Date(d) => {
                p.insert(format!("{n}_day"), d.format("%-d").to_string());
                p.insert(format!("{n}_month"), d.format("%-m").to_string());
                p.insert(format!("{n}_year"), d.format("%Y").to_string());
            }
            Answer::YesNo(b) => {
                p.insert(n, if *b { "yes" } else { "no" }.to_owned());
            }
            Answer::Choice(c) => {
                p.insert(n, c.to_string());
            }
            Answer::Choices(cs) => {
                for c in cs {
                    p.insert(format!("{n}__{c}"), "on".to_owned());
                }
            }
            Answer::Address(a) => {
                p.insert(format!("{n}_line1"), a.line1.clone());
                p.insert(format!("{n}_line2"), a.line2.clone().unwrap_or_default());
                p.insert(format!("{n}_town"), a.town.clone());
                p.insert(format!("{n}_postcode"), a.postcode.as_str().to_owned());
            }
            Answer::Budget(lines) => {
                for (i, l) in lines.iter().enumerate() {
                    p.insert(format!("{n}_item_{i}"), l.item.clone());
                    p.insert(format!("{n}_amount_{i}"), l.amount.to_string());
                }
            }
            Answer::Declared => {
                p.insert(n, "on".to_owned());
            }
        }
    }
    p
}

/// The answers a section's post gives, as the API takes them: every
/// question of the section is named, so a blank field clears its answer.
pub fn answers_from(section: &Section, posted: &Posted) -> Map<String, Value> {
    let mut raw = Map::new();
    for q in &section.questions {
        let n = name(q);
        let value = match &q.kind {
            QuestionKind::File { .. } => continue,
            QuestionKind::Date { .. } => {
                let parts = ["year", "month", "day"].map(|p| get(posted, &format!("{n}_{p}")));
                if parts.iter().all(|p| p.trim().is_empty()) {
                    Value::Null
                } else {
                    // A date that does not read is sent as written, so the
                    // domain names it ("enter a real date").
                    let [y, mo, d] = parts.map(|p| p.trim().to_owned());
                    match (y.parse::<i32>(), mo.parse::<u32>(), d.parse::<u32>()) {
                        (Ok(y), Ok(mo), Ok(d)) => json!(format!("{y:04}-{mo:02}-{d:02}")),
                        _ => json!(format!("{y}-{mo}-{d}")),
                    }
                }
            }
            QuestionKind::MultipleChoice { options } => Value::Array(
                options
                    .iter()
                    .filter(|o| posted.contains_key(&format!("{n}__{}", o.value)))
                    .map(|o| json!(o.value.as_str()))
                    .collect(),
            ),
            QuestionKind::Address => {
                let part = |p: &str| get(posted, &format!("{n}_{p}"));
                let parts = ["line1", "line2", "town", "postcode"].map(part);
                if parts.iter().all(|p| p.trim().is_empty()) {
                    Value::Null
                } else {
                    let [line1, line2, town, postcode] = parts;
                    json!({"line1": line1, "line2": line2, "town": town, "postcode": postcode})
                }
            }
            QuestionKind::Budget { max_lines } => Value::Array(
                (0..*max_lines)
                    .map(|i| {
                        (
                            get(posted, &format!("{n}_item_{i}")),
                            get(posted, &format!("{n}_amount_{i}")),
                        )
                    })
                    .filter(|(item, amount)| !item.trim().is_empty() || !amount.trim().is_empty())
                    .map(|(item, amount)| json!({"item": item, "amount": amount}))
                    .collect(),
            ),
            QuestionKind::Declaration { .. } => {
                if posted.contains_key(&n) {
                    json!(true)
                } else {
                    Value::Null
                }
            }
            _ => json!(get(posted, &n)),
        };
        raw.insert(q.id.to_string(), value);
    }
    raw
}

/// An answer in words, for summaries.
pub fn display(m: &Messages, q: &Question, answer: &Answer) -> String {
    match answer {
        Answer::Text(s) => s.clone(),
        Answer::Number(n) => n.to_string(),
        Answer::Money(v) => pounds(*v),
        Answer::Date(d) => date(*d),
        Answer::YesNo(b) => m.t(if *b { "answer-yes" } else { "answer-no" }),
        Answer::Choice(c) => option_label(q, c.as_str()),
        Answer::Choices(cs) => cs
            .iter()
            .map(|c| option_label(q, c.as_str()))
            .collect::<Vec<_>>()
            .join("\n"),
        Answer::Address(a) => [Some(a.line1.clone()), a.line2.clone(), Some(a.town.clone())]
            .into_iter()
            .flatten()
            .chain([a.postcode.as_str().to_owned()])
            .collect::<Vec<_>>()
            .join("\n"),
        Answer::Budget(lines) => {
            let total = grantledger_domain::Money::sum(lines.iter().map(|l| l.amount))
                .map(pounds)
                .unwrap_or_default();
            lines
                .iter()
                .map(|l| format!("{}: {}", l.item, pounds(l.amount)))
                .chain([m.with("answer-budget-total", &[("total", &total)])])
                .collect::<Vec<_>>()
                .join("\n")
        }
        Answer::Declared => m.t("answer-declared"),
    }
}

fn option_label(q: &Question, value: &str) -> String {
    match &q.kind {
        QuestionKind::SingleChoice { options, .. } | QuestionKind::MultipleChoice { options } => {
            options
                .iter()
                .find(|o| o.value.as_str() == value)
                .map_or_else(|| value.to_owned(), |o| o.label.clone())
        }
        _ => value.to_owned(),
    }
}
