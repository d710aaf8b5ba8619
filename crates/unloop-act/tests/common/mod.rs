//! Shared helpers: the replay server in process, a client on it that records
//! every request (method, URI, body) and can answer some itself, runners,
//! and looks into the replay's store.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kube::Client;
use serde_json::Value;
use unloop_act::ops::NoLog;
use unloop_act::runner::RunSummary;
use unloop_act::{Api, AuditLog, Confirm, Runner, RunnerOptions};
use unloop_core::remedy::plan::PlanStep;
use unloop_replay::faults::{FaultSpec, Faults};
use unloop_replay::resources::StorageKey;
use unloop_replay::{Options, Replay, router};

pub const CLUSTER: &str = "replay (in process)";

/// The bundled incident.
pub fn incident() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop")
}

/// The incident, loaded into a replay.
pub fn load_incident() -> Arc<Replay> {
    Arc::new(Replay::load(&[incident()], Options::default()))
}

/// One request as the server got it, and the status it was answered with.
#[derive(Debug, Clone)]
pub struct Req {
    pub method: String,
    /// Path and query.
    pub uri: String,
    pub body: Vec<u8>,
    /// The status the client got (0 until answered).
    pub status: u16,
}

impl Req {
    pub fn path(&self) -> &str {
        self.uri.split('?').next().unwrap_or("")
    }

    pub fn query(&self) -> &str {
        self.uri.split_once('?').map_or("", |(_, q)| q)
    }

    /// Anything but a read.
    pub fn is_write(&self) -> bool {
        !matches!(self.method.as_str(), "GET" | "HEAD" | "OPTIONS")
    }

    /// Whether the request asks for a server-side dry run in its query.
    pub fn dry_run(&self) -> bool {
        self.query().split('&').any(|kv| kv == "dryRun=All")
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

impl std::fmt::Display for Req {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.uri, self.status)
    }
}

/// Every request a client sent, in the order they were sent.
pub type Recorded = Arc<Mutex<Vec<Req>>>;

pub fn requests(r: &Recorded) -> Vec<Req> {
    r.lock().unwrap().clone()
}

type Response = http::Response<axum::body::Body>;

/// Answers a request instead of the server (`None`: the server answers).
pub type Before = Arc<dyn Fn(&Req) -> Option<Response> + Send + Sync>;
/// Replaces the server's answer (of status `u16`) to a request: `None`
/// keeps it.
pub type After = Arc<dyn Fn(&Req, u16) -> Option<Response> + Send + Sync>;

/// What stands between the client and the server besides `--faults`.
#[derive(Clone, Default)]
pub struct Hooks {
    pub before: Option<Before>,
    pub after: Option<After>,
}

impl Hooks {
    pub fn before(f: impl Fn(&Req) -> Option<Response> + Send + Sync + 'static) -> Hooks {
        Hooks {
            before: Some(Arc::new(f)),
            after: None,
        }
    }

    pub fn after(f: impl Fn(&Req, u16) -> Option<Response> + Send + Sync + 'static) -> Hooks {
        Hooks {
            before: None,
            after: Some(Arc::new(f)),
        }
    }
}

