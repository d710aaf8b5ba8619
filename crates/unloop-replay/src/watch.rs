//! Watches: a stream of `ADDED`/`MODIFIED`/`DELETED` JSON lines as objects
//! change, with bookmarks when asked, `timeoutSeconds`, `sendInitialEvents`,
//! and 410 Gone (an `ERROR` event, as the real server's watch cache sends it)
//! for a resourceVersion older than the store's history.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use serde_json::{Value, json};
use tokio::sync::{broadcast, mpsc};

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::list::{Filter, ctx, parse_rv};
use crate::meta;
use crate::request::{Params, Shape};
use crate::resources::ResourceInfo;
use crate::store::{Change, ChangeType};
use crate::table::{self, Include};

/// What a watch selects and how it answers.
struct Watch {
    replay: Arc<Replay>,
    res: Arc<ResourceInfo>,
    ns: Option<String>,
    name: Option<String>,
    filter: Filter,
    shape: Shape,
    include: Include,
    /// Table column definitions go with the first event only.
    columns_sent: bool,
}

impl Watch {
    fn selects(&self, o: &Value) -> bool {
        self.ns.as_deref().is_none_or(|n| meta::namespace(o) == n)
            && self.name.as_deref().is_none_or(|n| meta::name(o) == n)
            && self.filter.matches(o)
    }

    fn event(&mut self, ty: &str, obj: &Value) -> Bytes {
        let object = match self.shape {
            Shape::Full => obj.clone(),
            Shape::Metadata => meta::partial(obj),
            Shape::Table => {
                let rv = meta::str_at(obj, &["metadata", "resourceVersion"]).unwrap_or("");
                let t = table::table(
                    &self.res,
                    [obj],
                    self.include,
                    &ctx(&self.replay),
                    json!({"resourceVersion": rv}),
                    !self.columns_sent,
                );
                self.columns_sent = true;
                t
            }
        };
        line(&json!({"type": ty, "object": object}))
    }

    fn bookmark(&self, rv: u64, initial_end: bool) -> Bytes {
        let mut m = json!({"resourceVersion": rv.to_string(), "creationTimestamp": null});
        if initial_end {
            m["annotations"] = json!({"k8s.io/initial-events-end": "true"});
        }
        line(&json!({"type": "BOOKMARK", "object": {
            "kind": self.res.kind, "apiVersion": self.res.api_version(), "metadata": m}}))
    }

    /// The event a change makes for this watch, if any: objects moving into
    /// the selection are ADDED, out of it DELETED.
    fn change(&mut self, c: &Change) -> Option<Bytes> {
        if c.storage != self.res.storage() {
            return None;
        }
        let was = c.previous.as_deref().is_some_and(|p| self.selects(p));
        match c.kind {
            ChangeType::Added => self
                .selects(&c.object)
                .then(|| self.event("ADDED", &c.object)),
            ChangeType::Deleted => was.then(|| self.event("DELETED", &c.object)),
            ChangeType::Modified => match (was, self.selects(&c.object)) {
                (true, true) => Some(self.event("MODIFIED", &c.object)),
                (false, true) => Some(self.event("ADDED", &c.object)),
                (true, false) => {
                    let mut gone = c.previous.as_deref().cloned().unwrap_or(Value::Null);
                    meta::set_meta(&mut gone, "resourceVersion", json!(c.rv.to_string()));
                    Some(self.event("DELETED", &gone))
                }
                (false, false) => None,
            },
        }
    }
}

fn line(v: &Value) -> Bytes {
    let mut b = serde_json::to_vec(v).unwrap_or_default();
    b.push(b'\n');
    Bytes::from(b)
}

/// Where the watch starts.
enum Start {
    /// Synthetic ADDED events for the current objects first.
    Initial { bookmark_after: bool },
    /// Replay the changes after this version.
    From(u64),
}

