//! Property tests: random Configurations, Revisions and settings against a
//! line-by-line port of Knative's `collect()` and the invariants GC promises.

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;

use super::tests::{configuration, now, rev, table};
use super::*;
use crate::evidence::Revision;

/// A literal port of serving 1.12 `pkg/reconciler/gc/gc.go` (every Revision
/// here has a creation time, as real objects do). Returns deleted names.
fn reference(
    revs: &[Revision],
    latest: &BTreeMap<String, Option<String>>,
    cfg: &GcConfig,
) -> BTreeSet<String> {
    let mut deleted = BTreeSet::new();
    let min = cfg.min_non_active_revisions as usize;
    let max = cfg.max_non_active_revisions.limit().map(|m| m as usize);
    if max.is_none()
        && cfg.retain_since_create_time.is_disabled()
        && cfg.retain_since_last_active_time.is_disabled()
    {
        return deleted;
    }
    for (config, latest_ready) in latest {
        let all: Vec<&Revision> = revs
            .iter()
            .filter(|r| r.configuration.as_deref() == Some(config))
            .collect();
        if all.len() <= min {
            continue;
        }
        let is_active = |r: &Revision| {
            latest_ready.as_deref() == Some(r.name.as_str())
                || r.no_gc
                || r.routing_state.as_deref() != Some("reserve")
        };
        let mut revs: Vec<&Revision> = all.into_iter().filter(|r| !is_active(r)).collect();
        if revs.len() <= min {
            continue;
        }
        let lat = |r: &Revision| r.routing_state_modified.or(r.created).unwrap();
        revs.sort_by(|a, b| (lat(a), a.created, &a.name).cmp(&(lat(b), b.created, &b.name)));
        let is_stale = |r: &Revision| {
            let (c, a) = (
                cfg.retain_since_create_time,
                cfg.retain_since_last_active_time,
            );
            if c.is_disabled() && a.is_disabled() {
                return false;
            }
            let since = |t: Timestamp| now().as_nanosecond() - t.as_nanosecond();
            let young = c
                .duration()
                .is_some_and(|d| since(r.created.unwrap()) < d.as_nanos() as i128);
            let recent = a
                .duration()
                .is_some_and(|d| since(lat(r)) < d.as_nanos() as i128);
            !young && !recent
        };
        let count = revs.len();
        let max_idx = count - min;
        let mut stale_count = 0;
        let mut gone = vec![false; count];
        let mut returned = false;
        for i in 0..count {
            if !is_stale(revs[i]) {
                continue;
            }
            deleted.insert(revs[i].name.clone());
            gone[i] = true;
            stale_count += 1;
            if stale_count >= max_idx {
                returned = true;
                break;
            }
        }
        if returned {
            continue;
        }
        let non_stale = count - stale_count;
        let Some(max) = max else { continue };
        if non_stale <= max {
            continue;
        }
        let needs = non_stale - max;
        let mut n = 0;
        for (i, r) in revs.iter().enumerate() {
            if n == needs {
                break;
            }
            if gone[i] {
                continue;
            }
            deleted.insert(r.name.clone());
            n += 1;
        }
    }
    deleted
}

fn retention(max_h: u64) -> impl Strategy<Value = String> {
    prop_oneof![
        1 => Just("disabled".to_owned()),
        1 => Just(String::new()),
        4 => (0..max_h).prop_map(|h| format!("{h}h")),
    ]
}

fn config() -> impl Strategy<Value = GcConfig> {
    (
        retention(80),
        retention(30),
        0u64..8,
        prop_oneof![1 => Just(None), 4 => (0u64..14).prop_map(Some)],
    )
        .prop_filter_map("Knative rejects min > max", |(create, active, min, max)| {
            let mut data = BTreeMap::new();
            data.insert(KEY_RETAIN_CREATE.to_owned(), create);
            data.insert(KEY_RETAIN_ACTIVE.to_owned(), active);
            data.insert(KEY_MIN.to_owned(), min.to_string());
            data.insert(
                KEY_MAX.to_owned(),
                max.map_or("disabled".to_owned(), |m| m.to_string()),
            );
            GcConfig::from_data(&data).ok()
        })
}

