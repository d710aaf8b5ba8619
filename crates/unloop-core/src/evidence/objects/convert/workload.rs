//! Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController.

use serde_json::Value;

use super::*;
use crate::evidence::model::Workload;

pub(super) fn ingest(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let Some(kind) = str_at(v, &["kind"]).and_then(WorkloadKind::from_kind) else {
        return;
    };
    let meta = meta(v);
    let label = object_label(kind.as_str(), &meta);
    // Go omits zero counts (`omitempty`), so inside a present `status` an absent
    // count is 0; without any `status` (a manifest) the counts stay unknown.
    let has_status = at(v, &["status"]).is_some_and(Value::is_object);
    let count = |key: &str| u32_at(v, &["status", key]).or(if has_status { Some(0) } else { None });
    let (replicas, ready, available, updated) = match kind {
        WorkloadKind::DaemonSet => (
            u32_at(v, &["status", "desiredNumberScheduled"]),
            count("numberReady"),
            count("numberAvailable"),
            count("updatedNumberScheduled"),
        ),
        // A Job's pods are not replicas: parallelism is its width, `ready` (a
        // pointer in Go, so absent means unknown) the ready pods.
        WorkloadKind::Job => (
            u32_at(v, &["spec", "parallelism"]),
            u32_at(v, &["status", "ready"]),
            None,
            None,
        ),
        _ => (
            u32_at(v, &["spec", "replicas"]).or_else(|| u32_at(v, &["status", "replicas"])),
            count("readyReplicas"),
            count("availableReplicas"),
            count("updatedReplicas"),
        ),
    };
    let selector = match at(v, &["spec", "selector", "matchLabels"]) {
        Some(_) => string_map_at(v, &["spec", "selector", "matchLabels"]),
        // ReplicationController selectors are a plain map.
        None if kind == WorkloadKind::ReplicationController => {
            string_map_at(v, &["spec", "selector"])
        }
        None => Default::default(),
    };
    let template = super::pod::containers_of(
        v,
        &["spec", "template", "spec"],
        ".spec.template.spec",
        &label,
        base,
    );
    b.add_workload(Workload {
        kind,
        replicas,
        ready_replicas: ready,
        available_replicas: available,
        updated_replicas: updated,
        selector,
        template,
        conditions: conditions(array_at(v, &["status", "conditions"])),
        sources: vec![base.with_field(label)],
        meta,
    });
}
