//! Evidence that shows accumulation, and near misses that must not.

use std::collections::BTreeMap;

use jiff::{SignedDuration, Timestamp};

use super::*;
use crate::diagnose::finding::Polarity;
use crate::diagnose::knowledge::components::recognise_pod;
use crate::diagnose::rank::rank;
use crate::diagnose::subject::{Subject, find_subjects};
use crate::evidence::*;

fn now() -> Timestamp {
    "2024-04-12T09:20:00Z".parse().unwrap()
}

fn at(secs: i64) -> Timestamp {
    "2024-04-12T09:14:00Z"
        .parse::<Timestamp>()
        .unwrap()
        .checked_add(SignedDuration::from_secs(secs))
        .unwrap()
}

const POD: &str = "net-istio-controller-7f9c8d6b5-x2kqp";

fn crashing_pod(ns: &str, name: &str, image: &str) -> Pod {
    let rs = name.rsplit_once('-').unwrap().0.to_owned();
    Pod {
        meta: Meta {
            namespace: Some(ns.into()),
            name: name.into(),
            owners: vec![OwnerRef {
                kind: "ReplicaSet".into(),
                name: rs,
                uid: None,
                controller: true,
            }],
            ..Default::default()
        },
        node: Some("node-a".into()),
        containers: vec![Container {
            name: "controller".into(),
            image: Some(image.into()),
            restart_count: Some(7),
            state: Some(ContainerState::Waiting {
                reason: Some("CrashLoopBackOff".into()),
                message: None,
            }),
            ..Default::default()
        }],
        sources: vec![Source::new("pods.json")],
        ..Default::default()
    }
}

fn net_istio_pod() -> Pod {
    crashing_pod(
        "knative-serving",
        POD,
        "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@sha256:ab",
    )
}

fn event(pod: &str, reason: &str, message: &str, count: u32) -> Event {
    Event {
        object: ObjectRef::new("Pod", Some("knative-serving"), pod),
        field_path: Some("spec.containers{controller}".into()),
        kind: if reason == "Killing" {
            "Normal"
        } else {
            "Warning"
        }
        .into(),
        reason: reason.into(),
        message: message.into(),
        reporter: Some("kubelet".into()),
        host: Some("node-a".into()),
        count,
        first_seen: None,
        last_seen: None,
        source: Source::new("events.json"),
    }
}

fn probe_timeouts(b: &mut EvidenceBuilder) {
    b.add_event(event(
        POD,
        "Unhealthy",
        "Liveness probe failed: Get \"http://10.0.0.7:8080/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
        18,
    ));
    b.add_event(event(
        POD,
        "Killing",
        "Container controller failed liveness probe, will be restarted",
        3,
    ));
}

/// `configs` Configurations, each with `per` reserve Revisions and one latest.
fn revisions(b: &mut EvidenceBuilder, configs: usize, per: usize) {
    for c in 0..configs {
        let cfg = format!("svc-{c}");
        for i in 0..=per {
            let latest = i == per;
            b.add_revision(Revision {
                namespace: "shop".into(),
                name: format!("{cfg}-{:05}", i + 1),
                configuration: Some(cfg.clone()),
                service: Some(cfg.clone()),
                routing_state: Some(if latest { "active" } else { "reserve" }.into()),
                routing_state_modified: Some(at(-(3600 * (200 - i as i64)))),
                no_gc: false,
                routes: None,
                created: Some(at(-(3600 * (300 - i as i64)))),
                ready: Some("True".into()),
                source: Source::new("revisions.json").with_field(format!("Revision shop/{cfg}")),
            });
        }
    }
}

fn rec(line: u32, time: Option<Timestamp>, msg: &str, continuation: &[&str]) -> LogRecord {
    LogRecord {
        time,
        year_inferred: time.is_some(),
        severity: Severity::Info,
        logger: None,
        message: msg.into(),
        fields: vec![],
        caller: None,
        format: LogFormat::KlogText,
        line,
        continuation: continuation.iter().map(|s| (*s).to_owned()).collect(),
    }
}

