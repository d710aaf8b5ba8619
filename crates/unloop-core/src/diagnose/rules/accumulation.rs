//! Object accumulation: a controller that must list, cache and process far
//! more objects at start-up than its probes give it time for.
//!
//! For controllers that watch what Knative Revisions keep alive (each Revision
//! holds 1 SKS, 2 Services, 2 Endpoints, 1 Deployment), the Revision count
//! drives the load, and config-gc decides how many stay: this rule counts
//! them, runs the GC dry run to say what the current settings keep and what
//! they could collect, and reads the start-up cost from the logs (`Reflector
//! ListAndWatch` and `DeltaFIFO`/`RealFIFO Pop` traces, the gap between
//! "Starting informers" and "Starting controllers"). For any other controller
//! it speaks only when object counts are huge.

use std::sync::LazyLock;
use std::time::Duration;

use jiff::Timestamp;
use regex::Regex;

use super::Rule;
use super::startup_progress::queue_trace;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts::{self, ProbeFailureMode, secs};
use crate::diagnose::finding::{Citation, Relation, Signals};
use crate::diagnose::knowledge::components::Watch;
use crate::evidence::{Evidence, InputSummary, LogRecord, LogStream, Source};
use crate::remedy::gc::{self, GcConfig, GcSummary, GcTrapKind, SYSTEM_NAMESPACE, thousands};

/// See the module docs.
pub struct ObjectAccumulation;

const NAME: &str = "object-accumulation";
// Ranking counts one argument per name: how many objects there are (NAME) and
// how slow the start-up that lists them is (STARTUP) are two.
const STARTUP: &str = "object-accumulation-startup";
/// config-gc validity, a cause of its own for the controller that loads it.
const CONFIG_GC: &str = "config-gc";

/// Watched objects from which initial lists and event handling take seconds.
pub const MANY_OBJECTS: u64 = 5_000;
/// Watched objects from which start-up takes minutes on a small CPU limit.
pub const HUGE_OBJECTS: u64 = 20_000;
/// Below this, listing everything takes well under a second.
pub const FEW_OBJECTS: u64 = 1_000;
/// One kind this large makes any controller that watches it slow to start.
pub const HUGE_KIND: u64 = 10_000;

const REVISION_KIND: &str = "Revision.serving.knative.dev";

static LISTED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"---"Objects listed"(?:.*?count:(\d+))?.*? (\d+(?:\.\d+)?)ms"#)
        .expect("static regex")
});
static REFLECTOR_NAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""Reflector ListAndWatch" name:(\S+)"#).expect("static regex"));

/// A count key in plain words, plural.
fn plural(kind: &str) -> String {
    match kind {
        "Endpoints" => "Endpoints".into(),
        "ServerlessService.networking.internal.knative.dev" => "SKS".into(),
        "Ingress.networking.internal.knative.dev" => "KIngresses".into(),
        REVISION_KIND => "Revisions".into(),
        k => format!("{}s", k.split('.').next().unwrap_or(k)),
    }
}

/// How many objects of one watched kind there are.
#[derive(Debug, Clone)]
struct KindCount {
    kind: &'static str,
    /// Read from the evidence's object counts.
    observed: Option<u64>,
    /// Derived from the Revision count (`per_revision × Revisions`).
    derived: Option<u64>,
}

impl KindCount {
    fn best(&self) -> u64 {
        self.observed.unwrap_or(0).max(self.derived.unwrap_or(0))
    }
}

fn observed(ev: &Evidence, kind: &str) -> Option<u64> {
    ev.counts
        .keys()
        .any(|k| k.kind == kind)
        .then(|| ev.count_of(kind))
}

/// The input that holds objects of one of these kinds, to cite counts by.
fn count_source(ev: &Evidence, kinds: &[&str]) -> Option<Source> {
    fn walk(s: &InputSummary, kinds: &[&str]) -> Option<Source> {
        for p in &s.parts {
            if let Some(src) = walk(p, kinds) {
                return Some(src);
            }
        }
        s.objects
            .keys()
            .any(|k| kinds.contains(&k.as_str()))
            .then(|| s.source.clone())
    }
    ev.inputs.iter().find_map(|s| walk(s, kinds))
}

