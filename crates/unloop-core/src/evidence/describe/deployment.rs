//! `kubectl describe deployment`: replicas, the pod template (probes, limits),
//! conditions, its ReplicaSets and events. The ReplicaSet, StatefulSet and
//! DaemonSet describers print the same keys with a few of their own; those
//! outputs are read here too, as workloads of their kind.

use std::collections::BTreeMap;

use super::events;
use super::layout::Layout;
use super::pod::container;
use super::{abs_time, annotations, labels, placeholder_name, read_objects};
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::error::InputError;
use crate::evidence::model::{Condition, DiagnosticLevel, Meta, OwnerRef, Workload, WorkloadKind};
use crate::evidence::text::TextInput;
use crate::evidence::time::AnchorId;

pub(super) fn read(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    read_objects(t, b, "deployment", read_doc)
}

fn read_doc(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'_>,
    doc: &[usize],
    anchor: AnchorId,
    headless: &mut usize,
) -> bool {
    let first = layout.get(doc[0]).idx;
    let mut w = Workload {
        kind: WorkloadKind::Deployment,
        meta: Meta::default(),
        replicas: None,
        ready_replicas: None,
        available_replicas: None,
        updated_replicas: None,
        selector: BTreeMap::new(),
        template: Vec::new(),
        conditions: Vec::new(),
        sources: vec![t.source_at(first)],
    };
    let mut replica_sets: Vec<(String, Option<u32>, usize)> = Vec::new();
    let mut rows = Vec::new();
    let mut known = 0;
    let mut kind_hint: Option<WorkloadKind> = None;
    for id in layout.walk(doc) {
        let e = layout.get(id);
        let Some(key) = e.key else {
            continue;
        };
        known += 1;
        match key {
            "Name" => w.meta.name = e.value.to_owned(),
            "Namespace" => w.meta.namespace = e.val().map(str::to_owned),
            "CreationTimestamp" => w.meta.created = abs_time(b, anchor, e.value),
            "Labels" => w.meta.labels = labels(layout, id),
            "Annotations" => w.meta.annotations = annotations(layout, id),
            "Selector" => w.selector = selector(e.value),
            "Replicas" => {
                // `3 current / 3 desired` is the ReplicaSet describer's.
                if e.value.contains(" current / ") {
                    kind_hint.get_or_insert(WorkloadKind::ReplicaSet);
                }
                replicas(e.value, &mut w)
            }
            "Controlled By" => {
                if let Some((kind, name)) = e.value.split_once('/') {
                    w.meta.owners = vec![OwnerRef {
                        kind: kind.to_owned(),
                        name: name.to_owned(),
                        uid: None,
                        controller: true,
                    }];
                }
                kind_hint.get_or_insert(WorkloadKind::ReplicaSet);
            }
            "Update Strategy" | "Pod Management Policy" | "Service Name" | "Volume Claims" => {
                kind_hint = Some(WorkloadKind::StatefulSet)
            }
            "Desired Number of Nodes Scheduled" => {
                kind_hint = Some(WorkloadKind::DaemonSet);
                w.replicas = e.value.parse().ok();
            }
            "Number of Nodes Scheduled with Up-to-date Pods" => {
                w.updated_replicas = e.value.parse().ok()
            }
            "Number of Nodes Scheduled with Available Pods" => {
                w.available_replicas = e.value.parse().ok()
            }
            "Pod Template" => {
                for &c in &e.children {
                    let ce = layout.get(c);
                    if ce.is("Containers") || ce.is("Init Containers") {
                        let init = ce.is("Init Containers");
                        for &k in &ce.children {
                            if layout.get(k).key.is_some() {
                                w.template.push(container(t, b, layout, k, init, anchor));
                            }
                        }
                    }
                }
            }
            "Conditions" => w.conditions = conditions(layout, id),
            "OldReplicaSets" | "NewReplicaSet" => replica_sets.extend(
                parse_replica_sets(e.value)
                    .into_iter()
                    .map(|(n, r)| (n, r, e.idx)),
            ),
            "Events" => rows = events::rows(t, b, layout, id),
            "StrategyType"
            | "MinReadySeconds"
            | "RollingUpdateStrategy"
            | "Pods Status"
            | "Node-Selector"
            | "Current Number of Nodes Scheduled"
            | "Number of Nodes Misscheduled" => {}
            _ => known -= 1,
        }
    }
    if known == 0 {
        return false;
    }
    w.kind = kind_hint.unwrap_or(WorkloadKind::Deployment);
    if w.meta.name.is_empty() {
        w.meta.name = placeholder_name(t, *headless);
        *headless += 1;
        b.diagnostic(
            DiagnosticLevel::Note,
            t.source_at(first),
            format!(
                "describe {} output without its Name: line; named `{}` after the input",
                w.kind.as_str().to_ascii_lowercase(),
                w.meta.name
            ),
        );
    }
    let object = w.object_ref();
    for r in &rows {
        b.add_event(events::to_event(t, r, &object, anchor));
    }
    // The ReplicaSets link the deployment's pods (`Controlled By: ReplicaSet/x`)
    // back to it.
    for (name, replicas, idx) in replica_sets {
        b.add_workload(Workload {
            kind: WorkloadKind::ReplicaSet,
            meta: Meta {
                namespace: w.meta.namespace.clone(),
                name,
                owners: vec![OwnerRef {
                    kind: "Deployment".into(),
                    name: w.meta.name.clone(),
                    uid: None,
                    controller: true,
                }],
                ..Default::default()
            },
            replicas,
            ready_replicas: None,
            available_replicas: None,
            updated_replicas: None,
            selector: BTreeMap::new(),
            template: Vec::new(),
            conditions: Vec::new(),
            sources: vec![t.source_at(idx)],
        });
    }
    b.add_workload(w);
    true
}

