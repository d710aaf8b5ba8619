//! Lenient accessors for objects held as `serde_json::Value`.

use serde_json::{Map, Value};

/// The string at a path of object keys.
pub fn str_at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a str> {
    at(v, path).and_then(Value::as_str)
}

/// The value at a path of object keys.
pub fn at<'a>(v: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(v, |cur, k| cur.get(*k))
}

/// `metadata.name`, or `""`.
pub fn name(v: &Value) -> &str {
    str_at(v, &["metadata", "name"]).unwrap_or("")
}

/// `metadata.namespace`, or `""`.
pub fn namespace(v: &Value) -> &str {
    str_at(v, &["metadata", "namespace"]).unwrap_or("")
}

/// `metadata.uid`, or `""`.
pub fn uid(v: &Value) -> &str {
    str_at(v, &["metadata", "uid"]).unwrap_or("")
}

/// `metadata.labels` as pairs.
pub fn labels(v: &Value) -> Option<&Map<String, Value>> {
    at(v, &["metadata", "labels"]).and_then(Value::as_object)
}

/// `metadata`, created if missing.
pub fn metadata_mut(v: &mut Value) -> &mut Map<String, Value> {
    if !v.is_object() {
        *v = Value::Object(Map::new());
    }
    let obj = v.as_object_mut().expect("an object");
    let meta = obj
        .entry("metadata")
        .or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    meta.as_object_mut().expect("an object")
}

/// Sets `metadata.<key>`.
pub fn set_meta(v: &mut Value, key: &str, value: Value) {
    metadata_mut(v).insert(key.to_owned(), value);
}

/// `metadata.resourceVersion` as a number.
pub fn resource_version(v: &Value) -> Option<u64> {
    str_at(v, &["metadata", "resourceVersion"]).and_then(|s| s.parse().ok())
}

/// The UIDs of an object's owners.
pub fn owner_uids(v: &Value) -> impl Iterator<Item = &str> {
    at(v, &["metadata", "ownerReferences"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|o| o.get("uid").and_then(Value::as_str))
}

/// Only the metadata, as `PartialObjectMetadata`.
pub fn partial(v: &Value) -> Value {
    serde_json::json!({
        "kind": "PartialObjectMetadata",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": v.get("metadata").cloned().unwrap_or_else(|| Value::Object(Map::new())),
    })
}
