//! Conversion of single objects, one kind at a time.

use std::time::Duration;

use serde_json::json;

use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::model::*;
use crate::evidence::objects::{count_key, ingest_value};
use crate::evidence::source::Source;
use crate::evidence::time::TimeRef;

fn ingest(v: serde_json::Value) -> Evidence {
    let mut b = EvidenceBuilder::new();
    ingest_value(v, &Source::new("x.json").at_line(3), &mut b);
    b.finish()
}

fn ts(s: &str) -> jiff::Timestamp {
    s.parse().unwrap()
}

/// A crash-looping net-istio-controller pod as the API server returns it.
pub(crate) const NET_ISTIO_POD: &str = r#"{
    "apiVersion": "v1",
    "kind": "Pod",
    "metadata": {
        "annotations": {
            "kubectl.kubernetes.io/last-applied-configuration": "{\"big\":\"blob\"}",
            "cluster-autoscaler.kubernetes.io/safe-to-evict": "false"
        },
        "creationTimestamp": "2024-03-27T18:20:01Z",
        "generateName": "net-istio-controller-5d9c7f6b8-",
        "labels": {
            "app": "net-istio-controller",
            "pod-template-hash": "5d9c7f6b8"
        },
        "managedFields": [
            {
                "apiVersion": "v1",
                "fieldsType": "FieldsV1",
                "fieldsV1": {"f:metadata": {"f:labels": {".": {}}}},
                "manager": "kube-controller-manager",
                "operation": "Update",
                "time": "2024-03-27T18:20:01Z"
            }
        ],
        "name": "net-istio-controller-5d9c7f6b8-x2kqp",
        "namespace": "knative-serving",
        "ownerReferences": [
            {
                "apiVersion": "apps/v1",
                "blockOwnerDeletion": true,
                "controller": true,
                "kind": "ReplicaSet",
                "name": "net-istio-controller-5d9c7f6b8",
                "uid": "0b7f6c1e-2f4a-4f0e-9d51-7f3f1b2c9a10"
            }
        ],
        "resourceVersion": "123456",
        "uid": "8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b"
    },
    "spec": {
        "containers": [
            {
                "args": ["--secret=hunter2-not-really"],
                "env": [
                    {"name": "SYSTEM_NAMESPACE", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.namespace"}}}
                ],
                "image": "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@sha256:abc",
                "imagePullPolicy": "IfNotPresent",
                "livenessProbe": {
                    "failureThreshold": 6,
                    "httpGet": {"path": "/health", "port": "probes", "scheme": "HTTP"},
                    "periodSeconds": 5,
                    "successThreshold": 1,
                    "timeoutSeconds": 1
                },
                "name": "controller",
                "ports": [
                    {"containerPort": 9090, "name": "metrics", "protocol": "TCP"},
                    {"containerPort": 8008, "name": "profiling", "protocol": "TCP"},
                    {"containerPort": 8080, "name": "probes", "protocol": "TCP"}
                ],
                "readinessProbe": {
                    "failureThreshold": 3,
                    "httpGet": {"path": "/readiness", "port": "probes", "scheme": "HTTP"},
                    "periodSeconds": 10,
                    "successThreshold": 1,
                    "timeoutSeconds": 1
                },
                "resources": {
                    "limits": {"cpu": "300m", "memory": "400Mi"},
                    "requests": {"cpu": "30m", "memory": "40Mi"}
                }
            }
        ],
        "initContainers": [
            {
                "command": ["sh", "-c", "true"],
                "image": "busybox:1.36",
                "name": "init-wait"
            }
        ],
        "nodeName": "worker-3",
        "restartPolicy": "Always",
        "serviceAccount": "controller",
        "serviceAccountName": "controller",
        "terminationGracePeriodSeconds": 30
    },
    "status": {
        "conditions": [
            {"lastProbeTime": null, "lastTransitionTime": "2024-03-27T18:20:03Z", "status": "True", "type": "Initialized"},
            {"lastProbeTime": null, "lastTransitionTime": "2024-03-27T18:30:53Z", "message": "containers with unready status: [controller]", "reason": "ContainersNotReady", "status": "False", "type": "Ready"}
        ],
        "containerStatuses": [
            {
                "containerID": "containerd://1111",
                "image": "sha256:deadbeef",
                "imageID": "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@sha256:abc",
                "lastState": {
                    "terminated": {
                        "containerID": "containerd://0000",
                        "exitCode": 1,
                        "finishedAt": "2024-03-27T18:30:53Z",
                        "reason": "Error",
                        "startedAt": "2024-03-27T18:30:28Z"
                    }
                },
                "name": "controller",
                "ready": false,
                "restartCount": 7,
                "started": false,
                "state": {
                    "waiting": {
                        "message": "back-off 2m40s restarting failed container=controller pod=net-istio-controller-5d9c7f6b8-x2kqp_knative-serving(8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b)",
                        "reason": "CrashLoopBackOff"
                    }
                }
            }
        ],
        "hostIP": "10.0.0.13",
        "initContainerStatuses": [
            {
                "image": "busybox:1.36",
                "lastState": {},
                "name": "init-wait",
                "ready": true,
                "restartCount": 0,
                "state": {"terminated": {"exitCode": 0, "reason": "Completed", "startedAt": "2024-03-27T18:20:02Z", "finishedAt": "2024-03-27T18:20:02Z"}}
            }
        ],
        "phase": "Running",
        "podIP": "10.244.1.7",
        "qosClass": "Burstable",
        "startTime": "2024-03-27T18:20:01Z"
    }
}"#;

