//! coordination.k8s.io/v1 Lease.

use serde_json::Value;

use super::*;
use crate::evidence::model::Lease;

pub(super) fn ingest(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let meta = meta(v);
    let label = object_label("Lease", &meta);
    b.add_lease(Lease {
        // An empty holder is meaningful (a clean release), so it is kept as "".
        holder: str_at(v, &["spec", "holderIdentity"]).map(str::to_owned),
        duration_seconds: u32_at(v, &["spec", "leaseDurationSeconds"]),
        acquire_time: time_at(v, &["spec", "acquireTime"]),
        renew_time: time_at(v, &["spec", "renewTime"]),
        transitions: u32_at(v, &["spec", "leaseTransitions"]),
        source: base.with_field(label),
        meta,
    });
}
