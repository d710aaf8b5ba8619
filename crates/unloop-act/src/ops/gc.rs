//! Knative Revision GC against a live cluster: reading what GC needs,
//! previewing what Knative's own GC will do after a config-gc change, and
//! deleting Revisions directly (for when Knative's controller is itself
//! down), in rate-limited batches that resume after an interruption.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;
use unloop_core::evidence::{ConfigMap, Evidence, EvidenceBuilder, GenericObject, Source, objects};
use unloop_core::remedy::gc::{self, GcConfig, GcPlan};
use unloop_core::remedy::plan::ObjectId;
use unloop_kube::request::{Query, collection};

use crate::api::{Api, Deleted, object_path};
use crate::error::ActError;
use crate::ops::{ObjectLog, Waits, human};
use crate::outcome::{Outcome, StepReport};

const GROUP: &str = "serving.knative.dev";

/// What GC needs, read from the cluster.
pub struct LiveGc {
    /// Revisions, Configurations, Routes and config-gc, as the offline
    /// readers would have them.
    pub evidence: Evidence,
    /// Each Revision's UID, by (namespace, name).
    pub uids: BTreeMap<(String, String), String>,
}

impl LiveGc {
    /// The config-gc ConfigMap, if there is one.
    pub fn config_map(&self) -> Option<&ConfigMap> {
        gc::find_config_map(&self.evidence)
    }

    /// GC as Knative would run it with `config` at `now`.
    pub fn plan(&self, config: &GcConfig, now: jiff::Timestamp) -> GcPlan {
        gc::plan(
            &self.evidence.revisions,
            &self.evidence.objects,
            config,
            now,
        )
    }

    /// Configurations whose newest Revision is not Ready yet: a rollout in
    /// progress, whose older Revisions may still be needed to roll back.
    pub fn rolling_out(&self) -> Vec<&GenericObject> {
        self.evidence
            .objects
            .iter()
            .filter(|o| o.kind == "Configuration")
            .filter(|o| {
                let created = o.status.get("latestCreatedRevisionName");
                created.is_some() && created != o.status.get("latestReadyRevisionName")
            })
            .collect()
    }
}

/// Reads Revisions, Configurations and Routes cluster-wide, and config-gc
/// from `system_namespace`.
pub async fn read(api: &Api, system_namespace: &str) -> Result<LiveGc, ActError> {
    // Full objects, not the metadata-only list the diagnosis counts with:
    // what is deleted here must not depend on a guess, and a Revision whose
    // Configuration is missing is judged by its own Ready condition.
    let revisions = api
        .list(
            &collection(GROUP, "v1", "revisions", None),
            Query::default(),
        )
        .await?;
    let mut b = EvidenceBuilder::new();
    let mut uids = BTreeMap::new();
    let src = Source::new(format!("live:/apis/{GROUP}/v1/revisions"));
    for r in revisions {
        let m = &r["metadata"];
        if let (Some(ns), Some(name), Some(uid)) = (
            m["namespace"].as_str(),
            m["name"].as_str(),
            m["uid"].as_str(),
        ) {
            uids.insert((ns.to_owned(), name.to_owned()), uid.to_owned());
        }
        objects::ingest_value(r, &src, &mut b);
    }
    for plural in ["configurations", "routes"] {
        let path = collection(GROUP, "v1", plural, None);
        let src = Source::new(format!("live:{path}"));
        for o in api.list(&path, Query::default()).await? {
            objects::ingest_value(o, &src, &mut b);
        }
    }
    let cm_path = object_path("", "v1", "configmaps", Some(system_namespace), "config-gc");
    if let Some(cm) = api.get(&cm_path).await? {
        objects::ingest_value(cm, &Source::new(format!("live:{cm_path}")), &mut b);
    }
    Ok(LiveGc {
        evidence: b.finish(),
        uids,
    })
}

