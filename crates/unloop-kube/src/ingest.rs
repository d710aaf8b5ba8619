//! API answers into the model, through the same conversion the offline
//! readers use (`objects::ingest_value`), so live and offline evidence agree.

use serde_json::{Map, Value};
use unloop_core::evidence::{EvidenceBuilder, Source, objects};

/// `metadata.uid` (or namespace/name) of an object: what a restarted list
/// must not add twice.
pub fn identity(item: &Value) -> String {
    let m = &item["metadata"];
    match m["uid"].as_str() {
        Some(uid) => uid.to_owned(),
        None => format!(
            "{}/{}",
            m["namespace"].as_str().unwrap_or(""),
            m["name"].as_str().unwrap_or("")
        ),
    }
}

/// Gives a list item the `kind` and `apiVersion` that list items leave out.
pub fn typed(mut item: Value, kind: &str, api_version: &str) -> Value {
    if let Value::Object(o) = &mut item {
        o.entry("kind").or_insert_with(|| kind.into());
        o.entry("apiVersion").or_insert_with(|| api_version.into());
    }
    item
}

/// The item kind of a list kind: `PodList` → `Pod`.
pub fn item_kind(list: &Value) -> Option<String> {
    list["kind"]
        .as_str()
        .and_then(|k| k.strip_suffix("List"))
        .map(str::to_owned)
}

/// Converts one object read at `origin`. Pods already in the model (a node's
/// pods overlap the pods in scope) are skipped so that counts stay counts of
/// objects, not of reads.
pub fn object(item: Value, origin: &Source, b: &mut EvidenceBuilder) {
    if item["kind"] == "Pod" {
        let ns = item["metadata"]["namespace"].as_str();
        let name = item["metadata"]["name"].as_str().unwrap_or("");
        if b.evidence()
            .pod(ns, name)
            .is_some_and(|p| p.meta.namespace.as_deref() == ns)
        {
            return;
        }
    }
    objects::ingest_value(item, origin, b);
}

/// A metadata-only Revision as the full object the converter expects: GC
/// reads only labels, annotations and creationTimestamp, which metadata
/// carries; readiness stays unknown.
pub fn revision_from_metadata(item: &Value, api_version: &str) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), api_version.into());
    o.insert("kind".into(), "Revision".into());
    o.insert("metadata".into(), item["metadata"].clone());
    Value::Object(o)
}

/// A metadata-only list item (`PartialObjectMetadata`) as an object of its
/// own kind carrying only its metadata.
pub fn as_kind(item: &Value, kind: &str, api_version: &str) -> Value {
    let mut o = Map::new();
    o.insert("apiVersion".into(), api_version.into());
    o.insert("kind".into(), kind.into());
    o.insert("metadata".into(), item["metadata"].clone());
    Value::Object(o)
}
