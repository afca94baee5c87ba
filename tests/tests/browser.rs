//! Every grantee journey in a real browser: Debian's Chromium driven over
//! WebDriver (chromedriver), once with JavaScript on and once with it off.
//! axe-core runs on every page visited and any WCAG 2.0/2.1/2.2 A or AA
//! violation fails the test; screenshots go to `target/screenshots/`.
//!
//! Without Chromium and chromedriver the tests skip with a message; under
//! `CI=true` (where `.ci/run` installs them) a missing browser fails.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use grantledger_tests::{DueDiligence, PASSWORD, TestApp, expect, tameside};
use serde_json::{Value, json};

const AXE: &str = include_str!("../vendor/axe-core/axe.min.js");

const CHROMIUM: &str = "/usr/bin/chromium";
const CHROMEDRIVER: &str = "/usr/bin/chromedriver";

/// The browser's binaries, or `None` (after saying why) when the test
/// should skip.
fn browser_binaries() -> Option<(String, String)> {
    let chromium = std::env::var("GRANTLEDGER_CHROMIUM").unwrap_or_else(|_| CHROMIUM.to_owned());
    let driver =
        std::env::var("GRANTLEDGER_CHROMEDRIVER").unwrap_or_else(|_| CHROMEDRIVER.to_owned());
    if std::path::Path::new(&chromium).exists() && std::path::Path::new(&driver).exists() {
        return Some((chromium, driver));
    }
    let message = format!(
        "browser tests need {chromium} and {driver} (Debian packages chromium and chromium-driver; .ci/run installs them under CI=true)"
    );
    assert!(std::env::var("CI").as_deref() != Ok("true"), "{message}");
    eprintln!("SKIPPED: {message}");
    None
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A browser session on a running server.
struct Browser {
    client: Client,
    base: String,
    mode: &'static str,
    shots: PathBuf,
    pages_checked: usize,
}

impl Browser {
    async fn open(app: &TestApp, js: bool, chromium: &str, driver_path: &str) -> (Browser, Driver) {
        let port = free_port();
        let driver = Driver(
            Command::new(driver_path)
                .arg(format!("--port={port}"))
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("chromedriver starts"),
        );
        let deadline = Instant::now() + Duration::from_secs(20);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on {port}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let profile = tempfile::tempdir().unwrap();
        let mut args = vec![
            "--headless=new".to_owned(),
            "--no-sandbox".to_owned(),
            "--disable-gpu".to_owned(),
            "--disable-dev-shm-usage".to_owned(),
            "--disable-background-networking".to_owned(),
            "--disable-component-update".to_owned(),
            "--disable-sync".to_owned(),
            "--no-first-run".to_owned(),
            "--window-size=1280,1000".to_owned(),
            format!("--user-data-dir={}", profile.keep().display()),
        ];
        if !js {
            args.push("--blink-settings=scriptEnabled=false".to_owned());
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            json!({"binary": chromium, "args": args}),
        );
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("a WebDriver session");
        let mode = if js { "js" } else { "no-js" };
        let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/screenshots");
        std::fs::create_dir_all(&shots).unwrap();
        (
            Browser {
                client,
                base: app.base.clone(),
                mode,
                shots,
                pages_checked: 0,
            },
            driver,
        )
    }

    async fn goto(&mut self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.base))
            .await
            .unwrap();
    }

    /// Fills the sign-in form on the current page and sends it.
    /// Then, for someone with two-factor sign-in, gives the code.
    async fn sign_in(&self, email: &str, password: &str) {
        self.fill("#email", email).await;
        self.fill("#password", password).await;
        self.click("form[action='/sign-in'] button").await;
        if self.path().await == "/sign-in/code"
            && let Some(code) = grantledger_tests::code_for(&self.base, email)
        {
            self.fill("#code", &code).await;
            self.click("form[action='/sign-in/code'] button").await;
        }
    }

    async fn path(&self) -> String {
        self.client.current_url().await.unwrap().path().to_owned()
    }

    async fn source(&self) -> String {
        self.client.source().await.unwrap()
    }

    /// Asserts the page says `text`, showing the page's text when not.
    async fn see(&self, text: &str) {
        let source = self.source().await;
        if !source.contains(text) {
            let shown: Value = self
                .client
                .execute(
                    "return document.body ? document.body.innerText : ''",
                    vec![],
                )
                .await
                .unwrap();
            panic!(
                "{} ({}) does not say {text:?}; it says:\n{}",
                self.path().await,
                self.mode,
                shown.as_str().unwrap_or_default()
            );
        }
    }

    async fn fill(&self, css: &str, text: &str) {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"));
        e.clear().await.unwrap();
        e.send_keys(text).await.unwrap();
    }

    async fn choose(&self, css: &str, value: &str) {
        let e = self
            .client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"));
        e.select_by_value(value).await.unwrap();
    }

    /// Clicks something that does not leave the page (a checkbox).
    async fn tick(&self, css: &str) {
        self.client
            .find(Locator::Css(css))
            .await
            .unwrap_or_else(|_| panic!("no {css}"))
            .click()
            .await
            .unwrap();
    }

    /// Marks the current document, so that [`Browser::wait_for_new_page`]
    /// can tell when another has replaced it.
    async fn mark(&self) {
        self.client
            .execute("window.__glOldPage = true;", vec![])
            .await
            .unwrap();
    }

    /// Waits until a new document has loaded (clicks may return before
    /// the navigation they start is done, most visibly with scripts off).
    async fn wait_for_new_page(&self) {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let loaded: Value = self
                .client
                .execute(
                    "return !window.__glOldPage && document.readyState === 'complete';",
                    vec![],
                )
                .await
                .unwrap_or(Value::Bool(false));
            if loaded == Value::Bool(true) {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "no new page loaded after a click"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Clicks a button or link that loads another page, and waits for it.
    async fn click(&self, css: &str) {
        self.mark().await;
        self.tick(css).await;
        self.wait_for_new_page().await;
    }

    async fn click_text(&self, text: &str) {
        self.mark().await;
        self.client
            .find(Locator::LinkText(text))
            .await
            .unwrap_or_else(|_| panic!("no link {text:?}"))
            .click()
            .await
            .unwrap();
        self.wait_for_new_page().await;
    }

    /// Runs axe-core on the page and fails on any violation; saves a
    /// screenshot named `name`.
    async fn check(&mut self, name: &str) {
        if self.mode == "no-js" {
            // With scripts off the page's timers never fire, and axe waits
            // on them: run its callbacks as microtasks instead (only our
            // injected script runs on such a page).
            self.client
                .execute(
                    "window.setTimeout = function (f) { var a = [].slice.call(arguments, 2); \
                     Promise.resolve().then(function () { f.apply(null, a); }); return 1; }; \
                     window.clearTimeout = function () {};",
                    vec![],
                )
                .await
                .unwrap();
        }
        self.client.execute(AXE, vec![]).await.unwrap();
        let result = self
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21a','wcag21aa','wcag22aa']}})
                   .then(r => done(r.violations.map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))))
                   .catch(e => done(['axe failed: ' + e]));",
                vec![],
            )
            .await
            .unwrap();
        let violations: Vec<String> = serde_json::from_value(result).unwrap();
        let path = self.path().await;
        assert!(
            violations.is_empty(),
            "accessibility violations on {path} ({}): {violations:#?}",
            self.mode
        );
        let title: Value = self
            .client
            .execute("return document.title", vec![])
            .await
            .unwrap();
        let title = title.as_str().unwrap_or_default().to_owned();
        assert!(
            title.ends_with(" – grantledger"),
            "title {title:?} on {path}"
        );
        let h1s: Value = self
            .client
            .execute("return document.querySelectorAll('h1').length", vec![])
            .await
            .unwrap();
        assert_eq!(h1s, json!(1), "one h1 on {path}");
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(self.shots.join(format!("{}-{name}.png", self.mode)), png).unwrap();
        self.pages_checked += 1;
    }

    async fn focused_class(&self) -> String {
        let v: Value = self
            .client
            .execute(
                "return document.activeElement ? document.activeElement.className : ''",
                vec![],
            )
            .await
            .unwrap();
        v.as_str().unwrap_or_default().to_owned()
    }
}