/// `app=x,tier=y`; set-based terms (`env in (a,b)`) are not match labels.
fn selector(s: &str) -> BTreeMap<String, String> {
    s.split(',')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, v)| !k.contains(' ') && !v.contains(' ') && !k.ends_with('!'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect()
}

/// `3 desired | 3 updated | 3 total | 0 available | 3 unavailable`
/// (StatefulSet: `3 desired | 3 total`; ReplicaSet: `3 current / 3 desired`).
fn replicas(s: &str, w: &mut Workload) {
    for part in s.split(['|', '/']) {
        let mut it = part.split_whitespace();
        let (Some(n), Some(what)) = (it.next(), it.next()) else {
            continue;
        };
        let Ok(n) = n.parse::<u32>() else { continue };
        match what {
            "desired" => w.replicas = Some(n),
            "updated" => w.updated_replicas = Some(n),
            "available" => w.available_replicas = Some(n),
            _ => {}
        }
    }
}

/// `net-istio-controller-5d9c7f6b8 (3/3 replicas created)`, comma-separated,
/// or `<none>`. Returns each name with its desired replicas.
fn parse_replica_sets(s: &str) -> Vec<(String, Option<u32>)> {
    s.split("), ")
        .filter_map(|part| {
            let part = part.trim();
            if part.is_empty() || part.starts_with('<') {
                return None;
            }
            let (name, rest) = part.split_once(" (").unwrap_or((part, ""));
            let desired = rest
                .split_whitespace()
                .next()
                .and_then(|f| f.split_once('/'))
                .and_then(|(_, d)| d.parse().ok());
            Some((name.to_owned(), desired))
        })
        .collect()
}

