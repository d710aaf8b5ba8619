//! Plan steps from evidence built directly.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::diagnose::knowledge::components::COMPONENTS;
use crate::diagnose::subject::Subject;
use crate::evidence::*;

fn now() -> Timestamp {
    "2024-04-12T12:00:00Z".parse().unwrap()
}

fn hours_ago(h: i64) -> Timestamp {
    now().checked_sub(SignedDuration::from_hours(h)).unwrap()
}

fn component(name: &str) -> &'static crate::diagnose::knowledge::components::Component {
    COMPONENTS.iter().find(|c| c.name == name).unwrap()
}

fn subject(name: &str) -> Subject {
    Subject {
        name: format!("Deployment knative-serving/{name}"),
        workload: Some(ObjectRef::new("Deployment", Some("knative-serving"), name)),
        workload_inferred: true,
        pods: vec![],
        logs: vec![],
        symptoms: vec![],
    }
}

fn finding() -> Finding {
    Finding {
        cause: CauseId::ObjectAccumulation,
        score: 0.8,
        title: "t".into(),
        evidence: vec![],
        against: vec![],
        chain: vec![],
        missing: vec![],
        relation: None,
        rules: vec!["object-accumulation"],
    }
}

/// `configs` Configurations of `per` young reserve Revisions plus a latest one.
fn evidence(configs: usize, per: i64, config_gc: Option<BTreeMap<String, String>>) -> Evidence {
    let mut b = EvidenceBuilder::new();
    for c in 0..configs {
        let cfg = format!("svc-{c}");
        for i in 0..=per {
            b.add_revision(Revision {
                namespace: "shop".into(),
                name: format!("{cfg}-{i:05}"),
                configuration: Some(cfg.clone()),
                service: Some(cfg.clone()),
                routing_state: Some(if i == per { "active" } else { "reserve" }.into()),
                routing_state_modified: Some(hours_ago(30 - i)),
                no_gc: false,
                routes: Some(cfg.clone()),
                created: Some(hours_ago(40 - i)),
                ready: Some("True".into()),
                source: Source::new("revisions.json"),
            });
        }
    }
    if let Some(data) = config_gc {
        b.add_config_map(ConfigMap {
            meta: Meta {
                namespace: Some("knative-serving".into()),
                name: "config-gc".into(),
                ..Default::default()
            },
            data,
            source: Source::new("config-gc.yaml"),
        });
    }
    b.finish()
}

fn run(ev: &Evidence, component: &str, workload: &str) -> Vec<PlanStep> {
    let s = subject(workload);
    let cx = Context {
        ev,
        subject: &s,
        component: Some(self::component(component)),
        now: Some(now()),
    };
    steps(&cx, &finding(), &Signals::default())
}

#[test]
fn patch_step_carries_exact_patch_command_numbers_and_verification() {
    let ev = evidence(100, 30, None);
    let steps = run(&ev, "Knative net-istio-controller", "net-istio-controller");
    assert_eq!(steps.len(), 1);
    let s = &steps[0];
    assert_eq!(s.phase, Phase::Relieve);
    assert_eq!(s.cause, CauseId::ObjectAccumulation);
    assert_eq!(
        s.action,
        Action::PatchConfigMap {
            namespace: "knative-serving".into(),
            name: "config-gc".into(),
            data: vec![
                ("min-non-active-revisions".into(), "2".into()),
                ("max-non-active-revisions".into(), "5".into())
            ],
        }
    );
    assert_eq!(
        s.patch.as_deref(),
        Some("data:\n  min-non-active-revisions: \"2\"\n  max-non-active-revisions: \"5\"\n")
    );
    assert_eq!(
        s.commands,
        [
            "kubectl patch configmap config-gc -n knative-serving --type merge -p '{\"data\":{\"min-non-active-revisions\":\"2\",\"max-non-active-revisions\":\"5\"}}'"
        ]
    );
    // 100 × 31 Revisions, all young: defaults remove none; the cap removes 25 per Configuration.
    assert!(
        s.why
            .starts_with("3,100 Revisions keep about 6,200 Services"),
        "{}",
        s.why
    );
    assert!(s.why.contains("the next GC pass removes 0"), "{}", s.why);
    assert!(
        s.why
            .contains("it removes 2,500 Revisions and with them 5,000 Services"),
        "{}",
        s.why
    );
    assert!(s.why.contains("leaving 600"), "{}", s.why);
    assert!(s.why.contains("unloop gc apply --direct"));
    assert_eq!(
        s.verify[0],
        "`kubectl get revisions -A --no-headers | wc -l` falls to ~600 within the next GC pass (a config-gc change resyncs every Configuration)"
    );
}

