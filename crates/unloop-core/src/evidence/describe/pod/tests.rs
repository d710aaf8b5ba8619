use jiff::Timestamp;

use super::*;
use crate::evidence::model::{Evidence, ProbeHandler};
use crate::evidence::source::Source;

fn read_at(text: &str, origin: &str) -> Evidence {
    let mut b = EvidenceBuilder::new();
    read(&TextInput::new(text, Source::new(origin)), &mut b).unwrap();
    b.finish()
}

fn ts(s: &str) -> Timestamp {
    crate::evidence::time::parse_rfc1123z(s).unwrap()
}

fn at(s: &str) -> Option<TimeRef> {
    Some(TimeRef::At(ts(s)))
}

/// Real `kubectl describe pod` output (kubectl 1.32) of a crash-looping
/// net-istio controller, Knative 1.12 probes.
const NET_ISTIO_1_32: &str = include_str!("../testdata/pod-net-istio-1.32.txt");
/// The same pod in kubectl 1.35–1.37 form: field-path message prefixes,
/// `Container started`, named ports, `successThreshold=`/`failureThreshold=`.
const NET_ISTIO_1_37: &str = include_str!("../testdata/pod-net-istio-1.37.txt");
/// `kubectl describe pods`: two pods, one with a multi-line OOMKilled message.
const MULTI: &str = include_str!("../testdata/pods-multi-1.32.txt");

#[test]
fn net_istio_pod_kubectl_1_32() {
    let ev = read_at(NET_ISTIO_1_32, "describe-pod.txt");
    assert_eq!(ev.pods.len(), 1);
    let p = &ev.pods[0];
    assert_eq!(p.meta.name, "net-istio-controller-5d9c7f6b8-x2kqp");
    assert_eq!(p.meta.namespace.as_deref(), Some("knative-serving"));
    assert_eq!(p.node.as_deref(), Some("node-1"));
    assert_eq!(p.service_account.as_deref(), Some("controller"));
    assert_eq!(p.start_time, at("Sat, 28 Nov 2026 01:32:08 +0000"));
    assert_eq!(p.meta.labels.len(), 5);
    assert_eq!(p.meta.labels["pod-template-hash"], "5d9c7f6b8");
    assert_eq!(p.meta.annotations["sidecar.istio.io/inject"], "false");
    assert_eq!(p.phase.as_deref(), Some("Running"));
    assert_eq!(p.ip.as_deref(), Some("10.244.1.7"));
    let owner = p.meta.controller().unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("ReplicaSet", "net-istio-controller-5d9c7f6b8", true)
    );
    // The uid only the BackOff message carries.
    assert_eq!(
        p.meta.uid.as_deref(),
        Some("8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a")
    );

    assert_eq!(p.containers.len(), 2);
    let init = &p.containers[0];
    assert!(init.init);
    assert_eq!(init.name, "wait-for-istio");
    assert_eq!(
        init.command,
        [
            "sh",
            "-c",
            "until nc -z istiod.istio-system 15012; do sleep 2; done"
        ]
    );
    assert_eq!(init.state.as_ref().unwrap().exit_code(), Some(0));
    assert_eq!(init.state.as_ref().unwrap().reason(), Some("Completed"));

    let c = p.container("controller").unwrap();
    assert!(!c.init);
    assert!(
        c.image
            .as_deref()
            .unwrap()
            .contains("net-istio/cmd/controller@sha256:")
    );
    let ports: Vec<u16> = c.ports.iter().map(|p| p.port).collect();
    assert_eq!(ports, [9090, 8008, 8080]);
    assert_eq!(c.args, ["--disable-ha=false"]);
    assert_eq!(
        c.state,
        Some(ContainerState::Waiting {
            reason: Some("CrashLoopBackOff".into()),
            message: None
        })
    );
    assert_eq!(
        c.last_state,
        Some(ContainerState::Terminated {
            reason: Some("Error".into()),
            message: None,
            exit_code: Some(1),
            signal: None,
            started: at("Sat, 28 Nov 2026 01:53:33 +0000"),
            finished: at("Sat, 28 Nov 2026 01:54:06 +0000"),
        })
    );
    assert_eq!(c.ready, Some(false));
    assert_eq!(c.restart_count, Some(7));
    assert_eq!(c.resources.limits.cpu_millis, Some(300));
    assert_eq!(c.resources.limits.memory_bytes, Some(400 << 20));
    assert_eq!(c.resources.requests.cpu_millis, Some(30));
    assert_eq!(c.resources.requests.memory_bytes, Some(40 << 20));
    let live = c.liveness.as_ref().unwrap();
    assert_eq!(
        live.handler,
        ProbeHandler::HttpGet {
            scheme: "HTTP".into(),
            host: None,
            port: "probes".into(),
            path: "/health".into()
        }
    );
    assert_eq!((live.period_seconds, live.failure_threshold), (5, 6));
    assert_eq!(live.source.line, Some(63));
    assert_eq!(c.readiness.as_ref().unwrap().failure_threshold, 3);
    assert!(c.startup.is_none());

    assert_eq!(p.conditions.len(), 4);
    let ready = p.conditions.iter().find(|c| c.kind == "Ready").unwrap();
    assert_eq!(ready.status, "False");

    assert_eq!(ev.events.len(), 7);
    let backoff = ev.events.iter().find(|e| e.reason == "BackOff").unwrap();
    assert_eq!(backoff.count, 40);
    assert_eq!(backoff.object.kind, "Pod");
    assert_eq!(backoff.object.name, p.meta.name);
    assert_eq!(backoff.object.namespace.as_deref(), Some("knative-serving"));
    assert_eq!(backoff.source.line, Some(93));
    assert_eq!(ev.events_for(&p.object_ref()).count(), 7);

    // Last start 01:53:33 and the last `Started` event 3m38s before the output
    // was taken: taken at 01:57:11.
    let a = &ev.anchors[0];
    assert_eq!(a.at, Some(ts("Sat, 28 Nov 2026 01:57:11 +0000")));
    assert!(a.inferred);
    assert_eq!(a.not_before, Some(ts("Sat, 28 Nov 2026 01:54:06 +0000")));
    assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
}