/// The Revisions `plan` deletes, as exact objects, leaving out those of
/// Configurations in the middle of a rollout (the reasons go to `notes`).
pub fn deletions(live: &LiveGc, plan: &GcPlan, notes: &mut Vec<String>) -> Vec<ObjectId> {
    let rolling: BTreeSet<(String, String)> = live
        .rolling_out()
        .iter()
        .map(|o| {
            notes.push(format!(
                "skip Configuration {}/{}: its latest Revision {} is not Ready (latest ready: {}); deleting older ones would leave nothing to roll back to",
                o.meta.namespace.as_deref().unwrap_or(""),
                o.meta.name,
                o.status.get("latestCreatedRevisionName").map_or("?", String::as_str),
                o.status.get("latestReadyRevisionName").map_or("none", String::as_str),
            ));
            (o.meta.namespace.clone().unwrap_or_default(), o.meta.name.clone())
        })
        .collect();
    plan.deletions()
        .filter(|d| {
            !d.configuration
                .as_ref()
                .is_some_and(|c| rolling.contains(&(d.namespace.clone(), c.clone())))
        })
        .filter_map(|d| {
            let uid = live.uids.get(&(d.namespace.clone(), d.name.clone()))?;
            Some(ObjectId {
                namespace: d.namespace.clone(),
                name: d.name.clone(),
                uid: uid.clone(),
            })
        })
        .collect()
}

/// How fast direct deletion goes.
#[derive(Debug, Clone)]
pub struct DirectOptions {
    /// Revisions deleted before a pause.
    pub batch: usize,
    /// Revisions deleted per second at most.
    pub rate: f64,
}

impl Default for DirectOptions {
    fn default() -> Self {
        DirectOptions {
            batch: 50,
            rate: 10.0,
        }
    }
}

fn label(r: &ObjectId) -> String {
    format!("Revision/{}/{}", r.namespace, r.name)
}

/// Why a Revision must not be deleted now, whatever the plan said: it is
/// routed or pinned (Knative's GC rules, checked again on a fresh read).
fn protected_now(r: &Value) -> Option<&'static str> {
    let labels = &r["metadata"]["labels"];
    if r["metadata"]["annotations"]["serving.knative.dev/no-gc"] == "true" {
        return Some("pinned with serving.knative.dev/no-gc");
    }
    match labels["serving.knative.dev/routingState"].as_str() {
        Some("reserve") => None,
        Some("active") => Some("routed (routingState active)"),
        _ => Some("not in routingState reserve"),
    }
}

