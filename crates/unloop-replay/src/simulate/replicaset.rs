//! The Deployment and ReplicaSet controllers: a Deployment keeps its current
//! ReplicaSet (the one whose template is its own) at its replicas and the
//! others at zero; a ReplicaSet keeps that many active pods; both report
//! status from the pods.

use std::cmp::Reverse;
use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::nodes::NodeInfo;
use super::scheduler::{Placement, bind, pick};
use super::{
    active, condition_true, controller_uid, deleting, deployments, node_name, phase, pods, put,
    replicasets,
};
use crate::app::Replay;
use crate::ids;
use crate::meta;
use crate::store::Preconditions;

const REVISION: &str = "deployment.kubernetes.io/revision";
const HASH_LABEL: &str = "pod-template-hash";
const ALPHABET: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn replicas(obj: &Value) -> i64 {
    meta::at(obj, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}

fn revision(rs: &Value) -> i64 {
    meta::str_at(rs, &["metadata", "annotations", REVISION])
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

fn generation(obj: &Value) -> i64 {
    meta::at(obj, &["metadata", "generation"])
        .and_then(Value::as_i64)
        .unwrap_or(0)
}

/// A ReplicaSet's pod template without the label the Deployment controller adds.
fn plain_template(rs: &Value) -> Value {
    let mut t = meta::at(rs, &["spec", "template"])
        .cloned()
        .unwrap_or(Value::Null);
    if let Some(Value::Object(l)) = t.pointer_mut("/metadata/labels") {
        l.remove(HASH_LABEL);
    }
    t
}

/// Ten characters of the safe alphabet, the same for the same template.
fn template_hash(template: &Value) -> String {
    let hex: String = ids::uid_for(&template.to_string())
        .chars()
        .filter(char::is_ascii_hexdigit)
        .collect();
    let mut n = u128::from_str_radix(&hex, 16).unwrap_or(0);
    (0..10)
        .map(|_| {
            let c = ALPHABET[(n % ALPHABET.len() as u128) as usize] as char;
            n /= ALPHABET.len() as u128;
            c
        })
        .collect()
}

/// The Deployment's ReplicaSets, oldest revision first.
fn owned(r: &Replay, d: &Value) -> Vec<Value> {
    let uid = meta::uid(d);
    let ns = meta::namespace(d);
    let storage = replicasets();
    // From the store's owner index (in key order, as a scan of the namespace
    // gave), rather than reading every ReplicaSet of the namespace.
    let mut out: Vec<Value> = r.store.read(|v| {
        v.dependents(uid)
            .filter(|(s, (rs_ns, _))| *s == storage && rs_ns == ns)
            .filter_map(|(s, (rs_ns, name))| v.get(s, rs_ns, name))
            .filter(|rs| controller_uid(rs) == Some(uid))
            .map(|rs| (**rs).clone())
            .collect()
    });
    out.sort_by_key(|rs| {
        (
            revision(rs),
            meta::str_at(rs, &["metadata", "creationTimestamp"])
                .unwrap_or("")
                .to_owned(),
        )
    });
    out
}

/// The current ReplicaSet: the newest whose template is the Deployment's.
fn current<'a>(d: &Value, owned: &'a [Value]) -> Option<&'a Value> {
    let template = meta::at(d, &["spec", "template"]).unwrap_or(&Value::Null);
    owned
        .iter()
        .rev()
        .find(|rs| &plain_template(rs) == template)
}

