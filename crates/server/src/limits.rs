//! Limits on what one client can hold, and the record of requests in
//! flight that a graceful shutdown reports on.
//!
//! - **Connections per client address.** Each accepted connection takes a
//!   slot for its address ([`on_connect`]); a request on a connection
//!   beyond the allowance is answered 429 at once, without reading its
//!   body, and the connection is closed.
//! - **Body-read deadline.** A request body must arrive in full within the
//!   deadline from the moment its headers are in. A client trickling a
//!   body a byte a second is answered 408 and disconnected when the
//!   deadline passes, instead of holding a connection (and its memory)
//!   for as long as it likes. Slow headers are cut by actix's own client
//!   request timeout.
//! - **Requests in flight.** Every request is recorded while it runs, so
//!   that a shutdown can say what it waited for and what it dropped.

use std::collections::HashMap;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{Extensions, Payload, ServiceRequest, ServiceResponse};
use actix_web::error::PayloadError;
use actix_web::http::ConnectionType;
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpMessage, ResponseError, web};
use futures_util::Stream;

use crate::error::{ApiError, Problem, problem_response};

/// Connections one client address may hold open by default. Browsers open
/// at most six per host; the rest is room for several people behind one
/// address.
pub const DEFAULT_CONNECTIONS_PER_CLIENT: usize = 64;
/// How long a request body may take to arrive by default.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// The per-client limits a server applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientLimits {
    /// Most connections open at once from one address; 0 for no limit
    /// (behind a proxy every client shares the proxy's address).
    pub connections_per_client: usize,
    /// How long a request body may take to arrive in full.
    pub body_timeout: Duration,
}

impl Default for ClientLimits {
    fn default() -> Self {
        ClientLimits {
            connections_per_client: DEFAULT_CONNECTIONS_PER_CLIENT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
        }
    }
}

/// Open connections per client address, shared by every worker.
#[derive(Debug, Clone, Default)]
pub struct ConnectionCounts(Arc<Mutex<HashMap<IpAddr, usize>>>);

impl ConnectionCounts {
    fn counts(&self) -> MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Takes a slot for `ip`; the slot is given back when dropped.
    #[must_use]
    pub fn open(&self, ip: IpAddr) -> ConnectionSlot {
        let mut counts = self.counts();
        let count = counts.entry(ip).or_insert(0);
        *count = count.saturating_add(1);
        ConnectionSlot {
            counts: self.clone(),
            ip,
            nth: *count,
        }
    }

    /// Connections open from `ip` now.
    #[must_use]
    pub fn open_from(&self, ip: IpAddr) -> usize {
        self.counts().get(&ip).copied().unwrap_or(0)
    }
}

/// One open connection's place in its address's count.
#[derive(Debug)]
pub struct ConnectionSlot {
    counts: ConnectionCounts,
    ip: IpAddr,
    /// How many connections the address had open, this one included, when
    /// it was accepted.
    nth: usize,
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = self.counts.counts();
        if let Some(count) = counts.get_mut(&self.ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// For `HttpServer::on_connect`: gives each accepted TCP connection a slot
/// in its address's count, kept with the connection until it closes.
pub fn on_connect(
    counts: &ConnectionCounts,
    connection: &dyn std::any::Any,
    data: &mut Extensions,
) {
    if let Some(stream) = connection.downcast_ref::<actix_web::rt::net::TcpStream>() {
        // A response written in pieces (the portal's compressed pages) must
        // not wait for the client's delayed ACK: Nagle's algorithm held the
        // second piece back ~40 ms (docs/BENCHMARKS.md, Portal).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "could not set TCP_NODELAY");
        }
        if let Ok(peer) = stream.peer_addr() {
            data.insert(counts.open(peer.ip()));
        }
    }
}

/// The requests running now, for the shutdown report.
#[derive(Debug, Clone, Default)]
pub struct InFlight {
    next: Arc<AtomicU64>,
    running: Arc<Mutex<HashMap<u64, RunningRequest>>>,
}

/// A request that has not finished.
#[derive(Debug, Clone)]
pub struct RunningRequest {
    /// Its method.
    pub method: String,
    /// Its path (truncated).
    pub path: String,
    /// Its request id, when the client or the server gave one.
    pub request_id: String,
    /// When it started.
    pub started: Instant,
}

impl InFlight {
    fn running(&self) -> MutexGuard<'_, HashMap<u64, RunningRequest>> {
        self.running.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn start(&self, request: RunningRequest) -> InFlightGuard {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.running().insert(id, request);
        InFlightGuard {
            in_flight: self.clone(),
            id,
        }
    }

