//! The evaluation return form: what the page holds (and a draft saves),
//! and how it becomes the domain's [`ReturnInput`]. For each participant
//! the form asks the ONS direct question and the three UCLA items, before
//! and after; a participant becomes one survey response per stage answered.

use chrono::NaiveDate;
use grantledger_domain::evaluation::{
    DirectAnswer, FieldIssue, ResponseInput, ReturnContent, ReturnInput, Stage, SurveyResponse,
    UclaAnswer,
};
use serde::{Deserialize, Serialize};

use crate::portal::forms::FormErrors;
use crate::portal::messages::Messages;

/// The four questions at one stage; empty means not answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StageAnswers {
    /// "How often do you feel lonely?"
    pub direct: String,
    /// "… lack companionship?"
    pub lack_companionship: String,
    /// "… left out?"
    pub left_out: String,
    /// "… isolated from others?"
    pub isolated: String,
}

impl StageAnswers {
    fn is_empty(&self) -> bool {
        self.direct.is_empty()
            && self.lack_companionship.is_empty()
            && self.left_out.is_empty()
            && self.isolated.is_empty()
    }

    /// The answer to `item` (`direct`, `lack_companionship`, …).
    #[must_use]
    pub fn get(&self, item: &str) -> &str {
        match item {
            "direct" => &self.direct,
            "lack_companionship" => &self.lack_companionship,
            "left_out" => &self.left_out,
            "isolated" => &self.isolated,
            _ => "",
        }
    }

    fn set(&mut self, item: &str, value: String) {
        match item {
            "direct" => self.direct = value,
            "lack_companionship" => self.lack_companionship = value,
            "left_out" => self.left_out = value,
            "isolated" => self.isolated = value,
            _ => {}
        }
    }
}

/// One participant's answers.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Participant {
    /// A pseudonymous code the grantee gives (never a name).
    pub code: String,
    /// Answers before the project.
    pub before: StageAnswers,
    /// Answers after it.
    pub after: StageAnswers,
}

impl Participant {
    /// Whether nothing was entered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.code.trim().is_empty() && self.before.is_empty() && self.after.is_empty()
    }
}

/// The whole form, every value as typed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReturnForm {
    /// First day covered: day, month, year.
    pub start: [String; 3],
    /// Last day covered: day, month, year.
    pub end: [String; 3],
    /// People who took part.
    pub participants_reached: String,
    /// Volunteers involved.
    pub volunteers: String,
    /// Sessions delivered.
    pub sessions_delivered: String,
    /// What happened.
    pub narrative: String,
    /// An optional case study.
    pub case_study: String,
    /// The survey, a participant each.
    pub participants: Vec<Participant>,
}

/// The items asked at each stage, in the order the page shows them.
pub const ITEMS: [&str; 4] = ["direct", "lack_companionship", "left_out", "isolated"];
/// The stages, as the form names them.
pub const STAGES: [&str; 2] = ["before", "after"];

/// The most participants a form holds: as many as a file may load.
pub const MAX_TYPED_PARTICIPANTS: usize = crate::portal::returns::upload::MAX_ROWS;

fn field(fields: &[(String, String)], name: &str) -> String {
    fields
        .iter()
        .rev()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.clone())
        .unwrap_or_default()
}

impl ReturnForm {
    /// Reads the posted fields (`p3_before_direct`, `start_day`, …).
    #[must_use]
    pub fn from_fields(fields: &[(String, String)]) -> ReturnForm {
        // One pass over the fields: a return may hold thousands of
        // participants (an upload), and none may be dropped on the way back.
        let mut by_index: std::collections::BTreeMap<usize, Participant> =
            std::collections::BTreeMap::new();
        for (key, value) in fields {
            let Some((index, name)) = key.strip_prefix('p').and_then(|k| k.split_once('_')) else {
                continue;
            };
            let Some(i) = index
                .parse::<usize>()
                .ok()
                .filter(|i| *i < MAX_TYPED_PARTICIPANTS)
            else {
                continue;
            };
            let p = by_index.entry(i).or_default();
            if name == "code" {
                p.code.clone_from(value);
            } else if let Some(item) = name.strip_prefix("before_") {
                p.before.set(item, value.clone());
            } else if let Some(item) = name.strip_prefix("after_") {
                p.after.set(item, value.clone());
            }
        }
        let participants = by_index.into_values().collect();
        ReturnForm {
            start: [
                field(fields, "start_day"),
                field(fields, "start_month"),
                field(fields, "start_year"),
            ],
            end: [
                field(fields, "end_day"),
                field(fields, "end_month"),
                field(fields, "end_year"),
            ],
            participants_reached: field(fields, "participants_reached"),
            volunteers: field(fields, "volunteers"),
            sessions_delivered: field(fields, "sessions_delivered"),
            narrative: field(fields, "narrative"),
            case_study: field(fields, "case_study"),
            participants,
        }
    }

