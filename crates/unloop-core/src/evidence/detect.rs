//! What an input is, decided by its content (never by its file name).
//!
//! Detection looks at a sample (the first lines of a file, or a part of a
//! paste). Strong markers win: a `==== START logs` line, a JSON list, a YAML
//! object, a kubectl table header, a describe header. Otherwise, if most lines
//! are recognisably log lines the input is a container log; failing that it is
//! [`InputKind::Unclassified`] and read as plain log text.

use super::logs::line_format;
use super::model::{InputKind, LogFormat};

/// The marker that opens a container's log in a `cluster-info dump`.
pub const DUMP_LOG_START: &str = "==== START logs for container ";

/// The kind of one input, from a sample of its text.
pub fn classify(sample: &str) -> InputKind {
    let lines: Vec<&str> = sample
        .lines()
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .take(400)
        .collect();
    let first = lines.iter().position(|l| !l.trim().is_empty());
    let Some(first) = first else {
        return InputKind::Unclassified;
    };
    let head = lines[first];
    let trimmed = head.trim_start();

    if head.starts_with(DUMP_LOG_START) {
        return InputKind::DumpLogs;
    }
    if trimmed.starts_with('{') || trimmed.starts_with('[') {
        // A JSON log record, even one a paste wrapped onto the next line.
        if looks_like_json_log_line(trimmed) || line_format(head) == Some(LogFormat::Json) {
            return InputKind::ContainerLog;
        }
        if lines.iter().any(|l| l.starts_with(DUMP_LOG_START)) {
            return InputKind::ClusterInfoDump;
        }
        return InputKind::KubeObjectsJson;
    }
    if is_yaml_object(&lines[first..]) {
        return InputKind::KubeObjectsYaml;
    }
    if let Some(kind) = table_kind(head) {
        return kind;
    }
    if let Some(kind) = describe_kind(&lines[first..]) {
        return kind;
    }
    if mostly_log_lines(&lines[first..]) {
        return InputKind::ContainerLog;
    }
    InputKind::Unclassified
}

/// True for a line that is a JSON log record rather than the start of an API object.
fn looks_like_json_log_line(line: &str) -> bool {
    let l = line.trim_end();
    l.starts_with('{')
        && l.ends_with('}')
        && [
            "\"msg\"",
            "\"message\"",
            "\"level\"",
            "\"severity\"",
            "\"ts\"",
        ]
        .iter()
        .any(|k| l.contains(k))
        && !l.contains("\"apiVersion\"")
}

/// True when the text starts like a Kubernetes object in YAML.
fn is_yaml_object(lines: &[&str]) -> bool {
    let mut it = lines.iter().filter(|l| {
        let t = l.trim();
        !t.is_empty() && !t.starts_with('#')
    });
    let Some(first) = it.next() else { return false };
    let first = if *first == "---" || first.starts_with("--- ") {
        match it.next() {
            Some(l) => l,
            None => return false,
        }
    } else {
        first
    };
    let top_key = |l: &str| {
        ["apiVersion:", "kind:", "metadata:", "items:"]
            .iter()
            .any(|k| l.starts_with(k))
    };
    // A YAML object's first top-level key is one of these; describe output never
    // starts with them (its keys are capitalised and padded).
    top_key(first)
}

/// The kubectl table a header line introduces.
pub fn table_kind(header: &str) -> Option<InputKind> {
    super::tables::table_kind(header).map(|k| k.input_kind())
}

/// Which `kubectl describe` output this is, if any.
fn describe_kind(lines: &[&str]) -> Option<InputKind> {
    let window = &lines[..lines.len().min(120)];
    let key = |k: &str| window.iter().any(|l| l.starts_with(k));
    let nested = |k: &str| window.iter().any(|l| l.trim_start().starts_with(k));
    if key("Name:") {
        if key("Roles:") || key("Taints:") || key("Capacity:") || key("Non-terminated Pods:") {
            return Some(InputKind::DescribeNode);
        }
        if key("Replicas:") && (key("StrategyType:") || key("Pod Template:") || key("Selector:")) {
            return Some(InputKind::DescribeDeployment);
        }
        if key("Namespace:")
            && (key("Containers:") || key("Node:") || key("Status:") || key("Controlled By:"))
        {
            return Some(InputKind::DescribePod);
        }
    }
    // A partial paste of a pod's describe: container fields without the header.
    let container_fields = [
        "Restart Count:",
        "Last State:",
        "Liveness:",
        "Readiness:",
        "Container ID:",
        "Exit Code:",
    ];
    let hits = container_fields.iter().filter(|k| nested(k)).count();
    let events_header = window
        .iter()
        .any(|l| l.starts_with("Events:") || is_describe_events_header(l));
    if hits >= 2 || (hits >= 1 && events_header) {
        return Some(InputKind::DescribePod);
    }
    if events_header && window.iter().any(|l| l.trim_start().starts_with("----")) {
        return Some(InputKind::DescribePod);
    }
    None
}

