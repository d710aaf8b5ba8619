//! Server-side `Table`s, with the columns kubectl prints for each kind.
//!
//! Built-in kinds follow kube-apiserver's printers (`pkg/printers/internalversion`);
//! Knative kinds follow their CRDs' `additionalPrinterColumns` (which a dump
//! does not carry); every other kind gets NAME and AGE, as a CRD without
//! printer columns does. Columns of priority 1 are the `-o wide` ones.

use jiff::Timestamp;
use serde_json::{Value, json};
use unloop_core::evidence::time::human_duration;

use crate::meta::{self, at, str_at};
use crate::resources::ResourceInfo;
use crate::selectors::selector_string;

/// What a cell is computed from besides the object.
pub struct Ctx {
    pub now: Timestamp,
}

type Cell = fn(&Value, &Ctx) -> Value;

/// One column.
struct Col {
    name: &'static str,
    ty: &'static str,
    priority: u8,
    cell: Cell,
}

const fn col(name: &'static str, ty: &'static str, priority: u8, cell: Cell) -> Col {
    Col {
        name,
        ty,
        priority,
        cell,
    }
}

/// What each row carries besides its cells (`includeObject`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    None,
    Metadata,
    Object,
}

impl Include {
    /// From the `includeObject` parameter (default `Metadata`).
    pub fn parse(v: Option<&str>) -> Include {
        match v {
            Some("None") => Include::None,
            Some("Object") => Include::Object,
            _ => Include::Metadata,
        }
    }
}

fn name(o: &Value, _: &Ctx) -> Value {
    json!(meta::name(o))
}

/// kubectl's age of a timestamp: `HumanDuration` since it, `<unknown>` without one.
fn since(t: Option<&str>, ctx: &Ctx) -> Value {
    match t.and_then(|s| s.parse::<Timestamp>().ok()) {
        Some(t) => {
            let secs = (ctx.now.as_second() - t.as_second()).max(0) as u64;
            json!(human_duration(std::time::Duration::from_secs(secs)))
        }
        None => json!("<unknown>"),
    }
}

fn age(o: &Value, ctx: &Ctx) -> Value {
    since(str_at(o, &["metadata", "creationTimestamp"]), ctx)
}

fn or_none(s: Option<&str>) -> Value {
    json!(s.filter(|s| !s.is_empty()).unwrap_or("<none>"))
}

fn int_at(o: &Value, path: &[&str]) -> i64 {
    at(o, path).and_then(Value::as_i64).unwrap_or(0)
}

fn containers(o: &Value, path: &[&str]) -> Vec<Value> {
    at(o, path)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

fn container_names(o: &Value, path: &[&str]) -> Value {
    let names: Vec<String> = containers(o, path)
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect();
    json!(names.join(","))
}

fn container_images(o: &Value, path: &[&str]) -> Value {
    let images: Vec<String> = containers(o, path)
        .iter()
        .filter_map(|c| c.get("image").and_then(Value::as_str).map(str::to_owned))
        .collect();
    json!(images.join(","))
}

fn selector(o: &Value) -> Value {
    match at(o, &["spec", "selector"]) {
        Some(s) => {
            let text = selector_string(s);
            json!(if text.is_empty() {
                "<none>".to_owned()
            } else {
                text
            })
        }
        None => json!("<none>"),
    }
}

/// The status and reason of a condition of `type`.
fn condition<'a>(o: &'a Value, ty: &str) -> Option<&'a Value> {
    at(o, &["status", "conditions"])?
        .as_array()?
        .iter()
        .find(|c| c.get("type").and_then(Value::as_str) == Some(ty))
}

fn cond_field(o: &Value, ty: &str, field: &str) -> Value {
    json!(
        condition(o, ty)
            .and_then(|c| c.get(field))
            .and_then(Value::as_str)
            .unwrap_or("")
    )
}

// ---- pods -------------------------------------------------------------------

