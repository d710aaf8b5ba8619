//! `--faults SPEC`: fault injection for tests, as an axum middleware layer
//! around every route ([`layer`]).
//!
//! # Grammar
//! A comma-separated list of items:
//! - `latency=DURATION` or `latency=MIN..MAX`: added before each request
//!   (uniform in the range), e.g. `latency=50ms..200ms`.
//! - `VERB:CODE=RATE`: answer a fraction RATE (0..=1) of the requests of VERB
//!   with CODE (500, 503, or 429 with a `Retry-After` header) as a Kubernetes
//!   `Status`. VERB is one of `get`, `list`, `watch`, `create`, `update`,
//!   `patch`, `delete`, `log`, `eviction`, `discovery`, or `*` (every verb
//!   but discovery). Rules of the same verb are drawn in turn.
//! - `retry-after=SECONDS`: the `Retry-After` of a 429 (default 1).
//! - `watch-close=DURATION` or `watch-close=N`: close every watch after that
//!   long, or after N events.
//! - `log-rate=RATE`: stream `pods/log` at RATE bytes per second (`4KiB/s`).
//! - `seed=N`: the random sequence (default 0); the same seed and the same
//!   order of requests give the same faults.
//!
//! Example: `latency=50ms..200ms,get:500=0.1,list:429=0.2,patch:503=0.05,watch-close=30s,log-rate=4KiB/s,seed=7`.
//!
//! `/version`, `/healthz` and discovery (`/api`, `/apis`, `/openapi`) are
//! the `discovery` verb: neither delayed nor failed unless a `discovery:` rule
//! asks, since clients need them to start. A faulted request never reaches
//! the handler, so it changes nothing in the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};

use crate::error::ApiError;
use crate::request::{Route, parse_path};
use crate::units::{UnitError, parse_duration, parse_rate};

/// What a request does, for choosing its faults.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    Log,
    Eviction,
    Discovery,
}

impl Verb {
    fn parse(s: &str) -> Option<Option<Verb>> {
        Some(Some(match s {
            "*" => return Some(None),
            "get" => Verb::Get,
            "list" => Verb::List,
            "watch" => Verb::Watch,
            "create" => Verb::Create,
            "update" => Verb::Update,
            "patch" => Verb::Patch,
            "delete" => Verb::Delete,
            "log" => Verb::Log,
            "eviction" => Verb::Eviction,
            "discovery" => Verb::Discovery,
            _ => return None,
        }))
    }

    /// The verb of a request.
    pub fn of(method: &Method, path: &str, query: &str) -> Verb {
        let watch_param = query
            .split('&')
            .any(|kv| kv == "watch=true" || kv == "watch=1");
        let route = match parse_path(path) {
            Some(Route::Resource(p)) => p,
            _ => return Verb::Discovery,
        };
        match (method, route.subresource.as_deref()) {
            (_, Some("log")) => Verb::Log,
            (_, Some("eviction")) => Verb::Eviction,
            (&Method::GET, _) if route.watch || watch_param => Verb::Watch,
            (&Method::GET, _) if route.name.is_some() => Verb::Get,
            (&Method::GET, _) => Verb::List,
            (&Method::POST, _) => Verb::Create,
            (&Method::PUT, _) => Verb::Update,
            (&Method::PATCH, _) => Verb::Patch,
            (&Method::DELETE, _) => Verb::Delete,
            _ => Verb::Get,
        }
    }
}

/// An error rule: `verb:code=rate`.
#[derive(Debug, Clone, PartialEq)]
pub struct ErrorRule {
    /// `None` for `*` (every verb but discovery).
    pub verb: Option<Verb>,
    pub code: u16,
    pub rate: f64,
}

/// When watches are closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchClose {
    After(Duration),
    Events(usize),
}

/// A parsed `--faults` spec.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FaultSpec {
    pub latency: Option<(Duration, Duration)>,
    pub errors: Vec<ErrorRule>,
    pub retry_after: Option<u32>,
    pub watch_close: Option<WatchClose>,
    /// Bytes per second for `pods/log`.
    pub log_rate: Option<u64>,
    pub seed: u64,
}

