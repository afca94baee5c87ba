use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::*;
use crate::document::DocumentType;
use crate::ids::AttachmentId;
use crate::money::Money;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn today() -> NaiveDate {
    day(2027, 1, 4)
}

fn form() -> Form {
    serde_json::from_value(json!({"sections": [
        {"id": "about", "title": "About your group", "questions": [
            {"id": "contact", "label": "Contact name", "type": "short_text", "max_length": 20},
            {"id": "members", "label": "How many members?", "type": "whole_number", "min": 1, "max": 500},
            {"id": "address", "label": "Where do you meet?", "type": "address"},
            {"id": "registered", "label": "Are you a registered charity?", "type": "yes_no"},
            {"id": "charity_number", "label": "Charity number", "type": "short_text", "show_when": {"question": "registered", "equals": "yes"}},
            {"id": "who", "label": "Who takes part?", "type": "multiple_choice", "required": false,
             "options": [{"value": "older", "label": "Older people"}, {"value": "young", "label": "Young people"}]},
            {"id": "focus", "label": "Main focus", "type": "single_choice", "options": [{"value": "food", "label": "Food"}, {"value": "walks", "label": "Walks"}]}
        ]},
        {"id": "project", "title": "Your project", "questions": [
            {"id": "story", "label": "What will you do?", "type": "long_text", "word_limit": 5},
            {"id": "start", "label": "Start date", "type": "date", "not_before": {"relative_to": "today"}},
            {"id": "end", "label": "End date", "type": "date", "not_before": {"relative_to": "answer", "question": "start", "days": 1}},
            {"id": "match", "label": "Other funding", "type": "money", "min": "0.00", "max": "1000.00", "required": false},
            {"id": "budget", "label": "Budget", "type": "budget", "max_lines": 3},
            {"id": "statement", "label": "Bank statement", "type": "file", "accept": ["pdf"], "max_bytes": 1000},
            {"id": "agree", "label": "Declaration", "type": "declaration", "statement": "It is true."}
        ]}
    ]}))
    .unwrap()
}

fn good() -> Value {
    json!({
        "contact": "Ann", "members": 30,
        "address": {"line1": "1 High St", "town": "Gateshead", "postcode": "ne8 1he"},
        "registered": "no", "focus": "food", "story": "Lunch on Tuesdays",
        "start": "2027-02-01", "end": "2027-06-30",
        "budget": [{"item": "Hall", "amount": "600"}, {"item": "Food", "amount": "900.00"}],
        "agree": true
    })
}

fn parse(v: Value) -> Result<Answers, AnswerErrors> {
    form().parse_answers(v.as_object().unwrap(), today())
}

fn pdf(size: u64) -> AttachedFile {
    AttachedFile {
        attachment_id: AttachmentId::new(),
        document_type: DocumentType::Pdf,
        size_bytes: size,
        file_name: "statement.pdf".into(),
    }
}

fn context(amount: &str) -> SubmissionContext {
    let mut c = SubmissionContext::new(Money::parse(amount).unwrap(), today());
    c.files
        .insert(QuestionId::parse("statement").unwrap(), pdf(500));
    c
}

fn questions_in(errors: &AnswerErrors) -> Vec<&str> {
    errors.0.iter().map(|e| e.question.as_str()).collect()
}

#[test]
fn a_complete_valid_set_submits() {
    let answers = parse(good()).unwrap();
    form().check_submission(&answers, &context("1500")).unwrap();
}

#[test]
fn each_bad_answer_is_reported_on_its_own_question() {
    let errors = parse(json!({
        "contact": "A name far longer than twenty characters",
        "members": 0,
        "address": {"line1": "1 High St", "town": "Gateshead", "postcode": "nowhere"},
        "registered": "maybe",
        "focus": "dancing",
        "who": ["older", "aliens"],
        "story": "one two three four five six",
        "start": "2027-13-01",
        "match": "2000",
        "budget": [{"item": "", "amount": "10"}],
        "agree": false,
        "unknown": "x"
    }))
    .unwrap_err();
    assert_eq!(
        questions_in(&errors),
        [
            "address",
            "agree",
            "budget",
            "contact",
            "focus",
            "match",
            "members",
            "registered",
            "start",
            "story",
            "unknown",
            "who"
        ]
    );
    let story = errors.0.iter().find(|e| e.question == "story").unwrap();
    assert_eq!(story.label, "What will you do?");
    assert!(
        story
            .message
            .contains("5 words or fewer; this answer has 6"),
        "{story:?}"
    );
    let address = errors.0.iter().find(|e| e.question == "address").unwrap();
    assert!(address.message.contains("not a UK postcode"));
}

