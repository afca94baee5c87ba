//! Bank details on both backends: rows sealed, history kept, holds, and a
//! rotation of keys.

use chrono::Utc;
use diesel::prelude::*;
use grantledger_domain::Money;
use grantledger_domain::bank::{BankAccount, Decision, Entered, PaymentHold};
use grantledger_domain::grantee::{
    DueDiligence, Grantee, LocalAuthority, OrganisationName, OrganisationType, Postcode, Region,
};
use grantledger_domain::ids::{GranteeId, UserId};
use grantledger_domain::user::{Email, Role, User};

use super::*;
use crate::testing::TestDb;
use crate::{grantees, schema, users};

fn account(number: &str) -> BankAccount {
    BankAccount::parse("Moss Side Library Friends", "20-00-00", number, "").unwrap()
}

fn setup(db: &TestDb) -> (GranteeId, UserId, UserId) {
    let actor = Actor::system("test");
    let g = Grantee {
        id: GranteeId::new(),
        name: OrganisationName::parse("Friends of Moss Side Library").unwrap(),
        org_id: None,
        organisation_type: OrganisationType::CommunityGroup,
        region: Region::NorthWest,
        local_authority: LocalAuthority::parse("Manchester").unwrap(),
        postcode: Postcode::parse("M14 4PW").unwrap(),
        annual_income: Money::parse("12000.00").unwrap(),
        due_diligence: DueDiligence::pending(),
    };
    let mut ids = Vec::new();
    db.db
        .write(|c| {
            grantees::create(c, &g, &actor, Utc::now())?;
            for email in ["a@example.org", "b@example.org"] {
                let u = User::new(
                    UserId::new(),
                    Email::parse(email).unwrap(),
                    Role::Admin,
                    None,
                )
                .unwrap();
                users::create(c, &u, "x", &actor, Utc::now())?;
                ids.push(u.id);
            }
            Ok::<_, StoreError>(())
        })
        .unwrap();
    (g.id, ids[0], ids[1])
}

fn enter_as(db: &TestDb, ring: &Keyring, g: GranteeId, by: UserId, number: &str) -> Details {
    let entered = Entered { by, at: Utc::now() };
    db.db
        .write(|c| {
            enter(
                c,
                ring,
                g,
                &account(number),
                &entered,
                &Actor::user(by, "x"),
            )
        })
        .unwrap()
}

fn verify_as(db: &TestDb, ring: &Keyring, g: GranteeId, by: UserId) -> Details {
    db.db
        .write(|c| {
            let before = load(c, ring, g)?;
            let decision = Decision {
                by,
                at: Utc::now(),
                note: "called the treasurer".into(),
            };
            verify(c, ring, g, &before, &decision, &Actor::user(by, "y"))
        })
        .unwrap()
}