/// The longest `Reflector ListAndWatch` trace.
struct SlowList<'a> {
    took: Duration,
    /// The reflector's `name:` (the informer factory or the watched type).
    name: Option<String>,
    /// Objects listed, when the trace step says (`count:`).
    listed: Option<u64>,
    log: &'a LogStream,
    record: &'a LogRecord,
}

/// What the logs say about the start-up cost.
#[derive(Default)]
struct StartupCost<'a> {
    /// Longest `Reflector ListAndWatch`.
    slowest_list: Option<SlowList<'a>>,
    lists: usize,
    /// Deepest `DeltaFIFO`/`RealFIFO` pop trace.
    deepest_pop: Option<(u64, &'static str, &'a LogStream, &'a LogRecord)>,
    pops: usize,
    pop_time: Duration,
    /// "Starting informers" to "Starting controllers" (or to the last line when never reached).
    sync_gap: Option<(Duration, bool, &'a LogStream, &'a LogRecord)>,
}

fn trace_end(r: &LogRecord) -> Option<Duration> {
    // `Trace[id]: [110.804843ms] [110.804843ms] END`: the precise total. It is
    // a continuation line in klog text, or part of the message when klog is
    // routed through zap.
    let end = r
        .message
        .lines()
        .chain(r.continuation.iter().map(String::as_str))
        .find(|l| l.trim_end().ends_with("END"))?;
    let first = end.split('[').nth(2)?.split(']').next()?;
    go_duration(first)
}

/// `310 ms` below a second, else as [`secs`].
fn short(d: Duration) -> String {
    if d < Duration::from_secs(1) {
        format!("{} ms", d.as_millis())
    } else {
        secs(d)
    }
}

fn go_duration(s: &str) -> Option<Duration> {
    let n = gc::parse_go_duration(s.trim()).ok()?;
    u64::try_from(n).ok().map(Duration::from_nanos)
}

fn startup_cost<'a>(cx: &Context<'a>) -> StartupCost<'a> {
    let mut c = StartupCost::default();
    for log in cx.logs() {
        let mut informers: Option<&LogRecord> = None;
        let mut controllers: Option<&LogRecord> = None;
        for r in &log.records {
            if informers.is_none() && r.message.contains("Starting informers") {
                informers = Some(r);
            } else if informers.is_some()
                && controllers.is_none()
                && r.message.contains("Starting controllers")
            {
                controllers = Some(r);
            }
            let Some(t) = queue_trace(r) else { continue };
            let total = trace_end(r).or(t.total).unwrap_or_default();
            if t.kind == "Reflector ListAndWatch" {
                c.lists += 1;
                let text = std::iter::once(r.message.as_str())
                    .chain(r.continuation.iter().map(String::as_str));
                let listed = text
                    .clone()
                    .find_map(|l| LISTED.captures(l))
                    .and_then(|m| m.get(1).and_then(|n| n.as_str().parse().ok()));
                let name = REFLECTOR_NAME
                    .captures(&r.message)
                    .map(|m| m[1].trim_end_matches(',').to_owned());
                if c.slowest_list.as_ref().is_none_or(|l| total > l.took) {
                    c.slowest_list = Some(SlowList {
                        took: total,
                        name,
                        listed,
                        log,
                        record: r,
                    });
                }
            } else {
                c.pops += 1;
                c.pop_time += total;
                let depth = t.depth.unwrap_or(0);
                if c.deepest_pop.as_ref().is_none_or(|(d, ..)| depth > *d) {
                    let queue = t.kind.split(' ').next().unwrap_or("informer");
                    c.deepest_pop = Some((depth, queue, log, r));
                }
            }
        }
        let Some(start) = informers else { continue };
        let (end, finished) = match controllers {
            Some(r) => (Some(r), true),
            None => (log.records.iter().rev().find(|r| r.time.is_some()), false),
        };
        let gap = end
            .and_then(|e| Some((e.time?, start.time?)))
            .and_then(|(e, s)| Duration::try_from(e.duration_since(s)).ok());
        if let Some(gap) = gap.filter(|gap| c.sync_gap.as_ref().is_none_or(|(g, ..)| gap > g)) {
            c.sync_gap = Some((gap, finished, log, start));
        }
    }
    c
}

