//! core/v1 Pod, and the container specs shared with workload templates.

use serde_json::Value;

use super::*;
use crate::evidence::model::{
    Container, ContainerPort, ContainerState, Pod, Probe, ProbeHandler, ResourceAmounts, Resources,
};

pub(super) fn ingest(v: &Value, base: &Source, b: &mut EvidenceBuilder) {
    let meta = meta(v);
    let label = object_label("Pod", &meta);
    let mut containers = containers_of(v, &["spec"], ".spec", &label, base);
    apply_statuses(&mut containers, v, &label, base);
    let pod = Pod {
        node: string_at(v, &["spec", "nodeName"]),
        phase: string_at(v, &["status", "phase"]),
        reason: string_at(v, &["status", "reason"]),
        message: string_at(v, &["status", "message"]),
        ip: string_at(v, &["status", "podIP"]),
        start_time: timeref_at(v, &["status", "startTime"]),
        restart_policy: string_at(v, &["spec", "restartPolicy"]),
        service_account: string_at(v, &["spec", "serviceAccountName"])
            .or_else(|| string_at(v, &["spec", "serviceAccount"])),
        termination_grace_period_seconds: i64_at(v, &["spec", "terminationGracePeriodSeconds"]),
        conditions: conditions(array_at(v, &["status", "conditions"])),
        containers,
        row: None,
        usage: None,
        sources: vec![base.with_field(label)],
        meta,
    };
    b.add_pod(pod);
}

/// Init containers, then containers, of the pod spec at `spec_path`
/// (`["spec"]` for a Pod, `["spec", "template", "spec"]` for a workload).
/// `spec_field` is the same path as written in sources (`.spec.template.spec`).
pub(super) fn containers_of(
    v: &Value,
    spec_path: &[&str],
    spec_field: &str,
    label: &str,
    base: &Source,
) -> Vec<Container> {
    let mut out = Vec::new();
    for (key, init) in [("initContainers", true), ("containers", false)] {
        let mut path = spec_path.to_vec();
        path.push(key);
        for (i, c) in array_at(v, &path).iter().enumerate() {
            let Some(name) = string_at(c, &["name"]) else {
                continue;
            };
            let field = format!("{label} {spec_field}.{key}[{i}]");
            out.push(container(c, name, init, base, &field));
        }
    }
    out
}

fn container(c: &Value, name: String, init: bool, base: &Source, field: &str) -> Container {
    let probe_at = |key: &str| {
        let p = at(c, &[key])?;
        probe(p, base.with_field(format!("{field}.{key}")))
    };
    Container {
        name,
        image: string_at(c, &["image"]),
        init,
        command: strings_at(c, &["command"]),
        args: strings_at(c, &["args"]),
        ports: array_at(c, &["ports"]).iter().filter_map(port).collect(),
        resources: Resources {
            requests: amounts(c, "requests"),
            limits: amounts(c, "limits"),
        },
        liveness: probe_at("livenessProbe"),
        readiness: probe_at("readinessProbe"),
        startup: probe_at("startupProbe"),
        source: Some(base.with_field(field.to_owned())),
        ..Default::default()
    }
}

fn amounts(c: &Value, which: &str) -> ResourceAmounts {
    ResourceAmounts {
        cpu_millis: cpu_at(c, &["resources", which, "cpu"]),
        memory_bytes: memory_at(c, &["resources", which, "memory"]),
    }
}

fn port(p: &Value) -> Option<ContainerPort> {
    Some(ContainerPort {
        port: u16::try_from(i64_at(p, &["containerPort"])?).ok()?,
        name: string_at(p, &["name"]),
        protocol: string_at(p, &["protocol"]).unwrap_or_else(|| "TCP".into()),
    })
}

/// A probe port: a number or a named port, as written.
fn port_text(h: &Value) -> String {
    at(h, &["port"]).and_then(scalar_string).unwrap_or_default()
}