/// READY, STATUS, RESTARTS as kubectl's `printPod` computes them.
fn pod_summary(o: &Value, ctx: &Ctx) -> (String, String, String) {
    let total = containers(o, &["spec", "containers"]).len();
    let mut restarts = 0i64;
    let mut ready = 0usize;
    let mut last_restart: Option<Timestamp> = None;
    let mut reason = str_at(o, &["status", "reason"])
        .filter(|r| !r.is_empty())
        .or_else(|| str_at(o, &["status", "phase"]))
        .unwrap_or("")
        .to_owned();
    let mut note_restart = |c: &Value, restarts: &mut i64| {
        *restarts += c.get("restartCount").and_then(Value::as_i64).unwrap_or(0);
        if let Some(t) = str_at(c, &["lastState", "terminated", "finishedAt"])
            .and_then(|s| s.parse::<Timestamp>().ok())
        {
            last_restart = Some(last_restart.map_or(t, |l| l.max(t)));
        }
    };
    let init_statuses = containers(o, &["status", "initContainerStatuses"]);
    let init_total = containers(o, &["spec", "initContainers"]).len();
    let mut initializing = false;
    for (i, c) in init_statuses.iter().enumerate() {
        note_restart(c, &mut restarts);
        let term = at(c, &["state", "terminated"]);
        if term.and_then(|t| t.get("exitCode")).and_then(Value::as_i64) == Some(0) {
            continue;
        }
        initializing = true;
        if let Some(t) = term {
            reason = match t
                .get("reason")
                .and_then(Value::as_str)
                .filter(|r| !r.is_empty())
            {
                Some(r) => format!("Init:{r}"),
                None => match t.get("signal").and_then(Value::as_i64).filter(|s| *s != 0) {
                    Some(s) => format!("Init:Signal:{s}"),
                    None => format!(
                        "Init:ExitCode:{}",
                        t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                    ),
                },
            };
        } else if let Some(w) = str_at(c, &["state", "waiting", "reason"])
            .filter(|r| !r.is_empty() && *r != "PodInitializing")
        {
            reason = format!("Init:{w}");
        } else {
            reason = format!("Init:{i}/{init_total}");
        }
        break;
    }
    let initialized = condition(o, "Initialized")
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
        == Some("True");
    if !initializing || initialized {
        let mut has_running = false;
        for c in containers(o, &["status", "containerStatuses"]).iter().rev() {
            note_restart(c, &mut restarts);
            if let Some(w) = str_at(c, &["state", "waiting", "reason"]).filter(|r| !r.is_empty()) {
                reason = w.to_owned();
            } else if let Some(t) = at(c, &["state", "terminated"]) {
                reason = match t
                    .get("reason")
                    .and_then(Value::as_str)
                    .filter(|r| !r.is_empty())
                {
                    Some(r) => r.to_owned(),
                    None => match t.get("signal").and_then(Value::as_i64).filter(|s| *s != 0) {
                        Some(s) => format!("Signal:{s}"),
                        None => format!(
                            "ExitCode:{}",
                            t.get("exitCode").and_then(Value::as_i64).unwrap_or(0)
                        ),
                    },
                };
            } else if c.get("ready").and_then(Value::as_bool) == Some(true)
                && at(c, &["state", "running"]).is_some()
            {
                has_running = true;
                ready += 1;
            }
        }
        if reason == "Completed" && has_running {
            let pod_ready = condition(o, "Ready")
                .and_then(|c| c.get("status"))
                .and_then(Value::as_str)
                == Some("True");
            reason = if pod_ready { "Running" } else { "NotReady" }.into();
        }
    }
    if at(o, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null()) {
        reason = if str_at(o, &["status", "reason"]) == Some("NodeLost") {
            "Unknown".into()
        } else {
            "Terminating".into()
        };
    }
    let restarts_text = match last_restart {
        Some(t) => {
            let secs = (ctx.now.as_second() - t.as_second()).max(0) as u64;
            format!(
                "{restarts} ({} ago)",
                human_duration(std::time::Duration::from_secs(secs))
            )
        }
        None => restarts.to_string(),
    };
    (format!("{ready}/{total}"), reason, restarts_text)
}

