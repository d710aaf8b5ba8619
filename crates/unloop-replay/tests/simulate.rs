//! `--simulate` against the bundled incident, through the HTTP API: a kube-rs
//! client in-process, and the real kubectl over loopback.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use k8s_openapi::api::apps::v1::{Deployment, ReplicaSet};
use k8s_openapi::api::coordination::v1::Lease;
use k8s_openapi::api::core::v1::{ConfigMap, Event, Node, Pod};
use kube::Client;
use kube::api::{
    Api, ApiResource, DeleteParams, DynamicObject, EvictParams, ListParams, Patch, PatchParams,
    PostParams,
};
use serde_json::{Value, json};
use unloop_core::evidence::objects::ingest_value;
use unloop_core::evidence::{EvidenceBuilder, Source};
use unloop_core::remedy::gc::{self, GcConfig, GcPlan};
use unloop_replay::resources::StorageKey;
use unloop_replay::simulate::{SimOptions, Simulation};
use unloop_replay::{Options, Replay, router};

const NS: &str = "knative-serving";
const DEPLOY: &str = "net-istio-controller";
const RS: &str = "net-istio-controller-5f7c9d8b46";
const BAD: &str = "gke-prod-pool-1-3f9c2a1b-x7kq";
const ALPHABET: &str = "bcdfghjklmnpqrstvwxz2456789";

fn options() -> SimOptions {
    SimOptions {
        tick: Duration::from_millis(100),
        start_delay: Duration::from_millis(100),
        bad_nodes: Vec::new(),
    }
}

/// The incident with a running simulation, and a client for it.
fn simulated() -> (Arc<Replay>, Client) {
    let replay = Arc::new(Replay::load(&[common::incident()], Options::default()));
    Arc::new(Simulation::new(replay.clone(), options())).spawn();
    let client = Client::new(router(replay.clone()), "default");
    (replay, client)
}

/// Polls `f` until it returns Some, failing after 20 seconds.
async fn eventually<T, F, Fut>(what: &str, f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    eventually_within(20, what, f).await
}

/// Polls `f` until it returns Some, failing after `secs` seconds.
async fn eventually_within<T, F, Fut>(secs: u64, what: &str, mut f: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    for _ in 0..secs * 20 {
        if let Some(t) = f().await {
            return t;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

fn ready(p: &Pod) -> bool {
    p.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|c| c.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

fn node_of(p: &Pod) -> String {
    p.spec
        .as_ref()
        .and_then(|s| s.node_name.clone())
        .unwrap_or_default()
}

fn restarts(p: &Pod) -> i32 {
    p.status
        .as_ref()
        .and_then(|s| s.container_statuses.as_ref())
        .map_or(0, |c| c.iter().map(|c| c.restart_count).sum())
}

async fn controller_pods(client: &Client) -> Vec<Pod> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    pods.list(&ListParams::default().labels("app=net-istio-controller"))
        .await
        .unwrap()
        .items
}

async fn cordon(client: &Client, node: &str) {
    let nodes: Api<Node> = Api::all(client.clone());
    nodes
        .patch(
            node,
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"unschedulable": true}})),
        )
        .await
        .unwrap();
}

