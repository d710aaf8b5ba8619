//! The normalized evidence model.
//!
//! Every reader (describe text, tables, API objects, dumps, logs, and later the
//! live cluster) produces these types; every rule reads only these types. Fields
//! are `Option` wherever some input may lack them: a `kubectl get pods` line knows
//! far less than a Pod object, and the model must say "unknown", not guess.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use jiff::Timestamp;
use serde::Serialize;

use super::revisions::Revisions;
use super::source::Source;
use super::time::{Anchor, AnchorId, TimeRef};

/// Identity of a Kubernetes object as evidence refers to it.
///
/// Events are attributed by `uid` when both sides know it, else by
/// kind + namespace + name; never by name alone.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Default)]
pub struct ObjectRef {
    /// Kind as the API spells it: `Pod`, `Node`, `Deployment`, `Revision`, ...
    pub kind: String,
    /// Namespace, `None` for cluster-scoped objects or when the input did not say.
    pub namespace: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

impl ObjectRef {
    /// A reference by kind, namespace and name.
    pub fn new(kind: impl Into<String>, namespace: Option<&str>, name: impl Into<String>) -> Self {
        ObjectRef {
            kind: kind.into(),
            namespace: namespace.map(str::to_owned),
            name: name.into(),
            uid: None,
        }
    }

    /// Whether two references name the same object: by UID when both have one,
    /// else by kind (case-insensitive), namespace and name.
    pub fn same_object(&self, other: &ObjectRef) -> bool {
        if let (Some(a), Some(b)) = (&self.uid, &other.uid) {
            return a == b;
        }
        self.kind.eq_ignore_ascii_case(&other.kind)
            && self.name == other.name
            && self.namespace == other.namespace
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.namespace {
            Some(ns) => write!(f, "{} {}/{}", self.kind, ns, self.name),
            None => write!(f, "{} {}", self.kind, self.name),
        }
    }
}

/// An owner reference (`metadata.ownerReferences[]`, or describe's `Controlled By:`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OwnerRef {
    pub kind: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    pub controller: bool,
}

/// The metadata every object keeps.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Meta {
    pub namespace: Option<String>,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<OwnerRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<TimeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deleted: Option<Timestamp>,
}

impl Meta {
    /// The controlling owner, if any.
    pub fn controller(&self) -> Option<&OwnerRef> {
        self.owners
            .iter()
            .find(|o| o.controller)
            .or(self.owners.first())
    }
}

/// A status condition (`status.conditions[]` of Pods, Nodes, Deployments and
/// custom resources).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: String,
    /// `True`, `False` or `Unknown`.
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_transition: Option<TimeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_heartbeat: Option<TimeRef>,
}

impl Condition {
    /// `status == "True"`.
    pub fn is_true(&self) -> bool {
        self.status.eq_ignore_ascii_case("true")
    }
}

/// A container's state (`state` / `lastState` in the API, `State:` / `Last State:` in describe).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ContainerState {
    Running {
        started: Option<TimeRef>,
    },
    Waiting {
        reason: Option<String>,
        message: Option<String>,
    },
    Terminated {
        reason: Option<String>,
        message: Option<String>,
        exit_code: Option<i32>,
        signal: Option<i32>,
        started: Option<TimeRef>,
        finished: Option<TimeRef>,
    },
}

impl ContainerState {
    /// The waiting or terminated reason.
    pub fn reason(&self) -> Option<&str> {
        match self {
            ContainerState::Running { .. } => None,
            ContainerState::Waiting { reason, .. } | ContainerState::Terminated { reason, .. } => {
                reason.as_deref()
            }
        }
    }

    /// Exit code of a terminated state.
    pub fn exit_code(&self) -> Option<i32> {
        match self {
            ContainerState::Terminated { exit_code, .. } => *exit_code,
            _ => None,
        }
    }
}

