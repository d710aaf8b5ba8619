//! `cluster-info dump` readers: logs files, the stdout stream, the directory test.

use std::path::PathBuf;

use serde::Serialize;
use serde_json::{Value, json};

use super::*;
use crate::evidence::model::{Evidence, LogStream, Severity, WorkloadKind};

const POD: &str = "net-istio-controller-5d9c7f6b8-x2kqp";

fn logs(text: &str) -> (Evidence, Result<(), InputError>) {
    let mut b = EvidenceBuilder::new();
    let r = read_dump_logs(
        text.as_bytes(),
        &Source::new("dump/knative-serving/p/logs.txt"),
        &mut b,
    );
    (b.finish(), r)
}

fn stream(text: &str) -> (Evidence, Result<(), InputError>) {
    let mut b = EvidenceBuilder::new();
    let r = read_dump_stream(text.as_bytes(), &Source::new("dump.txt"), &mut b);
    (b.finish(), r)
}

/// 1-based number of the first line containing `needle`.
fn line_of(text: &str, needle: &str) -> u32 {
    text.lines()
        .position(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle} not in text")) as u32
        + 1
}

fn record_line(log: &LogStream, needle: &str) -> Option<u32> {
    log.records
        .iter()
        .find(|r| r.message.contains(needle))
        .map(|r| r.line)
}

fn log_of<'a>(ev: &'a Evidence, container: &str) -> &'a LogStream {
    ev.logs
        .iter()
        .find(|l| l.container.as_deref() == Some(container))
        .unwrap_or_else(|| panic!("no log for {container}"))
}

/// A dump's `logs.txt`: the controller's log ends without a newline, so the END
/// marker is glued to its last line; the sidecar's log could not be fetched.
fn logs_txt() -> String {
    format!(
        "==== START logs for container controller of pod knative-serving/{POD} ====\n\
         {{\"level\":\"info\",\"ts\":\"2024-03-27T18:30:28.123Z\",\"logger\":\"net-istio-controller\",\"caller\":\"sharedmain/main.go:280\",\"msg\":\"Starting informers...\",\"commit\":\"4ee7ef5\"}}\n\
         I0327 18:30:29.624270       1 trace.go:236] Trace[2021154357]: \"DeltaFIFO Pop Process\" ID:default/route-1,Depth:23188,Reason:slow event handlers blocking the queue (27-Mar-2024 18:30:29.500) (total time: 124ms):\n\
         Trace[2021154357]: [124.191ms] [124.191ms] END\n\
         {{\"level\":\"fatal\",\"ts\":\"2024-03-27T18:30:53.101Z\",\"logger\":\"fallback\",\"caller\":\"injection/injection.go:65\",\"msg\":\"Failed to start informers\",\"error\":\"failed to wait for cache at index 8 to sync\"}}==== END logs for container controller of pod knative-serving/{POD} ====\n\
         ==== START logs for container istio-proxy of pod knative-serving/{POD} ====\n\
         Request log error: container \"istio-proxy\" in pod \"{POD}\" is waiting to start: PodInitializing\n\
         ==== END logs for container istio-proxy of pod knative-serving/{POD} ====\n"
    )
}

#[test]
fn log_blocks_become_streams_with_file_lines() {
    let text = logs_txt();
    let (ev, r) = logs(&text);
    r.unwrap();
    assert_eq!(
        ev.logs.len(),
        1,
        "the unfetchable log is a note, not a stream"
    );
    let log = &ev.logs[0];
    let pod = log.pod.as_ref().unwrap();
    assert_eq!(
        (
            pod.kind.as_str(),
            pod.namespace.as_deref(),
            pod.name.as_str()
        ),
        ("Pod", Some("knative-serving"), POD)
    );
    assert_eq!(log.container.as_deref(), Some("controller"));
    assert_eq!(log.run, ContainerRun::Current);
    assert_eq!(log.source.line, Some(1));

    assert_eq!(record_line(log, "Starting informers"), Some(2));
    // The glued END marker is cut off; the text before it is the last log line.
    let fatal = log
        .records
        .iter()
        .find(|r| r.message.contains("Failed to start informers"))
        .expect("the glued last line is a record");
    assert_eq!(fatal.line, 5);
    assert_eq!(fatal.severity, Severity::Fatal);
    assert!(!fatal.message.contains("===="));
    assert!(
        log.records.iter().all(|r| !r.message.contains("==== END")),
        "no marker leaks into the log"
    );
    assert_eq!(
        log.record_source(fatal).to_string(),
        format!(
            "dump/knative-serving/p/logs.txt:5 (logs of container controller of pod knative-serving/{POD})"
        )
    );

    let notes: Vec<_> = ev
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Note)
        .collect();
    assert_eq!(notes.len(), 1, "{:?}", ev.diagnostics);
    assert_eq!(notes[0].source.line, Some(7));
    assert!(notes[0].message.contains("istio-proxy"));
    assert!(notes[0].message.contains("PodInitializing"));
    assert_eq!(ev.diagnostics.len(), 1);
}