/// A new ReplicaSet for the Deployment's template.
fn new_replicaset(r: &Replay, d: &Value, revision: i64) -> Value {
    let mut template = meta::at(d, &["spec", "template"])
        .cloned()
        .unwrap_or_else(|| json!({}));
    let hash = template_hash(&template);
    let name = format!("{}-{hash}", meta::name(d));
    if !template.get("metadata").is_some_and(Value::is_object) {
        template["metadata"] = json!({});
    }
    let mut labels = template["metadata"]
        .get("labels")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    labels.insert(HASH_LABEL.into(), json!(hash));
    template["metadata"]["labels"] = Value::Object(labels.clone());
    let mut selector = meta::at(d, &["spec", "selector"])
        .cloned()
        .unwrap_or_else(|| json!({}));
    selector["matchLabels"][HASH_LABEL] = json!(hash);
    let n = replicas(d);
    json!({
        "apiVersion": "apps/v1",
        "kind": "ReplicaSet",
        "metadata": {
            "name": name,
            "namespace": meta::namespace(d),
            "uid": ids::new_uid(),
            "creationTimestamp": r.clock.now_rfc3339(),
            "generation": 1,
            "labels": labels,
            "annotations": {
                "deployment.kubernetes.io/desired-replicas": n.to_string(),
                "deployment.kubernetes.io/max-replicas": n.to_string(),
                REVISION: revision.to_string(),
            },
            "ownerReferences": [{
                "apiVersion": "apps/v1", "kind": "Deployment", "name": meta::name(d),
                "uid": meta::uid(d), "controller": true, "blockOwnerDeletion": true,
            }],
        },
        "spec": {"replicas": n, "selector": selector, "template": template},
        "status": {"replicas": 0},
    })
}

/// Sets a ReplicaSet's replicas (and, for the current one, its revision).
fn set_replicas(r: &Replay, rs: &Value, n: i64, revision: Option<i64>) {
    let mut new = rs.clone();
    new["spec"]["replicas"] = json!(n);
    if let Some(rev) = revision {
        let m = meta::metadata_mut(&mut new);
        let a = m.entry("annotations").or_insert_with(|| json!({}));
        a[REVISION] = json!(rev.to_string());
        a["deployment.kubernetes.io/desired-replicas"] = json!(n.to_string());
    }
    if new != *rs {
        new["metadata"]["generation"] = json!(generation(rs) + 1);
        put(r, &replicasets(), rs, new);
    }
}

/// Deployments to ReplicaSets. `initial_generation` holds each Deployment's
/// generation when serving started: until it changes, a snapshot whose
/// ReplicaSet templates differ from the Deployment's is left as it is.
pub fn sync_deployments(r: &Replay, initial_generation: &HashMap<String, i64>) {
    let all: Vec<Value> = r.store.read(|v| {
        v.table(&deployments())
            .filter(|(_, d)| !deleting(d))
            .map(|(_, d)| (**d).clone())
            .collect()
    });
    for d in all {
        let rss = owned(r, &d);
        let top = rss.last().map_or(0, revision);
        let changed = initial_generation.get(meta::uid(&d)) != Some(&generation(&d));
        let cur = match current(&d, &rss) {
            Some(c) => Some(c.clone()),
            None if changed || rss.is_empty() => {
                let rs = new_replicaset(r, &d, top + 1);
                r.store
                    .create(&replicasets(), rs)
                    .ok()
                    .map(|o| (*o).clone())
            }
            // A snapshot whose newest ReplicaSet's template reads differently.
            None => rss.last().cloned(),
        };
        let Some(cur) = cur else { continue };
        let rev = (revision(&cur) < top).then_some(top + 1);
        set_replicas(r, &cur, replicas(&d), rev);
        for rs in rss.iter().filter(|rs| meta::uid(rs) != meta::uid(&cur)) {
            set_replicas(r, rs, 0, None);
        }
        let cur_rev = rev.unwrap_or_else(|| revision(&cur)).to_string();
        if meta::str_at(&d, &["metadata", "annotations", REVISION]) != Some(cur_rev.as_str()) {
            let mut new = d.clone();
            let a = meta::metadata_mut(&mut new)
                .entry("annotations")
                .or_insert_with(|| json!({}));
            a[REVISION] = json!(cur_rev);
            put(r, &deployments(), &d, new);
        }
    }
}

/// The QoS class of a pod spec, roughly: requests or limits make it Burstable.
fn qos_class(spec: &Value) -> &'static str {
    let any = spec
        .get("containers")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("resources")
                .and_then(Value::as_object)
                .is_some_and(|r| !r.is_empty())
        });
    if any { "Burstable" } else { "BestEffort" }
}

