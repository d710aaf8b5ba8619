//! Stream-level tests: realistic samples of each format and version, the
//! shared cases' pasted logs, retention, and arbitrary input.

use jiff::Timestamp;
use proptest::prelude::*;

use super::*;

fn ts(s: &str) -> Timestamp {
    s.parse().unwrap()
}

fn read(text: &str) -> LogStream {
    read_with(text, LogHint::default())
}

fn read_with(text: &str, hint: LogHint) -> LogStream {
    parse_log_text(text, Source::new("test.log"), hint)
}

fn year_hint(y: i16) -> LogHint {
    LogHint {
        default_year: Some(y),
        ..LogHint::default()
    }
}

fn messages(s: &LogStream) -> Vec<&str> {
    s.records.iter().map(|r| r.message.as_str()).collect()
}

// ---------------------------------------------------------------- klog

const LEADER_PRINTF: &str = r#"I0327 18:30:29.624270       1 leaderelection.go:250] attempting to acquire leader lease kube-system/cert-manager-controller...
I0327 18:30:29.701112       1 leaderelection.go:260] successfully acquired lease kube-system/cert-manager-controller
E0327 18:31:10.000000       1 leaderelection.go:369] Failed to update lock: Put "https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/cert-manager-controller": context deadline exceeded
I0327 18:31:10.000100       1 leaderelection.go:285] failed to renew lease kube-system/cert-manager-controller: timed out waiting for the condition
E0327 18:31:10.000200       1 leaderelection.go:308] Failed to release lock: resource name may not be empty
F0327 18:31:10.000300       1 controllermanager.go:294] leaderelection lost"#;

#[test]
fn klog_printf_leader_election_client_go_1_34() {
    let s = read_with(LEADER_PRINTF, year_hint(2024));
    assert_eq!(s.format, LogFormat::KlogText);
    assert_eq!(s.total_records, 6);
    let r = &s.records[0];
    assert_eq!(
        r.message,
        "attempting to acquire leader lease kube-system/cert-manager-controller..."
    );
    assert_eq!(r.caller.as_deref(), Some("leaderelection.go:250"));
    assert_eq!(r.time, Some(ts("2024-03-27T18:30:29.62427Z")));
    assert!(r.year_inferred);
    assert_eq!(r.line, 1);
    let sev: Vec<Severity> = s.records.iter().map(|r| r.severity).collect();
    use Severity::*;
    assert_eq!(sev, [Info, Info, Error, Info, Error, Fatal]);
    assert!(
        s.records[3]
            .message
            .ends_with("timed out waiting for the condition")
    );
    assert_eq!(s.first_time, Some(ts("2024-03-27T18:30:29.62427Z")));
    assert_eq!(s.last_time, Some(ts("2024-03-27T18:31:10.0003Z")));
}

const LEADER_STRUCTURED: &str = r#"I0327 18:30:29.624270       1 leaderelection.go:257] "Attempting to acquire leader lease..." lock="kube-system/kube-controller-manager"
I0327 18:30:29.701112       1 leaderelection.go:271] "Successfully acquired lease" lock="kube-system/kube-controller-manager"
E0327 18:31:10.000000       1 leaderelection.go:429] "Failed to update lease" err="Put \"https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s\": context deadline exceeded"
I0327 18:31:10.000100       1 leaderelection.go:297] "Failed to renew lease" lock="kube-system/kube-controller-manager" err="context deadline exceeded"
E0327 18:31:10.000200       1 controllermanager.go:340] "leaderelection lost""#;

#[test]
fn klog_structured_leader_election_client_go_1_35() {
    let s = read_with(LEADER_STRUCTURED, year_hint(2026));
    assert_eq!(s.format, LogFormat::KlogStructured);
    assert_eq!(
        messages(&s),
        [
            "Attempting to acquire leader lease...",
            "Successfully acquired lease",
            "Failed to update lease",
            "Failed to renew lease",
            "leaderelection lost",
        ]
    );
    assert_eq!(
        s.records[0].field("lock"),
        Some("kube-system/kube-controller-manager")
    );
    assert_eq!(
        s.records[2].field("err"),
        Some(
            "Put \"https://10.96.0.1:443/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/kube-controller-manager?timeout=5s\": context deadline exceeded"
        )
    );
    assert_eq!(s.records[3].field("err"), Some("context deadline exceeded"));
    assert_eq!(s.records[4].severity, Severity::Error);
    assert_eq!(s.records[4].time, Some(ts("2026-03-27T18:31:10.0002Z")));
}

#[test]
fn throttling_in_its_three_forms() {
    let text = r#"I0824 13:44:00.053464       1 request.go:621] Throttling request took 1.193s, request: GET:https://10.84.0.1:443/apis/rbac.authorization.k8s.io/v1beta1?timeout=32s
I0824 13:44:00.053464       1 request.go:697] Waited for 1.193s due to client-side throttling, not priority and fairness, request: GET:https://10.96.0.1:443/apis/apps/v1/namespaces/x/deployments
I0824 13:44:00.053464       1 request.go:752] "Waited before sending request" delay="1.193s" reason="client-side throttling, not priority and fairness" verb="GET" URL="https://10.96.0.1:443/apis/apps/v1/namespaces/x/deployments?limit=500""#;
    let s = read_with(text, year_hint(2021));
    assert_eq!(s.total_records, 3);
    assert!(
        s.records[0]
            .message
            .starts_with("Throttling request took 1.193s, request: GET:https://")
    );
    assert_eq!(s.records[0].format, LogFormat::KlogText);
    assert!(
        s.records[1]
            .message
            .starts_with("Waited for 1.193s due to client-side throttling")
    );
    let r = &s.records[2];
    assert_eq!(r.format, LogFormat::KlogStructured);
    assert_eq!(r.message, "Waited before sending request");
    assert_eq!(r.field("delay"), Some("1.193s"));
    assert_eq!(
        r.field("reason"),
        Some("client-side throttling, not priority and fairness")
    );
    assert_eq!(r.field("verb"), Some("GET"));
    assert_eq!(
        r.field("URL"),
        Some("https://10.96.0.1:443/apis/apps/v1/namespaces/x/deployments?limit=500")
    );
    assert_eq!(r.caller.as_deref(), Some("request.go:752"));
    for r in &s.records {
        assert!(retain::is_notable(r), "{}", r.message);
    }
}