/// Runs blocking HTTP calls (the test app's reqwest client) off the
/// browser's async runtime.
fn off_runtime<T: Send>(f: impl FnOnce() -> T + Send) -> T {
    std::thread::scope(|s| s.spawn(f).join().unwrap())
}

/// What the journeys start from: a round, an organisation with a user, an
/// offer to accept, one to decline, an accepted award to report on and a
/// draft to withdraw.
struct World {
    fund: String,
    round: String,
    email: String,
    offer: String,
    to_decline: String,
    accepted: String,
    draft: String,
    grantee_token: String,
    admin: String,
}

fn world(app: &TestApp) -> World {
    let admin = app.admin();
    let fund = app.fund(&admin, "100000.00");
    let round = app.open_round(&fund, "50000.00", ("300.00", "2500.00"));
    let grantee = app.grantee(
        &admin,
        tameside("Tameside Lunch Club"),
        DueDiligence::Passed,
    );
    let (grantee, email) = grantee.with_user_email(app);
    let token = grantee.user.clone().unwrap();
    let offer = {
        let a = app.submitted_application(&round, &grantee, "800.00");
        app.start_review(&round, &a);
        app.award(&round, &a, "800.00")
    };
    let to_decline = {
        let a = app.submitted_application(&round, &grantee, "700.00");
        app.start_review(&round, &a);
        app.award(&round, &a, "700.00")
    };
    let accepted = app.accepted_award(&round, &grantee, "1500.00");
    app.paid_tranche(&round, &accepted, "750.00", "2027-01-15");
    let draft = app.draft_application(&round, &grantee, "600.00")["id"]
        .as_str()
        .unwrap()
        .to_owned();
    World {
        fund: fund.id,
        round: round.id,
        email,
        offer,
        to_decline,
        accepted,
        draft,
        grantee_token: token,
        admin,
    }
}

