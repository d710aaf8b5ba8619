//! `kubectl get events` (default, `-A`, `-o wide`, and the pre-1.14 layout with
//! KIND/NAME columns) and `kubectl events`.

use super::cells::{Age, api_kind, is_cluster_scoped, parse_source};
use super::grid::{Shape, by_shapes};
use super::{LazyAnchor, Segment, excerpt};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::model::{DiagnosticLevel, Event, ObjectRef};
use crate::evidence::text::TextInput;

pub(super) fn read(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    seg: &Segment<'_>,
    anchor: &mut LazyAnchor,
) {
    let cols = &seg.cols;
    let shapes: Vec<Shape> = cols
        .names
        .iter()
        .map(|n| match n.as_str() {
            "LAST SEEN" | "FIRST SEEN" => Shape::Age,
            "SUBOBJECT" => Shape::FieldPath,
            "SOURCE" => Shape::Source,
            "MESSAGE" => Shape::Rest,
            _ => Shape::One,
        })
        .collect();
    let col = |name: &str| cols.find(name);
    let (c_ns, c_last, c_first, c_type, c_reason) = (
        col("NAMESPACE"),
        col("LAST SEEN"),
        col("FIRST SEEN"),
        col("TYPE"),
        col("REASON"),
    );
    let (c_object, c_kind, c_name, c_sub, c_source, c_msg, c_count) = (
        col("OBJECT"),
        col("KIND"),
        col("NAME"),
        col("SUBOBJECT"),
        col("SOURCE"),
        col("MESSAGE"),
        col("COUNT"),
    );
    let valid = |cells: &Vec<&str>| {
        let get = |c: Option<usize>| c.and_then(|i| cells.get(i)).copied();
        get(c_last).is_some_and(|s| Age::parse(s).is_some())
            && get(c_type).is_some_and(|s| !s.is_empty())
            && get(c_reason).is_some_and(|s| !s.is_empty())
            && get(c_object.or(c_name)).is_some_and(|s| !s.is_empty())
            && get(c_count).is_none_or(|s| s.parse::<u32>().is_ok())
            && get(c_first).is_none_or(|s| s.is_empty() || Age::parse(s).is_some())
    };
    for &(idx, line) in &seg.rows {
        let cells = cols
            .cut(line)
            .filter(&valid)
            .or_else(|| by_shapes(line, &shapes).filter(&valid));
        let Some(cells) = cells else {
            b.diagnostic(
                DiagnosticLevel::Warning,
                t.source_at(idx),
                format!(
                    "events table: row not understood, skipped: {}",
                    excerpt(line)
                ),
            );
            continue;
        };
        let get = |c: Option<usize>| c.and_then(|i| cells.get(i)).copied().unwrap_or("");
        let (kind, name) = match c_object {
            Some(_) => {
                let obj = get(c_object);
                match obj.split_once('/') {
                    Some((k, n)) => (k, n),
                    None => (obj, ""),
                }
            }
            // Before kubectl 1.14: KIND and NAME (the object's name) columns.
            None => (get(c_kind), get(c_name)),
        };
        // `kubectl events` keeps the kind's capital and prints intervals; there a
        // plain age is a single occurrence, so it is also the first.
        let capitalised = kind.starts_with(|c: char| c.is_ascii_uppercase());
        let kind = api_kind(kind);
        let namespace = if is_cluster_scoped(&kind) {
            None
        } else {
            c_ns.map(|_| get(c_ns))
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .or_else(|| seg.namespace.clone())
        };
        let anchor_id = anchor.get(b);
        let last = Age::parse(get(c_last)).unwrap_or(Age::Unknown);
        let count = c_count
            .and_then(|_| get(c_count).parse().ok())
            .or(last.count())
            .unwrap_or(1);
        let first_seen = match c_first {
            Some(_) => Age::parse(get(c_first)).and_then(|a| a.last(anchor_id)),
            None => last.first(anchor_id, capitalised || (count == 1 && c_count.is_some())),
        };
        let (reporter, host) = parse_source(get(c_source));
        let field_path = Some(get(c_sub))
            .filter(|s| !s.is_empty())
            .map(str::to_owned);
        b.add_event(Event {
            object: ObjectRef::new(kind, namespace.as_deref(), name),
            field_path,
            kind: get(c_type).to_owned(),
            reason: get(c_reason).to_owned(),
            message: get(c_msg).to_owned(),
            reporter,
            host,
            count,
            first_seen,
            last_seen: last.last(anchor_id),
            source: t.source_at(idx),
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use crate::evidence::builder::EvidenceBuilder;
    use crate::evidence::model::{DiagnosticLevel, Evidence};
    use crate::evidence::source::Source;
    use crate::evidence::tables::read_events_table;
    use crate::evidence::text::TextInput;
    use crate::evidence::time::TimeRef;

    fn read(text: &str) -> Evidence {
        let mut b = EvidenceBuilder::new();
        read_events_table(&TextInput::new(text, Source::new("events.txt")), &mut b).unwrap();
        b.finish()
    }

    fn ago(ev: &Evidence, t: Option<TimeRef>) -> Option<u64> {
        match t? {
            TimeRef::Ago { ago, anchor } => {
                assert_eq!(anchor.0 as usize, ev.anchors.len() - 1);
                Some(ago.as_secs())
            }
            TimeRef::At(_) => None,
        }
    }

    const GET_EVENTS: &str = "\
LAST SEEN   TYPE      REASON      OBJECT                                      MESSAGE
12m         Normal    Scheduled   pod/net-istio-controller-5d9c7f6b8-x2kqp    Successfully assigned knative-serving/net-istio-controller-5d9c7f6b8-x2kqp to node-1
3m1s        Warning   Unhealthy   pod/net-istio-controller-5d9c7f6b8-x2kqp    Liveness probe failed: Get \"http://10.244.1.7:8080/health\": dial tcp 10.244.1.7:8080: connect: connection refused
2m          Warning   BackOff     pod/net-istio-controller-5d9c7f6b8-x2kqp    Back-off restarting failed container controller in pod net-istio-controller-5d9c7f6b8-x2kqp_knative-serving(8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a)
25m         Normal    ScalingReplicaSet   deployment/net-istio-controller   Scaled up replica set net-istio-controller-5d9c7f6b8 to 1
5m          Normal    NodeHasInsufficientMemory   node/node-1   Node node-1 status is now: NodeHasInsufficientMemory
";

    #[test]
    fn get_events_default() {
        let ev = read(GET_EVENTS);
        assert_eq!(ev.events.len(), 5);
        let e = &ev.events[1];
        assert_eq!(e.object.kind, "Pod");
        assert_eq!(e.object.namespace, None, "no NAMESPACE column, no clue");
        assert_eq!(e.object.name, "net-istio-controller-5d9c7f6b8-x2kqp");
        assert_eq!(e.reason, "Unhealthy");
        assert!(
            e.message
                .starts_with("Liveness probe failed: Get \"http://10.244.1.7:8080")
        );
        assert_eq!(ago(&ev, e.last_seen), Some(181));
        assert_eq!(
            e.first_seen, None,
            "get events hides repeats: first unknown"
        );
        assert_eq!(e.count, 1);
        assert_eq!(e.source.line, Some(3));
        // Rows that do not line up with the header are read token by token.
        assert_eq!(ev.events[3].object.kind, "Deployment");
        assert_eq!(ev.events[3].reason, "ScalingReplicaSet");
        assert_eq!(ev.events[4].object.kind, "Node");
        assert_eq!(ev.anchors.len(), 1);
        assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    }

    #[test]
    fn get_events_all_namespaces_wide() {
        let text = "\
NAMESPACE         LAST SEEN   TYPE      REASON      OBJECT                                     SUBOBJECT                     SOURCE                MESSAGE                                                           FIRST SEEN   COUNT   NAME
knative-serving   3m1s        Warning   Unhealthy   pod/net-istio-controller-5d9c7f6b8-x2kqp   spec.containers{controller}   kubelet, node-1       Liveness probe failed: HTTP probe failed with statuscode: 503      12m          19      net-istio-controller-5d9c7f6b8-x2kqp.17c2b3a4d5e6f708
knative-serving   25m         Normal    Scheduled   pod/net-istio-controller-5d9c7f6b8-x2kqp                                 default-scheduler     Successfully assigned knative-serving/net-istio-controller-5d9c7f6b8-x2kqp to node-1   25m          1       net-istio-controller-5d9c7f6b8-x2kqp.17c2b3a4d5e6f701
default           5m          Warning   SystemOOM   node/node-1                                                              kubelet, node-1       System OOM encountered, victim process: controller, pid: 4242     5m           1       node-1.17c2b3a4d5e6f799
";
        let ev = read(text);
        assert_eq!(ev.events.len(), 3, "{:?}", ev.diagnostics);
        let e = &ev.events[0];
        assert_eq!(e.object.namespace.as_deref(), Some("knative-serving"));
        assert_eq!(e.field_path.as_deref(), Some("spec.containers{controller}"));
        assert_eq!(e.container(), Some("controller"));
        assert_eq!(e.reporter.as_deref(), Some("kubelet"));
        assert_eq!(e.host.as_deref(), Some("node-1"));
        assert_eq!(e.count, 19);
        assert_eq!(ago(&ev, e.first_seen), Some(720));
        assert_eq!(
            e.message,
            "Liveness probe failed: HTTP probe failed with statuscode: 503"
        );
        // The misaligned row (its message is wider than the column) is still read.
        let s = &ev.events[1];
        assert_eq!(s.reason, "Scheduled");
        assert_eq!(s.field_path, None);
        assert_eq!(s.reporter.as_deref(), Some("default-scheduler"));
        assert_eq!(s.count, 1);
        // Node events sit in `default`, but a Node has no namespace.
        assert_eq!(ev.events[2].object.kind, "Node");
        assert_eq!(ev.events[2].object.namespace, None);
    }

    #[test]
    fn kubectl_events_intervals_and_capital_kinds() {
        // Real `kubectl events -A` output (kubectl 1.32).
        let text = "\
NAMESPACE         LAST SEEN              TYPE      REASON              OBJECT                                     MESSAGE
knative-serving   25m                    Normal    Scheduled           Pod/net-istio-controller-5d9c7f6b8-x2kqp   Successfully assigned knative-serving/net-istio-controller-5d9c7f6b8-x2kqp to node-1
knative-serving   3m14s (x7 over 24m)    Normal    Killing             Pod/net-istio-controller-5d9c7f6b8-x2kqp   Container controller failed liveness probe, will be restarted
knative-serving   18s (x40 over 23m)     Warning   BackOff             Pod/net-istio-controller-5d9c7f6b8-x2kqp   Back-off restarting failed container controller in pod net-istio-controller-5d9c7f6b8-x2kqp_knative-serving(8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a)
";
        let ev = read(text);
        assert_eq!(ev.events.len(), 3);
        let k = &ev.events[1];
        assert_eq!(k.count, 7);
        assert_eq!(ago(&ev, k.last_seen), Some(194));
        assert_eq!(ago(&ev, k.first_seen), Some(24 * 60));
        let s = &ev.events[0];
        assert_eq!(
            ago(&ev, s.first_seen),
            Some(25 * 60),
            "single: first = last"
        );
        assert_eq!(ev.events[2].count, 40);
        assert_eq!(
            ev.events[2].object.namespace.as_deref(),
            Some("knative-serving")
        );
    }

    #[test]
    fn collapsed_spacing_and_namespace_from_command() {
        let text = "$ kubectl -n knative-serving events\n\
LAST SEEN TYPE REASON OBJECT MESSAGE\n\
2m (x40 over 10m) Warning BackOff Pod/p Back-off restarting failed container controller in pod p_knative-serving(u)\n";
        let ev = read(text);
        let e = &ev.events[0];
        assert_eq!(e.object.namespace.as_deref(), Some("knative-serving"));
        assert_eq!(e.count, 40);
        assert_eq!(
            e.last_seen,
            Some(TimeRef::Ago {
                ago: Duration::from_secs(120),
                anchor: crate::evidence::time::AnchorId(0)
            })
        );
    }

    #[test]
    fn old_layout_with_kind_and_name_columns() {
        let text = "\
LAST SEEN   FIRST SEEN   COUNT   NAME                          KIND   SUBOBJECT                     TYPE      REASON    SOURCE            MESSAGE
1m          10m          12      controller-7d9f8c6b5-abcde    Pod    spec.containers{controller}   Warning   BackOff   kubelet, node-2   Back-off restarting failed container
";
        let ev = read(text);
        let e = &ev.events[0];
        assert_eq!(e.object.name, "controller-7d9f8c6b5-abcde");
        assert_eq!(e.object.kind, "Pod");
        assert_eq!(e.count, 12);
        assert_eq!(e.host.as_deref(), Some("node-2"));
        assert_eq!(e.message, "Back-off restarting failed container");
    }

    #[test]
    fn bad_rows_are_warnings_and_the_rest_is_read() {
        let text = "\
LAST SEEN   TYPE      REASON    OBJECT   MESSAGE
garbage
5m          Warning   BackOff   pod/p    Back-off restarting failed container
";
        let ev = read(text);
        assert_eq!(ev.events.len(), 1);
        assert_eq!(ev.diagnostics.len(), 1);
        assert_eq!(ev.diagnostics[0].level, DiagnosticLevel::Warning);
        assert_eq!(ev.diagnostics[0].source.line, Some(2));
        assert!(ev.diagnostics[0].message.contains("garbage"));
    }

    #[test]
    fn no_resources() {
        let ev = read("No resources found in knative-serving namespace.\n");
        assert!(ev.events.is_empty());
        assert!(ev.diagnostics.is_empty());
    }
}