/// A new pod of `rs`, as the ReplicaSet controller creates it.
fn new_pod(r: &Replay, rs: &Value) -> Value {
    let t = meta::at(rs, &["spec", "template"]).unwrap_or(&Value::Null);
    let mut spec = t.get("spec").cloned().unwrap_or_else(|| json!({}));
    for (k, v) in [
        ("restartPolicy", json!("Always")),
        ("schedulerName", json!("default-scheduler")),
        ("terminationGracePeriodSeconds", json!(30)),
        ("dnsPolicy", json!("ClusterFirst")),
    ] {
        if spec.get(k).is_none() {
            spec[k] = v;
        }
    }
    let qos = qos_class(&spec);
    let rs_name = meta::name(rs);
    let mut metadata = Map::new();
    metadata.insert(
        "name".into(),
        json!(format!("{rs_name}-{}", ids::name_suffix())),
    );
    metadata.insert("generateName".into(), json!(format!("{rs_name}-")));
    metadata.insert("namespace".into(), json!(meta::namespace(rs)));
    metadata.insert("uid".into(), json!(ids::new_uid()));
    metadata.insert("creationTimestamp".into(), json!(r.clock.now_rfc3339()));
    for k in ["labels", "annotations"] {
        if let Some(v) = t.pointer(&format!("/metadata/{k}")) {
            metadata.insert(k.into(), v.clone());
        }
    }
    metadata.insert(
        "ownerReferences".into(),
        json!([{
            "apiVersion": "apps/v1", "kind": "ReplicaSet", "name": rs_name,
            "uid": meta::uid(rs), "controller": true, "blockOwnerDeletion": true,
        }]),
    );
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": metadata,
        "spec": spec,
        "status": {"phase": "Pending", "qosClass": qos},
    })
}

fn restarts(pod: &Value) -> i64 {
    meta::at(pod, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("restartCount").and_then(Value::as_i64))
        .sum()
}

/// The order in which a ReplicaSet deletes its pods, worst first (the
/// controller's `ActivePodsWithRanks`): unscheduled, then Pending, then not
/// Ready, then on the node crowded with most of its pods, then most
/// restarted, then newest.
fn deletion_order(pods: &mut [Value]) {
    let mut on_node: HashMap<String, usize> = HashMap::new();
    for p in pods.iter() {
        if let Some(n) = node_name(p) {
            *on_node.entry(n.to_owned()).or_default() += 1;
        }
    }
    pods.sort_by_cached_key(|p| {
        let phase_rank = match phase(p) {
            "Pending" => 0,
            "Unknown" => 1,
            _ => 2,
        };
        (
            node_name(p).is_some(),
            phase_rank,
            condition_true(p, "Ready"),
            Reverse(node_name(p).map_or(0, |n| on_node[n])),
            Reverse(restarts(p)),
            Reverse(
                meta::str_at(p, &["metadata", "creationTimestamp"])
                    .unwrap_or("")
                    .to_owned(),
            ),
        )
    });
}

/// The active pods each ReplicaSet controls, by its UID.
fn pods_by_owner(r: &Replay) -> HashMap<String, Vec<Value>> {
    r.store.read(|v| {
        let mut out: HashMap<String, Vec<Value>> = HashMap::new();
        for (_, p) in v.table(&pods()) {
            if let (true, Some(owner)) = (active(p), controller_uid(p)) {
                out.entry(owner.to_owned()).or_default().push((**p).clone());
            }
        }
        out
    })
}

/// ReplicaSets to pods: creates the missing (placed on nodes as the
/// scheduler would, at once), deletes the extra.
pub fn sync_replicasets(r: &Replay, nodes: &[NodeInfo]) {
    let all: Vec<Value> = r.store.read(|v| {
        v.table(&replicasets())
            .filter(|(_, rs)| !deleting(rs))
            .map(|(_, rs)| (**rs).clone())
            .collect()
    });
    let mut by_owner = pods_by_owner(r);
    let mut placed: Option<Placement> = None;
    let now = r.clock.now_rfc3339();
    for rs in all {
        let mut have = by_owner.remove(meta::uid(&rs)).unwrap_or_default();
        let want = replicas(&rs).max(0) as usize;
        let source = ("replicaset-controller", None);
        if have.len() < want {
            let placed = placed.get_or_insert_with(|| Placement::read(r));
            for _ in have.len()..want {
                let mut pod = new_pod(r, &rs);
                let node = pick(nodes, &pod, placed).map(|n| n.name.clone());
                if let Some(n) = &node {
                    placed.add(n, meta::uid(&rs));
                    pod = bind(pod, n, &now);
                }
                let Ok(pod) = r.store.create(&pods(), pod) else {
                    continue;
                };
                let name = meta::name(&pod);
                super::events::record(
                    r,
                    &rs,
                    None,
                    "SuccessfulCreate",
                    &format!("Created pod: {name}"),
                    "Normal",
                    source,
                );
                if let Some(n) = &node {
                    super::events::record(
                        r,
                        &pod,
                        None,
                        "Scheduled",
                        &format!(
                            "Successfully assigned {}/{name} to {n}",
                            meta::namespace(&pod)
                        ),
                        "Normal",
                        ("default-scheduler", None),
                    );
                }
            }
        } else if have.len() > want {
            deletion_order(&mut have);
            for p in &have[..have.len() - want] {
                let pre = Preconditions {
                    resource_version: None,
                    uid: Some(meta::uid(p).to_owned()),
                };
                if r.store
                    .delete(&pods(), meta::namespace(p), meta::name(p), &pre)
                    .is_ok()
                {
                    super::events::record(
                        r,
                        &rs,
                        None,
                        "SuccessfulDelete",
                        &format!("Deleted pod: {}", meta::name(p)),
                        "Normal",
                        source,
                    );
                }
            }
        }
    }
}