#[test]
fn pod_spec_and_status_are_converted() {
    let ev = ingest(serde_json::from_str(NET_ISTIO_POD).unwrap());
    assert_eq!(ev.pods.len(), 1);
    let p = &ev.pods[0];
    assert_eq!(p.meta.namespace.as_deref(), Some("knative-serving"));
    assert_eq!(p.meta.name, "net-istio-controller-5d9c7f6b8-x2kqp");
    assert_eq!(
        p.meta.uid.as_deref(),
        Some("8f1c2d3e-4b5a-6978-8a9b-0c1d2e3f4a5b")
    );
    assert!(
        !p.meta
            .annotations
            .contains_key("kubectl.kubernetes.io/last-applied-configuration")
    );
    assert_eq!(
        p.meta.annotations["cluster-autoscaler.kubernetes.io/safe-to-evict"],
        "false"
    );
    let owner = p.meta.controller().unwrap();
    assert_eq!(
        (owner.kind.as_str(), owner.name.as_str(), owner.controller),
        ("ReplicaSet", "net-istio-controller-5d9c7f6b8", true)
    );
    assert_eq!(
        p.meta.created,
        Some(TimeRef::At(ts("2024-03-27T18:20:01Z")))
    );
    assert_eq!(p.node.as_deref(), Some("worker-3"));
    assert_eq!(p.phase.as_deref(), Some("Running"));
    assert_eq!(p.ip.as_deref(), Some("10.244.1.7"));
    assert_eq!(p.restart_policy.as_deref(), Some("Always"));
    assert_eq!(p.service_account.as_deref(), Some("controller"));
    assert_eq!(p.termination_grace_period_seconds, Some(30));
    assert_eq!(p.start_time, Some(TimeRef::At(ts("2024-03-27T18:20:01Z"))));
    let ready = p.conditions.iter().find(|c| c.kind == "Ready").unwrap();
    assert!(!ready.is_true());
    assert_eq!(ready.reason.as_deref(), Some("ContainersNotReady"));
    assert_eq!(
        p.sources[0].to_string(),
        "x.json:3 (Pod knative-serving/net-istio-controller-5d9c7f6b8-x2kqp)"
    );

    // Init containers first, as describe lists them.
    assert_eq!(p.containers.len(), 2);
    let init = &p.containers[0];
    assert!(init.init);
    assert_eq!(init.name, "init-wait");
    assert_eq!(init.command, vec!["sh", "-c", "true"]);
    assert_eq!(init.state.as_ref().unwrap().reason(), Some("Completed"));
    assert_eq!(init.last_state, None, "an empty lastState is no state");

    let c = p.container("controller").unwrap();
    assert!(!c.init);
    assert_eq!(
        c.image.as_deref(),
        Some("gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@sha256:abc"),
        "the spec image wins over the status image"
    );
    assert_eq!(c.restart_count, Some(7));
    assert_eq!(c.ready, Some(false));
    assert_eq!(c.started, Some(false));
    assert_eq!(c.resources.limits.cpu_millis, Some(300));
    assert_eq!(c.resources.limits.memory_bytes, Some(400 << 20));
    assert_eq!(c.resources.requests.cpu_millis, Some(30));
    assert_eq!(c.resources.requests.memory_bytes, Some(40 << 20));
    assert_eq!(c.ports.len(), 3);
    assert_eq!(c.ports[2].port, 8080);
    assert_eq!(c.ports[2].name.as_deref(), Some("probes"));
    assert_eq!(c.state.as_ref().unwrap().reason(), Some("CrashLoopBackOff"));
    match c.last_state.as_ref().unwrap() {
        ContainerState::Terminated {
            exit_code,
            reason,
            started,
            finished,
            ..
        } => {
            assert_eq!(*exit_code, Some(1));
            assert_eq!(reason.as_deref(), Some("Error"));
            assert_eq!(*started, Some(TimeRef::At(ts("2024-03-27T18:30:28Z"))));
            assert_eq!(*finished, Some(TimeRef::At(ts("2024-03-27T18:30:53Z"))));
        }
        other => panic!("unexpected last state {other:?}"),
    }
    assert_eq!(
        c.source.as_ref().unwrap().field.as_deref(),
        Some(
            "Pod knative-serving/net-istio-controller-5d9c7f6b8-x2kqp .status.containerStatuses[0]"
        )
    );

    let live = c.liveness.as_ref().unwrap();
    assert_eq!(
        live.handler,
        ProbeHandler::HttpGet {
            scheme: "HTTP".into(),
            host: None,
            port: "probes".into(),
            path: "/health".into(),
        }
    );
    assert_eq!((live.period_seconds, live.failure_threshold), (5, 6));
    assert_eq!(live.failure_budget(), Duration::from_secs(30));
    assert_eq!(
        live.source.field.as_deref(),
        Some(
            "Pod knative-serving/net-istio-controller-5d9c7f6b8-x2kqp .spec.containers[0].livenessProbe"
        )
    );
    assert_eq!(c.readiness.as_ref().unwrap().failure_threshold, 3);
    assert!(c.startup.is_none());
    assert_eq!(ev.count_of("Pod"), 1);
}

