//! Knative Serving's Revision garbage collector (serving 1.12's
//! `revision-gc-controller`): when `config-gc` changes, or Revisions or
//! Configurations are created or changed, every Configuration gets a GC pass
//! and the Revisions Knative would delete are deleted.
//!
//! Which Revisions go is not decided here: a pass is
//! [`unloop_core::remedy::gc::plan`] over the store's Revisions,
//! Configurations and Routes (read through unloop-core's object conversion,
//! as the live collector reads them) at the replay's clock, with the
//! settings [`GcConfig::from_data`] reads from `config-gc`. The plan already
//! protects the latest ready Revision, `serving.knative.dev/no-gc: "true"`
//! and every routingState but `reserve`. This module only decides when a
//! pass runs and carries out its deletions.
//!
//! - **When**: after a change to `config-gc` (its resourceVersion differs
//!   from the one last acted on; Knative's global resync) or after a
//!   Revision or Configuration was created or updated (Knative enqueues the
//!   Configuration on both). Found from the store's change history, so a
//!   round in which neither happened costs a look at the new changes only
//!   (when the history no longer reaches back to the last round, a pass
//!   runs: what happened cannot be told).
//!   The snapshot is taken as GC left it: no pass runs at start, nor on
//!   Knative's 10h informer resync, so Revisions that merely age into
//!   staleness are not collected until one of the triggers fires.
//! - **Which config-gc**: `knative-serving/config-gc`, else a `config-gc` in
//!   whichever namespace the snapshot installed Knative in.
//! - **A config-gc Knative would reject** (a value that does not parse, min
//!   above max, data that are not strings): as Knative's config store does,
//!   the last valid settings stay in force and the change starts no pass.
//!   Nothing is logged or recorded; serving goes on.
//! - **Deleting**: through the same delete as an API `DELETE` (background
//!   propagation, so the Revision's dependents, its Deployment,
//!   PodAutoscaler, Services and so on, go with it through their
//!   ownerReferences), with a UID precondition: a Revision a client deleted
//!   (or deleted and recreated) since the pass read it is left alone. A
//!   Revision already being deleted (held by a finalizer) is not deleted
//!   again. Knative's collector writes no Event, and neither does this.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde_json::Value;
use unloop_core::evidence::objects::ingest_value;
use unloop_core::evidence::{EvidenceBuilder, Source};
use unloop_core::remedy::gc::{self, GcConfig};

use super::deleting;
use crate::app::Replay;
use crate::meta;
use crate::resources::StorageKey;
use crate::store::{ChangeType, Preconditions};
use crate::write::{self, DeleteOptions, Propagation};

/// Knative Serving's API group.
const SERVING: &str = "serving.knative.dev";

fn revisions() -> StorageKey {
    StorageKey::new(SERVING, "revisions")
}

fn configurations() -> StorageKey {
    StorageKey::new(SERVING, "configurations")
}

fn routes() -> StorageKey {
    StorageKey::new(SERVING, "routes")
}

fn config_maps() -> StorageKey {
    StorageKey::new("", "configmaps")
}

/// What the collector remembers between rounds.
#[derive(Debug, Default)]
pub(super) struct GcState {
    /// The store's resourceVersion up to which changes have been looked at.
    seen_rv: u64,
    /// config-gc's resourceVersion last acted on (`None`: there was none).
    config_rv: Option<u64>,
    /// The settings in force: the last config-gc that parsed.
    config: Option<GcConfig>,
}

impl GcState {
    /// The collector's state for a freshly loaded snapshot: the settings of
    /// its config-gc, nothing to do yet.
    pub(super) fn new(r: &Replay) -> Self {
        let seen_rv = r.store.resource_version();
        let cm = find_config_gc(r);
        GcState {
            seen_rv,
            config_rv: cm.as_deref().and_then(meta::resource_version),
            config: cm.as_deref().and_then(parse_config),
        }
    }
}

/// The config-gc ConfigMap: Knative's default system namespace first.
fn find_config_gc(r: &Replay) -> Option<Arc<Value>> {
    r.store
        .get(&config_maps(), gc::SYSTEM_NAMESPACE, gc::CONFIG_MAP)
        .or_else(|| {
            r.store.read(|v| {
                v.table(&config_maps())
                    .find(|((_, name), _)| name == gc::CONFIG_MAP)
                    .map(|(_, cm)| cm.clone())
            })
        })
}

/// The settings of a config-gc, if Knative would accept them.
fn parse_config(cm: &Value) -> Option<GcConfig> {
    let mut data = BTreeMap::new();
    match cm.get("data") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                // ConfigMap data are strings; anything else would not have
                // reached a real cluster.
                data.insert(k.clone(), v.as_str()?.to_owned());
            }
        }
        Some(_) => return None,
    }
    GcConfig::from_data(&data).ok()
}