/// What a probe does.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ProbeHandler {
    HttpGet {
        scheme: String,
        host: Option<String>,
        /// Port number or name, as written in the spec.
        port: String,
        path: String,
    },
    TcpSocket {
        host: Option<String>,
        port: String,
    },
    Exec {
        command: Vec<String>,
    },
    Grpc {
        port: String,
        service: Option<String>,
    },
}

/// A liveness, readiness or startup probe with Kubernetes' defaults applied.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probe {
    pub handler: ProbeHandler,
    pub initial_delay_seconds: u32,
    pub timeout_seconds: u32,
    pub period_seconds: u32,
    pub success_threshold: u32,
    pub failure_threshold: u32,
    /// Probe-level `terminationGracePeriodSeconds`, if set.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    pub source: Source,
}

impl Probe {
    /// A probe with Kubernetes' defaults (delay 0, timeout 1 s, period 10 s,
    /// success 1, failure 3).
    pub fn with_defaults(handler: ProbeHandler, source: Source) -> Self {
        Probe {
            handler,
            initial_delay_seconds: 0,
            timeout_seconds: 1,
            period_seconds: 10,
            success_threshold: 1,
            failure_threshold: 3,
            termination_grace_period_seconds: None,
            source,
        }
    }

    /// How long a container that never answers survives this probe:
    /// `initialDelaySeconds + failureThreshold × periodSeconds`.
    pub fn failure_budget(&self) -> Duration {
        Duration::from_secs(
            u64::from(self.initial_delay_seconds)
                + u64::from(self.failure_threshold) * u64::from(self.period_seconds),
        )
    }
}

/// Which probe.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProbeKind {
    Liveness,
    Readiness,
    Startup,
}

/// CPU and memory amounts, parsed from Kubernetes quantities.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct ResourceAmounts {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cpu_millis: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub memory_bytes: Option<u64>,
}

/// Requests and limits of a container.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Resources {
    pub requests: ResourceAmounts,
    pub limits: ResourceAmounts,
}

/// One container of a pod (or of a workload's pod template, where the status
/// fields stay `None`).
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Container {
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// True for an init container.
    pub init: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub args: Vec<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    pub resources: Resources,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub liveness: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub readiness: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub startup: Option<Probe>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub started: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_count: Option<u32>,
    /// Live usage from `kubectl top pods --containers`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<ResourceAmounts>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<ContainerState>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_state: Option<ContainerState>,
    /// Where the container's spec or status was read.
    pub source: Option<Source>,
}

impl Container {
    /// The probe of the given kind.
    pub fn probe(&self, kind: ProbeKind) -> Option<&Probe> {
        match kind {
            ProbeKind::Liveness => self.liveness.as_ref(),
            ProbeKind::Readiness => self.readiness.as_ref(),
            ProbeKind::Startup => self.startup.as_ref(),
        }
    }
}

/// A declared container port.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerPort {
    pub port: u16,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub protocol: String,
}

/// A pod.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Pod {
    pub meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub node: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// Pod-level reason (`Evicted`, ...) or the STATUS column of `kubectl get pods`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_time: Option<TimeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_account: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    pub containers: Vec<Container>,
    /// What a `kubectl get pods` row said, when one was read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub row: Option<PodRow>,
    /// Live usage from `kubectl top pods`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<ResourceAmounts>,
    pub sources: Vec<Source>,
}

/// One row of `kubectl get pods`: a summary that names no container.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PodRow {
    /// READY as (ready, total).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<(u32, u32)>,
    /// STATUS: a phase, or a container reason such as `CrashLoopBackOff`, `OOMKilled`, `Init:Error`.
    pub status: String,
    /// RESTARTS summed over containers.
    pub restarts: u32,
    /// When the last restart happened (`7 (2m ago)`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_restart: Option<TimeRef>,
    pub source: Source,
}

