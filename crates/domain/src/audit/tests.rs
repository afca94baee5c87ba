use chrono::{Duration, TimeZone, Utc};

use super::*;

fn event(seq: i64, minute: u32) -> AuditEvent {
    AuditEvent {
        seq,
        id: uuid::Uuid::now_v7(),
        occurred_at: Utc.with_ymd_and_hms(2026, 11, 23, 9, minute, 0).unwrap(),
        actor_id: Some(uuid::Uuid::now_v7()),
        actor: "admin:1".to_owned(),
        action: "award.offered".to_owned(),
        entity_type: "award".to_owned(),
        entity_id: uuid::Uuid::now_v7(),
        fund_id: Some(uuid::Uuid::now_v7()),
        before: None,
        after: Some(format!(r#"{{"amount":"{seq}.00"}}"#)),
    }
}

fn chain(events: &[AuditEvent]) -> Vec<ChainLink> {
    let mut links: Vec<ChainLink> = Vec::new();
    for e in events {
        let sealed = e.occurred_at + Duration::seconds(1);
        let link = seal(links.last(), e, sealed);
        links.push(link);
    }
    links
}

fn verify(contiguous: bool, links: &[ChainLink], events: &[Option<AuditEvent>]) -> Verification {
    let mut v = Verifier::new(contiguous);
    for (l, e) in links.iter().zip(events) {
        v.check(l, e.as_ref());
    }
    v.finish()
}

#[test]
fn an_intact_chain_verifies() {
    let events: Vec<_> = (1..=5).map(|s| event(s, s as u32)).collect();
    let links = chain(&events);
    let report = verify(
        true,
        &links,
        &events.iter().cloned().map(Some).collect::<Vec<_>>(),
    );
    assert!(report.ok, "{report:?}");
    assert_eq!(report.links, 5);
    assert_eq!(report.head.unwrap().hash, links[4].hash);
}

#[test]
fn every_field_is_covered_by_the_hash() {
    let e = event(1, 1);
    let sealed = e.occurred_at;
    let base = canonical(&e, 1, sealed);
    let variants: Vec<AuditEvent> = vec![
        AuditEvent {
            actor: "x".into(),
            ..e.clone()
        },
        AuditEvent {
            action: "x".into(),
            ..e.clone()
        },
        AuditEvent {
            entity_type: "x".into(),
            ..e.clone()
        },
        AuditEvent {
            actor_id: None,
            ..e.clone()
        },
        AuditEvent {
            fund_id: None,
            ..e.clone()
        },
        AuditEvent {
            before: Some(String::new()),
            ..e.clone()
        },
        AuditEvent {
            after: None,
            ..e.clone()
        },
        AuditEvent {
            seq: 2,
            ..e.clone()
        },
        AuditEvent {
            occurred_at: e.occurred_at + Duration::microseconds(1),
            ..e.clone()
        },
        AuditEvent {
            id: uuid::Uuid::nil(),
            ..e.clone()
        },
        AuditEvent {
            entity_id: uuid::Uuid::nil(),
            ..e.clone()
        },
    ];
    for v in variants {
        assert_ne!(canonical(&v, 1, sealed), base, "{v:?}");
    }
    assert_ne!(canonical(&e, 2, sealed), base);
    assert_ne!(canonical(&e, 1, sealed + Duration::microseconds(1)), base);
    // Absent and empty differ; field boundaries cannot be shifted.
    let a = AuditEvent {
        before: Some("ab".into()),
        after: Some("c".into()),
        ..e.clone()
    };
    let b = AuditEvent {
        before: Some("a".into()),
        after: Some("bc".into()),
        ..e.clone()
    };
    assert_ne!(canonical(&a, 1, sealed), canonical(&b, 1, sealed));
}

#[test]
fn the_encoding_is_stable() {
    let at = Utc.with_ymd_and_hms(2026, 1, 2, 3, 4, 5).unwrap();
    let e = AuditEvent {
        seq: 1,
        id: uuid::Uuid::nil(),
        occurred_at: at,
        actor_id: None,
        actor: "cli".into(),
        action: "fund.created".into(),
        entity_type: "fund".into(),
        entity_id: uuid::Uuid::nil(),
        fund_id: None,
        before: None,
        after: Some("{}".into()),
    };
    let link = seal(None, &e, at);
    // Pinned: changing the encoding must be a new ENCODING_TAG, not an edit.
    assert_eq!(link.prev_hash, GENESIS_HASH);
    assert_eq!(link.hash, link_hash(GENESIS_HASH, &canonical(&e, 1, at)));
    assert_eq!(link.hash.len(), 64);
    assert_eq!(canonical_time(at), "2026-01-02T03:04:05.000000Z");
}

#[test]
fn an_edited_event_is_named() {
    let events: Vec<_> = (1..=4).map(|s| event(s, s as u32)).collect();
    let links = chain(&events);
    let mut given: Vec<_> = events.iter().cloned().map(Some).collect();
    given[2].as_mut().unwrap().after = Some(r#"{"amount":"999.00"}"#.into());
    let fault = verify(true, &links, &given).first_fault.unwrap();
    assert_eq!(
        (fault.position, fault.seq, fault.kind),
        (3, 3, FaultKind::EventAltered)
    );
}

#[test]
fn a_deleted_event_or_link_is_named() {
    let events: Vec<_> = (1..=4).map(|s| event(s, s as u32)).collect();
    let links = chain(&events);
    let mut given: Vec<_> = events.iter().cloned().map(Some).collect();
    given[1] = None;
    let fault = verify(true, &links, &given).first_fault.unwrap();
    assert_eq!((fault.seq, fault.kind), (2, FaultKind::MissingEvent));

    // Event and link both removed: the positions jump.
    let mut v = Verifier::new(false);
    for i in [0usize, 2, 3] {
        v.check(&links[i], Some(&events[i]));
    }
    let fault = v.finish().first_fault.unwrap();
    assert_eq!((fault.position, fault.kind), (3, FaultKind::PositionGap));
}

#[test]
fn a_relinked_chain_is_named() {
    let events: Vec<_> = (1..=3).map(|s| event(s, s as u32)).collect();
    let mut links = chain(&events);
    links[1].prev_hash = GENESIS_HASH.into();
    let fault = verify(
        true,
        &links,
        &events.iter().cloned().map(Some).collect::<Vec<_>>(),
    )
    .first_fault
    .unwrap();
    assert_eq!((fault.position, fault.kind), (2, FaultKind::BrokenLink));
}

#[test]
fn sequence_gaps_matter_only_where_the_backend_never_leaves_them() {
    let events = vec![event(1, 1), event(3, 2)];
    let links = chain(&events);
    let given: Vec<_> = events.iter().cloned().map(Some).collect();
    assert_eq!(
        verify(true, &links, &given).first_fault.unwrap().kind,
        FaultKind::SequenceGap
    );
    assert!(verify(false, &links, &given).ok);
}

#[test]
fn a_late_commit_is_fine_but_a_late_insertion_is_not() {
    // Event 2 committed after event 3 was sealed, a second later: normal.
    let (e1, e2, e3) = (event(1, 1), event(2, 2), event(3, 2));
    let l1 = seal(None, &e1, e1.occurred_at);
    let l3 = seal(Some(&l1), &e3, e3.occurred_at + Duration::seconds(1));
    let l2 = seal(Some(&l3), &e2, e2.occurred_at + Duration::seconds(2));
    let ok = verify(
        false,
        &[l1.clone(), l3.clone(), l2],
        &[Some(e1.clone()), Some(e3.clone()), Some(e2.clone())],
    );
    assert!(ok.ok, "{ok:?}");

    // An event slipped into a gap an hour later, backdated to fit: flagged.
    let forged = event(2, 2);
    let late = seal(Some(&l3), &forged, forged.occurred_at + Duration::hours(1));
    let report = verify(false, &[l1, l3, late], &[Some(e1), Some(e3), Some(forged)]);
    let fault = report.first_fault.unwrap();
    assert_eq!((fault.seq, fault.kind), (2, FaultKind::LateInsertion));
}

#[test]
fn an_export_verifies_offline_and_catches_edits_to_the_file() {
    let events: Vec<_> = (1..=3).map(|s| event(s, s as u32)).collect();
    let links = chain(&events);
    let header = serde_json::to_string(&ExportHeader::new(true, Utc::now())).unwrap();
    let mut lines = vec![header];
    for (l, e) in links.iter().zip(&events) {
        lines.push(serde_json::to_string(&ExportLine::new(l.clone(), Some(e.clone()))).unwrap());
    }
    assert!(verify_export(&lines).unwrap().ok);

    let mut tampered = lines.clone();
    tampered[2] = tampered[2].replace("\"2.00", "\"20.00");
    let fault = verify_export(&tampered).unwrap().first_fault.unwrap();
    assert_eq!((fault.seq, fault.kind), (2, FaultKind::EventAltered));

    let mut truncated_middle = lines.clone();
    truncated_middle.remove(2);
    assert_eq!(
        verify_export(&truncated_middle)
            .unwrap()
            .first_fault
            .unwrap()
            .kind,
        FaultKind::PositionGap
    );
    assert!(verify_export(["not json"]).is_err());
    assert!(verify_export(Vec::<String>::new()).is_err());
}