async fn journeys(app: &TestApp, w: &World, b: &mut Browser) {
    // 1. Sign in; the dashboard.
    b.goto("/").await;
    assert_eq!(b.path().await, "/sign-in");
    b.check("sign-in").await;
    b.sign_in(&w.email, "wrong password").await;
    b.see("The email address or password is not right").await;
    assert!(
        b.focused_class().await.contains("govuk-error-summary"),
        "the error summary takes focus"
    );
    b.check("sign-in-error").await;
    b.sign_in(&w.email, PASSWORD).await;
    assert_eq!(b.path().await, "/");
    let home = b.source().await;
    assert!(home.contains("Tameside Lunch Club") && home.contains("Accept or decline the offer"));
    b.check("dashboard").await;

    // 2. Check eligibility before starting.
    b.click(&format!("a[href='/rounds/{}']", w.round)).await;
    b.check("round").await;
    b.click_text("Check if you can apply").await;
    b.check("eligibility").await;
    b.fill("#amount_requested", "9000").await;
    b.click("main form button[type=submit]").await;
    b.see("You cannot apply to this round").await;
    b.check("eligibility-failed").await;
    b.click_text("Change your answers").await;
    b.fill("#amount_requested", "1000").await;
    b.click("main form button[type=submit]").await;
    b.see("You can apply to this round").await;
    b.check("eligibility-passed").await;

    // 3. Apply: errors, save and return, check answers, submit.
    b.click_text("Start an application").await;
    b.click("main form button[type=submit]:not([name])").await;
    b.see("There is a problem").await;
    assert!(b.focused_class().await.contains("govuk-error-summary"));
    b.check("apply-errors").await;
    b.fill("#project_title", "Friday lunch club").await;
    b.fill(
        "#summary",
        "Weekly lunches for older neighbours who live alone.",
    )
    .await;
    b.fill("#amount_requested", "1000.00").await;
    b.click("button[name=then][value=later]").await;
    b.see("Your draft is saved").await;
    b.check("application-draft").await;
    b.click_text("Check your answers and submit").await;
    b.check("check-answers").await;
    b.click("form[action$='/submit'] button").await;
    assert!(b.path().await.ends_with("/submitted"));
    b.check("application-submitted").await;

    // Withdraw a draft.
    b.goto(&format!("/applications/{}", w.draft)).await;
    b.click_text("Withdraw this application").await;
    b.check("withdraw").await;
    b.click("form[action$='/withdraw'] button").await;
    b.see("Withdrawn").await;

    // 4. Accept one offer (the declaration is required) and decline another.
    b.goto(&format!("/awards/{}", w.offer)).await;
    b.check("offer").await;
    b.click("form[action$='/accept'] button").await;
    b.see("Confirm that you accept the conditions").await;
    b.check("offer-error").await;
    b.tick("#declaration").await;
    b.click("form[action$='/accept'] button").await;
    b.see("You have accepted the offer").await;
    b.check("offer-accepted").await;
    b.goto(&format!("/awards/{}/decline", w.to_decline)).await;
    b.check("decline").await;
    b.click("form[action$='/decline'] button").await;
    let declined = b.source().await;
    assert!(declined.contains("Declined"), "{declined}");

    // Tranches scheduled and paid.
    b.goto(&format!("/awards/{}", w.accepted)).await;
    let award = b.source().await;
    assert!(award.contains("15 January 2027") && award.contains("£750.00"));
    b.check("award-tranches").await;

    // 5. The evaluation return: typed, a participant added, submitted.
    b.click_text("Make or see your evaluation return").await;
    b.check("return-blank").await;
    for (field, value) in [
        ("#start-day", "1"),
        ("#start-month", "9"),
        ("#start-year", "2026"),
        ("#end-day", "31"),
        ("#end-month", "3"),
        ("#end-year", "2027"),
        ("#participants_reached", "12"),
        ("#volunteers", "3"),
        ("#sessions_delivered", "20"),
        ("#narrative", "Weekly lunches."),
        ("#p0_code", "P-1"),
    ] {
        b.fill(field, value).await;
    }
    b.choose("#p0_before_direct", "often_always").await;
    b.choose("#p0_after_direct", "occasionally").await;
    b.choose("#p0_before_lack_companionship", "often").await;
    b.click("button[value=add]").await;
    b.see("Participant 2 added").await;
    b.fill("#p1_code", "jo@example.org").await;
    b.choose("#p1_before_direct", "never").await;
    b.click("button[value=submit]").await;
    b.see("There is a problem").await;
    b.check("return-errors").await;
    b.fill("#p1_code", "P-2").await;
    b.click("button[value=submit]").await;
    b.see("Your return has been sent to the fund").await;
    b.check("return-sent").await;

    // Changes requested: the comment is shown; upload participants; send again.
    let return_id = off_runtime(|| {
        let returns = expect(
            app.get(
                &format!("/v1/awards/{}/evaluation-returns", w.accepted),
                Some(&w.grantee_token),
            ),
            200,
        );
        let return_id = returns["items"][0]["return_id"]
            .as_str()
            .unwrap()
            .to_owned();
        expect(
            app.post(
                &format!("/v1/evaluation-returns/{return_id}/review"),
                Some(&w.admin),
                &json!({"decision": "request_changes", "comment": "Please add everyone who answered."}),
            ),
            200,
        );
        return_id
    });
    b.goto(&format!("/awards/{}/return", w.accepted)).await;
    b.see("Please add everyone who answered.").await;
    b.check("return-changes-requested").await;
    let csv = b.shots.join(format!("{}-participants.csv", b.mode));
    std::fs::write(
        &csv,
        "participant_code,before_direct,before_lack_companionship,before_left_out,before_isolated,after_direct,after_lack_companionship,after_left_out,after_isolated\n\
         P-1,often_always,often,often,some_of_the_time,occasionally,some_of_the_time,hardly_ever_or_never,some_of_the_time\n\
         P-2,some_of_the_time,,,,hardly_ever,,,\n\
         P-3,Never,,,,never,,,\n",
    )
    .unwrap();
    b.client
        .find(Locator::Css("#participants"))
        .await
        .unwrap()
        .send_keys(&csv.canonicalize().unwrap().display().to_string())
        .await
        .unwrap();
    // The participants' form, not the evidence form above it.
    b.click("form[action$='/return/upload'] button").await;
    b.see("3 participants were loaded from your file").await;
    b.check("return-uploaded").await;
    b.click("button[value=submit]").await;
    b.see("Your return has been sent to the fund").await;
    let detail = off_runtime(|| {
        expect(
            app.get(
                &format!("/v1/evaluation-returns/{return_id}"),
                Some(&w.grantee_token),
            ),
            200,
        )
    });
    assert_eq!(detail["latest_version"], 2);

    // 6. My organisation; a 404 page; reflow at 320 px; sign out.
    b.click_text("Your organisation").await;
    b.see(&w.email).await;
    b.check("organisation").await;
    // Bank details: a wrong sort code named beside its field, then saved.
    b.click_text("See or change your bank details").await;
    b.check("bank-details").await;
    let bank_form = "form[action='/organisation/bank-details'] button";
    b.fill("#account_name", "Tuesday Lunch Club").await;
    b.fill("#sort_code", "12-34").await;
    b.fill("#account_number", "88837491").await;
    b.click(bank_form).await;
    b.see("There is a problem").await;
    b.check("bank-details-error").await;
    b.fill("#sort_code", "10-79-99").await;
    b.fill("#account_number", "88837491").await;
    b.click(bank_form).await;
    b.see("****7491").await;
    assert!(!b.source().await.contains("88837491"));
    b.check("bank-details-entered").await;
    b.goto(&format!("/awards/{}", uuid::Uuid::now_v7())).await;
    b.see("Page not found").await;
    b.check("not-found").await;
    b.client.set_window_size(320, 900).await.unwrap();
    b.goto("/").await;
    let overflow: Value = b
        .client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        overflow.as_u64().unwrap() <= 320,
        "the dashboard scrolls sideways at 320 px: {overflow}"
    );
    b.check("dashboard-320").await;
    b.client.set_window_size(1280, 1000).await.unwrap();
    b.click("form[action='/sign-out'] button").await;
    b.see("You have signed out").await;
    b.goto("/organisation").await;
    assert_eq!(b.path().await, "/sign-in");

    // 7. An administrator's fund page: its money, reconciliation and
    // charts, a date it cannot read, and reflow at 320 px.
    let admin_email = off_runtime(|| app.user_email(grantledger_domain::user::Role::Admin, None));
    b.sign_in(&admin_email, PASSWORD).await;
    b.goto("/").await;
    b.click(&format!("a[href='/funds/{}']", w.fund)).await;
    b.see("Every check passes").await;
    b.see("Awards by grant size").await;
    b.check("fund").await;
    b.fill("#as_of", "30/11/2026").await;
    b.click("form[method=get] button").await;
    b.see("There is a problem").await;
    b.check("fund-as-of-error").await;
    b.client.set_window_size(320, 900).await.unwrap();
    let overflow: Value = b
        .client
        .execute("return document.documentElement.scrollWidth", vec![])
        .await
        .unwrap();
    assert!(
        overflow.as_u64().unwrap() <= 320,
        "the fund page scrolls sideways at 320 px: {overflow}"
    );
    b.client.set_window_size(1280, 1000).await.unwrap();

    // 8. The audit trail: browse, open an event, verify the chain.
    b.goto("/").await;
    b.click("a[href='/audit']").await;
    b.see("fund.created").await;
    b.check("audit-trail").await;
    b.click("a[href='/audit/1']").await;
    b.see("Previous link").await;
    b.check("audit-event").await;
    b.goto("/audit").await;
    b.click("form[action='/audit/verify'] button").await;
    b.see("The chain is intact").await;
    b.check("audit-verify").await;
}

