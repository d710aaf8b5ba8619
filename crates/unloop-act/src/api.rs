//! The only place requests are made. Reads go out as they are; writes carry
//! `dryRun=All` unless the [`Api`] was built to apply, so a dry run and a
//! real run take the same path through every operation and differ only
//! here.
//!
//! Requests share unloop-kube's [`Pacer`]: bounded concurrency, a token
//! bucket, retries with back-off and jitter on 429, 5xx, timeouts and closed
//! connections. A retried write is safe because every write here is either
//! a patch computed from a read (and carrying its resourceVersion) or a
//! delete/eviction with a UID precondition: a retry after a lost answer
//! meets a 409 or a 404, never a second change.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use kube::Client;
use serde_json::{Value, json};
use unloop_kube::Limits;
use unloop_kube::pace::{CallError, Pacer};
use unloop_kube::request::{Query, encode};

use crate::error::ActError;

/// How a patch body is read by the server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchKind {
    /// RFC 7386 JSON merge patch.
    Merge,
    /// Kubernetes strategic merge patch (lists of containers merge by name).
    Strategic,
}

impl PatchKind {
    fn content_type(self) -> &'static str {
        match self {
            PatchKind::Merge => "application/merge-patch+json",
            PatchKind::Strategic => "application/strategic-merge-patch+json",
        }
    }

    /// As kubectl names it (`--type merge`).
    pub fn kubectl_name(self) -> &'static str {
        match self {
            PatchKind::Merge => "merge",
            PatchKind::Strategic => "strategic",
        }
    }
}

/// What a delete found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Deleted now (or, in a dry run, would be).
    Now,
    /// Already gone: nothing to do (a retry of a delete whose answer was lost
    /// also ends here, which is what makes deletes idempotent).
    AlreadyGone,
    /// An object of that name exists but is another one (new UID): not ours
    /// to delete.
    Replaced,
}

/// What an eviction found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Evicted {
    /// Eviction accepted: the pod is being deleted (dry run: would be).
    Accepted,
    /// The pod is already gone.
    Gone,
    /// A PodDisruptionBudget refuses for now (429, not retried here: the
    /// drain retries within its timeout).
    Blocked(String),
}

/// A client that writes only as it was built to.
pub struct Api {
    client: Client,
    pacer: Pacer,
    apply: bool,
    writes: AtomicU64,
}

impl Api {
    /// An API for `client`; writes are server-side dry runs unless `apply`.
    pub fn new(client: Client, apply: bool) -> Api {
        Api {
            client,
            pacer: Pacer::new(&limits(10.0, 20)),
            apply,
            writes: AtomicU64::new(0),
        }
    }

    /// The same API paced at `qps` requests per second with bursts of
    /// `burst` (the default, 10 and 20, suits a busy production API
    /// server). Bulk work asked to go faster, as direct Revision deletion
    /// at `--rate N`, needs at least that: the pacer caps every request.
    pub fn with_pace(self, qps: f64, burst: u32) -> Api {
        Api {
            pacer: Pacer::new(&limits(qps, burst)),
            ..self
        }
    }

    /// The namespace of the client's context.
    pub fn default_namespace(&self) -> &str {
        self.client.default_namespace()
    }

    /// Whether writes change the cluster.
    pub fn applies(&self) -> bool {
        self.apply
    }

    /// Requests sent, retries included.
    pub fn requests(&self) -> u64 {
        self.pacer.requests()
    }

    /// Write requests sent (dry runs included), retries included.
    pub fn writes(&self) -> u64 {
        self.writes.load(Ordering::Relaxed)
    }

    /// `?dryRun=All` for writes of a dry run.
    fn write_query(&self, q: Query) -> Query {
        if self.apply {
            q
        } else {
            q.add("dryRun", "All")
        }
    }

    /// GETs `path`; `None` when it does not exist.
    pub async fn get(&self, path: &str) -> Result<Option<Value>, ActError> {
        let r = self
            .pacer
            .call(|| self.client.request::<Value>(get(path)))
            .await;
        match r {
            Ok(v) => Ok(Some(v)),
            Err(CallError::NotFound) => Ok(None),
            Err(e) => Err(ActError::call(format!("GET {path}"), e)),
        }
    }

    /// GETs `path`, which must exist; `what` names it in the error.
    pub async fn need(&self, path: &str, what: &str) -> Result<Value, ActError> {
        self.get(path)
            .await?
            .ok_or_else(|| ActError::NotFound(what.to_owned()))
    }

