//! A thin client for the grantledger API: JSON in, status and JSON out,
//! and the time each request took.

use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use grantledger_domain::two_factor::{Authenticator, TotpSecret};
use reqwest::{Client, Method, StatusCode};
use serde_json::Value;

use crate::stats::Outcome;

/// One answer.
#[derive(Debug)]
pub struct Answer {
    /// How it ended.
    pub outcome: Outcome,
    /// From sending to the end of the body.
    pub latency: Duration,
    /// The body, when it was JSON.
    pub body: Option<Value>,
}

impl Answer {
    /// A string field of the JSON body, such as `id`.
    pub fn field(&self, pointer: &str) -> Option<&str> {
        self.body.as_ref()?.pointer(pointer)?.as_str()
    }
}

/// The API at one base URL.
#[derive(Debug, Clone)]
pub struct Api {
    base: String,
    client: Client,
    /// The administrator's email and authenticator: staff sign in with a
    /// code as well as the password.
    two_factor: Option<(String, std::sync::Arc<Authenticator>)>,
}

impl Api {
    /// A client for `base` (`http://127.0.0.1:8080`), keeping connections alive.
    pub fn new(base: &str, timeout: Duration) -> anyhow::Result<Api> {
        let client = Client::builder()
            .timeout(timeout)
            .pool_max_idle_per_host(1024)
            // Below actix-web's 5 s keep-alive: a connection idle longer is
            // being closed by the server, and a request sent on it as it
            // closes never reaches it (one read in 30,000 went unanswered
            // that way, never logged by the server).
            .pool_idle_timeout(Duration::from_secs(4))
            .tcp_nodelay(true)
            .build()
            .context("building the HTTP client")?;
        Ok(Api {
            two_factor: None,
            base: base.trim_end_matches('/').to_owned(),
            client,
        })
    }

    /// Sends one request and waits for the whole answer.
    pub async fn send(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
        idempotency_key: Option<&str>,
    ) -> Answer {
        let started = Instant::now();
        let mut request = self.client.request(method, format!("{}{path}", self.base));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(body);
        }
        if let Some(key) = idempotency_key {
            request = request.header("Idempotency-Key", key);
        }
        let (outcome, body) = match request.send().await {
            Ok(response) => {
                let status = response.status().as_u16();
                match response.bytes().await {
                    Ok(bytes) => (
                        Outcome::Status(status),
                        serde_json::from_slice::<Value>(&bytes).ok(),
                    ),
                    Err(_) => (Outcome::Transport, None),
                }
            }
            Err(_) => (Outcome::Transport, None),
        };
        Answer {
            outcome,
            latency: started.elapsed(),
            body,
        }
    }

    /// GET.
    pub async fn get(&self, path: &str, token: &str) -> Answer {
        self.send(Method::GET, path, Some(token), None, None).await
    }

    /// POST a JSON body.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> Answer {
        self.send(Method::POST, path, Some(token), Some(body), None)
            .await
    }

    /// POST during set-up: anything but the expected status is an error
    /// that names the request and shows the answer.
    pub async fn must(
        &self,
        path: &str,
        token: Option<&str>,
        body: &Value,
        expected: StatusCode,
    ) -> anyhow::Result<Value> {
        let answer = self.send(Method::POST, path, token, Some(body), None).await;
        match answer.outcome {
            Outcome::Status(s) if s == expected.as_u16() => Ok(answer.body.unwrap_or(Value::Null)),
            Outcome::Status(s) => bail!(
                "POST {path} answered {s}, expected {expected}: {}",
                answer.body.unwrap_or(Value::Null)
            ),
            Outcome::Transport => bail!(
                "POST {}{path} got no answer: is the server running there?",
                self.base
            ),
        }
    }

    /// Waits until `/readyz` answers 200, for at most `limit`.
    pub async fn wait_ready(&self, limit: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + limit;
        loop {
            let answer = self.send(Method::GET, "/readyz", None, None, None).await;
            if answer.outcome.is_success() {
                return Ok(());
            }
            if Instant::now() >= deadline {
                bail!("{} was not ready within {limit:?}", self.base);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Signs `email` in with codes from an authenticator holding `secret`.
    #[must_use]
    pub fn with_two_factor(mut self, email: &str, secret: TotpSecret) -> Api {
        self.two_factor = Some((
            email.to_owned(),
            std::sync::Arc::new(Authenticator::new(secret)),
        ));
        self
    }

    /// A fresh code for `email`, when it signs in with one.
    pub async fn code_for(&self, email: &str) -> Option<String> {
        let (who, phone) = self.two_factor.as_ref()?;
        if who != email {
            return None;
        }
        loop {
            match phone.code_at(chrono::Utc::now()) {
                Ok(code) => return Some(code),
                Err(wait) => tokio::time::sleep(wait).await,
            }
        }
    }

    /// Signs in and returns the bearer token.
    pub async fn login(&self, email: &str, password: &str) -> anyhow::Result<String> {
        let body = match self.code_for(email).await {
            Some(code) => serde_json::json!({"email": email, "password": password, "code": code}),
            None => serde_json::json!({"email": email, "password": password}),
        };
        let answer = self
            .must("/v1/auth/token", None, &body, StatusCode::OK)
            .await
            .with_context(|| format!("signing in as {email}"))?;
        answer
            .get("access_token")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .context("the sign-in answer has no access_token")
    }
}