#[test]
fn probes_get_kubernetes_defaults() {
    let ev = ingest(json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": "p", "namespace": "ns"},
        "spec": {"containers": [{
            "name": "c",
            "livenessProbe": {"tcpSocket": {"port": 8080}, "periodSeconds": 0},
            "readinessProbe": {"exec": {"command": ["cat", "/tmp/ready"]}, "initialDelaySeconds": 5},
            "startupProbe": {"grpc": {"port": 9000}, "failureThreshold": 30, "terminationGracePeriodSeconds": 10}
        }]}
    }));
    let c = &ev.pods[0].containers[0];
    let l = c.liveness.as_ref().unwrap();
    assert_eq!(
        l.handler,
        ProbeHandler::TcpSocket {
            host: None,
            port: "8080".into()
        }
    );
    assert_eq!(
        (
            l.initial_delay_seconds,
            l.timeout_seconds,
            l.period_seconds,
            l.success_threshold,
            l.failure_threshold
        ),
        (0, 1, 10, 1, 3),
        "a zero period means the default"
    );
    let r = c.readiness.as_ref().unwrap();
    assert_eq!(
        r.handler,
        ProbeHandler::Exec {
            command: vec!["cat".into(), "/tmp/ready".into()]
        }
    );
    assert_eq!(r.initial_delay_seconds, 5);
    let s = c.startup.as_ref().unwrap();
    assert!(matches!(&s.handler, ProbeHandler::Grpc { port, service: None } if port == "9000"));
    assert_eq!(s.failure_threshold, 30);
    assert_eq!(s.termination_grace_period_seconds, Some(10));
    assert_eq!(
        c.source.as_ref().unwrap().field.as_deref(),
        Some("Pod ns/p .spec.containers[0]")
    );
}

#[test]
fn wrong_types_are_skipped_not_fatal() {
    let ev = ingest(json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {"name": "p", "namespace": 7, "labels": ["x"], "ownerReferences": "no"},
        "spec": {"containers": [
            {"name": "ok", "ports": [{"containerPort": 70000}, {"containerPort": "80"}], "resources": {"limits": {"cpu": 2, "memory": []}}},
            "not-a-container",
            {"image": "nameless"}
        ], "terminationGracePeriodSeconds": "soon"},
        "status": {"containerStatuses": [{"name": "ok", "restartCount": -3, "state": {"running": "yes"}}], "conditions": "none"}
    }));
    let p = &ev.pods[0];
    assert_eq!(p.meta.namespace, None);
    assert!(p.meta.labels.is_empty());
    assert_eq!(p.containers.len(), 1);
    let c = &p.containers[0];
    assert_eq!(c.ports.len(), 1, "port 70000 does not fit, \"80\" does");
    assert_eq!(c.ports[0].port, 80);
    assert_eq!(c.resources.limits.cpu_millis, Some(2000));
    assert_eq!(c.resources.limits.memory_bytes, None);
    assert_eq!(c.restart_count, None);
    assert_eq!(c.state, None);
    assert_eq!(p.termination_grace_period_seconds, None);
}