impl std::fmt::Display for FaultSpec {
    /// The spec in the `--faults` grammar, so what is printed can be pasted back.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut items: Vec<String> = Vec::new();
        if let Some((lo, hi)) = self.latency {
            items.push(if lo == hi {
                format!("latency={}ms", lo.as_millis())
            } else {
                format!("latency={}ms..{}ms", lo.as_millis(), hi.as_millis())
            });
        }
        for e in &self.errors {
            let verb = e
                .verb
                .map_or("*".to_owned(), |v| format!("{v:?}").to_ascii_lowercase());
            items.push(format!("{verb}:{}={}", e.code, e.rate));
        }
        if let Some(r) = self.retry_after {
            items.push(format!("retry-after={r}"));
        }
        match self.watch_close {
            Some(WatchClose::After(d)) => items.push(format!("watch-close={}ms", d.as_millis())),
            Some(WatchClose::Events(n)) => items.push(format!("watch-close={n}")),
            None => {}
        }
        if let Some(b) = self.log_rate {
            items.push(format!("log-rate={b}B/s"));
        }
        items.push(format!("seed={}", self.seed));
        f.write_str(&items.join(","))
    }
}

/// A spec that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultSpecError {
    #[error("fault {item:?}: {why}")]
    Item { item: String, why: String },
    #[error(transparent)]
    Unit(#[from] UnitError),
}

fn bad(item: &str, why: impl Into<String>) -> FaultSpecError {
    FaultSpecError::Item {
        item: item.to_owned(),
        why: why.into(),
    }
}

impl std::str::FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut spec = FaultSpec::default();
        for item in s.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            let (key, value) = item
                .split_once('=')
                .ok_or_else(|| bad(item, "expected KEY=VALUE"))?;
            match key {
                "latency" => {
                    let (lo, hi) = value.split_once("..").unwrap_or((value, value));
                    let (lo, hi) = (parse_duration(lo)?, parse_duration(hi)?);
                    if hi < lo {
                        return Err(bad(item, "the range's end is before its start"));
                    }
                    spec.latency = Some((lo, hi));
                }
                "seed" => {
                    spec.seed = value
                        .parse()
                        .map_err(|_| bad(item, "expected an integer"))?
                }
                "retry-after" => {
                    spec.retry_after = Some(
                        value
                            .parse()
                            .map_err(|_| bad(item, "expected whole seconds"))?,
                    )
                }
                "log-rate" => spec.log_rate = Some(parse_rate(value)?),
                "watch-close" => {
                    spec.watch_close = Some(match value.parse::<usize>() {
                        Ok(n) if n > 0 => WatchClose::Events(n),
                        Ok(_) => return Err(bad(item, "expected at least one event")),
                        Err(_) => WatchClose::After(parse_duration(value)?),
                    })
                }
                _ => {
                    let (verb, code) = key.split_once(':').ok_or_else(|| {
                        bad(item, "unknown key (latency, VERB:CODE, retry-after, watch-close, log-rate, seed)")
                    })?;
                    let verb = Verb::parse(verb).ok_or_else(|| bad(item, "unknown verb"))?;
                    let code: u16 = code.parse().map_err(|_| bad(item, "bad code"))?;
                    if !matches!(code, 429 | 500 | 503) {
                        return Err(bad(item, "codes are 429, 500 or 503"));
                    }
                    let rate: f64 = value.parse().map_err(|_| bad(item, "bad rate"))?;
                    if !(0.0..=1.0).contains(&rate) {
                        return Err(bad(item, "a rate is between 0 and 1"));
                    }
                    spec.errors.push(ErrorRule { verb, code, rate });
                }
            }
        }
        Ok(spec)
    }
}

/// A spec being applied: the spec and its random sequence.
#[derive(Debug)]
pub struct Faults {
    spec: FaultSpec,
    draws: AtomicU64,
}

