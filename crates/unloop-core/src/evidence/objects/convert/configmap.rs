//! core/v1 ConfigMap.

use serde_json::Value;

use super::*;
use crate::evidence::model::ConfigMap;

/// Knative ConfigMaps whose `_example` block is worth keeping: a diagnosis can
/// show that a setting was edited inside the example (where it has no effect)
/// instead of at the top level.
const KEEP_EXAMPLE: [&str; 4] = [
    "config-gc",
    "config-leader-election",
    "config-network",
    "config-istio",
];

pub(super) fn ingest(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let meta = meta(v);
    let label = object_label("ConfigMap", &meta);
    let mut data = string_map_at(v, &["data"]);
    if !KEEP_EXAMPLE.contains(&meta.name.as_str()) {
        data.remove("_example");
    }
    b.add_config_map(ConfigMap {
        data,
        source: base.with_field(label),
        meta,
    });
}
