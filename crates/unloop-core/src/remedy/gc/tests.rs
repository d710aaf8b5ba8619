//! Table tests from Knative's documented GC behaviour and its traps.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::evidence::{Condition, Meta, Revision};

pub(super) fn now() -> Timestamp {
    "2024-04-12T12:00:00Z".parse().unwrap()
}

fn hours_ago(h: i64) -> Timestamp {
    now().checked_sub(SignedDuration::from_hours(h)).unwrap()
}

/// A Revision of Configuration `cfg` in namespace `shop`.
pub(super) fn rev(
    cfg: &str,
    name: &str,
    state: Option<&str>,
    created_h: i64,
    modified_h: Option<i64>,
) -> Revision {
    Revision {
        namespace: "shop".into(),
        name: name.into(),
        configuration: Some(cfg.into()),
        service: Some(cfg.into()),
        routing_state: state.map(str::to_owned),
        routing_state_modified: modified_h.map(hours_ago),
        no_gc: false,
        routes: None,
        created: Some(hours_ago(created_h)),
        ready: Some("True".into()),
        source: Source::new("revisions.json").with_field(format!("Revision shop/{name}")),
    }
}

pub(super) fn configuration(name: &str, latest: Option<&str>) -> GenericObject {
    let mut status = BTreeMap::new();
    if let Some(l) = latest {
        status.insert("latestReadyRevisionName".to_owned(), l.to_owned());
    }
    GenericObject {
        api_version: "serving.knative.dev/v1".into(),
        kind: "Configuration".into(),
        meta: Meta {
            namespace: Some("shop".into()),
            name: name.into(),
            ..Default::default()
        },
        conditions: Vec::new(),
        status,
        source: Source::new("configurations.json"),
    }
}

/// The evidence's table of the given Revisions.
pub(super) fn table(revs: &[Revision]) -> Revisions {
    revs.iter().cloned().collect()
}

/// `n` old Revisions of `app` still `active` behind Route `app`, then its latest.
fn stuck_behind_route(n: usize) -> Vec<Revision> {
    let mut revs: Vec<Revision> = (0..n)
        .map(|i| {
            let mut r = rev("app", &format!("app-{i}"), Some("active"), 100, Some(90));
            r.routes = Some("app".into());
            r
        })
        .collect();
    revs.push(rev("app", "latest", Some("active"), 1, Some(1)));
    revs
}

fn route(name: &str, ready: &str, reason: Option<&str>) -> GenericObject {
    GenericObject {
        api_version: "serving.knative.dev/v1".into(),
        kind: "Route".into(),
        meta: Meta {
            namespace: Some("shop".into()),
            name: name.into(),
            ..Default::default()
        },
        conditions: vec![Condition {
            kind: "Ready".into(),
            status: ready.into(),
            reason: reason.map(str::to_owned),
            message: None,
            last_transition: None,
            last_heartbeat: None,
        }],
        status: BTreeMap::new(),
        source: Source::new("routes.json"),
    }
}

fn cfg(pairs: &[(&str, &str)]) -> GcConfig {
    let data: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    GcConfig::from_data(&data).unwrap()
}

/// `n` reserve Revisions `app-00001`.. oldest first, created `base_h - i` hours
/// ago and last active `active_h - i` hours ago, plus the latest ready one.
fn series(n: i64, base_h: i64, active_h: i64) -> (Vec<Revision>, Vec<GenericObject>) {
    let mut revs: Vec<Revision> = (0..n)
        .map(|i| {
            rev(
                "app",
                &format!("app-{:05}", i + 1),
                Some("reserve"),
                base_h - i,
                Some(active_h - i),
            )
        })
        .collect();
    let latest = format!("app-{:05}", n + 1);
    revs.push(rev("app", &latest, Some("active"), 1, Some(1)));
    (revs, vec![configuration("app", Some(&latest))])
}

fn deleted(p: &GcPlan) -> Vec<&str> {
    p.deletions().map(|d| d.name.as_str()).collect()
}

