//! A client for the portal's HTML pages over plain HTTP: it keeps cookies
//! as a browser would (by name, from `Set-Cookie`), follows nothing by
//! itself, and reads the CSRF token from the page's forms.

use std::collections::BTreeMap;

use reqwest::blocking::{Client, Response};
use reqwest::header::{COOKIE, HeaderMap, LOCATION, SET_COOKIE};

use crate::{PASSWORD, TestApp};

/// A page as received.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Page {
    /// Where a redirect goes.
    pub fn location(&self) -> &str {
        self.headers
            .get(LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The first form's CSRF token on the page.
    pub fn csrf(&self) -> String {
        value_after(&self.body, "name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("no CSRF token on the page: {}", self.body))
    }

    /// Every `Set-Cookie` header.
    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    /// The `Set-Cookie` header for `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.set_cookies()
            .into_iter()
            .find(|c| c.starts_with(&format!("{name}=")))
    }

    /// A header's value.
    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// Asserts the status, showing the page when it differs.
    #[track_caller]
    pub fn expect(self, status: u16) -> Page {
        assert_eq!(
            self.status, status,
            "unexpected status; page: {}",
            self.body
        );
        self
    }
}

/// The text after `marker` up to the next `"`.
pub fn value_after(body: &str, marker: &str) -> Option<String> {
    let start = body.find(marker)? + marker.len();
    let rest = body.get(start..)?;
    Some(rest.chars().take_while(|c| *c != '"').collect())
}

/// A person using the portal.
#[derive(Debug)]
pub struct Visitor {
    base: String,
    client: Client,
    /// Cookies held, by name.
    pub cookies: BTreeMap<String, String>,
}

impl Visitor {
    pub fn new(app: &TestApp) -> Visitor {
        Visitor {
            base: app.base.clone(),
            client: Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .pool_idle_timeout(crate::IDLE_BEFORE_KEEP_ALIVE_ENDS)
                .pool_max_idle_per_host(0)
                .build()
                .unwrap(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, response: Response) -> Page {
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        for c in headers.get_all(SET_COOKIE) {
            let Ok(c) = c.to_str() else { continue };
            let pair = c.split(';').next().unwrap_or_default();
            let Some((name, value)) = pair.split_once('=') else {
                continue;
            };
            let removed = c.contains("Max-Age=0") || value.is_empty();
            if removed {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = response.text().unwrap_or_default();
        Page {
            status,
            headers,
            body,
        }
    }

    pub fn get(&mut self, path: &str) -> Page {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .send()
            .unwrap();
        self.keep(response)
    }

    /// Posts a form as a browser on this site would (same-origin).
    pub fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_with(path, fields, &[("Sec-Fetch-Site", "same-origin")])
    }

    /// Posts a form with headers of the test's choosing.
    pub fn post_with(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> Page {
        let body = serde_urlencoded::to_string(fields).unwrap();
        let mut request = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("Content-Type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in headers {
            request = request.header(*k, *v);
        }
        let response = request.send().unwrap();
        self.keep(response)
    }

    /// Posts a multipart form with one file.
    pub fn upload(&mut self, path: &str, csrf: &str, field: &str, file: Vec<u8>) -> Page {
        self.upload_named(path, csrf, field, "participants.csv", file)
    }

    /// Posts a multipart form with one file called `name`.
    pub fn upload_named(
        &mut self,
        path: &str,
        csrf: &str,
        field: &str,
        name: &str,
        file: Vec<u8>,
    ) -> Page {
        let form = reqwest::blocking::multipart::Form::new()
            .text("csrf", csrf.to_owned())
            .part(
                field.to_owned(),
                reqwest::blocking::multipart::Part::bytes(file)
                    .file_name(name.to_owned())
                    .mime_str("application/octet-stream")
                    .unwrap(),
            );
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header(COOKIE, self.cookie_header())
            .header("Sec-Fetch-Site", "same-origin")
            .multipart(form)
            .send()
            .unwrap();
        self.keep(response)
    }

    /// Signs in through the sign-in page, and the code page after it for
    /// someone with two-factor sign-in; returns the answer to the last post.
    pub fn sign_in_with(&mut self, email: &str, password: &str) -> Page {
        let form = self.get("/sign-in").expect(200);
        let csrf = form.csrf();
        let answer = self.post(
            "/sign-in",
            &[
                ("email", email),
                ("password", password),
                ("csrf", &csrf),
                ("next", "/"),
            ],
        );
        if answer.status == 303
            && answer.location().starts_with("/sign-in/code")
            && let Some(code) = crate::code_for(&self.base, email)
        {
            return self.give_code(answer.location(), &code);
        }
        answer
    }

    /// Answers the code page at `path` with `code`.
    pub fn give_code(&mut self, path: &str, code: &str) -> Page {
        let page = self.get(path).expect(200);
        let csrf = page.csrf();
        let next = crate::portal::value_after(&page.body, "name=\"next\" value=\"")
            .unwrap_or_else(|| "/".to_owned());
        self.post(
            "/sign-in/code",
            &[("code", code), ("csrf", &csrf), ("next", &next)],
        )
    }

    /// Signs in with the test password, asserting it works.
    pub fn sign_in(&mut self, email: &str) -> &mut Visitor {
        let page = self.sign_in_with(email, PASSWORD);
        assert_eq!(page.status, 303, "sign-in failed: {}", page.body);
        self
    }

    /// Posts a form found on the page at `page_path`, with its CSRF token.
    pub fn submit(&mut self, page_path: &str, action: &str, fields: &[(&str, &str)]) -> Page {
        let page = self.get(page_path).expect(200);
        let csrf = page.csrf();
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &csrf));
        self.post(action, &all)
    }
}