fn probe(p: &Value, source: Source) -> Option<Probe> {
    let handler = if let Some(h) = at(p, &["httpGet"]) {
        ProbeHandler::HttpGet {
            scheme: string_at(h, &["scheme"]).unwrap_or_else(|| "HTTP".into()),
            host: string_at(h, &["host"]),
            port: port_text(h),
            path: string_at(h, &["path"]).unwrap_or_else(|| "/".into()),
        }
    } else if let Some(h) = at(p, &["tcpSocket"]) {
        ProbeHandler::TcpSocket {
            host: string_at(h, &["host"]),
            port: port_text(h),
        }
    } else if let Some(h) = at(p, &["exec"]) {
        ProbeHandler::Exec {
            command: strings_at(h, &["command"]),
        }
    } else if let Some(h) = at(p, &["grpc"]) {
        ProbeHandler::Grpc {
            port: port_text(h),
            service: string_at(h, &["service"]),
        }
    } else {
        return None;
    };
    let mut probe = Probe::with_defaults(handler, source);
    if let Some(n) = u32_at(p, &["initialDelaySeconds"]) {
        probe.initial_delay_seconds = n;
    }
    // The API server defaults a zero (or absent) timeout, period and thresholds,
    // so a 0 in a hand-written manifest means the default, not zero.
    let positive = |key: &str| u32_at(p, &[key]).filter(|&n| n > 0);
    if let Some(n) = positive("timeoutSeconds") {
        probe.timeout_seconds = n;
    }
    if let Some(n) = positive("periodSeconds") {
        probe.period_seconds = n;
    }
    if let Some(n) = positive("successThreshold") {
        probe.success_threshold = n;
    }
    if let Some(n) = positive("failureThreshold") {
        probe.failure_threshold = n;
    }
    probe.termination_grace_period_seconds = i64_at(p, &["terminationGracePeriodSeconds"]);
    Some(probe)
}

/// Merges `status.initContainerStatuses` / `status.containerStatuses` into the
/// spec's containers by name; a status without a spec entry still makes a container.
fn apply_statuses(containers: &mut Vec<Container>, v: &Value, label: &str, base: &Source) {
    for (key, init) in [
        ("initContainerStatuses", true),
        ("containerStatuses", false),
    ] {
        for (i, st) in array_at(v, &["status", key]).iter().enumerate() {
            let Some(name) = string_at(st, &["name"]) else {
                continue;
            };
            let idx = match containers
                .iter()
                .position(|c| c.name == name && c.init == init)
            {
                Some(idx) => idx,
                None => {
                    containers.push(Container {
                        name,
                        init,
                        ..Default::default()
                    });
                    containers.len() - 1
                }
            };
            let c = &mut containers[idx];
            c.ready = bool_at(st, &["ready"]);
            c.started = bool_at(st, &["started"]);
            c.restart_count = u32_at(st, &["restartCount"]);
            if c.image.is_none() {
                c.image = string_at(st, &["image"]);
            }
            c.state = at(st, &["state"]).and_then(container_state);
            c.last_state = at(st, &["lastState"]).and_then(container_state);
            // The status is what a diagnosis cites (exit codes, reasons), so it
            // becomes the container's source; probes keep citing the spec.
            c.source = Some(base.with_field(format!("{label} .status.{key}[{i}]")));
        }
    }
}

/// `state` / `lastState`; an empty object (a container that never terminated) is `None`.
fn container_state(s: &Value) -> Option<ContainerState> {
    let part = |k: &str| at(s, &[k]).filter(|v| v.is_object());
    if let Some(r) = part("running") {
        Some(ContainerState::Running {
            started: timeref_at(r, &["startedAt"]),
        })
    } else if let Some(w) = part("waiting") {
        Some(ContainerState::Waiting {
            reason: string_at(w, &["reason"]),
            message: string_at(w, &["message"]),
        })
    } else {
        part("terminated").map(|t| ContainerState::Terminated {
            reason: string_at(t, &["reason"]),
            message: string_at(t, &["message"]),
            exit_code: i64_at(t, &["exitCode"]).and_then(|n| i32::try_from(n).ok()),
            signal: i64_at(t, &["signal"]).and_then(|n| i32::try_from(n).ok()),
            started: timeref_at(t, &["startedAt"]),
            finished: timeref_at(t, &["finishedAt"]),
        })
    }
}