    /// The form as a submitted version holds it (to fix after changes are
    /// requested).
    #[must_use]
    pub fn from_content(content: &ReturnContent) -> ReturnForm {
        let date = |d: NaiveDate| {
            [
                d.format("%-d").to_string(),
                d.format("%-m").to_string(),
                d.format("%Y").to_string(),
            ]
        };
        let mut participants: Vec<Participant> = Vec::new();
        for r in &content.responses {
            let code = r
                .participant_code
                .as_ref()
                .map(|c| c.as_str().to_owned())
                .unwrap_or_default();
            let answers = stage_answers(r);
            let existing = participants
                .iter_mut()
                .find(|p| !code.is_empty() && p.code == code);
            let p = match existing {
                Some(p) => p,
                None => {
                    participants.push(Participant {
                        code: code.clone(),
                        ..Participant::default()
                    });
                    let last = participants.len() - 1;
                    match participants.get_mut(last) {
                        Some(p) => p,
                        None => continue,
                    }
                }
            };
            match r.stage {
                Stage::Baseline => p.before = answers,
                Stage::FollowUp => p.after = answers,
            }
        }
        ReturnForm {
            start: date(content.period_start),
            end: date(content.period_end),
            participants_reached: content.participants_reached.to_string(),
            volunteers: content.volunteers.to_string(),
            sessions_delivered: content.sessions_delivered.to_string(),
            narrative: content.narrative.clone(),
            case_study: content.case_study.clone().unwrap_or_default(),
            participants,
        }
    }

    /// The participants to show: those entered, and `blank` empty ones to
    /// add more.
    #[must_use]
    pub fn with_blanks(mut self, blank: usize) -> ReturnForm {
        self.participants.retain(|p| !p.is_empty());
        for _ in 0..blank {
            self.participants.push(Participant::default());
        }
        self
    }

    /// The return as the domain checks it, or the errors of values that are
    /// not even dates or numbers. Each response's place is kept so the
    /// domain's issues can be shown beside the right participant.
    pub fn to_input(&self, m: &Messages) -> Result<(ReturnInput, Vec<Place>), FormErrors> {
        let mut errors = FormErrors::default();
        let start = date(&mut errors, m, "start", &self.start);
        let end = date(&mut errors, m, "end", &self.end);
        let reached = count(
            &mut errors,
            m,
            "participants_reached",
            &self.participants_reached,
        );
        let volunteers = count(&mut errors, m, "volunteers", &self.volunteers);
        let sessions = count(
            &mut errors,
            m,
            "sessions_delivered",
            &self.sessions_delivered,
        );
        let mut responses = Vec::new();
        let mut places = Vec::new();
        for (i, p) in self.participants.iter().enumerate() {
            for (stage, wire, answers) in [
                ("before", Stage::Baseline, &p.before),
                ("after", Stage::FollowUp, &p.after),
            ] {
                if answers.is_empty() {
                    continue;
                }
                let answer = |v: &str| (!v.is_empty()).then(|| v.to_owned());
                responses.push(ResponseInput {
                    stage: wire.as_str().to_owned(),
                    participant_code: answer(p.code.trim()),
                    direct: answer(&answers.direct),
                    lack_companionship: answer(&answers.lack_companionship),
                    left_out: answer(&answers.left_out),
                    isolated: answer(&answers.isolated),
                });
                places.push(Place {
                    participant: i,
                    stage,
                });
            }
        }
        match (start, end, reached, volunteers, sessions) {
            (Some(period_start), Some(period_end), Some(r), Some(v), Some(s))
                if errors.is_empty() =>
            {
                Ok((
                    ReturnInput {
                        period_start,
                        period_end,
                        participants_reached: r,
                        volunteers: v,
                        sessions_delivered: s,
                        narrative: self.narrative.clone(),
                        case_study: (!self.case_study.trim().is_empty())
                            .then(|| self.case_study.clone()),
                        responses,
                    },
                    places,
                ))
            }
            _ => Err(errors),
        }
    }
}

fn stage_answers(r: &SurveyResponse) -> StageAnswers {
    let ucla = |a: Option<UclaAnswer>| a.map(|a| a.as_str().to_owned()).unwrap_or_default();
    StageAnswers {
        direct: r
            .direct
            .map(|a: DirectAnswer| a.as_str().to_owned())
            .unwrap_or_default(),
        lack_companionship: ucla(r.lack_companionship),
        left_out: ucla(r.left_out),
        isolated: ucla(r.isolated),
    }
}

/// Where a survey response came from on the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    /// The participant's index.
    pub participant: usize,
    /// `before` or `after`.
    pub stage: &'static str,
}