fn run(js: bool) {
    let Some((chromium, driver)) = browser_binaries() else {
        return;
    };
    let app = TestApp::start(grantledger_store::testing::TestDb::sqlite());
    let w = world(&app);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut b, _driver) = Browser::open(&app, js, &chromium, &driver).await;
        journeys(&app, &w, &mut b).await;
        assert!(
            b.pages_checked >= 25,
            "only {} pages were checked",
            b.pages_checked
        );
        b.client.close().await.unwrap();
    });
}

#[test]
fn grantee_journeys_with_javascript() {
    run(true);
}

#[test]
fn grantee_journeys_without_javascript() {
    run(false);
}

/// Issue 18: an invited person follows the emailed link, chooses a
/// password (a short one is refused in words), is signed in, sets up
/// two-factor sign-in from the QR code page (their role requires it; a
/// wrong code is refused in words), can sign in again with password and
/// code, and finds the used link refused; every page passes axe.
#[test]
fn an_invited_person_sets_a_password_and_signs_in() {
    let Some((chromium, driver)) = browser_binaries() else {
        return;
    };
    let app = TestApp::start(grantledger_store::testing::TestDb::sqlite());
    let admin = app.admin();
    let email = format!("invited-{}@example.org", uuid::Uuid::now_v7().simple());
    expect(
        app.post(
            "/v1/users/invitations",
            Some(&admin),
            &json!({"email": email, "role": "auditor"}),
        ),
        201,
    );
    let messages = app
        .db
        .db
        .read(|c| {
            grantledger_store::outbox::list(c, grantledger_store::outbox::Status::Pending, 50)
        })
        .unwrap();
    let text = &messages
        .iter()
        .find(|m| m.to_address == email)
        .expect("the invitation")
        .text_body;
    let start = text.find("/set-password/").unwrap();
    let path = text[start..].split_whitespace().next().unwrap().to_owned();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut b, _driver) = Browser::open(&app, true, &chromium, &driver).await;
        b.goto(&path).await;
        b.see("Choose your password").await;
        b.see(&email).await;
        b.check("set-password").await;
        b.fill("#password", "short").await;
        b.click("form[method='post'] button").await;
        b.see("There is a problem").await;
        b.check("set-password-error").await;
        b.fill("#password", "a new long password of mine").await;
        b.click("form[method='post'] button").await;
        // An auditor must set up two-factor sign-in before anything else.
        assert_eq!(b.path().await, "/account/two-factor");
        b.see("must sign in with a code").await;
        b.check("two-factor-required").await;
        b.goto("/").await;
        assert_eq!(b.path().await, "/account/two-factor");
        b.click("form[action='/account/two-factor/start'] button")
            .await;
        b.see("Add grantledger to your authenticator app").await;
        let source = b.source().await;
        assert!(source.contains("<svg"), "the QR code is an inline SVG");
        let key_start = source.find("id=\"secret\">").unwrap() + "id=\"secret\">".len();
        let key: String = source[key_start..]
            .chars()
            .take_while(|c| *c != '<')
            .collect();
        let secret = grantledger_domain::two_factor::TotpSecret::parse(&key).unwrap();
        b.check("two-factor-scan").await;
        b.fill("#code", "000000").await;
        b.click("form[action='/account/two-factor/confirm'] button")
            .await;
        b.see("There is a problem").await;
        b.check("two-factor-scan-error").await;
        app.authenticator_for(&email, secret);
        let code = app.code_for(&email).unwrap();
        b.fill("#code", &code).await;
        b.click("form[action='/account/two-factor/confirm'] button")
            .await;
        b.see("Your recovery codes").await;
        b.check("recovery-codes").await;
        b.goto("/").await;
        b.see(&email).await;
        assert_eq!(b.path().await, "/");
        b.goto("/account/password").await;
        b.see("Change your password").await;
        b.check("account-password").await;
        b.click("form[action='/sign-out'] button").await;
        b.see("You have signed out").await;
        b.fill("#email", &email).await;
        b.fill("#password", "a new long password of mine").await;
        b.click("form[action='/sign-in'] button").await;
        assert_eq!(b.path().await, "/sign-in/code");
        b.see("Enter your security code").await;
        b.check("sign-in-code").await;
        b.fill("#code", "12345").await;
        b.click("form[action='/sign-in/code'] button").await;
        b.see("There is a problem").await;
        b.check("sign-in-code-error").await;
        let code = app.code_for(&email).unwrap();
        b.fill("#code", &code).await;
        b.click("form[action='/sign-in/code'] button").await;
        assert_eq!(b.path().await, "/");
        b.goto(&path).await;
        b.see("This link has already been used").await;
        b.check("link-used").await;
        b.goto("/forgot-password").await;
        b.check("forgot-password").await;
        b.client.close().await.unwrap();
    });
}