impl Pod {
    /// Reference to this pod.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            kind: "Pod".into(),
            namespace: self.meta.namespace.clone(),
            name: self.meta.name.clone(),
            uid: self.meta.uid.clone(),
        }
    }

    /// The container with this name.
    pub fn container(&self, name: &str) -> Option<&Container> {
        self.containers.iter().find(|c| c.name == name)
    }

    /// Where the pod was read: its first source, or `?`.
    pub fn source(&self) -> Source {
        first_source(&self.sources)
    }

    /// Where one of the pod's containers was read: its own source, or the pod's.
    pub fn container_source(&self, c: &Container) -> Source {
        c.source.clone().unwrap_or_else(|| self.source())
    }
}

/// The first of `sources`, or `?`: a citation always names a place.
fn first_source(sources: &[Source]) -> Source {
    sources.first().cloned().unwrap_or_else(|| Source::new("?"))
}

/// A node taint.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Taint {
    pub key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub effect: String,
}

/// A node.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Node {
    pub meta: Meta,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<Taint>,
    pub unschedulable: bool,
    pub capacity: ResourceAmounts,
    pub allocatable: ResourceAmounts,
    /// Sum of pod requests and limits on the node (describe's "Allocated resources").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allocated: Option<Resources>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubelet_version: Option<String>,
    /// Live usage from `kubectl top nodes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub usage: Option<ResourceAmounts>,
    pub sources: Vec<Source>,
}

impl Node {
    /// Where the node was read: its first source, or `?`.
    pub fn source(&self) -> Source {
        first_source(&self.sources)
    }

    /// The condition of this type.
    pub fn condition(&self, kind: &str) -> Option<&Condition> {
        self.conditions.iter().find(|c| c.kind == kind)
    }
}

/// The kinds of workload that own pods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum WorkloadKind {
    Deployment,
    ReplicaSet,
    StatefulSet,
    DaemonSet,
    Job,
    ReplicationController,
}

impl WorkloadKind {
    /// Parses an API kind.
    pub fn from_kind(kind: &str) -> Option<Self> {
        Some(match kind {
            "Deployment" => WorkloadKind::Deployment,
            "ReplicaSet" => WorkloadKind::ReplicaSet,
            "StatefulSet" => WorkloadKind::StatefulSet,
            "DaemonSet" => WorkloadKind::DaemonSet,
            "Job" => WorkloadKind::Job,
            "ReplicationController" => WorkloadKind::ReplicationController,
            _ => return None,
        })
    }

    /// The API kind.
    pub fn as_str(&self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::ReplicaSet => "ReplicaSet",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::DaemonSet => "DaemonSet",
            WorkloadKind::Job => "Job",
            WorkloadKind::ReplicationController => "ReplicationController",
        }
    }
}

/// A Deployment, ReplicaSet, StatefulSet, DaemonSet or Job.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Workload {
    pub kind: WorkloadKind,
    pub meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready_replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_replicas: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub updated_replicas: Option<u32>,
    /// `spec.selector.matchLabels`.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub selector: BTreeMap<String, String>,
    /// Containers of the pod template (spec only).
    pub template: Vec<Container>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    pub sources: Vec<Source>,
}

impl Workload {
    /// Reference to this workload.
    pub fn object_ref(&self) -> ObjectRef {
        ObjectRef {
            kind: self.kind.as_str().into(),
            namespace: self.meta.namespace.clone(),
            name: self.meta.name.clone(),
            uid: self.meta.uid.clone(),
        }
    }
}

/// A Kubernetes Event (core/v1 or events.k8s.io/v1, or a row of an events table).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub object: ObjectRef,
    /// `spec.containers{controller}` and the like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_path: Option<String>,
    /// `Normal` or `Warning`.
    #[serde(rename = "type")]
    pub kind: String,
    pub reason: String,
    pub message: String,
    /// `source.component` (`kubelet`), or `reportingController`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reporter: Option<String>,
    /// `source.host`: the node the kubelet reported from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// How many times it happened (at least 1).
    pub count: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_seen: Option<TimeRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_seen: Option<TimeRef>,
    pub source: Source,
}