#[test]
fn a_draft_keeps_partial_answers_and_clears_empty_ones() {
    let f = form();
    let first = f
        .parse_answers(
            json!({"contact": "Ann", "members": "12"})
                .as_object()
                .unwrap(),
            today(),
        )
        .unwrap();
    assert_eq!(first.len(), 2);
    let (newer, cleared) = f
        .parse_changes(
            json!({"contact": "", "focus": "walks"})
                .as_object()
                .unwrap(),
            today(),
        )
        .unwrap();
    let merged = first.merged(newer, &cleared);
    assert_eq!(merged.len(), 2);
    assert_eq!(merged.to_json(), json!({"focus": "walks", "members": 12}));
}

#[test]
fn submission_needs_every_required_question_shown() {
    let answers = parse(json!({"contact": "Ann"})).unwrap();
    let errors = form()
        .check_submission(
            &answers,
            &SubmissionContext::new(Money::parse("1").unwrap(), today()),
        )
        .unwrap_err();
    assert_eq!(
        questions_in(&errors),
        [
            "members",
            "address",
            "registered",
            "focus",
            "story",
            "start",
            "end",
            "budget",
            "statement",
            "agree"
        ],
        "optional (who, match) and hidden (charity_number) questions are not required"
    );
}

#[test]
fn a_condition_shows_its_question_only_for_its_answer() {
    let mut v = good();
    v["registered"] = json!("yes");
    let answers = parse(v).unwrap();
    let errors = form()
        .check_submission(&answers, &context("1500"))
        .unwrap_err();
    assert_eq!(questions_in(&errors), ["charity_number"]);
    let mut v = good();
    v["registered"] = json!(true);
    v["charity_number"] = json!("1234567");
    form()
        .check_submission(&parse(v).unwrap(), &context("1500"))
        .unwrap();
}

#[test]
fn the_budget_must_add_up_to_the_amount_requested() {
    let answers = parse(good()).unwrap();
    let errors = form()
        .check_submission(&answers, &context("1500.01"))
        .unwrap_err();
    assert_eq!(questions_in(&errors), ["budget"]);
    assert!(
        errors.0[0].message.contains("£1500.00"),
        "{:?}",
        errors.0[0]
    );
    let mut v = good();
    v["budget"] = json!([{"item": "a", "amount": "1"}, {"item": "b", "amount": "1"}, {"item": "c", "amount": "1"}, {"item": "d", "amount": "1"}]);
    assert_eq!(questions_in(&parse(v).unwrap_err()), ["budget"]);
}

#[test]
fn dates_keep_their_rules_relative_to_today_and_to_other_answers() {
    let mut v = good();
    v["start"] = json!("2027-01-03");
    let e = parse(v).unwrap_err();
    assert!(e.0[0].message.contains("on or after 2027-01-04"), "{e:?}");
    let mut v = good();
    v["end"] = json!("2027-02-01");
    let answers = parse(v).unwrap();
    let errors = form()
        .check_submission(&answers, &context("1500"))
        .unwrap_err();
    assert_eq!(questions_in(&errors), ["end"]);
    assert!(errors.0[0].message.contains("on or after 2027-02-02"));
}

#[test]
fn uploads_are_checked_for_type_and_size() {
    let answers = parse(good()).unwrap();
    let mut c = context("1500");
    let key = QuestionId::parse("statement").unwrap();
    c.files.insert(key.clone(), pdf(1001));
    let errors = form().check_submission(&answers, &c).unwrap_err();
    assert!(errors.0[0].message.contains("largest file"));
    c.files.insert(
        key,
        AttachedFile {
            document_type: DocumentType::Png,
            ..pdf(10)
        },
    );
    let errors = form().check_submission(&answers, &c).unwrap_err();
    assert!(errors.0[0].message.contains("accepts PDF"), "{errors:?}");
    let e = parse(json!({"statement": "x"})).unwrap_err();
    assert!(e.0[0].message.contains("uploading"));
}

#[test]
fn task_list_statuses_follow_the_answers() {
    let f = form();
    let about = f.section("about").unwrap();
    let project = f.section("project").unwrap();
    let empty = Answers::default();
    assert_eq!(
        f.section_status(about, &empty, &context("1")),
        SectionStatus::NotStarted
    );
    let some = parse(json!({"contact": "Ann"})).unwrap();
    assert_eq!(
        f.section_status(about, &some, &context("1")),
        SectionStatus::InProgress
    );
    let all = parse(good()).unwrap();
    assert_eq!(
        f.section_status(about, &all, &context("1500")),
        SectionStatus::Completed
    );
    assert_eq!(
        f.section_status(project, &all, &context("1")),
        SectionStatus::InProgress
    );
}