/// `  Type     Reason     Age   From     Message`
pub fn is_describe_events_header(line: &str) -> bool {
    let cols: Vec<&str> = line.split_whitespace().collect();
    cols == ["Type", "Reason", "Age", "From", "Message"]
}

fn mostly_log_lines(lines: &[&str]) -> bool {
    let mut total = 0usize;
    let mut logs = 0usize;
    for l in lines.iter().filter(|l| !l.trim().is_empty()).take(200) {
        total += 1;
        if line_format(l).is_some() {
            logs += 1;
        }
    }
    total > 0 && logs * 2 >= total
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strong_markers() {
        assert_eq!(
            classify("==== START logs for container controller of pod ns/p ====\nx\n"),
            InputKind::DumpLogs
        );
        assert_eq!(
            classify("{\n    \"kind\": \"PodList\",\n    \"apiVersion\": \"v1\",\n"),
            InputKind::KubeObjectsJson
        );
        assert_eq!(
            classify("apiVersion: v1\nkind: Pod\n"),
            InputKind::KubeObjectsYaml
        );
        assert_eq!(
            classify("---\napiVersion: v1\nitems: []\n"),
            InputKind::KubeObjectsYaml
        );
        assert_eq!(
            classify(
                "{\n  \"kind\": \"NodeList\"\n}\n==== START logs for container c of pod a/b ====\n"
            ),
            InputKind::ClusterInfoDump
        );
    }

    #[test]
    fn json_log_lines_are_logs_not_objects() {
        let line = r#"{"severity":"INFO","timestamp":"2024-04-12T09:14:07.2Z","logger":"net-istio-controller","message":"Starting informers..."}"#;
        assert_eq!(classify(line), InputKind::ContainerLog);
    }

    #[test]
    fn a_wrapped_json_log_line_is_still_a_log() {
        let text = "{\"level\":\"error\",\"ts\":\"2023-11-21T13:13:06Z\",\"logger\":\"controller-runtime.source.EventHandler\",\"msg\":\"if kind is a CRD, it should be installed before calling Start\",\"stacktrace\":\"sigs.k8s.io/controller-runtime/pkg/internal/source.(*Kind).Start.func1\\n\\t/go/pkg/mod/ki\nnd.go:56\"}\n";
        assert_eq!(classify(text), InputKind::ContainerLog);
    }

    #[test]
    fn tables() {
        assert_eq!(
            classify(
                "LAST SEEN   TYPE      REASON      OBJECT     MESSAGE\n2m   Warning   BackOff   pod/x   Back-off\n"
            ),
            InputKind::EventsTable
        );
        assert_eq!(
            classify("NAMESPACE   LAST SEEN   TYPE   REASON   OBJECT   MESSAGE\n"),
            InputKind::EventsTable
        );
        assert_eq!(
            classify(
                "NAME                                   READY   STATUS             RESTARTS       AGE\n"
            ),
            InputKind::PodsTable
        );
        assert_eq!(
            classify("NAME   CPU(cores)   MEMORY(bytes)\n"),
            InputKind::TopPods
        );
        assert_eq!(
            classify("NAME   CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%\n"),
            InputKind::TopNodes
        );
    }

    #[test]
    fn describe_kinds() {
        let pod = "Name:             net-istio-controller-5d9c7f6b8-x2kqp\nNamespace:        knative-serving\nNode:             n1/10.0.0.1\nContainers:\n";
        assert_eq!(classify(pod), InputKind::DescribePod);
        let node =
            "Name:               n1\nRoles:              <none>\nTaints:             <none>\n";
        assert_eq!(classify(node), InputKind::DescribeNode);
        let deploy = "Name:                   d\nNamespace:              ns\nSelector:               app=x\nReplicas:               3 desired | 3 updated\nStrategyType:           RollingUpdate\n";
        assert_eq!(classify(deploy), InputKind::DescribeDeployment);
        let partial = "    Restart Count:  29\n    Liveness:       http-get http://:80/healthz delay=60s timeout=1s period=30s #success=1 #failure=3\n...\nEvents:\n  Type     Reason     Age   From     Message\n";
        assert_eq!(classify(partial), InputKind::DescribePod);
    }

    #[test]
    fn prose_is_unclassified() {
        assert_eq!(
            classify("We upgraded last night and since then it restarts.\nAny idea?\n"),
            InputKind::Unclassified
        );
        assert_eq!(classify("   \n\n"), InputKind::Unclassified);
    }
}
