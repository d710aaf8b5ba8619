//! One decoded Kubernetes object (a `serde_json::Value`) into the model.
//!
//! Every accessor here is lenient: evidence comes from users, truncated pastes and
//! old clusters, so a missing or mistyped field is simply absent, never an error.

mod configmap;
mod event;
mod generic;
mod knative;
mod lease;
mod node;
mod pod;
mod workload;

use std::collections::BTreeMap;

use jiff::Timestamp;
use serde_json::Value;

use super::count_key;
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::model::{Condition, DiagnosticLevel, Meta, OwnerRef, WorkloadKind};
use crate::evidence::quantity::{parse_cpu_millis, parse_memory_bytes};
use crate::evidence::source::Source;
use crate::evidence::time::{TimeRef, parse_rfc3339};

/// The annotation `kubectl apply` writes: a full copy of the object as applied,
/// Secret data included. Never kept.
pub(crate) const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";

/// The kind and apiVersion a list lends to items that lack their own.
#[derive(Debug, Clone, Default)]
pub(crate) struct ListDefaults {
    pub kind: Option<String>,
    pub api_version: Option<String>,
}

impl ListDefaults {
    /// Defaults derived from a list's own kind (`PodList` → `Pod`) and apiVersion.
    /// A plain `List` lends no kind: its items must carry their own.
    pub fn from_list(kind: Option<&str>, api_version: Option<&str>) -> Self {
        let item_kind = kind
            .and_then(|k| k.strip_suffix("List"))
            .filter(|k| !k.is_empty())
            .map(str::to_owned);
        ListDefaults {
            api_version: item_kind
                .as_ref()
                .and(api_version)
                .filter(|a| !a.is_empty())
                .map(str::to_owned),
            kind: item_kind,
        }
    }
}

/// Whether `kind` names a list whose `items` hold objects.
pub(crate) fn is_list_kind(kind: &str) -> bool {
    kind.ends_with("List")
}

/// Where the objects a reader decodes go: into the model ([`EvidenceBuilder`]),
/// or raw to a caller that wants them as they are (the replay server).
pub(crate) trait ObjectSink {
    /// One object whose kind is known; `api_version` is its own, its list's,
    /// or the likeliest one for its kind.
    fn object(&mut self, v: Value, kind: &str, api_version: &str, base: &Source);
    /// A problem met while reading.
    fn diagnostic(&mut self, level: DiagnosticLevel, source: Source, message: String);
}

impl ObjectSink for EvidenceBuilder {
    fn object(&mut self, v: Value, kind: &str, api_version: &str, base: &Source) {
        dispatch(v, kind, api_version, base, self);
    }

    fn diagnostic(&mut self, level: DiagnosticLevel, source: Source, message: String) {
        EvidenceBuilder::diagnostic(self, level, source, message);
    }
}

/// Adds one object, or every item of a list, to the sink.
///
/// `base` names the input and the line where the object starts; each object's
/// source adds a field such as `Pod ns/name`. `item_lines`, when given, holds the
/// starting line of each item of a list (YAML lists, where they can be found).
pub(crate) fn ingest<S: ObjectSink + ?Sized>(
    v: Value,
    base: &Source,
    defaults: &ListDefaults,
    item_lines: Option<&[u32]>,
    b: &mut S,
) {
    let Value::Object(mut obj) = v else {
        if !v.is_null() {
            b.diagnostic(
                DiagnosticLevel::Note,
                base.clone(),
                "skipped a document that is not a Kubernetes object".into(),
            );
        }
        return;
    };
    let own_kind = obj.get("kind").and_then(Value::as_str).map(str::to_owned);
    // A kind ending in `List` without an `items` array is an object like any
    // other (custom kinds such as `IPAllowList` exist).
    let list_kind = own_kind
        .as_deref()
        .filter(|k| is_list_kind(k) && matches!(obj.get("items"), Some(Value::Array(_))));
    if let Some(kind) = list_kind {
        let Some(Value::Array(items)) = obj.remove("items") else {
            return;
        };
        let api = obj.get("apiVersion").and_then(Value::as_str);
        let d = ListDefaults::from_list(Some(kind), api);
        let lines = item_lines.filter(|l| l.len() == items.len());
        for (i, item) in items.into_iter().enumerate() {
            let src = match lines {
                Some(l) => base.at_line(l[i]),
                None => base.clone(),
            };
            ingest(item, &src, &d, None, b);
        }
        return;
    }
    if own_kind.is_none() {
        match defaults.kind.clone().or_else(|| infer_kind(&obj)) {
            Some(k) => {
                obj.insert("kind".into(), Value::String(k));
            }
            None => {
                b.diagnostic(
                    DiagnosticLevel::Warning,
                    base.clone(),
                    "skipped an object with no kind (and no list kind to lend it one)".into(),
                );
                return;
            }
        }
    }
    let kind = obj
        .get("kind")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let api_version = obj
        .get("apiVersion")
        .and_then(Value::as_str)
        .filter(|a| !a.is_empty())
        .map(str::to_owned)
        .or_else(|| defaults.api_version.clone())
        .unwrap_or_else(|| default_api_version(&kind).to_owned());
    let v = Value::Object(obj);
    b.object(v, &kind, &api_version, base);
}