/// Issue 20: an administrator assigns assessors from the panel page, an
/// assessor scores from their list (a bad score refused in words), the
/// panel shows the weighted scores, and the administrator decides with
/// feedback and an internal note; every page passes axe.
#[test]
fn an_assessor_scores_and_the_panel_decides() {
    let Some((chromium, driver)) = browser_binaries() else {
        return;
    };
    let app = TestApp::start(grantledger_store::testing::TestDb::sqlite());
    let admin = app.admin();
    let round = app.small_round(&admin, "PNL", "Panel Fund");
    let grantee = app.grantee(
        &admin,
        tameside("Tameside Lunch Club"),
        DueDiligence::Passed,
    );
    let application = app.submitted_application(&round, &grantee, "1000.00");
    expect(
        app.request(
            "PUT",
            &format!("/v1/rounds/{}/criteria", round.id),
            Some(&admin),
            Some(&json!({"scale": {"min": 1, "max": 5}, "margin": "1", "criteria": [
                {"name": "Reaches lonely people", "guidance": "5: most participants are lonely", "weight": 3},
                {"name": "Value for money", "weight": 1}
            ]})),
        ),
        200,
    );
    use grantledger_domain::user::Role;
    let admin_email = app.user_email(Role::Admin, None);
    let assessor_email = app.user_email(Role::Assessor, None);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut b, _driver) = Browser::open(&app, true, &chromium, &driver).await;
        b.goto("/sign-in").await;
        b.sign_in(&admin_email, PASSWORD).await;
        b.goto("/returns/overdue").await;
        b.see("Overdue evaluation returns").await;
        b.check("overdue-returns").await;
        b.goto("/funds/PNL/outcomes").await;
        b.see("How often do you feel lonely?").await;
        b.check("outcomes").await;
        b.goto("/imports").await;
        b.see("Import from a spreadsheet").await;
        b.check("imports").await;
        b.goto("/commitments").await;
        b.see("Pledge tracker").await;
        b.check("commitments").await;
        b.goto("/commitments/report").await;
        b.see("Progress report on the pledges").await;
        b.check("commitments-report").await;
        b.goto("/grantees/new").await;
        b.see("Register a grantee").await;
        b.check("grantee-new").await;
        b.click("form[action='/grantees/new'] button").await;
        b.see("There is a problem").await;
        b.check("grantee-new-error").await;
        b.goto("/account/two-factor").await;
        b.see("Two-factor sign-in is on").await;
        b.check("two-factor-on").await;
        b.goto(&format!("/rounds/{}/criteria", round.id)).await;
        b.see("Assessment criteria").await;
        b.check("criteria").await;
        b.goto(&format!("/rounds/{}/panel", round.id)).await;
        b.see("Assessment panel").await;
        b.check("panel-empty").await;
        b.fill("#per_application", "1").await;
        b.click(&format!(
            "form[action='/rounds/{}/assign'] button",
            round.id
        ))
        .await;
        b.see("1 assignments made").await;
        b.click("form[action='/sign-out'] button").await;

        b.sign_in(&assessor_email, PASSWORD).await;
        b.goto("/").await;
        b.click("a[href='/assignments']").await;
        b.check("assignments").await;
        b.click(&format!("a[href='/applications/{application}/score']"))
            .await;
        b.see("Reaches lonely people").await;
        b.check("score").await;
        b.fill("input[name^='score-']", "9").await;
        b.click(&format!(
            "form[action='/applications/{application}/score'] button"
        ))
        .await;
        b.see("There is a problem").await;
        b.check("score-error").await;
        let fields: Value = b
            .client
            .execute(
                "return [...document.querySelectorAll(\"input[name^='score-']\")].map(e => e.id)",
                vec![],
            )
            .await
            .unwrap();
        for id in fields.as_array().unwrap() {
            b.fill(&format!("#{}", id.as_str().unwrap()), "4").await;
        }
        b.click(&format!(
            "form[action='/applications/{application}/score'] button"
        ))
        .await;
        b.see("Your scores have been recorded").await;
        b.click("form[action='/sign-out'] button").await;

        b.sign_in(&admin_email, PASSWORD).await;
        b.goto(&format!("/rounds/{}/panel", round.id)).await;
        b.see("4.00").await;
        b.check("panel").await;
        b.goto(&format!("/rounds/{}/applications", round.id)).await;
        b.see("Tameside Lunch Club").await;
        b.check("queue").await;
        b.goto(&format!("/applications/{application}/decide")).await;
        b.check("decide").await;
        b.tick("#outcome-reject").await;
        b.click(&format!(
            "form[action='/applications/{application}/decide'] button"
        ))
        .await;
        b.see("There is a problem").await;
        b.check("decide-error").await;
        b.tick("#outcome-reject").await;
        b.fill("#feedback", "The round was oversubscribed.").await;
        b.fill("#internal_note", "Scored 4.00; fewer reached than others.")
            .await;
        b.click(&format!(
            "form[action='/applications/{application}/decide'] button"
        ))
        .await;
        b.see("Internal note").await;
        b.check("decided").await;
        b.client.close().await.unwrap();
    });
}