fn reason_of<'a>(p: &'a GcPlan, name: &str) -> &'a RevisionGc {
    p.decisions().find(|d| d.name == name).unwrap()
}

#[test]
fn defaults_delete_stale_ones_down_to_twenty_non_active() {
    // 30 candidates, all older than 48h and inactive for more than 15h.
    let (revs, objs) = series(30, 100, 50);
    let p = plan(&table(&revs), &objs, &GcConfig::default(), now());
    let want: Vec<String> = (1..=10).map(|i| format!("app-{i:05}")).collect();
    assert_eq!(deleted(&p), want);
    assert!(p.deletions().all(|d| d.reason == GcReason::Stale));
    assert_eq!(
        reason_of(&p, "app-00011").reason,
        GcReason::WithinMinNonActive
    );
    assert_eq!(reason_of(&p, "app-00031").reason, GcReason::LatestReady);
    let c = &p.configurations[0];
    assert_eq!(
        (
            c.revisions,
            c.protected,
            c.non_active,
            c.delete_stale,
            c.keep
        ),
        (31, 1, 30, 10, 21)
    );
    assert_eq!(c.remaining_non_active(), 20);
    assert_eq!(p.totals.dependents_deleted, Dependents::times(10));
    assert_eq!(p.totals.dependents_deleted.services, 20);
    assert!(p.traps.is_empty(), "{:?}", p.traps);
}

#[test]
fn young_or_recently_active_revisions_are_kept_by_the_time_checks() {
    let (revs, objs) = series(25, 30, 30);
    let p = plan(&table(&revs), &objs, &GcConfig::default(), now());
    assert!(deleted(&p).is_empty());
    assert_eq!(reason_of(&p, "app-00001").reason, GcReason::TooYoung);
    assert!(
        reason_of(&p, "app-00001")
            .detail
            .contains("within retain-since-create-time 48h")
    );
    // Old but recently routed: kept by retain-since-last-active-time.
    let (revs, objs) = series(10, 200, 14);
    let p = plan(&table(&revs), &objs, &cfg(&[(KEY_MIN, "0")]), now());
    assert!(deleted(&p).is_empty());
    assert_eq!(reason_of(&p, "app-00001").reason, GcReason::RecentlyActive);
}

#[test]
fn max_pass_deletes_the_oldest_regardless_of_age() {
    let (revs, objs) = series(12, 20, 20);
    let p = plan(
        &table(&revs),
        &objs,
        &cfg(&[(KEY_MIN, "2"), (KEY_MAX, "5")]),
        now(),
    );
    let want: Vec<String> = (1..=7).map(|i| format!("app-{i:05}")).collect();
    assert_eq!(deleted(&p), want);
    assert!(p.deletions().all(|d| d.reason == GcReason::OverMax));
    let kept = reason_of(&p, "app-00008");
    assert_eq!(kept.reason, GcReason::TooYoung);
    assert!(
        kept.detail.ends_with("within max-non-active-revisions 5"),
        "{}",
        kept.detail
    );
    assert_eq!(p.configurations[0].remaining_non_active(), 5);
}

#[test]
fn stale_pass_then_max_pass() {
    // 4 stale (old), 8 young; min 2 max 5: 4 stale go, then 3 more by max.
    let mut revs: Vec<Revision> = (0..4)
        .map(|i| {
            rev(
                "app",
                &format!("old-{i}"),
                Some("reserve"),
                100 - i,
                Some(90 - i),
            )
        })
        .collect();
    revs.extend((0..8).map(|i| {
        rev(
            "app",
            &format!("new-{i}"),
            Some("reserve"),
            20 - i,
            Some(20 - i),
        )
    }));
    let objs = vec![configuration("app", None)];
    let p = plan(
        &table(&revs),
        &objs,
        &cfg(&[(KEY_MIN, "2"), (KEY_MAX, "5")]),
        now(),
    );
    let c = &p.configurations[0];
    assert_eq!((c.delete_stale, c.delete_over_max), (4, 3));
    assert_eq!(
        deleted(&p),
        [
            "old-0", "old-1", "old-2", "old-3", "new-0", "new-1", "new-2"
        ]
    );
}

