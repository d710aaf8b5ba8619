//! The request discipline: at most N requests in flight (a semaphore), a
//! client-side token bucket, retries with exponential back-off and jitter on
//! 429 (honouring the server's Retry-After), 5xx, timeouts and closed
//! connections, and one hard deadline for everything.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use tokio::time::Instant;

use crate::limits::Limits;

/// Why a request gave no answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CallError {
    /// The overall deadline passed before (or while) it ran.
    Deadline,
    /// 401 or 403: credentials or RBAC.
    Denied { code: u16, message: String },
    /// 404: absent (a pod gone, a CRD not installed, no previous log).
    NotFound,
    /// 410: a continue token expired; the list must restart.
    Gone,
    /// Another 4xx: the request was refused as asked (a log with no previous run).
    Rejected { code: u16, message: String },
    /// 429 on every attempt: the server (or, for evictions, a
    /// PodDisruptionBudget) keeps refusing for now.
    Throttled(String),
    /// Anything else, after retries where retrying made sense.
    Failed(String),
}

impl std::error::Error for CallError {}

impl std::fmt::Display for CallError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CallError::Deadline => f.write_str("the --timeout deadline passed"),
            CallError::Denied { code, message } => write!(f, "denied ({code}): {message}"),
            CallError::NotFound => f.write_str("not found"),
            CallError::Gone => f.write_str("continue token expired (410)"),
            CallError::Rejected { code, message } => write!(f, "{code}: {message}"),
            CallError::Throttled(m) => write!(f, "still refused after retries: {m}"),
            CallError::Failed(m) => f.write_str(m),
        }
    }
}

/// Token bucket state.
struct Bucket {
    tokens: f64,
    last: Instant,
}

/// Shared by every request of one collection.
pub struct Pacer {
    permits: Semaphore,
    bucket: Mutex<Bucket>,
    qps: f64,
    burst: f64,
    deadline: Instant,
    request_timeout: Duration,
    max_retries: u32,
    seed: AtomicU64,
    requests: AtomicU64,
    retries: AtomicU64,
}

/// What a failed attempt means.
enum Verdict {
    /// Retry after the server's Retry-After, or back-off; the text says why.
    Retry(Option<Duration>, String),
    /// A 429: retried like the others, but told apart when retries run out.
    Throttle(Option<Duration>, String),
    Stop(CallError),
}