/// Issue 19's journey on the demo: the demo grantee applies to round 2
/// through its microgrant form, section by section, with a bank statement
/// uploaded; the administrator then reads the answers and the file.
#[test]
fn a_grantee_applies_through_the_round_form_with_an_upload() {
    let Some((chromium, driver)) = browser_binaries() else {
        return;
    };
    let app = TestApp::start(grantledger_store::testing::TestDb::sqlite());
    let (admin, lcf) = app.demo();
    let rounds = expect(
        app.get(
            &format!("/v1/funds/{}/rounds", lcf["id"].as_str().unwrap()),
            Some(&admin),
        ),
        200,
    );
    let round = rounds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["number"] == 2)
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let statement = tempfile::Builder::new().suffix(".pdf").tempfile().unwrap();
    std::fs::write(
        statement.path(),
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
    )
    .unwrap();
    let start = (chrono::Utc::now().date_naive() + chrono::Duration::days(30)).to_string();
    let end = (chrono::Utc::now().date_naive() + chrono::Duration::days(200)).to_string();
    let date_parts = |d: &str| -> (String, String, String) {
        let mut p = d.split('-').map(|s| s.trim_start_matches('0').to_owned());
        let (y, m, d) = (p.next().unwrap(), p.next().unwrap(), p.next().unwrap());
        (d, m, y)
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut b, _driver) = Browser::open(&app, true, &chromium, &driver).await;
        b.goto("/sign-in").await;
        b.sign_in(
            "grantee@demo.grantledger.org",
            grantledger_server::demo::DEMO_PASSWORD,
        )
        .await;
        b.goto(&format!("/rounds/{round}")).await;
        b.click_text("Application form: the questions this round asks")
            .await;
        b.see("What will your project do to bring people together?")
            .await;
        b.check("form-preview").await;
        b.goto(&format!("/rounds/{round}/apply")).await;
        b.fill("#project_title", "Tuesday lunch club").await;
        b.fill("#summary", "A hot lunch and good company every Tuesday.")
            .await;
        b.fill("#amount_requested", "1500").await;
        b.click(&format!(
            "form[action='/rounds/{round}/apply'] button[type='submit']:not([name])"
        ))
        .await;
        b.see("govuk-task-list").await;
        b.check("task-list").await;
        let overview = b.path().await;

        b.click_text("Your group").await;
        b.check("section").await;
        b.fill("#a_contact_name", "Ann Smith").await;
        b.fill("#a_meeting_place", "St Mary's Hall").await;
        b.fill("#a_meeting_place-town", "Gateshead").await;
        b.fill("#a_meeting_place-postcode", "NE8 1HE").await;
        b.tick("#a_group_type").await;
        b.tick("#a_own_bank_account").await;
        b.click(&format!(
            "form[action='{overview}/sections/your_group'] button:not([name])"
        ))
        .await;

        b.see("Your project").await;
        b.fill(
            "#a_what_you_will_do",
            "Lunch and a chat for older people living alone.",
        )
        .await;
        b.see("words remaining").await;
        b.tick("#a_who_takes_part").await;
        b.fill("#a_people_taking_part", "25").await;
        let (d, m, y) = date_parts(&start);
        b.fill("#a_start_date", &d).await;
        b.fill("#a_start_date-month", &m).await;
        b.fill("#a_start_date-year", &y).await;
        let (d, m, y) = date_parts(&end);
        b.fill("#a_end_date", &d).await;
        b.fill("#a_end_date-month", &m).await;
        b.fill("#a_end_date-year", &y).await;
        b.click(&format!(
            "form[action='{overview}/sections/your_project'] button:not([name])"
        ))
        .await;

        b.see("How will you spend the grant?").await;
        b.fill("#a_budget", "Hall hire").await;
        b.fill("#a_budget-amount-0", "600").await;
        b.fill("#a_budget-item-1", "Food").await;
        b.fill("#a_budget-amount-1", "900").await;
        b.click(&format!(
            "form[action='{overview}/sections/budget'] button[name='then']"
        ))
        .await;
        b.goto(&format!("{overview}/files/bank_statement")).await;
        b.check("file-upload").await;
        b.client
            .find(Locator::Css("#file"))
            .await
            .unwrap()
            .send_keys(statement.path().to_str().unwrap())
            .await
            .unwrap();
        b.click("form[enctype='multipart/form-data'] button").await;
        b.see("How will you spend the grant?").await;
        b.see(statement.path().file_name().unwrap().to_str().unwrap())
            .await;
        b.click(&format!(
            "form[action='{overview}/sections/budget'] button:not([name])"
        ))
        .await;

        b.see("Measuring loneliness").await;
        b.tick("#a_will_measure").await;
        b.tick("#a_declaration").await;
        b.click(&format!(
            "form[action='{overview}/sections/measuring'] button:not([name])"
        ))
        .await;
        b.see("Check your answers").await;
        b.check("check-answers").await;
        b.click(&format!("form[action='{overview}/submit'] button"))
            .await;
        b.see("Application submitted").await;
        b.click("form[action='/sign-out'] button").await;

        b.sign_in(
            "admin@demo.grantledger.org",
            grantledger_server::demo::DEMO_PASSWORD,
        )
        .await;
        b.goto(&overview).await;
        b.see("St Mary").await;
        b.see("Hall hire: £600.00").await;
        b.see(statement.path().file_name().unwrap().to_str().unwrap())
            .await;
        b.check("answers-for-staff").await;
        b.client.close().await.unwrap();
    });
}

/// The text of the first status tag in the page's summary list (a run's
/// or an award's status).
async fn summary_status(b: &Browser) -> String {
    let v: Value = b
        .client
        .execute(
            "const t = document.querySelector('.govuk-summary-list .govuk-tag'); \
             return t ? t.textContent.trim() : '';",
            vec![],
        )
        .await
        .unwrap();
    v.as_str().unwrap_or_default().to_owned()
}

/// GETs `path` with the browser's own session (a download link followed
/// by script); returns the status, `Content-Disposition` and body.
async fn fetch_in_browser(b: &Browser, path: &str) -> (u64, String, String) {
    let v = b
        .client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0], {credentials: 'same-origin'})
               .then(r => r.text().then(t => done([r.status, r.headers.get('Content-Disposition') || '', t])))
               .catch(e => done([0, '', String(e)]));",
            vec![json!(path)],
        )
        .await
        .unwrap();
    (
        v[0].as_u64().unwrap_or_default(),
        v[1].as_str().unwrap_or_default().to_owned(),
        v[2].as_str().unwrap_or_default().to_owned(),
    )
}