/// The apiVersion an object of `kind` most likely has when its input dropped it.
fn default_api_version(kind: &str) -> &'static str {
    match kind {
        "Deployment" | "ReplicaSet" | "StatefulSet" | "DaemonSet" => "apps/v1",
        "Job" | "CronJob" => "batch/v1",
        "Lease" => "coordination.k8s.io/v1",
        "Revision" | "Configuration" | "Route" => "serving.knative.dev/v1",
        _ => "v1",
    }
}

/// Last resort for list items without a kind under a list without one: guess
/// from the fields only a Pod, a Node or an Event has.
pub(crate) fn infer_kind(obj: &serde_json::Map<String, Value>) -> Option<String> {
    let has = |path: &[&str]| {
        let mut cur = obj.get(path[0]);
        for k in &path[1..] {
            cur = cur.and_then(|c| c.get(*k));
        }
        cur.is_some()
    };
    let kind = if has(&["spec", "containers"]) {
        "Pod"
    } else if has(&["status", "nodeInfo"]) || has(&["spec", "podCIDR"]) {
        "Node"
    } else if has(&["involvedObject"]) || has(&["regarding"]) {
        "Event"
    } else if has(&["spec", "holderIdentity"]) || has(&["spec", "leaseDurationSeconds"]) {
        "Lease"
    } else {
        return None;
    };
    Some(kind.to_owned())
}

fn group_of(api_version: &str) -> &str {
    api_version.rsplit_once('/').map_or("", |(g, _)| g)
}

fn dispatch(v: Value, kind: &str, api_version: &str, base: &Source, b: &mut EvidenceBuilder) {
    let ns = str_at(&v, &["metadata", "namespace"]).filter(|s| !s.is_empty());
    b.count(&count_key(api_version, kind), ns);
    let group = group_of(api_version);
    match (group, kind) {
        ("", "Pod") => pod::ingest(&v, base, b),
        ("", "Node") => node::ingest(&v, base, b),
        ("" | "apps" | "extensions" | "batch", k) if WorkloadKind::from_kind(k).is_some() => {
            workload::ingest(&v, base, b)
        }
        ("" | "events.k8s.io", "Event") => event::ingest(&v, base, b),
        ("coordination.k8s.io", "Lease") => lease::ingest(&v, base, b),
        ("", "ConfigMap") => configmap::ingest(&v, base, b),
        // Counted above; nothing else of a Secret is read, let alone kept: its
        // data, stringData and last-applied annotation hold the secret itself.
        ("", "Secret") => b.seen("Secret"),
        ("serving.knative.dev", "Revision") => knative::ingest_revision(&v, base, b),
        _ => generic::ingest(&v, kind, api_version, base, b),
    }
}

// ---- lenient accessors -------------------------------------------------------

/// The value at a path of object keys.
pub(super) fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    let mut cur = v;
    for k in path {
        cur = cur.as_object()?.get(*k)?;
    }
    Some(cur)
}

/// A string at a path (strings only; empty strings included).
pub(super) fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path)?.as_str()
}

/// A non-empty string at a path, owned.
pub(super) fn string_at(v: &Value, path: &[&str]) -> Option<String> {
    str_at(v, path).filter(|s| !s.is_empty()).map(str::to_owned)
}

