//! Knative Revision garbage collection, with Knative's exact semantics.
//!
//! A dry run of serving 1.12's `revision-gc-controller`
//! (`pkg/reconciler/gc/gc.go` `collect()`), one Configuration at a time:
//!
//! 1. max and both time checks disabled: nothing happens;
//! 2. a Configuration with no more Revisions than `min` is left alone;
//! 3. "active" Revisions are never candidates: the latest ready one, those
//!    annotated `serving.knative.dev/no-gc: "true"`, and every routingState other
//!    than `reserve` (`active`, `pending`, missing);
//! 4. candidates are sorted oldest first by `routingStateModified`, else creation;
//! 5. stale pass: delete stale candidates (older than `retain-since-create-time`
//!    and inactive longer than `retain-since-last-active-time`) until only `min`
//!    candidates remain;
//! 6. max pass: if more than `max` remain, delete the oldest down to `max`.
//!
//! Besides the plan, it finds the traps that make GC look broken (see
//! [`GcTrapKind`]) and proposes a tighter configuration ([`recommend`]).
//!
//! Two deliberate departures, both towards keeping more: a Revision whose
//! creation time the evidence lacks is never judged stale and sorts as newest
//! (a real object always has one; partial evidence may not), and when the
//! Configuration object is absent its newest Ready Revision is presumed to be
//! the latest ready one and protected.

mod config;
#[cfg(test)]
mod proptests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

pub use config::{
    EXAMPLE_KEY, GcConfig, GcConfigError, IgnoredSetting, IgnoredWhere, KEY_MAX, KEY_MIN,
    KEY_RETAIN_ACTIVE, KEY_RETAIN_CREATE, KEYS, LEGACY_KEYS, MaxRevisions, Retention,
    format_duration, parse_go_duration, parse_go_int64, parse_go_uint64, parse_override,
};

use crate::evidence::time::human_duration;
use crate::evidence::{ConfigMap, Evidence, GenericObject, RevisionRef, Revisions, Source};

/// Name of the ConfigMap.
pub const CONFIG_MAP: &str = "config-gc";
/// Where Knative installs it by default.
pub const SYSTEM_NAMESPACE: &str = "knative-serving";

/// The objects one Revision keeps alive through owner references.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Dependents {
    pub serverless_services: u64,
    pub services: u64,
    pub endpoints: u64,
    pub deployments: u64,
    pub replica_sets: u64,
    pub pod_autoscalers: u64,
}

impl Dependents {
    /// Per Revision, even scaled to zero: 1 SKS, 2 Services (public and
    /// `-private`), 2 Endpoints, 1 Deployment and its ReplicaSet, 1 PodAutoscaler.
    pub const PER_REVISION: Dependents = Dependents {
        serverless_services: 1,
        services: 2,
        endpoints: 2,
        deployments: 1,
        replica_sets: 1,
        pod_autoscalers: 1,
    };

    /// What `n` Revisions keep alive.
    pub fn times(n: u64) -> Dependents {
        let p = Dependents::PER_REVISION;
        Dependents {
            serverless_services: p.serverless_services * n,
            services: p.services * n,
            endpoints: p.endpoints * n,
            deployments: p.deployments * n,
            replica_sets: p.replica_sets * n,
            pod_autoscalers: p.pod_autoscalers * n,
        }
    }

    /// `2,000 Services, 2,000 Endpoints, 1,000 ServerlessServices, 1,000
    /// Deployments and 1,000 PodAutoscalers`: the objects users know by name.
    pub fn listing(&self) -> String {
        format!(
            "{} Services, {} Endpoints, {} ServerlessServices, {} Deployments and {} PodAutoscalers",
            thousands(self.services),
            thousands(self.endpoints),
            thousands(self.serverless_services),
            thousands(self.deployments),
            thousands(self.pod_autoscalers)
        )
    }

    /// All of them together.
    pub fn total(&self) -> u64 {
        self.serverless_services
            + self.services
            + self.endpoints
            + self.deployments
            + self.replica_sets
            + self.pod_autoscalers
    }
}

/// What GC does to a Revision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GcAction {
    Delete,
    Keep,
}

