//! The kubelet: starts the pods bound to its node after the start-up delay,
//! Running and Ready, or, for pods that crash-loop (see the module rules in
//! [`super`]), restarts their containers once per tick into
//! `CrashLoopBackOff`, with the events the kubelet writes.

use std::collections::{HashMap, HashSet};
use std::time::Instant;

use serde_json::{Value, json};

use super::nodes::{NodeInfo, find};
use super::scheduler::set_condition;
use super::{SimOptions, State, active, node_name, phase, pods, put};
use crate::app::Replay;
use crate::clock::format_time;
use crate::meta;

/// What a kubelet round does to one pod.
enum Action {
    Start,
    Crash,
}

/// One kubelet round over every node's pods.
pub(super) fn run(r: &Replay, nodes: &[NodeInfo], opts: &SimOptions, st: &mut State) {
    let all: Vec<_> = r.store.read(|v| {
        v.table(&pods())
            .filter(|(_, p)| active(p) && node_name(p).is_some())
            .map(|(_, p)| p.clone())
            .collect()
    });
    let present: HashSet<&str> = all.iter().map(|p| meta::uid(p)).collect();
    st.waiting_since.retain(|k, _| present.contains(k.as_str()));
    st.last_restart.retain(|k, _| present.contains(k.as_str()));
    let mut used_ips: HashMap<String, HashSet<String>> = HashMap::new();
    for p in &all {
        if let (Some(n), Some(ip)) = (node_name(p), meta::str_at(p, &["status", "podIP"])) {
            used_ips
                .entry(n.to_owned())
                .or_default()
                .insert(ip.to_owned());
        }
    }
    for pod in all {
        let uid = meta::uid(&pod).to_owned();
        let node_name = node_name(&pod).unwrap_or("").to_owned();
        let node = find(nodes, &node_name);
        let action = if phase(&pod) == "Pending" {
            if node.is_some_and(|n| n.bad) {
                st.crashing.insert(uid.clone());
            }
            let since = *st
                .waiting_since
                .entry(uid.clone())
                .or_insert_with(Instant::now);
            if since.elapsed() < opts.start_delay {
                continue;
            }
            st.waiting_since.remove(&uid);
            st.last_restart.insert(uid.clone(), Instant::now());
            if st.crashing.contains(&uid) {
                Action::Crash
            } else {
                Action::Start
            }
        } else if st.crashing.contains(&uid) {
            let last = st
                .last_restart
                .entry(uid.clone())
                .or_insert_with(Instant::now);
            if last.elapsed() < opts.tick {
                continue;
            }
            *last = Instant::now();
            Action::Crash
        } else {
            continue;
        };
        let mut new = (*pod).clone();
        assign_addresses(
            &mut new,
            node,
            used_ips.entry(node_name.clone()).or_default(),
            r,
        );
        match action {
            Action::Start => {
                start(&mut new, r);
                if put(r, &pods(), &pod, new.clone()) {
                    for c in containers(&new) {
                        let image = meta::str_at(c, &["image"]).unwrap_or("");
                        let name = meta::str_at(c, &["name"]).unwrap_or("");
                        let fp = format!("spec.containers{{{name}}}");
                        for (reason, msg) in [
                            (
                                "Pulled",
                                format!("Container image \"{image}\" already present on machine"),
                            ),
                            ("Created", format!("Created container {name}")),
                            ("Started", format!("Started container {name}")),
                        ] {
                            super::events::record(
                                r,
                                &new,
                                Some(&fp),
                                reason,
                                &msg,
                                "Normal",
                                ("kubelet", Some(&node_name)),
                            );
                        }
                    }
                }
            }
            Action::Crash => {
                crash(&mut new, r, opts);
                if put(r, &pods(), &pod, new.clone()) {
                    crash_events(r, &new, &node_name);
                }
            }
        }
    }
}

