//! core/v1 Events as the kubelet's and the controllers' recorders write them:
//! a repeat of the same event (same object, reason, message, source) bumps
//! `count` and `lastTimestamp` of the existing one instead of adding another.

use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Value, json};

use crate::app::Replay;
use crate::meta;
use crate::resources::StorageKey;
use crate::store::Preconditions;

static SEQ: AtomicU64 = AtomicU64::new(0);

fn events() -> StorageKey {
    StorageKey::new("", "events")
}

/// Records an event about `obj` (of its own kind and apiVersion), from
/// `source` (component, host).
pub fn record(
    r: &Replay,
    obj: &Value,
    field_path: Option<&str>,
    reason: &str,
    message: &str,
    ty: &str,
    source: (&str, Option<&str>),
) {
    let ns = meta::namespace(obj);
    let ns = if ns.is_empty() { "default" } else { ns };
    let uid = meta::uid(obj);
    let (component, host) = source;
    let same = |e: &Value| {
        meta::str_at(e, &["involvedObject", "uid"]) == Some(uid)
            && meta::str_at(e, &["involvedObject", "fieldPath"]) == field_path
            && meta::str_at(e, &["reason"]) == Some(reason)
            && meta::str_at(e, &["message"]) == Some(message)
            && meta::str_at(e, &["source", "component"]) == Some(component)
    };
    let existing = r.store.read(|v| {
        let mut found = None;
        v.scan(&events(), Some(ns), None, None, |_, e| {
            if same(e) {
                found = Some(e.clone());
                return false;
            }
            true
        });
        found
    });
    let now = r.clock.now_rfc3339();
    if let Some(old) = existing {
        let mut new = (*old).clone();
        let count = old.get("count").and_then(Value::as_i64).unwrap_or(1);
        new["count"] = json!(count + 1);
        new["lastTimestamp"] = json!(now);
        let pre = Preconditions {
            resource_version: meta::resource_version(&old),
            uid: None,
        };
        let _ = r.store.update(&events(), new, &pre);
        return;
    }
    // The recorder names events `<object>.<hex nanoseconds>`.
    let nanos = r.clock.now().as_nanosecond() as u64 + SEQ.fetch_add(1, Ordering::Relaxed);
    let mut involved = json!({
        "kind": obj.get("kind").cloned().unwrap_or(json!("Pod")),
        "apiVersion": obj.get("apiVersion").cloned().unwrap_or(json!("v1")),
        "namespace": ns,
        "name": meta::name(obj),
        "uid": uid,
    });
    if let Some(f) = field_path {
        involved["fieldPath"] = json!(f);
    }
    let mut source = json!({"component": component});
    if let Some(h) = host {
        source["host"] = json!(h);
    }
    let event = json!({
        "apiVersion": "v1",
        "kind": "Event",
        "metadata": {
            "name": format!("{}.{nanos:x}", meta::name(obj)),
            "namespace": ns,
            "uid": crate::ids::new_uid(),
            "creationTimestamp": now,
        },
        "involvedObject": involved,
        "reason": reason,
        "message": message,
        "type": ty,
        "source": source,
        "firstTimestamp": now,
        "lastTimestamp": now,
        "count": 1,
        "eventTime": null,
        "reportingComponent": component,
        "reportingInstance": host.unwrap_or(""),
    });
    let _ = r.store.create(&events(), event);
}