/// A client on `replay` (with the `--faults` spec `faults`, if any), which
/// records every request with its answer, through `hooks`.
pub fn client(replay: &Arc<Replay>, faults: Option<&str>, hooks: Hooks) -> (Client, Recorded) {
    use tower::ServiceExt;
    let mut r = router(replay.clone());
    if let Some(spec) = faults {
        let spec: FaultSpec = spec.parse().expect("fault spec");
        r = unloop_replay::faults::layer(r, Arc::new(Faults::new(spec)));
    }
    let seen: Recorded = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let r = r.clone();
        let log = log.clone();
        let hooks = hooks.clone();
        async move {
            let (parts, body) = req.into_parts();
            let bytes = axum::body::to_bytes(axum::body::Body::new(body), usize::MAX)
                .await
                .unwrap_or_default();
            let mut rec = Req {
                method: parts.method.to_string(),
                uri: parts
                    .uri
                    .path_and_query()
                    .map_or_else(|| parts.uri.to_string(), |p| p.to_string()),
                body: bytes.to_vec(),
                status: 0,
            };
            let at = {
                let mut l = log.lock().unwrap();
                l.push(rec.clone());
                l.len() - 1
            };
            let resp = match hooks.before.as_ref().and_then(|h| h(&rec)) {
                Some(resp) => resp,
                None => {
                    let req = http::Request::from_parts(parts, axum::body::Body::from(bytes));
                    let resp = r.oneshot(req).await?;
                    let code = resp.status().as_u16();
                    hooks
                        .after
                        .as_ref()
                        .and_then(|h| h(&rec, code))
                        .unwrap_or(resp)
                }
            };
            rec.status = resp.status().as_u16();
            log.lock().unwrap()[at].status = rec.status;
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    (Client::new(svc, "default"), seen)
}

/// An answer with a Kubernetes Status body, as the API server gives errors.
pub fn status(code: u16, reason: &'static str, message: &str) -> http::Response<axum::body::Body> {
    use axum::response::IntoResponse;
    unloop_replay::ApiError::new(code, reason, message).into_response()
}

/// An [`Api`] that paces fast enough for thousands of requests in a test.
pub fn fast_api(client: Client, apply: bool) -> Api {
    Api::new(client, apply).with_pace(10_000.0, 10_000)
}

/// Runs `steps` with `api` (every step confirmed), returning the summary and
/// what the runner printed.
pub async fn run(
    api: &Api,
    audit: Option<&mut AuditLog>,
    opts: RunnerOptions,
    steps: &[PlanStep],
) -> (RunSummary, String) {
    let mut out = Vec::new();
    let sum = {
        let mut runner =
            Runner::new(api, audit, Box::new(|_| Confirm::Yes), &mut out, opts).expect("runner");
        runner.run(CLUSTER, "test plan", steps).await.expect("run")
    };
    (sum, String::from_utf8(out).unwrap())
}

/// Per-object progress kept nowhere (for ops called directly).
pub fn nolog() -> NoLog {
    NoLog
}

// Looks into the store.

pub fn key(group: &str, resource: &str) -> StorageKey {
    StorageKey::new(group, resource)
}

pub fn revisions_key() -> StorageKey {
    key("serving.knative.dev", "revisions")
}

pub fn get(replay: &Replay, k: &StorageKey, ns: &str, name: &str) -> Option<Value> {
    replay.store.get(k, ns, name).map(|v| (*v).clone())
}

pub fn count(replay: &Replay, k: &StorageKey) -> usize {
    replay.store.read(|v| v.len(k))
}

/// (namespace, name) of every object of a table.
pub fn names(replay: &Replay, k: &StorageKey) -> std::collections::BTreeSet<(String, String)> {
    replay
        .store
        .read(|v| v.table(k).map(|(key, _)| key.clone()).collect())
}

pub fn rv(v: &Value) -> String {
    v["metadata"]["resourceVersion"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

// Synthetic snapshots.

/// Writes `items` as one `List` file into `dir` and loads the directory.
pub fn load_objects(dir: &Path, items: Vec<Value>) -> Arc<Replay> {
    let list = serde_json::json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(
        dir.join("objects.json"),
        serde_json::to_vec_pretty(&list).unwrap(),
    )
    .unwrap();
    Arc::new(Replay::load(&[dir.to_owned()], Options::default()))
}

fn uid(kind: &str, ns: &str, name: &str) -> String {
    // Stable and distinct per object; the shape of a UUID.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in kind.bytes().chain(ns.bytes()).chain(name.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        h >> 32,
        (h >> 16) & 0xffff,
        h & 0xfff,
        (h >> 20) & 0xfff,
        h & 0xffff_ffff_ffff
    )
}

/// Knative Configurations and their Revisions in namespace `shop`, plus
/// config-gc: `configs` Configurations of `per` Revisions each, one a day
/// from 2024-01-01, the newest routed and ready. Every Revision of
/// `legacy-0` is pinned (`no-gc`), and revision 3 of every other one is
/// still routed (`active`): things the plan must keep.
pub fn gc_objects(configs: usize, per: usize) -> Vec<Value> {
    use serde_json::json;
    let mut items = vec![json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "config-gc", "namespace": "knative-serving",
                     "uid": uid("ConfigMap", "knative-serving", "config-gc"),
                     "resourceVersion": "10"},
        "data": {"retain-since-create-time": "48h"},
    })];
    for c in 0..configs {
        let cname = if c == 0 {
            "legacy-0".to_owned()
        } else {
            format!("svc-{c}")
        };
        let cuid = uid("Configuration", "shop", &cname);
        let latest = format!("{cname}-{per:05}");
        items.push(json!({
            "apiVersion": "serving.knative.dev/v1", "kind": "Configuration",
            "metadata": {"name": cname, "namespace": "shop", "uid": cuid,
                         "generation": per, "resourceVersion": "20",
                         "creationTimestamp": "2023-12-31T00:00:00Z"},
            "spec": {"template": {"spec": {"containers": [{"image": "example/app"}]}}},
            "status": {"latestCreatedRevisionName": latest, "latestReadyRevisionName": latest,
                       "observedGeneration": per,
                       "conditions": [{"type": "Ready", "status": "True"}]},
        }));
        for i in 1..=per {
            let name = format!("{cname}-{i:05}");
            let created =
                jiff::Timestamp::from_second(1_704_067_200 + (i as i64) * 86_400).unwrap();
            let modified = created + jiff::SignedDuration::from_hours(1);
            let routed = i == per || (c != 0 && i == 3);
            let mut annotations =
                json!({"serving.knative.dev/routingStateModified": modified.to_string()});
            if c == 0 {
                annotations["serving.knative.dev/no-gc"] = json!("true");
            }
            items.push(json!({
                "apiVersion": "serving.knative.dev/v1", "kind": "Revision",
                "metadata": {
                    "name": name, "namespace": "shop", "uid": uid("Revision", "shop", &name),
                    "generation": 1, "resourceVersion": "30",
                    "creationTimestamp": created.to_string(),
                    "annotations": annotations,
                    "labels": {
                        "serving.knative.dev/configuration": cname,
                        "serving.knative.dev/configurationGeneration": i.to_string(),
                        "serving.knative.dev/configurationUID": cuid,
                        "serving.knative.dev/routingState": if routed { "active" } else { "reserve" },
                        "serving.knative.dev/service": cname,
                    },
                    "ownerReferences": [{"apiVersion": "serving.knative.dev/v1", "kind": "Configuration",
                                         "name": cname, "uid": cuid, "controller": true,
                                         "blockOwnerDeletion": true}],
                },
                "spec": {"containers": [{"image": "example/app"}]},
                "status": {"conditions": [{"type": "Ready", "status": "True"}]},
            }));
        }
    }
    items
}