fn entered_details_are_sealed_and_hold_payments_until_verified(db: &TestDb) {
    let ring = Keyring::demo();
    let (g, a, b) = setup(db);
    let held = db.db.read(|c| holds(c, &[g])).unwrap();
    assert_eq!(held.get(&g), Some(&PaymentHold::NoBankDetails));
    let details = enter_as(db, &ring, g, a, "12345678");
    assert_eq!(details.hold(), Some(PaymentHold::AwaitingVerification));
    let held = db.db.read(|c| holds(c, &[g])).unwrap();
    assert_eq!(held.get(&g), Some(&PaymentHold::AwaitingVerification));
    let verified = verify_as(db, &ring, g, b);
    assert_eq!(verified.hold(), None);
    assert!(db.db.read(|c| holds(c, &[g])).unwrap().is_empty());
    let pay = db.db.read(|c| verified_ids(c, &[g])).unwrap();
    let id = pay[&g].expect("verified");
    let opened = db.db.read(|c| open_accounts(c, &ring, &[id])).unwrap();
    assert_eq!(opened.get(&id), Some(&account("12345678")));
    // Neither the stored row nor the audit trail holds the number.
    let sealed: Vec<String> = db
        .db
        .read(|c| {
            schema::bank_details::table
                .select(schema::bank_details::sealed)
                .load(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert!(sealed.iter().all(|s| !s.contains("12345678")));
    let trail: Vec<String> = db
        .db
        .read(|c| {
            schema::audit_events::table
                .select(diesel::dsl::sql::<diesel::sql_types::Text>(
                    "COALESCE(CAST(before AS TEXT), '') || COALESCE(CAST(after AS TEXT), '')",
                ))
                .load(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert!(trail.iter().any(|t| t.contains("demo:")));
    assert!(trail.iter().all(|t| !t.contains("12345678")));
}

fn a_change_holds_payments_and_the_old_account_stays_on_record(db: &TestDb) {
    let ring = Keyring::demo();
    let (g, a, b) = setup(db);
    enter_as(db, &ring, g, a, "12345678");
    verify_as(db, &ring, g, b);
    let changed = enter_as(db, &ring, g, a, "87654321");
    assert_eq!(changed.hold(), Some(PaymentHold::AwaitingVerification));
    let pay = db.db.read(|c| verified_ids(c, &[g])).unwrap();
    assert_eq!(pay.get(&g), Some(&Err(PaymentHold::AwaitingVerification)));
    // A second change replaces the first pending one.
    enter_as(db, &ring, g, a, "11112222");
    let waiting = db.db.read(waiting).unwrap();
    assert_eq!(waiting.len(), 1);
    let rejected = db
        .db
        .write(|c| {
            let before = load(c, &ring, g)?;
            let decision = Decision {
                by: b,
                at: Utc::now(),
                note: "the treasurer knew nothing of it".into(),
            };
            reject(c, &ring, g, &before, &decision, &Actor::user(b, "y"))
        })
        .unwrap();
    assert_eq!(rejected.hold(), None);
    assert_eq!(
        rejected.in_force.map(|v| v.account.account),
        Some(account("12345678"))
    );
    let states: Vec<String> = db
        .db
        .read(|c| {
            schema::bank_details::table
                .order(schema::bank_details::id)
                .select(schema::bank_details::state)
                .load(c)
                .map_err(StoreError::from)
        })
        .unwrap();
    assert_eq!(states, ["verified", "superseded", "rejected"]);
}

fn details_survive_a_key_rotation_and_a_wrong_key_is_refused(db: &TestDb) {
    const NEW: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
    let old = Keyring::demo();
    let (g, a, b) = setup(db);
    enter_as(db, &old, g, a, "12345678");
    verify_as(db, &old, g, b);
    let rotated = Keyring::new("k2", NEW, &[(DEMO_KEY_ID.into(), DEMO_KEY.into())]).unwrap();
    db.db.read(|c| check_keys(c, &rotated)).unwrap();
    let loaded = db.db.read(|c| load(c, &rotated, g)).unwrap();
    assert_eq!(
        loaded.in_force.map(|v| v.account.account),
        Some(account("12345678"))
    );
    let without_old = Keyring::new("k2", NEW, &[]).unwrap();
    assert!(matches!(
        db.db.read(|c| check_keys(c, &without_old)),
        Err(StoreError::BankKey(KeyringError::UnknownKey { .. }))
    ));
    let wrong = Keyring::new(DEMO_KEY_ID, NEW, &[]).unwrap();
    assert!(matches!(
        db.db.read(|c| check_keys(c, &wrong)),
        Err(StoreError::BankKey(KeyringError::WrongKey { .. }))
    ));
    let moved = db
        .db
        .write(|c| rekey(c, &rotated, &Actor::system("cli"), Utc::now()))
        .unwrap();
    assert_eq!(moved, 1);
    db.db.read(|c| check_keys(c, &without_old)).unwrap();
    let after = db.db.read(|c| load(c, &without_old, g)).unwrap();
    assert_eq!(
        after.in_force.map(|v| v.account.account),
        Some(account("12345678"))
    );
}

crate::backend_tests!(
    entered_details_are_sealed_and_hold_payments_until_verified,
    a_change_holds_payments_and_the_old_account_stays_on_record,
    details_survive_a_key_rotation_and_a_wrong_key_is_refused,
);