impl Event {
    /// The container this event is about, from `spec.containers{name}`.
    pub fn container(&self) -> Option<&str> {
        let fp = self.field_path.as_deref()?;
        let start = fp.find('{')? + 1;
        let end = fp[start..].find('}')? + start;
        Some(&fp[start..end])
    }

    /// True for `type: Warning`.
    pub fn is_warning(&self) -> bool {
        self.kind == "Warning"
    }
}

/// A coordination.k8s.io Lease.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Lease {
    pub meta: Meta,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duration_seconds: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub acquire_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renew_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitions: Option<u32>,
    pub source: Source,
}

/// A ConfigMap, data included (Secrets are never kept; only counted).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigMap {
    pub meta: Meta,
    pub data: BTreeMap<String, String>,
    pub source: Source,
}

/// A Knative Revision, reduced to what garbage collection and diagnosis need.
///
/// The evidence stores them in a compact [`Revisions`] table; this owned form
/// is what readers add and what [`super::RevisionRef::to_revision`] gives back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Revision {
    pub namespace: String,
    pub name: String,
    /// Label `serving.knative.dev/configuration`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub configuration: Option<String>,
    /// Label `serving.knative.dev/service`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// Label `serving.knative.dev/routingState` (`active`, `reserve`, `pending`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_state: Option<String>,
    /// Annotation `serving.knative.dev/routingStateModified`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routing_state_modified: Option<Timestamp>,
    /// Annotation `serving.knative.dev/no-gc: "true"`.
    pub no_gc: bool,
    /// Annotation `serving.knative.dev/routes`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub routes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<Timestamp>,
    /// Status condition `Ready`, if present (`True`/`False`/`Unknown`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ready: Option<String>,
    pub source: Source,
}

/// Any other object (custom resources such as Knative Services, Configurations,
/// Routes, KIngresses, ServerlessServices), kept generically.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GenericObject {
    pub api_version: String,
    pub kind: String,
    pub meta: Meta,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<Condition>,
    /// Scalar top-level `status` fields (`latestReadyRevisionName`, `observedGeneration`, ...).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub status: BTreeMap<String, String>,
    pub source: Source,
}

/// Log severity, normalized across klog, zap, logfmt and the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Trace,
    Debug,
    Info,
    Warning,
    Error,
    /// fatal, panic, critical, alert, emergency, dpanic.
    Fatal,
    /// The line did not say.
    Unknown,
}

impl Severity {
    /// Parses the common spellings (`I`/`W`/`E`/`F`, `info`, `WARNING`, `warn`,
    /// `error`, `CRITICAL`, `EMERGENCY`, `fatal`, `panic`, `dpanic`, ...).
    pub fn parse(s: &str) -> Severity {
        match s.trim().to_ascii_lowercase().as_str() {
            "t" | "trace" | "trc" => Severity::Trace,
            "d" | "debug" | "dbg" => Severity::Debug,
            "i" | "info" | "inf" | "information" | "notice" => Severity::Info,
            "w" | "warn" | "warning" | "wrn" => Severity::Warning,
            "e" | "error" | "err" | "eror" => Severity::Error,
            "f" | "fatal" | "panic" | "dpanic" | "critical" | "crit" | "alert" | "emergency"
            | "emerg" | "ftl" | "severe" => Severity::Fatal,
            _ => Severity::Unknown,
        }
    }

    /// True for errors and worse.
    pub fn is_error(&self) -> bool {
        matches!(self, Severity::Error | Severity::Fatal)
    }
}

/// Which run of a container a log belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ContainerRun {
    /// The running (or, in a `cluster-info dump` of a waiting container, the last terminated) instance.
    Current,
    /// `kubectl logs --previous`.
    Previous,
    /// The source does not say.
    Unknown,
}

