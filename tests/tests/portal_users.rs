//! Administrators stop and restore people's access in the portal (issue
//! 17), on both backends: a disabled user cannot sign in and their
//! session ends; an administrator cannot disable themselves.

use grantledger_domain::user::Role;
use grantledger_tests::portal::Visitor;
use grantledger_tests::{TestApp, api_tests};

fn an_administrator_disables_and_enables_a_user(app: &TestApp) {
    let admin_email = app.user_email(Role::Admin, None);
    let assessor_email = app.user_email(Role::Assessor, None);
    let mut assessor = Visitor::new(app);
    assessor.sign_in(&assessor_email);
    assert_eq!(assessor.get("/assignments").status, 200);

    let mut admin = Visitor::new(app);
    admin.sign_in(&admin_email);
    let list = admin.get("/users").expect(200);
    let row = list.body.split(&assessor_email).nth(1).unwrap();
    let action = row
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert!(action.ends_with("/disable"), "{action}");
    let csrf = list.csrf();
    assert_eq!(admin.post(&action, &[("csrf", &csrf)]).status, 303);
    assert_eq!(
        assessor.get("/assignments").status,
        303,
        "their session ended"
    );
    assert_ne!(
        Visitor::new(app)
            .sign_in_with(&assessor_email, grantledger_tests::PASSWORD)
            .status,
        303
    );

    let enable = action.replace("/disable", "/enable");
    assert!(admin.get("/users").expect(200).body.contains(&enable));
    assert_eq!(admin.post(&enable, &[("csrf", &csrf)]).status, 303);
    Visitor::new(app).sign_in(&assessor_email);

    // No button for oneself, and the post is refused with the reason.
    let list = admin.get("/users").expect(200);
    let own_row = list
        .body
        .split(&admin_email)
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(!own_row.contains("/disable"));
    let token = app.login(&admin_email, grantledger_tests::PASSWORD);
    let me = grantledger_tests::expect(app.get("/v1/me", Some(&token)), 200);
    let own = format!("/users/{}/disable", me["id"].as_str().unwrap());
    let refused = admin.post(&own, &[("csrf", &csrf)]);
    assert_eq!(refused.status, 422);
    assert!(
        refused.body.contains("you cannot disable yourself"),
        "{}",
        refused.body
    );
    assert_eq!(admin.get("/users").status, 200, "still signed in");
}

api_tests!(an_administrator_disables_and_enables_a_user);