fn pod_ready(o: &Value, c: &Ctx) -> Value {
    json!(pod_summary(o, c).0)
}
fn pod_status(o: &Value, c: &Ctx) -> Value {
    json!(pod_summary(o, c).1)
}
fn pod_restarts(o: &Value, c: &Ctx) -> Value {
    json!(pod_summary(o, c).2)
}
fn pod_ip(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(o, &["status", "podIP"]))
}
fn pod_node(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(o, &["spec", "nodeName"]))
}
fn pod_nominated(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(o, &["status", "nominatedNodeName"]))
}
fn pod_gates(o: &Value, _: &Ctx) -> Value {
    let gates = containers(o, &["spec", "readinessGates"]);
    if gates.is_empty() {
        return json!("<none>");
    }
    let ok = gates
        .iter()
        .filter(|g| {
            let ty = g.get("conditionType").and_then(Value::as_str).unwrap_or("");
            condition(o, ty)
                .and_then(|c| c.get("status"))
                .and_then(Value::as_str)
                == Some("True")
        })
        .count();
    json!(format!("{ok}/{}", gates.len()))
}

const POD: &[Col] = &[
    col("Name", "string", 0, name),
    col("Ready", "string", 0, pod_ready),
    col("Status", "string", 0, pod_status),
    col("Restarts", "string", 0, pod_restarts),
    col("Age", "string", 0, age),
    col("IP", "string", 1, pod_ip),
    col("Node", "string", 1, pod_node),
    col("Nominated Node", "string", 1, pod_nominated),
    col("Readiness Gates", "string", 1, pod_gates),
];

// ---- nodes ------------------------------------------------------------------

fn node_status(o: &Value, _: &Ctx) -> Value {
    let mut s = match condition(o, "Ready")
        .and_then(|c| c.get("status"))
        .and_then(Value::as_str)
    {
        Some("True") => "Ready".to_owned(),
        Some("False") => "NotReady".to_owned(),
        _ => "Unknown".to_owned(),
    };
    if at(o, &["spec", "unschedulable"]).and_then(Value::as_bool) == Some(true) {
        s.push_str(",SchedulingDisabled");
    }
    json!(s)
}
fn node_roles(o: &Value, _: &Ctx) -> Value {
    let mut roles: Vec<String> = meta::labels(o)
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| {
            if let Some(r) = k.strip_prefix("node-role.kubernetes.io/") {
                Some(r.to_owned())
            } else if k == "kubernetes.io/role" {
                v.as_str().map(str::to_owned)
            } else {
                None
            }
        })
        .filter(|r| !r.is_empty())
        .collect();
    roles.sort();
    roles.dedup();
    json!(if roles.is_empty() {
        "<none>".to_owned()
    } else {
        roles.join(",")
    })
}
fn node_version(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "nodeInfo", "kubeletVersion"]).unwrap_or(""))
}
fn node_address(o: &Value, ty: &str) -> Value {
    let addr = containers(o, &["status", "addresses"])
        .iter()
        .find(|a| a.get("type").and_then(Value::as_str) == Some(ty))
        .and_then(|a| a.get("address").and_then(Value::as_str).map(str::to_owned));
    or_none(addr.as_deref())
}
fn node_internal(o: &Value, _: &Ctx) -> Value {
    node_address(o, "InternalIP")
}
fn node_external(o: &Value, _: &Ctx) -> Value {
    node_address(o, "ExternalIP")
}
fn node_os(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(o, &["status", "nodeInfo", "osImage"]))
}
fn node_kernel(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(o, &["status", "nodeInfo", "kernelVersion"]))
}
fn node_runtime(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(
        o,
        &["status", "nodeInfo", "containerRuntimeVersion"],
    ))
}