/// Where a trap shows: the Route for Revisions stuck behind it, else config-gc.
fn trap_source(ev: &Evidence, t: &gc::GcTrap, cm: &Source) -> Source {
    if t.kind != GcTrapKind::StuckActive {
        return cm.clone();
    }
    t.names
        .first()
        .and_then(|n| n.split_once('/'))
        .and_then(|(ns, name)| {
            ev.objects.iter().find(|o| {
                o.kind == "Route" && o.meta.name == name && o.meta.namespace.as_deref() == Some(ns)
            })
        })
        .map_or_else(|| cm.clone(), |o| o.source.clone())
}

/// The component whose binary runs Revision GC and loads config-gc.
const GC_RUNS_IN: &str = "Knative Serving controller";

/// knative/pkg's config store exits when a ConfigMap fails to load at start
/// (`Error initializing <store> config "config-gc"`), so an invalid config-gc
/// crash-loops the Serving controller itself.
fn invalid_config_gc(ev: &Evidence, out: &mut Signals) {
    let Some(cm) = gc::find_config_map(ev) else {
        return;
    };
    let Err(e) = GcConfig::from_config_map(cm) else {
        return;
    };
    out.support(
        CONFIG_GC,
        CauseId::BadConfig,
        0.45,
        Citation::new(
            format!(
                "config-gc does not parse as Knative 1.12 reads it: {e}; the controller exits at start when it cannot load it (`Error initializing ... config \"config-gc\"`)"
            ),
            cm.source.clone(),
        ),
    )
    .titled(format!("config-gc is invalid and the Serving controller cannot start with it: {e}"));
    out.missing(
        Some(CauseId::BadConfig),
        "the controller's previous log: whether it stopped at `Error initializing ... config-gc`",
        "kubectl logs -n knative-serving deploy/controller --previous | grep -i 'config-gc'",
    );
}

/// The reference time for GC ages.
fn now_for(cx: &Context<'_>) -> Option<Timestamp> {
    cx.now
        .or(cx.ev.taken_at)
        .or_else(|| gc::reference_time(&cx.ev.revisions))
}

/// What the GC dry runs say.
struct GcView {
    config: GcConfig,
    /// The config-gc ConfigMap, if read, and Knative's error if it is invalid.
    source: Option<Source>,
    invalid: Option<String>,
    /// The input the Revisions came from.
    revisions_source: Source,
    current: GcSummary,
    default: GcSummary,
    recommended: gc::GcRecommendation,
}

fn gc_view(ev: &Evidence, now: Timestamp) -> GcView {
    let cm = gc::find_config_map(ev);
    let (config, invalid) = match cm.map(GcConfig::from_config_map) {
        Some(Ok(c)) => (c, None),
        Some(Err(e)) => (GcConfig::default(), Some(e.to_string())),
        None => (GcConfig::default(), None),
    };
    // Totals and traps are all the rule reads: totals-only plans keep no
    // per-Configuration summaries.
    let current = gc::plan_totals(&ev.revisions, &ev.objects, &config, now);
    let default = gc::plan_totals(&ev.revisions, &ev.objects, &GcConfig::default(), now);
    let recommended = gc::recommend(&ev.revisions, &ev.objects, &config, now);
    GcView {
        source: cm.map(|c| c.source.clone()),
        revisions_source: ev.revisions.first().map_or_else(
            || Source::new("revisions"),
            |r| Source::new(r.origin().clone()),
        ),
        config,
        invalid,
        current,
        default,
        recommended,
    }
}