/// Issue 17: a newcomer runs a round from nothing to a paid payment run in
/// the browser alone, and an auditor reconciles the fund and verifies the
/// audit chain there. An administrator sets up a fund and a round and
/// opens both; the grantee applies, submits and gives bank details; the
/// administrator verifies them, records the grantee's due-diligence pass,
/// finds the application in the round's queue and awards it; the grantee
/// accepts; the administrator schedules
/// the payment and makes a payment run, which a second administrator (the
/// maker is refused) approves, downloads the bank file of and confirms
/// paid; the auditor sees every reconciliation check pass and the chain
/// intact. Every new page passes axe.
///
/// Set up through the harness, as a newcomer finds them in the demo: the
/// people (two administrators, an auditor, the grantee's user) and the
/// grantee organisation (registering one in the browser is
/// `grantee-new` in the panel test).
#[test]
fn an_administrator_runs_a_round_to_a_paid_run_and_the_auditor_reconciles() {
    let Some((chromium, driver)) = browser_binaries() else {
        return;
    };
    use grantledger_domain::user::Role;
    let app = TestApp::start(grantledger_store::testing::TestDb::sqlite());
    let admin = app.admin();
    let grantee = app.grantee(
        &admin,
        tameside("Mossley Lunch Club"),
        DueDiligence::NotDone,
    );
    let grantee_id = grantee.id.clone();
    let (_grantee, grantee_email) = grantee.with_user_email(&app);
    let maker = app.user_email(Role::Admin, None);
    let approver = app.user_email(Role::Admin, None);
    let auditor = app.user_email(Role::Auditor, None);
    let now = chrono::Utc::now();
    let today = now.date_naive().to_string();
    let opens = (now + chrono::Duration::days(1))
        .format("%Y-%m-%d 09:00")
        .to_string();
    let closes = (now + chrono::Duration::days(90))
        .format("%Y-%m-%d 17:00")
        .to_string();
    let (sort_code, account_number) = grantledger_tests::TEST_ACCOUNT;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let (mut b, _driver) = Browser::open(&app, true, &chromium, &driver).await;
        let sign_out = "form[action='/sign-out'] button";

        // 1. The administrator sets up a fund and a round, and opens both.
        b.goto("/sign-in").await;
        b.sign_in(&maker, PASSWORD).await;
        assert_eq!(b.path().await, "/");
        b.check("staff-home").await;
        b.click("a[href='/funds/new']").await;
        b.see("Set up a fund").await;
        b.check("fund-new").await;
        b.click("form[action='/funds'] button[type=submit]").await;
        b.see("There is a problem").await;
        b.check("fund-new-error").await;
        b.fill("#code", "MOSS").await;
        b.fill("#name", "Mossley Friendship Fund").await;
        b.fill("#budget", "20000.00").await;
        b.click("form[action='/funds'] button[type=submit]").await;
        let fund = b
            .path()
            .await
            .strip_prefix("/funds/")
            .unwrap_or_else(|| panic!("no fund page after saving the fund"))
            .to_owned();
        b.see("Mossley Friendship Fund").await;
        b.click(&format!("form[action='/funds/{fund}/open'] button"))
            .await;
        b.see("£20,000.00").await;
        b.check("fund-opened").await;
        b.click(&format!("a[href='/funds/{fund}/rounds/new']"))
            .await;
        b.check("round-new").await;
        b.fill("#name", "Round 1").await;
        b.fill("#opens_at", &opens).await;
        b.fill("#closes_at", &closes).await;
        b.fill("#allocation", "10000.00").await;
        b.fill("#min_grant", "500.00").await;
        b.fill("#max_grant", "5000.00").await;
        b.click(&format!(
            "form[action='/funds/{fund}/rounds'] button[type=submit]"
        ))
        .await;
        let round = b
            .path()
            .await
            .strip_prefix("/rounds/")
            .unwrap_or_else(|| panic!("no round page after saving the round"))
            .to_owned();
        b.see("This round is not open for applications").await;
        b.check("round-staff").await;
        b.click(&format!("a[href='/rounds/{round}/edit']")).await;
        b.check("round-edit").await;
        b.click(&format!("form[action='/rounds/{round}/open-now'] button"))
            .await;
        assert_eq!(b.path().await, format!("/rounds/{round}"));
        assert!(
            !b.source()
                .await
                .contains("This round is not open for applications"),
            "the round opened"
        );
        b.click(sign_out).await;

        // 2. The grantee applies and submits, and gives bank details.
        b.sign_in(&grantee_email, PASSWORD).await;
        assert_eq!(b.path().await, "/");
        b.click(&format!("a[href='/rounds/{round}']")).await;
        b.click(&format!("a[href='/rounds/{round}/apply']")).await;
        b.fill("#project_title", "Wednesday lunch and chat").await;
        b.fill(
            "#summary",
            "A hot lunch and company for older neighbours who live alone.",
        )
        .await;
        b.fill("#amount_requested", "1200.00").await;
        b.click("main form button[type=submit]:not([name])").await;
        b.see("Check your answers").await;
        b.click("form[action$='/submit'] button").await;
        let submitted = b.path().await;
        let application = submitted
            .strip_prefix("/applications/")
            .and_then(|p| p.strip_suffix("/submitted"))
            .unwrap_or_else(|| panic!("not the submitted page: {submitted}"))
            .to_owned();
        b.see("Application submitted").await;
        b.goto("/organisation").await;
        b.click_text("See or change your bank details").await;
        b.fill("#account_name", "Mossley Lunch Club").await;
        b.fill("#sort_code", sort_code).await;
        b.fill("#account_number", account_number).await;
        b.click("form[action='/organisation/bank-details'] button")
            .await;
        b.see(&format!("****{}", &account_number[4..])).await;
        b.click(sign_out).await;

        // 3. The administrator verifies the bank details, finds the
        // application in the round's queue and awards it.
        b.sign_in(&maker, PASSWORD).await;
        b.click("a[href='/bank-details']").await;
        b.see("Mossley Lunch Club").await;
        b.check("bank-details-waiting").await;
        b.click(&format!("a[href='/grantees/{grantee_id}/bank-details']"))
            .await;
        b.check("grantee-bank-details").await;
        b.fill(
            "#verify_note",
            "Called the treasurer on the number we hold.",
        )
        .await;
        b.click(&format!(
            "form[action='/grantees/{grantee_id}/bank-details/verify'] button"
        ))
        .await;
        b.see("The change is verified").await;
        b.check("bank-details-verified").await;
        // The grantee-wide due-diligence pass that payments need.
        b.goto(&format!("/grantees/{grantee_id}")).await;
        b.check("grantee-due-diligence").await;
        b.click(&format!(
            "form[action='/grantees/{grantee_id}/due-diligence'] button:not(.govuk-button--warning)"
        ))
        .await;
        b.see("Due diligence recorded by").await;
        b.goto("/").await;
        b.click(&format!("a[href='/funds/{fund}']")).await;
        b.click(&format!("a[href='/rounds/{round}']")).await;
        b.click(&format!("a[href='/rounds/{round}/applications']"))
            .await;
        b.see("Wednesday lunch and chat").await;
        b.see("Mossley Lunch Club").await;
        b.click(&format!("a[href='/applications/{application}']"))
            .await;
        b.check("application-staff").await;
        b.click(&format!("a[href='/applications/{application}/decide']"))
            .await;
        b.tick("#outcome").await;
        b.fill(
            "#feedback",
            "A clear plan that reaches people on their own.",
        )
        .await;
        b.click(&format!(
            "form[action='/applications/{application}/decide'] button"
        ))
        .await;
        assert_eq!(b.path().await, format!("/applications/{application}"));
        b.see("Awarded").await;
        b.click(sign_out).await;

        // 4. The grantee accepts the offer.
        b.sign_in(&grantee_email, PASSWORD).await;
        b.see("Accept or decline the offer").await;
        let href: Value = b
            .client
            .execute(
                "const a = document.querySelector(\"main a[href^='/awards/']\"); \
                 return a ? a.getAttribute('href') : '';",
                vec![],
            )
            .await
            .unwrap();
        let award = href
            .as_str()
            .and_then(|h| h.strip_prefix("/awards/"))
            .unwrap_or_else(|| panic!("no award on the dashboard: {href}"))
            .to_owned();
        b.click(&format!("a[href='/awards/{award}']")).await;
        b.tick("#declaration").await;
        b.click("form[action$='/accept'] button").await;
        b.see("You have accepted the offer").await;
        b.click(sign_out).await;

        // 5. The administrator schedules the payment and makes a run; as
        // its maker, they may not approve it.
        b.sign_in(&maker, PASSWORD).await;
        // From the application to the award made on it.
        b.goto(&format!("/applications/{application}")).await;
        b.click(&format!("a[href='/awards/{award}']")).await;
        b.see("Accepted").await;
        b.check("award-staff").await;
        b.click(&format!("a[href='/awards/{award}/manage']")).await;
        b.check("award-manage").await;
        b.fill("#tranche_amount", "1200.00").await;
        b.fill("#tranche_due_on", &today).await;
        b.click(&format!("form[action='/awards/{award}/tranches'] button"))
            .await;
        b.see("The payment is scheduled.").await;
        b.check("award-tranche-scheduled").await;
        b.goto("/").await;
        b.click("a[href='/payment-runs']").await;
        b.check("payment-runs").await;
        b.click("a[href='/payment-runs/new']").await;
        b.check("payment-run-new").await;
        b.choose("#fund_id", &fund).await;
        // A date input types by the browser's locale: set its value.
        b.client
            .execute(
                "document.getElementById('due_by').value = arguments[0];",
                vec![json!(today)],
            )
            .await
            .unwrap();
        b.click("form[action='/payment-runs'] button").await;
        let made = b.path().await;
        let run = made
            .strip_prefix("/payment-runs/")
            .unwrap_or_else(|| panic!("no run page after making the run: {made}"))
            .to_owned();
        b.see("The run is made").await;
        b.see("Mossley Lunch Club").await;
        b.see("MOSS-R1-").await;
        b.see("£1,200.00").await;
        b.see("No payments were held out of this run.").await;
        assert_eq!(summary_status(&b).await, "Waiting for approval");
        b.check("payment-run-draft").await;
        b.click(&format!(
            "form[action='/payment-runs/{run}/approve'] button"
        ))
        .await;
        b.see("You made this run, so a second administrator must approve it.")
            .await;
        b.check("payment-run-same-administrator").await;
        b.click(sign_out).await;

        // 6. A second administrator approves it, downloads the bank file
        // and confirms the payment paid.
        b.sign_in(&approver, PASSWORD).await;
        b.click("a[href='/payment-runs']").await;
        b.click(&format!("a[href='/payment-runs/{run}']")).await;
        b.click(&format!(
            "form[action='/payment-runs/{run}/approve'] button"
        ))
        .await;
        b.see("The run is approved").await;
        assert_eq!(summary_status(&b).await, "Approved");
        b.check("payment-run-approved").await;
        for format in ["standard18", "bank_csv"] {
            let href = format!("/payment-runs/{run}/file?format={format}");
            let offered = b.source().await;
            assert!(offered.contains(&href), "the run page offers {href}");
            let (status, disposition, body) = fetch_in_browser(&b, &href).await;
            assert_eq!(status, 200, "{href}: {body}");
            assert!(disposition.starts_with("attachment"), "{disposition}");
            assert!(body.contains(account_number), "{format}: {body}");
            if format == "standard18" {
                assert!(
                    body.split_terminator("\r\n").all(|r| r.len() == 100),
                    "Standard 18 records are 100 characters: {body:?}"
                );
            }
        }
        b.click(&format!(
            "form[action^='/payment-runs/{run}/lines/'][action$='/paid'] button"
        ))
        .await;
        b.see("The payment is confirmed as paid.").await;
        assert_eq!(summary_status(&b).await, "Paid");
        b.check("payment-run-paid").await;
        b.click(sign_out).await;

        // 7. The auditor reconciles the fund and verifies the chain.
        b.sign_in(&auditor, PASSWORD).await;
        assert_eq!(b.path().await, "/");
        b.click(&format!("a[href='/funds/{fund}']")).await;
        b.see("Every check passes").await;
        assert!(!b.source().await.contains("Some checks fail"));
        b.see("£1,200.00").await;
        b.check("fund-reconciled").await;
        b.goto(&format!("/payment-runs/{run}")).await;
        assert_eq!(summary_status(&b).await, "Paid");
        let offered = b.source().await;
        assert!(
            !offered.contains("/file?format=standard18")
                && !offered.contains("/file?format=bank_csv"),
            "no bank file for an auditor"
        );
        // Only the audit copy, its account numbers masked.
        let copy = format!("/payment-runs/{run}/file?format=audit_copy");
        assert!(offered.contains(&copy), "the run page offers {copy}");
        let (status, disposition, body) = fetch_in_browser(&b, &copy).await;
        assert_eq!(status, 200, "{copy}: {body}");
        assert!(disposition.contains("audit-copy.csv"), "{disposition}");
        assert!(!body.contains(account_number), "masked: {body}");
        assert!(
            body.contains(&format!("****{}", &account_number[4..])),
            "{body}"
        );
        b.check("payment-run-auditor").await;
        b.goto("/").await;
        b.click("a[href='/audit']").await;
        b.click("form[action='/audit/verify'] button").await;
        b.see("The chain is intact").await;
        b.check("audit-verify-auditor").await;
        b.client.close().await.unwrap();
    });
}
