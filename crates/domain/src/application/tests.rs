use super::*;
use crate::grantee::OrganisationType;
use crate::testing::{at, grantee, m, round};

fn draft(round: &Round, grantee: &Grantee, amount: &str) -> Application {
    Application::draft(
        ApplicationId::new(),
        round.id,
        grantee.id,
        m(amount),
        "Tuesday lunches",
        "Hot lunch and a chat.",
    )
    .unwrap()
}

#[test]
fn draft_validates_text() {
    let (r, g) = (round(), grantee());
    let a = Application::draft(
        ApplicationId::new(),
        r.id,
        g.id,
        m("1"),
        "  Lunches ",
        "Line one\nLine two",
    )
    .unwrap();
    assert_eq!(
        (a.project_title.as_str(), a.summary.as_str()),
        ("Lunches", "Line one\nLine two")
    );
    assert_eq!(a.status, ApplicationStatus::Draft);
    let err = Application::draft(ApplicationId::new(), r.id, g.id, m("1"), "", "x").unwrap_err();
    assert_eq!(err.to_string(), "project title must not be empty");
    assert!(
        Application::draft(
            ApplicationId::new(),
            r.id,
            g.id,
            m("1"),
            "t",
            &"x".repeat(10_001)
        )
        .is_err()
    );
}

#[test]
fn submits_when_open_and_eligible() {
    let (r, g) = (round(), grantee());
    let a = draft(&r, &g, "1000").submit(&r, &g, at(10, 9)).unwrap();
    assert_eq!(a.status, ApplicationStatus::Submitted);
    assert_eq!(a.submitted_at, Some(at(10, 9)));
    assert_eq!(
        a.submit(&r, &g, at(10, 9)),
        Err(SubmitError::Transition(TransitionError::new(
            "application",
            "submit",
            "submitted"
        )))
    );
}

#[test]
fn refuses_outside_the_window() {
    let (r, g) = (round(), grantee());
    let err = draft(&r, &g, "1000")
        .submit(&r, &g, at(30, 12))
        .unwrap_err();
    assert_eq!(
        err,
        SubmitError::RoundNotOpen {
            opens_at: at(1, 0),
            closes_at: at(30, 12)
        }
    );
    assert_eq!(
        err.to_string(),
        "the round is not open: it accepts applications from 2019-06-01 00:00:00 UTC until 2019-06-30 12:00:00 UTC"
    );
}

#[test]
fn a_deadline_extension_lets_one_draft_submit_late() {
    let (r, g) = (round(), grantee());
    let late = draft(&r, &g, "1000");
    let now = at(30, 13);
    assert!(late.submit(&r, &g, now).is_err());
    let extended = late
        .extend_deadline(&r, at(30, 18), "Flooded office on deadline day", now)
        .unwrap();
    assert!(extended.can_submit_at(&r, now));
    assert_eq!(
        extended.submit(&r, &g, now).map(|a| a.status),
        Ok(ApplicationStatus::Submitted)
    );
    // Not beyond the new deadline, and never before the round opened.
    let err = extended.submit(&r, &g, at(30, 18)).unwrap_err();
    assert!(
        err.to_string().contains("until 2019-06-30 18:00:00 UTC"),
        "{err}"
    );
    assert!(!extended.can_submit_at(&r, at(1, 0) - chrono::TimeDelta::seconds(1)));
    // Refused: not later than the round's deadline, already past, no reason, not a draft.
    assert!(matches!(
        late.extend_deadline(&r, at(30, 12), "x", now),
        Err(ExtensionError::NotLater { .. })
    ));
    assert!(matches!(
        late.extend_deadline(&r, at(30, 12) + chrono::TimeDelta::minutes(30), "x", now),
        Err(ExtensionError::NotLater { .. })
    ));
    assert!(matches!(
        late.extend_deadline(&r, at(30, 18), "  ", now),
        Err(ExtensionError::Reason(_))
    ));
    let submitted = draft(&r, &g, "1000").submit(&r, &g, at(10, 9)).unwrap();
    assert!(matches!(
        submitted.extend_deadline(&r, at(30, 18), "x", now),
        Err(ExtensionError::NotDraft(ApplicationStatus::Submitted))
    ));
}

#[test]
fn refuses_ineligible_with_every_reason() {
    let r = round();
    let g = Grantee {
        organisation_type: OrganisationType::School,
        annual_income: m("60000"),
        ..grantee()
    };
    let err = draft(&r, &g, "5000").submit(&r, &g, at(10, 9)).unwrap_err();
    let SubmitError::Ineligible(reasons) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(reasons.len(), 3);
    assert!(
        err.to_string()
            .starts_with("the application is not eligible: the amount requested, 5000.00, is more")
    );
}