#[test]
fn deltafifo_and_reflector_traces_keep_their_continuations() {
    let text = r#"I0412 09:14:07.381522       1 trace.go:236] Trace[1203554871]: "DeltaFIFO Pop Process" ID:shop/checkout-7f3kq-ingress,Depth:81,Reason:slow event handlers blocking the queue (12-Apr-2024 09:14:07.270) (total time: 110ms):
Trace[1203554871]: [110.804843ms] [110.804843ms] END
I0807 07:34:46.853321       1 trace.go:219] Trace[1924150888]: "Reflector ListAndWatch" name:k8s.io/client-go/informers/factory.go:150 (07-Aug-2024 07:34:16.840) (total time: 30012ms):
Trace[1924150888]: ---"Objects listed" error:Get "https://10.2.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.2.0.1:443: i/o timeout 30012ms (07:34:46.853)
Trace[1924150888]: [30.012403392s] [30.012403392s] END
W0807 07:34:46.853350       1 reflector.go:535] k8s.io/client-go/informers/factory.go:150: failed to list *v1.Namespace: Get "https://10.2.0.1:443/api/v1/namespaces?limit=500&resourceVersion=0": dial tcp 10.2.0.1:443: i/o timeout"#;
    let s = read_with(text, year_hint(2024));
    assert_eq!(s.total_records, 3);
    let fifo = &s.records[0];
    assert!(
        fifo.message
            .contains("\"DeltaFIFO Pop Process\" ID:shop/checkout-7f3kq-ingress,Depth:81")
    );
    assert_eq!(fifo.caller.as_deref(), Some("trace.go:236"));
    assert_eq!(
        fifo.continuation,
        ["Trace[1203554871]: [110.804843ms] [110.804843ms] END"]
    );
    let refl = &s.records[1];
    assert_eq!(refl.line, 3);
    assert_eq!(refl.continuation.len(), 2);
    assert!(refl.continuation[0].starts_with("Trace[1924150888]: ---\"Objects listed\" error:Get"));
    assert_eq!(s.records[2].severity, Severity::Warning);
    assert_eq!(s.records[2].line, 6);
    // April, then August, of the hinted year.
    assert_eq!(fifo.time, Some(ts("2024-04-12T09:14:07.381522Z")));
    assert_eq!(refl.time, Some(ts("2024-08-07T07:34:46.853321Z")));
}

#[test]
fn klog_multi_line_structured_value() {
    let text = "I0101 10:00:00.000000       1 controller.go:12] \"Object changed\" diff=<\n\t-  replicas: 1\n\t+  replicas: 3\n > key=\"ns/app\"\nI0101 10:00:01.000000       1 controller.go:13] next";
    let s = read_with(text, year_hint(2025));
    assert_eq!(s.total_records, 2);
    let r = &s.records[0];
    assert_eq!(r.field("diff"), Some("-  replicas: 1\n+  replicas: 3"));
    assert_eq!(r.field("key"), Some("ns/app"));
    assert!(r.continuation.is_empty());
    assert_eq!(s.records[1].line, 5);
}

#[test]
fn klog_year_follows_earlier_times_and_new_year() {
    // An absolute time earlier in the stream sets the year, over the hint.
    let text = "{\"level\":\"info\",\"ts\":\"2019-12-31T23:59:58Z\",\"msg\":\"starting\"}\nI1231 23:59:59.000000 1 x.go:1] last of the year\nI0101 00:00:01.000000 1 x.go:1] first of the next";
    let s = read_with(text, year_hint(2024));
    assert!(!s.records[0].year_inferred);
    assert_eq!(s.records[1].time, Some(ts("2019-12-31T23:59:59Z")));
    assert_eq!(s.records[2].time, Some(ts("2020-01-01T00:00:01Z")));
    assert!(s.records[2].year_inferred);
    // Without any hint: the current year, never in the future.
    let s = read("I0101 00:00:01.000000 1 x.go:1] hello");
    let t = s.records[0].time.unwrap();
    assert!(
        t <= Timestamp::now()
            .checked_add(jiff::SignedDuration::from_hours(24))
            .unwrap()
    );
}