#[test]
fn stored_answers_read_back_without_today_rules() {
    let f = form();
    let stored = json!({"start": "2020-01-01"});
    assert!(f.stored_answers(stored.as_object().unwrap()).is_ok());
    assert!(
        f.parse_answers(stored.as_object().unwrap(), today())
            .is_err()
    );
    let answers = parse(good()).unwrap();
    let again = f
        .stored_answers(answers.to_json().as_object().unwrap())
        .unwrap();
    assert_eq!(again, answers);
}

#[test]
fn bad_definitions_are_refused_with_the_reason() {
    let bad = |v: Value| serde_json::from_value::<Form>(v).unwrap_err().to_string();
    let one = |q: Value| json!({"sections": [{"id": "s", "title": "S", "questions": [{"id": "a", "label": "A", "type": "yes_no"}, q]}]});
    assert!(bad(json!({"sections": []})).contains("1 to 20 sections"));
    assert!(bad(one(json!({"id": "a", "label": "B", "type": "yes_no"}))).contains("used twice"));
    assert!(
        bad(one(json!({"id": "Bad Id", "label": "B", "type": "yes_no"})))
            .contains("not a usable id")
    );
    assert!(bad(one(json!({"id": "b", "label": "B", "type": "yes_no", "show_when": {"question": "zz", "equals": "yes"}}))).contains("no such question before it"));
    assert!(bad(one(json!({"id": "b", "label": "B", "type": "yes_no", "show_when": {"question": "a", "equals": "perhaps"}}))).contains("can never be answered"));
    assert!(
        bad(one(
            json!({"id": "b", "label": "B", "type": "long_text", "word_limit": 0})
        ))
        .contains("word_limit")
    );
    assert!(bad(one(json!({"id": "b", "label": "B", "type": "date", "not_after": {"relative_to": "answer", "question": "a"}}))).contains("not a date question"));
    assert!(
        bad(one(
            json!({"id": "b", "label": "B", "type": "single_choice", "options": []})
        ))
        .contains("at least one option")
    );
    assert!(bad(one(json!({"id": "b", "label": "", "type": "yes_no"}))).contains("label"));
    assert!(
        bad(one(
            json!({"id": "b", "label": "B", "type": "file", "max_bytes": 99999999999u64})
        ))
        .contains("max_bytes")
    );
    assert!(
        bad(one(json!({"id": "b", "label": "B", "type": "spreadsheet"})))
            .contains("unknown variant")
    );
}

#[test]
fn a_form_round_trips_through_json() {
    let f = form();
    let again: Form = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
    assert_eq!(again, f);
}

#[test]
fn a_form_is_locked_once_its_round_opens() {
    use chrono::{TimeZone, Utc};
    let round = crate::testing::round();
    let before = round.window.opens_at() - chrono::Duration::seconds(1);
    assert!(check_form_change(&round, before).is_ok());
    let err = check_form_change(&round, round.window.opens_at()).unwrap_err();
    assert!(err.to_string().contains("can no longer change"));
    assert!(check_form_change(&round, Utc.with_ymd_and_hms(2100, 1, 1, 0, 0, 0).unwrap()).is_err());
}

proptest! {
    #[test]
    fn word_counts_count_words(words in proptest::collection::vec("[a-zA-Z0-9'£-]{1,12}", 0..60), sep in "[ \n\t]{1,3}") {
        let text = words.join(&sep);
        prop_assert_eq!(word_count(&text), words.len());
        let limit = 30u32;
        let f: Form = serde_json::from_value(json!({"sections": [{"id": "s", "title": "S", "questions": [
            {"id": "t", "label": "T", "type": "long_text", "word_limit": limit}]}]})).unwrap();
        let result = f.parse_answers(json!({"t": text}).as_object().unwrap(), today());
        prop_assert_eq!(result.is_ok(), words.is_empty() || words.len() <= limit as usize);
    }

    #[test]
    fn a_budget_passes_exactly_when_its_lines_add_up(pence in proptest::collection::vec(1i64..100_000, 1..10), extra in -50i64..50) {
        let f: Form = serde_json::from_value(json!({"sections": [{"id": "s", "title": "S", "questions": [
            {"id": "b", "label": "B", "type": "budget", "max_lines": 10}]}]})).unwrap();
        let lines: Vec<Value> = pence.iter().enumerate().map(|(i, p)| json!({"item": format!("line {i}"), "amount": Money::from_pence(*p).unwrap().to_string()})).collect();
        let answers = f.parse_answers(json!({"b": lines}).as_object().unwrap(), today()).unwrap();
        let total: i64 = pence.iter().sum();
        let Ok(asked) = Money::from_pence(total + extra) else { return Ok(()); };
        let ok = f.check_submission(&answers, &SubmissionContext::new(asked, today())).is_ok();
        prop_assert_eq!(ok, extra == 0);
    }
}