/// Deletes `revisions` (each only if it still has its UID and is still
/// neither routed nor pinned), `o.batch` at a time at most `o.rate` per
/// second, skipping those `done` says were finished by an earlier run.
pub async fn delete_direct(
    api: &Api,
    revisions: &[ObjectId],
    done: &BTreeSet<String>,
    o: &DirectOptions,
    log: &mut dyn ObjectLog,
) -> Result<StepReport, ActError> {
    let mut report = StepReport::new(Outcome::Manual);
    // One fresh read: a Revision routed or pinned since the plan is not touched.
    let now: BTreeMap<(String, String), Value> = api
        .list(
            &collection(GROUP, "v1", "revisions", None),
            Query::default(),
        )
        .await?
        .into_iter()
        .map(|r| {
            (
                (
                    r["metadata"]["namespace"].as_str().unwrap_or("").to_owned(),
                    r["metadata"]["name"].as_str().unwrap_or("").to_owned(),
                ),
                r,
            )
        })
        .collect();
    let (mut deleted, mut gone, mut refused, mut resumed) = (0u64, 0u64, 0u64, 0u64);
    let todo: Vec<&ObjectId> = revisions
        .iter()
        .filter(|r| {
            let skip = done.contains(&label(r));
            resumed += u64::from(skip);
            !skip
        })
        .collect();
    if resumed > 0 {
        report.line(format!(
            "{resumed} Revision(s) already deleted by an earlier run (audit log)"
        ));
    }
    let pause = Duration::from_secs_f64(1.0 / o.rate.max(0.01));
    // A dry run proves the deletes are accepted on one batch, not thousands.
    let limit = if api.applies() {
        todo.len()
    } else {
        todo.len().min(o.batch.max(1))
    };
    let started = Instant::now();
    for (i, r) in todo.iter().take(limit).enumerate() {
        let l = label(r);
        let live = now.get(&(r.namespace.clone(), r.name.clone()));
        let Some(live) = live.filter(|v| v["metadata"]["uid"] == r.uid.as_str()) else {
            gone += 1;
            if api.applies() {
                log.record(&l, Some(&r.uid), "already-gone")?;
            }
            continue;
        };
        if let Some(why) = protected_now(live) {
            refused += 1;
            report.line(format!("leave {l}: {why} since the plan was made"));
            if api.applies() {
                log.record(&l, Some(&r.uid), "refused")?;
            }
            continue;
        }
        let path = object_path(GROUP, "v1", "revisions", Some(&r.namespace), &r.name);
        let result = match api.delete(&path, &r.uid).await? {
            Deleted::Now => {
                deleted += 1;
                "deleted"
            }
            Deleted::AlreadyGone => {
                gone += 1;
                "already-gone"
            }
            Deleted::Replaced => {
                refused += 1;
                "replaced"
            }
        };
        if i < 3 || !api.applies() && i < 5 {
            report.line(format!(
                "DELETE {path}{} (preconditions.uid {}): {}",
                if api.applies() { "" } else { "?dryRun=All" },
                r.uid,
                if api.applies() { result } else { "accepted" }
            ));
        }
        if api.applies() {
            log.record(&l, Some(&r.uid), result)?;
            report.objects.push(l);
        }
        if !api.applies() {
            continue;
        }
        // Rate limit, with a breath between batches for the API server and etcd.
        let due = pause.mul_f64((i + 1) as f64);
        if let Some(wait) = due.checked_sub(started.elapsed()) {
            tokio::time::sleep(wait).await;
        }
        if (i + 1) % o.batch.max(1) == 0 {
            tokio::time::sleep(pause).await;
        }
    }
    report.before = Some(serde_json::json!({"revisions_named": revisions.len()}));
    report.after = Some(serde_json::json!({
        "deleted": deleted, "already_gone": gone + resumed, "left_alone": refused
    }));
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!(
            "would delete {} Revision(s) in batches of {} at {}/s (server dry run of the first {limit} accepted)",
            todo.len(),
            o.batch,
            o.rate
        ))));
    }
    let summary = format!(
        "deleted {deleted} Revision(s); {} already gone; {refused} left alone",
        gone + resumed
    );
    if deleted + gone + resumed == 0 && refused == 0 {
        return Ok(report.with(Outcome::Unchanged("no Revisions to delete".into())));
    }
    Ok(report.with(Outcome::Applied(summary)))
}

/// After config-gc changed: waits (up to `waits.settle_timeout`, at most a
/// minute) for Knative's GC to bring the Revision count down to `expected`,
/// and says how far it got. Knative collects when it reconciles each
/// Configuration, which a config-gc change triggers.
pub async fn watch_collection(
    api: &Api,
    before: usize,
    expected: usize,
    waits: &Waits,
) -> Result<String, ActError> {
    let start = Instant::now();
    let limit = waits.settle_timeout.min(Duration::from_secs(60));
    loop {
        let now = api
            .count(&collection(GROUP, "v1", "revisions", None))
            .await?;
        if now <= expected {
            return Ok(format!(
                "Revisions: {} -> {} (Knative's GC collected {})",
                gc::thousands(before as u64),
                gc::thousands(now as u64),
                gc::thousands(before.saturating_sub(now) as u64)
            ));
        }
        if start.elapsed() >= limit {
            return Ok(format!(
                "Revisions: {} -> {} after {} (Knative's GC has not finished; expected {}; check again with `unloop gc plan`)",
                gc::thousands(before as u64),
                gc::thousands(now as u64),
                human(limit),
                gc::thousands(expected as u64)
            ));
        }
        tokio::time::sleep(waits.poll.max(Duration::from_millis(200))).await;
    }
}
