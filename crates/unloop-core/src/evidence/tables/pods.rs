//! `kubectl get pods` (`-A`, `-o wide`, `--show-labels`, `-w`, `--no-headers`).

use std::collections::{BTreeMap, HashMap};

use super::cells::{Age, ago, none_if_placeholder, parse_ready, parse_restarts};
use super::grid::{Shape, by_shapes};
use super::{LazyAnchor, PHRASES, Segment, excerpt};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::model::{DiagnosticLevel, Meta, Pod, PodRow};
use crate::evidence::text::TextInput;

/// What a STATUS cell can say at pod level. The rest are container reasons
/// (`CrashLoopBackOff`, `OOMKilled`, `Init:Error`) that only the row keeps.
const PHASES: &[&str] = &["Pending", "Running", "Succeeded", "Failed", "Unknown"];
const POD_REASONS: &[&str] = &[
    "Evicted",
    "NodeLost",
    "NodeAffinity",
    "OutOfcpu",
    "OutOfmemory",
    "OutOfpods",
    "UnexpectedAdmissionError",
    "Shutdown",
    "NodeShutdown",
    "Terminated",
    "DeadlineExceeded",
];

pub(super) fn read(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    seg: &Segment<'_>,
    anchor: &mut LazyAnchor,
) {
    let names: Vec<&str> = seg.cols.names.iter().map(String::as_str).collect();
    let shapes = shapes_of(&names);
    let mut rows = Vec::new();
    for &(idx, line) in &seg.rows {
        let cells = seg
            .cols
            .cut(line)
            .filter(|c| valid(&names, c))
            .or_else(|| by_shapes(line, &shapes).filter(|c| valid(&names, c)));
        match cells {
            Some(cells) => rows.push((idx, cells_by_name(&names, &cells))),
            None => b.diagnostic(
                DiagnosticLevel::Warning,
                t.source_at(idx),
                format!("pods table: row not understood, skipped: {}", excerpt(line)),
            ),
        }
    }
    add_rows(t, b, rows, seg.namespace.as_deref(), anchor);
}

/// Reads `--no-headers` rows by trying the layouts kubectl prints. Returns false
/// when no row fits any of them.
pub(super) fn read_headerless(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    lines: &[(usize, &str)],
    namespace: Option<&str>,
) -> bool {
    const BASE: &str = "NAME READY STATUS RESTARTS AGE";
    const WIDE: &str = " IP NODE NOMINATED NODE READINESS GATES";
    let layouts: Vec<String> = vec![
        BASE.into(),
        format!("NAMESPACE {BASE}"),
        format!("{BASE}{WIDE}"),
        format!("NAMESPACE {BASE}{WIDE}"),
    ];
    let layouts: Vec<Vec<String>> = layouts
        .iter()
        .map(|l| super::grid::Columns::parse(l, PHRASES).names)
        .collect();
    let mut rows = Vec::new();
    let mut misses = Vec::new();
    for &(idx, line) in lines {
        let hit = layouts.iter().find_map(|names| {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            by_shapes(line, &shapes_of(&names))
                .filter(|c| valid(&names, c))
                .map(|c| cells_by_name(&names, &c))
        });
        match hit {
            Some(r) => rows.push((idx, r)),
            None => misses.push(idx),
        }
    }
    // Mostly rows: a headerless table. Otherwise it is something else entirely.
    if rows.is_empty() || misses.len() > rows.len() {
        return false;
    }
    for idx in misses {
        b.diagnostic(
            DiagnosticLevel::Warning,
            t.source_at(idx),
            "pods table: row not understood, skipped",
        );
    }
    b.diagnostic(
        DiagnosticLevel::Note,
        t.source_at(rows[0].0),
        "pods table without a header (--no-headers): columns inferred",
    );
    add_rows(t, b, rows, namespace, &mut LazyAnchor(None));
    true
}

fn shapes_of(names: &[&str]) -> Vec<Shape> {
    names
        .iter()
        .map(|n| {
            if *n == "RESTARTS" {
                Shape::Restarts
            } else {
                Shape::One
            }
        })
        .collect()
}

fn valid(names: &[&str], cells: &[&str]) -> bool {
    names.iter().zip(cells).all(|(n, c)| match *n {
        "NAME" | "STATUS" => !c.is_empty(),
        "READY" => parse_ready(c).is_some(),
        "RESTARTS" => parse_restarts(c).is_some(),
        "AGE" => Age::parse(c).is_some(),
        _ => true,
    })
}