#[test]
fn protected_revisions_are_never_deleted_even_with_zero_limits() {
    // Knative's "collect any inactive revision immediately" example.
    let c = cfg(&[
        (KEY_MIN, "0"),
        (KEY_MAX, "0"),
        (KEY_RETAIN_CREATE, "disabled"),
        (KEY_RETAIN_ACTIVE, "disabled"),
    ]);
    let mut no_gc = rev("app", "pinned", Some("reserve"), 500, Some(400));
    no_gc.no_gc = true;
    let revs = vec![
        rev("app", "latest", Some("reserve"), 500, Some(400)),
        no_gc,
        rev("app", "routed", Some("active"), 500, Some(400)),
        rev("app", "new", Some("pending"), 500, None),
        rev("app", "unlabelled-state", None, 500, None),
        rev("app", "odd-case", Some("Reserve"), 500, None),
        rev("app", "gone-1", Some("reserve"), 1, Some(1)),
        rev("app", "gone-2", Some("reserve"), 2, Some(2)),
    ];
    let p = plan(
        &table(&revs),
        &[configuration("app", Some("latest"))],
        &c,
        now(),
    );
    assert_eq!(deleted(&p), ["gone-2", "gone-1"]);
    let reasons: Vec<(&str, GcReason)> = [
        "latest",
        "pinned",
        "routed",
        "new",
        "unlabelled-state",
        "odd-case",
    ]
    .iter()
    .map(|n| (*n, reason_of(&p, n).reason))
    .collect();
    assert_eq!(
        reasons,
        [
            ("latest", GcReason::LatestReady),
            ("pinned", GcReason::NoGc),
            ("routed", GcReason::RoutingStateActive),
            ("new", GcReason::RoutingStatePending),
            ("unlabelled-state", GcReason::RoutingStateMissing),
            ("odd-case", GcReason::RoutingStateOther),
        ]
    );
    assert!(
        p.decisions()
            .filter(|d| d.reason.protects())
            .all(|d| d.action == GcAction::Keep)
    );
}

#[test]
fn fully_disabled_gc_keeps_everything_and_says_so() {
    let (revs, objs) = series(40, 100, 100);
    let c = cfg(&[
        (KEY_MAX, "disabled"),
        (KEY_RETAIN_CREATE, "disabled"),
        (KEY_RETAIN_ACTIVE, "disabled"),
    ]);
    let p = plan(&table(&revs), &objs, &c, now());
    assert!(deleted(&p).is_empty());
    assert_eq!(reason_of(&p, "app-00001").reason, GcReason::GcDisabled);
    assert!(p.has_trap(GcTrapKind::GcDisabled));
    assert_eq!(p.traps[0].revisions, 40);
}

#[test]
fn lowering_only_min_with_time_checks_disabled_collects_nothing() {
    // knative/serving#12422: nothing happens until more than 1000 non-active.
    let (revs, objs) = series(50, 100, 100);
    let c = cfg(&[
        (KEY_MIN, "0"),
        (KEY_RETAIN_CREATE, "disabled"),
        (KEY_RETAIN_ACTIVE, "disabled"),
    ]);
    let p = plan(&table(&revs), &objs, &c, now());
    assert!(deleted(&p).is_empty());
    assert_eq!(reason_of(&p, "app-00001").reason, GcReason::BelowMax);
    let trap = p
        .traps
        .iter()
        .find(|t| t.kind == GcTrapKind::MaxLeftAtDefault)
        .unwrap();
    assert_eq!(trap.revisions, 50);
    assert!(trap.message.contains("12422"), "{}", trap.message);
    // Setting max too (the documented fix) collects them all and clears the trap.
    let fixed = cfg(&[
        (KEY_MIN, "0"),
        (KEY_MAX, "0"),
        (KEY_RETAIN_CREATE, "disabled"),
        (KEY_RETAIN_ACTIVE, "disabled"),
    ]);
    let p = plan(&table(&revs), &objs, &fixed, now());
    assert_eq!(p.totals.delete, 50);
    assert!(!p.has_trap(GcTrapKind::MaxLeftAtDefault));
}