#[test]
fn kubectl_1_37_forms_and_an_anchor_from_a_running_container() {
    let ev = read_at(NET_ISTIO_1_37, "describe-pod.txt");
    let p = &ev.pods[0];
    let c = p.container("controller").unwrap();
    let live = c.liveness.as_ref().unwrap();
    assert_eq!((live.success_threshold, live.failure_threshold), (1, 6));
    assert_eq!(c.ports[2].name.as_deref(), Some("probes"));
    assert_eq!(c.ports[0].protocol, "TCP");
    assert_eq!(c.last_state.as_ref().unwrap().reason(), Some("OOMKilled"));
    assert_eq!(c.last_state.as_ref().unwrap().exit_code(), Some(137));
    assert!(matches!(c.state, Some(ContainerState::Running { .. })));

    let started = ev.events.iter().find(|e| e.reason == "Started").unwrap();
    assert_eq!(started.message, "Container started");
    assert_eq!(
        started.field_path.as_deref(),
        Some("spec.containers{controller}")
    );
    assert_eq!(started.container(), Some("controller"));
    let pulled = ev.events.iter().find(|e| e.reason == "Pulled").unwrap();
    assert!(pulled.message.starts_with("Container image \"gcr.io/"));
    // Running since 02:04:57; `Container started` 51s ago.
    assert_eq!(
        ev.anchors[0].at,
        Some(ts("Sat, 28 Nov 2026 02:05:48 +0000"))
    );
}

#[test]
fn several_pods_in_one_output() {
    let ev = read_at(MULTI, "describe-pods.txt");
    assert_eq!(ev.pods.len(), 2);
    assert_eq!(ev.anchors.len(), 1, "one output, one anchor");
    let p2 = &ev.pods[1];
    assert_eq!(
        p2.meta.name,
        "canonical-service-controller-manager-cd6c66569b-tdqnx"
    );
    let m = p2.container("manager").unwrap();
    let Some(ContainerState::Terminated {
        reason,
        message,
        exit_code,
        ..
    }) = &m.last_state
    else {
        panic!("{:?}", m.last_state)
    };
    assert_eq!(reason.as_deref(), Some("OOMKilled"));
    assert_eq!(*exit_code, Some(137));
    let message = message.as_deref().unwrap();
    assert!(message.starts_with(
        "panic: runtime error: invalid memory address\n\ngoroutine 1 [running]:\nmain.main()"
    ));
    assert!(message.ends_with("/src/main.go:42 +0x1d"));
    assert_eq!(
        m.liveness.as_ref().unwrap().handler,
        ProbeHandler::Exec {
            command: vec!["cat".into(), "/tmp/healthy".into()]
        }
    );
    assert_eq!(m.liveness.as_ref().unwrap().initial_delay_seconds, 15);
    assert!(matches!(
        m.readiness.as_ref().unwrap().handler,
        ProbeHandler::TcpSocket { .. }
    ));
    assert_eq!(m.startup.as_ref().unwrap().failure_threshold, 30);

    let p1 = ev.pods[0].object_ref();
    assert_eq!(ev.events_for(&p1).count(), 7);
    let p2_ref = p2.object_ref();
    let mine: Vec<_> = ev.events_for(&p2_ref).collect();
    assert_eq!(mine.len(), 4);
    assert!(mine.iter().all(|e| e.source.line.unwrap() > 165));
    // Both pods agree: 01:53:57 + 3m36s and 01:57:05 + 28s.
    assert_eq!(
        ev.anchors[0].at,
        Some(ts("Sat, 28 Nov 2026 01:57:33 +0000"))
    );
}