/// `Type  Status  Reason` rows.
fn conditions(layout: &Layout<'_>, id: usize) -> Vec<Condition> {
    let mut out = Vec::new();
    for d in layout.descendants(id) {
        let mut w = layout.get(d).text.split_whitespace();
        let (Some(kind), Some(status)) = (w.next(), w.next()) else {
            continue;
        };
        if kind == "Type" || kind.starts_with("--") {
            continue;
        }
        out.push(Condition {
            kind: kind.to_owned(),
            status: status.to_owned(),
            reason: w.next().map(str::to_owned),
            message: None,
            last_transition: None,
            last_heartbeat: None,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::model::{Evidence, ProbeHandler};
    use crate::evidence::source::Source;

    /// Real `kubectl describe deployment` output (kubectl 1.32).
    const DEPLOY: &str = include_str!("testdata/deployment-net-istio-1.32.txt");

    fn read_text(text: &str) -> Evidence {
        let mut b = EvidenceBuilder::new();
        read(&TextInput::new(text, Source::new("deploy.txt")), &mut b).unwrap();
        b.finish()
    }

    #[test]
    fn net_istio_deployment() {
        let ev = read_text(DEPLOY);
        let d = ev
            .workloads
            .iter()
            .find(|w| w.kind == WorkloadKind::Deployment)
            .unwrap();
        assert_eq!(d.meta.name, "net-istio-controller");
        assert_eq!(d.meta.namespace.as_deref(), Some("knative-serving"));
        assert_eq!(
            d.meta.labels["networking.knative.dev/ingress-provider"],
            "istio"
        );
        assert_eq!(d.meta.annotations["deployment.kubernetes.io/revision"], "3");
        assert_eq!(d.selector["app"], "net-istio-controller");
        assert_eq!(d.replicas, Some(1));
        assert_eq!(d.updated_replicas, Some(1));
        assert_eq!(d.available_replicas, Some(0));
        assert_eq!(d.template.len(), 1);
        let c = &d.template[0];
        assert_eq!(c.name, "controller");
        assert_eq!(c.args, ["--disable-ha=false"]);
        assert_eq!(c.resources.limits.memory_bytes, Some(400 << 20));
        assert_eq!(c.state, None, "a template has no status");
        let live = c.liveness.as_ref().unwrap();
        assert!(
            matches!(&live.handler, ProbeHandler::HttpGet { port, path, .. } if port == "probes" && path == "/health")
        );
        assert_eq!(live.failure_threshold, 6);
        assert_eq!(d.conditions.len(), 2);
        let p = d
            .conditions
            .iter()
            .find(|c| c.kind == "Progressing")
            .unwrap();
        assert_eq!(p.status, "False");
        assert_eq!(p.reason.as_deref(), Some("ProgressDeadlineExceeded"));

        let rs = ev
            .workloads
            .iter()
            .find(|w| w.kind == WorkloadKind::ReplicaSet)
            .unwrap();
        assert_eq!(rs.meta.name, "net-istio-controller-5d9c7f6b8");
        assert_eq!(rs.meta.namespace.as_deref(), Some("knative-serving"));
        assert_eq!(rs.meta.controller().unwrap().name, "net-istio-controller");
        assert_eq!(rs.replicas, Some(1));

        assert_eq!(ev.events.len(), 1);
        let e = &ev.events[0];
        assert_eq!(e.object, d.object_ref());
        assert_eq!(e.reason, "ScalingReplicaSet");
        assert_eq!(e.reporter.as_deref(), Some("deployment-controller"));
        assert!(ev.diagnostics.is_empty(), "{:?}", ev.diagnostics);
    }

    #[test]
    fn old_and_new_replica_sets() {
        assert_eq!(
            parse_replica_sets("a-1 (0/0 replicas created), a-2 (3/3 replicas created)"),
            [("a-1".to_owned(), Some(0)), ("a-2".to_owned(), Some(3))]
        );
        assert!(parse_replica_sets("<none>").is_empty());
        let sel = selector("app=net-istio-controller,env in (a,b),tier!=x");
        assert_eq!(sel.len(), 1);
    }

    #[test]
    fn replica_set_and_stateful_set_outputs() {
        let rs = "Name:           net-istio-controller-5d9c7f6b8
Namespace:      knative-serving
Selector:       app=net-istio-controller,pod-template-hash=5d9c7f6b8
Controlled By:  Deployment/net-istio-controller
Replicas:       1 current / 1 desired
Pods Status:    0 Running / 1 Waiting / 0 Succeeded / 0 Failed
Events:         <none>
";
        let ev = read_text(rs);
        let w = &ev.workloads[0];
        assert_eq!(w.kind, WorkloadKind::ReplicaSet);
        assert_eq!(w.replicas, Some(1));
        assert_eq!(w.meta.controller().unwrap().kind, "Deployment");
        assert_eq!(w.selector["pod-template-hash"], "5d9c7f6b8");

        let sts = "Name:               redis
Namespace:          default
Selector:           app=redis
Replicas:           3 desired | 2 total
Update Strategy:    RollingUpdate
Pods Status:        2 Running / 0 Waiting / 0 Succeeded / 0 Failed
";
        let ev = read_text(sts);
        assert_eq!(ev.workloads[0].kind, WorkloadKind::StatefulSet);
        assert_eq!(ev.workloads[0].replicas, Some(3));
    }

    #[test]
    fn replicas_line_and_headless_output() {
        let text = "Replicas:  3 desired | 2 updated | 3 total | 1 available | 2 unavailable\nStrategyType:  Recreate\n";
        let ev = read_text(text);
        let d = &ev.workloads[0];
        assert_eq!(d.meta.name, "deploy");
        assert_eq!(
            (d.replicas, d.updated_replicas, d.available_replicas),
            (Some(3), Some(2), Some(1))
        );
        assert_eq!(ev.diagnostics[0].level, DiagnosticLevel::Note);
    }
}