/// A Ready node.
pub fn node(name: &str) -> Value {
    serde_json::json!({
        "apiVersion": "v1", "kind": "Node",
        "metadata": {"name": name, "uid": uid("Node", "", name), "resourceVersion": "5",
                     "labels": {"kubernetes.io/hostname": name}},
        "spec": {},
        "status": {"conditions": [{"type": "Ready", "status": "True"}],
                   "allocatable": {"cpu": "4", "memory": "16Gi", "pods": "110"}},
    })
}

/// A running, Ready pod on `node` owned (as controller) by `owner`
/// (`(kind, name)`), labelled `app=<app>`.
pub fn pod(name: &str, node: &str, app: &str, owner: Option<(&str, &str)>) -> Value {
    let mut p = serde_json::json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": "default", "uid": uid("Pod", "default", name),
                     "resourceVersion": "7", "labels": {"app": app}},
        "spec": {"nodeName": node, "containers": [{"name": "main", "image": "example/app"}]},
        "status": {"phase": "Running",
                   "conditions": [{"type": "Ready", "status": "True"}],
                   "containerStatuses": [{"name": "main", "ready": true, "restartCount": 0}]},
    });
    if let Some((kind, owner)) = owner {
        p["metadata"]["ownerReferences"] = serde_json::json!([{
            "apiVersion": "apps/v1", "kind": kind, "name": owner,
            "uid": uid(kind, "default", owner), "controller": true,
        }]);
    }
    p
}

/// A PodDisruptionBudget for `app=<app>` pods needing `min` available.
pub fn pdb(name: &str, app: &str, min: u32) -> Value {
    serde_json::json!({
        "apiVersion": "policy/v1", "kind": "PodDisruptionBudget",
        "metadata": {"name": name, "namespace": "default", "uid": uid("PodDisruptionBudget", "default", name),
                     "resourceVersion": "9", "generation": 1},
        "spec": {"minAvailable": min, "selector": {"matchLabels": {"app": app}}},
    })
}
