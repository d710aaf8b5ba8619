//! core/v1 Event and events.k8s.io/v1 Event.
//!
//! Both API groups serve the same stored objects under different field names;
//! each field is read from whichever spelling is present, so one converter
//! handles both (and the mixed shapes hand-made inputs produce).

use serde_json::Value;

use super::*;
use crate::evidence::model::{Event, ObjectRef};

pub(super) fn ingest(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let meta = meta(v);
    let label = object_label("Event", &meta);
    let about = at(v, &["involvedObject"])
        .or_else(|| at(v, &["regarding"]))
        .unwrap_or(&Value::Null);
    let object = ObjectRef {
        kind: string_at(about, &["kind"]).unwrap_or_default(),
        namespace: string_at(about, &["namespace"]),
        name: string_at(about, &["name"]).unwrap_or_default(),
        uid: string_at(about, &["uid"]),
    };
    let first = |keys: &[&[&str]]| keys.iter().find_map(|k| string_at(v, k));
    let count = u32_at(v, &["series", "count"])
        .or_else(|| u32_at(v, &["count"]))
        .or_else(|| u32_at(v, &["deprecatedCount"]))
        .unwrap_or(1)
        .max(1);
    let time = |keys: &[&[&str]]| keys.iter().find_map(|k| timeref_at(v, k));
    b.add_event(Event {
        object,
        field_path: string_at(about, &["fieldPath"]),
        kind: string_at(v, &["type"]).unwrap_or_default(),
        reason: string_at(v, &["reason"]).unwrap_or_default(),
        message: str_at(v, &["message"])
            .or_else(|| str_at(v, &["note"]))
            .unwrap_or_default()
            .to_owned(),
        reporter: first(&[
            &["source", "component"],
            &["deprecatedSource", "component"],
            &["reportingComponent"],
            &["reportingController"],
        ]),
        host: first(&[&["source", "host"], &["deprecatedSource", "host"]]),
        count,
        first_seen: time(&[
            &["eventTime"],
            &["firstTimestamp"],
            &["deprecatedFirstTimestamp"],
        ]),
        last_seen: time(&[
            &["series", "lastObservedTime"],
            &["lastTimestamp"],
            &["deprecatedLastTimestamp"],
            &["eventTime"],
        ]),
        source: base.with_field(label),
    });
}