/// The shape of a log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// `I0327 18:30:29.624270       1 trace.go:236] msg`
    KlogText,
    /// klog header with a quoted message and `key=value` pairs.
    KlogStructured,
    /// One JSON object per line (zap, zapdriver, logrus JSON, ...).
    Json,
    /// controller-runtime / zap development console: `time\tLEVEL\tlogger\tmsg\t{json}`.
    Console,
    /// Go standard library: `2024/03/27 18:30:28 msg`.
    GoStd,
    /// `time=... level=... msg=...`
    Logfmt,
    /// Anything else.
    Plain,
}

/// One log record: a line, or a multi-line block such as a Go panic with its
/// goroutine dump, a Python traceback or a Java stack trace.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogRecord {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<Timestamp>,
    /// True when the year of `time` was inferred (klog headers carry none).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub year_inferred: bool,
    pub severity: Severity,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub logger: Option<String>,
    pub message: String,
    /// Structured fields, values as printed (strings unquoted).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<(String, String)>,
    /// `file.go:123` from a klog header or zap `caller`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caller: Option<String>,
    pub format: LogFormat,
    /// 1-based line of the record's first line in its input.
    pub line: u32,
    /// Continuation lines that belong to this record (stack traces, dumps).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub continuation: Vec<String>,
}

impl LogRecord {
    /// The value of a structured field.
    pub fn field(&self, key: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// The log of one container run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LogStream {
    /// The pod, when the source names it (dump block, file name, live path).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<ObjectRef>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub container: Option<String>,
    pub run: ContainerRun,
    /// The dominant format.
    pub format: LogFormat,
    /// Records kept (see [`LogStream::dropped`]).
    pub records: Vec<LogRecord>,
    /// Records read in all.
    pub total_records: u64,
    /// Records read but not kept: unremarkable lines from the middle of a very long log.
    pub dropped: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_time: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_time: Option<Timestamp>,
    pub source: Source,
}

impl LogStream {
    /// The [`Source`] of one record.
    pub fn record_source(&self, r: &LogRecord) -> Source {
        self.source.at_line(r.line)
    }
}

/// How many objects of a kind exist in a namespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct CountKey {
    /// `Revision.serving.knative.dev`, `Secret`, `Service`, ...: kind, and group when not core.
    pub kind: String,
    pub namespace: Option<String>,
}

/// What kind of input something was read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    DescribePod,
    DescribeNode,
    DescribeDeployment,
    EventsTable,
    KubectlEvents,
    PodsTable,
    TopPods,
    TopNodes,
    KubeObjectsJson,
    KubeObjectsYaml,
    ClusterInfoDump,
    DumpLogs,
    ContainerLog,
    MixedPaste,
    Directory,
    /// Could not be classified; read as plain log text.
    Unclassified,
}

/// A problem met while reading an input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnostic {
    pub level: DiagnosticLevel,
    pub source: Source,
    pub message: String,
}

/// How bad a [`Diagnostic`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DiagnosticLevel {
    /// Read, with a caveat (unclassified text read as plain log, unknown field).
    Note,
    /// Part of the input was skipped.
    Warning,
    /// The input (or part of it) could not be read.
    Error,
}