#[test]
fn nodes_keep_conditions_taints_and_capacity() {
    let ev = ingest(json!({
        "apiVersion": "v1",
        "kind": "Node",
        "metadata": {"name": "worker-3", "labels": {"kubernetes.io/hostname": "worker-3"}},
        "spec": {
            "podCIDR": "10.244.3.0/24",
            "taints": [
                {"effect": "NoSchedule", "key": "node.kubernetes.io/memory-pressure", "timeAdded": "2024-03-27T18:25:00Z"},
                {"effect": "NoSchedule", "key": "node.kubernetes.io/unschedulable"},
                {"effect": "NoExecute", "key": "dedicated", "value": "infra"}
            ],
            "unschedulable": true
        },
        "status": {
            "allocatable": {"cpu": "3800m", "memory": "15232156Ki", "pods": "110"},
            "capacity": {"cpu": "4", "memory": "16386156Ki", "pods": "110"},
            "conditions": [
                {"lastHeartbeatTime": "2024-03-27T18:31:02Z", "lastTransitionTime": "2024-03-20T08:00:00Z",
                 "message": "kernel has no deadlock", "reason": "KernelHasNoDeadlock", "status": "False", "type": "KernelDeadlock"},
                {"lastHeartbeatTime": "2024-03-27T18:31:05Z", "lastTransitionTime": "2024-03-27T18:25:00Z",
                 "message": "kubelet has insufficient memory available", "reason": "KubeletHasInsufficientMemory", "status": "True", "type": "MemoryPressure"},
                {"lastHeartbeatTime": "2024-03-27T18:31:05Z", "lastTransitionTime": "2024-03-20T08:00:00Z",
                 "message": "kubelet is posting ready status", "reason": "KubeletReady", "status": "True", "type": "Ready"}
            ],
            "nodeInfo": {"kubeletVersion": "v1.29.2", "containerRuntimeVersion": "containerd://1.7.13"}
        }
    }));
    let n = &ev.nodes[0];
    assert_eq!(n.meta.name, "worker-3");
    assert!(n.unschedulable);
    assert_eq!(n.taints.len(), 3);
    assert_eq!(n.taints[2].value.as_deref(), Some("infra"));
    assert_eq!(n.taints[2].effect, "NoExecute");
    assert_eq!(n.capacity.cpu_millis, Some(4000));
    assert_eq!(n.capacity.memory_bytes, Some(16_386_156 * 1024));
    assert_eq!(n.allocatable.cpu_millis, Some(3800));
    assert_eq!(n.kubelet_version.as_deref(), Some("v1.29.2"));
    let mp = n.condition("MemoryPressure").unwrap();
    assert!(mp.is_true());
    assert_eq!(
        mp.last_heartbeat,
        Some(TimeRef::At(ts("2024-03-27T18:31:05Z")))
    );
    assert_eq!(
        n.condition("KernelDeadlock").unwrap().reason.as_deref(),
        Some("KernelHasNoDeadlock")
    );
    assert_eq!(ev.counts.keys().next().unwrap().namespace, None);
}

#[test]
fn workloads_read_replicas_selector_and_template() {
    let ev = ingest(json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [
            {
                "apiVersion": "apps/v1", "kind": "Deployment",
                "metadata": {"name": "net-istio-controller", "namespace": "knative-serving", "uid": "d-1"},
                "spec": {
                    "replicas": 1,
                    "selector": {"matchLabels": {"app": "net-istio-controller"}},
                    "template": {"spec": {"containers": [{"name": "controller", "image": "ctrl:1",
                        "livenessProbe": {"httpGet": {"path": "/health", "port": "probes"}, "periodSeconds": 5, "failureThreshold": 6}}]}}
                },
                "status": {
                    "conditions": [{"type": "Available", "status": "False", "reason": "MinimumReplicasUnavailable"}],
                    "observedGeneration": 1, "replicas": 1, "unavailableReplicas": 1, "updatedReplicas": 1
                }
            },
            {
                "apiVersion": "apps/v1", "kind": "DaemonSet",
                "metadata": {"name": "kube-proxy", "namespace": "kube-system"},
                "spec": {"selector": {"matchLabels": {"k8s-app": "kube-proxy"}}, "template": {"spec": {"containers": [{"name": "kube-proxy"}]}}},
                "status": {"currentNumberScheduled": 3, "desiredNumberScheduled": 3, "numberReady": 2, "numberAvailable": 2, "updatedNumberScheduled": 3}
            },
            {
                "apiVersion": "v1", "kind": "ReplicationController",
                "metadata": {"name": "legacy", "namespace": "default"},
                "spec": {"replicas": 2, "selector": {"app": "legacy"}, "template": {"spec": {"containers": [{"name": "web"}]}}}
            },
            {
                "apiVersion": "batch/v1", "kind": "Job",
                "metadata": {"name": "migrate", "namespace": "default"},
                "spec": {"parallelism": 1, "template": {"spec": {"initContainers": [{"name": "wait"}], "containers": [{"name": "migrate"}]}}},
                "status": {"active": 1, "ready": 0}
            }
        ]
    }));
    assert_eq!(ev.workloads.len(), 4);
    let d = &ev.workloads[0];
    assert_eq!(d.kind, WorkloadKind::Deployment);
    assert_eq!(d.replicas, Some(1));
    assert_eq!(
        d.ready_replicas,
        Some(0),
        "Go omits zero counts from a present status"
    );
    assert_eq!(d.available_replicas, Some(0));
    assert_eq!(d.updated_replicas, Some(1));
    assert_eq!(d.selector["app"], "net-istio-controller");
    assert_eq!(d.template[0].name, "controller");
    assert_eq!(
        d.template[0].liveness.as_ref().unwrap().failure_threshold,
        6
    );
    assert_eq!(d.template[0].restart_count, None);
    assert_eq!(
        d.template[0].source.as_ref().unwrap().field.as_deref(),
        Some("Deployment knative-serving/net-istio-controller .spec.template.spec.containers[0]")
    );
    assert_eq!(
        d.conditions[0].reason.as_deref(),
        Some("MinimumReplicasUnavailable")
    );

    let ds = &ev.workloads[1];
    assert_eq!(
        (
            ds.replicas,
            ds.ready_replicas,
            ds.available_replicas,
            ds.updated_replicas
        ),
        (Some(3), Some(2), Some(2), Some(3))
    );
    let rc = &ev.workloads[2];
    assert_eq!(rc.kind, WorkloadKind::ReplicationController);
    assert_eq!(rc.selector["app"], "legacy");
    assert_eq!(
        rc.ready_replicas, None,
        "a manifest without status says nothing"
    );
    let job = &ev.workloads[3];
    assert_eq!(job.kind, WorkloadKind::Job);
    assert_eq!(job.ready_replicas, Some(0));
    assert_eq!(job.template.len(), 2);
    assert!(job.template[0].init);
    assert_eq!(ev.count_of("Deployment"), 1);
    assert_eq!(ev.count_of("Job"), 1);
    assert_eq!(ev.count_of("List"), 0, "lists are not objects");
}