#[derive(Debug, Clone)]
struct RevSpec {
    state: Option<&'static str>,
    no_gc: bool,
    created_h: i64,
    modified_h: Option<i64>,
    ready: Option<&'static str>,
}

fn rev_spec() -> impl Strategy<Value = RevSpec> {
    let state = prop_oneof![
        6 => Just(Some("reserve")),
        1 => Just(Some("active")),
        1 => Just(Some("pending")),
        1 => Just(None),
        1 => Just(Some("Reserve")),
    ];
    let ready = prop_oneof![Just(Some("True")), Just(Some("False")), Just(None)];
    (
        state,
        proptest::bool::weighted(0.1),
        0i64..120,
        proptest::option::of(0i64..120),
        ready,
    )
        .prop_map(|(state, no_gc, created_h, modified_h, ready)| RevSpec {
            state,
            no_gc,
            created_h,
            // Routing changes happen after creation.
            modified_h: modified_h.map(|m| m.min(created_h)),
            ready,
        })
}

/// Per Configuration: its Revisions, and the index of the latest ready one
/// (None: never ready), or no Configuration object at all.
type World = Vec<(Vec<RevSpec>, Option<Option<prop::sample::Index>>)>;

fn world() -> impl Strategy<Value = World> {
    prop::collection::vec(
        (
            prop::collection::vec(rev_spec(), 0..28),
            prop_oneof![
                1 => Just(None),
                1 => Just(Some(None)),
                4 => any::<prop::sample::Index>().prop_map(|i| Some(Some(i))),
            ],
        ),
        1..4,
    )
}

fn build(
    w: &World,
) -> (
    Vec<Revision>,
    Vec<GenericObject>,
    BTreeMap<String, Option<String>>,
) {
    let mut revs = Vec::new();
    let mut objs = Vec::new();
    let mut latest = BTreeMap::new();
    for (j, (specs, cfg_obj)) in w.iter().enumerate() {
        let cname = format!("cfg{j}");
        let names: Vec<String> = (0..specs.len())
            .map(|i| format!("{cname}-{i:05}"))
            .collect();
        for (s, name) in specs.iter().zip(&names) {
            let mut r = rev(&cname, name, s.state, s.created_h, s.modified_h);
            r.no_gc = s.no_gc;
            r.ready = s.ready.map(str::to_owned);
            revs.push(r);
        }
        if let Some(l) = cfg_obj {
            let l = l
                .as_ref()
                .filter(|_| !names.is_empty())
                .map(|i| names[i.index(names.len())].clone());
            objs.push(configuration(&cname, l.as_deref()));
            latest.insert(cname, l);
        }
    }
    (revs, objs, latest)
}