/// SplitMix64, as [`crate::ids`] mixes.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Faults {
    pub fn new(spec: FaultSpec) -> Self {
        Faults {
            spec,
            draws: AtomicU64::new(0),
        }
    }

    /// The next number of the sequence, uniform in [0, 1).
    fn draw(&self) -> f64 {
        let n = self.draws.fetch_add(1, Ordering::Relaxed);
        (mix(self.spec.seed ^ mix(n)) >> 11) as f64 / (1u64 << 53) as f64
    }

    /// The error a request of `verb` gets, if any.
    fn error(&self, verb: Verb) -> Option<ApiError> {
        for rule in &self.spec.errors {
            let applies = match rule.verb {
                Some(v) => v == verb,
                None => verb != Verb::Discovery,
            };
            if !applies || self.draw() >= rule.rate {
                continue;
            }
            let mut e = match rule.code {
                429 => ApiError::new(
                    429,
                    "TooManyRequests",
                    "the server has received too many requests and has asked us to try again later (injected fault)",
                ),
                503 => ApiError::new(
                    503,
                    "ServiceUnavailable",
                    "the server is currently unable to handle the request (injected fault)",
                ),
                _ => ApiError::new(
                    500,
                    "InternalError",
                    "an error on the server has prevented the request from succeeding (injected fault)",
                ),
            };
            if rule.code == 429 {
                e.retry_after = Some(self.spec.retry_after.unwrap_or(1));
                e.details = Some(
                    serde_json::json!({"retryAfterSeconds": self.spec.retry_after.unwrap_or(1)}),
                );
            }
            return Some(e);
        }
        None
    }

    fn latency(&self) -> Option<Duration> {
        let (lo, hi) = self.spec.latency?;
        Some(lo + (hi - lo).mul_f64(self.draw()))
    }
}

/// `router` with `faults` applied to every route.
pub fn layer(router: Router, faults: Arc<Faults>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(faults, inject))
}

async fn inject(State(f): State<Arc<Faults>>, req: Request, next: Next) -> Response {
    let verb = Verb::of(
        req.method(),
        req.uri().path(),
        req.uri().query().unwrap_or(""),
    );
    if verb != Verb::Discovery
        && let Some(d) = f.latency()
    {
        tokio::time::sleep(d).await;
    }
    if let Some(e) = f.error(verb) {
        return e.into_response();
    }
    let resp = next.run(req).await;
    if !resp.status().is_success() {
        return resp;
    }
    match (verb, f.spec.watch_close, f.spec.log_rate) {
        (Verb::Watch, Some(close), _) => resp.map(|b| close_watch(b, close)),
        (Verb::Log, _, Some(rate)) => resp.map(|b| throttle(b, rate)),
        _ => resp,
    }
}

type Chunks = std::pin::Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>;

/// A watch body ended after a time or a number of events (one per line).
fn close_watch(body: Body, close: WatchClose) -> Body {
    let stream: Chunks = Box::pin(body.into_data_stream());
    match close {
        WatchClose::After(d) => Body::from_stream(stream.take_until(tokio::time::sleep(d))),
        WatchClose::Events(n) => {
            let s = futures_util::stream::unfold((stream, n), |(mut s, left)| async move {
                if left == 0 {
                    return None;
                }
                match s.next().await? {
                    Ok(chunk) => {
                        // Cut after the `left`-th newline, if it is in this chunk.
                        let mut seen = 0;
                        let cut = chunk.iter().position(|&b| {
                            seen += usize::from(b == b'\n');
                            seen == left
                        });
                        match cut {
                            Some(i) => Some((Ok(chunk.slice(..=i)), (s, 0))),
                            None => Some((Ok(chunk), (s, left - seen))),
                        }
                    }
                    Err(e) => Some((Err(e), (s, 0))),
                }
            });
            Body::from_stream(s)
        }
    }
}