#[test]
fn core_v1_events_legacy_and_series() {
    let ev = ingest(json!({
        "apiVersion": "v1", "kind": "EventList", "metadata": {},
        "items": [
            {
                "count": 40,
                "eventTime": null,
                "firstTimestamp": "2024-03-27T18:20:40Z",
                "involvedObject": {"apiVersion": "v1", "fieldPath": "spec.containers{controller}", "kind": "Pod",
                    "name": "net-istio-controller-5d9c7f6b8-x2kqp", "namespace": "knative-serving", "uid": "8f1c"},
                "lastTimestamp": "2024-03-27T18:30:53Z",
                "message": "Back-off restarting failed container controller in pod net-istio-controller-5d9c7f6b8-x2kqp_knative-serving(8f1c)",
                "metadata": {"name": "net-istio-controller-5d9c7f6b8-x2kqp.17c0a1b2c3d4e5f6", "namespace": "knative-serving"},
                "reason": "BackOff",
                "reportingComponent": "kubelet",
                "reportingInstance": "worker-3",
                "source": {"component": "kubelet", "host": "worker-3"},
                "type": "Warning"
            },
            {
                "action": "Scheduling",
                "eventTime": "2024-03-27T18:20:00.123456Z",
                "firstTimestamp": null,
                "involvedObject": {"kind": "Pod", "name": "pending-0", "namespace": "default", "uid": "aa"},
                "lastTimestamp": null,
                "message": "0/3 nodes are available: 3 Insufficient memory.",
                "metadata": {"name": "pending-0.1", "namespace": "default"},
                "reason": "FailedScheduling",
                "reportingComponent": "default-scheduler",
                "reportingInstance": "default-scheduler-master-1",
                "series": {"count": 5, "lastObservedTime": "2024-03-27T18:26:00.000000Z"},
                "source": {},
                "type": "Warning"
            }
        ]
    }));
    assert_eq!(ev.events.len(), 2);
    let e = &ev.events[0];
    assert_eq!(e.object.kind, "Pod");
    assert_eq!(e.object.namespace.as_deref(), Some("knative-serving"));
    assert_eq!(e.object.uid.as_deref(), Some("8f1c"));
    assert_eq!(e.container(), Some("controller"));
    assert!(e.is_warning());
    assert_eq!(e.reason, "BackOff");
    assert_eq!(e.reporter.as_deref(), Some("kubelet"));
    assert_eq!(e.host.as_deref(), Some("worker-3"));
    assert_eq!(e.count, 40);
    assert_eq!(e.first_seen, Some(TimeRef::At(ts("2024-03-27T18:20:40Z"))));
    assert_eq!(e.last_seen, Some(TimeRef::At(ts("2024-03-27T18:30:53Z"))));

    let s = &ev.events[1];
    assert_eq!(s.reporter.as_deref(), Some("default-scheduler"));
    assert_eq!(s.host, None);
    assert_eq!(s.count, 5);
    assert_eq!(
        s.first_seen,
        Some(TimeRef::At(ts("2024-03-27T18:20:00.123456Z")))
    );
    assert_eq!(s.last_seen, Some(TimeRef::At(ts("2024-03-27T18:26:00Z"))));
    assert_eq!(ev.count_of("Event"), 2);
}