#[test]
fn lowered_min_with_young_revisions_is_a_trap_only_when_it_holds_revisions() {
    let (revs, objs) = series(10, 20, 20);
    let p = plan(&table(&revs), &objs, &cfg(&[(KEY_MIN, "2")]), now());
    let trap = p
        .traps
        .iter()
        .find(|t| t.kind == GcTrapKind::MaxLeftAtDefault)
        .unwrap();
    assert_eq!(trap.revisions, 8);
    // Old enough: the stale pass already gets down to min, so no trap.
    let (revs, objs) = series(10, 100, 100);
    let p = plan(&table(&revs), &objs, &cfg(&[(KEY_MIN, "2")]), now());
    assert_eq!(p.totals.delete, 8);
    assert!(!p.has_trap(GcTrapKind::MaxLeftAtDefault));
}

#[test]
fn small_configurations_are_left_alone() {
    // 15 Revisions in all: not more than min 20, whatever their age.
    let (revs, objs) = series(14, 500, 500);
    let p = plan(&table(&revs), &objs, &GcConfig::default(), now());
    assert!(deleted(&p).is_empty());
    assert_eq!(
        reason_of(&p, "app-00001").reason,
        GcReason::ConfigurationWithinMin
    );
    // 25 Revisions but only 18 candidates: not more than min either.
    let (mut revs, objs) = series(18, 500, 500);
    revs.extend((0..6).map(|i| rev("app", &format!("routed-{i}"), Some("active"), 500, None)));
    let p = plan(&table(&revs), &objs, &GcConfig::default(), now());
    assert!(deleted(&p).is_empty());
    assert_eq!(
        reason_of(&p, "app-00001").reason,
        GcReason::WithinMinNonActive
    );
}

#[test]
fn order_is_by_routing_state_modified_else_creation() {
    // `a` was created first but left traffic last: `b` and `c` go first.
    let revs = vec![
        rev("app", "a", Some("reserve"), 300, Some(10)),
        rev("app", "b", Some("reserve"), 200, Some(100)),
        rev("app", "c", Some("reserve"), 250, None),
        rev("app", "latest", Some("active"), 1, Some(1)),
    ];
    let c = cfg(&[(KEY_MIN, "0"), (KEY_MAX, "1")]);
    let p = plan(
        &table(&revs),
        &[configuration("app", Some("latest"))],
        &c,
        now(),
    );
    assert_eq!(deleted(&p), ["c", "b"]);
    assert_eq!(reason_of(&p, "a").reason, GcReason::RecentlyActive);
}

#[test]
fn settings_inside_example_are_a_trap_and_change_nothing() {
    let data: BTreeMap<String, String> = [(
        EXAMPLE_KEY.to_owned(),
        "# Example\nmin-non-active-revisions: \"2\"\nmax-non-active-revisions: \"5\"\n".to_owned(),
    )]
    .into();
    let c = GcConfig::from_data(&data).unwrap();
    let (revs, objs) = series(12, 20, 20);
    let p = plan(&table(&revs), &objs, &c, now());
    assert!(deleted(&p).is_empty());
    let trap = p
        .traps
        .iter()
        .find(|t| t.kind == GcTrapKind::ExampleEdited)
        .unwrap();
    assert_eq!(trap.names, [KEY_MIN, KEY_MAX]);
    assert!(
        trap.message
            .contains("min-non-active-revisions: \"2\" (in effect: \"20\")"),
        "{}",
        trap.message
    );
}