/// A body streamed at `rate` bytes per second, in tenths of a second.
fn throttle(body: Body, rate: u64) -> Body {
    let piece = (rate / 10).max(1) as usize;
    let pause = Duration::from_secs_f64(piece as f64 / rate as f64);
    let stream: Chunks = Box::pin(body.into_data_stream());
    let s = futures_util::stream::unfold(
        (stream, Bytes::new()),
        move |(mut s, mut pending)| async move {
            if pending.is_empty() {
                match s.next().await? {
                    Ok(b) => pending = b,
                    Err(e) => return Some((Err(e), (s, Bytes::new()))),
                }
            }
            tokio::time::sleep(pause).await;
            let out = pending.split_to(piece.min(pending.len()));
            Some((Ok(out), (s, pending)))
        },
    );
    Body::from_stream(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_example() {
        let s: FaultSpec = "latency=50ms..200ms,get:500=0.1,list:429=0.2,patch:503=0.05,watch-close=30s,log-rate=4KiB/s,seed=7"
            .parse()
            .unwrap();
        assert_eq!(
            s.latency,
            Some((Duration::from_millis(50), Duration::from_millis(200)))
        );
        assert_eq!(s.errors.len(), 3);
        assert_eq!(
            s.errors[1],
            ErrorRule {
                verb: Some(Verb::List),
                code: 429,
                rate: 0.2
            }
        );
        assert_eq!(
            s.watch_close,
            Some(WatchClose::After(Duration::from_secs(30)))
        );
        assert_eq!(s.log_rate, Some(4096));
        assert_eq!(s.seed, 7);
        let n: FaultSpec = "watch-close=5,*:503=1,latency=10ms".parse().unwrap();
        assert_eq!(n.watch_close, Some(WatchClose::Events(5)));
        assert_eq!(n.errors[0].verb, None);
        for bad in [
            "get:404=0.1",
            "get:500=2",
            "frob:500=0.1",
            "latency=2s..1s",
            "nonsense",
            "log-rate=fast",
        ] {
            assert!(bad.parse::<FaultSpec>().is_err(), "{bad}");
        }
    }

    #[test]
    fn verbs_of_requests() {
        let v = |m: Method, p: &str, q: &str| Verb::of(&m, p, q);
        assert_eq!(v(Method::GET, "/version", ""), Verb::Discovery);
        assert_eq!(v(Method::GET, "/apis/apps/v1", ""), Verb::Discovery);
        assert_eq!(v(Method::GET, "/api/v1/namespaces/a/pods", ""), Verb::List);
        assert_eq!(
            v(Method::GET, "/api/v1/namespaces/a/pods", "watch=true"),
            Verb::Watch
        );
        assert_eq!(v(Method::GET, "/api/v1/namespaces/a/pods/p", ""), Verb::Get);
        assert_eq!(
            v(Method::GET, "/api/v1/namespaces/a/pods/p/log", ""),
            Verb::Log
        );
        assert_eq!(
            v(
                Method::PATCH,
                "/apis/apps/v1/namespaces/a/deployments/d/scale",
                ""
            ),
            Verb::Patch
        );
    }

    #[test]
    fn the_same_seed_draws_the_same_faults() {
        let spec: FaultSpec = "get:500=0.5,seed=3".parse().unwrap();
        let run = || {
            let f = Faults::new(spec.clone());
            (0..64)
                .map(|_| f.error(Verb::Get).is_some())
                .collect::<Vec<_>>()
        };
        let a = run();
        assert_eq!(a, run());
        let n = a.iter().filter(|x| **x).count();
        assert!((16..=48).contains(&n), "{n}");
        let f = Faults::new(spec);
        assert!((0..32).all(|_| f.error(Verb::Discovery).is_none()));
    }

    #[test]
    fn a_printed_spec_parses_back_to_itself() {
        let spec: FaultSpec = "latency=50ms..200ms,get:500=0.1,*:503=0.05,list:429=0.2,retry-after=3,watch-close=7,log-rate=4KiB/s,seed=9"
            .parse()
            .unwrap();
        let again: FaultSpec = spec.to_string().parse().unwrap();
        assert_eq!(again, spec);
        let timed: FaultSpec = "watch-close=30s".parse().unwrap();
        assert_eq!(timed.to_string().parse::<FaultSpec>().unwrap(), timed);
    }
}