/// The form field a domain issue is about: `responses[3].direct` becomes
/// the participant's `p1_after_direct`; others keep their names.
#[must_use]
pub fn field_of(issue: &FieldIssue, places: &[Place]) -> String {
    let Some(rest) = issue.field.strip_prefix("responses[") else {
        return match issue.field.as_str() {
            "period_start" => "start".to_owned(),
            "period_end" => "end".to_owned(),
            other => other.to_owned(),
        };
    };
    let Some((index, item)) = rest.split_once("].") else {
        return issue.field.clone();
    };
    let Some(place) = index.parse::<usize>().ok().and_then(|i| places.get(i)) else {
        return issue.field.clone();
    };
    let item = if item == "participant_code" {
        "code".to_owned()
    } else {
        format!("{}_{item}", place.stage)
    };
    format!("p{}_{item}", place.participant)
}

fn date(
    errors: &mut FormErrors,
    m: &Messages,
    name: &str,
    parts: &[String; 3],
) -> Option<NaiveDate> {
    let [d, mo, y] = parts;
    if d.trim().is_empty() && mo.trim().is_empty() && y.trim().is_empty() {
        errors.add(name, m.t(&format!("return-{name}-missing")));
        return None;
    }
    let parsed = (|| {
        NaiveDate::from_ymd_opt(
            y.trim().parse().ok()?,
            mo.trim().parse().ok()?,
            d.trim().parse().ok()?,
        )
    })();
    if parsed.is_none() {
        errors.add(name, m.t(&format!("return-{name}-invalid")));
    }
    parsed
}

fn count(errors: &mut FormErrors, m: &Messages, name: &str, typed: &str) -> Option<u32> {
    match typed.trim().parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errors.add(name, m.t(&format!("return-{name}-invalid")));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::portal::messages::english;

    fn posted(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    fn filled() -> Vec<(String, String)> {
        posted(&[
            ("start_day", "1"),
            ("start_month", "9"),
            ("start_year", "2026"),
            ("end_day", "31"),
            ("end_month", "3"),
            ("end_year", "2027"),
            ("participants_reached", "12"),
            ("volunteers", "3"),
            ("sessions_delivered", "20"),
            ("narrative", "Weekly lunches."),
            ("p0_code", "P-1"),
            ("p0_before_direct", "often_always"),
            ("p0_after_direct", "occasionally"),
            ("p1_code", ""),
            ("p1_before_direct", ""),
        ])
    }

    #[test]
    fn a_participant_becomes_a_response_per_stage_answered() {
        let form = ReturnForm::from_fields(&filled());
        assert_eq!(form.participants.len(), 2);
        let (input, places) = form.to_input(english()).unwrap();
        assert_eq!(input.responses.len(), 2);
        assert_eq!(input.responses[0].stage, "baseline");
        assert_eq!(input.responses[1].stage, "follow_up");
        assert_eq!(input.responses[1].direct.as_deref(), Some("occasionally"));
        assert_eq!(
            places[1],
            Place {
                participant: 0,
                stage: "after"
            }
        );
        let content = ReturnContent::parse(input).unwrap();
        assert_eq!(ReturnForm::from_content(&content).participants.len(), 1);
    }

    #[test]
    fn every_participant_comes_back_however_many() {
        let mut fields = filled();
        for i in 2..2_500 {
            fields.push((format!("p{i}_code"), format!("P-{i}")));
            fields.push((format!("p{i}_after_direct"), "never".into()));
        }
        let form = ReturnForm::from_fields(&fields);
        assert_eq!(form.participants.len(), 2_500);
        assert_eq!(form.participants[2_499].code, "P-2499");
        assert_eq!(form.participants[2_499].after.direct, "never");
        assert_eq!(form.participants[0].before.direct, "often_always");
    }

    #[test]
    fn values_that_are_not_dates_or_numbers_are_named() {
        let mut fields = filled();
        fields.retain(|(k, _)| k != "start_month" && k != "volunteers");
        fields.push(("start_month".into(), "13".into()));
        fields.push(("volunteers".into(), "three".into()));
        let errors = ReturnForm::from_fields(&fields)
            .to_input(english())
            .unwrap_err();
        assert!(errors.has("start"));
        assert!(errors.has("volunteers"));
        assert!(!errors.has("end"));
    }

    #[test]
    fn domain_issues_point_at_the_participant_they_are_about() {
        let places = [
            Place {
                participant: 0,
                stage: "before",
            },
            Place {
                participant: 2,
                stage: "after",
            },
        ];
        let issue = |f: &str| FieldIssue {
            field: f.into(),
            message: String::new(),
        };
        assert_eq!(
            field_of(&issue("responses[1].direct"), &places),
            "p2_after_direct"
        );
        assert_eq!(
            field_of(&issue("responses[0].participant_code"), &places),
            "p0_code"
        );
        assert_eq!(field_of(&issue("period_end"), &places), "end");
        assert_eq!(field_of(&issue("narrative"), &places), "narrative");
    }
}