/// Why a Revision is deleted or kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GcReason {
    /// `status.latestReadyRevisionName` of its Configuration.
    LatestReady,
    /// The Configuration is not in the evidence; this is its newest Ready Revision.
    PresumedLatestReady,
    /// Annotation `serving.knative.dev/no-gc: "true"`.
    NoGc,
    /// routingState `active`: a Route references it.
    RoutingStateActive,
    /// routingState `pending`: created, not yet routed.
    RoutingStatePending,
    /// No routingState label at all.
    RoutingStateMissing,
    /// A routingState other than `active`, `pending` or `reserve`.
    RoutingStateOther,
    /// No `serving.knative.dev/configuration` label: no GC pass lists it.
    NoConfiguration,
    /// GC is disabled entirely.
    GcDisabled,
    /// Its Configuration has no more Revisions than `min`.
    ConfigurationWithinMin,
    /// Among the `min` non-active Revisions GC must keep.
    WithinMinNonActive,
    /// Younger than `retain-since-create-time`.
    TooYoung,
    /// Active more recently than `retain-since-last-active-time`.
    RecentlyActive,
    /// Time checks disabled and the count is within `max`.
    BelowMax,
    /// The evidence lacks its creation time, so it is not judged stale.
    UnknownAge,
    /// Stale by both time checks: deleted by the stale pass.
    Stale,
    /// Beyond `max`: deleted by the max pass, oldest first.
    OverMax,
}

impl GcReason {
    /// Whether the reason makes the Revision "active" to Knative's GC: never a candidate.
    pub fn protects(&self) -> bool {
        matches!(
            self,
            GcReason::LatestReady
                | GcReason::PresumedLatestReady
                | GcReason::NoGc
                | GcReason::RoutingStateActive
                | GcReason::RoutingStatePending
                | GcReason::RoutingStateMissing
                | GcReason::RoutingStateOther
        )
    }
}

/// The decision about one Revision.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RevisionGc {
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    pub action: GcAction,
    pub reason: GcReason,
    /// The reason in plain words, with the numbers behind it.
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_state: Option<String>,
    /// `routingStateModified`, else creation: what GC sorts by.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_active: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// What goes with it when deleted.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dependents: Option<Dependents>,
    pub source: Source,
}

/// Where a Configuration's latest ready Revision name came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LatestReadyFrom {
    /// `status.latestReadyRevisionName` of the Configuration object.
    Configuration,
    /// Presumed: the newest Ready Revision (the Configuration is not in the evidence).
    Presumed,
}

/// The GC pass over one Configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigurationGc {
    pub namespace: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub latest_ready: Option<String>,
    pub latest_ready_from: LatestReadyFrom,
    pub revisions: u64,
    /// Revisions GC never considers (latest ready, no-gc, not `reserve`).
    pub protected: u64,
    /// Candidates: the rest.
    pub non_active: u64,
    pub delete_stale: u64,
    pub delete_over_max: u64,
    pub keep: u64,
    /// Why GC stops early for this Configuration, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// Every Revision, oldest candidate first, then the protected ones.
    pub decisions: Vec<RevisionGc>,
}

impl ConfigurationGc {
    /// Revisions deleted.
    pub fn deleted(&self) -> u64 {
        self.delete_stale + self.delete_over_max
    }

    /// Candidates left after the pass.
    pub fn remaining_non_active(&self) -> u64 {
        self.non_active - self.deleted()
    }
}

/// Totals over all Configurations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct GcTotals {
    pub configurations: u64,
    pub revisions: u64,
    pub protected: u64,
    pub non_active: u64,
    pub delete: u64,
    pub delete_stale: u64,
    pub delete_over_max: u64,
    pub keep: u64,
    pub remaining_non_active: u64,
    /// Largest candidate count of one Configuration.
    pub max_non_active_per_configuration: u64,
    /// Largest candidate count of one Configuration after the pass.
    pub max_remaining_non_active_per_configuration: u64,
    /// What the deleted Revisions take with them.
    pub dependents_deleted: Dependents,
}

/// A reason GC does less than a user expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum GcTrapKind {
    /// max and both time checks are `disabled`.
    GcDisabled,
    /// min was lowered but max stays at the default 1000 (knative/serving#12422).
    MaxLeftAtDefault,
    /// Settings edited inside `_example`, where they do nothing.
    ExampleEdited,
    /// v1 keys Knative stopped reading in release-0.20.
    LegacyKeys,
    /// Old Revisions kept `active` because their Routes are not Ready.
    StuckActive,
    /// A value Knative accepts but reads oddly.
    OddValue,
}

/// One trap found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcTrap {
    pub kind: GcTrapKind,
    pub message: String,
    /// Revisions it affects.
    pub revisions: u64,
    /// Keys or objects involved.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub names: Vec<String>,
}

/// A dry run of Revision GC.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GcPlan {
    pub config: GcConfig,
    pub now: Timestamp,
    pub configurations: Vec<ConfigurationGc>,
    /// Revisions without a Configuration label: no GC pass ever lists them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unlabelled: Vec<RevisionGc>,
    pub totals: GcTotals,
    pub traps: Vec<GcTrap>,
}

impl GcPlan {
    /// Every decision, Configuration by Configuration.
    pub fn decisions(&self) -> impl Iterator<Item = &RevisionGc> {
        self.configurations
            .iter()
            .flat_map(|c| c.decisions.iter())
            .chain(self.unlabelled.iter())
    }