const NODE: &[Col] = &[
    col("Name", "string", 0, name),
    col("Status", "string", 0, node_status),
    col("Roles", "string", 0, node_roles),
    col("Age", "string", 0, age),
    col("Version", "string", 0, node_version),
    col("Internal-IP", "string", 1, node_internal),
    col("External-IP", "string", 1, node_external),
    col("OS-Image", "string", 1, node_os),
    col("Kernel-Version", "string", 1, node_kernel),
    col("Container-Runtime", "string", 1, node_runtime),
];

// ---- events -----------------------------------------------------------------

fn ev_last(o: &Value, c: &Ctx) -> Value {
    let t = str_at(o, &["lastTimestamp"])
        .or_else(|| str_at(o, &["series", "lastObservedTime"]))
        .or_else(|| str_at(o, &["eventTime"]));
    since(t, c)
}
fn ev_first(o: &Value, c: &Ctx) -> Value {
    since(
        str_at(o, &["firstTimestamp"]).or_else(|| str_at(o, &["eventTime"])),
        c,
    )
}
fn ev_type(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["type"]).unwrap_or(""))
}
fn ev_reason(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["reason"]).unwrap_or(""))
}
fn ev_object(o: &Value, _: &Ctx) -> Value {
    let kind = str_at(o, &["involvedObject", "kind"])
        .unwrap_or("")
        .to_ascii_lowercase();
    json!(format!(
        "{kind}/{}",
        str_at(o, &["involvedObject", "name"]).unwrap_or("")
    ))
}
fn ev_subobject(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["involvedObject", "fieldPath"]).unwrap_or(""))
}
fn ev_source(o: &Value, _: &Ctx) -> Value {
    let comp = str_at(o, &["source", "component"])
        .filter(|s| !s.is_empty())
        .or_else(|| str_at(o, &["reportingComponent"]))
        .unwrap_or("");
    match str_at(o, &["source", "host"]).filter(|h| !h.is_empty()) {
        Some(h) => json!(format!("{comp}, {h}")),
        None => json!(comp),
    }
}
fn ev_message(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["message"]).unwrap_or("").trim())
}
fn ev_count(o: &Value, _: &Ctx) -> Value {
    let n = at(o, &["series", "count"])
        .and_then(Value::as_i64)
        .or_else(|| o.get("count").and_then(Value::as_i64))
        .unwrap_or(1);
    json!(n)
}

const EVENT: &[Col] = &[
    col("Last Seen", "string", 0, ev_last),
    col("Type", "string", 0, ev_type),
    col("Reason", "string", 0, ev_reason),
    col("Object", "string", 0, ev_object),
    col("Subobject", "string", 1, ev_subobject),
    col("Source", "string", 1, ev_source),
    col("Message", "string", 0, ev_message),
    col("First Seen", "string", 1, ev_first),
    col("Count", "string", 1, ev_count),
    col("Name", "string", 1, name),
];

// ---- workloads --------------------------------------------------------------

fn replicas(o: &Value) -> i64 {
    at(o, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .unwrap_or(1)
}
fn deploy_ready(o: &Value, _: &Ctx) -> Value {
    json!(format!(
        "{}/{}",
        int_at(o, &["status", "readyReplicas"]),
        replicas(o)
    ))
}
fn deploy_updated(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "updatedReplicas"]))
}
fn deploy_available(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "availableReplicas"]))
}
fn tpl_containers(o: &Value, _: &Ctx) -> Value {
    container_names(o, &["spec", "template", "spec", "containers"])
}
fn tpl_images(o: &Value, _: &Ctx) -> Value {
    container_images(o, &["spec", "template", "spec", "containers"])
}
fn spec_selector(o: &Value, _: &Ctx) -> Value {
    selector(o)
}

const DEPLOYMENT: &[Col] = &[
    col("Name", "string", 0, name),
    col("Ready", "string", 0, deploy_ready),
    col("Up-to-date", "integer", 0, deploy_updated),
    col("Available", "integer", 0, deploy_available),
    col("Age", "string", 0, age),
    col("Containers", "string", 1, tpl_containers),
    col("Images", "string", 1, tpl_images),
    col("Selector", "string", 1, spec_selector),
];