#[test]
fn revisions_stuck_active_behind_unready_routes_are_a_trap() {
    let revs = stuck_behind_route(5);
    let objs = vec![
        configuration("app", Some("latest")),
        route("app", "False", Some("IngressNotConfigured")),
    ];
    let p = plan(&table(&revs), &objs, &GcConfig::default(), now());
    let trap = p
        .traps
        .iter()
        .find(|t| t.kind == GcTrapKind::StuckActive)
        .unwrap();
    assert_eq!(trap.revisions, 5);
    assert_eq!(trap.names, ["shop/app"]);
    assert!(
        trap.message.contains("Ready=False (IngressNotConfigured)"),
        "{}",
        trap.message
    );
    // A Ready Route is no trap.
    let objs = vec![
        configuration("app", Some("latest")),
        route("app", "True", None),
    ];
    assert!(
        !plan(&table(&revs), &objs, &GcConfig::default(), now()).has_trap(GcTrapKind::StuckActive)
    );
}

#[test]
fn without_the_configuration_the_newest_ready_revision_is_protected() {
    let mut revs: Vec<Revision> = (0..6)
        .map(|i| {
            rev(
                "app",
                &format!("app-{i}"),
                Some("reserve"),
                100 - i,
                Some(100 - i),
            )
        })
        .collect();
    // The newest failed, so the one before it is the presumed latest ready.
    revs[5].ready = Some("False".into());
    let c = cfg(&[(KEY_MIN, "0"), (KEY_MAX, "0")]);
    let p = plan(&table(&revs), &[], &c, now());
    assert_eq!(p.configurations[0].latest_ready.as_deref(), Some("app-4"));
    assert_eq!(
        p.configurations[0].latest_ready_from,
        LatestReadyFrom::Presumed
    );
    assert_eq!(reason_of(&p, "app-4").reason, GcReason::PresumedLatestReady);
    assert_eq!(p.totals.delete, 5);
}

#[test]
fn revisions_without_a_configuration_label_are_never_listed() {
    let mut r = rev("app", "orphan", Some("reserve"), 900, Some(900));
    r.configuration = None;
    let p = plan(
        &table(&[r]),
        &[],
        &cfg(&[(KEY_MIN, "0"), (KEY_MAX, "0")]),
        now(),
    );
    assert_eq!(p.unlabelled.len(), 1);
    assert_eq!(p.unlabelled[0].reason, GcReason::NoConfiguration);
    assert_eq!(p.totals.delete, 0);
    assert_eq!(p.totals.protected, 1);
}

#[test]
fn unknown_creation_time_is_not_judged_stale() {
    let mut revs: Vec<Revision> = (0..3)
        .map(|i| rev("app", &format!("app-{i}"), Some("reserve"), 100, Some(100)))
        .collect();
    revs[0].created = None;
    revs[0].routing_state_modified = None;
    let p = plan(
        &table(&revs),
        &[configuration("app", None)],
        &cfg(&[(KEY_MIN, "0")]),
        now(),
    );
    assert_eq!(deleted(&p), ["app-1", "app-2"]);
    assert_eq!(reason_of(&p, "app-0").reason, GcReason::UnknownAge);
}

#[test]
fn recommend_tightens_to_two_and_five_and_counts_what_goes() {
    // 3 Configurations with 40 young candidates each: defaults delete nothing.
    let mut revs = Vec::new();
    let mut objs = Vec::new();
    for c in ["a", "b", "c"] {
        revs.extend((0..40).map(|i| {
            rev(
                c,
                &format!("{c}-{i:05}"),
                Some("reserve"),
                5 + i,
                Some(5 + i),
            )
        }));
        revs.push(rev(c, &format!("{c}-latest"), Some("active"), 1, Some(1)));
        objs.push(configuration(c, Some(&format!("{c}-latest"))));
    }
    let r = recommend(&table(&revs), &objs, &GcConfig::default(), now());
    assert_eq!(
        r.settings,
        [
            (KEY_MIN.to_owned(), "2".to_owned()),
            (KEY_MAX.to_owned(), "5".to_owned())
        ]
    );
    assert_eq!(r.current_deletes, 0);
    assert_eq!(r.deletes, 3 * 35);
    assert_eq!(r.remaining, 3 * 6);
    assert_eq!(r.dependents_removed.endpoints, 2 * 105);
    assert!(r.needed);
    assert!(
        r.rationale.iter().any(|l| l.contains("delete 105 of 123")),
        "{:?}",
        r.rationale
    );
    // Already tighter: keep the user's max 3, and say nothing more would go.
    let tight = cfg(&[(KEY_MIN, "1"), (KEY_MAX, "3")]);
    let r = recommend(&table(&revs), &objs, &tight, now());
    assert_eq!(r.settings[0].1, "1");
    assert_eq!(r.settings[1].1, "3");
    assert!(!r.needed);
    assert!(r.rationale.last().unwrap().contains("removes nothing more"));
}