fn log(pod: &str, records: Vec<LogRecord>) -> LogStream {
    LogStream {
        pod: Some(ObjectRef::new("Pod", Some("knative-serving"), pod)),
        container: Some("controller".into()),
        run: ContainerRun::Previous,
        format: LogFormat::Json,
        total_records: records.len() as u64,
        first_time: records.iter().find_map(|r| r.time),
        last_time: records.iter().rev().find_map(|r| r.time),
        records,
        dropped: 0,
        source: Source::new("controller.log"),
    }
}

fn slow_start_log() -> LogStream {
    log(
        POD,
        vec![
            rec(1, Some(at(0)), "Starting informers...", &[]),
            rec(
                2,
                Some(at(40)),
                "Trace[1203554871]: \"DeltaFIFO Pop Process\" ID:shop/svc-1-00003-private,Depth:4120,Reason:slow event handlers blocking the queue (12-Apr-2024 09:14:40.270) (total time: 310ms):",
                &["Trace[1203554871]: [310.804843ms] [310.804843ms] END"],
            ),
            rec(
                3,
                Some(at(70)),
                "Trace[77]: \"Reflector ListAndWatch\" name:k8s.io/client-go/informers/factory.go:160 (12-Apr-2024 09:14:00.100) (total time: 34012ms):",
                &[
                    "Trace[77]: ---\"Objects listed\" error:<nil> count:6300 34010ms (09:14:34.110)",
                    "Trace[77]: [34.012s] [34.012s] END",
                ],
            ),
            rec(4, Some(at(95)), "Starting controllers...", &[]),
        ],
    )
}

/// Runs the rule on the first subject, as diagnose would.
fn run(ev: &Evidence) -> Signals {
    let subjects = find_subjects(ev);
    assert!(!subjects.is_empty(), "no troubled subject in the evidence");
    run_on(ev, &subjects[0])
}

fn run_on(ev: &Evidence, s: &Subject) -> Signals {
    let name = s.workload.as_ref().map(|w| w.name.as_str());
    let cx = Context {
        ev,
        subject: s,
        component: s
            .pods
            .iter()
            .find_map(|&i| recognise_pod(&ev.pods[i], name)),
        now: Some(now()),
    };
    let mut out = Signals::default();
    ObjectAccumulation.evaluate(&cx, &mut out);
    out
}

fn support(s: &Signals) -> Vec<&crate::diagnose::finding::Signal> {
    s.signals
        .iter()
        .filter(|x| x.cause == CauseId::ObjectAccumulation && x.polarity == Polarity::For)
        .collect()
}

#[test]
fn many_revisions_with_slow_start_up_fire_with_numbers_chain_and_relation() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    probe_timeouts(&mut b);
    revisions(&mut b, 150, 20);
    b.add_log(slow_start_log());
    let ev = b.finish();
    let out = run(&ev);

    let f = rank(&out);
    let acc = f
        .iter()
        .find(|f| f.cause == CauseId::ObjectAccumulation)
        .unwrap();
    assert_eq!(
        acc.title,
        "3,150 Revisions keep 6,300 Services and 6,300 Endpoints that net-istio-controller must list and process at start-up"
    );
    assert!(acc.score >= 0.6, "score {}", acc.score);
    assert_eq!(
        acc.chain[0],
        "3,150 Revisions (up to 20 non-active per Configuration kept by config-gc defaults)"
    );
    assert_eq!(
        acc.chain[1],
        "6,300 Services + 6,300 Endpoints + 3,150 SKS in net-istio-controller's informers"
    );
    assert!(
        acc.chain[2].contains("initial sync takes ~95 s"),
        "{:?}",
        acc.chain
    );
    assert!(
        acc.chain[2].contains("DeltaFIFO depth up to 4,120"),
        "{:?}",
        acc.chain
    );
    // The trace lines are cited with their log lines.
    assert!(acc.evidence.iter().any(|c| c.text.contains("took 34 s")
        && c.text.contains("6,300 objects listed")
        && c.source.line == Some(3)));
    assert!(
        acc.evidence
            .iter()
            .any(|c| c.text.contains("queue depth up to 4,120") && c.source.line == Some(2))
    );
    assert_eq!(
        out.relations,
        [(
            CauseId::ObjectAccumulation,
            Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad)
        )]
    );

    assert_eq!(out.get_fact("revisions.total"), Some("3150"));
    assert_eq!(out.get_fact("revisions.non_active"), Some("3000"));
    // Defaults keep 20 non-active per Configuration: nothing to collect.
    assert_eq!(out.get_fact("revisions.collectable"), Some("0"));
    assert_eq!(out.get_fact("revisions.recommend_deletes"), Some("2700"));
    assert_eq!(out.get_fact("informers.sync_s"), Some("95"));
    assert_eq!(out.get_fact("fifo.max_depth"), Some("4120"));
    assert_eq!(out.get_fact("objects.services"), Some("6300"));
    let cmds: Vec<&str> = out
        .missing
        .iter()
        .map(|(_, m)| m.command.as_str())
        .collect();
    assert!(
        cmds.contains(&"kubectl get cm config-gc -n knative-serving -o yaml"),
        "{cmds:?}"
    );
    assert!(cmds.contains(
        &"kubectl get configurations.serving.knative.dev -A -o json > configurations.json"
    ));
    assert!(!cmds.iter().any(|c| c.contains("revisions.json")));
}