#[test]
fn klogr_lines_with_and_without_header() {
    let text = r#"E0830 19:37:53.844720       1 start.go:139] cert-manager/ca-injector "msg"="manager goroutine exited" "error"="error running manager: leader election lost"
etup "msg"="unable to start server" "error"="reading \"kubernetes-ca\" certificate: open /etc/kubernetes/kops-controller/pki/kubernetes-ca.crt: no such file or directory""#;
    let s = read_with(text, year_hint(2020));
    assert_eq!(s.format, LogFormat::KlogStructured);
    let a = &s.records[0];
    assert_eq!(a.logger.as_deref(), Some("cert-manager/ca-injector"));
    assert_eq!(a.message, "manager goroutine exited");
    assert_eq!(
        a.field("error"),
        Some("error running manager: leader election lost")
    );
    let b = &s.records[1];
    assert_eq!(b.message, "unable to start server");
    assert_eq!(b.severity, Severity::Error);
    assert!(b.time.is_none());
    assert!(
        b.field("error")
            .unwrap()
            .starts_with("reading \"kubernetes-ca\" certificate")
    );
}

// ---------------------------------------------------------------- JSON, console, std log, logfmt

const KNATIVE: &str = r#"2024/03/27 18:30:28 Registering 3 clients
2024/03/27 18:30:28 Registering 5 informer factories
2024/03/27 18:30:28 Registering 8 informers
2024/03/27 18:30:28 Registering 2 controllers
{"level":"info","ts":1711564229.137126,"logger":"fallback","caller":"injection/injection.go:63","msg":"Starting informers..."}
{"severity":"INFO","timestamp":"2024-03-27T18:30:29.224431Z","logger":"net-istio-controller","caller":"leaderelection/context.go:47","message":"Running with Standard leader election","commit":"a1b2c3d-dirty"}
{"severity":"info","timestamp":"2024-03-27T18:30:29.3Z","logger":"net-istio-controller","caller":"sharedmain/main.go:283","message":"Starting configuration manager...","commit":"a1b2c3d-dirty"}
{"severity":"ERROR","timestamp":"2024-03-27T18:31:40.1Z","logger":"net-istio-controller.istio-ingress-controller","caller":"controller/controller.go:566","message":"Reconcile error","commit":"a1b2c3d-dirty","knative.dev/controller":"knative.dev.net-istio.pkg.reconciler.ingress.Reconciler","knative.dev/kind":"networking.internal.knative.dev.Ingress","knative.dev/traceid":"6f1c","knative.dev/key":"shop/checkout","duration":"1.2s","error":"failed to update ingress: Operation cannot be fulfilled","stacktrace":"knative.dev/pkg/controller.(*Impl).handleErr\n\tknative.dev/pkg@v0.0.0/controller/controller.go:566"}
{"severity":"warning","timestamp":"2024-03-27T18:31:41Z","logger":"net-istio-controller","caller":"x/y.go:1","message":"lower-case warning"}
{"severity":"CRITICAL","timestamp":"2024-03-27T18:31:42Z","logger":"net-istio-controller","message":"critical"}
{"severity":"emergency","timestamp":"2024-03-27T18:31:43Z","logger":"net-istio-controller","message":"emergency"}
I0412 09:14:07.381522       1 trace.go:236] Trace[1203554871]: "DeltaFIFO Pop Process" ID:shop/checkout-7f3kq-ingress,Depth:81,Reason:slow event handlers blocking the queue (12-Apr-2024 09:14:07.270) (total time: 110ms):
Trace[1203554871]: [110.804843ms] [110.804843ms] END"#;

#[test]
fn knative_startup_json_and_interleaved_klog() {
    let s = read(KNATIVE);
    assert_eq!(s.format, LogFormat::Json);
    assert_eq!(s.total_records, 12);
    assert_eq!(s.records[0].format, LogFormat::GoStd);
    assert_eq!(s.records[0].time, Some(ts("2024-03-27T18:30:28Z")));
    let fallback = &s.records[4];
    assert_eq!(fallback.logger.as_deref(), Some("fallback"));
    assert_eq!(fallback.message, "Starting informers...");
    assert_eq!(fallback.severity, Severity::Info);
    assert_eq!(fallback.time, Some(ts("2024-03-27T18:30:29.137126Z")));
    let sev: Vec<Severity> = s.records[5..11].iter().map(|r| r.severity).collect();
    use Severity::*;
    assert_eq!(sev, [Info, Info, Error, Warning, Fatal, Fatal]);
    let err = &s.records[7];
    assert_eq!(err.message, "Reconcile error");
    assert_eq!(err.field("knative.dev/key"), Some("shop/checkout"));
    assert_eq!(
        err.field("error"),
        Some("failed to update ingress: Operation cannot be fulfilled")
    );
    assert_eq!(err.caller.as_deref(), Some("controller/controller.go:566"));
    assert_eq!(err.continuation.len(), 2);
    // The klog trace takes its year from the JSON times before it.
    let trace = &s.records[11];
    assert_eq!(trace.time, Some(ts("2024-04-12T09:14:07.381522Z")));
    assert!(trace.year_inferred);
    assert_eq!(trace.continuation.len(), 1);
    assert_eq!(s.first_time, Some(ts("2024-03-27T18:30:28Z")));
    assert_eq!(s.last_time, trace.time);
}

#[test]
fn console_lines_with_colour_and_stacktrace() {
    let text = "2021-08-24T13:44:01.158Z\t\x1b[34mINFO\x1b[0m\tcontroller-runtime.metrics\tmetrics server is starting to listen\t{\"addr\": \"127.0.0.1:8080\"}\n2021-08-24T13:44:31.200Z\t\x1b[31mERROR\x1b[0m\tsetup\tproblem running manager\t{\"error\": \"leader election lost\"}\nmain.main\n\t/workspace/main.go:123\nruntime.main\n\t/usr/local/go/src/runtime/proc.go:250\nStarting over";
    let s = read(text);
    assert_eq!(s.format, LogFormat::Console);
    assert_eq!(s.total_records, 3);
    assert_eq!(s.records[0].severity, Severity::Info);
    assert_eq!(s.records[0].field("addr"), Some("127.0.0.1:8080"));
    let e = &s.records[1];
    assert_eq!(e.severity, Severity::Error);
    assert_eq!(e.field("error"), Some("leader election lost"));
    assert_eq!(e.continuation.len(), 4);
    assert_eq!(s.records[2].message, "Starting over");
    assert_eq!(s.records[2].format, LogFormat::Plain);
}