async fn scale(client: &Client, n: i32) {
    let d: Api<Deployment> = Api::namespaced(client.clone(), NS);
    d.patch_scale(
        DEPLOY,
        &PatchParams::default(),
        &Patch::Merge(json!({"spec": {"replicas": n}})),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn scaling_creates_and_removes_pods_on_schedulable_nodes_only() {
    let (_r, client) = simulated();
    let cordoned = [
        "gke-prod-pool-1-3f9c2a1b-m2vd",
        "gke-prod-pool-1-3f9c2a1b-q8zt",
        "gke-prod-pool-1-3f9c2a1b-w4hn",
    ];
    for n in cordoned {
        cordon(&client, n).await;
    }
    let before: Vec<String> = controller_pods(&client)
        .await
        .iter()
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(before.len(), 3);
    scale(&client, 7).await;
    let pods = eventually("7 net-istio-controller pods", || async {
        let p = controller_pods(&client).await;
        (p.len() == 7).then_some(p)
    })
    .await;
    let new: Vec<&Pod> = pods
        .iter()
        .filter(|p| !before.contains(p.metadata.name.as_ref().unwrap()))
        .collect();
    assert_eq!(new.len(), 4);
    let mut per_node = std::collections::BTreeMap::new();
    for p in &new {
        let name = p.metadata.name.as_deref().unwrap();
        let suffix = name
            .strip_prefix(&format!("{RS}-"))
            .expect("named after the ReplicaSet");
        assert!(
            suffix.len() == 5 && suffix.chars().all(|c| ALPHABET.contains(c)),
            "{name}"
        );
        let owner = &p.metadata.owner_references.as_ref().unwrap()[0];
        assert_eq!(
            (owner.kind.as_str(), owner.name.as_str()),
            ("ReplicaSet", RS)
        );
        let node = node_of(p);
        assert!(
            !cordoned.contains(&node.as_str()),
            "{name} placed on cordoned {node}"
        );
        *per_node.entry(node).or_insert(0) += 1;
    }
    // Spread: x7kq already runs two of them, so the two free nodes get the most.
    assert!(per_node.values().all(|&n| n <= 2), "{per_node:?}");
    assert!(per_node.len() >= 2, "{per_node:?}");

    // Status follows: the pods on good nodes become Ready.
    let rs: Api<ReplicaSet> = Api::namespaced(client.clone(), NS);
    eventually(
        "ReplicaSet status with 7 replicas and some ready",
        || async {
            let s = rs.get(RS).await.unwrap().status.unwrap();
            (s.replicas == 7 && s.ready_replicas.unwrap_or(0) >= 2).then_some(())
        },
    )
    .await;
    assert_eq!(rs.get(RS).await.unwrap().spec.unwrap().replicas, Some(7));

    // Scale down removes the worst first: what is left is Ready.
    scale(&client, 2).await;
    let left = eventually("2 pods left", || async {
        let p = controller_pods(&client).await;
        (p.len() == 2).then_some(p)
    })
    .await;
    for p in &left {
        assert!(ready(p), "{:?} kept though not ready", p.metadata.name);
        assert!(!before.contains(p.metadata.name.as_ref().unwrap()));
    }
    let d: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let status = eventually("Deployment available with 2 ready", || async {
        let s = d.get(DEPLOY).await.unwrap().status.unwrap();
        (s.ready_replicas == Some(2) && s.available_replicas == Some(2)).then_some(s)
    })
    .await;
    let available = status
        .conditions
        .unwrap()
        .into_iter()
        .find(|c| c.type_ == "Available")
        .unwrap();
    assert_eq!(available.status, "True");
    assert_eq!(status.updated_replicas, Some(2));
}

#[tokio::test]
async fn cordoned_and_evicted_pods_are_replaced_elsewhere_and_the_lease_moves() {
    let (_r, client) = simulated();
    cordon(&client, BAD).await;
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    pods.evict(
        "net-istio-controller-5f7c9d8b46-k8x2p",
        &EvictParams::default(),
    )
    .await
    .unwrap();
    // The leader (crash-looping on a good node) is deleted: its lease is released.
    pods.delete(
        "net-istio-controller-5f7c9d8b46-7m9tr",
        &DeleteParams::default(),
    )
    .await
    .unwrap();
    let replaced = eventually("two replacements Ready", || async {
        let p = controller_pods(&client).await;
        let fresh: Vec<Pod> = p
            .into_iter()
            .filter(|p| {
                let n = p.metadata.name.as_deref().unwrap();
                !n.ends_with("k8x2p") && !n.ends_with("7m9tr") && !n.ends_with("zq4wn")
            })
            .collect();
        (fresh.len() == 2 && fresh.iter().all(ready)).then_some(fresh)
    })
    .await;
    for p in &replaced {
        assert_ne!(node_of(p), BAD);
        assert_eq!(restarts(p), 0);
    }
    let leases: Api<Lease> = Api::namespaced(client.clone(), NS);
    let name =
        "net-istio-controller.knative.dev.net-istio.pkg.reconciler.ingress.reconciler.00-of-01";
    let all = leases.list(&ListParams::default()).await.unwrap();
    let lease_name = all
        .items
        .iter()
        .map(|l| l.metadata.name.clone().unwrap())
        .find(|n| n == name || n.starts_with("net-istio-controller"))
        .expect("a net-istio-controller lease");
    let (holder, renewed) = eventually("the lease taken by a Ready replacement", || async {
        let spec = leases.get(&lease_name).await.unwrap().spec.unwrap();
        let holder = spec.holder_identity.unwrap_or_default();
        replaced
            .iter()
            .any(|p| holder.starts_with(&format!("{}_", p.metadata.name.as_deref().unwrap())))
            .then(|| (holder, spec.renew_time.unwrap()))
    })
    .await;
    eventually("the lease renewed", || async {
        let spec = leases.get(&lease_name).await.unwrap().spec.unwrap();
        (spec.holder_identity.as_deref() == Some(holder.as_str())
            && spec.renew_time.unwrap().0 > renewed.0)
            .then_some(())
    })
    .await;
}

#[tokio::test]
async fn pods_on_the_bad_node_keep_crash_looping_with_kubelet_events() {
    let (_r, client) = simulated();
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let crashing = "net-istio-controller-5f7c9d8b46-zq4wn";
    let start = restarts(&pods.get(crashing).await.unwrap());
    assert_eq!(start, 22);
    let p = eventually("restartCount grows", || async {
        let p = pods.get(crashing).await.unwrap();
        (restarts(&p) >= start + 3).then_some(p)
    })
    .await;
    let cs = &p
        .status
        .as_ref()
        .unwrap()
        .container_statuses
        .as_ref()
        .unwrap()[0];
    let waiting = cs.state.as_ref().unwrap().waiting.as_ref().unwrap();
    assert_eq!(waiting.reason.as_deref(), Some("CrashLoopBackOff"));
    assert!(!cs.ready);
    let term = cs.last_state.as_ref().unwrap().terminated.as_ref().unwrap();
    assert!(term.finished_at.as_ref().unwrap().0.as_second() >= 1_712_916_000);
    assert!(!ready(&p));
    // Each simulated run lasts as long as the snapshot's last run did (the
    // liveness probe's ~30 s), not a tick: run length is evidence.
    let ran = |t: &k8s_openapi::api::core::v1::ContainerStateTerminated| {
        t.finished_at.as_ref().unwrap().0.as_second() - t.started_at.as_ref().unwrap().0.as_second()
    };
    let snapshot_run = {
        let snap: Value = serde_json::from_str(
            &std::fs::read_to_string(
                common::incident().join("cluster-info/knative-serving/pods.json"),
            )
            .unwrap(),
        )
        .unwrap();
        let pod = snap["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["metadata"]["name"] == crashing)
            .unwrap()
            .clone();
        let t = &pod["status"]["containerStatuses"][0]["lastState"]["terminated"];
        let at = |k: &str| {
            t[k].as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_second()
        };
        at("finishedAt") - at("startedAt")
    };
    assert!(snapshot_run >= 10, "the snapshot's run: {snapshot_run} s");
    assert_eq!(ran(term), snapshot_run);

    let events: Api<Event> = Api::namespaced(client.clone(), NS);
    let lp = ListParams::default().fields(&format!("involvedObject.name={crashing}"));
    let evs = eventually("BackOff counted up", || async {
        let e = events.list(&lp).await.unwrap().items;
        e.iter()
            .any(|e| e.reason.as_deref() == Some("BackOff") && e.count.unwrap_or(0) >= 2)
            .then_some(e)
    })
    .await;
    let by = |r: &str| evs.iter().find(|e| e.reason.as_deref() == Some(r)).cloned();
    // The snapshot has Unhealthy events of its own (readiness); the kubelet's
    // liveness failure is among them now.
    assert!(
        evs.iter().any(|e| e.reason.as_deref() == Some("Unhealthy")
            && e.message.as_deref().is_some_and(|m| {
                m.starts_with("Liveness probe failed: Get \"http://")
                    && m.contains("context deadline exceeded")
            })),
        "{evs:#?}"
    );
    assert_eq!(
        by("Killing").unwrap().message.as_deref(),
        Some("Container controller failed liveness probe, will be restarted")
    );
    let backoff = by("BackOff").unwrap();
    assert!(backoff.last_timestamp.unwrap().0 >= backoff.first_timestamp.unwrap().0);

    // A new pod on the bad node crash-loops; one on a good node runs.
    for n in [
        "gke-prod-pool-1-3f9c2a1b-m2vd",
        "gke-prod-pool-1-3f9c2a1b-q8zt",
        "gke-prod-pool-1-3f9c2a1b-w4hn",
        "gke-prod-pool-2-8e41d0c7-t9jc",
    ] {
        cordon(&client, n).await;
    }
    let old: Vec<String> = controller_pods(&client)
        .await
        .into_iter()
        .map(|p| p.metadata.name.unwrap())
        .collect();
    // b5nw takes the first three (it has none of them, x7kq two), x7kq the fourth.
    scale(&client, 7).await;
    let pods_now = eventually("the new pods started or crashed", || async {
        let p = controller_pods(&client).await;
        let new: Vec<Pod> = p
            .into_iter()
            .filter(|p| !old.contains(p.metadata.name.as_ref().unwrap()))
            .collect();
        let done = new.len() == 4 && new.iter().all(|p| ready(p) || restarts(p) >= 1);
        done.then_some(new)
    })
    .await;
    for p in &pods_now {
        if node_of(p) == BAD {
            assert!(
                !ready(p) && restarts(p) >= 1,
                "a new pod on the bad node must crash"
            );
        } else {
            assert_eq!(node_of(p), "gke-prod-pool-2-8e41d0c7-b5nw");
            assert!(ready(p));
        }
    }
    assert!(pods_now.iter().any(|p| node_of(p) == BAD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kubectl_scale_get_wide_and_drain() {
    let replay =
        tokio::task::spawn_blocking(|| Replay::load(&[common::incident()], Options::default()))
            .await
            .unwrap();
    let served = common::serve(replay, "simulate-kubectl").await;
    Arc::new(Simulation::new(served.replay.clone(), options())).spawn();
    served
        .kubectl_ok(&["-n", NS, "scale", "deployment", DEPLOY, "--replicas=4"])
        .await;
    let wide = eventually("4 controller pods in get -o wide", || async {
        let out = served
            .kubectl_ok(&[
                "-n",
                NS,
                "get",
                "pods",
                "-l",
                "app=net-istio-controller",
                "-o",
                "wide",
            ])
            .await;
        (out.lines().count() == 5).then_some(out)
    })
    .await;
    assert!(wide.lines().next().unwrap().contains("NODE"), "{wide}");

    let drained = served
        .kubectl(&[
            "drain",
            BAD,
            "--ignore-daemonsets",
            "--delete-emptydir-data",
            "--force",
            "--timeout=60s",
        ])
        .await;
    assert!(drained.ok, "{}\n{}", drained.stdout, drained.stderr);
    assert!(drained.stdout.contains("drained"), "{}", drained.stdout);
    let out = eventually(
        "4 controller pods, none on the drained node, 3 Running",
        || async {
            let out = served
                .kubectl_ok(&[
                    "-n",
                    NS,
                    "get",
                    "pods",
                    "-l",
                    "app=net-istio-controller",
                    "-o",
                    "wide",
                    "--no-headers",
                ])
                .await;
            let lines: Vec<&str> = out.lines().collect();
            let running = lines
                .iter()
                .filter(|l| l.contains(" 1/1 ") && l.contains("Running"))
                .count();
            (lines.len() == 4 && !out.contains(BAD) && running >= 3).then_some(out)
        },
    )
    .await;
    // The one left crash-looping is the snapshot's leader on a good node.
    assert!(out.contains("7m9tr"), "{out}");
    let nodes = served.kubectl_ok(&["get", "nodes"]).await;
    let line = nodes.lines().find(|l| l.starts_with(BAD)).unwrap();
    assert!(line.contains("SchedulingDisabled"), "{line}");
}

// Knative Revision GC.

fn revisions_key() -> StorageKey {
    StorageKey::new("serving.knative.dev", "revisions")
}

/// `namespace/name` of every Revision in the store.
fn revision_names(r: &Replay) -> BTreeSet<String> {
    r.store.read(|v| {
        v.table(&revisions_key())
            .map(|((ns, name), _)| format!("{ns}/{name}"))
            .collect()
    })
}

fn settings(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

/// unloop-core's GC plan for the store's Revisions, Configurations and Routes
/// under `pairs`, at the replay's clock: what the simulation must delete.
fn gc_plan(r: &Replay, pairs: &[(&str, &str)]) -> GcPlan {
    gc_plan_with(r, pairs, Vec::new())
}

/// [`gc_plan`] with `extra` objects as if they were stored too.
fn gc_plan_with(r: &Replay, pairs: &[(&str, &str)], extra: Vec<Value>) -> GcPlan {
    let config = GcConfig::from_data(&settings(pairs)).unwrap();
    let objects: Vec<Value> = r.store.read(|v| {
        let mut out = extra;
        for res in ["revisions", "configurations", "routes"] {
            let key = StorageKey::new("serving.knative.dev", res);
            out.extend(v.table(&key).map(|(_, o)| (**o).clone()));
        }
        out
    });
    let mut b = EvidenceBuilder::new();
    for o in objects {
        ingest_value(o, &Source::new("test"), &mut b);
    }
    let ev = b.finish();
    gc::plan(&ev.revisions, &ev.objects, &config, r.clock.now())
}

fn names(plan: &GcPlan) -> BTreeSet<String> {
    plan.deletions()
        .map(|d| format!("{}/{}", d.namespace, d.name))
        .collect()
}

async fn patch_config_gc(client: &Client, pairs: &[(&str, &str)]) {
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    cms.patch(
        gc::CONFIG_MAP,
        &PatchParams::default(),
        &Patch::Merge(json!({ "data": settings(pairs) })),
    )
    .await
    .unwrap();
}

/// Lets the simulation run a few rounds (ticks of 100ms).
async fn a_few_rounds() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

const SHOP: &str = "shop";

fn revision(name: &str, config: &str, day: u32, routing: Option<&str>, no_gc: bool) -> Value {
    let mut labels = json!({
        "serving.knative.dev/configuration": config,
        "serving.knative.dev/service": config,
    });
    if let Some(s) = routing {
        labels["serving.knative.dev/routingState"] = json!(s);
    }
    let mut annotations = json!({
        "serving.knative.dev/routingStateModified": format!("2024-01-{:02}T12:00:00Z", day + 1),
    });
    if no_gc {
        annotations["serving.knative.dev/no-gc"] = json!("true");
    }
    json!({
        "apiVersion": "serving.knative.dev/v1",
        "kind": "Revision",
        "metadata": {
            "name": name,
            "namespace": SHOP,
            "uid": format!("uid-{name}"),
            "creationTimestamp": format!("2024-01-{day:02}T12:00:00Z"),
            "labels": labels,
            "annotations": annotations,
            "ownerReferences": [{
                "apiVersion": "serving.knative.dev/v1", "kind": "Configuration",
                "name": config, "uid": format!("uid-{config}"), "controller": true,
            }],
        },
        "spec": {"containers": [{"image": "shop/app"}]},
        "status": {"conditions": [{"type": "Ready", "status": "True"}]},
    })
}

fn owned_by(api_version: &str, kind: &str, name: &str, owner: (&str, &str, &str)) -> Value {
    let (owner_version, owner_kind, owner_name) = owner;
    json!({
        "apiVersion": api_version,
        "kind": kind,
        "metadata": {
            "name": name,
            "namespace": SHOP,
            "uid": format!("uid-{kind}-{name}"),
            "creationTimestamp": "2024-01-20T12:00:00Z",
            "ownerReferences": [{
                "apiVersion": owner_version, "kind": owner_kind, "name": owner_name,
                "uid": if owner_kind == "Revision" {
                    format!("uid-{owner_name}")
                } else {
                    format!("uid-{owner_kind}-{owner_name}")
                },
                "controller": true,
            }],
        },
    })
}

/// A small Knative snapshot, taken 2024-03-01 (config-gc's creation is the
/// latest time in it). Configuration `cart`: 00001, 00003, 00005 in reserve
/// (oldest first), 00002 reserve but no-gc, 00004 active, 00006 in reserve
/// but latest ready, 00007 without a routingState; PodAutoscalers for 00001
/// (with its ServerlessService) and 00005. Configuration `search`: 00001 in
/// reserve, 00002 latest ready. All Revisions are January's: stale by the
/// default retention.
fn knative_snapshot(name: &str, config_gc: Value) -> PathBuf {
    let config = |name: &str, latest: &str| {
        json!({
            "apiVersion": "serving.knative.dev/v1", "kind": "Configuration",
            "metadata": {"name": name, "namespace": SHOP, "uid": format!("uid-{name}"),
                         "creationTimestamp": "2024-01-01T00:00:00Z"},
            "spec": {"template": {"spec": {"containers": [{"image": "shop/app"}]}}},
            "status": {"latestReadyRevisionName": latest, "latestCreatedRevisionName": latest},
        })
    };
    let pa = "autoscaling.internal.knative.dev/v1alpha1";
    let sks = "networking.internal.knative.dev/v1alpha1";
    let items = vec![
        json!({
            "apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": "config-gc", "namespace": NS, "uid": "uid-config-gc",
                         "creationTimestamp": "2024-03-01T00:00:00Z"},
            "data": config_gc,
        }),
        config("cart", "cart-00006"),
        config("search", "search-00002"),
        revision("cart-00001", "cart", 1, Some("reserve"), false),
        revision("cart-00002", "cart", 2, Some("reserve"), true),
        revision("cart-00003", "cart", 3, Some("reserve"), false),
        revision("cart-00004", "cart", 4, Some("active"), false),
        revision("cart-00005", "cart", 5, Some("reserve"), false),
        revision("cart-00006", "cart", 6, Some("reserve"), false),
        revision("cart-00007", "cart", 7, None, false),
        revision("search-00001", "search", 1, Some("reserve"), false),
        revision("search-00002", "search", 2, Some("active"), false),
        owned_by(
            pa,
            "PodAutoscaler",
            "cart-00001",
            ("serving.knative.dev/v1", "Revision", "cart-00001"),
        ),
        owned_by(
            sks,
            "ServerlessService",
            "cart-00001",
            (pa, "PodAutoscaler", "cart-00001"),
        ),
        owned_by(
            pa,
            "PodAutoscaler",
            "cart-00005",
            ("serving.knative.dev/v1", "Revision", "cart-00005"),
        ),
    ];
    let dir = std::env::temp_dir().join(format!("unloop-replay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let list = json!({"apiVersion": "v1", "kind": "List", "items": items});
    std::fs::write(dir.join("knative.json"), list.to_string()).unwrap();
    dir
}

/// The small snapshot with a running simulation, and a client for it.
fn simulated_knative(name: &str, config_gc: Value) -> (Arc<Replay>, Client) {
    let dir = knative_snapshot(name, config_gc);
    let replay = Arc::new(Replay::load(std::slice::from_ref(&dir), Options::default()));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(revision_names(&replay).len(), 9, "{:?}", replay.notes);
    Arc::new(Simulation::new(replay.clone(), options())).spawn();
    let client = Client::new(router(replay.clone()), "default");
    (replay, client)
}

fn exists(r: &Replay, group: &str, resource: &str, name: &str) -> bool {
    r.store
        .get(&StorageKey::new(group, resource), SHOP, name)
        .is_some()
}

#[tokio::test]
async fn knative_gc_deletes_exactly_the_planned_revisions_when_config_gc_changes() {
    let (r, client) = simulated_knative("gc-small", json!({"_example": "# see the docs"}));
    let all = revision_names(&r);
    let tight = [
        ("max-non-active-revisions", "1"),
        ("min-non-active-revisions", "1"),
    ];
    let planned = names(&gc_plan(&r, &tight));
    // cart: three candidates, one kept by min, the two oldest stale ones go;
    // search has a single candidate, within min.
    assert_eq!(
        planned,
        BTreeSet::from(["shop/cart-00001".to_owned(), "shop/cart-00003".to_owned()])
    );
    patch_config_gc(&client, &tight).await;
    let left = eventually("the planned Revisions deleted", || async {
        let n = revision_names(&r);
        (n.len() == all.len() - planned.len()).then_some(n)
    })
    .await;
    let expected: BTreeSet<String> = all.difference(&planned).cloned().collect();
    assert_eq!(left, expected);
    for kept in ["00002", "00004", "00005", "00006", "00007"] {
        assert!(left.contains(&format!("shop/cart-{kept}")), "cart-{kept}");
    }
    // Dependents go with their Revision (background propagation, transitively).
    assert!(!exists(
        &r,
        "autoscaling.internal.knative.dev",
        "podautoscalers",
        "cart-00001"
    ));
    assert!(!exists(
        &r,
        "networking.internal.knative.dev",
        "serverlessservices",
        "cart-00001"
    ));
    assert!(exists(
        &r,
        "autoscaling.internal.knative.dev",
        "podautoscalers",
        "cart-00005"
    ));
    // Knative's collector is done: nothing else goes on later rounds.
    a_few_rounds().await;
    assert_eq!(revision_names(&r), expected);
}

#[tokio::test]
async fn knative_gc_on_the_incident_deletes_the_planned_count() {
    let (r, client) = simulated();
    let before = revision_names(&r);
    let settings = [
        ("min-non-active-revisions", "2"),
        ("max-non-active-revisions", "5"),
    ];
    let plan = gc_plan(&r, &settings);
    let planned = names(&plan);
    assert!(!planned.is_empty());
    patch_config_gc(&client, &settings).await;
    // Thousands of deletions, each a cascade through the store: slow in a
    // debug build on a busy machine.
    let left = eventually_within(120, "the incident's Revisions collected", || async {
        let n = revision_names(&r);
        (n.len() == before.len() - planned.len()).then_some(n)
    })
    .await;
    assert!(left.is_disjoint(&planned));
    // Every Revision the plan keeps is still there, protected ones included.
    for d in plan.decisions().filter(|d| d.action == gc::GcAction::Keep) {
        assert!(
            left.contains(&format!("{}/{}", d.namespace, d.name)),
            "{}",
            d.name
        );
    }
}

#[tokio::test]
async fn knative_gc_does_not_run_while_config_gc_is_unchanged() {
    let (r, client) = simulated();
    let before = revision_names(&r);
    // The snapshot's own settings would delete some (the incident is over
    // the default limits), so a pass would show.
    let defaults = gc_plan(&r, &[]);
    assert!(defaults.deletions().next().is_some());
    a_few_rounds().await;
    // Another ConfigMap changes, and crash-looping pods restart meanwhile.
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    cms.patch(
        "config-leader-election",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"lease-duration": "30s"}})),
    )
    .await
    .unwrap();
    a_few_rounds().await;
    assert_eq!(revision_names(&r), before);
}

#[tokio::test]
async fn knative_gc_ignores_a_rejected_config_gc_and_runs_on_a_new_revision() {
    // The snapshot already has tight settings: it is taken as GC left it.
    let tight = [
        ("max-non-active-revisions", "1"),
        ("min-non-active-revisions", "1"),
    ];
    let (r, client) = simulated_knative("gc-rejected", json!(settings(&tight)));
    let all = revision_names(&r);
    a_few_rounds().await;
    assert_eq!(revision_names(&r), all);
    // min above max: Knative rejects it, keeps its settings, collects nothing.
    patch_config_gc(
        &client,
        &[
            ("max-non-active-revisions", "1"),
            ("min-non-active-revisions", "3"),
        ],
    )
    .await;
    a_few_rounds().await;
    assert_eq!(revision_names(&r), all);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), NS);
    assert!(cms.get(gc::CONFIG_MAP).await.is_ok(), "still serving");

    // A new Revision in reserve: the Configuration is collected with the
    // settings still in force.
    let res = ApiResource {
        group: "serving.knative.dev".into(),
        version: "v1".into(),
        api_version: "serving.knative.dev/v1".into(),
        kind: "Revision".into(),
        plural: "revisions".into(),
    };
    let revs: Api<DynamicObject> = Api::namespaced_with(client.clone(), SHOP, &res);
    let mut new = revision("cart-00008", "cart", 8, Some("reserve"), false);
    new["metadata"]
        .as_object_mut()
        .unwrap()
        .retain(|k, _| k == "name" || k == "namespace" || k == "labels" || k == "annotations");
    // Planned before creating it: the simulation may collect as soon as it
    // is stored. The server stamps its creation with the replay's clock.
    let mut stored = new.clone();
    stored["metadata"]["creationTimestamp"] = json!(r.clock.now_rfc3339());
    let planned = names(&gc_plan_with(&r, &tight, vec![stored]));
    // cart-00008 is too young to be stale and within max: the three older go.
    let older: BTreeSet<String> = ["00001", "00003", "00005"]
        .iter()
        .map(|n| format!("shop/cart-{n}"))
        .collect();
    assert_eq!(planned, older);
    revs.create(
        &PostParams::default(),
        &serde_json::from_value(new).unwrap(),
    )
    .await
    .unwrap();
    let left = eventually("collected after the new Revision", || async {
        let n = revision_names(&r);
        (n.len() == all.len() + 1 - planned.len()).then_some(n)
    })
    .await;
    assert!(left.is_disjoint(&planned));
    assert!(left.contains("shop/cart-00008"));
}