#[test]
fn few_revisions_speak_against_accumulation() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    probe_timeouts(&mut b);
    revisions(&mut b, 3, 4);
    let ev = b.finish();
    let out = run(&ev);
    assert!(support(&out).is_empty());
    let against: Vec<_> = out
        .signals
        .iter()
        .filter(|s| s.polarity == Polarity::Against)
        .collect();
    assert_eq!(against.len(), 1);
    assert!(
        against[0].citation.text.contains("only about 90 objects"),
        "{}",
        against[0].citation.text
    );
    assert!(out.relations.is_empty());
}

#[test]
fn without_revisions_it_asks_for_them_and_still_reads_the_logs() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    b.add_log(slow_start_log());
    let ev = b.finish();
    let out = run(&ev);
    let cmds: Vec<&str> = out
        .missing
        .iter()
        .map(|(_, m)| m.command.as_str())
        .collect();
    assert!(
        cmds.contains(&"kubectl get revisions.serving.knative.dev -A -o json > revisions.json"),
        "{cmds:?}"
    );
    assert!(
        cmds.iter()
            .any(|c| c.starts_with("for k in services endpoints secrets;")),
        "{cmds:?}"
    );
    // Traces and the sync gap still count, without a count-based title.
    assert!(!support(&out).is_empty());
    assert!(support(&out).iter().all(|s| s.title.is_none()));
    // No probe failures in this evidence: no relation.
    assert!(out.relations.is_empty());
}

#[test]
fn gc_traps_and_what_config_gc_allows_are_cited_from_the_config_map() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    revisions(&mut b, 150, 20);
    let mut data = BTreeMap::new();
    data.insert(
        "_example".to_owned(),
        "min-non-active-revisions: \"2\"\n".to_owned(),
    );
    b.add_config_map(ConfigMap {
        meta: Meta {
            namespace: Some("knative-serving".into()),
            name: "config-gc".into(),
            ..Default::default()
        },
        data,
        source: Source::new("config-gc.yaml").with_field("ConfigMap knative-serving/config-gc"),
    });
    let ev = b.finish();
    let out = run(&ev);
    assert_eq!(out.get_fact("gc.traps"), Some("example-edited"));
    let s = support(&out);
    let trap = s
        .iter()
        .find(|x| x.citation.text.starts_with("config-gc trap:"))
        .unwrap();
    assert_eq!(trap.citation.source.origin.as_ref(), "config-gc.yaml");
    let allows = s
        .iter()
        .find(|x| {
            x.citation
                .text
                .starts_with("config-gc (min-non-active-revisions 20")
        })
        .unwrap();
    assert!(
        allows
            .citation
            .text
            .contains("min 2 / max 5 would leave 450"),
        "{}",
        allows.citation.text
    );
    assert!(
        !out.missing
            .iter()
            .any(|(_, m)| m.command.contains("config-gc"))
    );
}