    /// The Revisions to delete.
    pub fn deletions(&self) -> impl Iterator<Item = &RevisionGc> {
        self.decisions().filter(|d| d.action == GcAction::Delete)
    }

    /// Whether a trap of this kind was found.
    pub fn has_trap(&self, kind: GcTrapKind) -> bool {
        self.traps.iter().any(|t| t.kind == kind)
    }
}

fn is_kind(o: &GenericObject, kind: &str) -> bool {
    o.kind == kind
        && (o.api_version.is_empty() || o.api_version.starts_with("serving.knative.dev/"))
}

/// `routingStateModified`, else creation: what Knative sorts by.
fn last_active(r: &RevisionRef<'_>) -> Option<Timestamp> {
    r.routing_state_modified().or(r.created())
}

fn nanos_between(now: Timestamp, then: Timestamp) -> i128 {
    now.as_nanosecond() - then.as_nanosecond()
}

fn ago(now: Timestamp, then: Timestamp) -> String {
    let n = nanos_between(now, then);
    if n < 0 {
        return "in the future".to_owned();
    }
    format!(
        "{} ago",
        human_duration(Duration::from_secs((n / 1_000_000_000) as u64))
    )
}

/// Runs GC over the evidence's Revisions as Knative would at `now`.
///
/// `objects` supplies Configurations (`status.latestReadyRevisionName`) and
/// Routes (for the stuck-active trap); other kinds are ignored.
pub fn plan(
    revisions: &Revisions,
    objects: &[GenericObject],
    config: &GcConfig,
    now: Timestamp,
) -> GcPlan {
    plan_with(revisions, objects, config, now, true)
}

/// [`plan`]'s totals and traps only: what a diagnosis needs, in memory that
/// does not grow with the cluster once the dry run is done (a per-Revision
/// decision holds ~0.3 KB of strings and a per-Configuration summary ~0.4 KB,
/// so 100k Revisions in 5k Configurations would otherwise hold tens of MB per
/// dry run, and a diagnosis keeps several).
pub fn plan_totals(
    revisions: &Revisions,
    objects: &[GenericObject],
    config: &GcConfig,
    now: Timestamp,
) -> GcSummary {
    let p = plan_with(revisions, objects, config, now, false);
    GcSummary {
        totals: p.totals,
        traps: p.traps,
    }
}

/// What [`plan_totals`] keeps of a dry run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GcSummary {
    pub totals: GcTotals,
    pub traps: Vec<GcTrap>,
}

fn plan_with(
    revisions: &Revisions,
    objects: &[GenericObject],
    config: &GcConfig,
    now: Timestamp,
    decisions: bool,
) -> GcPlan {
    let mut labelled: Vec<RevisionRef<'_>> = Vec::with_capacity(revisions.len());
    let mut unlabelled = Vec::new();
    let mut unlabelled_count = 0u64;
    for r in revisions.iter() {
        match r.configuration() {
            Some(_) => labelled.push(r),
            None => {
                unlabelled_count += 1;
                if decisions {
                    unlabelled.push(decision(
                        &r,
                        GcAction::Keep,
                        GcReason::NoConfiguration,
                        "no serving.knative.dev/configuration label: no Configuration's GC pass lists it"
                            .to_owned(),
                    ));
                }
            }
        }
    }
    // One run per Configuration, in (namespace, name) order; the sort is
    // stable, so each run keeps the order the Revisions were read in.
    labelled.sort_by(|a, b| {
        (a.namespace(), a.configuration()).cmp(&(b.namespace(), b.configuration()))
    });
    let configurations: Vec<ConfigurationGc> = labelled
        .chunk_by(|a, b| a.namespace() == b.namespace() && a.configuration() == b.configuration())
        .map(|revs| {
            let ns = revs[0].namespace();
            let name = revs[0].configuration().unwrap_or_default();
            let known = objects.iter().find(|o| {
                is_kind(o, "Configuration")
                    && o.meta.name == name
                    && o.meta.namespace.as_deref() == Some(ns)
            });
            let (latest, from) = match known {
                Some(o) => (
                    o.status
                        .get("latestReadyRevisionName")
                        .filter(|s| !s.is_empty())
                        .cloned(),
                    LatestReadyFrom::Configuration,
                ),
                None => (presume_latest_ready(revs), LatestReadyFrom::Presumed),
            };
            plan_configuration(ns, name, revs, latest, from, config, now, decisions)
        })
        .collect();
    let mut totals = GcTotals {
        configurations: configurations.len() as u64,
        revisions: revisions.len() as u64,
        ..Default::default()
    };
    for c in &configurations {
        totals.protected += c.protected;
        totals.non_active += c.non_active;
        totals.delete_stale += c.delete_stale;
        totals.delete_over_max += c.delete_over_max;
        totals.remaining_non_active += c.remaining_non_active();
        totals.max_non_active_per_configuration =
            totals.max_non_active_per_configuration.max(c.non_active);
        totals.max_remaining_non_active_per_configuration = totals
            .max_remaining_non_active_per_configuration
            .max(c.remaining_non_active());
    }
    totals.protected += unlabelled_count;
    totals.delete = totals.delete_stale + totals.delete_over_max;
    totals.keep = totals.revisions - totals.delete;
    totals.dependents_deleted = Dependents::times(totals.delete);
    let mut p = GcPlan {
        config: config.clone(),
        now,
        configurations,
        unlabelled,
        totals,
        traps: Vec::new(),
    };
    p.traps = find_traps(&p, revisions, objects);
    p
}