#[test]
fn partial_paste_of_case_49() {
    // A real report: the paste starts mid-container and elides the middle.
    let text = "    Restart Count:  29
    Liveness:       http-get http://:80/healthz delay=60s timeout=1s period=30s #success=1 #failure=3
    Readiness:      http-get http://:80/healthz delay=5s timeout=1s period=30s #success=1 #failure=3
...
Events:
  Type     Reason     Age                  From     Message
  ----     ------     ----                 ----     -------
  Warning  Unhealthy  39m (x2 over 40m)    kubelet  Liveness probe failed: Get \"http://192.168.74.203:80/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)
";
    let ev = read_at(
        text,
        "cases/49-rancher-healthz-1s-timeout-heavy-load/describe.txt",
    );
    assert_eq!(ev.pods.len(), 1);
    let p = &ev.pods[0];
    assert_eq!(p.meta.name, "describe");
    assert_eq!(p.meta.namespace, None);
    assert_eq!(p.containers.len(), 1);
    let c = &p.containers[0];
    assert_eq!(c.name, UNNAMED_CONTAINER);
    assert_eq!(c.restart_count, Some(29));
    let live = c.liveness.as_ref().unwrap();
    assert_eq!(
        (
            live.initial_delay_seconds,
            live.timeout_seconds,
            live.period_seconds,
            live.failure_threshold
        ),
        (60, 1, 30, 3)
    );
    assert_eq!(c.readiness.as_ref().unwrap().initial_delay_seconds, 5);
    assert_eq!(ev.events.len(), 1);
    let e = &ev.events[0];
    assert_eq!(e.count, 2);
    assert_eq!(e.object.name, "describe");
    assert_eq!(ev.events_for(&p.object_ref()).count(), 1);
    let notes: Vec<_> = ev
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Note)
        .collect();
    assert!(notes.iter().any(|d| d.message.contains("without its Name")));
    assert!(notes.iter().any(|d| d.message.contains("elided")));
    assert!(notes.iter().any(|d| d.message.contains(UNNAMED_CONTAINER)));
    assert!(
        ev.diagnostics
            .iter()
            .all(|d| d.level == DiagnosticLevel::Note)
    );
}

#[test]
fn headless_paste_named_by_its_events() {
    // kubelet ≥ 1.26 BackOff names container, pod, namespace and uid.
    let text = "    State:          Waiting
      Reason:       CrashLoopBackOff
    Last State:     Terminated
      Reason:       Error
      Exit Code:    1
      Started:      Wed, 27 Mar 2024 18:30:28 +0000
      Finished:     Wed, 27 Mar 2024 18:30:53 +0000
    Restart Count:  7
Events:
  Type     Reason   Age                 From     Message
  ----     ------   ----                ----     -------
  Normal   Killing  2m7s (x7 over 14m)  kubelet  Container controller failed liveness probe, will be restarted
  Warning  BackOff  60s (x40 over 12m)  kubelet  Back-off restarting failed container controller in pod net-istio-controller-5d9c7f6b8-x2kqp_knative-serving(8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a)
";
    let ev = read_at(text, "<stdin>");
    let p = &ev.pods[0];
    assert_eq!(p.meta.name, "net-istio-controller-5d9c7f6b8-x2kqp");
    assert_eq!(p.meta.namespace.as_deref(), Some("knative-serving"));
    assert_eq!(
        p.meta.uid.as_deref(),
        Some("8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a")
    );
    assert_eq!(p.containers[0].name, "controller");
    assert_eq!(p.containers[0].restart_count, Some(7));
    assert_eq!(
        ev.events[1].object.namespace.as_deref(),
        Some("knative-serving")
    );
    // No Started event; the last Killing came 2m7s ago, just before the
    // container finished at 18:30:53.
    assert_eq!(
        ev.anchors[0].at,
        Some(ts("Wed, 27 Mar 2024 18:33:00 +0000"))
    );
}