/// One round: a GC pass if something that triggers one happened since the
/// last round.
pub(super) fn run(r: &Replay, st: &mut GcState) {
    let (now_rv, changes) = r.store.read(|v| {
        let rv = v.resource_version();
        (rv, (rv != st.seen_rv).then(|| v.changes_since(st.seen_rv)))
    });
    let Some(changes) = changes else {
        return;
    };
    st.seen_rv = now_rv;
    let (objects_changed, config_touched) = match changes {
        // Changes compacted away: anything may have happened.
        None => (true, true),
        Some(cs) => (
            cs.iter().any(|c| {
                c.kind != ChangeType::Deleted
                    && (c.storage == revisions() || c.storage == configurations())
            }),
            cs.iter()
                .any(|c| c.storage == config_maps() && c.key.1 == gc::CONFIG_MAP),
        ),
    };
    let mut config_changed = false;
    if config_touched {
        let cm = find_config_gc(r);
        let rv = cm.as_deref().and_then(meta::resource_version);
        if rv != st.config_rv {
            st.config_rv = rv;
            // A rejected (or deleted) config-gc leaves the settings in force
            // and, as in Knative, triggers nothing.
            if let Some(c) = cm.as_deref().and_then(parse_config) {
                st.config = Some(c);
                config_changed = true;
            }
        }
    }
    if !(config_changed || objects_changed) {
        return;
    }
    if let Some(config) = &st.config {
        collect(r, config);
    }
}

/// A GC pass over every Configuration: deletes what unloop-core's plan
/// deletes.
fn collect(r: &Replay, config: &GcConfig) {
    // Knative returns before listing anything; so does this.
    if config.is_disabled() {
        return;
    }
    let (objects, current) = r.store.read(|v| {
        let mut objects = Vec::new();
        let mut current = HashMap::new();
        for storage in [revisions(), configurations(), routes()] {
            for ((ns, name), o) in v.table(&storage) {
                if storage == revisions() {
                    current.insert(
                        (ns.clone(), name.clone()),
                        (meta::uid(o).to_owned(), deleting(o)),
                    );
                }
                objects.push((storage.clone(), o.clone()));
            }
        }
        (objects, current)
    });
    if current.is_empty() {
        return;
    }
    let source = Source::new("simulate:revision-gc");
    let mut b = EvidenceBuilder::new();
    for (storage, o) in objects {
        ingest_value(typed(r, &storage, &o), &source, &mut b);
    }
    let ev = b.finish();
    let plan = gc::plan(&ev.revisions, &ev.objects, config, r.clock.now());
    let Some(res) = r.resources.by_storage(&revisions()) else {
        return;
    };
    for d in plan.deletions() {
        let Some((uid, being_deleted)) = current.get(&(d.namespace.clone(), d.name.clone())) else {
            continue;
        };
        if *being_deleted {
            continue;
        }
        let opts = DeleteOptions {
            propagation: Propagation::Background,
            preconditions: Preconditions {
                resource_version: None,
                uid: Some(uid.clone()),
            },
            dry_run: false,
        };
        // Not found or another UID: a client got there first, and Knative's
        // own delete would fail the same way; the next pass sees what is left.
        let _ = write::delete(r, &res, &d.namespace, &d.name, &opts);
    }
}

/// The object with the kind and apiVersion the conversion needs (the store
/// keeps them, but an object is never trusted to).
fn typed(r: &Replay, storage: &StorageKey, o: &Value) -> Value {
    let mut o = o.clone();
    if let Value::Object(m) = &mut o
        && (!m.contains_key("kind") || !m.contains_key("apiVersion"))
        && let Some(res) = r.resources.by_storage(storage)
    {
        m.entry("kind").or_insert_with(|| res.kind.clone().into());
        m.entry("apiVersion")
            .or_insert_with(|| res.api_version().into());
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_gc_that_knative_rejects_gives_no_settings() {
        let cm = |data: Value| json!({"metadata": {"name": "config-gc"}, "data": data});
        assert_eq!(
            parse_config(&json!({"metadata": {}})),
            Some(GcConfig::default())
        );
        let ok = parse_config(&cm(json!({
            "min-non-active-revisions": "1",
            "max-non-active-revisions": "1",
        })))
        .unwrap();
        assert_eq!(ok.min_non_active_revisions, 1);
        for bad in [
            json!({"min-non-active-revisions": "many"}),
            json!({"min-non-active-revisions": "5", "max-non-active-revisions": "2"}),
            json!({"retain-since-create-time": "-1h"}),
            json!({"min-non-active-revisions": 1}),
            json!(["not", "a", "map"]),
        ] {
            assert_eq!(parse_config(&cm(bad.clone())), None, "{bad}");
        }
    }
}
