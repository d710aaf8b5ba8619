//! Any other object: custom resources (Knative Services, Configurations, Routes,
//! KIngresses, ServerlessServices, ...) and core kinds the model has no type for.

use serde_json::Value;

use super::*;
use crate::evidence::model::GenericObject;

pub(super) fn ingest(
    v: &Value,
    kind: &str,
    api_version: &str,
    base: &Source,
    b: &mut EvidenceBuilder,
) {
    let meta = meta(v);
    let label = object_label(kind, &meta);
    let status = at(v, &["status"])
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), scalar_string(v)?)))
                .collect()
        })
        .unwrap_or_default();
    b.add_object(GenericObject {
        api_version: api_version.to_owned(),
        kind: kind.to_owned(),
        conditions: conditions(array_at(v, &["status", "conditions"])),
        status,
        source: base.with_field(label),
        meta,
    });
}