    /// Every item of the list at `path` with `query`, page by page, each
    /// given its kind (list items leave it out).
    pub async fn list(&self, path: &str, query: Query) -> Result<Vec<Value>, ActError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        let mut restarts = 0;
        loop {
            let uri = query
                .clone()
                .add("limit", "500")
                .opt("continue", token.as_deref())
                .on(path);
            let page = match self
                .pacer
                .call(|| self.client.request::<Value>(get(&uri)))
                .await
            {
                Ok(p) => p,
                // An expired continue token: start again, from a fresh list.
                Err(CallError::Gone) if restarts < 3 => {
                    restarts += 1;
                    out.clear();
                    token = None;
                    continue;
                }
                Err(CallError::NotFound) => return Ok(Vec::new()),
                Err(e) => return Err(ActError::call(format!("GET {uri}"), e)),
            };
            let kind = unloop_kube::ingest::item_kind(&page);
            let api_version = page["apiVersion"].as_str().unwrap_or("v1").to_owned();
            token = page["metadata"]["continue"]
                .as_str()
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            if let Value::Object(mut o) = page
                && let Some(Value::Array(items)) = o.remove("items")
            {
                // Taken out of the page, not cloned from it.
                out.extend(items.into_iter().map(|item| match &kind {
                    Some(k) => unloop_kube::ingest::typed(item, k, &api_version),
                    None => item,
                }));
            }
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// How many objects the list at `path` holds, from one page of one item
    /// and its `remainingItemCount` (paging through everything only when the
    /// server does not say).
    pub async fn count(&self, path: &str) -> Result<usize, ActError> {
        let uri = Query::default().add("limit", "1").on(path);
        let page = match self
            .pacer
            .call(|| self.client.request::<Value>(get(&uri)))
            .await
        {
            Ok(p) => p,
            Err(CallError::NotFound) => return Ok(0),
            Err(e) => return Err(ActError::call(format!("GET {uri}"), e)),
        };
        let here = page["items"].as_array().map_or(0, Vec::len);
        let more = page["metadata"]["continue"]
            .as_str()
            .is_some_and(|t| !t.is_empty());
        match page["metadata"]["remainingItemCount"].as_u64() {
            Some(rest) => Ok(here + rest as usize),
            None if !more => Ok(here),
            None => Ok(self.list(path, Query::default()).await?.len()),
        }
    }

    /// Patches `path` with `body`: the object as it is (or, in a dry run,
    /// would be) afterwards. A 409 comes back as [`CallError::Rejected`]
    /// for the caller to read again.
    pub async fn patch(
        &self,
        path: &str,
        kind: PatchKind,
        body: &Value,
    ) -> Result<Value, CallError> {
        self.send_patch(self.write_query(Query::default()).on(path), kind, body)
            .await
    }

    /// Patches `path` with `dryRun=All` whatever the mode: what the patch
    /// would make of the object, to tell whether it changes anything.
    pub async fn patch_preview(
        &self,
        path: &str,
        kind: PatchKind,
        body: &Value,
    ) -> Result<Value, CallError> {
        self.send_patch(Query::default().add("dryRun", "All").on(path), kind, body)
            .await
    }

    async fn send_patch(
        &self,
        uri: String,
        kind: PatchKind,
        body: &Value,
    ) -> Result<Value, CallError> {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.pacer
            .call(|| {
                self.writes.fetch_add(1, Ordering::Relaxed);
                self.client.request::<Value>(with_body(
                    http::Method::PATCH,
                    &uri,
                    kind.content_type(),
                    &bytes,
                ))
            })
            .await
    }

    /// Deletes the object at `path` if it is still the one with `uid`.
    pub async fn delete(&self, path: &str, uid: &str) -> Result<Deleted, ActError> {
        let uri = self.write_query(Query::default()).on(path);
        let mut opts = json!({
            "apiVersion": "v1",
            "kind": "DeleteOptions",
            "propagationPolicy": "Background",
            "preconditions": {"uid": uid},
        });
        if !self.apply {
            opts["dryRun"] = json!(["All"]);
        }
        let bytes = serde_json::to_vec(&opts).unwrap_or_default();
        let r = self
            .pacer
            .call(|| {
                self.writes.fetch_add(1, Ordering::Relaxed);
                self.client.request::<Value>(with_body(
                    http::Method::DELETE,
                    &uri,
                    "application/json",
                    &bytes,
                ))
            })
            .await;
        match r {
            Ok(_) => Ok(Deleted::Now),
            Err(CallError::NotFound) => Ok(Deleted::AlreadyGone),
            Err(CallError::Rejected { code: 409, .. }) => Ok(Deleted::Replaced),
            Err(e) => Err(ActError::call(format!("DELETE {path}"), e)),
        }
    }

    /// Evicts pod `namespace/name` (UID `uid`) through the eviction API, as
    /// `kubectl drain` does, so PodDisruptionBudgets are honoured.
    pub async fn evict(&self, namespace: &str, name: &str, uid: &str) -> Result<Evicted, ActError> {
        let path = format!(
            "/api/v1/namespaces/{}/pods/{}/eviction",
            encode(namespace),
            encode(name)
        );
        let uri = self.write_query(Query::default()).on(&path);
        let mut delete_options = json!({"preconditions": {"uid": uid}});
        if !self.apply {
            delete_options["dryRun"] = json!(["All"]);
        }
        let body = json!({
            "apiVersion": "policy/v1",
            "kind": "Eviction",
            "metadata": {"name": name, "namespace": namespace},
            "deleteOptions": delete_options,
        });
        let bytes = serde_json::to_vec(&body).unwrap_or_default();
        let r = self
            .pacer
            .call(|| async {
                self.writes.fetch_add(1, Ordering::Relaxed);
                let r = self
                    .client
                    .request::<Value>(with_body(
                        http::Method::POST,
                        &uri,
                        "application/json",
                        &bytes,
                    ))
                    .await;
                match r {
                    // A budget's refusal goes straight back: the drain
                    // retries on its own schedule and within its own
                    // timeout (the pacer's back-off would spend up to 11 s
                    // per pod before the drain could look at the clock).
                    Err(kube::Error::Api(s)) if s.code == 429 => Ok(Err(refusal(&s))),
                    r => r.map(Ok),
                }
            })
            .await;
        match r {
            Ok(Ok(_)) => Ok(Evicted::Accepted),
            Ok(Err(m)) => Ok(Evicted::Blocked(m)),
            // Gone, or replaced by a pod of the same name (UID precondition).
            Err(CallError::NotFound | CallError::Rejected { code: 409, .. }) => Ok(Evicted::Gone),
            Err(CallError::Throttled(m)) => Ok(Evicted::Blocked(m)),
            Err(e) => Err(ActError::call(format!("POST {path}"), e)),
        }
    }
}

/// Why an eviction was refused: the message and its causes (the budget
/// and its numbers).
fn refusal(s: &kube::core::Status) -> String {
    let mut m = format!("429: {}", s.message);
    for c in s.details.iter().flat_map(|d| &d.causes) {
        if !c.message.is_empty() {
            m.push_str(&format!(" ({})", c.message));
        }
    }
    m
}

fn limits(qps: f64, burst: u32) -> Limits {
    Limits {
        // Remediation waits (drains, stable windows) are bounded by each
        // operation's own timeout, not by one deadline for everything.
        timeout: Duration::from_secs(7 * 86_400),
        concurrency: 4,
        qps,
        burst,
        max_retries: 6,
        ..Limits::default()
    }
}

fn get(uri: &str) -> http::Request<Vec<u8>> {
    unloop_kube::request::get(uri, None)
}

fn with_body(
    method: http::Method,
    uri: &str,
    content_type: &str,
    body: &[u8],
) -> http::Request<Vec<u8>> {
    http::Request::builder()
        .method(method)
        .uri(uri)
        .header(http::header::CONTENT_TYPE, content_type)
        .header(http::header::ACCEPT, "application/json")
        .body(body.to_vec())
        // Only a malformed URI fails, and URIs are built from encoded parts.
        .unwrap_or_else(|_| http::Request::new(Vec::new()))
}

/// The path of a named object: `/api/v1/namespaces/ns/configmaps/name`.
pub fn object_path(
    group: &str,
    version: &str,
    plural: &str,
    namespace: Option<&str>,
    name: &str,
) -> String {
    format!(
        "{}/{}",
        unloop_kube::request::collection(group, version, plural, namespace),
        encode(name)
    )
}

/// Runs `change` (read, compute, write) until it is not refused with a 409,
/// re-reading each time: optimistic concurrency as controllers do it.
pub async fn retry_on_conflict<T, F, Fut>(what: &str, mut change: F) -> Result<T, ActError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Attempt<T>, ActError>>,
{
    const TRIES: u32 = 5;
    for _ in 0..TRIES {
        match change().await? {
            Attempt::Done(v) => return Ok(v),
            Attempt::Conflict => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    Err(ActError::Conflict(what.to_owned(), TRIES))
}

/// One try of a read-compute-write.
pub enum Attempt<T> {
    Done(T),
    /// 409: someone else changed the object since it was read.
    Conflict,
}