#[test]
fn recommend_mentions_revisions_it_cannot_reach() {
    let revs = stuck_behind_route(8);
    let objs = vec![
        configuration("app", Some("latest")),
        route("app", "Unknown", None),
    ];
    let r = recommend(&table(&revs), &objs, &GcConfig::default(), now());
    assert_eq!(r.deletes, 0);
    assert!(
        r.rationale.iter().any(|l| l.contains("cannot reach 8")),
        "{:?}",
        r.rationale
    );
}

#[test]
fn patch_helpers_print_exact_text() {
    let s = vec![
        (KEY_MIN.to_owned(), "2".to_owned()),
        (KEY_MAX.to_owned(), "5".to_owned()),
    ];
    assert_eq!(
        merge_patch_yaml(&s),
        "data:\n  min-non-active-revisions: \"2\"\n  max-non-active-revisions: \"5\"\n"
    );
    assert_eq!(
        patch_command("knative-serving", &s),
        "kubectl patch configmap config-gc -n knative-serving --type merge -p '{\"data\":{\"min-non-active-revisions\":\"2\",\"max-non-active-revisions\":\"5\"}}'"
    );
}

#[test]
fn plan_serialises_for_json_output() {
    let (revs, objs) = series(3, 100, 100);
    let p = plan(
        &table(&revs),
        &objs,
        &cfg(&[(KEY_MIN, "0"), (KEY_MAX, "1")]),
        now(),
    );
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["config"]["retain_since_create_time"], "48h");
    assert_eq!(v["config"]["max_non_active_revisions"], "1");
    let first = &v["configurations"][0]["decisions"][0];
    assert_eq!(first["action"], "delete");
    assert_eq!(first["reason"], "stale");
    assert_eq!(first["dependents"]["services"], 2);
    assert_eq!(v["totals"]["delete"], 3);
    let latest = &v["configurations"][0]["decisions"][3];
    assert_eq!(latest["reason"], "latest-ready");
}

#[test]
fn thousands_groups_digits() {
    assert_eq!(thousands(6248), "6,248");
    assert_eq!(thousands(999), "999");
    assert_eq!(thousands(1_000_000), "1,000,000");
}