/// What was understood of one input (a file, stdin, or a part of a mixed paste).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InputSummary {
    pub source: Source,
    pub kind: InputKind,
    /// Parts of a mixed paste or a directory, in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<InputSummary>,
    /// Objects found, by kind.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub objects: BTreeMap<String, u64>,
    /// Log records read.
    #[serde(skip_serializing_if = "is_zero")]
    pub log_records: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Everything read, normalized.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Evidence {
    pub inputs: Vec<InputSummary>,
    pub pods: Vec<Pod>,
    pub nodes: Vec<Node>,
    pub workloads: Vec<Workload>,
    pub events: Vec<Event>,
    pub leases: Vec<Lease>,
    pub config_maps: Vec<ConfigMap>,
    /// Knative Revisions, compactly: GC needs every one.
    pub revisions: Revisions,
    pub objects: Vec<GenericObject>,
    pub logs: Vec<LogStream>,
    /// Object counts per kind and namespace (every object read, Secrets included).
    #[serde(serialize_with = "serialize_counts")]
    pub counts: BTreeMap<CountKey, u64>,
    pub anchors: Vec<Anchor>,
    pub diagnostics: Vec<Diagnostic>,
    /// Healthy pods known only as a number, per node: a live read of a large
    /// cluster keeps in full only the pods a diagnosis looks at (troubled
    /// pods, their workloads' pods, the pods on their nodes) and counts the
    /// rest, so memory does not grow with the cluster. Rules that compare a
    /// node with the rest of the cluster count these as running fine.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub healthy_pods_elsewhere: BTreeMap<String, u32>,
    /// When the evidence was taken, if stated or inferred.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub taken_at: Option<Timestamp>,
    /// Events by the name of their object, for [`Evidence::events_for`].
    #[serde(skip)]
    pub(crate) event_index: EventIndex,
    /// Workloads by kind, namespace and name, for [`Evidence::workload`].
    #[serde(skip)]
    pub(crate) workload_index: WorkloadIndex,
}

/// Workloads by kind, namespace and name.
#[derive(Debug, Clone, Default)]
pub(crate) struct WorkloadIndex {
    by_key: std::collections::HashMap<(WorkloadKind, Option<String>, String), usize>,
    /// How many of `Evidence::workloads` the index covers; a stale index is not used.
    covered: usize,
}

impl WorkloadIndex {
    /// Indexes every workload.
    pub(crate) fn build(workloads: &[Workload]) -> Self {
        let by_key = workloads
            .iter()
            .enumerate()
            .map(|(i, w)| ((w.kind, w.meta.namespace.clone(), w.meta.name.clone()), i))
            .collect();
        WorkloadIndex {
            by_key,
            covered: workloads.len(),
        }
    }
}

/// Events by the name of the object they are about.
#[derive(Debug, Clone, Default)]
pub(crate) struct EventIndex {
    pub(crate) by_name: std::collections::HashMap<String, Vec<usize>>,
    /// How many of `Evidence::events` the index covers; a stale index is not used.
    pub(crate) covered: usize,
}

impl EventIndex {
    /// Indexes every event.
    pub(crate) fn build(events: &[Event]) -> Self {
        let mut by_name: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        for (i, e) in events.iter().enumerate() {
            by_name.entry(e.object.name.clone()).or_default().push(i);
        }
        EventIndex {
            by_name,
            covered: events.len(),
        }
    }
}

fn serialize_counts<S: serde::Serializer>(
    counts: &BTreeMap<CountKey, u64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct Row<'a> {
        kind: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<&'a str>,
        count: u64,
    }
    s.collect_seq(counts.iter().map(|(k, &count)| Row {
        kind: &k.kind,
        namespace: k.namespace.as_deref(),
        count,
    }))
}

impl Evidence {
    /// Resolves a [`TimeRef`] to an absolute instant when its anchor is known.
    pub fn resolve(&self, t: &TimeRef) -> Option<Timestamp> {
        match t {
            TimeRef::At(ts) => Some(*ts),
            TimeRef::Ago { ago, anchor } => {
                let at = self.anchors.get(anchor.0 as usize)?.at?;
                let span = jiff::SignedDuration::try_from(*ago).ok()?;
                at.checked_sub(span).ok()
            }
        }
    }

    /// The anchor behind an id.
    pub fn anchor(&self, id: AnchorId) -> Option<&Anchor> {
        self.anchors.get(id.0 as usize)
    }

    /// The pod with this namespace and name.
    pub fn pod(&self, namespace: Option<&str>, name: &str) -> Option<&Pod> {
        self.pods.iter().find(|p| {
            p.meta.name == name && (namespace.is_none() || p.meta.namespace.as_deref() == namespace)
        })
    }