impl Rule for ObjectAccumulation {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let ev = cx.ev;
        let watches: &[Watch] = cx.component.map_or(&[], |c| c.watches);
        let revision_aware = cx.component.is_some_and(|c| c.watches_revisions());
        let cost = startup_cost(cx);
        let shows_informers = cost.lists + cost.pops > 0 || cost.sync_gap.is_some();

        let n_rev = (ev.revisions.len() as u64).max(ev.count_of(REVISION_KIND));
        let mut kinds: Vec<KindCount> = watches
            .iter()
            .map(|w| KindCount {
                kind: w.kind,
                observed: if w.kind == REVISION_KIND && n_rev > 0 {
                    Some(n_rev)
                } else {
                    observed(ev, w.kind)
                },
                derived: (revision_aware && w.per_revision > 0 && n_rev > 0)
                    .then(|| u64::from(w.per_revision) * n_rev),
            })
            .collect();
        // Any controller (known or not) suffers from a huge kind it may watch.
        let huge_other: Vec<KindCount> = ev
            .counts
            .keys()
            .map(|k| k.kind.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .filter(|k| !watches.iter().any(|w| w.kind == *k) && ev.count_of(k) >= HUGE_KIND)
            .filter_map(|k| {
                const GENERIC: &[&str] = &[
                    "Secret",
                    "ConfigMap",
                    "Service",
                    "Endpoints",
                    "Pod",
                    "Event",
                    "Job",
                ];
                GENERIC.iter().find(|g| **g == k).map(|g| KindCount {
                    kind: g,
                    observed: Some(ev.count_of(k)),
                    derived: None,
                })
            })
            .collect();
        let is_controller = cx.component.is_some() || shows_informers;
        if !revision_aware && watches.is_empty() && (huge_other.is_empty() || !is_controller) {
            return;
        }
        if !revision_aware && !huge_other.is_empty() && is_controller {
            kinds.extend(huge_other);
        }
        let known: Vec<&KindCount> = kinds
            .iter()
            .filter(|k| k.best() > 0 || k.observed.is_some())
            .collect();
        let watched: u64 = known.iter().map(|k| k.best()).sum();
        let counts_known = !known.is_empty();
        if !revision_aware && !counts_known {
            return;
        }
        let who = cx
            .subject
            .workload
            .as_ref()
            .map(|w| w.name.clone())
            .or_else(|| cx.component.map(|c| c.name.to_owned()))
            .unwrap_or_else(|| "the controller".to_owned());

        let gcv = (revision_aware && !ev.revisions.is_empty())
            .then(|| now_for(cx).map(|now| gc_view(ev, now)))
            .flatten();
        self.missing(cx, out, revision_aware, n_rev, &gcv);
        if cx.component.is_some_and(|c| c.name == GC_RUNS_IN) {
            invalid_config_gc(ev, out);
        }

        let probes = facts::probe_failures(cx);
        let probe_seen = !probes.is_empty()
            || !facts::probe_kills(cx).is_empty()
            || out.get_fact("probe.kills").is_some();
        let timeouts = probes.iter().any(|p| p.mode == ProbeFailureMode::Timeout)
            || out.supports(CauseId::ProbeTimeoutUnderLoad);

        if counts_known
            && watched < FEW_OBJECTS
            && cost
                .sync_gap
                .is_none_or(|(g, ..)| g < Duration::from_secs(10))
        {
            let src = count_source(ev, &known.iter().map(|k| k.kind).collect::<Vec<_>>())
                .or_else(|| {
                    ev.revisions
                        .first()
                        .map(|r| Source::new(r.origin().clone()))
                })
                .unwrap_or_else(|| Source::new("object counts"));
            out.against(
                NAME,
                CauseId::ObjectAccumulation,
                0.5,
                Citation::new(
                    format!("{who} watches only about {} objects: listing them takes well under a second", thousands(watched)),
                    src,
                ),
            );
            out.fact("objects.watched", watched);
            return;
        }

        let mut weight_total = 0.0;
        if counts_known {
            weight_total += self.counts_signal(cx, out, &who, n_rev, &known, watched, gcv.as_ref());
        }
        if let Some(g) = &gcv {
            self.gc_signals(ev, out, g, n_rev);
        }
        weight_total += self.cost_signals(out, &who, &cost, watched);
        if weight_total > 0.0 && probe_seen {
            let target = if timeouts || !out.supports(CauseId::StartupExceedsProbeBudget) {
                CauseId::ProbeTimeoutUnderLoad
            } else {
                CauseId::StartupExceedsProbeBudget
            };
            out.relate(CauseId::ObjectAccumulation, Relation::ContributesTo(target));
            out.chain(
                CauseId::ObjectAccumulation,
                3,
                "the liveness probe fails while that work runs, and the kubelet kills the container",
            );
        }
        out.fact("objects.watched", watched);
    }
}