#[test]
fn traps_are_quoted_and_the_serving_controller_gets_the_direct_path() {
    let data: BTreeMap<String, String> = [
        ("min-non-active-revisions".to_owned(), "0".to_owned()),
        ("retain-since-create-time".to_owned(), "disabled".to_owned()),
        (
            "retain-since-last-active-time".to_owned(),
            "disabled".to_owned(),
        ),
    ]
    .into();
    let ev = evidence(10, 30, Some(data));
    let steps = run(&ev, "Knative Serving controller", "controller");
    let s = &steps[0];
    assert!(
        s.why
            .contains("Trap found: min-non-active-revisions was lowered to 0"),
        "{}",
        s.why
    );
    assert!(s.why.contains("which is the one failing here"));
    assert_eq!(
        s.commands.last().map(String::as_str),
        Some("unloop gc apply --direct")
    );
    // min 0 is already below 2: the recommendation keeps it.
    assert_eq!(
        s.action,
        Action::PatchConfigMap {
            namespace: "knative-serving".into(),
            name: "config-gc".into(),
            data: vec![
                ("min-non-active-revisions".into(), "0".into()),
                ("max-non-active-revisions".into(), "5".into())
            ],
        }
    );
}

#[test]
fn nothing_to_patch_when_gc_is_already_tight_and_clean() {
    let data: BTreeMap<String, String> = [
        ("min-non-active-revisions".to_owned(), "1".to_owned()),
        ("max-non-active-revisions".to_owned(), "3".to_owned()),
    ]
    .into();
    let ev = evidence(10, 3, Some(data));
    assert!(run(&ev, "Knative net-istio-controller", "net-istio-controller").is_empty());
}

#[test]
fn stuck_routes_get_their_own_step() {
    let mut ev = evidence(2, 30, None);
    ev.revisions = ev
        .revisions
        .iter()
        .map(|r| {
            let mut r = r.to_revision();
            if r.name.ends_with("00001") {
                r.routing_state = Some("active".into());
            }
            r
        })
        .collect();
    for c in 0..2 {
        ev.objects.push(GenericObject {
            api_version: "serving.knative.dev/v1".into(),
            kind: "Route".into(),
            meta: Meta {
                namespace: Some("shop".into()),
                name: format!("svc-{c}"),
                ..Default::default()
            },
            conditions: vec![Condition {
                kind: "Ready".into(),
                status: "Unknown".into(),
                reason: Some("IngressNotConfigured".into()),
                message: None,
                last_transition: None,
                last_heartbeat: None,
            }],
            status: BTreeMap::new(),
            source: Source::new("routes.json"),
        });
    }
    let steps = run(&ev, "Knative net-istio-controller", "net-istio-controller");
    let r = steps.iter().find(|s| s.action == Action::Manual).unwrap();
    assert_eq!(
        r.title,
        "Make the 2 not-Ready Route(s) Ready so GC can reach their old Revisions"
    );
    assert_eq!(
        r.commands[0],
        "kubectl describe routes.serving.knative.dev svc-0 -n shop"
    );
    assert!(
        r.why
            .starts_with("2 older Revisions stay routingState active"),
        "{}",
        r.why
    );
}

#[test]
fn without_revisions_the_patch_still_comes_with_a_count_first() {
    let ev = Evidence::default();
    let steps = run(&ev, "Knative net-istio-controller", "net-istio-controller");
    assert_eq!(steps.len(), 1);
    assert!(
        steps[0]
            .why
            .contains("run `kubectl get revisions -A --no-headers | wc -l` first")
    );
    assert!(steps[0].verify[0].contains("falls to the kept count"));
}

#[test]
fn many_secrets_turn_on_the_secret_filter_for_net_istio_only() {
    let mut ev = Evidence::default();
    ev.counts.insert(
        CountKey {
            kind: "Secret".into(),
            namespace: Some("shop".into()),
        },
        12_000,
    );
    let steps = run(&ev, "Knative net-istio-controller", "net-istio-controller");
    let f = steps.iter().find(|s| s.phase == Phase::Prevent).unwrap();
    assert_eq!(
        f.commands,
        [
            "kubectl set env deployment/net-istio-controller -n knative-serving -c controller ENABLE_SECRET_INFORMER_FILTERING_BY_CERT_UID=true"
        ]
    );
    assert!(f.why.contains("caches all 12,000 Secrets"));
    assert!(
        run(&ev, "Knative activator", "activator")
            .iter()
            .all(|s| s.phase != Phase::Prevent)
    );
}

#[test]
fn an_invalid_config_gc_is_repaired_by_the_patch() {
    let data: BTreeMap<String, String> = [
        ("retain-since-create-time".to_owned(), "2d".to_owned()),
        ("min-non-active-revisions".to_owned(), "x".to_owned()),
    ]
    .into();
    let ev = evidence(3, 30, Some(data));
    let steps = run(&ev, "Knative Serving controller", "controller");
    let s = &steps[0];
    let Action::PatchConfigMap { data, .. } = &s.action else {
        panic!("not a ConfigMap patch: {:?}", s.action)
    };
    assert_eq!(
        data,
        &[
            ("min-non-active-revisions".to_owned(), "2".to_owned()),
            ("max-non-active-revisions".to_owned(), "5".to_owned()),
            ("retain-since-create-time".to_owned(), "48h".to_owned()),
        ]
    );
    // The patched data parses.
    let mut patched: BTreeMap<String, String> = ev.config_maps[0].data.clone();
    patched.extend(data.iter().cloned());
    assert!(GcConfig::from_data(&patched).is_ok());
    assert!(s.why.contains("The current config-gc is invalid (failed to parse data: failed to parse \"min-non-active-revisions\""), "{}", s.why);
}