#[test]
fn empty_logs_foreign_end_markers_and_a_missing_end() {
    let text = "==== START logs for container init of pod ns/p ====\n\
                ==== END logs for container init of pod ns/p ====\n\
                ==== START logs for container main of pod ns/p ====\n\
                first line\n\
                ==== END logs for container other of pod ns/x ==== is just text here\n\
                last line\n\
                ==== END logs for container renamed of pod ns/p ====\n\
                ==== START logs for container sidecar of pod ns/p ====\n\
                sidecar line";
    let (ev, r) = logs(text);
    r.unwrap();
    assert_eq!(ev.logs.len(), 3);
    let init = log_of(&ev, "init");
    assert!(init.records.is_empty());
    assert_eq!(init.total_records, 0);
    let main = log_of(&ev, "main");
    assert_eq!(record_line(main, "last line"), Some(6));
    assert_eq!(
        record_line(main, "is just text"),
        Some(5),
        "another block's END marker, not at the end of the line, is log text"
    );
    let warnings: Vec<_> = ev
        .diagnostics
        .iter()
        .filter(|d| d.level == DiagnosticLevel::Warning)
        .collect();
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].message.contains("no END marker"));
    assert!(warnings[0].message.contains("sidecar"));
    assert_eq!(warnings[0].source.line, Some(8));
    assert_eq!(record_line(log_of(&ev, "sidecar"), "sidecar line"), Some(9));
    assert!(
        log_of(&ev, "main")
            .records
            .iter()
            .all(|r| !r.message.contains("renamed")),
        "an END line for another container still closes the block"
    );
}

#[test]
fn log_blocks_inside_a_larger_input_keep_whole_input_lines() {
    let text = logs_txt();
    let mut b = EvidenceBuilder::new();
    read_dump_logs_at(text.as_bytes(), &Source::new("paste"), 41, &mut b).unwrap();
    let ev = b.finish();
    assert_eq!(
        record_line(&ev.logs[0], "Failed to start informers"),
        Some(45)
    );
    assert_eq!(ev.diagnostics[0].source.line, Some(47));
}

/// Formats like Go's `json.MarshalIndent(obj, "", "    ")`.
fn marshal_indent(v: &impl Serialize) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    v.serialize(&mut ser).unwrap();
    String::from_utf8(out).unwrap() + "\n"
}

/// A typed list in Go's field order (kind, apiVersion, metadata, items).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ListDoc<'a> {
    kind: &'a str,
    api_version: &'a str,
    metadata: Value,
    items: Vec<Value>,
}

fn list(kind: &str, api: &str, items: Vec<Value>) -> String {
    marshal_indent(&ListDoc {
        kind,
        api_version: api,
        metadata: json!({"resourceVersion": "4242"}),
        items,
    })
}

fn event(ns: &str, pod: &str, reason: &str, message: &str) -> Value {
    json!({
        "metadata": {"name": format!("{pod}.17c0"), "namespace": ns, "creationTimestamp": "2024-03-27T18:30:00Z"},
        "involvedObject": {"kind": "Pod", "namespace": ns, "name": pod, "uid": format!("uid-{pod}"), "apiVersion": "v1",
                           "fieldPath": "spec.containers{controller}"},
        "reason": reason,
        "message": message,
        "source": {"component": "kubelet", "host": "worker-3"},
        "firstTimestamp": "2024-03-27T18:20:40Z",
        "lastTimestamp": "2024-03-27T18:30:53Z",
        "count": 40,
        "type": "Warning",
        "eventTime": null,
        "reportingComponent": "kubelet",
        "reportingInstance": "worker-3"
    })
}