#[test]
fn unknown_controller_with_huge_secret_count_fires_only_when_it_is_a_controller() {
    let app = "gcr.io/acme/reporter:1.2";
    let mut b = EvidenceBuilder::new();
    b.add_pod(crashing_pod("acme", "reporter-6d5f7c9b8-abcde", app));
    b.count_n("Secret", Some("acme"), 24_000);
    let ev = b.finish();
    // A plain app that shows no informer at work: not our business.
    assert!(run(&ev).signals.is_empty());

    let mut b = EvidenceBuilder::new();
    b.add_pod(crashing_pod("acme", "reporter-6d5f7c9b8-abcde", app));
    b.count_n("Secret", Some("acme"), 24_000);
    let mut l = log(
        "reporter-6d5f7c9b8-abcde",
        vec![rec(
            9,
            None,
            "Trace[5]: \"Reflector ListAndWatch\" name:pkg/mod/k8s.io/client-go@v0.27.4/tools/cache/reflector.go:231 (12-Apr-2024 09:14:00.100) (total time: 21000ms):",
            &[],
        )],
    );
    l.pod = Some(ObjectRef::new(
        "Pod",
        Some("acme"),
        "reporter-6d5f7c9b8-abcde",
    ));
    b.add_log(l);
    let ev = b.finish();
    let out = run(&ev);
    let s = support(&out);
    assert_eq!(
        s[0].title.as_deref(),
        Some("24,000 Secrets in the cluster: reporter must list and cache them all at start-up")
    );
    assert!(s.iter().any(|x| {
        x.citation
            .text
            .contains("`Reflector ListAndWatch` took 21 s")
    }));
    // Revision-specific questions are not asked of a non-Knative controller.
    assert!(out.missing.is_empty());
}

#[test]
fn known_non_revision_component_with_modest_counts_only_speaks_against() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(crashing_pod(
        "kube-system",
        "metrics-server-5c9d8f7b6-qwert",
        "registry.k8s.io/metrics-server/metrics-server:v0.7.1",
    ));
    b.count_n("Pod", Some("shop"), 300);
    b.count_n("Node", None, 12);
    let ev = b.finish();
    let out = run(&ev);
    assert!(support(&out).is_empty());
    assert!(out.missing.is_empty());
    let against: Vec<_> = out
        .signals
        .iter()
        .filter(|s| s.polarity == Polarity::Against)
        .collect();
    assert!(
        against[0]
            .citation
            .text
            .contains("watches only about 312 objects"),
        "{}",
        against[0].citation.text
    );
}

#[test]
fn a_sync_that_never_finishes_is_reported_with_its_length() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    probe_timeouts(&mut b);
    revisions(&mut b, 150, 20);
    b.add_log(log(
        POD,
        vec![
            rec(1, Some(at(0)), "Starting informers...", &[]),
            rec(2, Some(at(29)), "Failed to start informers", &[]),
        ],
    ));
    let ev = b.finish();
    let out = run(&ev);
    let s = support(&out);
    assert!(s.iter().any(|x| {
        x.citation
            .text
            .contains("29 s later the log ends without \"Starting controllers...\"")
    }));
    assert!(
        out.chains
            .iter()
            .any(|(_, c)| c.text.contains("initial sync does not finish in 29 s"))
    );
}

#[test]
fn whole_diagnosis_ranks_accumulation_under_the_probe_cause_and_plans_the_gc_patch() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    probe_timeouts(&mut b);
    revisions(&mut b, 150, 20);
    b.add_log(slow_start_log());
    let ev = b.finish();
    let d = crate::diagnose::diagnose(&ev, &crate::diagnose::DiagnoseOptions { now: Some(now()) });
    let w = &d.workloads[0];
    let acc = w
        .findings
        .iter()
        .find(|f| f.cause == CauseId::ObjectAccumulation)
        .unwrap();
    assert!(acc.rules.contains(&"object-accumulation"));
    // The probe cause is the verdict; accumulation feeds it and ranks right below.
    assert_eq!(w.verdict, CauseId::ProbeTimeoutUnderLoad);
    assert_eq!(w.findings[1].cause, CauseId::ObjectAccumulation);
    assert!(
        acc.score < w.findings[0].score,
        "{} vs {}",
        acc.score,
        w.findings[0].score
    );
    assert_eq!(
        acc.relation,
        Some(Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad))
    );
    let gc = w
        .plan
        .iter()
        .find(|s| s.cause == CauseId::ObjectAccumulation)
        .expect("a GC step");
    assert!(
        gc.commands[0]
            .starts_with("kubectl patch configmap config-gc -n knative-serving --type merge -p")
    );
    assert!(gc.why.contains("removes 2,700 Revisions"), "{}", gc.why);
}