fn rs_desired(o: &Value, _: &Ctx) -> Value {
    json!(replicas(o))
}
fn rs_current(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "replicas"]))
}
fn rs_ready(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "readyReplicas"]))
}

const REPLICASET: &[Col] = &[
    col("Name", "string", 0, name),
    col("Desired", "integer", 0, rs_desired),
    col("Current", "integer", 0, rs_current),
    col("Ready", "integer", 0, rs_ready),
    col("Age", "string", 0, age),
    col("Containers", "string", 1, tpl_containers),
    col("Images", "string", 1, tpl_images),
    col("Selector", "string", 1, spec_selector),
];

const STATEFULSET: &[Col] = &[
    col("Name", "string", 0, name),
    col("Ready", "string", 0, deploy_ready),
    col("Age", "string", 0, age),
    col("Containers", "string", 1, tpl_containers),
    col("Images", "string", 1, tpl_images),
];

fn ds_desired(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "desiredNumberScheduled"]))
}
fn ds_current(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "currentNumberScheduled"]))
}
fn ds_ready(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "numberReady"]))
}
fn ds_updated(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "updatedNumberScheduled"]))
}
fn ds_available(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "numberAvailable"]))
}
fn ds_node_selector(o: &Value, _: &Ctx) -> Value {
    let sel = at(o, &["spec", "template", "spec", "nodeSelector"]).and_then(Value::as_object);
    let parts: Vec<String> = sel
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    json!(if parts.is_empty() {
        "<none>".to_owned()
    } else {
        parts.join(",")
    })
}

const DAEMONSET: &[Col] = &[
    col("Name", "string", 0, name),
    col("Desired", "integer", 0, ds_desired),
    col("Current", "integer", 0, ds_current),
    col("Ready", "integer", 0, ds_ready),
    col("Up-to-date", "integer", 0, ds_updated),
    col("Available", "integer", 0, ds_available),
    col("Node Selector", "string", 0, ds_node_selector),
    col("Age", "string", 0, age),
    col("Containers", "string", 1, tpl_containers),
    col("Images", "string", 1, tpl_images),
    col("Selector", "string", 1, spec_selector),
];

// ---- other built-ins ---------------------------------------------------------

fn lease_holder(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["spec", "holderIdentity"]).unwrap_or(""))
}

const LEASE: &[Col] = &[
    col("Name", "string", 0, name),
    col("Holder", "string", 0, lease_holder),
    col("Age", "string", 0, age),
];

fn ns_status(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "phase"]).unwrap_or(""))
}

const NAMESPACE: &[Col] = &[
    col("Name", "string", 0, name),
    col("Status", "string", 0, ns_status),
    col("Age", "string", 0, age),
];

fn cm_data(o: &Value, _: &Ctx) -> Value {
    let n = o
        .get("data")
        .and_then(Value::as_object)
        .map_or(0, |d| d.len())
        + o.get("binaryData")
            .and_then(Value::as_object)
            .map_or(0, |d| d.len());
    json!(n)
}

const CONFIGMAP: &[Col] = &[
    col("Name", "string", 0, name),
    col("Data", "integer", 0, cm_data),
    col("Age", "string", 0, age),
];

