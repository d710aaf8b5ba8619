//! An access log: one line per request with the bytes sent, so that
//! different clients of the same replay (unloop, kubectl) are measured the
//! same way (`unloop replay --access-log FILE`, used by `bench/live.sh`).
//!
//! A line is written when the response body has been sent (or dropped, for a
//! client that hung up or a watch that ended):
//!
//! ```text
//! GET /api/v1/pods?limit=500 200 1048576
//! ```
//!
//! method, path and query as requested, status, and body bytes sent.

use std::io::Write;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use futures_util::Stream;

/// Where access lines go.
pub struct AccessLog {
    out: Mutex<Box<dyn Write + Send>>,
}

impl AccessLog {
    /// Lines go to `out` (a file, typically), flushed line by line so that a
    /// reader sees every finished request.
    pub fn new(out: Box<dyn Write + Send>) -> Self {
        AccessLog {
            out: Mutex::new(out),
        }
    }

    fn line(&self, line: &str) {
        let mut out = self.out.lock().unwrap_or_else(|e| e.into_inner());
        // A full disk must not take the server down: the line is lost.
        let _ = writeln!(out, "{line}");
        let _ = out.flush();
    }
}

/// `router` with every request logged to `log`.
pub fn layer(router: Router, log: Arc<AccessLog>) -> Router {
    router.layer(axum::middleware::from_fn_with_state(log, record))
}

async fn record(State(log): State<Arc<AccessLog>>, req: Request, next: Next) -> Response {
    let what = format!(
        "{} {}",
        req.method(),
        req.uri()
            .path_and_query()
            .map_or_else(|| req.uri().path().to_owned(), |p| p.as_str().to_owned())
    );
    let resp = next.run(req).await;
    let status = resp.status().as_u16();
    resp.map(|body| {
        Body::from_stream(Counted {
            inner: Box::pin(body.into_data_stream()),
            bytes: 0,
            prefix: format!("{what} {status}"),
            log,
        })
    })
}

/// A body that counts what passes and logs the total when it is dropped.
struct Counted {
    inner: Pin<Box<dyn Stream<Item = Result<Bytes, axum::Error>> + Send>>,
    bytes: u64,
    prefix: String,
    log: Arc<AccessLog>,
}

impl Stream for Counted {
    type Item = Result<Bytes, axum::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let r = self.inner.as_mut().poll_next(cx);
        if let Poll::Ready(Some(Ok(chunk))) = &r {
            self.bytes += chunk.len() as u64;
        }
        r
    }
}

impl Drop for Counted {
    fn drop(&mut self) {
        self.log.line(&format!("{} {}", self.prefix, self.bytes));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use tower::ServiceExt;

    /// A writer the test can read back.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Vec<u8>>>);

    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn one_line_per_request_with_the_bytes_sent() {
        let buf = Shared::default();
        let log = Arc::new(AccessLog::new(Box::new(buf.clone())));
        let app = layer(
            Router::new().route("/api/v1/pods", get(|| async { "x".repeat(1234) })),
            log,
        );
        let resp = app
            .oneshot(
                Request::builder()
                    .uri("/api/v1/pods?limit=500")
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        assert_eq!(body.len(), 1234);
        let text = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(text, "GET /api/v1/pods?limit=500 200 1234\n");
    }
}