impl ObjectAccumulation {
    /// Support from object counts; returns the weight emitted.
    #[allow(clippy::too_many_arguments)]
    fn counts_signal(
        &self,
        cx: &Context<'_>,
        out: &mut Signals,
        who: &str,
        n_rev: u64,
        known: &[&KindCount],
        watched: u64,
        gcv: Option<&GcView>,
    ) -> f64 {
        let ev = cx.ev;
        let weight = if watched >= 50_000 {
            0.5
        } else if watched >= HUGE_OBJECTS {
            0.4
        } else if watched >= MANY_OBJECTS {
            0.3
        } else {
            0.1
        };
        let get = |kind: &str| {
            known
                .iter()
                .find(|k| k.kind == kind)
                .map(|k| k.best())
                .unwrap_or(0)
        };
        let (services, endpoints, sks) = (
            get("Service"),
            get("Endpoints"),
            get("ServerlessService.networking.internal.knative.dev"),
        );
        let mut biggest: Vec<&&KindCount> =
            known.iter().filter(|k| k.kind != REVISION_KIND).collect();
        biggest.sort_by_key(|k| std::cmp::Reverse(k.best()));
        let by_revisions = n_rev > 0 && (services > 0 || endpoints > 0 || sks > 0);
        let title = if by_revisions && services > 0 && endpoints > 0 {
            format!(
                "{} Revisions keep {} Services and {} Endpoints that {who} must list and process at start-up",
                thousands(n_rev),
                thousands(services),
                thousands(endpoints)
            )
        } else {
            let top: Vec<String> = biggest
                .iter()
                .take(2)
                .map(|k| format!("{} {}", thousands(k.best()), plural(k.kind)))
                .collect();
            format!(
                "{} in the cluster: {who} must list and cache them all at start-up",
                top.join(" and ")
            )
        };
        let detail: Vec<String> = known
            .iter()
            .map(|k| {
                let how = match (k.observed, k.derived) {
                    (Some(o), Some(d)) if d > o => format!(
                        "{} (at least, from Revisions; {} counted)",
                        thousands(d),
                        thousands(o)
                    ),
                    (Some(o), _) => format!("{} counted", thousands(o)),
                    (None, Some(d)) => format!("{} derived from Revisions", thousands(d)),
                    (None, None) => "?".into(),
                };
                format!("{}: {how}", plural(k.kind))
            })
            .collect();
        let src = if by_revisions {
            ev.revisions
                .first()
                .map(|r| Source::new(r.origin().clone()))
                .or_else(|| count_source(ev, &[REVISION_KIND, "Revision"]))
        } else {
            count_source(ev, &known.iter().map(|k| k.kind).collect::<Vec<_>>())
        }
        .unwrap_or_else(|| Source::new("object counts"));
        out.support(
            NAME,
            CauseId::ObjectAccumulation,
            weight,
            Citation::new(
                format!(
                    "{who} watches about {} objects ({})",
                    thousands(watched),
                    detail.join(", ")
                ),
                src,
            ),
        )
        .titled(title);
        if by_revisions {
            let kept = gcv.map(|g| {
                let how = if g.config.explicit.is_empty() {
                    "config-gc defaults"
                } else {
                    "the current config-gc"
                };
                format!(
                    "{} non-active per Configuration kept by {how}",
                    match g.current.totals {
                        t if t.configurations == 0 => "none".to_owned(),
                        t => format!("up to {}", t.max_remaining_non_active_per_configuration),
                    }
                )
            });
            out.chain(
                CauseId::ObjectAccumulation,
                0,
                match kept {
                    Some(k) => format!("{} Revisions ({k})", thousands(n_rev)),
                    None => format!("{} Revisions", thousands(n_rev)),
                },
            );
            let mut held = Vec::new();
            for (n, what) in [
                (services, "Services"),
                (endpoints, "Endpoints"),
                (sks, "SKS"),
            ] {
                if n > 0 {
                    held.push(format!("{} {what}", thousands(n)));
                }
            }
            out.chain(
                CauseId::ObjectAccumulation,
                1,
                format!("{} in {who}'s informers", held.join(" + ")),
            );
        } else {
            out.chain(
                CauseId::ObjectAccumulation,
                0,
                format!("{} objects that {who} watches", thousands(watched)),
            );
        }
        for k in known {
            out.fact(
                format!("objects.{}", plural(k.kind).to_lowercase()),
                k.best(),
            );
        }
        weight
    }