fn svc_type(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["spec", "type"]).unwrap_or("ClusterIP"))
}
fn svc_cluster_ip(o: &Value, _: &Ctx) -> Value {
    or_none(str_at(o, &["spec", "clusterIP"]))
}
fn svc_external_ip(o: &Value, _: &Ctx) -> Value {
    if let Some(name) = str_at(o, &["spec", "externalName"]) {
        return json!(name);
    }
    let lb: Vec<String> = containers(o, &["status", "loadBalancer", "ingress"])
        .iter()
        .filter_map(|i| {
            i.get("ip")
                .or_else(|| i.get("hostname"))
                .and_then(Value::as_str)
                .map(str::to_owned)
        })
        .collect();
    if !lb.is_empty() {
        return json!(lb.join(","));
    }
    if str_at(o, &["spec", "type"]) == Some("LoadBalancer") {
        return json!("<pending>");
    }
    json!("<none>")
}
fn svc_ports(o: &Value, _: &Ctx) -> Value {
    let ports: Vec<String> = containers(o, &["spec", "ports"])
        .iter()
        .map(|p| {
            let port = p.get("port").and_then(Value::as_i64).unwrap_or(0);
            let proto = p.get("protocol").and_then(Value::as_str).unwrap_or("TCP");
            match p.get("nodePort").and_then(Value::as_i64) {
                Some(np) => format!("{port}:{np}/{proto}"),
                None => format!("{port}/{proto}"),
            }
        })
        .collect();
    json!(if ports.is_empty() {
        "<none>".to_owned()
    } else {
        ports.join(",")
    })
}
fn svc_selector(o: &Value, _: &Ctx) -> Value {
    let parts: Vec<String> = at(o, &["spec", "selector"])
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    json!(if parts.is_empty() {
        "<none>".to_owned()
    } else {
        parts.join(",")
    })
}

const SERVICE: &[Col] = &[
    col("Name", "string", 0, name),
    col("Type", "string", 0, svc_type),
    col("Cluster-IP", "string", 0, svc_cluster_ip),
    col("External-IP", "string", 0, svc_external_ip),
    col("Port(s)", "string", 0, svc_ports),
    col("Age", "string", 0, age),
    col("Selector", "string", 1, svc_selector),
];

fn pdb_min(o: &Value, _: &Ctx) -> Value {
    match at(o, &["spec", "minAvailable"]) {
        Some(v) if !v.is_null() => json!(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        _ => json!("N/A"),
    }
}
fn pdb_max(o: &Value, _: &Ctx) -> Value {
    match at(o, &["spec", "maxUnavailable"]) {
        Some(v) if !v.is_null() => json!(v.as_str().map_or_else(|| v.to_string(), str::to_owned)),
        _ => json!("N/A"),
    }
}
fn pdb_allowed(o: &Value, _: &Ctx) -> Value {
    json!(int_at(o, &["status", "disruptionsAllowed"]))
}

const PDB: &[Col] = &[
    col("Name", "string", 0, name),
    col("Min Available", "string", 0, pdb_min),
    col("Max Unavailable", "string", 0, pdb_max),
    col("Allowed Disruptions", "integer", 0, pdb_allowed),
    col("Age", "string", 0, age),
];

// ---- Knative ----------------------------------------------------------------

fn ready(o: &Value, _: &Ctx) -> Value {
    cond_field(o, "Ready", "status")
}
fn ready_reason(o: &Value, _: &Ctx) -> Value {
    cond_field(o, "Ready", "reason")
}
fn label(o: &Value, key: &str) -> Value {
    json!(
        meta::labels(o)
            .and_then(|l| l.get(key))
            .and_then(Value::as_str)
            .unwrap_or("")
    )
}
fn rev_config(o: &Value, _: &Ctx) -> Value {
    label(o, "serving.knative.dev/configuration")
}
fn rev_generation(o: &Value, _: &Ctx) -> Value {
    label(o, "serving.knative.dev/configurationGeneration")
}
fn opt_int(o: &Value, path: &[&str]) -> Value {
    at(o, path)
        .and_then(Value::as_i64)
        .map_or(Value::Null, |n| json!(n))
}
fn rev_actual(o: &Value, _: &Ctx) -> Value {
    opt_int(o, &["status", "actualReplicas"])
}
fn rev_desired(o: &Value, _: &Ctx) -> Value {
    opt_int(o, &["status", "desiredReplicas"])
}
fn url(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "url"]).unwrap_or(""))
}
fn latest_created(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "latestCreatedRevisionName"]).unwrap_or(""))
}
fn latest_ready(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "latestReadyRevisionName"]).unwrap_or(""))
}
fn sks_mode(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["spec", "mode"]).unwrap_or(""))
}
fn sks_activators(o: &Value, _: &Ctx) -> Value {
    opt_int(o, &["spec", "numActivators"])
}
fn sks_service(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "serviceName"]).unwrap_or(""))
}
fn sks_private(o: &Value, _: &Ctx) -> Value {
    json!(str_at(o, &["status", "privateServiceName"]).unwrap_or(""))
}
fn pa_desired(o: &Value, _: &Ctx) -> Value {
    opt_int(o, &["status", "desiredScale"])
}
fn pa_actual(o: &Value, _: &Ctx) -> Value {
    opt_int(o, &["status", "actualScale"])
}