#[test]
fn trace_totals_come_from_the_end_line_wherever_it_is() {
    let klog = rec(
        1,
        None,
        "Trace[1]: \"DeltaFIFO Pop Process\" ID:a/b,Depth:20,Reason:slow (12-Apr-2024 09:14:07.270) (total time: 110ms):",
        &["Trace[1]: [1.5s] [1.5s] END"],
    );
    assert_eq!(trace_end(&klog), Some(Duration::from_millis(1500)));
    // klog routed through zap: one JSON message with the lines joined.
    let zap = rec(
        1,
        None,
        "Trace[2]: \"Reflector ListAndWatch\" name:x (12-Apr-2024 09:14:00.100) (total time: 31000ms):\nTrace[2]: [31.0021s] [31.0021s] END",
        &[],
    );
    assert_eq!(trace_end(&zap), Some(Duration::from_micros(31_002_100)));
    assert_eq!(trace_end(&rec(1, None, "Trace[3]: no end", &[])), None);
}

#[test]
fn revisions_stuck_behind_unready_routes_are_cited_from_the_route() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    revisions(&mut b, 150, 20);
    let mut ev = b.finish();
    ev.revisions = ev
        .revisions
        .iter()
        .map(|r| {
            let mut r = r.to_revision();
            if r.configuration.as_deref() == Some("svc-0") {
                r.routing_state = Some("active".into());
                r.routes = Some("svc-0".into());
            }
            r
        })
        .collect();
    ev.objects.push(GenericObject {
        api_version: "serving.knative.dev/v1".into(),
        kind: "Route".into(),
        meta: Meta {
            namespace: Some("shop".into()),
            name: "svc-0".into(),
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
        source: Source::new("routes.json").with_field("Route shop/svc-0"),
    });
    let out = run(&ev);
    let s = support(&out);
    let trap = s
        .iter()
        .find(|x| {
            x.citation
                .text
                .starts_with("config-gc trap: 20 older Revisions stay routingState active")
        })
        .unwrap();
    assert_eq!(trap.citation.source.origin.as_ref(), "routes.json");
    assert_eq!(out.get_fact("gc.traps"), Some("stuck-active"));
    // Defaults in effect: the text does not repeat them as a comparison.
    let allows = s
        .iter()
        .find(|x| {
            x.citation
                .text
                .starts_with("config-gc (not in the evidence")
        })
        .unwrap();
    assert!(
        !allows
            .citation
            .text
            .contains("Knative's defaults would collect"),
        "{}",
        allows.citation.text
    );
}

fn invalid_config_gc() -> ConfigMap {
    let data: BTreeMap<String, String> =
        [("max-non-active-revisions".to_owned(), "-1".to_owned())].into();
    ConfigMap {
        meta: Meta {
            namespace: Some("knative-serving".into()),
            name: "config-gc".into(),
            ..Default::default()
        },
        data,
        source: Source::new("config-gc.yaml"),
    }
}

#[test]
fn an_invalid_config_gc_is_bad_config_for_the_controller_that_loads_it() {
    let mut b = EvidenceBuilder::new();
    b.add_pod(crashing_pod(
        "knative-serving",
        "controller-7f9d8c6b5-hx7lm",
        "gcr.io/knative-releases/knative.dev/serving/cmd/controller@sha256:b1",
    ));
    b.add_config_map(invalid_config_gc());
    let ev = b.finish();
    let out = run(&ev);
    let bad: Vec<_> = out
        .signals
        .iter()
        .filter(|s| s.cause == CauseId::BadConfig && s.polarity == Polarity::For)
        .collect();
    assert_eq!(bad.len(), 1);
    assert_eq!(
        bad[0].title.as_deref(),
        Some(
            "config-gc is invalid and the Serving controller cannot start with it: failed to parse max-non-active-revisions: strconv.ParseUint: parsing \"-1\": invalid syntax"
        )
    );
    assert_eq!(bad[0].citation.source.origin.as_ref(), "config-gc.yaml");

    // net-istio does not load config-gc: no bad-config from it.
    let mut b = EvidenceBuilder::new();
    b.add_pod(net_istio_pod());
    b.add_config_map(invalid_config_gc());
    let ev = b.finish();
    assert!(
        !run(&ev)
            .signals
            .iter()
            .any(|s| s.cause == CauseId::BadConfig)
    );
}