    /// What config-gc allows, and its traps.
    fn gc_signals(&self, ev: &Evidence, out: &mut Signals, g: &GcView, n_rev: u64) {
        let cur = &g.current.totals;
        let def = &g.default.totals;
        out.fact("revisions.total", n_rev);
        out.fact("revisions.configurations", cur.configurations);
        out.fact("revisions.non_active", cur.non_active);
        out.fact("revisions.protected", cur.protected);
        out.fact(
            "revisions.max_per_configuration",
            cur.max_non_active_per_configuration,
        );
        out.fact("revisions.collectable", cur.delete);
        out.fact("revisions.collectable_default", def.delete);
        out.fact("revisions.recommend_deletes", g.recommended.deletes);
        out.fact("revisions.after_recommend", g.recommended.remaining);
        out.fact("gc.min", g.config.min_non_active_revisions);
        out.fact("gc.max", g.config.max_non_active_revisions);
        let traps: Vec<&str> = g
            .current
            .traps
            .iter()
            .map(|t| match t.kind {
                GcTrapKind::GcDisabled => "gc-disabled",
                GcTrapKind::MaxLeftAtDefault => "max-left-at-default",
                GcTrapKind::ExampleEdited => "example-edited",
                GcTrapKind::LegacyKeys => "legacy-keys",
                GcTrapKind::StuckActive => "stuck-active",
                GcTrapKind::OddValue => "odd-value",
            })
            .collect();
        if !traps.is_empty() {
            out.fact("gc.traps", traps.join(","));
        }
        // Without the ConfigMap the numbers come from the Revisions alone.
        let cm_src = g
            .source
            .clone()
            .unwrap_or_else(|| g.revisions_source.clone());
        let assumed = if g.source.is_none() {
            " (not in the evidence: Knative's defaults assumed)"
        } else {
            ""
        };
        let settings = format!(
            "min-non-active-revisions {}, max-non-active-revisions {}, retain-since-create-time {}, retain-since-last-active-time {}",
            g.config.min_non_active_revisions,
            g.config.max_non_active_revisions,
            g.config.retain_since_create_time,
            g.config.retain_since_last_active_time
        );
        if let Some(e) = &g.invalid {
            out.support(
                NAME,
                CauseId::ObjectAccumulation,
                0.15,
                Citation::new(
                    format!(
                        "config-gc is invalid, so a running controller keeps its previous GC settings (`Error updating ... config \"config-gc\"`): {e}"
                    ),
                    cm_src.clone(),
                ),
            );
        }
        // How much of the pile is retention, and how much GC could remove.
        let defaults = if g.config.explicit.is_empty() {
            String::new()
        } else {
            format!(
                "; Knative's defaults would collect {}",
                thousands(def.delete)
            )
        };
        let text = format!(
            "config-gc{assumed} ({settings}) keeps {} of {} Revisions ({} non-active, {} protected); its next pass collects {}{defaults}; min {} / max {} would leave {}",
            thousands(cur.keep),
            thousands(cur.revisions),
            thousands(cur.non_active),
            thousands(cur.protected),
            thousands(cur.delete),
            g.recommended.config.min_non_active_revisions,
            g.recommended.config.max_non_active_revisions,
            thousands(g.recommended.remaining)
        );
        let reducible = g.recommended.deletes;
        let weight = if reducible >= 1_000 {
            0.25
        } else if reducible >= 100 {
            0.15
        } else {
            0.05
        };
        out.support(
            NAME,
            CauseId::ObjectAccumulation,
            weight,
            Citation::new(text, cm_src.clone()),
        );
        for t in &g.current.traps {
            let w = match t.kind {
                GcTrapKind::StuckActive | GcTrapKind::GcDisabled | GcTrapKind::MaxLeftAtDefault => {
                    0.2
                }
                _ => 0.1,
            };
            out.support(
                NAME,
                CauseId::ObjectAccumulation,
                w,
                Citation::new(
                    format!("config-gc trap: {}", t.message),
                    trap_source(ev, t, &cm_src),
                ),
            );
        }
    }