const REVISION: &[Col] = &[
    col("Name", "string", 0, name),
    col("Config Name", "string", 0, rev_config),
    col("Generation", "string", 0, rev_generation),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
    col("Actual Replicas", "integer", 0, rev_actual),
    col("Desired Replicas", "integer", 0, rev_desired),
];
const CONFIGURATION: &[Col] = &[
    col("Name", "string", 0, name),
    col("LatestCreated", "string", 0, latest_created),
    col("LatestReady", "string", 0, latest_ready),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
];
const ROUTE: &[Col] = &[
    col("Name", "string", 0, name),
    col("URL", "string", 0, url),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
];
const KSERVICE: &[Col] = &[
    col("Name", "string", 0, name),
    col("URL", "string", 0, url),
    col("LatestCreated", "string", 0, latest_created),
    col("LatestReady", "string", 0, latest_ready),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
];
const KINGRESS: &[Col] = &[
    col("Name", "string", 0, name),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
];
const SKS: &[Col] = &[
    col("Name", "string", 0, name),
    col("Mode", "string", 0, sks_mode),
    col("Activators", "integer", 0, sks_activators),
    col("ServiceName", "string", 0, sks_service),
    col("PrivateServiceName", "string", 0, sks_private),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
];
const PODAUTOSCALER: &[Col] = &[
    col("Name", "string", 0, name),
    col("DesiredScale", "integer", 0, pa_desired),
    col("ActualScale", "integer", 0, pa_actual),
    col("Ready", "string", 0, ready),
    col("Reason", "string", 0, ready_reason),
];

const DEFAULT: &[Col] = &[col("Name", "string", 0, name), col("Age", "date", 0, age)];

fn columns(r: &ResourceInfo) -> &'static [Col] {
    match (r.group.as_str(), r.plural.as_str()) {
        ("", "pods") => POD,
        ("", "nodes") => NODE,
        ("", "events") => EVENT,
        ("", "namespaces") => NAMESPACE,
        ("", "configmaps") => CONFIGMAP,
        ("", "services") => SERVICE,
        ("apps", "deployments") => DEPLOYMENT,
        ("apps", "replicasets") => REPLICASET,
        ("apps", "statefulsets") => STATEFULSET,
        ("apps", "daemonsets") => DAEMONSET,
        ("coordination.k8s.io", "leases") => LEASE,
        ("policy", "poddisruptionbudgets") => PDB,
        ("serving.knative.dev", "revisions") => REVISION,
        ("serving.knative.dev", "configurations") => CONFIGURATION,
        ("serving.knative.dev", "routes") => ROUTE,
        ("serving.knative.dev", "services") => KSERVICE,
        ("networking.internal.knative.dev", "ingresses") => KINGRESS,
        ("networking.internal.knative.dev", "serverlessservices") => SKS,
        ("autoscaling.internal.knative.dev", "podautoscalers") => PODAUTOSCALER,
        _ => DEFAULT,
    }
}

/// The column definitions for a resource.
pub fn column_definitions(r: &ResourceInfo) -> Value {
    let defs: Vec<Value> = columns(r)
        .iter()
        .map(|c| {
            json!({
                "name": c.name,
                "type": c.ty,
                "format": if c.name == "Name" { "name" } else { "" },
                "description": "",
                "priority": c.priority,
            })
        })
        .collect();
    json!(defs)
}