/// The newest Ready Revision (else the newest not known to be failing, else
/// the newest): protecting one too many beats deleting the one serving traffic.
fn presume_latest_ready(revs: &[RevisionRef<'_>]) -> Option<String> {
    let newest = |f: &dyn Fn(&RevisionRef<'_>) -> bool| {
        revs.iter()
            .filter(|r| f(r))
            .max_by(|a, b| a.created().cmp(&b.created()).then(a.name().cmp(b.name())))
            .map(|r| r.name().to_owned())
    };
    newest(&|r| r.ready() == Some("True"))
        .or_else(|| newest(&|r| r.ready() != Some("False")))
        .or_else(|| newest(&|_| true))
}

fn decision(r: &RevisionRef<'_>, action: GcAction, reason: GcReason, detail: String) -> RevisionGc {
    RevisionGc {
        namespace: r.namespace().to_owned(),
        name: r.name().to_owned(),
        configuration: r.configuration().map(str::to_owned),
        action,
        reason,
        detail,
        routing_state: r.routing_state().map(str::to_owned),
        last_active: last_active(r),
        created: r.created(),
        dependents: (action == GcAction::Delete).then_some(Dependents::PER_REVISION),
        source: r.source(),
    }
}

/// Knative's `isRevisionActive`, with the reason.
fn protection(
    r: &RevisionRef<'_>,
    cfg_ref: &str,
    latest: Option<&str>,
    from: LatestReadyFrom,
) -> Option<(GcReason, String)> {
    if latest == Some(r.name()) {
        return Some(match from {
            LatestReadyFrom::Configuration => (
                GcReason::LatestReady,
                format!("latest ready Revision of Configuration {cfg_ref}"),
            ),
            LatestReadyFrom::Presumed => (
                GcReason::PresumedLatestReady,
                format!(
                    "newest Ready Revision of {cfg_ref}, presumed latest ready (the Configuration is not in the evidence)"
                ),
            ),
        });
    }
    if r.no_gc() {
        return Some((
            GcReason::NoGc,
            "annotated serving.knative.dev/no-gc: \"true\"".to_owned(),
        ));
    }
    match r.routing_state() {
        Some("reserve") => None,
        Some("active") => Some((
            GcReason::RoutingStateActive,
            "routingState active: a Route references it".to_owned(),
        )),
        Some("pending") => Some((
            GcReason::RoutingStatePending,
            "routingState pending: not routed yet, which GC treats as active".to_owned(),
        )),
        None | Some("") => Some((
            GcReason::RoutingStateMissing,
            "no routingState label: the labeler never marked it reserve, so GC treats it as active"
                .to_owned(),
        )),
        Some(other) => Some((
            GcReason::RoutingStateOther,
            format!("routingState {other:?} is not \"reserve\", so GC treats it as active"),
        )),
    }
}

/// Why a candidate is not stale, or that it is.
#[derive(Debug, Clone, PartialEq)]
enum Staleness {
    Stale(String),
    Fresh(GcReason, String),
}

/// Knative's `isRevisionStale`.
fn staleness(cfg: &GcConfig, r: &RevisionRef<'_>, now: Timestamp) -> Staleness {
    if cfg.time_checks_disabled() {
        return Staleness::Fresh(GcReason::BelowMax, "time-based GC is disabled".to_owned());
    }
    let mut why = Vec::new();
    if let Some(keep) = cfg.retain_since_create_time.duration() {
        let Some(created) = r.created() else {
            return Staleness::Fresh(
                GcReason::UnknownAge,
                "creation time not in the evidence, so not judged stale".to_owned(),
            );
        };
        if nanos_between(now, created) < keep.as_nanos() as i128 {
            return Staleness::Fresh(
                GcReason::TooYoung,
                format!(
                    "created {}, within retain-since-create-time {}",
                    ago(now, created),
                    format_duration(keep)
                ),
            );
        }
        why.push(format!("created {}", ago(now, created)));
    }
    if let Some(keep) = cfg.retain_since_last_active_time.duration() {
        let Some(active) = last_active(r) else {
            return Staleness::Fresh(
                GcReason::UnknownAge,
                "last-active time not in the evidence, so not judged stale".to_owned(),
            );
        };
        if nanos_between(now, active) < keep.as_nanos() as i128 {
            return Staleness::Fresh(
                GcReason::RecentlyActive,
                format!(
                    "last active {}, within retain-since-last-active-time {}",
                    ago(now, active),
                    format_duration(keep)
                ),
            );
        }
        why.push(format!("last active {}", ago(now, active)));
    }
    Staleness::Stale(format!("stale: {}", why.join(", ")))
}

#[allow(clippy::too_many_arguments)]
fn plan_configuration(
    ns: &str,
    name: &str,
    revs: &[RevisionRef<'_>],
    latest: Option<String>,
    from: LatestReadyFrom,
    cfg: &GcConfig,
    now: Timestamp,
    decisions: bool,
) -> ConfigurationGc {
    let cfg_ref = format!("{ns}/{name}");
    let total = revs.len() as u64;
    let min = cfg.min_non_active_revisions;
    let mut protected = Vec::new();
    let mut protected_count = 0u64;
    let mut candidates: Vec<RevisionRef<'_>> = Vec::new();
    for r in revs {
        match protection(r, &cfg_ref, latest.as_deref(), from) {
            Some((reason, detail)) => {
                protected_count += 1;
                if decisions {
                    protected.push(decision(r, GcAction::Keep, reason, detail));
                }
            }
            None => candidates.push(*r),
        }
    }
    // Oldest first; unknown times last, so that they are deleted last.
    candidates.sort_by(|a, b| {
        let (ka, kb) = (last_active(a), last_active(b));
        (ka.is_none(), ka, a.created(), a.name()).cmp(&(kb.is_none(), kb, b.created(), b.name()))
    });
    let mut out = ConfigurationGc {
        namespace: ns.to_owned(),
        name: name.to_owned(),
        latest_ready: latest.clone(),
        latest_ready_from: from,
        revisions: total,
        protected: protected_count,
        non_active: candidates.len() as u64,
        delete_stale: 0,
        delete_over_max: 0,
        keep: 0,
        note: None,
        decisions: Vec::new(),
    };
    let keep_all = |out: &mut ConfigurationGc, reason: GcReason, detail: String| {
        if decisions {
            out.decisions = candidates
                .iter()
                .map(|r| decision(r, GcAction::Keep, reason, detail.clone()))
                .collect();
        }
        out.note = Some(detail);
    };
    if cfg.is_disabled() {
        keep_all(
            &mut out,
            GcReason::GcDisabled,
            "max-non-active-revisions and both retain times are \"disabled\": GC does nothing"
                .to_owned(),
        );
    } else if total <= min {
        keep_all(
            &mut out,
            GcReason::ConfigurationWithinMin,
            format!(
                "{cfg_ref} has {total} Revisions, not more than min-non-active-revisions {min}"
            ),
        );
    } else if out.non_active <= min {
        let n = out.non_active;
        keep_all(
            &mut out,
            GcReason::WithinMinNonActive,
            format!(
                "{cfg_ref} has {n} non-active Revisions, not more than min-non-active-revisions {min}"
            ),
        );
    } else {
        collect(&mut out, &candidates, cfg, now, decisions);
    }
    out.keep = out.revisions - out.deleted();
    out.decisions.extend(protected);
    out
}

/// Steps 5 and 6 of `collect()` on candidates sorted oldest first; the
/// per-Revision decisions only when `decisions`.
fn collect(
    out: &mut ConfigurationGc,
    candidates: &[RevisionRef<'_>],
    cfg: &GcConfig,
    now: Timestamp,
    decisions: bool,
) {
    let n = candidates.len();
    let min = cfg.min_non_active_revisions as usize;
    let max_deletions = n - min;
    // The stale pass deletes stale candidates oldest first and stops once it
    // has deleted `max_deletions` (so that `min` stay): candidates after that
    // point are never judged, and counting needs no verdicts for them.
    let mut verdicts: Vec<Staleness> = Vec::new();
    let mut stale_count = 0;
    // How many candidates the stale pass looked at.
    let mut scanned = n;
    let mut stopped = false;
    for (i, r) in candidates.iter().enumerate() {
        let v = staleness(cfg, r, now);
        let stale = matches!(v, Staleness::Stale(_));
        if decisions {
            verdicts.push(v);
        }
        if stale {
            stale_count += 1;
            if stale_count >= max_deletions {
                scanned = i + 1;
                stopped = true;
                break;
            }
        }
    }
    if decisions {
        verdicts.extend(
            candidates[verdicts.len()..]
                .iter()
                .map(|r| staleness(cfg, r, now)),
        );
    }
    out.delete_stale = stale_count as u64;
    let remaining = n - stale_count;
    let mut over_max = None;
    if !stopped {
        if let Some(max) = cfg.max_non_active_revisions.limit() {
            let max = max as usize;
            if remaining > max {
                let needs = remaining - max;
                out.note = Some(format!(
                    "{remaining} non-active Revisions after the stale pass exceed max-non-active-revisions {max}: the oldest {needs} go"
                ));
                out.delete_over_max = needs as u64;
                over_max = Some((max, needs));
            }
        }
    } else {
        out.note = Some(format!(
            "the stale pass stopped after {stale_count} deletions to keep min-non-active-revisions {min}"
        ));
    }
    if !decisions {
        return;
    }
    let mut over_max_left = over_max.map_or(0, |(_, needs)| needs);
    let over_max_detail = over_max.map(|(max, needs)| {
        format!(
            "beyond max-non-active-revisions {max}: among the {needs} oldest of {remaining} non-active"
        )
    });
    let within_max = cfg
        .max_non_active_revisions
        .limit()
        .map(|m| format!(", and within max-non-active-revisions {m}"))
        .unwrap_or_default();
    out.decisions = candidates
        .iter()
        .zip(verdicts)
        .enumerate()
        .map(|(i, (r, v))| match (v, &over_max_detail) {
            (Staleness::Stale(why), _) if i < scanned => {
                decision(r, GcAction::Delete, GcReason::Stale, why)
            }
            (_, Some(detail)) if over_max_left > 0 => {
                over_max_left -= 1;
                decision(r, GcAction::Delete, GcReason::OverMax, detail.clone())
            }
            (Staleness::Stale(why), _) => decision(
                r,
                GcAction::Keep,
                GcReason::WithinMinNonActive,
                format!("{why}, but kept: the newest {min} non-active Revisions stay (min-non-active-revisions)"),
            ),
            (Staleness::Fresh(reason, why), _) => decision(r, GcAction::Keep, reason, format!("{why}{within_max}")),
        })
        .collect();
}

fn find_traps(p: &GcPlan, revisions: &Revisions, objects: &[GenericObject]) -> Vec<GcTrap> {
    let cfg = &p.config;
    let mut traps = Vec::new();
    if cfg.is_disabled() {
        traps.push(GcTrap {
            kind: GcTrapKind::GcDisabled,
            message: "GC is off: max-non-active-revisions, retain-since-create-time and retain-since-last-active-time are all \"disabled\", so no Revision is ever collected".to_owned(),
            revisions: p.totals.non_active,
            names: Vec::new(),
        });
    }
    if cfg.is_explicit(KEY_MIN)
        && !cfg.is_explicit(KEY_MAX)
        && cfg.max_non_active_revisions == MaxRevisions::Limit(1000)
        && cfg.min_non_active_revisions < 20
    {
        let min = cfg.min_non_active_revisions;
        let held: u64 = p
            .configurations
            .iter()
            .map(|c| c.remaining_non_active().saturating_sub(min))
            .sum();
        if cfg.time_checks_disabled() || held > 0 {
            let how = if cfg.time_checks_disabled() {
                "with both retain times disabled nothing is collected until a Configuration has more than 1000 non-active Revisions (knative/serving#12422)".to_owned()
            } else {
                format!(
                    "only Revisions older than {} and inactive for {} are collected; the rest wait for max 1000",
                    cfg.retain_since_create_time, cfg.retain_since_last_active_time
                )
            };
            traps.push(GcTrap {
                kind: GcTrapKind::MaxLeftAtDefault,
                message: format!(
                    "min-non-active-revisions was lowered to {min} but max-non-active-revisions stays at its default 1000: {how}; {} Revisions beyond min stay",
                    thousands(held)
                ),
                revisions: held,
                names: vec![KEY_MIN.to_owned(), KEY_MAX.to_owned()],
            });
        }
    }
    let example: Vec<&IgnoredSetting> = cfg
        .ignored
        .iter()
        .filter(|i| i.place == IgnoredWhere::Example)
        .collect();
    if !example.is_empty() {
        let effective: BTreeMap<String, String> = cfg.to_data().into_iter().collect();
        let list: Vec<String> = example
            .iter()
            .map(|i| match effective.get(&i.key) {
                Some(e) => format!("{}: {:?} (in effect: {e:?})", i.key, i.value),
                None => format!("{}: {:?}", i.key, i.value),
            })
            .collect();
        traps.push(GcTrap {
            kind: GcTrapKind::ExampleEdited,
            message: format!(
                "config-gc sets {} inside _example, which Knative ignores: settings must be top-level keys of data",
                list.join(", ")
            ),
            revisions: 0,
            names: example.iter().map(|i| i.key.clone()).collect(),
        });
    }
    let legacy: Vec<String> = cfg
        .ignored
        .iter()
        .filter(|i| i.place == IgnoredWhere::Legacy)
        .map(|i| i.key.clone())
        .collect();
    if !legacy.is_empty() {
        traps.push(GcTrap {
            kind: GcTrapKind::LegacyKeys,
            message: format!(
                "config-gc sets {}, read only by Knative before release-0.20: they do nothing today",
                legacy.join(", ")
            ),
            revisions: 0,
            names: legacy,
        });
    }
    for w in &cfg.warnings {
        traps.push(GcTrap {
            kind: GcTrapKind::OddValue,
            message: w.clone(),
            revisions: 0,
            names: vec![KEY_MAX.to_owned()],
        });
    }
    if let Some(t) = stuck_active(p, revisions, objects) {
        traps.push(t);
    }
    traps
}

/// Routes a Revision is listed on: its `serving.knative.dev/routes`
/// annotation, else the Route named after its Service.
fn routes_of<'a>(r: &RevisionRef<'a>) -> Vec<&'a str> {
    match r.routes() {
        Some(list) => list
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .collect(),
        None => r.service().into_iter().collect(),
    }
}

/// Revisions kept `active` by Routes that are not Ready: the labeler moves a
/// Revision to `reserve` only once its Route is Ready or Failed, so these
/// never become GC candidates.
fn stuck_active(p: &GcPlan, revisions: &Revisions, objects: &[GenericObject]) -> Option<GcTrap> {
    let latest: Vec<(&str, &str)> = p
        .configurations
        .iter()
        .filter_map(|c| c.latest_ready.as_deref().map(|l| (c.namespace.as_str(), l)))
        .collect();
    let mut stuck = 0u64;
    let mut bad_routes: Vec<String> = Vec::new();
    let mut first_reason: Option<String> = None;
    for r in revisions.iter() {
        if r.routing_state() != Some("active")
            || r.no_gc()
            || latest.contains(&(r.namespace(), r.name()))
        {
            continue;
        }
        let mut is_stuck = false;
        for route in routes_of(&r) {
            let Some(obj) = objects.iter().find(|o| {
                is_kind(o, "Route")
                    && o.meta.name == route
                    && o.meta.namespace.as_deref() == Some(r.namespace())
            }) else {
                continue;
            };
            let Some(ready) = obj.conditions.iter().find(|c| c.kind == "Ready") else {
                continue;
            };
            if ready.status == "False" || ready.status == "Unknown" {
                is_stuck = true;
                let name = format!("{}/{}", r.namespace(), route);
                if !bad_routes.contains(&name) {
                    bad_routes.push(name.clone());
                }
                if first_reason.is_none() {
                    first_reason = Some(format!(
                        "Route {name} Ready={}{}",
                        ready.status,
                        ready
                            .reason
                            .as_deref()
                            .map(|x| format!(" ({x})"))
                            .unwrap_or_default()
                    ));
                }
            }
        }
        stuck += u64::from(is_stuck);
    }
    (stuck > 0).then(|| GcTrap {
        kind: GcTrapKind::StuckActive,
        message: format!(
            "{} older Revisions stay routingState active because {} of their Routes are not Ready ({}): the labeler moves a Revision to reserve only once its Route is Ready or Failed, so GC never considers them; fix the Routes (often the ingress controller is down) for GC to reach them",
            thousands(stuck),
            bad_routes.len(),
            first_reason.unwrap_or_default()
        ),
        revisions: stuck,
        names: bad_routes,
    })
}

/// A tighter config-gc and what it would do.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GcRecommendation {
    /// The keys to set at the top level of config-gc's data.
    pub settings: Vec<(String, String)>,
    /// The configuration after the change.
    pub config: GcConfig,
    /// Revisions the current configuration deletes on its next pass.
    pub current_deletes: u64,
    /// Revisions the recommended configuration deletes on its next pass.
    pub deletes: u64,
    /// Revisions left afterwards.
    pub remaining: u64,
    /// What the deleted Revisions take with them.
    pub dependents_removed: Dependents,
    /// Whether the change removes more than the current configuration does.
    pub needed: bool,
    /// Why these values, and what they cannot fix.
    pub rationale: Vec<String>,
}