#[test]
fn logfmt_logrus_text() {
    let text = r#"time="2024-03-27T18:30:28Z" level=info msg="Starting external-dns" version=v0.14.0
time="2024-03-27T18:30:29Z" level=fatal msg="failed to sync *v1.Service: context deadline exceeded""#;
    let s = read(text);
    assert_eq!(s.format, LogFormat::Logfmt);
    assert_eq!(s.records[0].field("version"), Some("v0.14.0"));
    assert_eq!(s.records[1].severity, Severity::Fatal);
    assert_eq!(
        s.records[1].message,
        "failed to sync *v1.Service: context deadline exceeded"
    );
}

#[test]
fn kubectl_timestamps_prefix_wins_and_is_stripped() {
    let text = "2024-04-12T09:14:07.381600000Z I0412 09:14:07.381522       1 trace.go:236] Trace[1]: \"DeltaFIFO Pop Process\" (total time: 110ms):\n2024-04-12T09:14:07.381700000Z Trace[1]: [110.804843ms] [110.804843ms] END\n2024-04-12T09:15:00.000000000Z {\"level\":\"info\",\"ts\":1.0,\"msg\":\"json with a bad ts\"}\n2024-04-12T09:16:00.000000000Z panic: boom\n2024-04-12T09:16:00.000000000Z \n2024-04-12T09:16:00.000000000Z goroutine 1 [running]:\n2024-04-12T09:16:00.000000000Z main.main()\n2024-04-12T09:16:00.000000000Z \t/app/main.go:9 +0x1d";
    let s = read_with(text, year_hint(1999));
    assert_eq!(s.total_records, 3);
    let t = &s.records[0];
    assert_eq!(t.time, Some(ts("2024-04-12T09:14:07.3816Z")));
    assert!(!t.year_inferred);
    assert_eq!(t.format, LogFormat::KlogText);
    assert_eq!(
        t.continuation,
        ["Trace[1]: [110.804843ms] [110.804843ms] END"]
    );
    assert_eq!(s.records[1].time, Some(ts("2024-04-12T09:15:00Z")));
    let p = &s.records[2];
    assert_eq!(p.message, "panic: boom");
    assert_eq!(
        p.continuation,
        [
            "",
            "goroutine 1 [running]:",
            "main.main()",
            "\t/app/main.go:9 +0x1d"
        ]
    );
    assert_eq!(p.caller.as_deref(), Some("/app/main.go:9"));
}

// ---------------------------------------------------------------- multi-line blocks

#[test]
fn go_panic_with_signal_is_one_record() {
    let text = include_str!("testdata/case-24.txt");
    let s = read(text);
    assert_eq!(s.total_records, 1);
    let r = &s.records[0];
    assert_eq!(r.severity, Severity::Fatal);
    assert_eq!(
        r.message,
        "panic: runtime error: invalid memory address or nil pointer dereference"
    );
    assert_eq!(r.field("signal"), Some("SIGSEGV"));
    assert_eq!(
        r.caller.as_deref(),
        Some("sigs.k8s.io/external-dns/provider/awssd/aws_sd.go:170")
    );
    assert_eq!(
        r.field("frame"),
        Some("sigs.k8s.io/external-dns/provider/awssd.(*AWSSDProvider).instancesToEndpoint")
    );
    assert_eq!(r.continuation.len(), 15);
    assert_eq!(
        r.continuation.last().unwrap(),
        "\tsigs.k8s.io/external-dns/main.go:434 +0x396f"
    );
}

#[test]
fn go_fatal_error_and_later_lines() {
    let text = "fatal error: concurrent map writes\n\ngoroutine 42 [running]:\nruntime.throw({0x1c3f0e1?, 0x0?})\n\t/usr/local/go/src/runtime/panic.go:1077 +0x5c fp=0xc0 sp=0xc0 pc=0x43\nruntime.mapassign_faststr(0x0?, 0x0?, {0x0, 0x4})\n\t/usr/local/go/src/runtime/map_faststr.go:203 +0x3cd\nexample.com/op/pkg/cache.(*Store).Put(...)\n\t/src/pkg/cache/store.go:55\ncreated by example.com/op/pkg/cache.Start in goroutine 1\n\t/src/pkg/cache/start.go:20 +0x66\n\ngoroutine 1 [chan receive]:\nmain.main()\n\t/src/main.go:30 +0x1\n\nStarting again";
    let s = read(text);
    assert_eq!(s.total_records, 2);
    let r = &s.records[0];
    assert_eq!(r.severity, Severity::Fatal);
    assert_eq!(r.caller.as_deref(), Some("/src/pkg/cache/store.go:55"));
    assert_eq!(
        r.field("frame"),
        Some("example.com/op/pkg/cache.(*Store).Put")
    );
    assert_eq!(r.continuation.last().unwrap(), "\t/src/main.go:30 +0x1");
    assert_eq!(s.records[1].message, "Starting again");
    assert_eq!(s.records[1].line, 17);
}