fn is_protected(r: &Revision, latest: Option<&str>) -> bool {
    latest == Some(r.name.as_str()) || r.no_gc || r.routing_state.as_deref() != Some("reserve")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn gc_matches_knative_and_keeps_its_promises(w in world(), cfg in config()) {
        let (revs, objs, latest) = build(&w);
        let p = plan(&table(&revs), &objs, &cfg, now());

        // Every Revision is decided exactly once.
        let names: Vec<&str> = p.decisions().map(|d| d.name.as_str()).collect();
        let unique: BTreeSet<&str> = names.iter().copied().collect();
        prop_assert_eq!(names.len(), revs.len());
        prop_assert_eq!(unique.len(), revs.len());

        // Same deletions as Knative's own algorithm, where the Configuration is known.
        let mine: BTreeSet<String> = p
            .deletions()
            .filter(|d| latest.contains_key(d.configuration.as_deref().unwrap()))
            .map(|d| d.name.clone())
            .collect();
        prop_assert_eq!(&mine, &reference(&revs, &latest, &cfg));

        // A totals-only plan counts what the full plan decides.
        let lean = plan_totals(&table(&revs), &objs, &cfg, now());
        prop_assert_eq!(lean.totals, p.totals);
        prop_assert_eq!(&lean.traps, &p.traps);
        prop_assert_eq!(lean.totals.delete as usize, p.deletions().count());

        let min = cfg.min_non_active_revisions;
        for c in &p.configurations {
            let lr = c.latest_ready.as_deref();
            let by_name: BTreeMap<&str, &Revision> = revs
                .iter()
                .filter(|r| r.configuration.as_deref() == Some(c.name.as_str()))
                .map(|r| (r.name.as_str(), r))
                .collect();
            // No protected Revision is ever selected (presumed latest ready included).
            for d in c.decisions.iter().filter(|d| d.action == GcAction::Delete) {
                prop_assert!(!is_protected(by_name[d.name.as_str()], lr), "deleted protected {}", d.name);
            }
            // min is honoured whenever GC acts.
            if c.deleted() > 0 {
                prop_assert!(c.remaining_non_active() >= min, "{} left {} < min {}", c.name, c.remaining_non_active(), min);
            }
            // max is honoured (protected Revisions do not count against it).
            if let Some(max) = cfg.max_non_active_revisions.limit() {
                prop_assert!(c.remaining_non_active() <= max, "{} left {} > max {}", c.name, c.remaining_non_active(), max);
            }
            // The oldest go first.
            let key = |d: &RevisionGc| (d.last_active, d.created, d.name.clone());
            let kept: Vec<&RevisionGc> = c.decisions.iter().filter(|d| d.action == GcAction::Keep && !d.reason.protects()).collect();
            for d in c.decisions.iter().filter(|d| d.reason == GcReason::OverMax) {
                for k in &kept {
                    prop_assert!(key(d) <= key(k), "{} deleted before older-kept {}", d.name, k.name);
                }
            }
            for d in c.decisions.iter().filter(|d| d.reason == GcReason::Stale) {
                for k in kept.iter().filter(|k| k.reason == GcReason::WithinMinNonActive) {
                    prop_assert!(key(d) <= key(k), "stale {} deleted before older stale {}", d.name, k.name);
                }
            }
        }
        let t = &p.totals;
        prop_assert_eq!(t.delete + t.keep, t.revisions);
        prop_assert_eq!(t.dependents_deleted.services, 2 * t.delete);
    }

    #[test]
    fn the_recommendation_caps_every_configuration(w in world(), cfg in config()) {
        let (revs, objs, _) = build(&w);
        let r = recommend(&table(&revs), &objs, &cfg, now());
        let max = r.config.max_non_active_revisions.limit().unwrap();
        prop_assert!(max <= RECOMMENDED_MAX);
        prop_assert!(r.config.min_non_active_revisions <= max);
        let after = plan(&table(&revs), &objs, &r.config, now());
        prop_assert_eq!(after.totals.delete, r.deletes);
        for c in &after.configurations {
            prop_assert!(c.remaining_non_active() <= max);
        }
        prop_assert_eq!(r.needed, r.deletes > r.current_deletes);
    }
}

#[test]
fn reference_port_agrees_on_a_hand_checked_case() {
    // Guards the oracle itself: 3 stale of 4 with min 1 → 3 deletions, oldest first.
    let revs: Vec<Revision> = (0..4)
        .map(|i| {
            rev(
                "c",
                &format!("r{i}"),
                Some("reserve"),
                100 - i,
                Some(90 - i),
            )
        })
        .collect();
    let latest: BTreeMap<String, Option<String>> = [("c".to_owned(), None)].into();
    let cfg = GcConfig::from_data(&[(KEY_MIN.to_owned(), "1".to_owned())].into()).unwrap();
    let want: BTreeSet<String> = ["r0", "r1", "r2"].iter().map(|s| (*s).to_owned()).collect();
    assert_eq!(reference(&revs, &latest, &cfg), want);
}