    /// The node with this name.
    pub fn node(&self, name: &str) -> Option<&Node> {
        self.nodes.iter().find(|n| n.meta.name == name)
    }

    /// The workload of this kind, namespace and name.
    pub fn workload(
        &self,
        kind: WorkloadKind,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<&Workload> {
        if self.workload_index.covered == self.workloads.len() {
            let key = (kind, namespace.map(str::to_owned), name.to_owned());
            return self
                .workload_index
                .by_key
                .get(&key)
                .map(|&i| &self.workloads[i]);
        }
        self.workloads.iter().find(|w| {
            w.kind == kind && w.meta.name == name && w.meta.namespace.as_deref() == namespace
        })
    }

    /// The ConfigMap with this namespace and name.
    pub fn config_map(&self, namespace: &str, name: &str) -> Option<&ConfigMap> {
        self.config_maps
            .iter()
            .find(|c| c.meta.name == name && c.meta.namespace.as_deref() == Some(namespace))
    }

    /// Events about an object: by UID when both sides have one, else by kind +
    /// namespace + name. An event whose namespace is unknown matches only when no
    /// other object of that kind and name exists in another namespace.
    pub fn events_for<'a>(&'a self, obj: &ObjectRef) -> impl Iterator<Item = &'a Event> + 'a {
        let obj = obj.clone();
        // Candidates by name from the index when it covers every event (it is
        // built when the builder finishes); else every event.
        let candidates: Box<dyn Iterator<Item = &'a Event> + 'a> =
            if self.event_index.covered == self.events.len() {
                let ids = self
                    .event_index
                    .by_name
                    .get(&obj.name)
                    .map(Vec::as_slice)
                    .unwrap_or(&[]);
                Box::new(ids.iter().map(|&i| &self.events[i]))
            } else {
                Box::new(self.events.iter())
            };
        candidates.filter(move |e| {
            if e.object.same_object(&obj) {
                return true;
            }
            e.object.namespace.is_none()
                && e.object.uid.is_none()
                && e.object.kind.eq_ignore_ascii_case(&obj.kind)
                && e.object.name == obj.name
                && self.name_is_unambiguous(&obj.kind, &obj.name)
        })
    }

    fn name_is_unambiguous(&self, kind: &str, name: &str) -> bool {
        if kind.eq_ignore_ascii_case("Pod") {
            self.pods.iter().filter(|p| p.meta.name == name).count() <= 1
        } else {
            true
        }
    }

    /// When a Lease was observed: the latest renewal among the Leases read from
    /// the same input (a `kubectl get lease` output is taken at one moment,
    /// and healthy holders renew every few seconds), else when the evidence
    /// was taken. A lease whose renewal is older than this by more than its
    /// duration was left to expire.
    pub fn lease_observed_at(&self, l: &Lease) -> Option<Timestamp> {
        self.leases
            .iter()
            .filter(|o| o.source.origin == l.source.origin)
            .filter_map(|o| o.renew_time)
            .max()
            .or(self.taken_at)
    }

    /// Whether a Lease was left to expire (see [`Evidence::lease_observed_at`]).
    pub fn lease_expired(&self, l: &Lease) -> Option<bool> {
        let now = self.lease_observed_at(l)?;
        let renew = l.renew_time?;
        let d = jiff::SignedDuration::from_secs(i64::from(l.duration_seconds?));
        Some(now.duration_since(renew) > d)
    }

    /// Total count of a kind (as in [`CountKey::kind`]) across namespaces.
    pub fn count_of(&self, kind: &str) -> u64 {
        self.counts
            .iter()
            .filter(|(k, _)| k.kind == kind)
            .map(|(_, n)| n)
            .sum()
    }
}

/// A shared, cheaply cloned string for origins.
pub type Origin = Arc<str>;
