//! Deletes many owned objects through `write::delete` and prints the time
//! taken: what a garbage collector (Knative's, simulated, or `unloop gc apply
//! --direct`) costs the server, where every deletion looks up the deleted
//! object's dependents.
//!
//! - 2,000 ReplicaSets owned by one Deployment, each owning one Pod, among
//!   other objects: deleted one by one (background), then the same store's
//!   Deployment deleted with everything it owns (background and foreground).
//! - The bundled incident (`examples/net-istio-crashloop`): 2,000 of its
//!   Revisions deleted as Knative's collector deletes them (UID
//!   precondition, background propagation).
//!
//! `cargo bench -p unloop-replay --bench delete` (not run in CI); add
//! `--profile dev` for debug-build figures.

use std::path::PathBuf;
use std::time::Instant;

use serde_json::{Value, json};
use unloop_replay::resources::StorageKey;
use unloop_replay::store::Preconditions;
use unloop_replay::write::{self, DeleteOptions, Propagation};
use unloop_replay::{Options, Replay};

const OWNED: usize = 2_000;
/// Objects nobody owns, so that a scan has more than the owned to go through.
const OTHERS: usize = 2_000;
const NS: &str = "bench";
const DEPLOYMENT_UID: &str = "d0000000-0000-4000-8000-000000000000";

fn rs_uid(i: usize) -> String {
    format!("a0000000-0000-4000-8000-{i:012}")
}

fn owner_ref(kind: &str, name: &str, uid: &str) -> Value {
    json!([{"apiVersion": "apps/v1", "kind": kind, "name": name, "uid": uid, "controller": true}])
}

/// One Deployment, `OWNED` ReplicaSets it owns, a Pod per ReplicaSet and
/// `OTHERS` ConfigMaps.
fn store() -> Replay {
    let r = Replay::empty(Options::default());
    r.store.load(
        &StorageKey::new("", "namespaces"),
        json!({"metadata": {"name": NS, "uid": "n0000000-0000-4000-8000-000000000000"}}),
    );
    r.store.load(
        &StorageKey::new("apps", "deployments"),
        json!({"kind": "Deployment", "apiVersion": "apps/v1",
            "metadata": {"namespace": NS, "name": "app", "uid": DEPLOYMENT_UID},
            "spec": {"replicas": 1}}),
    );
    for i in 0..OWNED {
        let rs = format!("app-{i:05}");
        r.store.load(
            &StorageKey::new("apps", "replicasets"),
            json!({"kind": "ReplicaSet", "apiVersion": "apps/v1",
                "metadata": {"namespace": NS, "name": rs, "uid": rs_uid(i),
                    "ownerReferences": owner_ref("Deployment", "app", DEPLOYMENT_UID)},
                "spec": {"replicas": 1}}),
        );
        r.store.load(
            &StorageKey::new("", "pods"),
            json!({"kind": "Pod", "apiVersion": "v1",
                "metadata": {"namespace": NS, "name": format!("{rs}-x"),
                    "uid": format!("b0000000-0000-4000-8000-{i:012}"),
                    "ownerReferences": owner_ref("ReplicaSet", &rs, &rs_uid(i))},
                "spec": {"containers": [{"name": "app", "image": "app:1"}]}}),
        );
    }
    for i in 0..OTHERS {
        r.store.load(
            &StorageKey::new("", "configmaps"),
            json!({"kind": "ConfigMap", "apiVersion": "v1",
                "metadata": {"namespace": NS, "name": format!("cm-{i:05}"),
                    "uid": format!("c0000000-0000-4000-8000-{i:012}")},
                "data": {"k": "v"}}),
        );
    }
    r
}

fn objects(r: &Replay) -> usize {
    r.store.read(|v| {
        let storages: Vec<StorageKey> = v.storages().cloned().collect();
        storages.iter().map(|s| v.len(s)).sum()
    })
}

fn opts(propagation: Propagation, uid: Option<String>) -> DeleteOptions {
    DeleteOptions {
        propagation,
        preconditions: Preconditions {
            resource_version: None,
            uid,
        },
        dry_run: false,
    }
}

fn one_by_one() {
    let r = store();
    let before = objects(&r);
    let res = r.resources.get("apps", "v1", "replicasets").unwrap();
    let started = Instant::now();
    for i in 0..OWNED {
        write::delete(
            &r,
            &res,
            NS,
            &format!("app-{i:05}"),
            &opts(Propagation::Background, None),
        )
        .unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    let after = objects(&r);
    assert_eq!(before - after, 2 * OWNED, "each ReplicaSet and its Pod");
    println!(
        "{OWNED} owned ReplicaSets deleted one by one (background), store of {before}: {secs:>7.3} s  {:>8.0} deletes/s",
        OWNED as f64 / secs
    );
}

fn cascade(propagation: Propagation, label: &str) {
    let r = store();
    let before = objects(&r);
    let res = r.resources.get("apps", "v1", "deployments").unwrap();
    let started = Instant::now();
    write::delete(&r, &res, NS, "app", &opts(propagation, None)).unwrap();
    let secs = started.elapsed().as_secs_f64();
    let after = objects(&r);
    assert_eq!(
        before - after,
        1 + 2 * OWNED,
        "the Deployment and its chain"
    );
    println!(
        "Deployment deleted ({label}), {OWNED} ReplicaSets and {OWNED} Pods with it:       {secs:>7.3} s"
    );
}

fn incident() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop");
    if !dir.exists() {
        println!("(no {}: incident skipped)", dir.display());
        return;
    }
    let r = Replay::load(&[dir], Options::default());
    let revisions = StorageKey::new("serving.knative.dev", "revisions");
    let Some(res) = r.resources.by_storage(&revisions) else {
        println!("(the incident has no Revisions: skipped)");
        return;
    };
    let before = objects(&r);
    let targets: Vec<(String, String, String)> = r.store.read(|v| {
        v.table(&revisions)
            .take(OWNED)
            .map(|((ns, name), o)| {
                let uid = o["metadata"]["uid"].as_str().unwrap_or("").to_owned();
                (ns.clone(), name.clone(), uid)
            })
            .collect()
    });
    let started = Instant::now();
    for (ns, name, uid) in &targets {
        write::delete(
            &r,
            &res,
            ns,
            name,
            &opts(Propagation::Background, Some(uid.clone())),
        )
        .unwrap();
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "incident: {} Revisions deleted (uid precondition, background), store of {before}: {secs:>7.3} s  {:>8.0} deletes/s",
        targets.len(),
        targets.len() as f64 / secs
    );
}

fn main() {
    one_by_one();
    cascade(Propagation::Background, "background");
    cascade(Propagation::Foreground, "foreground");
    incident();
}