#[test]
fn klog_fatal_and_handle_crash_dumps_attach() {
    let text = "E0101 00:00:00.000000       1 runtime.go:79] Observed a panic: \"invalid memory address or nil pointer dereference\" (runtime error: invalid memory address or nil pointer dereference)\ngoroutine 153 [running]:\nk8s.io/apimachinery/pkg/util/runtime.logPanic({0x1b5c0e0?, 0x2c8c6a0})\n\t/go/k8s.io/apimachinery/pkg/util/runtime/runtime.go:75 +0x99\npanic({0x1b5c0e0, 0x2c8c6a0})\n\t/usr/local/go/src/runtime/panic.go:884 +0x213\nexample.com/ctrl.(*R).sync(0x0)\n\t/src/ctrl/r.go:88 +0x2b\nI0101 00:00:01.000000       1 main.go:1] next";
    let s = read_with(text, year_hint(2024));
    assert_eq!(s.total_records, 2);
    let r = &s.records[0];
    assert_eq!(r.caller.as_deref(), Some("runtime.go:79"));
    assert_eq!(r.field("frame"), Some("example.com/ctrl.(*R).sync"));
    assert_eq!(r.continuation.len(), 7);
}

const PYTHON: &str = r#"2024-03-27 18:30:28,123 INFO operator starting
Traceback (most recent call last):
  File "/app/operator.py", line 42, in <module>
    main()
  File "/app/operator.py", line 37, in main
    config = load_config(os.environ["CONFIG_PATH"])
  File "/usr/local/lib/python3.11/os.py", line 679, in __getitem__
    raise KeyError(key) from None
KeyError: 'CONFIG_PATH'
ERROR:root:exiting"#;

#[test]
fn python_traceback_is_one_record_named_by_its_exception() {
    let s = read(PYTHON);
    assert_eq!(s.total_records, 3);
    assert_eq!(s.records[0].severity, Severity::Info);
    let r = &s.records[1];
    assert_eq!(r.line, 2);
    assert_eq!(r.message, "KeyError: 'CONFIG_PATH'");
    assert_eq!(r.field("exception"), Some("KeyError"));
    assert_eq!(r.severity, Severity::Error);
    assert_eq!(
        r.caller.as_deref(),
        Some("/usr/local/lib/python3.11/os.py:679")
    );
    assert_eq!(r.continuation.len(), 7);
    assert_eq!(s.records[2].logger.as_deref(), Some("root"));
}

#[test]
fn chained_python_tracebacks_stay_together() {
    let text = "Traceback (most recent call last):\n  File \"/app/main.py\", line 10, in connect\n    sock.connect((host, port))\nConnectionRefusedError: [Errno 111] Connection refused\n\nDuring handling of the above exception, another exception occurred:\n\nTraceback (most recent call last):\n  File \"/app/main.py\", line 20, in <module>\n    connect()\nRuntimeError: cannot reach API server\n\nnext line";
    let s = read(text);
    assert_eq!(s.total_records, 2);
    let r = &s.records[0];
    assert_eq!(r.message, "RuntimeError: cannot reach API server");
    assert_eq!(r.field("exception"), Some("RuntimeError"));
    assert_eq!(r.caller.as_deref(), Some("/app/main.py:20"));
    assert_eq!(
        r.continuation.last().unwrap(),
        "RuntimeError: cannot reach API server"
    );
    assert_eq!(s.records[1].message, "next line");
}

const JAVA: &str = "Exception in thread \"main\" java.lang.IllegalStateException: Failed to create Kubernetes client
\tat io.example.operator.Main.createClient(Main.java:87)
\tat io.example.operator.Main.main(Main.java:31)
Caused by: io.fabric8.kubernetes.client.KubernetesClientException: An error has occurred.
\tat io.fabric8.kubernetes.client.KubernetesClientException.launderThrowable(KubernetesClientException.java:129)
\t... 1 more
Caused by: java.net.UnknownHostException: kubernetes.default.svc: Name or service not known
\tat java.base/java.net.Inet6AddressImpl.lookupAllHostAddr(Native Method)
\t... 12 more
2024-03-27 18:30:28.123  INFO 1 --- [main] o.s.b.SpringApplication : restarting";

#[test]
fn java_stack_trace_is_one_record() {
    let s = read(JAVA);
    assert_eq!(s.total_records, 2);
    let r = &s.records[0];
    assert_eq!(r.severity, Severity::Fatal);
    assert!(
        r.message
            .starts_with("Exception in thread \"main\" java.lang.IllegalStateException")
    );
    assert_eq!(
        r.field("exception"),
        Some("java.lang.IllegalStateException")
    );
    assert_eq!(
        r.field("caused_by"),
        Some("java.net.UnknownHostException: kubernetes.default.svc: Name or service not known")
    );
    assert_eq!(r.caller.as_deref(), Some("Main.java:87"));
    assert_eq!(r.continuation.len(), 8);
    let next = &s.records[1];
    assert_eq!(next.severity, Severity::Info);
    assert_eq!(next.time, Some(ts("2024-03-27T18:30:28.123Z")));
}

#[test]
fn usage_blocks_are_not_merged() {
    let s = read(include_str!("testdata/case-46.txt"));
    assert_eq!(s.total_records, 20);
    assert_eq!(
        s.records[0].message,
        "flag provided but not defined: -zap-level"
    );
    assert!(s.records.iter().all(|r| r.continuation.is_empty()));
    assert_eq!(s.format, LogFormat::Plain);
}