    /// Support from start-up traces and gaps; returns the weight emitted.
    fn cost_signals(
        &self,
        out: &mut Signals,
        who: &str,
        cost: &StartupCost<'_>,
        watched: u64,
    ) -> f64 {
        let mut total = 0.0;
        let mut support = |out: &mut Signals, w: f64, text: String, source: Source| {
            total += w;
            out.support(
                STARTUP,
                CauseId::ObjectAccumulation,
                w,
                Citation::new(text, source),
            );
        };
        // Pieces of the chain step: the sync time, then what the traces add.
        let mut head: Option<String> = None;
        let mut notes: Vec<String> = Vec::new();
        if let Some(SlowList {
            took: d,
            name,
            listed,
            log,
            record: r,
        }) = &cost.slowest_list
        {
            out.fact("reflector.max_list_s", d.as_secs());
            if *d >= Duration::from_secs(10) {
                let w = if *d >= Duration::from_secs(30) {
                    0.35
                } else {
                    0.25
                };
                let text = format!(
                    "`Reflector ListAndWatch` took {}{}{} ({} trace{}): {}",
                    secs(*d),
                    name.as_ref()
                        .map(|n| format!(" for {n}"))
                        .unwrap_or_default(),
                    listed
                        .map(|n| format!(", {} objects listed", thousands(n)))
                        .unwrap_or_default(),
                    cost.lists,
                    if cost.lists == 1 { "" } else { "s" },
                    r.message.lines().next().unwrap_or("")
                );
                support(out, w, text, log.record_source(r));
                notes.push(format!("lists up to {}", secs(*d)));
            }
        }
        if let Some((depth, queue, log, r)) = &cost.deepest_pop {
            out.fact("fifo.max_depth", depth);
            if *depth >= 100 {
                let w = if *depth >= 1_000 { 0.3 } else { 0.2 };
                let text = format!(
                    "{} slow informer queue pop{} ({} in event handlers), queue depth up to {}: {}",
                    cost.pops,
                    if cost.pops == 1 { "" } else { "s" },
                    short(cost.pop_time),
                    thousands(*depth),
                    r.message.lines().next().unwrap_or("")
                );
                support(out, w, text, log.record_source(r));
                notes.push(format!("{queue} depth up to {}", thousands(*depth)));
            }
        }
        if let Some((gap, finished, log, r)) = &cost.sync_gap {
            out.fact("informers.sync_s", gap.as_secs());
            if *gap >= Duration::from_secs(20) {
                let w = if *gap >= Duration::from_secs(60) {
                    0.35
                } else {
                    0.25
                };
                let text = if *finished {
                    format!(
                        "\"Starting informers...\" to \"Starting controllers...\" took {}: every informer cache must sync first",
                        secs(*gap)
                    )
                } else {
                    format!(
                        "\"Starting informers...\" and {} later the log ends without \"Starting controllers...\": the caches never finished syncing",
                        secs(*gap)
                    )
                };
                support(out, w, text, log.record_source(r));
                head = Some(if *finished {
                    format!("initial sync takes ~{}", secs(*gap))
                } else {
                    format!("initial sync does not finish in {}", secs(*gap))
                });
            }
        }
        let step = match (head, notes.is_empty()) {
            (Some(h), true) => Some(h),
            (Some(h), false) => Some(format!("{h} ({})", notes.join(", "))),
            (None, false) => Some(format!(
                "processing the initial lists is slow ({})",
                notes.join(", ")
            )),
            (None, true) => None,
        };
        if let Some(t) = step {
            out.chain(CauseId::ObjectAccumulation, 2, format!("{who}: {t}"));
        }
        // Slow start-up with few objects points elsewhere (CPU, API server).
        if total > 0.0 && watched > 0 && watched < MANY_OBJECTS {
            total *= 0.5;
        }
        total
    }

