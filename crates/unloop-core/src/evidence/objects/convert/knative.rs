//! Knative Serving Revision (`serving.knative.dev`).

use serde_json::Value;

use super::*;
use crate::evidence::model::Revision;

const LABEL_CONFIGURATION: &str = "serving.knative.dev/configuration";
const LABEL_SERVICE: &str = "serving.knative.dev/service";
const LABEL_ROUTING_STATE: &str = "serving.knative.dev/routingState";
const ANN_ROUTING_STATE_MODIFIED: &str = "serving.knative.dev/routingStateModified";
const ANN_NO_GC: &str = "serving.knative.dev/no-gc";
const ANN_ROUTES: &str = "serving.knative.dev/routes";

pub(super) fn ingest_revision(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let meta = meta(v);
    let label = object_label("Revision", &meta);
    let labels = &meta.labels;
    let ann = &meta.annotations;
    let non_empty =
        |m: &BTreeMap<String, String>, k: &str| m.get(k).filter(|s| !s.is_empty()).cloned();
    let ready = conditions(array_at(v, &["status", "conditions"]))
        .into_iter()
        .find(|c| c.kind == "Ready")
        .map(|c| c.status);
    b.add_revision(Revision {
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone(),
        configuration: non_empty(labels, LABEL_CONFIGURATION),
        service: non_empty(labels, LABEL_SERVICE),
        routing_state: non_empty(labels, LABEL_ROUTING_STATE),
        routing_state_modified: ann
            .get(ANN_ROUTING_STATE_MODIFIED)
            .and_then(|s| parse_rfc3339(s)),
        // Knative compares with strings.EqualFold.
        no_gc: ann
            .get(ANN_NO_GC)
            .is_some_and(|s| s.trim().eq_ignore_ascii_case("true")),
        routes: non_empty(ann, ANN_ROUTES),
        created: meta.created.and_then(|t| t.absolute()),
        ready,
        source: base.with_field(label),
    });
}