/// The bundled example's Revisions, Configurations and Routes, read with
/// serde_json alone so that this test does not depend on the readers.
fn bundled_example() -> Option<(Vec<Revision>, Vec<GenericObject>)> {
    use serde_json::Value;
    let dir = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/net-istio-crashloop"
    );
    let load = |f: &str| -> Option<Value> {
        serde_json::from_str(&std::fs::read_to_string(format!("{dir}/{f}")).ok()?).ok()
    };
    let ts = |v: &Value| v.as_str().and_then(|s| s.parse().ok());
    let s = |v: &Value| v.as_str().map(str::to_owned);
    let mut revs = Vec::new();
    for it in load("revisions.json")?["items"].as_array()? {
        let (m, l, a) = (
            &it["metadata"],
            &it["metadata"]["labels"],
            &it["metadata"]["annotations"],
        );
        revs.push(Revision {
            namespace: s(&m["namespace"])?,
            name: s(&m["name"])?,
            configuration: s(&l["serving.knative.dev/configuration"]),
            service: s(&l["serving.knative.dev/service"]),
            routing_state: s(&l["serving.knative.dev/routingState"]),
            routing_state_modified: ts(&a["serving.knative.dev/routingStateModified"]),
            no_gc: a["serving.knative.dev/no-gc"]
                .as_str()
                .is_some_and(|v| v.eq_ignore_ascii_case("true")),
            routes: s(&a["serving.knative.dev/routes"]),
            created: ts(&m["creationTimestamp"]),
            ready: None,
            source: Source::new("revisions.json"),
        });
    }
    let mut objs = Vec::new();
    for (file, kind) in [
        ("configurations.json", "Configuration"),
        ("routes.json", "Route"),
    ] {
        for it in load(file)?["items"].as_array()? {
            let mut status = BTreeMap::new();
            if let Some(l) = s(&it["status"]["latestReadyRevisionName"]) {
                status.insert("latestReadyRevisionName".to_owned(), l);
            }
            let conditions = it["status"]["conditions"]
                .as_array()
                .map(|cs| {
                    cs.iter()
                        .map(|c| Condition {
                            kind: s(&c["type"]).unwrap_or_default(),
                            status: s(&c["status"]).unwrap_or_default(),
                            reason: s(&c["reason"]),
                            message: None,
                            last_transition: None,
                            last_heartbeat: None,
                        })
                        .collect()
                })
                .unwrap_or_default();
            objs.push(GenericObject {
                api_version: "serving.knative.dev/v1".into(),
                kind: kind.into(),
                meta: Meta {
                    namespace: s(&it["metadata"]["namespace"]),
                    name: s(&it["metadata"]["name"])?,
                    ..Default::default()
                },
                conditions,
                status,
                source: Source::new(file),
            });
        }
    }
    Some((revs, objs))
}

#[test]
fn bundled_example_matches_its_documented_gc_outcome() {
    let Some((revs, objs)) = bundled_example() else {
        eprintln!("bundled example not found; skipping");
        return;
    };
    let at: Timestamp = "2024-04-12T10:05:41Z".parse().unwrap();
    // README: 3123 Revisions, defaults untouched; Routes stuck IngressNotConfigured.
    let p = plan(&table(&revs), &objs, &GcConfig::default(), at);
    assert_eq!(p.totals.revisions, 3123);
    assert_eq!(p.totals.configurations, 146);
    let stuck = p
        .traps
        .iter()
        .find(|t| t.kind == GcTrapKind::StuckActive)
        .unwrap();
    assert_eq!(stuck.names.len(), 9);
    // README: min 3 / max 10 "with Routes Ready again leaves about 871 of the 3123".
    let c = cfg(&[(KEY_MIN, "3"), (KEY_MAX, "10")]);
    let p = plan(&table(&revs), &objs, &c, at);
    assert_eq!(p.totals.keep - stuck.revisions, 871);
    assert!(
        p.decisions()
            .filter(|d| d.reason.protects())
            .all(|d| d.action == GcAction::Keep)
    );
}

#[test]
fn totals_only_plans_count_what_full_plans_decide() {
    let (mut revs, mut objs) = series(40, 400, 300);
    revs.extend(stuck_behind_route(6));
    objs.push(route("app", "False", Some("IngressNotConfigured")));
    for config in [GcConfig::default(), cfg(&[(KEY_MIN, "2"), (KEY_MAX, "5")])] {
        let full = plan(&table(&revs), &objs, &config, now());
        let lean = plan_totals(&table(&revs), &objs, &config, now());
        assert!(full.decisions().count() > 0);
        assert_eq!(lean.totals, full.totals);
        assert_eq!(lean.traps, full.traps);
        let most = full
            .configurations
            .iter()
            .map(ConfigurationGc::remaining_non_active)
            .max()
            .unwrap();
        assert_eq!(lean.totals.max_remaining_non_active_per_configuration, most);
    }
}
