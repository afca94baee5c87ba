//! Password hashing with argon2id, and the small pool of threads that
//! does it for requests.
//!
//! Hashing and verifying take tens of milliseconds of CPU and 19 MiB of
//! memory each, by design. Run on actix's blocking pool (up to hundreds of
//! threads), a flood of sign-ins hashed hundreds of passwords at once: it
//! took every core from other requests and left ~2 GB resident, because
//! each thread's allocator arena kept its 19 MiB block after the hash.
//! [`HashingPool`] runs them on a few threads of their own with a bounded
//! queue instead; beyond the queue a sign-in is refused at once with 503
//! and `Retry-After`.

use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;

use crate::error::ApiError;

/// Hashes a password with argon2id (default parameters, random salt) and
/// returns the PHC string to store.
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt)
        .map_err(|error| ApiError::Internal(format!("encoding a salt: {error}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|error| ApiError::Internal(format!("hashing a password: {error}")))
}

/// Whether `password` matches a stored PHC string. An unparseable hash
/// matches nothing.
#[must_use]
pub fn verify_password(phc: &str, password: &str) -> bool {
    match PasswordHash::new(phc) {
        // The parameters come from the stored hash, so hashes made with
        // older settings keep verifying after the defaults change.
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Spends as long as [`verify_password`] does, for sign-ins naming an
/// unknown email, so response times do not reveal which emails have
/// accounts.
pub fn dummy_verify(password: &str) {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let phc = DUMMY.get_or_init(|| {
        // Hashed on first use rather than written out as a literal so that
        // its cost follows the library's current default parameters.
        hash_password("grantledger dummy password").unwrap_or_default()
    });
    let _ = verify_password(phc, password);
}

type Job = Box<dyn FnOnce() + Send>;

/// A few threads that hash and verify passwords, fed by a bounded queue.
///
/// The threads are the bound on CPU (half the cores, at least one, so a
/// flood of sign-ins leaves the rest for everything else) and on memory
/// (one argon2 block per thread, reused by its allocator arena). The queue
/// bounds waiting: when it is full the caller gets 503 at once rather
/// than a wait without end.
pub struct HashingPool {
    sender: SyncSender<Job>,
    threads: usize,
    queue: usize,
}

impl std::fmt::Debug for HashingPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashingPool")
            .field("threads", &self.threads)
            .field("queue", &self.queue)
            .finish()
    }
}

/// Queued hashes allowed per hashing thread; at ~20 ms a hash that is
/// well under a second of waiting.
pub const QUEUE_PER_THREAD: usize = 16;

impl Default for HashingPool {
    /// Half the cores (at least one), with [`QUEUE_PER_THREAD`] waiting
    /// hashes per thread.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
        let threads = (cores / 2).max(1);
        HashingPool::new(threads, threads * QUEUE_PER_THREAD)
    }
}

impl HashingPool {
    /// A pool of `threads` hashing threads (at least one) and room for
    /// `queue` waiting jobs. The threads end when the pool is dropped.
    #[must_use]
    pub fn new(threads: usize, queue: usize) -> HashingPool {
        let threads = threads.max(1);
        let (sender, receiver) = sync_channel::<Job>(queue);
        let receiver = Arc::new(Mutex::new(receiver));
        for n in 0..threads {
            let receiver = receiver.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("argon2-{n}"))
                .spawn(move || work(&receiver));
            if let Err(error) = spawned {
                tracing::error!(%error, "could not start a password hashing thread");
            }
        }
        HashingPool {
            sender,
            threads,
            queue,
        }
    }

    /// Runs `f` (which hashes or verifies) on a hashing thread. 503 with
    /// `Retry-After` when the queue is full.
    pub async fn run<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(f());
        });
        match self.sender.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                return Err(ApiError::Busy {
                    detail: "the server is busy checking other sign-ins; try again shortly".into(),
                    retry_after_secs: 1,
                });
            }
            Err(TrySendError::Disconnected(_)) => {
                return Err(ApiError::Internal(
                    "the password hashing threads have stopped".into(),
                ));
            }
        }
        rx.await
            .map_err(|_| ApiError::Internal("a password hashing job failed".into()))
    }
}

fn work(receiver: &Mutex<Receiver<Job>>) {
    loop {
        // Hold the lock only to take a job, never while running it.
        let job = match receiver.lock() {
            Ok(receiver) => receiver.recv(),
            Err(poisoned) => poisoned.into_inner().recv(),
        };
        let Ok(job) = job else {
            // The pool is gone.
            return;
        };
        // A panicking job drops its answer channel (the caller gets a 500)
        // and must not take the thread with it.
        let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    #[test]
    fn hashes_verify_and_are_salted() {
        let first = hash_password("correct horse battery staple").unwrap();
        let second = hash_password("correct horse battery staple").unwrap();
        assert!(first.starts_with("$argon2id$"), "{first}");
        assert_ne!(first, second);
        assert!(verify_password(&first, "correct horse battery staple"));
        assert!(!verify_password(&first, "Correct horse battery staple"));
    }

    #[test]
    fn unparseable_hashes_match_nothing() {
        assert!(!verify_password("", "x"));
        assert!(!verify_password("not a hash", "x"));
        assert!(!verify_password("$argon2id$v=19$m=bad", "x"));
    }

    #[actix_web::test]
    async fn the_pool_runs_jobs_and_refuses_beyond_its_queue() {
        let pool = HashingPool::new(1, 1);
        assert_eq!(pool.run(|| 2 + 2).await.unwrap(), 4);
        // Hold the only thread, fill the one queue place, and the next is 503.
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let (started_tx, started) = std::sync::mpsc::channel::<()>();
        let mut busy = Box::pin(pool.run(move || {
            let _ = started_tx.send(());
            let _ = hold.recv();
        }));
        assert!(futures_util::poll!(busy.as_mut()).is_pending());
        started
            .recv_timeout(std::time::Duration::from_secs(10))
            .unwrap();
        let mut queued = Box::pin(pool.run(|| ()));
        assert!(futures_util::poll!(queued.as_mut()).is_pending());
        match pool.run(|| ()).await {
            Err(ApiError::Busy {
                retry_after_secs, ..
            }) => assert_eq!(retry_after_secs, 1),
            other => panic!("expected 503, got {other:?}"),
        }
        release.send(()).unwrap();
        busy.await.unwrap();
        queued.await.unwrap();
        // A panicking job is a 500 and the thread carries on.
        assert!(pool.run(|| -> u8 { panic!("boom") }).await.is_err());
        assert_eq!(pool.run(|| 1).await.unwrap(), 1);
    }

    #[test]
    fn dummy_verify_costs_about_as_much_as_a_real_one() {
        let phc = hash_password("some password here").unwrap();
        dummy_verify("warm up the lazy hash");
        let start = Instant::now();
        let _ = verify_password(&phc, "wrong password");
        let real = start.elapsed();
        let start = Instant::now();
        dummy_verify("wrong password");
        let dummy = start.elapsed();
        // Loose bounds: this guards against the dummy being a no-op, not
        // against scheduler noise.
        assert!(dummy * 4 > real, "dummy {dummy:?} vs real {real:?}");
    }
}