/// Answers a watch request on `res` (one object if `name`).
pub fn watch(
    replay: Arc<Replay>,
    res: Arc<ResourceInfo>,
    ns: Option<String>,
    name: Option<String>,
    params: &Params,
    shape: Shape,
) -> ApiResult<Response> {
    let filter = Filter::from_params(params, &res)?;
    let bookmarks = params.flag("allowWatchBookmarks");
    let timeout = match params.number("timeoutSeconds")? {
        Some(s) if s > 0 => Duration::from_secs(s as u64),
        _ => replay.options.default_watch_timeout,
    };
    let rv = params
        .non_empty("resourceVersion")
        .map(parse_rv)
        .transpose()?;
    let start = if params.flag("sendInitialEvents") {
        if !bookmarks || params.get("resourceVersionMatch") != Some("NotOlderThan") {
            return Err(ApiError::invalid(
                "ListOptions",
                "meta.k8s.io",
                "",
                &[("sendInitialEvents", "Forbidden: sendInitialEvents requires setting allowWatchBookmarks=true and resourceVersionMatch=NotOlderThan".into())],
            ));
        }
        Start::Initial {
            bookmark_after: true,
        }
    } else {
        match rv {
            None | Some(0) => Start::Initial {
                bookmark_after: false,
            },
            Some(n) => Start::From(n),
        }
    };
    let mut w = Watch {
        include: Include::parse(params.get("includeObject")),
        replay: replay.clone(),
        res: res.clone(),
        ns,
        name,
        filter,
        shape,
        columns_sent: false,
    };
    let storage = res.storage();
    // The backlog and the subscription are taken together: nothing is lost
    // or doubled between them.
    let ((backlog, start_rv), rx) = replay.store.read_and_subscribe(|view| {
        let now = view.resource_version();
        match start {
            Start::Initial { .. } => {
                let mut objs = Vec::new();
                view.scan(&storage, w.ns.as_deref(), None, None, |_, o| {
                    if w.selects(o) {
                        objs.push(o.clone());
                    }
                    true
                });
                (Ok(objs.iter().map(|o| w.event("ADDED", o)).collect()), now)
            }
            Start::From(n) => match view.changes_since(n) {
                None => (Err(n), now),
                Some(changes) => {
                    let out = changes.iter().filter_map(|c| w.change(c)).collect();
                    (Ok(out), now.max(n))
                }
            },
        }
    });
    let (tx, body_rx) = mpsc::channel::<Bytes>(64);
    match backlog {
        Err(n) => {
            let floor = replay.store.floor();
            let status =
                ApiError::expired(format!("too old resource version: {n} ({floor})")).status();
            let _ = tx.try_send(line(&json!({"type": "ERROR", "object": status})));
            drop(tx);
        }
        Ok(events) => {
            let bookmark_after = matches!(
                start,
                Start::Initial {
                    bookmark_after: true
                }
            );
            tokio::spawn(run(
                w,
                tx,
                rx,
                events,
                start_rv,
                bookmark_after,
                bookmarks,
                timeout,
            ));
        }
    }
    let stream = futures_util::stream::unfold(body_rx, |mut rx| async move {
        rx.recv()
            .await
            .map(|b| (Ok::<_, std::convert::Infallible>(b), rx))
    });
    let mut resp = Body::from_stream(stream).into_response();
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Ok(resp)
}

#[allow(clippy::too_many_arguments)]
async fn run(
    mut w: Watch,
    tx: mpsc::Sender<Bytes>,
    mut rx: broadcast::Receiver<Arc<Change>>,
    backlog: Vec<Bytes>,
    mut last_rv: u64,
    bookmark_after: bool,
    bookmarks: bool,
    timeout: Duration,
) {
    for e in backlog {
        if tx.send(e).await.is_err() {
            return;
        }
    }
    if bookmark_after && tx.send(w.bookmark(last_rv, true)).await.is_err() {
        return;
    }
    let deadline = tokio::time::sleep(timeout);
    tokio::pin!(deadline);
    let period = w
        .replay
        .options
        .bookmark_interval
        .max(Duration::from_millis(10));
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tokio::select! {
            _ = &mut deadline => return,
            _ = tx.closed() => return,
            _ = tick.tick(), if bookmarks => {
                // Every change up to `now` is already in the channel: deliver
                // them, then the bookmark can say `now`.
                let now = w.replay.store.resource_version();
                loop {
                    match rx.try_recv() {
                        Ok(c) => {
                            if c.rv > last_rv {
                                last_rv = c.rv;
                                if let Some(e) = w.change(&c)
                                    && tx.send(e).await.is_err() {
                                        return;
                                    }
                            }
                        }
                        Err(broadcast::error::TryRecvError::Empty) => break,
                        Err(_) => return,
                    }
                }
                last_rv = last_rv.max(now);
                if tx.send(w.bookmark(last_rv, false)).await.is_err() {
                    return;
                }
            }
            msg = rx.recv() => match msg {
                Ok(c) => {
                    if c.rv <= last_rv {
                        continue;
                    }
                    last_rv = c.rv;
                    if let Some(e) = w.change(&c)
                        && tx.send(e).await.is_err() {
                            return;
                        }
                }
                // A watcher too slow to keep up is closed; clients re-watch.
                Err(_) => return,
            },
        }
    }
}
