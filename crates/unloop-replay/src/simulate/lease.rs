//! Leader election: a Lease held by a Ready pod is renewed; a Lease whose
//! holder is gone (a deleted pod releases its lease, as Knative's and
//! client-go's `ReleaseOnCancel` electors do) or expired is taken by a Ready
//! pod of the same workload.

use serde_json::{Value, json};

use super::{active, condition_true, controller_uid, pods, put, replicasets};
use crate::app::Replay;
use crate::ids;
use crate::meta;
use crate::resources::StorageKey;

fn leases() -> StorageKey {
    StorageKey::new("coordination.k8s.io", "leases")
}

/// The workload a pod belongs to: its ReplicaSet's owner (the Deployment),
/// else its ReplicaSet, read from the name when the pod is gone.
fn workload(r: &Replay, ns: &str, pod_name: &str) -> Option<String> {
    let rs_name = pod_name.rsplit_once('-')?.0;
    let rs = r.store.get(&replicasets(), ns, rs_name);
    Some(match rs.as_deref().and_then(controller_uid) {
        Some(owner) => owner.to_owned(),
        None => rs_name.to_owned(),
    })
}

fn expired(lease: &Value, now: jiff::Timestamp) -> bool {
    let renewed =
        meta::str_at(lease, &["spec", "renewTime"]).and_then(|t| t.parse::<jiff::Timestamp>().ok());
    let secs = meta::at(lease, &["spec", "leaseDurationSeconds"])
        .and_then(Value::as_i64)
        .unwrap_or(15);
    renewed.is_none_or(|t| t.as_second() + secs < now.as_second())
}

/// Renews or hands over every Lease held by a pod.
pub fn renew(r: &Replay) {
    let all: Vec<_> = r
        .store
        .read(|v| v.table(&leases()).map(|(_, l)| l.clone()).collect());
    for lease in all {
        let Some(holder) = meta::str_at(&lease, &["spec", "holderIdentity"]) else {
            continue;
        };
        let Some((pod_name, _)) = holder.split_once('_') else {
            continue;
        };
        let ns = meta::namespace(&lease);
        let pod = r.store.get(&pods(), ns, pod_name);
        let now = r.clock.now_micro();
        let mut new = (*lease).clone();
        match pod {
            Some(p) if active(&p) && condition_true(&p, "Ready") => {
                new["spec"]["renewTime"] = json!(now);
            }
            alive => {
                if alive.is_some() && !expired(&lease, r.clock.now()) {
                    continue;
                }
                let Some(w) = workload(r, ns, pod_name) else {
                    continue;
                };
                // Collected first: `workload` reads the store itself.
                let ready: Vec<String> = r.store.read(|v| {
                    let mut out = Vec::new();
                    v.scan(&pods(), Some(ns), None, None, |_, p| {
                        if active(p) && condition_true(p, "Ready") && meta::name(p) != pod_name {
                            out.push(meta::name(p).to_owned());
                        }
                        true
                    });
                    out
                });
                let heir = ready
                    .into_iter()
                    .find(|p| workload(r, ns, p).as_deref() == Some(w.as_str()));
                let Some(heir) = heir else { continue };
                let transitions = meta::at(&lease, &["spec", "leaseTransitions"])
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                let spec = &mut new["spec"];
                spec["holderIdentity"] = json!(format!("{heir}_{}", ids::new_uid()));
                spec["acquireTime"] = json!(now);
                spec["renewTime"] = json!(now);
                spec["leaseTransitions"] = json!(transitions + 1);
            }
        }
        put(r, &leases(), &lease, new);
    }
}