/// One row.
pub fn row(r: &ResourceInfo, obj: &Value, include: Include, ctx: &Ctx) -> Value {
    let cells: Vec<Value> = columns(r).iter().map(|c| (c.cell)(obj, ctx)).collect();
    let mut row = json!({"cells": cells});
    match include {
        Include::None => {}
        Include::Metadata => row["object"] = meta::partial(obj),
        Include::Object => row["object"] = obj.clone(),
    }
    row
}

/// A `Table` of `objs`, with `list_meta` as its metadata; column definitions
/// are left out when `with_columns` is false (watch events after the first).
pub fn table<'a>(
    r: &ResourceInfo,
    objs: impl IntoIterator<Item = &'a Value>,
    include: Include,
    ctx: &Ctx,
    list_meta: Value,
    with_columns: bool,
) -> Value {
    let rows: Vec<Value> = objs.into_iter().map(|o| row(r, o, include, ctx)).collect();
    json!({
        "kind": "Table",
        "apiVersion": "meta.k8s.io/v1",
        "metadata": list_meta,
        "columnDefinitions": if with_columns { column_definitions(r) } else { json!([]) },
        "rows": rows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ctx() -> Ctx {
        Ctx {
            now: "2024-04-12T10:05:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn crash_looping_pod_row() {
        let pod = json!({
            "metadata": {"name": "p", "creationTimestamp": "2024-04-12T08:05:00Z"},
            "spec": {"containers": [{"name": "c"}], "nodeName": "n1"},
            "status": {"phase": "Running", "podIP": "10.0.0.1", "containerStatuses": [{
                "name": "c", "ready": false, "restartCount": 23,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
                "lastState": {"terminated": {"exitCode": 1, "finishedAt": "2024-04-12T10:02:50Z"}}}]}
        });
        let (ready, status, restarts) = pod_summary(&pod, &ctx());
        assert_eq!(
            (ready.as_str(), status.as_str(), restarts.as_str()),
            ("0/1", "CrashLoopBackOff", "23 (2m10s ago)")
        );
        assert_eq!(age(&pod, &ctx()), json!("120m"));
    }

    #[test]
    fn init_and_terminating_pods() {
        let pod = json!({"metadata": {"name": "p", "deletionTimestamp": "2024-04-12T10:00:00Z"},
            "spec": {"containers": [{"name": "c"}, {"name": "d"}]},
            "status": {"phase": "Running", "containerStatuses": [
                {"name": "c", "ready": true, "restartCount": 0, "state": {"running": {}}},
                {"name": "d", "ready": true, "restartCount": 1, "state": {"running": {}}}]}});
        let (ready, status, restarts) = pod_summary(&pod, &ctx());
        assert_eq!(
            (ready.as_str(), status.as_str(), restarts.as_str()),
            ("2/2", "Terminating", "1")
        );
        let init = json!({"metadata": {"name": "p"}, "spec": {"initContainers": [{"name": "i"}], "containers": [{"name": "c"}]},
            "status": {"phase": "Pending", "initContainerStatuses": [{"name": "i", "restartCount": 3, "state": {"waiting": {"reason": "CrashLoopBackOff"}}}],
            "containerStatuses": [{"name": "c", "state": {"waiting": {"reason": "PodInitializing"}}}]}});
        assert_eq!(pod_summary(&init, &ctx()).1, "Init:CrashLoopBackOff");
    }

    #[test]
    fn node_status_and_roles() {
        let node = json!({"metadata": {"name": "n", "labels": {"node-role.kubernetes.io/control-plane": ""}},
            "spec": {"unschedulable": true},
            "status": {"conditions": [{"type": "Ready", "status": "True"}]}});
        assert_eq!(
            node_status(&node, &ctx()),
            json!("Ready,SchedulingDisabled")
        );
        assert_eq!(node_roles(&node, &ctx()), json!("control-plane"));
    }
}