#[test]
fn events_k8s_io_events_use_their_own_field_names() {
    let ev = ingest(json!({
        "apiVersion": "events.k8s.io/v1",
        "kind": "Event",
        "metadata": {"name": "worker-3.17c0", "namespace": "default"},
        "regarding": {"kind": "Node", "name": "worker-3", "uid": "worker-3"},
        "note": "System OOM encountered, victim process: controller, pid: 4242",
        "reason": "SystemOOM",
        "type": "Warning",
        "eventTime": null,
        "reportingController": "kubelet",
        "reportingInstance": "worker-3",
        "deprecatedSource": {"component": "kubelet", "host": "worker-3"},
        "deprecatedFirstTimestamp": "2024-03-27T18:29:00Z",
        "deprecatedLastTimestamp": "2024-03-27T18:30:00Z",
        "deprecatedCount": 2
    }));
    let e = &ev.events[0];
    assert_eq!(e.object.kind, "Node");
    assert_eq!(e.object.namespace, None);
    assert_eq!(
        e.message,
        "System OOM encountered, victim process: controller, pid: 4242"
    );
    assert_eq!(e.reporter.as_deref(), Some("kubelet"));
    assert_eq!(e.host.as_deref(), Some("worker-3"));
    assert_eq!(e.count, 2);
    assert_eq!(e.first_seen, Some(TimeRef::At(ts("2024-03-27T18:29:00Z"))));
    assert_eq!(e.last_seen, Some(TimeRef::At(ts("2024-03-27T18:30:00Z"))));
    assert_eq!(
        ev.count_of("Event"),
        1,
        "events.k8s.io Events count as Events"
    );

    // The new recorder: no deprecated fields, count only through series, at least 1.
    let ev = ingest(json!({
        "apiVersion": "events.k8s.io/v1", "kind": "Event",
        "metadata": {"name": "x", "namespace": "ns"},
        "regarding": {"kind": "Pod", "name": "p", "namespace": "ns"},
        "note": "n", "reason": "Scheduled", "type": "Normal",
        "eventTime": "2024-03-27T18:20:00.000001Z",
        "reportingController": "default-scheduler"
    }));
    let e = &ev.events[0];
    assert_eq!(e.count, 1);
    assert_eq!(e.reporter.as_deref(), Some("default-scheduler"));
    assert_eq!(e.first_seen, e.last_seen);
    assert!(e.first_seen.is_some());
}

#[test]
fn leases_keep_holder_and_times() {
    let ev = ingest(json!({
        "apiVersion": "coordination.k8s.io/v1",
        "kind": "Lease",
        "metadata": {"name": "net-istio-controller.knative.dev.net-istio.pkg.reconciler.ingress.reconciler.00-of-01",
                     "namespace": "knative-serving"},
        "spec": {
            "acquireTime": "2024-03-27T18:30:29.884768Z",
            "holderIdentity": "net-istio-controller-5d9c7f6b8-x2kqp_6b1f",
            "leaseDurationSeconds": 15,
            "leaseTransitions": 42,
            "renewTime": "2024-03-27T18:30:51.102345Z"
        }
    }));
    let l = &ev.leases[0];
    assert_eq!(
        l.holder.as_deref(),
        Some("net-istio-controller-5d9c7f6b8-x2kqp_6b1f")
    );
    assert_eq!(l.duration_seconds, Some(15));
    assert_eq!(l.transitions, Some(42));
    assert_eq!(l.acquire_time, Some(ts("2024-03-27T18:30:29.884768Z")));
    assert_eq!(l.renew_time, Some(ts("2024-03-27T18:30:51.102345Z")));
    assert_eq!(ev.count_of("Lease"), 1);

    let released = ingest(json!({
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "l", "namespace": "ns"},
        "spec": {"holderIdentity": "", "leaseDurationSeconds": 1}
    }));
    assert_eq!(
        released.leases[0].holder.as_deref(),
        Some(""),
        "a released lease keeps its empty holder"
    );
}

fn config_gc(data: serde_json::Value) -> serde_json::Value {
    json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "config-gc", "namespace": "knative-serving",
                     "annotations": {"knative.dev/example-checksum": "aa1aa1aa"},
                     "labels": {"app.kubernetes.io/name": "knative-serving"}},
        "data": data
    })
}