/// An int-or-percent of `total`, rounded down (maxUnavailable).
fn scaled_down(v: Option<&Value>, total: i64) -> i64 {
    match v {
        Some(Value::Number(n)) => n.as_i64().unwrap_or(0),
        Some(Value::String(s)) => s
            .strip_suffix('%')
            .and_then(|p| p.parse::<i64>().ok())
            .map_or(0, |p| p * total / 100),
        _ => total / 4,
    }
}

/// Sets a Deployment condition, touching its times only when it changes.
fn set_deployment_condition(
    status: &mut Value,
    ty: &str,
    ok: bool,
    reason: &str,
    msg: &str,
    now: &str,
) {
    let conds = status
        .as_object_mut()
        .expect("an object")
        .entry("conditions")
        .or_insert_with(|| json!([]));
    if !conds.is_array() {
        *conds = json!([]);
    }
    let conds = conds.as_array_mut().expect("an array");
    let st = if ok { "True" } else { "False" };
    let old = conds.iter_mut().find(|c| c["type"] == ty);
    let transition = match &old {
        Some(c) if c["status"] == st => c.get("lastTransitionTime").cloned().unwrap_or(json!(now)),
        _ => json!(now),
    };
    if let Some(c) = &old
        && c["status"] == st
        && c["reason"] == reason
    {
        return;
    }
    let new = json!({"type": ty, "status": st, "lastUpdateTime": now,
                     "lastTransitionTime": transition, "reason": reason, "message": msg});
    match old {
        Some(c) => *c = new,
        None => conds.push(new),
    }
}

/// Counts written only when not zero, as the API's `omitempty` fields are.
fn put_count(s: &mut Map<String, Value>, k: &str, n: i64) {
    if n == 0 {
        s.remove(k);
    } else {
        s.insert(k.into(), json!(n));
    }
}