    /// The requests running now, oldest first.
    #[must_use]
    pub fn snapshot(&self) -> Vec<RunningRequest> {
        let mut running: Vec<RunningRequest> = self.running().values().cloned().collect();
        running.sort_by_key(|r| r.started);
        running
    }
}

struct InFlightGuard {
    in_flight: InFlight,
    id: u64,
}

impl Drop for InFlightGuard {
    fn drop(&mut self) {
        self.in_flight.running().remove(&self.id);
    }
}

/// The limits middleware's settings, as app data.
#[derive(Debug, Clone)]
pub struct LimitsState {
    /// The limits.
    pub limits: ClientLimits,
    /// Requests running now.
    pub in_flight: InFlight,
}

/// Applies [`ClientLimits`] and records requests in flight. Needs
/// `web::Data<LimitsState>` and connection slots from [`on_connect`];
/// without them it only passes requests through.
///
/// Wrap it with `actix_web::middleware::from_fn`.
pub async fn client_limits<B: MessageBody>(
    mut req: ServiceRequest,
    next: Next<B>,
) -> Result<ServiceResponse<EitherBody<B>>, Error> {
    let Some(state) = req.app_data::<web::Data<LimitsState>>().cloned() else {
        return next
            .call(req)
            .await
            .map(ServiceResponse::map_into_left_body);
    };
    let allowance = state.limits.connections_per_client;
    let over = req
        .request()
        .conn_data::<ConnectionSlot>()
        .is_some_and(|slot| allowance > 0 && slot.nth > allowance);
    if over {
        tracing::warn!(
            client_ip = %req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default(),
            allowance,
            "refused a connection beyond the client's allowance"
        );
        let mut response = ApiError::TooManyRequests {
            retry_after_secs: 1,
        }
        .error_response();
        response
            .head_mut()
            .set_connection_type(ConnectionType::Close);
        return Ok(req.into_response(response).map_into_right_body());
    }

    let request_id = req
        .extensions()
        .get::<crate::middleware::RequestId>()
        .map(|id| id.0.clone())
        .unwrap_or_default();
    let _running = state.in_flight.start(RunningRequest {
        method: req.method().to_string(),
        path: req.path().chars().take(200).collect(),
        request_id,
        started: Instant::now(),
    });

    let timed_out = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let payload = req.take_payload();
    let deadline = DeadlinePayload {
        inner: payload,
        sleep: Box::pin(actix_web::rt::time::sleep(state.limits.body_timeout)),
        timed_out: timed_out.clone(),
        done: false,
    };
    req.set_payload(Payload::Stream {
        payload: Box::pin(deadline),
    });
    let response = next.call(req).await?;
    if timed_out.load(Ordering::Relaxed) {
        // Whatever the handler made of the broken body, the client was too
        // slow: say so, and close the connection it was holding.
        let (req, _) = response.into_parts();
        tracing::warn!(
            timeout_secs = state.limits.body_timeout.as_secs(),
            "request body not received in time; closing the connection"
        );
        let mut answer = problem_response(&Problem {
            problem_type: "/problems/request-timeout".to_owned(),
            title: "Request Timeout".to_owned(),
            status: 408,
            detail: format!(
                "the request body did not arrive within {} seconds",
                state.limits.body_timeout.as_secs()
            ),
            errors: None,
            existing_id: None,
        });
        answer.head_mut().set_connection_type(ConnectionType::Close);
        return Ok(ServiceResponse::new(req, answer).map_into_right_body());
    }
    Ok(response.map_into_left_body())
}

/// A request body that fails once its deadline passes.
struct DeadlinePayload {
    inner: Payload,
    sleep: Pin<Box<actix_web::rt::time::Sleep>>,
    timed_out: Arc<std::sync::atomic::AtomicBool>,
    done: bool,
}

impl Stream for DeadlinePayload {
    type Item = Result<Bytes, PayloadError>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        match Pin::new(&mut self.inner).poll_next(cx) {
            Poll::Ready(None) => {
                self.done = true;
                Poll::Ready(None)
            }
            Poll::Ready(item) => Poll::Ready(item),
            Poll::Pending => match self.sleep.as_mut().poll(cx) {
                Poll::Ready(()) => {
                    self.done = true;
                    self.timed_out.store(true, Ordering::Relaxed);
                    Poll::Ready(Some(Err(PayloadError::Io(std::io::Error::new(
                        std::io::ErrorKind::TimedOut,
                        "the request body was not received in time",
                    )))))
                }
                Poll::Pending => Poll::Pending,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_count_per_address_and_are_given_back() {
        let counts = ConnectionCounts::default();
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = counts.open(a);
        let second = counts.open(a);
        let other = counts.open(b);
        assert_eq!((first.nth, second.nth, other.nth), (1, 2, 1));
        assert_eq!(counts.open_from(a), 2);
        drop(second);
        assert_eq!(counts.open_from(a), 1);
        drop(first);
        assert_eq!(counts.open_from(a), 0);
        assert_eq!(counts.0.lock().unwrap().len(), 1);
    }

    #[test]
    fn requests_in_flight_are_listed_until_they_finish() {
        let in_flight = InFlight::default();
        let guard = in_flight.start(RunningRequest {
            method: "POST".into(),
            path: "/v1/imports/grantees".into(),
            request_id: "r1".into(),
            started: Instant::now(),
        });
        assert_eq!(in_flight.snapshot().len(), 1);
        drop(guard);
        assert!(in_flight.snapshot().is_empty());
    }
}