// ---------------------------------------------------------------- the shared cases

#[test]
fn case_20_cobra_error_usage_then_panic() {
    let s = read(include_str!("testdata/case-20.txt"));
    let m = messages(&s);
    assert_eq!(
        m[0],
        "Error: error creating self-signed certificates: mkdir apiserver.local.config: read-only file system"
    );
    assert_eq!(s.records[0].severity, Severity::Error);
    assert_eq!(m[1], "Usage:");
    let panic = s.records.last().unwrap();
    assert_eq!(panic.severity, Severity::Fatal);
    assert!(
        panic
            .message
            .starts_with("panic: error creating self-signed certificates")
    );
    assert_eq!(panic.line, 7);
    assert_eq!(panic.continuation.len(), 3);
    assert_eq!(panic.field("frame"), Some("main.main"));
    assert_eq!(s.total_records, 6);
}

#[test]
fn case_21_zap_json_errors() {
    let s = read(include_str!("testdata/case-21.txt"));
    assert_eq!(s.format, LogFormat::Json);
    assert_eq!(s.total_records, 2);
    assert!(s.records.iter().all(|r| r.severity == Severity::Error));
    assert_eq!(s.records[1].logger.as_deref(), Some("setup"));
    assert_eq!(s.records[1].message, "unable to start manager");
    assert!(
        s.records[1]
            .field("error")
            .unwrap()
            .contains("address already in use")
    );
}

#[test]
fn case_25_wrapped_and_truncated_json() {
    let s = read(include_str!("testdata/case-25.txt"));
    assert_eq!(s.format, LogFormat::Json);
    assert_eq!(s.total_records, 2);
    let a = &s.records[0];
    assert_eq!(
        a.message,
        "if kind is a CRD, it should be installed before calling Start"
    );
    assert_eq!(a.field("kind"), Some("OpAMPBridge.opentelemetry.io"));
    // The line was wrapped inside `kind.go`: the join restores it.
    assert!(
        a.continuation
            .iter()
            .any(|l| l.ends_with("source/kind.go:56"))
    );
    let b = &s.records[1];
    assert_eq!(b.line, 3);
    assert_eq!(b.severity, Severity::Error);
    assert_eq!(b.message, "Could not wait for Cache to sync");
    assert_eq!(b.field("controller"), Some("opampbridge"));
    assert!(b.field("error").unwrap().ends_with('…'));
}

#[test]
fn case_29_cert_manager_klog_and_klogr() {
    let s = read_with(include_str!("testdata/case-29.txt"), year_hint(2020));
    assert_eq!(s.total_records, 7);
    use Severity::*;
    let sev: Vec<Severity> = s.records.iter().map(|r| r.severity).collect();
    assert_eq!(sev, [Info, Info, Error, Info, Info, Error, Error]);
    assert_eq!(s.format, LogFormat::KlogText);
    let last = &s.records[6];
    assert_eq!(last.format, LogFormat::KlogStructured);
    assert_eq!(last.message, "manager goroutine exited");
    assert_eq!(
        last.field("error"),
        Some("error running manager: leader election lost")
    );
    assert_eq!(last.time, Some(ts("2020-08-30T19:37:53.84472Z")));
}

#[test]
fn case_36_truncated_klogr_line() {
    let s = read(include_str!("testdata/case-36.txt"));
    assert_eq!(s.total_records, 1);
    assert_eq!(s.records[0].message, "unable to start server");
    assert_eq!(s.records[0].severity, Severity::Error);
    assert_eq!(s.format, LogFormat::KlogStructured);
}

#[test]
fn case_38_rancher_plain_levels() {
    let s = read(include_str!("testdata/case-38.txt"));
    use Severity::*;
    let sev: Vec<Severity> = s.records.iter().map(|r| r.severity).collect();
    assert_eq!(sev, [Info, Info, Info, Info, Error]);
    assert!(
        s.records[4]
            .message
            .contains("CATTLE_CA_CHECKSUM is set but there is no CA certificate")
    );
}

#[test]
fn case_39_mixed_klog_and_console() {
    let s = read_with(include_str!("testdata/case-39.txt"), year_hint(2021));
    assert_eq!(s.total_records, 4);
    let f: Vec<LogFormat> = s.records.iter().map(|r| r.format).collect();
    use LogFormat::*;
    assert_eq!(f, [KlogText, Console, Console, KlogText]);
    assert!(
        s.records[0]
            .message
            .starts_with("Throttling request took 1.052318764s")
    );
    assert_eq!(s.records[1].field("addr"), Some("127.0.0.1:8080"));
    assert_eq!(s.records[3].time, Some(ts("2021-08-24T13:44:01.159231Z")));
    assert!(
        s.records[3]
            .message
            .contains("asm-system/8f5e826b.cloud.google.com")
    );
}

#[test]
fn every_shared_case_reads_without_panic() {
    // The checked-in copies above are authoritative; this also reads the live
    // folder when the machine has it, so new cases get the same smoke test.
    let Ok(dir) = std::fs::read_dir("/work/shared/cases") else {
        return;
    };
    for entry in dir.flatten() {
        for name in ["logs.txt", "previous-logs.txt"] {
            let path = entry.path().join(name);
            if let Ok(text) = std::fs::read_to_string(&path) {
                let s = parse_log_text(
                    &text,
                    Source::new(path.display().to_string()),
                    LogHint::default(),
                );
                assert!(s.total_records > 0, "{}", path.display());
                assert_eq!(s.records.len() as u64 + s.dropped, s.total_records);
            }
        }
    }
}