#[test]
fn config_gc_keeps_example_and_top_level_keys() {
    let example = "################################\n#                              #\n#    EXAMPLE CONFIGURATION     #\n################################\n    retain-since-create-time: \"48h\"\n    max-non-active-revisions: \"1000\"\n";
    let ev = ingest(config_gc(json!({"_example": example})));
    let cm = ev.config_map("knative-serving", "config-gc").unwrap();
    assert_eq!(cm.data.len(), 1);
    assert!(cm.data["_example"].contains("max-non-active-revisions"));

    let ev = ingest(config_gc(json!({
        "_example": example,
        "min-non-active-revisions": "0",
        "max-non-active-revisions": "0",
        "retain-since-create-time": "disabled",
        "retain-since-last-active-time": "disabled"
    })));
    let cm = ev.config_map("knative-serving", "config-gc").unwrap();
    assert_eq!(cm.data["max-non-active-revisions"], "0");
    assert_eq!(cm.data["retain-since-create-time"], "disabled");
    assert!(cm.data.contains_key("_example"));
    assert_eq!(
        cm.meta.annotations["knative.dev/example-checksum"],
        "aa1aa1aa"
    );

    // Other ConfigMaps drop their `_example` block.
    let ev = ingest(json!({
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": "config-observability", "namespace": "knative-serving"},
        "data": {"_example": "long", "logging.enable-var-log-collection": "false", "replicas": 3}
    }));
    let cm = ev
        .config_map("knative-serving", "config-observability")
        .unwrap();
    assert!(!cm.data.contains_key("_example"));
    assert_eq!(cm.data["replicas"], "3", "scalars become strings");
}

#[test]
fn revisions_read_routing_labels_and_annotations() {
    let ev = ingest(json!({
        "apiVersion": "serving.knative.dev/v1",
        "kind": "RevisionList",
        "items": [
            {
                "metadata": {
                    "name": "hello-00001", "namespace": "default",
                    "creationTimestamp": "2024-01-02T03:04:05Z",
                    "labels": {
                        "serving.knative.dev/configuration": "hello",
                        "serving.knative.dev/configurationGeneration": "1",
                        "serving.knative.dev/routingState": "reserve",
                        "serving.knative.dev/service": "hello"
                    },
                    "annotations": {
                        "serving.knative.dev/creator": "admin",
                        "serving.knative.dev/routingStateModified": "2024-01-03T00:00:00Z",
                        "serving.knative.dev/no-gc": "TRUE"
                    },
                    "ownerReferences": [{"apiVersion": "serving.knative.dev/v1", "kind": "Configuration", "name": "hello", "uid": "c1", "controller": true}]
                },
                "status": {"conditions": [
                    {"type": "Active", "status": "False", "reason": "NoTraffic"},
                    {"type": "Ready", "status": "True"}
                ]}
            },
            {
                "metadata": {
                    "name": "hello-00002", "namespace": "default",
                    "creationTimestamp": "2024-01-03T00:00:00Z",
                    "labels": {"serving.knative.dev/configuration": "hello", "serving.knative.dev/routingState": "active"},
                    "annotations": {"serving.knative.dev/routes": "hello", "serving.knative.dev/no-gc": "false"}
                }
            }
        ]
    }));
    assert_eq!(ev.revisions.len(), 2);
    let r = &ev.revisions.get(0).unwrap().to_revision();
    assert_eq!(
        (r.namespace.as_str(), r.name.as_str()),
        ("default", "hello-00001")
    );
    assert_eq!(r.configuration.as_deref(), Some("hello"));
    assert_eq!(r.service.as_deref(), Some("hello"));
    assert_eq!(r.routing_state.as_deref(), Some("reserve"));
    assert_eq!(r.routing_state_modified, Some(ts("2024-01-03T00:00:00Z")));
    assert!(r.no_gc, "no-gc compares case-insensitively");
    assert_eq!(r.created, Some(ts("2024-01-02T03:04:05Z")));
    assert_eq!(r.ready.as_deref(), Some("True"));
    let r2 = &ev.revisions.get(1).unwrap().to_revision();
    assert_eq!(r2.routing_state.as_deref(), Some("active"));
    assert_eq!(r2.routes.as_deref(), Some("hello"));
    assert!(!r2.no_gc);
    assert_eq!(r2.ready, None);
    assert_eq!(r2.service, None);
    assert_eq!(ev.count_of("Revision.serving.knative.dev"), 2);
}