/// Keeps 2 rollback targets per Configuration.
pub const RECOMMENDED_MIN: u64 = 2;
/// Caps each Configuration at 5 non-active Revisions regardless of age.
pub const RECOMMENDED_MAX: u64 = 5;

/// Proposes `min-non-active-revisions` 2 and `max-non-active-revisions` 5
/// (or tighter values already in place), and runs GC with them.
///
/// The time knobs are left as they are: the max pass ignores them, so the cap
/// takes effect on the next pass while recent Revisions below the cap keep
/// their grace period.
pub fn recommend(
    revisions: &Revisions,
    objects: &[GenericObject],
    current: &GcConfig,
    now: Timestamp,
) -> GcRecommendation {
    // Only totals (and the largest remainder per Configuration in them) are
    // read from either plan.
    let before = plan_totals(revisions, objects, current, now);
    let max = match current.max_non_active_revisions {
        MaxRevisions::Limit(m) if m <= RECOMMENDED_MAX => m,
        _ => RECOMMENDED_MAX,
    };
    let min = current
        .min_non_active_revisions
        .min(RECOMMENDED_MIN)
        .min(max);
    let settings = vec![
        (KEY_MIN.to_owned(), min.to_string()),
        (KEY_MAX.to_owned(), max.to_string()),
    ];
    let mut config = current.clone();
    config.min_non_active_revisions = min;
    config.max_non_active_revisions = MaxRevisions::Limit(max);
    for k in [KEY_MIN, KEY_MAX] {
        if !config.is_explicit(k) {
            config.explicit.push(k.to_owned());
        }
    }
    config
        .ignored
        .retain(|i| !(i.place == IgnoredWhere::Example && (i.key == KEY_MIN || i.key == KEY_MAX)));
    config.warnings.clear();
    let after = plan_totals(revisions, objects, &config, now);
    let t = &after.totals;
    let mut rationale = vec![
        format!("min-non-active-revisions {min} keeps {min} rollback targets per Configuration"),
        format!(
            "max-non-active-revisions {max} caps each Configuration at {max} non-active Revisions whatever their age, so GC acts on its next pass instead of waiting for retain-since-create-time {} / retain-since-last-active-time {}",
            config.retain_since_create_time, config.retain_since_last_active_time
        ),
        format!(
            "it would delete {} of {} Revisions (current settings: {}), taking {} with them",
            thousands(t.delete),
            thousands(t.revisions),
            thousands(before.totals.delete),
            t.dependents_deleted.listing()
        ),
    ];
    if t.protected > 0 {
        rationale.push(format!(
            "{} Revisions are protected (latest ready, no-gc, or not routingState reserve) and stay whatever the settings",
            thousands(t.protected)
        ));
    }
    if let Some(trap) = after
        .traps
        .iter()
        .find(|t| t.kind == GcTrapKind::StuckActive)
    {
        rationale.push(format!(
            "GC cannot reach {} of them until their Routes are Ready",
            thousands(trap.revisions)
        ));
    }
    if t.delete <= before.totals.delete {
        let most = before.totals.max_remaining_non_active_per_configuration;
        rationale.push(format!(
            "the current settings already leave at most {most} non-active Revisions per Configuration: tightening config-gc removes nothing more"
        ));
    }
    GcRecommendation {
        settings,
        current_deletes: before.totals.delete,
        deletes: t.delete,
        remaining: t.revisions - t.delete,
        dependents_removed: t.dependents_deleted,
        needed: t.delete > before.totals.delete,
        config,
        rationale,
    }
}