// ---------------------------------------------------------------- API details

#[test]
fn first_line_offset_and_citations() {
    let mut p = LogParser::new(Source::new("dump/ns/pod/logs.txt"), LogHint::default())
        .with_first_line(120);
    p.push_line("");
    p.push_line("Error: x\r");
    let s = p.finish();
    assert_eq!(s.records[0].line, 121);
    assert_eq!(s.records[0].message, "Error: x");
    assert_eq!(
        s.record_source(&s.records[0]).to_string(),
        "dump/ns/pod/logs.txt:121"
    );
}

#[test]
fn empty_and_blank_inputs() {
    let s = read("");
    assert_eq!(
        (s.total_records, s.format, s.run),
        (0, LogFormat::Plain, ContainerRun::Unknown)
    );
    let s = read("\n\n   \n\t\n");
    assert_eq!(s.total_records, 0);
    let s = read_with(
        "x",
        LogHint {
            container: Some("manager".into()),
            run: Some(ContainerRun::Previous),
            ..LogHint::default()
        },
    );
    assert_eq!(s.container.as_deref(), Some("manager"));
    assert_eq!(s.run, ContainerRun::Previous);
}

#[test]
fn huge_lines_are_bounded() {
    let big = format!("E0101 00:00:00.000000 1 x.go:1] {}", "é".repeat(1 << 20));
    let json = format!(
        "{{\"level\":\"info\",\"msg\":\"m\",\"blob\":\"{}\"}}",
        "a".repeat(1 << 20)
    );
    let s = read_with(&format!("{big}\n{json}"), year_hint(2024));
    assert_eq!(s.total_records, 2);
    assert!(s.records[0].message.len() <= record::MAX_MESSAGE + 3);
    assert!(s.records[1].field("blob").unwrap().len() <= record::MAX_FIELD + 3);
}

#[test]
fn truncated_json_then_other_lines_are_reread() {
    let text = "{\"level\":\"error\",\"msg\":\"cut here\",\"error\":\"dial tcp\npanic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:3 +0x1";
    let s = read(text);
    assert_eq!(s.total_records, 2);
    assert_eq!(s.records[0].message, "cut here");
    assert_eq!(s.records[0].field("error"), Some("dial tcp…"));
    assert_eq!(s.records[1].message, "panic: boom");
    assert_eq!(s.records[1].line, 2);
    assert_eq!(s.records[1].continuation.len(), 4);
    // A line that only looks like JSON stays text.
    let s = read("{Name:foo Namespace:bar}\nnext");
    assert_eq!(messages(&s), ["{Name:foo Namespace:bar}", "next"]);
}

#[test]
fn line_format_detects_log_lines_only() {
    use LogFormat::*;
    for (line, want) in [
        (
            "I0327 18:30:29.624270       1 trace.go:236] x",
            Some(KlogText),
        ),
        (
            r#"E0327 18:30:29.624270 1 x.go:1] "m" k=v"#,
            Some(KlogStructured),
        ),
        (r#"{"severity":"INFO","message":"m"}"#, Some(Json)),
        (r#"{"level":"error","msg":"cut"#, Some(Json)),
        (r#"{"apiVersion":"v1","kind":"Pod"}"#, None),
        (
            "2021-08-24T13:44:01.158Z\tINFO\tsetup\tstarting manager",
            Some(Console),
        ),
        ("2024/03/27 18:30:28 Registering 3 clients", Some(GoStd)),
        (
            "time=\"2024-03-27T18:30:28Z\" level=info msg=x",
            Some(Logfmt),
        ),
        (
            "2024-04-12T09:14:07.3816Z \x1b[0mI0412 09:14:07.381522 1 x.go:1] y",
            Some(KlogText),
        ),
        ("panic: boom", None),
        ("Usage:", None),
        ("", None),
    ] {
        assert_eq!(line_format(line), want, "{line}");
    }
}

// ---------------------------------------------------------------- retention

#[test]
fn retention_of_a_50k_line_log() {
    let mut p = LogParser::new(Source::new("big.log"), year_hint(2024));
    let mut notable_lines = Vec::new();
    for i in 1..=50_000u32 {
        let line = if i % 97 == 0 {
            notable_lines.push(i);
            format!(
                "W0101 00:00:00.000000       1 reflector.go:535] failed to list *v1.Secret: item {i}"
            )
        } else if i % 101 == 0 {
            notable_lines.push(i);
            format!(
                "I0101 00:00:00.000000       1 leaderelection.go:250] attempting to acquire leader lease ns/x... {i}"
            )
        } else {
            format!("I0101 00:00:00.000000       1 worker.go:10] reconciled item {i}")
        };
        p.push_line(&line);
    }
    let s = p.finish();
    assert_eq!(s.total_records, 50_000);
    let middle: Vec<u32> = notable_lines
        .iter()
        .copied()
        .filter(|&l| l > 1000 && l <= 49_000)
        .collect();
    assert_eq!(s.records.len(), 2000 + middle.len());
    assert_eq!(s.dropped, 50_000 - s.records.len() as u64);
    let lines: Vec<u32> = s.records.iter().map(|r| r.line).collect();
    assert!(lines.windows(2).all(|w| w[0] < w[1]));
    assert_eq!(lines[..1000], (1..=1000).collect::<Vec<_>>()[..]);
    assert_eq!(
        lines[lines.len() - 1000..],
        (49_001..=50_000).collect::<Vec<_>>()[..]
    );
    assert_eq!(lines[1000..lines.len() - 1000], middle[..]);
}

#[test]
fn notable_records_are_capped() {
    let mut p = LogParser::new(Source::new("warn.log"), LogHint::default());
    for i in 0..25_000 {
        p.push_line(&format!("WARNING: {i}"));
    }
    let s = p.finish();
    assert_eq!(
        s.records.len(),
        HEAD_RECORDS + NOTABLE_RECORDS + TAIL_RECORDS
    );
    assert_eq!(s.dropped, 25_000 - s.records.len() as u64);
    assert_eq!(s.records.last().unwrap().message, "WARNING: 24999");
}

// ---------------------------------------------------------------- arbitrary input

fn line_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[IWEF][0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{1,6} {0,7}[0-9]{0,3} ?[a-z.]{0,6}:?[0-9]{0,3}\\]? ?\"?.{0,20}(=<)?",
        "\\{\"(level|msg|ts|severity)\":.{0,30}\\}?",
        "(\t| |goroutine 1 \\[|Trace\\[1\\]: |panic: |Traceback \\(most recent call last\\):|  File \"|Caused by: |\t\\.\\.\\. 3 more| >|\tat )?.{0,30}",
        "20[0-9]{2}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?Z?[ \t].{0,20}",
        "[a-z]{1,5}=(\"[^\"]{0,10}\"?|[^ ]{0,10})( [a-z]{1,5}=.{0,10}){0,3}",
        "\\x1b\\[[0-9;]{0,5}.{0,10}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_lines_never_panic(lines in proptest::collection::vec(line_strategy(), 0..40)) {
        let mut p = LogParser::new(Source::new("fuzz"), LogHint::default());
        for l in &lines {
            let _ = line_format(l);
            p.push_line(l);
        }
        let s = p.finish();
        prop_assert!(s.total_records <= lines.len() as u64);
        prop_assert_eq!(s.records.len() as u64 + s.dropped, s.total_records);
        let nums: Vec<u32> = s.records.iter().map(|r| r.line).collect();
        prop_assert!(nums.windows(2).all(|w| w[0] < w[1]));
        prop_assert!(nums.iter().all(|&n| n >= 1 && n as usize <= lines.len()));
    }

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let s = parse_log_text(&text, Source::new("fuzz"), LogHint::default());
        prop_assert!(s.total_records <= text.split('\n').count() as u64);
    }
}