fn containers(pod: &Value) -> impl Iterator<Item = &Value> {
    meta::at(pod, &["spec", "containers"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
}

/// A containerd container ID.
fn container_id() -> String {
    let hex: String = (0..2)
        .map(|_| crate::ids::new_uid().replace('-', ""))
        .collect();
    format!("containerd://{hex}")
}

/// hostIP, podIP (a free address of the node's pod CIDR) and startTime, if
/// the pod has none yet.
fn assign_addresses(
    pod: &mut Value,
    node: Option<&NodeInfo>,
    used: &mut HashSet<String>,
    r: &Replay,
) {
    if !pod.get("status").is_some_and(Value::is_object) {
        pod["status"] = json!({});
    }
    let s = &mut pod["status"];
    if s.get("startTime").is_none() {
        s["startTime"] = json!(r.clock.now_rfc3339());
    }
    if let Some(ip) = node.and_then(|n| n.internal_ip.as_deref())
        && s.get("hostIP").is_none()
    {
        s["hostIP"] = json!(ip);
        s["hostIPs"] = json!([{"ip": ip}]);
    }
    if s.get("podIP").is_some() {
        return;
    }
    let Some(prefix) = node
        .and_then(|n| n.pod_cidr.as_deref())
        .and_then(|c| c.split('/').next())
        .and_then(|a| a.rsplit_once('.'))
        .map(|(p, _)| p.to_owned())
    else {
        return;
    };
    if let Some(ip) = (2..=254)
        .map(|n| format!("{prefix}.{n}"))
        .find(|ip| !used.contains(ip))
    {
        used.insert(ip.clone());
        s["podIP"] = json!(ip);
        s["podIPs"] = json!([{"ip": ip}]);
    }
}

fn pod_conditions(pod: &mut Value, ready: bool, now: &str) {
    let not_ready = |ty: &str| {
        let names: Vec<&str> = containers(pod)
            .filter_map(|c| c.get("name").and_then(Value::as_str))
            .collect();
        json!({"type": ty, "status": "False", "lastProbeTime": null, "reason": "ContainersNotReady",
               "message": format!("containers with unready status: [{}]", names.join(" "))})
    };
    let conds = if ready {
        vec![
            json!({"type": "Ready", "status": "True", "lastProbeTime": null}),
            json!({"type": "ContainersReady", "status": "True", "lastProbeTime": null}),
        ]
    } else {
        vec![not_ready("Ready"), not_ready("ContainersReady")]
    };
    for ty in ["Initialized", "PodScheduled"] {
        set_condition(
            pod,
            json!({"type": ty, "status": "True", "lastProbeTime": null}),
            now,
        );
    }
    for c in conds {
        set_condition(pod, c, now);
    }
}

/// The pod, Running and Ready.
fn start(pod: &mut Value, r: &Replay) {
    let now = r.clock.now_rfc3339();
    let statuses: Vec<Value> = containers(pod)
        .map(|c| {
            json!({
                "name": c.get("name"), "image": c.get("image"), "imageID": c.get("image"),
                "containerID": container_id(), "ready": true, "started": true,
                "restartCount": 0, "state": {"running": {"startedAt": now}}, "lastState": {},
            })
        })
        .collect();
    pod["status"]["phase"] = json!("Running");
    pod["status"]["containerStatuses"] = json!(statuses);
    pod_conditions(pod, true, &now);
}

/// The kubelet's back-off after `restarts` restarts: 10s doubling to 5m.
fn back_off(restarts: i64) -> String {
    let secs = 10u64 << restarts.clamp(1, 6).saturating_sub(1) as u32;
    let secs = secs.min(300);
    if secs < 60 {
        format!("{secs}s")
    } else {
        format!("{}m{}s", secs / 60, secs % 60)
    }
}

/// The pod after one more crash of every container.
fn crash(pod: &mut Value, r: &Replay, opts: &SimOptions) {
    let now = r.clock.now();
    let now_s = format_time(now);
    let started = now
        .checked_sub(jiff::SignedDuration::try_from(opts.tick).unwrap_or_default())
        .map_or_else(|_| now_s.clone(), format_time);
    let (name, ns, uid) = (
        meta::name(pod).to_owned(),
        meta::namespace(pod).to_owned(),
        meta::uid(pod).to_owned(),
    );
    let old: Vec<Value> = meta::at(pod, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let statuses: Vec<Value> = containers(pod)
        .map(|c| {
            let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
            let prev = old
                .iter()
                .find(|o| o.get("name").and_then(Value::as_str) == Some(cname));
            let restarts = prev
                .and_then(|p| p.get("restartCount"))
                .and_then(Value::as_i64)
                .unwrap_or(0)
                + 1;
            let term = prev.and_then(|p| meta::at(p, &["lastState", "terminated"]));
            // Each run lasts as long as the snapshot's last one did (a
            // liveness kill ~30 s in stays ~30 s in), not as long as a tick:
            // how long a container lives before it dies is evidence.
            let started = term
                .and_then(|t| {
                    let at = |k: &str| meta::str_at(t, &[k])?.parse::<jiff::Timestamp>().ok();
                    let ran = at("finishedAt")?.duration_since(at("startedAt")?);
                    (ran.is_positive())
                        .then(|| now.checked_sub(ran).ok())
                        .flatten()
                })
                .map_or_else(|| started.clone(), format_time);
            let id = container_id();
            json!({
                "name": cname, "image": c.get("image"), "imageID": c.get("image"),
                "containerID": id, "ready": false, "started": false, "restartCount": restarts,
                "state": {"waiting": {"reason": "CrashLoopBackOff", "message": format!(
                    "back-off {} restarting failed container={cname} pod={name}_{ns}({uid})",
                    back_off(restarts))}},
                "lastState": {"terminated": {
                    "exitCode": term.and_then(|t| t.get("exitCode")).cloned().unwrap_or(json!(137)),
                    "reason": term.and_then(|t| t.get("reason")).cloned().unwrap_or(json!("Error")),
                    "startedAt": started, "finishedAt": now_s, "containerID": id,
                }},
            })
        })
        .collect();
    pod["status"]["phase"] = json!("Running");
    pod["status"]["containerStatuses"] = json!(statuses);
    pod_conditions(pod, false, &now_s);
}

/// What the liveness probe failure of container `c` says.
fn liveness_failure(pod: &Value, c: &Value) -> String {
    let ip = meta::str_at(pod, &["status", "podIP"]).unwrap_or("127.0.0.1");
    let probe = c.get("livenessProbe");
    let port = |p: &Value| -> String {
        match p {
            Value::String(named) => c
                .get("ports")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .find(|x| x.get("name").and_then(Value::as_str) == Some(named))
                .and_then(|x| x.get("containerPort"))
                .map_or_else(|| named.clone(), ToString::to_string),
            other => other.to_string(),
        }
    };
    if let Some(h) = probe.and_then(|p| p.get("httpGet")) {
        let scheme = h
            .get("scheme")
            .and_then(Value::as_str)
            .unwrap_or("HTTP")
            .to_lowercase();
        let path = h.get("path").and_then(Value::as_str).unwrap_or("/");
        format!(
            "Liveness probe failed: Get \"{scheme}://{ip}:{}{path}\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            port(h.get("port").unwrap_or(&Value::Null))
        )
    } else if let Some(t) = probe.and_then(|p| p.get("tcpSocket")) {
        format!(
            "Liveness probe failed: dial tcp {ip}:{}: i/o timeout",
            port(t.get("port").unwrap_or(&Value::Null))
        )
    } else {
        "Liveness probe failed: context deadline exceeded".into()
    }
}

/// The events of one crash: the failed probe, the kill, the back-off.
fn crash_events(r: &Replay, pod: &Value, node: &str) {
    let (name, ns, uid) = (meta::name(pod), meta::namespace(pod), meta::uid(pod));
    for c in containers(pod) {
        let cname = c.get("name").and_then(Value::as_str).unwrap_or("");
        let fp = format!("spec.containers{{{cname}}}");
        let src = ("kubelet", Some(node));
        super::events::record(
            r,
            pod,
            Some(&fp),
            "Unhealthy",
            &liveness_failure(pod, c),
            "Warning",
            src,
        );
        super::events::record(
            r,
            pod,
            Some(&fp),
            "Killing",
            &format!("Container {cname} failed liveness probe, will be restarted"),
            "Normal",
            src,
        );
        super::events::record(
            r,
            pod,
            Some(&fp),
            "BackOff",
            &format!("Back-off restarting failed container {cname} in pod {name}_{ns}({uid})"),
            "Warning",
            src,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_doubles_to_five_minutes() {
        assert_eq!(back_off(1), "10s");
        assert_eq!(back_off(2), "20s");
        assert_eq!(back_off(5), "2m40s");
        assert_eq!(back_off(23), "5m0s");
    }

    #[test]
    fn liveness_messages_resolve_named_ports() {
        let pod = json!({"status": {"podIP": "10.0.0.5"}});
        let c = json!({"ports": [{"name": "probes", "containerPort": 8080}],
                       "livenessProbe": {"httpGet": {"path": "/health", "port": "probes"}}});
        assert_eq!(
            liveness_failure(&pod, &c),
            "Liveness probe failed: Get \"http://10.0.0.5:8080/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"
        );
    }
}