/// Groups digits for reports: `6248` → `6,248`.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The config-gc ConfigMap in the evidence: in `knative-serving` if there, else any.
pub fn find_config_map(ev: &Evidence) -> Option<&ConfigMap> {
    ev.config_map(SYSTEM_NAMESPACE, CONFIG_MAP)
        .or_else(|| ev.config_maps.iter().find(|c| c.meta.name == CONFIG_MAP))
}

/// The latest time any Revision shows: a conservative `now` when the evidence
/// states none (everything looks as young as possible, so fewer are stale).
pub fn reference_time(revisions: &Revisions) -> Option<Timestamp> {
    revisions
        .iter()
        .flat_map(|r| [r.created(), r.routing_state_modified()])
        .flatten()
        .max()
}

/// The merge patch for config-gc's data, as YAML.
pub fn merge_patch_yaml(settings: &[(String, String)]) -> String {
    let mut out = String::from("data:\n");
    for (k, v) in settings {
        out.push_str(&format!(
            "  {k}: {}\n",
            serde_json::Value::String(v.clone())
        ));
    }
    out
}

/// The merge patch for config-gc's data, as one-line JSON, keys in the given order.
pub fn merge_patch_json(settings: &[(String, String)]) -> String {
    let quote = |s: &str| serde_json::Value::String(s.to_owned()).to_string();
    let pairs: Vec<String> = settings
        .iter()
        .map(|(k, v)| format!("{}:{}", quote(k), quote(v)))
        .collect();
    format!("{{\"data\":{{{}}}}}", pairs.join(","))
}

/// `kubectl patch configmap config-gc -n <ns> --type merge -p '<json>'`.
pub fn patch_command(namespace: &str, settings: &[(String, String)]) -> String {
    format!(
        "kubectl patch configmap {CONFIG_MAP} -n {namespace} --type merge -p '{}'",
        merge_patch_json(settings)
    )
}