    fn missing(
        &self,
        cx: &Context<'_>,
        out: &mut Signals,
        revision_aware: bool,
        n_rev: u64,
        gcv: &Option<GcView>,
    ) {
        let ev = cx.ev;
        let cause = Some(CauseId::ObjectAccumulation);
        if !revision_aware {
            return;
        }
        if n_rev == 0 {
            out.missing(
                cause,
                "the Knative Revisions: each keeps 1 SKS, 2 Services and 2 Endpoints that this controller watches",
                "kubectl get revisions.serving.knative.dev -A -o json > revisions.json",
            );
        }
        if gc::find_config_map(ev).is_none() {
            out.missing(
                cause,
                "config-gc: how many old Revisions Knative keeps (defaults assumed)",
                format!("kubectl get cm config-gc -n {SYSTEM_NAMESPACE} -o yaml"),
            );
        }
        if n_rev > 0 && !ev.objects.iter().any(|o| o.kind == "Configuration") {
            out.missing(
                cause,
                "the Configurations: their latestReadyRevisionName is never collected (presumed from Revisions otherwise)",
                "kubectl get configurations.serving.knative.dev -A -o json > configurations.json",
            );
        }
        let many_active = gcv
            .as_ref()
            .is_some_and(|g| g.current.totals.protected * 2 > g.current.totals.revisions.max(1));
        if many_active && !ev.objects.iter().any(|o| o.kind == "Route") {
            out.missing(
                cause,
                "the Routes: Revisions stay active (never collected) while their Route is not Ready",
                "kubectl get routes.serving.knative.dev -A -o json > routes.json",
            );
        }
        let uncounted: Vec<&str> = ["Service", "Endpoints", "Secret"]
            .into_iter()
            .filter(|k| {
                cx.component
                    .is_some_and(|c| c.watches.iter().any(|w| w.kind == *k))
                    && observed(ev, k).is_none()
            })
            .collect();
        if !uncounted.is_empty() {
            let names: Vec<String> = uncounted
                .iter()
                .map(|k| k.to_lowercase() + if *k == "Endpoints" { "" } else { "s" })
                .collect();
            out.missing(
                cause,
                format!(
                    "how many {} the cluster holds",
                    uncounted
                        .iter()
                        .map(|k| plural(k))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                format!(
                    "for k in {}; do echo \"$k $(kubectl get $k -A --no-headers | wc -l)\"; done",
                    names.join(" ")
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests;