#[test]
fn klog_routed_through_zap_keeps_the_klog_shape() {
    let text = r#"{"severity":"INFO","timestamp":"2024-04-12T09:14:07.381Z","logger":"net-istio-controller","caller":"trace/trace.go:236","message":"Trace[1203554871]: \"DeltaFIFO Pop Process\" ID:shop/checkout-7f3kq-ingress,Depth:81,Reason:slow event handlers blocking the queue (12-Apr-2024 09:14:07.270) (total time: 110ms):\nTrace[1203554871]: [110.804843ms] [110.804843ms] END\n"}"#;
    let s = read(text);
    let r = &s.records[0];
    assert!(
        r.message
            .starts_with("Trace[1203554871]: \"DeltaFIFO Pop Process\"")
    );
    // The message's trailing newline leaves no blank continuation line.
    assert_eq!(
        r.continuation,
        ["Trace[1203554871]: [110.804843ms] [110.804843ms] END"]
    );
}

#[test]
fn klog_fatal_with_goroutine_dump_is_one_record() {
    let text = "F0101 00:00:00.000000       1 main.go:50] unable to load config: open /etc/x: no such file or directory\ngoroutine 1 [running]:\nk8s.io/klog/v2.stacks(0x1)\n\t/go/pkg/mod/k8s.io/klog/v2@v2.100.1/klog.go:860 +0x89\nk8s.io/klog/v2.(*loggingT).output(...)\n\t/go/pkg/mod/k8s.io/klog/v2@v2.100.1/klog.go:825 +0x686\nmain.main()\n\t/src/main.go:50 +0x1d\n\ngoroutine 6 [chan receive]:\nk8s.io/klog/v2.(*loggingT).flushDaemon(0x0)\n\t/go/pkg/mod/k8s.io/klog/v2@v2.100.1/klog.go:1010 +0x6a\ncreated by k8s.io/klog/v2.init.0\n\t/go/pkg/mod/k8s.io/klog/v2@v2.100.1/klog.go:411 +0xef\n";
    let s = read_with(text, year_hint(2024));
    assert_eq!(s.total_records, 1);
    let r = &s.records[0];
    assert_eq!(r.severity, Severity::Fatal);
    assert_eq!(r.caller.as_deref(), Some("main.go:50"));
    assert_eq!(r.field("frame"), Some("main.main"));
    assert_eq!(r.continuation.len(), 13);
}

#[test]
fn javascript_frames_attach_to_plain_errors_only() {
    let text = "Error: connect ECONNREFUSED 10.96.0.1:443\n    at TCPConnectWrap.afterConnect [as oncomplete] (node:net:1555:16)\n    at process.processTicksAndRejections (node:internal/process/task_queues:82:21)\nlistening on :8080\n    but this indented line is its own record";
    let s = read(text);
    assert_eq!(s.total_records, 3);
    assert_eq!(s.records[0].severity, Severity::Error);
    assert_eq!(s.records[0].continuation.len(), 2);
    assert_eq!(s.records[2].line, 5);
}