impl Pacer {
    /// A pacer for `limits`, its deadline counted from now.
    pub fn new(limits: &Limits) -> Pacer {
        let burst = f64::from(limits.burst.max(1));
        Pacer {
            permits: Semaphore::new(limits.concurrency.max(1)),
            bucket: Mutex::new(Bucket {
                tokens: burst,
                last: Instant::now(),
            }),
            qps: limits.qps.max(0.01),
            burst,
            deadline: Instant::now() + limits.timeout,
            request_timeout: limits.request_timeout,
            max_retries: limits.max_retries,
            // Jitter only needs to decorrelate clients, not be unpredictable.
            seed: AtomicU64::new(
                std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0x9e37_79b9, |d| d.as_nanos() as u64)
                    | 1,
            ),
            requests: AtomicU64::new(0),
            retries: AtomicU64::new(0),
        }
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        Instant::now() >= self.deadline
    }

    /// Requests sent so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Retries so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }

    /// Runs one request (built afresh by `f` for every attempt) under the
    /// discipline.
    pub async fn call<T, F, Fut>(&self, f: F) -> Result<T, CallError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<T, kube::Error>>,
    {
        let mut attempt = 0u32;
        loop {
            if self.expired() {
                return Err(CallError::Deadline);
            }
            let verdict = {
                // The permit is held for the request only, not for back-off sleeps.
                let _permit = tokio::time::timeout_at(self.deadline, self.permits.acquire())
                    .await
                    .map_err(|_| CallError::Deadline)?
                    .map_err(|_| CallError::Failed("semaphore closed".into()))?;
                self.take_token().await?;
                self.requests.fetch_add(1, Ordering::Relaxed);
                let until = (Instant::now() + self.request_timeout).min(self.deadline);
                match tokio::time::timeout_at(until, f()).await {
                    Ok(Ok(v)) => return Ok(v),
                    Ok(Err(e)) => classify(e),
                    Err(_) if self.expired() => return Err(CallError::Deadline),
                    Err(_) => Verdict::Retry(None, "request timed out".into()),
                }
            };
            match verdict {
                Verdict::Stop(e) => return Err(e),
                Verdict::Throttle(_, last) if attempt >= self.max_retries => {
                    return Err(CallError::Throttled(last));
                }
                Verdict::Retry(_, last) if attempt >= self.max_retries => {
                    return Err(CallError::Failed(format!(
                        "gave up after {} attempts; last: {last}",
                        attempt + 1
                    )));
                }
                Verdict::Retry(after, _) | Verdict::Throttle(after, _) => {
                    let wait = after.unwrap_or_else(|| self.backoff(attempt));
                    if Instant::now() + wait >= self.deadline {
                        return Err(CallError::Deadline);
                    }
                    self.retries.fetch_add(1, Ordering::Relaxed);
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
            }
        }
    }

    /// Exponential back-off from 200 ms, capped at 5 s, with full jitter
    /// between half and all of it.
    fn backoff(&self, attempt: u32) -> Duration {
        let base = 200u64.saturating_mul(1 << attempt.min(5)).min(5_000);
        let r = self.next_random() % (base / 2 + 1);
        Duration::from_millis(base / 2 + r)
    }

    /// xorshift64: cheap jitter.
    fn next_random(&self) -> u64 {
        let mut x = self.seed.load(Ordering::Relaxed);
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.seed.store(x, Ordering::Relaxed);
        x
    }

    /// Waits for a token of the bucket (or the deadline).
    async fn take_token(&self) -> Result<(), CallError> {
        loop {
            let wait = {
                let mut b = self.bucket.lock().await;
                let now = Instant::now();
                let refill = now.duration_since(b.last).as_secs_f64() * self.qps;
                b.tokens = (b.tokens + refill).min(self.burst);
                b.last = now;
                if b.tokens >= 1.0 {
                    b.tokens -= 1.0;
                    return Ok(());
                }
                Duration::from_secs_f64((1.0 - b.tokens) / self.qps)
            };
            if Instant::now() + wait >= self.deadline {
                return Err(CallError::Deadline);
            }
            tokio::time::sleep(wait).await;
        }
    }
}

/// Sorts a client error into retry or stop.
fn classify(e: kube::Error) -> Verdict {
    match e {
        kube::Error::Api(s) => match s.code {
            401 | 403 => Verdict::Stop(CallError::Denied {
                code: s.code,
                message: s.message.clone(),
            }),
            404 => Verdict::Stop(CallError::NotFound),
            410 => Verdict::Stop(CallError::Gone),
            429 => Verdict::Throttle(
                s.details
                    .as_ref()
                    .map(|d| d.retry_after_seconds)
                    .filter(|&n| n > 0)
                    .map(|n| Duration::from_secs(u64::from(n).min(30))),
                format!("429: {}", s.message),
            ),
            500..=599 => Verdict::Retry(None, format!("{}: {}", s.code, s.message)),
            400..=499 => Verdict::Stop(CallError::Rejected {
                code: s.code,
                message: s.message.clone(),
            }),
            code => Verdict::Stop(CallError::Failed(format!("{code}: {}", s.message))),
        },
        // Discovery found no such group or kind: not installed.
        kube::Error::Discovery(_) => Verdict::Stop(CallError::NotFound),
        // Closed connections and transport hiccups are worth another try.
        e @ (kube::Error::HyperError(_) | kube::Error::Service(_)) => {
            Verdict::Retry(None, e.to_string())
        }
        other => Verdict::Stop(CallError::Failed(other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bucket_paces_beyond_burst() {
        let limits = Limits {
            qps: 50.0,
            burst: 2,
            ..Limits::default()
        };
        let p = Pacer::new(&limits);
        let start = Instant::now();
        for _ in 0..4 {
            p.take_token().await.unwrap();
        }
        // Two from the burst, two more at 50/s.
        assert!(start.elapsed() >= Duration::from_millis(35));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let p = Pacer::new(&Limits::default());
        for a in 0..10 {
            let d = p.backoff(a);
            assert!(d <= Duration::from_secs(5));
            assert!(d >= Duration::from_millis(100));
        }
    }
}