/// A scalar as text: strings as they are, numbers and booleans printed.
pub(super) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// An integer at a path: a JSON integer, an integral float, or a numeric string.
pub(super) fn i64_at(v: &Value, path: &[&str]) -> Option<i64> {
    match at(v, path)? {
        Value::Number(n) => n.as_i64().or_else(|| {
            n.as_f64()
                .filter(|f| f.fract() == 0.0 && f.abs() < 9.0e15)
                .map(|f| f as i64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A non-negative integer that fits in `u32`.
pub(super) fn u32_at(v: &Value, path: &[&str]) -> Option<u32> {
    i64_at(v, path).and_then(|n| u32::try_from(n).ok())
}

/// A boolean at a path (also `"true"`/`"false"` strings).
pub(super) fn bool_at(v: &Value, path: &[&str]) -> Option<bool> {
    match at(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => None,
    }
}

/// An RFC 3339 time (Time or MicroTime) at a path.
pub(super) fn time_at(v: &Value, path: &[&str]) -> Option<Timestamp> {
    parse_rfc3339(str_at(v, path)?)
}

/// An RFC 3339 time at a path, as a [`TimeRef`].
pub(super) fn timeref_at(v: &Value, path: &[&str]) -> Option<TimeRef> {
    time_at(v, path).map(TimeRef::At)
}

/// An array of strings at a path (non-string entries skipped).
pub(super) fn strings_at(v: &Value, path: &[&str]) -> Vec<String> {
    at(v, path)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(scalar_string).collect())
        .unwrap_or_default()
}

/// The entries of an array at a path, with their index (missing → none).
pub(super) fn array_at<'a>(v: &'a Value, path: &[&str]) -> &'a [Value] {
    at(v, path)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A map of scalars at a path, as strings.
pub(super) fn string_map_at(v: &Value, path: &[&str]) -> BTreeMap<String, String> {
    at(v, path)
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), scalar_string(v)?)))
                .collect()
        })
        .unwrap_or_default()
}

/// A CPU quantity (string or number) in millicores.
pub(super) fn cpu_at(v: &Value, path: &[&str]) -> Option<u64> {
    parse_cpu_millis(&scalar_string(at(v, path)?)?)
}

/// A memory quantity (string or number) in bytes.
pub(super) fn memory_at(v: &Value, path: &[&str]) -> Option<u64> {
    parse_memory_bytes(&scalar_string(at(v, path)?)?)
}

// ---- shared pieces -----------------------------------------------------------

/// `Kind ns/name` (or `Kind name` when cluster-scoped): the field prefix that
/// names an object in a [`Source`].
pub(super) fn object_label(kind: &str, meta: &Meta) -> String {
    match &meta.namespace {
        Some(ns) => format!("{kind} {ns}/{}", meta.name),
        None => format!("{kind} {}", meta.name),
    }
}

/// `metadata` into [`Meta`]; `managedFields` and the last-applied annotation are
/// never read.
pub(super) fn meta(v: &Value) -> Meta {
    let mut annotations = string_map_at(v, &["metadata", "annotations"]);
    annotations.remove(LAST_APPLIED);
    Meta {
        namespace: string_at(v, &["metadata", "namespace"]),
        name: str_at(v, &["metadata", "name"])
            .unwrap_or_default()
            .to_owned(),
        uid: string_at(v, &["metadata", "uid"]),
        labels: string_map_at(v, &["metadata", "labels"]),
        annotations,
        owners: array_at(v, &["metadata", "ownerReferences"])
            .iter()
            .filter_map(|o| {
                Some(OwnerRef {
                    kind: string_at(o, &["kind"])?,
                    name: string_at(o, &["name"])?,
                    uid: string_at(o, &["uid"]),
                    controller: bool_at(o, &["controller"]).unwrap_or(false),
                })
            })
            .collect(),
        created: timeref_at(v, &["metadata", "creationTimestamp"]),
        deleted: time_at(v, &["metadata", "deletionTimestamp"]),
    }
}

/// `status.conditions` (or any array of conditions); entries without a type are skipped.
pub(super) fn conditions(list: &[Value]) -> Vec<Condition> {
    list.iter()
        .filter_map(|c| {
            Some(Condition {
                kind: string_at(c, &["type"])?,
                status: string_at(c, &["status"]).unwrap_or_else(|| "Unknown".into()),
                reason: string_at(c, &["reason"]),
                message: string_at(c, &["message"]),
                last_transition: timeref_at(c, &["lastTransitionTime"]),
                last_heartbeat: timeref_at(c, &["lastHeartbeatTime"]),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