#[test]
fn refuses_mismatched_round_or_grantee() {
    let (r, g) = (round(), grantee());
    let a = draft(&r, &g, "1000");
    assert_eq!(
        a.submit(&round(), &g, at(10, 9)),
        Err(SubmitError::WrongRound)
    );
    assert_eq!(
        a.submit(&r, &grantee(), at(10, 9)),
        Err(SubmitError::WrongGrantee)
    );
}

#[test]
fn decisions() {
    let (r, g) = (round(), grantee());
    let submitted = draft(&r, &g, "1000").submit(&r, &g, at(10, 9)).unwrap();
    let reviewing = submitted.start_review().unwrap();

    let decided = reviewing.decide(&r, Decision::award(m("800"))).unwrap();
    assert_eq!(
        (decided.application.status, decided.amount),
        (ApplicationStatus::Awarded, Some(m("800")))
    );
    assert_eq!((decided.feedback, decided.internal_note), (None, None));
    let decided = submitted.decide(&r, Decision::award(m("1000"))).unwrap();
    assert_eq!(decided.application.status, ApplicationStatus::Awarded);

    assert_eq!(
        reviewing.decide(&r, Decision::award(m("1000.01"))),
        Err(DecisionError::AmountAboveRequested {
            amount: m("1000.01"),
            requested: m("1000")
        })
    );
    let err = reviewing
        .decide(&r, Decision::award(m("249.99")))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "the award of 249.99 is outside this round's grant range of 250.00 to 2500.00"
    );

    let rejected = reviewing
        .decide(
            &r,
            Decision::reject("  Outside our priorities ").with_internal_note("Scored 3/10"),
        )
        .unwrap();
    assert_eq!(
        (rejected.application.status, rejected.amount),
        (ApplicationStatus::Rejected, None)
    );
    assert_eq!(rejected.feedback.as_deref(), Some("Outside our priorities"));
    assert_eq!(rejected.internal_note.as_deref(), Some("Scored 3/10"));
    let rejected = rejected.application;

    assert!(matches!(
        rejected.decide(&r, Decision::award(m("800"))),
        Err(DecisionError::Transition(_))
    ));
    assert!(matches!(
        draft(&r, &g, "1000").decide(&r, Decision::reject("x")),
        Err(DecisionError::Transition(_))
    ));
    assert_eq!(
        reviewing.decide(&round(), Decision::award(m("800"))),
        Err(DecisionError::WrongRound)
    );
    assert_eq!(
        reviewing.withdraw().unwrap().status,
        ApplicationStatus::Withdrawn
    );
}

#[test]
fn decision_texts() {
    let (r, g) = (round(), grantee());
    let reviewing = draft(&r, &g, "1000")
        .submit(&r, &g, at(10, 9))
        .unwrap()
        .start_review()
        .unwrap();
    // A rejection must tell the applicant something; the note does not count.
    let err = reviewing
        .decide(&r, Decision::reject(" ").with_internal_note("weak"))
        .unwrap_err();
    assert_eq!(err, DecisionError::FeedbackMissing);
    assert_eq!(
        err.to_string(),
        "a rejection needs feedback for the applicant"
    );
    // An award may carry both.
    let decided = reviewing
        .decide(
            &r,
            Decision::award(m("900"))
                .with_feedback("Well done")
                .with_internal_note("Cut the equipment line"),
        )
        .unwrap();
    assert_eq!(decided.feedback.as_deref(), Some("Well done"));
    assert_eq!(
        decided.internal_note.as_deref(),
        Some("Cut the equipment line")
    );
    let long = "x".repeat(Application::MAX_DECISION_TEXT_CHARS + 1);
    let err = reviewing
        .decide(&r, Decision::reject(long.clone()))
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "feedback must be at most 2000 characters; got 2001"
    );
    let err = reviewing
        .decide(&r, Decision::reject("no").with_internal_note(long))
        .unwrap_err();
    assert!(matches!(err, DecisionError::InternalNote(_)), "{err}");
    assert_eq!(
        err.to_string(),
        "internal note must be at most 2000 characters; got 2001"
    );
    let err = reviewing
        .decide(&r, Decision::reject("no\u{7}"))
        .unwrap_err();
    assert!(matches!(err, DecisionError::Feedback(_)), "{err}");
}

#[test]
fn decision_json_shape() {
    let d: Decision = serde_json::from_str(r#"{"outcome":"award","amount":"800.00"}"#).unwrap();
    assert_eq!(d, Decision::award(m("800")));
    let d: Decision =
        serde_json::from_str(r#"{"outcome":"reject","feedback":"no","internal_note":"weak"}"#)
            .unwrap();
    assert_eq!(d, Decision::reject("no").with_internal_note("weak"));
    assert!(serde_json::from_str::<Decision>(r#"{"outcome":"award","amount":800}"#).is_err());
}