#[test]
fn found_events_line_names_the_pod() {
    let text = "Pod 'net-istio-controller-5d9c7f6b8-x2kqp': error 'pods \"net-istio-controller-5d9c7f6b8-x2kqp\" not found', but found events.
Events:
  Type     Reason   Age   From     Message
  ----     ------   ----  ----     -------
  Normal   Killing  5m    kubelet  Stopping container controller
";
    let ev = read_at(text, "d.txt");
    assert_eq!(ev.pods[0].meta.name, "net-istio-controller-5d9c7f6b8-x2kqp");
    assert_eq!(
        ev.events[0].object.name,
        "net-istio-controller-5d9c7f6b8-x2kqp"
    );
    assert_eq!(ev.events[0].reason, "Killing");
}

#[test]
fn evicted_pod_level_reason_message_and_terminating() {
    let text = "Name:         citadel-7d9f8c6b5-abcde
Namespace:    istio-system
Node:         <none>
Status:       Failed
Reason:       Evicted
Message:      The node was low on resource: memory. Container citadel was using 43536Ki, which exceeds its request of 0. 
IP:           
IPs:          <none>
Controlled By:  ReplicaSet/citadel-7d9f8c6b5
Containers:
  citadel:
    Image:      docker.io/istio/citadel:1.0.0
    Port:       <none>
    Host Port:  <none>
    Environment:  <none>
Events:       <none>


Name:                      net-istio-webhook-6c5b7d8f9-q8w4z
Namespace:                 knative-serving
Status:                    Terminating (lasts 5s)
Termination Grace Period:  30s
Containers:
  webhook:
    Image:  x
";
    let ev = read_at(text, "d.txt");
    assert_eq!(ev.pods.len(), 2);
    let p = &ev.pods[0];
    assert_eq!(p.node, None);
    assert_eq!(p.phase.as_deref(), Some("Failed"));
    assert_eq!(p.reason.as_deref(), Some("Evicted"));
    assert!(p.message.as_deref().unwrap().contains("was using 43536Ki"));
    assert_eq!(p.ip, None);
    assert!(p.containers[0].ports.is_empty());
    assert!(ev.events.is_empty());
    let t = &ev.pods[1];
    assert_eq!(t.reason.as_deref(), Some("Terminating"));
    assert_eq!(t.phase, None);
    assert_eq!(t.termination_grace_period_seconds, Some(30));
}

#[test]
fn an_inconsistent_pairing_infers_nothing() {
    // The Started event is older than the last finish: it cannot be the
    // start shown (a later restart's event is missing), so no anchor is set.
    let text = "Name:  p
Namespace:  ns
Containers:
  c:
    State:          Running
      Started:      Wed, 27 Mar 2024 18:00:00 +0000
    Last State:     Terminated
      Finished:     Wed, 27 Mar 2024 18:30:00 +0000
Events:
  Type    Reason   Age   From     Message
  ----    ------   ----  ----     -------
  Normal  Started  5m    kubelet  Started container c
";
    let mut b = EvidenceBuilder::new();
    read(&TextInput::new(text, Source::new("d.txt")), &mut b).unwrap();
    let a = &b.evidence().anchors[0];
    assert_eq!(a.at, None);
    assert_eq!(a.not_before, Some(ts("Wed, 27 Mar 2024 18:30:00 +0000")));
}

#[test]
fn not_describe_output_is_an_error_and_empty_is_not() {
    let mut b = EvidenceBuilder::new();
    let t = TextInput::new("hello world\nthis is a log line\n", Source::new("x.txt"));
    assert!(matches!(
        read(&t, &mut b),
        Err(InputError::Malformed { line: 1, .. })
    ));
    let t = TextInput::new("\n\n", Source::new("x.txt"));
    assert!(read(&t, &mut b).is_ok());
    assert!(b.finish().pods.is_empty());
}

#[test]
fn mentioned_containers() {
    assert_eq!(
        mentioned_container("Started container controller"),
        Some("controller")
    );
    assert_eq!(
        mentioned_container("Created container: controller"),
        Some("controller")
    );
    assert_eq!(
        mentioned_container("Container controller failed liveness probe, will be restarted"),
        Some("controller")
    );
    assert_eq!(
        mentioned_container("Container image \"x\" already present on machine"),
        None
    );
    assert_eq!(mentioned_container("Container started"), None);
    assert_eq!(
        mentioned_container("Back-off restarting failed container"),
        None
    );
}