fn pod(ns: &str, name: &str, container: &str) -> Value {
    json!({
        "metadata": {"name": name, "namespace": ns, "uid": format!("uid-{name}"),
                     "managedFields": [{"manager": "kubelet", "operation": "Update", "fieldsType": "FieldsV1", "fieldsV1": {"f:status": {}}}]},
        "spec": {"containers": [{"name": container, "image": "img"}], "nodeName": "worker-3"},
        "status": {"phase": "Running", "containerStatuses": [{"name": container, "ready": false, "restartCount": 7,
            "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            "lastState": {"terminated": {"exitCode": 1, "reason": "Error"}}}]}
    })
}

/// The stdout form for two namespaces, as `cluster-info dump` prints it.
fn dump_stdout() -> String {
    let mut s = String::new();
    s += &list(
        "NodeList",
        "v1",
        vec![json!({
            "metadata": {"name": "worker-3"},
            "spec": {"podCIDR": "10.244.3.0/24"},
            "status": {"conditions": [{"type": "Ready", "status": "True", "reason": "KubeletReady",
                                       "lastHeartbeatTime": "2024-03-27T18:31:05Z"}],
                       "nodeInfo": {"kubeletVersion": "v1.29.2"}}
        })],
    );
    // knative-serving
    s += &list(
        "EventList",
        "v1",
        vec![event(
            "knative-serving",
            POD,
            "BackOff",
            "Back-off restarting failed container controller",
        )],
    );
    s += &list("ReplicationControllerList", "v1", vec![]);
    s += &list(
        "ServiceList",
        "v1",
        vec![
            json!({"metadata": {"name": "net-istio-webhook", "namespace": "knative-serving"},
                    "spec": {"ports": [{"port": 443}]}, "status": {"loadBalancer": {}}}),
        ],
    );
    s += &list("DaemonSetList", "apps/v1", vec![]);
    s += &list(
        "DeploymentList",
        "apps/v1",
        vec![
            json!({"metadata": {"name": "net-istio-controller", "namespace": "knative-serving"},
                    "spec": {"replicas": 1, "selector": {"matchLabels": {"app": "net-istio-controller"}},
                             "template": {"spec": {"containers": [{"name": "controller"}]}}},
                    "status": {"replicas": 1, "unavailableReplicas": 1}}),
        ],
    );
    s += &list("ReplicaSetList", "apps/v1", vec![]);
    s += &list(
        "PodList",
        "v1",
        vec![pod("knative-serving", POD, "controller")],
    );
    s += &format!(
        "==== START logs for container controller of pod knative-serving/{POD} ====\n\
         {{\"level\":\"fatal\",\"ts\":\"2024-03-27T18:30:53.101Z\",\"logger\":\"fallback\",\"msg\":\"Failed to start informers\"}}\n\
         ==== END logs for container controller of pod knative-serving/{POD} ====\n"
    );
    // kube-system
    s += &list(
        "EventList",
        "v1",
        vec![event(
            "kube-system",
            "kube-proxy-abcde",
            "Unhealthy",
            "Liveness probe failed",
        )],
    );
    s += &list("ReplicationControllerList", "v1", vec![]);
    s += &list("ServiceList", "v1", vec![]);
    s += &list("DaemonSetList", "apps/v1", vec![]);
    s += &list("DeploymentList", "apps/v1", vec![]);
    s += &list("ReplicaSetList", "apps/v1", vec![]);
    s += &list(
        "PodList",
        "v1",
        vec![pod("kube-system", "kube-proxy-abcde", "kube-proxy")],
    );
    s += "==== START logs for container kube-proxy of pod kube-system/kube-proxy-abcde ====\n\
          I0327 18:30:01.000001       1 server.go:846] \"Version info\" version=\"v1.29.2\"\n\
          E0327 18:30:02.000002       1 proxier.go:1533] \"Failed to sync iptables rules\"\n\
          ==== END logs for container kube-proxy of pod kube-system/kube-proxy-abcde ====\n";
    s
}

#[test]
fn stdout_dump_mixes_lists_and_log_blocks() {
    let text = dump_stdout() + "Cluster info dumped to standard output\n";
    let (ev, r) = stream(&text);
    r.unwrap();
    assert_eq!(ev.nodes.len(), 1);
    assert_eq!(ev.nodes[0].kubelet_version.as_deref(), Some("v1.29.2"));
    assert_eq!(ev.events.len(), 2);
    assert_eq!(ev.workloads.len(), 1);
    assert_eq!(ev.workloads[0].kind, WorkloadKind::Deployment);
    assert_eq!(ev.pods.len(), 2);
    assert_eq!(ev.count_of("Service"), 1);
    assert_eq!(ev.objects.len(), 1, "Services are kept generically");
    assert_eq!(ev.logs.len(), 2);
    assert!(
        ev.diagnostics.is_empty(),
        "nothing is skipped: {:?}",
        ev.diagnostics
    );

    // Items cite their own line in the whole stream.
    let p = ev.pod(Some("kube-system"), "kube-proxy-abcde").unwrap();
    // The pod's name is the last mention (the kube-system event names it first).
    let name_line = text
        .lines()
        .enumerate()
        .filter(|(_, l)| l.contains("\"name\": \"kube-proxy-abcde\","))
        .map(|(i, _)| i as u32 + 1)
        .last()
        .unwrap();
    let item_start = text
        .lines()
        .take(name_line as usize)
        .enumerate()
        .filter(|(_, l)| *l == "        {")
        .map(|(i, _)| i as u32 + 1)
        .last();
    assert_eq!(p.sources[0].line, item_start);

    // Log lines are numbered in the whole stream.
    let proxy = log_of(&ev, "kube-proxy");
    assert_eq!(
        proxy.pod.as_ref().unwrap().namespace.as_deref(),
        Some("kube-system")
    );
    assert_eq!(
        record_line(proxy, "Failed to sync iptables rules"),
        Some(line_of(&text, "Failed to sync iptables rules"))
    );
    assert_eq!(
        proxy
            .records
            .iter()
            .find(|r| r.severity == Severity::Error)
            .map(|r| r.line),
        Some(line_of(&text, "E0327 18:30:02"))
    );
    // klog headers have no year: it comes from the dump's other times.
    assert_eq!(
        proxy.records[0].time,
        Some("2024-03-27T18:30:01.000001Z".parse().unwrap())
    );
    let ctrl = log_of(&ev, "controller");
    assert_eq!(
        record_line(ctrl, "Failed to start informers"),
        Some(line_of(&text, "Failed to start informers"))
    );
    // Events of each namespace are attributed to their pod.
    let pod_ref = ev.pod(Some("knative-serving"), POD).unwrap().object_ref();
    assert_eq!(ev.events_for(&pod_ref).count(), 1);
}

#[test]
fn a_broken_list_in_the_stream_does_not_stop_the_rest() {
    let full = dump_stdout();
    // Cut the first namespace's PodList short, right before its log block.
    let start = full
        .find("==== START logs for container controller")
        .unwrap();
    let pods_at = full[..start].rfind("{\n    \"kind\": \"PodList\"").unwrap();
    let cut = pods_at + (start - pods_at) / 2;
    let cut = full[..cut].rfind('\n').unwrap() + 1;
    let text = format!("{}{}", &full[..cut], &full[start..]);
    let (ev, r) = stream(&text);
    let Err(InputError::Json { line, .. }) = r else {
        panic!("expected a JSON error, got {r:?}");
    };
    assert_eq!(
        line,
        line_of(&text, "==== START logs for container controller"),
        "the list ends, unfinished, where the log block starts"
    );
    assert!(ev.pod(Some("knative-serving"), POD).is_none());
    assert!(ev.pod(Some("kube-system"), "kube-proxy-abcde").is_some());
    assert_eq!(ev.logs.len(), 2, "both log blocks are read");
    assert_eq!(ev.events.len(), 2);
    assert!(
        ev.diagnostics.is_empty(),
        "the one error is returned, the rest is clean: {:?}",
        ev.diagnostics
    );
}

#[test]
fn stdout_dump_in_yaml_is_read_too() {
    let text = "apiVersion: v1\nitems:\n- metadata:\n    name: worker-1\n  status:\n    nodeInfo:\n      kubeletVersion: v1.30.1\nkind: NodeList\nmetadata:\n  resourceVersion: \"1\"\n\
                ---\napiVersion: v1\nitems:\n- metadata:\n    name: p\n    namespace: ns\n  spec:\n    containers:\n    - name: c\nkind: PodList\nmetadata:\n  resourceVersion: \"1\"\n\
                ==== START logs for container c of pod ns/p ====\nhello\n==== END logs for container c of pod ns/p ====\n";
    let (ev, r) = stream(text);
    r.unwrap();
    assert_eq!(ev.nodes.len(), 1);
    assert_eq!(ev.pods.len(), 1);
    assert_eq!(ev.pods[0].sources[0].line, Some(14));
    assert_eq!(ev.logs.len(), 1);
    assert_eq!(record_line(&ev.logs[0], "hello"), Some(24));
}

#[test]
fn stray_text_is_reported_once() {
    let text = format!("{}some text\nmore text\n", list("NodeList", "v1", vec![]));
    let (ev, r) = stream(&text);
    assert!(r.is_err(), "text where JSON continues is a JSON error");
    let (ev2, r2) = logs("hello\nworld\n");
    r2.unwrap();
    assert!(ev2.logs.is_empty());
    assert_eq!(ev2.diagnostics.len(), 1);
    assert!(ev2.diagnostics[0].message.contains("skipped 2 line(s)"));
    assert_eq!(ev2.diagnostics[0].source.line, Some(1));
    assert!(ev.nodes.is_empty());
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("unloop-dump-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn dump_directories_are_recognised() {
    let d = temp_dir("dir");
    assert!(!is_dump_dir(&d));
    std::fs::write(d.join("nodes.json"), list("NodeList", "v1", vec![])).unwrap();
    assert!(!is_dump_dir(&d), "nodes.json alone is not a dump");
    std::fs::create_dir_all(d.join("kube-system/coredns-5d78c9869d-abcde")).unwrap();
    assert!(!is_dump_dir(&d));
    std::fs::write(
        d.join("kube-system/pods.json"),
        list("PodList", "v1", vec![]),
    )
    .unwrap();
    assert!(is_dump_dir(&d));
    std::fs::remove_dir_all(&d).unwrap();

    let y = temp_dir("yaml");
    std::fs::write(
        y.join("nodes.yaml"),
        "apiVersion: v1\nkind: NodeList\nitems: []\n",
    )
    .unwrap();
    std::fs::create_dir_all(y.join("default")).unwrap();
    std::fs::write(y.join("default/events.yaml"), "---\nkind: EventList\n").unwrap();
    assert!(is_dump_dir(&y));
    std::fs::remove_dir_all(&y).unwrap();
}

#[test]
fn previous_logs_files_hold_previous_runs() {
    let dir = temp_dir("previous-blocks");
    let pdir = dir.join("knative-serving").join(POD);
    std::fs::create_dir_all(&pdir).unwrap();
    let block = |run: &str| {
        format!(
            "==== START logs for container controller of pod knative-serving/{POD} ====\n\
             {{\"severity\":\"INFO\",\"timestamp\":\"2024-04-12T10:00:00Z\",\"message\":\"{run} run\"}}\n\
             ==== END logs for container controller of pod knative-serving/{POD} ====\n"
        )
    };
    std::fs::write(pdir.join("logs.txt"), block("current")).unwrap();
    std::fs::write(pdir.join("previous-logs.txt"), block("previous")).unwrap();
    let ev = crate::evidence::read_paths(std::slice::from_ref(&dir), &Default::default());
    std::fs::remove_dir_all(&dir).ok();
    let run_of = |needle: &str| {
        ev.logs
            .iter()
            .find(|l| l.records.iter().any(|r| r.message.contains(needle)))
            .map(|l| (l.run, l.container.clone()))
    };
    assert_eq!(
        run_of("current run"),
        Some((ContainerRun::Current, Some("controller".into())))
    );
    assert_eq!(
        run_of("previous run"),
        Some((ContainerRun::Previous, Some("controller".into())))
    );
}