/// ReplicaSet and Deployment status from their pods.
pub fn update_statuses(r: &Replay) {
    let by_owner = pods_by_owner(r);
    let count = |uid: &str| -> (i64, i64) {
        let p = by_owner.get(uid).map(Vec::as_slice).unwrap_or_default();
        let ready = p.iter().filter(|p| condition_true(p, "Ready")).count();
        (p.len() as i64, ready as i64)
    };
    let all_rs: Vec<_> = r
        .store
        .read(|v| v.table(&replicasets()).map(|(_, o)| o.clone()).collect());
    for rs in all_rs {
        let (n, ready) = count(meta::uid(&rs));
        let mut new = (*rs).clone();
        if !new.get("status").is_some_and(Value::is_object) {
            new["status"] = json!({});
        }
        let s = new["status"].as_object_mut().expect("an object");
        s.insert("replicas".into(), json!(n));
        put_count(s, "fullyLabeledReplicas", n);
        put_count(s, "readyReplicas", ready);
        put_count(s, "availableReplicas", ready);
        s.insert("observedGeneration".into(), json!(generation(&rs)));
        put(r, &replicasets(), &rs, new);
    }
    let all_d: Vec<_> = r
        .store
        .read(|v| v.table(&deployments()).map(|(_, o)| o.clone()).collect());
    let now = r.clock.now_rfc3339();
    for d in all_d {
        let rss = owned(r, &d);
        let (mut total, mut ready) = (0, 0);
        for rs in &rss {
            let (n, k) = count(meta::uid(rs));
            total += n;
            ready += k;
        }
        let cur = current(&d, &rss).or(rss.last());
        let (updated, updated_ready) = cur.map_or((0, 0), |c| count(meta::uid(c)));
        let want = replicas(&d);
        let recreate = meta::str_at(&d, &["spec", "strategy", "type"]) == Some("Recreate");
        let max_unavailable = if recreate {
            0
        } else {
            scaled_down(
                meta::at(&d, &["spec", "strategy", "rollingUpdate", "maxUnavailable"]),
                want,
            )
        };
        let mut new = (*d).clone();
        if !new.get("status").is_some_and(Value::is_object) {
            new["status"] = json!({});
        }
        let status = &mut new["status"];
        let s = status.as_object_mut().expect("an object");
        s.insert("observedGeneration".into(), json!(generation(&d)));
        put_count(s, "replicas", total);
        put_count(s, "updatedReplicas", updated);
        put_count(s, "readyReplicas", ready);
        put_count(s, "availableReplicas", ready);
        put_count(s, "unavailableReplicas", (want - ready).max(0));
        let available = ready >= want - max_unavailable;
        if available {
            set_deployment_condition(
                status,
                "Available",
                true,
                "MinimumReplicasAvailable",
                "Deployment has minimum availability.",
                &now,
            );
        } else {
            set_deployment_condition(
                status,
                "Available",
                false,
                "MinimumReplicasUnavailable",
                "Deployment does not have minimum availability.",
                &now,
            );
        }
        if let Some(c) = cur {
            let name = meta::name(c);
            if updated == want && updated_ready == want && total == want {
                set_deployment_condition(
                    status,
                    "Progressing",
                    true,
                    "NewReplicaSetAvailable",
                    &format!("ReplicaSet \"{name}\" has successfully progressed."),
                    &now,
                );
            } else if updated != want || total != want {
                set_deployment_condition(
                    status,
                    "Progressing",
                    true,
                    "ReplicaSetUpdated",
                    &format!("ReplicaSet \"{name}\" is progressing."),
                    &now,
                );
            }
        }
        put(r, &deployments(), &d, new);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: Option<&str>, phase: &str, ready: bool, restarts: i64) -> Value {
        json!({"metadata": {"name": name, "creationTimestamp": format!("2024-01-01T00:00:0{}Z", name.len() % 10)},
               "spec": {"nodeName": node},
               "status": {"phase": phase,
                          "conditions": [{"type": "Ready", "status": if ready {"True"} else {"False"}}],
                          "containerStatuses": [{"restartCount": restarts}]}})
    }

    #[test]
    fn deletes_the_worst_pods_first() {
        let mut pods = vec![
            pod("ready-alone", Some("a"), "Running", true, 0),
            pod("ready-crowded", Some("b"), "Running", true, 0),
            pod("ready-crowded2", Some("b"), "Running", true, 0),
            pod("crashing", Some("c"), "Running", false, 9),
            pod("pending", Some("c"), "Pending", false, 0),
            pod("unscheduled", None, "Pending", false, 0),
        ];
        deletion_order(&mut pods);
        let names: Vec<_> = pods.iter().map(meta::name).collect();
        assert_eq!(
            &names[..4],
            ["unscheduled", "pending", "crashing", "ready-crowded2"]
        );
        assert_eq!(names[5], "ready-alone");
    }

    #[test]
    fn hashes_are_stable_and_use_the_alphabet() {
        let t = json!({"spec": {"containers": [{"name": "c"}]}});
        let h = template_hash(&t);
        assert_eq!(h, template_hash(&t));
        assert_eq!(h.len(), 10);
        assert!(h.bytes().all(|b| ALPHABET.contains(&b)));
        assert_ne!(h, template_hash(&json!({})));
        assert_eq!(scaled_down(Some(&json!("25%")), 3), 0);
        assert_eq!(scaled_down(Some(&json!(1)), 3), 1);
        assert_eq!(scaled_down(None, 8), 2);
    }
}