#[test]
fn other_kinds_are_kept_generically() {
    let ev = ingest(json!({
        "apiVersion": "networking.internal.knative.dev/v1alpha1",
        "kind": "Ingress",
        "metadata": {
            "name": "hello", "namespace": "default",
            "labels": {"serving.knative.dev/route": "hello"},
            "annotations": {
                "networking.knative.dev/ingress.class": "istio.ingress.networking.knative.dev",
                "kubectl.kubernetes.io/last-applied-configuration": "{}"
            },
            "ownerReferences": [{"kind": "Route", "name": "hello", "controller": true}],
            "finalizers": ["ingresses.networking.internal.knative.dev"]
        },
        "spec": {"rules": []},
        "status": {
            "conditions": [{"type": "Ready", "status": "Unknown", "reason": "ReconcileIngressFailed",
                            "message": "Ingress reconciliation failed", "lastTransitionTime": "2024-03-27T18:00:00Z"}],
            "observedGeneration": 3,
            "privateLoadBalancer": {"ingress": [{"domainInternal": "x"}]}
        }
    }));
    let o = &ev.objects[0];
    assert_eq!(o.kind, "Ingress");
    assert_eq!(o.api_version, "networking.internal.knative.dev/v1alpha1");
    assert_eq!(o.meta.labels["serving.knative.dev/route"], "hello");
    assert_eq!(o.meta.annotations.len(), 1);
    assert_eq!(o.meta.owners[0].kind, "Route");
    assert_eq!(
        o.conditions[0].reason.as_deref(),
        Some("ReconcileIngressFailed")
    );
    assert_eq!(
        o.status.get("observedGeneration").map(String::as_str),
        Some("3")
    );
    assert!(
        !o.status.contains_key("privateLoadBalancer"),
        "only scalars"
    );
    assert!(!o.status.contains_key("conditions"));
    assert_eq!(ev.count_of("Ingress.networking.internal.knative.dev"), 1);
    assert_eq!(ev.count_of("Ingress"), 0);

    // A kind that merely ends in `List` is still an object.
    let ev = ingest(json!({
        "apiVersion": "security.example.io/v1", "kind": "IPAllowList",
        "metadata": {"name": "office", "namespace": "ns"}, "spec": {"cidrs": ["10.0.0.0/8"]}
    }));
    assert_eq!(ev.objects.len(), 1);
    assert_eq!(ev.count_of("IPAllowList.security.example.io"), 1);
}

#[test]
fn secrets_are_counted_and_nothing_else() {
    let ev = ingest(json!({
        "apiVersion": "v1",
        "kind": "List",
        "items": [{
            "apiVersion": "v1",
            "kind": "Secret",
            "type": "Opaque",
            "metadata": {
                "name": "db-credentials-zq9x",
                "namespace": "knative-serving",
                "labels": {"owner-token-zq9x": "label-value-zq9x"},
                "annotations": {
                    "kubectl.kubernetes.io/last-applied-configuration":
                        "{\"apiVersion\":\"v1\",\"data\":{\"password\":\"czNjcjN0LXpxOXg=\"},\"stringData\":{\"token\":\"plain-s3cr3t-zq9x\"}}"
                }
            },
            "data": {"password": "czNjcjN0LXpxOXg="},
            "stringData": {"token": "plain-s3cr3t-zq9x"}
        }]
    }));
    assert_eq!(ev.count_of("Secret"), 1);
    let all = serde_json::to_string(&ev).unwrap();
    for needle in ["czNjcjN0LXpxOXg=", "plain-s3cr3t-zq9x", "zq9x"] {
        assert!(!all.contains(needle), "{needle} leaked into {all}");
    }
}

#[test]
fn count_keys_spell_out_non_core_groups() {
    assert_eq!(count_key("v1", "Pod"), "Pod");
    assert_eq!(count_key("apps/v1", "Deployment"), "Deployment");
    assert_eq!(count_key("batch/v1", "Job"), "Job");
    assert_eq!(count_key("coordination.k8s.io/v1", "Lease"), "Lease");
    assert_eq!(count_key("events.k8s.io/v1", "Event"), "Event");
    assert_eq!(
        count_key("serving.knative.dev/v1", "Revision"),
        "Revision.serving.knative.dev"
    );
    assert_eq!(
        count_key("networking.internal.knative.dev/v1alpha1", "Ingress"),
        "Ingress.networking.internal.knative.dev"
    );
    assert_eq!(
        count_key("networking.k8s.io/v1", "Ingress"),
        "Ingress.networking.k8s.io"
    );
}

#[test]
fn objects_without_a_kind_are_inferred_or_reported() {
    let ev = ingest(json!({
        "apiVersion": "v1", "kind": "List",
        "items": [
            {"metadata": {"name": "p", "namespace": "ns"}, "spec": {"containers": [{"name": "c"}]}},
            {"metadata": {"name": "mystery"}, "spec": {"foo": 1}},
            42
        ]
    }));
    assert_eq!(ev.pods.len(), 1);
    assert_eq!(ev.count_of("Pod"), 1);
    let msgs: Vec<_> = ev.diagnostics.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(msgs.len(), 2, "{msgs:?}");
    assert!(msgs[0].contains("no kind"));
    assert!(msgs[1].contains("not a Kubernetes object"));
}