fn cells_by_name(names: &[&str], cells: &[&str]) -> HashMap<String, String> {
    names
        .iter()
        .zip(cells)
        .map(|(n, c)| ((*n).to_owned(), (*c).to_owned()))
        .collect()
}

fn add_rows(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    rows: Vec<(usize, HashMap<String, String>)>,
    namespace: Option<&str>,
    anchor: &mut LazyAnchor,
) {
    // `get pods -w` prints a pod again at every change: the last row is the newest.
    type Key = (Option<String>, String);
    let mut order: Vec<Key> = Vec::new();
    let mut latest: HashMap<Key, (usize, HashMap<String, String>)> = HashMap::new();
    for (idx, cells) in rows {
        let ns = cells
            .get("NAMESPACE")
            .cloned()
            .or_else(|| namespace.map(str::to_owned));
        let key = (ns, cells.get("NAME").cloned().unwrap_or_default());
        if !latest.contains_key(&key) {
            order.push(key.clone());
        }
        latest.insert(key, (idx, cells));
    }
    for key in order {
        let Some((idx, cells)) = latest.remove(&key) else {
            continue;
        };
        let (namespace, name) = key;
        let cell = |n: &str| cells.get(n).map(String::as_str).unwrap_or("");
        let id = anchor.get(b);
        let status = cell("STATUS").to_owned();
        let (restarts, last_restart) = parse_restarts(cell("RESTARTS")).unwrap_or((0, None));
        let created = match Age::parse(cell("AGE")) {
            Some(Age::Plain(d)) => Some(ago(d, id)),
            _ => None,
        };
        let mut labels = BTreeMap::new();
        if let Some(ls) = none_if_placeholder(cell("LABELS")) {
            for kv in ls.split(',') {
                if let Some((k, v)) = kv.split_once('=') {
                    labels.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        let source = t.source_at(idx);
        b.add_pod(Pod {
            meta: Meta {
                namespace,
                name,
                labels,
                created,
                ..Default::default()
            },
            node: none_if_placeholder(cell("NODE")).map(str::to_owned),
            ip: none_if_placeholder(cell("IP")).map(str::to_owned),
            phase: PHASES.contains(&status.as_str()).then(|| status.clone()),
            reason: POD_REASONS
                .contains(&status.as_str())
                .then(|| status.clone()),
            row: Some(PodRow {
                ready: parse_ready(cell("READY")),
                status,
                restarts,
                last_restart: last_restart.map(|d| ago(d, id)),
                source: source.clone(),
            }),
            sources: vec![source],
            ..Default::default()
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::evidence::builder::EvidenceBuilder;
    use crate::evidence::model::{DiagnosticLevel, Evidence};
    use crate::evidence::source::Source;
    use crate::evidence::tables::read_pods_table;
    use crate::evidence::text::TextInput;
    use crate::evidence::time::TimeRef;

    fn read(text: &str) -> Evidence {
        let mut b = EvidenceBuilder::new();
        read_pods_table(&TextInput::new(text, Source::new("pods.txt")), &mut b).unwrap();
        b.finish()
    }

    fn secs(t: Option<TimeRef>) -> Option<u64> {
        match t? {
            TimeRef::Ago { ago, .. } => Some(ago.as_secs()),
            TimeRef::At(_) => None,
        }
    }

    #[test]
    fn default_columns_with_restart_ages() {
        let text = "\
NAME                                   READY   STATUS             RESTARTS      AGE
net-istio-controller-5d9c7f6b8-x2kqp   0/1     CrashLoopBackOff   7 (2m ago)    15m
net-istio-webhook-6c5b7d8f9-q8w4z      1/1     Running            0             15m
activator-7f8d9c6b5-abcde              0/1     Init:CrashLoopBackOff   3 (40s ago)   9m
";
        let ev = read(text);
        assert_eq!(ev.pods.len(), 3);
        let p = &ev.pods[0];
        assert_eq!(p.meta.name, "net-istio-controller-5d9c7f6b8-x2kqp");
        assert_eq!(p.meta.namespace, None);
        let row = p.row.as_ref().unwrap();
        assert_eq!(row.ready, Some((0, 1)));
        assert_eq!(row.status, "CrashLoopBackOff");
        assert_eq!(row.restarts, 7);
        assert_eq!(secs(row.last_restart), Some(120));
        assert_eq!(secs(p.meta.created), Some(15 * 60));
        assert_eq!(p.phase, None, "CrashLoopBackOff is not a phase");
        assert_eq!(ev.pods[1].phase.as_deref(), Some("Running"));
        // The third row overflows its STATUS column and is read token by token.
        let r = ev.pods[2].row.as_ref().unwrap();
        assert_eq!(r.status, "Init:CrashLoopBackOff");
        assert_eq!(secs(r.last_restart), Some(40));
        assert_eq!(row.source.line, Some(2));
        assert!(ev.diagnostics.is_empty());
    }

    #[test]
    fn all_namespaces_wide() {
        let text = "\
NAMESPACE         NAME                                   READY   STATUS      RESTARTS        AGE   IP            NODE     NOMINATED NODE   READINESS GATES
knative-serving   net-istio-controller-5d9c7f6b8-x2kqp   0/1     OOMKilled   12 (52s ago)    75m   10.244.1.7    node-1   <none>           <none>
kube-system       coredns-5d78c9869d-7xk2p               1/1     Running     0               40d   10.244.0.3    node-2   <none>           <none>
knative-serving   pending-pod-abc                        0/1     Pending     0               2m    <none>        <none>   <none>           <none>
";
        let ev = read(text);
        assert_eq!(ev.pods.len(), 3);
        let p = &ev.pods[0];
        assert_eq!(p.meta.namespace.as_deref(), Some("knative-serving"));
        assert_eq!(p.node.as_deref(), Some("node-1"));
        assert_eq!(p.ip.as_deref(), Some("10.244.1.7"));
        assert_eq!(p.row.as_ref().unwrap().status, "OOMKilled");
        assert_eq!(p.row.as_ref().unwrap().restarts, 12);
        assert_eq!(secs(p.meta.created), Some(75 * 60));
        assert_eq!(ev.pods[2].node, None);
        assert_eq!(ev.pods[2].ip, None);
        assert_eq!(ev.pods[2].phase.as_deref(), Some("Pending"));
    }

    #[test]
    fn watch_output_keeps_the_newest_row_and_the_command_namespace() {
        // From a real report (case 39), extended with the rows `-w` adds.
        let text = "\
kubectl -n asm-system get pod -w
NAME                                                    READY   STATUS      RESTARTS   AGE
canonical-service-controller-manager-cd6c66569b-tdqnx   1/2     OOMKilled   1          27s
canonical-service-controller-manager-cd6c66569b-tdqnx   1/2     CrashLoopBackOff   1 (2s ago)   29s
canonical-service-controller-manager-cd6c66569b-tdqnx   1/2   OOMKilled   2 (16s ago)   43s
";
        let ev = read(text);
        assert_eq!(ev.pods.len(), 1);
        let p = &ev.pods[0];
        assert_eq!(p.meta.namespace.as_deref(), Some("asm-system"));
        let row = p.row.as_ref().unwrap();
        assert_eq!(row.status, "OOMKilled");
        assert_eq!(row.restarts, 2);
        assert_eq!(row.ready, Some((1, 2)));
        assert_eq!(row.source.line, Some(5));
    }

    #[test]
    fn evicted_is_a_pod_reason_and_labels_are_read() {
        let text = "\
NAME    READY   STATUS    RESTARTS   AGE   LABELS
p-1     0/1     Evicted   0          3d    app=net-istio-controller,pod-template-hash=5d9c7f6b8
";
        let ev = read(text);
        let p = &ev.pods[0];
        assert_eq!(p.reason.as_deref(), Some("Evicted"));
        assert_eq!(p.meta.labels["app"], "net-istio-controller");
    }

    #[test]
    fn bad_rows_warn_and_headerless_rows_read() {
        let text = "\
NAME   READY   STATUS    RESTARTS   AGE
p-1    0/1     Running   x          5m
p-2    1/1     Running   0          5m
";
        let ev = read(text);
        assert_eq!(ev.pods.len(), 1);
        assert_eq!(ev.pods[0].meta.name, "p-2");
        assert_eq!(ev.diagnostics[0].level, DiagnosticLevel::Warning);
        assert_eq!(ev.diagnostics[0].source.line, Some(2));

        let ev = read("ns-a   p-1   0/1   Error   4 (1m ago)   10m\n");
        assert_eq!(ev.pods[0].meta.namespace.as_deref(), Some("ns-a"));
        assert_eq!(ev.pods[0].row.as_ref().unwrap().restarts, 4);
        assert_eq!(
            ev.pods[0].row.as_ref().unwrap().last_restart,
            Some(TimeRef::Ago {
                ago: Duration::from_secs(60),
                anchor: crate::evidence::time::AnchorId(0)
            })
        );
    }
}
