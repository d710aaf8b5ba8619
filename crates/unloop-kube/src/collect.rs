//! What to read, in which order: the pods in scope, then for each troubled
//! pod its events, logs, node, neighbours, owner chain, leases and the
//! ConfigMaps of its component, and counts of what the component watches.
//!
//! Every request goes through one [`Pacer`]; a request that fails becomes a
//! [`Gap`] (and a warning diagnostic) and collection goes on, so the
//! diagnosis runs on what could be read and says what could not.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use kube::Client;
use serde_json::Value;
use unloop_core::diagnose::{Diagnosis, Missing, knowledge::components, subject};
use unloop_core::evidence::logs::{LogHint, LogParser};
use unloop_core::evidence::{
    ContainerRun, ContainerState, DiagnosticLevel, Evidence, EvidenceBuilder, InputKind,
    InputSummary, ObjectRef, Pod, Source,
};

use crate::counts::{Counted, counted};
use crate::error::LiveError;
use crate::ingest;
use crate::limits::Limits;
use crate::pace::{CallError, Pacer};
use crate::page;
use crate::progress::Progress;
use crate::rbac;
use crate::record::Recorder;
use crate::request::{self, METADATA_ACCEPT, Query};
use crate::scope::Scope;

/// Evidence that could not be collected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gap {
    /// What is missing (`Leases in knative-serving`).
    pub what: String,
    /// Why (`denied (403): ...`, `the --timeout deadline passed`).
    pub why: String,
    /// The RBAC rule that would grant it, for 403s.
    pub grant: Option<String>,
}

/// What a live collection produced.
#[derive(Debug)]
pub struct Collection {
    pub evidence: Evidence,
    pub gaps: Vec<Gap>,
    /// Troubled pods found in scope (before `max_troubled_pods`).
    pub troubled: usize,
    /// Requests sent (retries included) and retries.
    pub requests: u64,
    pub retries: u64,
    /// Response body bytes received (successful answers; logs included).
    pub bytes: u64,
}

impl Collection {
    /// Adds every gap to each workload's missing evidence, so reports show it.
    pub fn annotate(&self, d: &mut Diagnosis) {
        let missing: Vec<Missing> = self.gaps.iter().map(Gap::missing).collect();
        for w in &mut d.workloads {
            for m in &missing {
                if !w.missing.contains(m) {
                    w.missing.push(m.clone());
                }
            }
        }
    }
}

impl Gap {
    /// The gap as the diagnosis' missing evidence.
    pub fn missing(&self) -> Missing {
        Missing {
            what: format!(
                "not collected from the cluster: {} ({})",
                self.what, self.why
            ),
            command: self
                .grant
                .clone()
                .unwrap_or_else(|| "unloop diagnose --timeout 120s (or retry later)".into()),
        }
    }
}

/// One unit of collection.
struct Job {
    /// For gaps: `events of Pod ns/name`.
    what: String,
    /// For 403s: the rule (group, resource, verb, namespace).
    rbac: (String, String, &'static str, Option<String>),
    kind: JobKind,
}

enum JobKind {
    /// A paginated list at `path` with selectors.
    List {
        path: String,
        fields: Option<String>,
        labels: Option<String>,
    },
    /// One object; 404 is simply absent.
    Get { path: String },
    /// One container run's log.
    Log {
        path: String,
        container: String,
        previous: bool,
        hint: LogHint,
    },
    /// Metadata-only count of a watched resource, cluster-wide.
    Count(Counted),
    /// Pods selected by a workload's labels, kept when `owner` (or, for a
    /// ReplicaSet, another ReplicaSet of its Deployment) controls them.
    Siblings {
        path: String,
        labels: String,
        owner: ObjectRef,
    },
    /// A full, cluster-wide list of a custom kind found by discovery (absent
    /// when not installed): Knative Routes and Configurations, whose status
    /// GC reasoning needs and which number one per Knative Service.
    ListCustom {
        group: &'static str,
        kind: &'static str,
    },
}

/// An object waiting for its job's turn, as compact JSON text: a `Value`
/// takes ~6 times the memory of its text, and the other pods of a few busy
/// nodes would otherwise sit in memory as tens of MB of `Value`s until every
/// job is done.
struct Held(Box<str>);

impl Held {
    fn new(v: &Value) -> Held {
        Held(v.to_string().into_boxed_str())
    }

    fn value(&self) -> Result<Value, serde_json::Error> {
        serde_json::from_str(&self.0)
    }
}

/// What a job brought back, ingested in job order so evidence is
/// deterministic whatever order answers arrive in.
enum Fetched {
    Objects(Source, Vec<Held>),
    Log(Source, LogHint, String),
    /// Ingested as it streamed (counts, which must not be buffered).
    Done,
}

/// Reads `scope` through `client` into the evidence model.
pub async fn collect(
    client: &Client,
    scope: &Scope,
    limits: &Limits,
    progress: &Progress,
) -> Result<Collection, LiveError> {
    collect_recording(client, scope, limits, progress, None).await
}

/// [`collect`], also handing every object and log read to `recorder` (for
/// `unloop snapshot`) at the points where they enter the model.
pub async fn collect_recording(
    client: &Client,
    scope: &Scope,
    limits: &Limits,
    progress: &Progress,
    recorder: Option<&dyn Recorder>,
) -> Result<Collection, LiveError> {
    let c = Collector {
        client: client.clone(),
        pacer: Pacer::new(limits),
        limits: limits.clone(),
        builder: Mutex::new(EvidenceBuilder::new()),
        gaps: Mutex::new(Vec::new()),
        recorder,
        bytes: AtomicU64::new(0),
        healthy: Mutex::new(Vec::new()),
    };
    progress.step("listing pods");
    c.scope_pods(scope).await?;
    let troubled = c.troubled();
    let n_troubled = troubled.len();
    if n_troubled > limits.max_troubled_pods {
        c.gap(Gap {
            what: format!(
                "details of {} more troubled pods",
                n_troubled - limits.max_troubled_pods
            ),
            why: format!("--max-pods {}", limits.max_troubled_pods),
            grant: None,
        });
    }
    let troubled: Vec<Pod> = troubled
        .into_iter()
        .take(limits.max_troubled_pods)
        .collect();
    progress.step(&format!("reading {} troubled pods", troubled.len()));
    let jobs = c.pod_jobs(&troubled);
    c.run(jobs, progress).await;
    // The owner chain's second step needs the ReplicaSets read above.
    let jobs = c.deployment_jobs(&troubled);
    c.run(jobs, progress).await;
    // The troubled pods' siblings: healthy pods of the same workloads, which
    // the pod list kept only as sketches.
    let jobs = c.sibling_jobs(&troubled);
    c.run(jobs, progress).await;
    progress.done();
    c.tally_healthy();

    let mut b = c.builder.into_inner().unwrap_or_else(|e| e.into_inner());
    let (objects, log_records) = b.take_stats();
    b.add_input(InputSummary {
        // One summary for the whole cluster read; items cite their API paths.
        source: Source::new("live:"),
        kind: InputKind::KubeObjectsJson,
        parts: Vec::new(),
        objects,
        log_records,
    });
    let gaps = c.gaps.into_inner().unwrap_or_else(|e| e.into_inner());
    for g in &gaps {
        let msg = match &g.grant {
            Some(r) => format!("not collected: {}: {}; needs {r}", g.what, g.why),
            None => format!("not collected: {}: {}", g.what, g.why),
        };
        b.diagnostic(DiagnosticLevel::Warning, Source::new("live:"), msg);
    }
    Ok(Collection {
        evidence: b.finish(),
        gaps,
        troubled: n_troubled,
        requests: c.pacer.requests(),
        retries: c.pacer.retries(),
        bytes: c.bytes.load(Ordering::Relaxed),
    })
}

struct Collector<'r> {
    client: Client,
    pacer: Pacer,
    limits: Limits,
    builder: Mutex<EvidenceBuilder>,
    gaps: Mutex<Vec<Gap>>,
    recorder: Option<&'r dyn Recorder>,
    /// Body bytes of successful answers.
    bytes: AtomicU64,
    /// Healthy pods of the scope list, not kept in full (see [`Sketch`]).
    healthy: Mutex<Vec<Sketch>>,
}

/// What is kept of a healthy pod from the scope list: enough to count it
/// on its node, so memory does not grow with the cluster.
struct Sketch {
    namespace: String,
    name: String,
    node: Option<String>,
}

/// Whether a listed pod may be troubled (then it is kept in full): any
/// container restarted, not ready, waiting, or a phase other than Running or
/// Succeeded. Liberal on purpose: the diagnosis' own test runs on what is kept.
fn maybe_troubled(pod: &Value) -> bool {
    let phase = pod["status"]["phase"].as_str();
    if !matches!(phase, Some("Running" | "Succeeded")) {
        return true;
    }
    let statuses = |key: &str| -> Vec<&Value> {
        pod["status"][key]
            .as_array()
            .map(|a| a.iter().collect())
            .unwrap_or_default()
    };
    let main = statuses("containerStatuses");
    if phase == Some("Running") && main.is_empty() {
        return true;
    }
    let bad = |c: &&Value, init: bool| {
        c["restartCount"].as_u64().unwrap_or(0) > 0
            || c["state"]["waiting"].is_object()
            || c["lastState"]["terminated"].is_object()
            || (!init && phase == Some("Running") && c["ready"] != Value::Bool(true))
            || (init
                && c["state"]["terminated"]["exitCode"]
                    .as_i64()
                    .is_some_and(|x| x != 0))
    };
    main.iter().any(|c| bad(c, false))
        || statuses("initContainerStatuses")
            .iter()
            .any(|c| bad(c, true))
        || statuses("ephemeralContainerStatuses")
            .iter()
            .any(|c| c["state"]["waiting"].is_object())
}

/// Labels that differ between pods of one workload (revision hashes,
/// ordinals), left out of the selector that finds a pod's siblings.
const PER_POD_LABELS: &[&str] = &[
    "pod-template-hash",
    "controller-revision-hash",
    "pod-template-generation",
    "statefulset.kubernetes.io/pod-name",
    "apps.kubernetes.io/pod-index",
    "batch.kubernetes.io/job-completion-index",
    "job-completion-index",
];

/// Whether two controller owners are one workload: the same object, or two
/// ReplicaSets of one Deployment (`<deployment>-<hash>`).
fn same_owner(a: &ObjectRef, b: &ObjectRef) -> bool {
    if a.kind != b.kind || a.namespace != b.namespace {
        return false;
    }
    if a.name == b.name {
        return true;
    }
    let stem = |n: &str| n.rsplit_once('-').map(|(s, _)| s.to_owned());
    a.kind == "ReplicaSet" && stem(&a.name).is_some() && stem(&a.name) == stem(&b.name)
}

/// Locks, recovering from a poisoned lock (a panic elsewhere must not hide evidence).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Collector<'_> {
    fn gap(&self, g: Gap) {
        lock(&self.gaps).push(g);
    }

    /// Hands an object to the recorder, if any.
    fn record(&self, item: &Value) {
        if let Some(r) = self.recorder {
            r.object(item);
        }
    }

    /// One object into the model (and the recorder).
    fn ingest(&self, item: Value, origin: &Source, b: &mut EvidenceBuilder) {
        self.record(&item);
        ingest::object(item, origin, b);
    }

    /// Lists (or gets) the pods in scope. Without them there is nothing to diagnose.
    async fn scope_pods(&self, scope: &Scope) -> Result<(), LiveError> {
        let pods = |ns: Option<&str>| request::collection("", "v1", "pods", ns);
        let fail = |what: String, e: CallError, ns: Option<&str>, res: &str, verb| {
            let why = match &e {
                CallError::Denied { code: 401, .. } => rbac::UNAUTHENTICATED.to_owned(),
                CallError::Denied { .. } => {
                    format!("{e}; needs {}", rbac::grant("", res, verb, ns))
                }
                _ => e.to_string(),
            };
            LiveError::Scope { what, why }
        };
        match scope {
            Scope::AllNamespaces | Scope::Namespace(_) => {
                let ns = scope.namespace();
                let path = pods(ns);
                let origin = Source::new(format!("live:{path}"));
                // Only pods that may be troubled are kept in full; the
                // healthy rest become sketches, counted per node at the end.
                self.list(&path, None, None, None, &mut |item| {
                    self.record(&item);
                    if maybe_troubled(&item) {
                        ingest::object(item, &origin, &mut lock(&self.builder));
                    } else {
                        let m = &item["metadata"];
                        lock(&self.healthy).push(Sketch {
                            namespace: m["namespace"].as_str().unwrap_or("").to_owned(),
                            name: m["name"].as_str().unwrap_or("").to_owned(),
                            node: item["spec"]["nodeName"].as_str().map(str::to_owned),
                        });
                    }
                })
                .await
                .map_err(|e| fail(format!("pods ({path})"), e, ns, "pods", "list"))
            }
            Scope::Pod { namespace, name } => {
                let path = format!("{}/{}", pods(Some(namespace)), request::encode(name));
                match self.get(&path).await {
                    Ok(v) => {
                        self.ingest(
                            v,
                            &Source::new(format!("live:{path}")),
                            &mut lock(&self.builder),
                        );
                        Ok(())
                    }
                    Err(e) => Err(fail(
                        format!("pod {namespace}/{name}"),
                        e,
                        Some(namespace),
                        "pods",
                        "get",
                    )),
                }
            }
            Scope::Deployment { namespace, name } => {
                let path = format!(
                    "{}/{}",
                    request::collection("apps", "v1", "deployments", Some(namespace)),
                    request::encode(name)
                );
                let d = self.get(&path).await.map_err(|e| {
                    fail(
                        format!("deployment {namespace}/{name}"),
                        e,
                        Some(namespace),
                        "deployments",
                        "get",
                    )
                })?;
                let selector = match_labels(&d);
                self.ingest(
                    d,
                    &Source::new(format!("live:{path}")),
                    &mut lock(&self.builder),
                );
                let ppath = pods(Some(namespace));
                self.list_into(&ppath, None, selector.as_deref())
                    .await
                    .map_err(|e| {
                        fail(
                            format!("pods of deployment {namespace}/{name}"),
                            e,
                            Some(namespace),
                            "pods",
                            "list",
                        )
                    })
            }
        }
    }

    /// Pods in trouble by the diagnosis' own test, or on the way there
    /// (restarts, a bad waiting state, not ready): events are not read yet,
    /// and they may be what makes a pod troubled.
    fn troubled(&self) -> Vec<Pod> {
        let b = lock(&self.builder);
        let ev = b.evidence();
        ev.pods
            .iter()
            .filter(|p| {
                !subject::pod_symptoms(ev, p).is_empty()
                    || p.containers.iter().any(|c| {
                        c.restart_count.unwrap_or(0) > 0
                            || c.ready == Some(false)
                            || matches!(c.state, Some(ContainerState::Waiting { .. }))
                    })
            })
            .cloned()
            .collect()
    }

    /// Everything to read about the troubled pods, deduplicated.
    fn pod_jobs(&self, pods: &[Pod]) -> Vec<Job> {
        let year = {
            let b = lock(&self.builder);
            evidence_year(b.evidence())
        };
        let mut jobs = Vec::new();
        let mut seen = BTreeSet::new();
        let mut once = |key: String| seen.insert(key);
        let mut watched: BTreeSet<&'static str> = BTreeSet::new();
        for p in pods {
            let ns = p.meta.namespace.clone().unwrap_or_default();
            let name = &p.meta.name;
            let pod_path = format!(
                "{}/{}",
                request::collection("", "v1", "pods", Some(&ns)),
                request::encode(name)
            );
            jobs.push(events_job(&ns, "Pod", name, p.meta.uid.as_deref()));
            for c in &p.containers {
                let runs: &[bool] = if c.restart_count.unwrap_or(0) > 0 || c.last_state.is_some() {
                    &[false, true]
                } else {
                    &[false]
                };
                for &previous in runs {
                    let hint = LogHint {
                        pod: Some(p.object_ref()),
                        container: Some(c.name.clone()),
                        run: Some(if previous {
                            ContainerRun::Previous
                        } else {
                            ContainerRun::Current
                        }),
                        default_year: year,
                    };
                    jobs.push(Job {
                        what: format!(
                            "{} log of {ns}/{name} container {}",
                            if previous { "previous" } else { "current" },
                            c.name
                        ),
                        rbac: rule("", "pods/log", "get", Some(&ns)),
                        kind: JobKind::Log {
                            path: format!("{pod_path}/log"),
                            container: c.name.clone(),
                            previous,
                            hint,
                        },
                    });
                }
            }
            if let Some(node) = &p.node
                && once(format!("node/{node}"))
            {
                jobs.push(Job {
                    what: format!("node {node}"),
                    rbac: rule("", "nodes", "get", None),
                    kind: JobKind::Get {
                        path: format!("/api/v1/nodes/{}", request::encode(node)),
                    },
                });
                // Node events are recorded in `default` by the kubelet.
                jobs.push(events_job("default", "Node", node, None));
                jobs.push(Job {
                    what: format!("pods on node {node}"),
                    rbac: rule("", "pods", "list", None),
                    kind: JobKind::List {
                        path: request::collection("", "v1", "pods", None),
                        fields: Some(format!("spec.nodeName={node}")),
                        labels: None,
                    },
                });
            }
            if let Some(o) = p.meta.controller()
                && o.kind == "ReplicaSet"
                && once(format!("rs/{ns}/{}", o.name))
            {
                jobs.push(Job {
                    what: format!("ReplicaSet {ns}/{}", o.name),
                    rbac: rule("apps", "replicasets", "get", Some(&ns)),
                    kind: JobKind::Get {
                        path: format!(
                            "{}/{}",
                            request::collection("apps", "v1", "replicasets", Some(&ns)),
                            request::encode(&o.name)
                        ),
                    },
                });
                jobs.push(events_job(&ns, "ReplicaSet", &o.name, None));
            }
            if once(format!("leases/{ns}")) {
                jobs.push(Job {
                    what: format!("Leases in {ns}"),
                    rbac: rule("coordination.k8s.io", "leases", "list", Some(&ns)),
                    kind: JobKind::List {
                        path: request::collection("coordination.k8s.io", "v1", "leases", Some(&ns)),
                        fields: None,
                        labels: None,
                    },
                });
            }
            let workload = {
                let b = lock(&self.builder);
                subject::owner_of(b.evidence(), p).map(|(w, _)| w.name)
            };
            if let Some(comp) = components::recognise_pod(p, workload.as_deref()) {
                let cm_ns = comp.namespace.unwrap_or(ns.as_str()).to_owned();
                if cm_ns != ns && once(format!("leases/{cm_ns}")) {
                    jobs.push(Job {
                        what: format!("Leases in {cm_ns}"),
                        rbac: rule("coordination.k8s.io", "leases", "list", Some(&cm_ns)),
                        kind: JobKind::List {
                            path: request::collection(
                                "coordination.k8s.io",
                                "v1",
                                "leases",
                                Some(&cm_ns),
                            ),
                            fields: None,
                            labels: None,
                        },
                    });
                }
                for cm in comp.config_maps {
                    if once(format!("cm/{cm_ns}/{cm}")) {
                        jobs.push(Job {
                            what: format!("ConfigMap {cm_ns}/{cm}"),
                            rbac: rule("", "configmaps", "get", Some(&cm_ns)),
                            kind: JobKind::Get {
                                path: format!(
                                    "{}/{}",
                                    request::collection("", "v1", "configmaps", Some(&cm_ns)),
                                    request::encode(cm)
                                ),
                            },
                        });
                    }
                }
                watched.extend(comp.watches.iter().map(|w| w.kind));
                if comp.watches_revisions() {
                    for (kind, resource) in
                        [("Configuration", "configurations"), ("Route", "routes")]
                    {
                        if once(format!("custom/{kind}")) {
                            jobs.push(Job {
                                what: format!("Knative {resource}"),
                                rbac: rule("serving.knative.dev", resource, "list", None),
                                kind: JobKind::ListCustom {
                                    group: "serving.knative.dev",
                                    kind,
                                },
                            });
                        }
                    }
                }
            }
        }
        for key in watched {
            if let Some(c) = counted(key) {
                let resource = c
                    .builtin
                    .map_or_else(|| plural(&c.kind), |(_, p)| p.to_owned());
                jobs.push(Job {
                    what: format!("count of {key} (metadata only)"),
                    rbac: rule(&c.group, &resource, "list", None),
                    kind: JobKind::Count(c),
                });
            }
        }
        jobs
    }

    /// The pods of each troubled pod's workload (one label-selector list per
    /// workload, kept when their controller is the same workload).
    fn sibling_jobs(&self, pods: &[Pod]) -> Vec<Job> {
        let mut seen = BTreeSet::new();
        let mut jobs = Vec::new();
        for p in pods {
            let Some(owner) = p.meta.controller() else {
                continue;
            };
            let selector: Vec<String> = p
                .meta
                .labels
                .iter()
                .filter(|(k, _)| !PER_POD_LABELS.contains(&k.as_str()))
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            if selector.is_empty() {
                continue;
            }
            let ns = p.meta.namespace.clone().unwrap_or_default();
            let selector = selector.join(",");
            if !seen.insert((ns.clone(), selector.clone())) {
                continue;
            }
            jobs.push(Job {
                what: format!("pods of {} {ns}/{}", owner.kind, owner.name),
                rbac: rule("", "pods", "list", Some(&ns)),
                kind: JobKind::Siblings {
                    path: request::collection("", "v1", "pods", Some(&ns)),
                    labels: selector,
                    owner: ObjectRef::new(&owner.kind, Some(&ns), &owner.name),
                },
            });
        }
        jobs
    }

    /// Counts the sketched healthy pods not read in full since (siblings and
    /// the pods on troubled nodes are), per node.
    fn tally_healthy(&self) {
        let healthy = std::mem::take(&mut *lock(&self.healthy));
        let mut b = lock(&self.builder);
        let kept: HashSet<(String, String)> = b
            .evidence()
            .pods
            .iter()
            .map(|p| {
                (
                    p.meta.namespace.clone().unwrap_or_default(),
                    p.meta.name.clone(),
                )
            })
            .collect();
        let mut per_node: BTreeMap<String, u32> = BTreeMap::new();
        for s in healthy {
            if let Some(node) = s.node
                && !kept.contains(&(s.namespace, s.name))
            {
                *per_node.entry(node).or_default() += 1;
            }
        }
        for (node, n) in per_node {
            b.tally_healthy_pods(&node, n);
        }
    }

    /// Deployments that own the troubled pods' ReplicaSets, and their events.
    fn deployment_jobs(&self, pods: &[Pod]) -> Vec<Job> {
        let b = lock(&self.builder);
        let ev = b.evidence();
        let mut seen = BTreeSet::new();
        let mut jobs = Vec::new();
        for p in pods {
            let Some((w, inferred)) = subject::owner_of(ev, p) else {
                continue;
            };
            if inferred || w.kind != "Deployment" {
                continue;
            }
            let ns = w.namespace.clone().unwrap_or_default();
            let have = ev.workloads.iter().any(|x| {
                x.object_ref()
                    .same_object(&ObjectRef::new("Deployment", Some(&ns), &w.name))
            });
            if !seen.insert((ns.clone(), w.name.clone())) {
                continue;
            }
            if !have {
                jobs.push(Job {
                    what: format!("Deployment {ns}/{}", w.name),
                    rbac: rule("apps", "deployments", "get", Some(&ns)),
                    kind: JobKind::Get {
                        path: format!(
                            "{}/{}",
                            request::collection("apps", "v1", "deployments", Some(&ns)),
                            request::encode(&w.name)
                        ),
                    },
                });
            }
            jobs.push(events_job(&ns, "Deployment", &w.name, None));
        }
        jobs
    }

    /// Runs jobs with bounded concurrency (the pacer's semaphore bounds the
    /// requests; this bounds the futures), then ingests in job order.
    async fn run(&self, jobs: Vec<Job>, progress: &Progress) {
        let total = jobs.len();
        let mut results: Vec<(usize, Option<Fetched>)> =
            futures_util::stream::iter(jobs.iter().enumerate())
                .map(|(i, job)| async move { (i, self.run_job(job).await) })
                .buffer_unordered(self.limits.concurrency.max(1) * 2)
                .collect()
                .await;
        results.sort_by_key(|(i, _)| *i);
        progress.step(&format!("read {total} items"));
        let mut b = lock(&self.builder);
        for (_, r) in results {
            match r {
                Some(Fetched::Objects(src, items)) => {
                    for held in items {
                        match held.value() {
                            Ok(item) => self.ingest(item, &src, &mut b),
                            // Text serde_json wrote itself reads back; if it
                            // ever did not, say so rather than drop it quietly.
                            Err(e) => self.gap(Gap {
                                what: format!("an object from {src}"),
                                why: format!("could not be read back: {e}"),
                                grant: None,
                            }),
                        }
                    }
                }
                Some(Fetched::Log(src, hint, text)) => {
                    if let (Some(r), Some(pod), Some(c)) =
                        (self.recorder, &hint.pod, &hint.container)
                    {
                        let ns = pod.namespace.as_deref().unwrap_or_default();
                        let previous = hint.run == Some(ContainerRun::Previous);
                        r.log(ns, &pod.name, c, previous, &text);
                    }
                    let mut parser = LogParser::new(src, hint);
                    let text = text.strip_suffix('\n').unwrap_or(&text);
                    for line in text.split('\n') {
                        parser.push_line(line);
                    }
                    b.add_log(parser.finish());
                }
                Some(Fetched::Done) | None => {}
            }
        }
    }

    /// One job; its failure is recorded as a gap.
    async fn run_job(&self, job: &Job) -> Option<Fetched> {
        let r = match &job.kind {
            JobKind::List {
                path,
                fields,
                labels,
            } => {
                let mut items = Vec::new();
                self.list(path, fields.as_deref(), labels.as_deref(), None, &mut |v| {
                    items.push(Held::new(&v))
                })
                .await
                .map(|()| Some(Fetched::Objects(Source::new(format!("live:{path}")), items)))
            }
            JobKind::Siblings {
                path,
                labels,
                owner,
            } => {
                let mut items = Vec::new();
                self.list(path, None, Some(labels), None, &mut |v| {
                    let m = &v["metadata"];
                    let theirs = m["ownerReferences"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .find(|o| o["controller"] == true)
                        .is_some_and(|o| {
                            same_owner(
                                owner,
                                &ObjectRef::new(
                                    o["kind"].as_str().unwrap_or(""),
                                    m["namespace"].as_str(),
                                    o["name"].as_str().unwrap_or(""),
                                ),
                            )
                        });
                    if theirs {
                        items.push(Held::new(&v));
                    }
                })
                .await
                .map(|()| Some(Fetched::Objects(Source::new(format!("live:{path}")), items)))
            }
            JobKind::Get { path } => match self.get(path).await {
                Ok(v) => Ok(Some(Fetched::Objects(
                    Source::new(format!("live:{path}")),
                    vec![Held::new(&v)],
                ))),
                Err(CallError::NotFound) => Ok(None),
                Err(e) => Err(e),
            },
            JobKind::Log {
                path,
                container,
                previous,
                hint,
            } => {
                let q = Query::default()
                    .add("container", container)
                    .opt("previous", previous.then_some("true"))
                    .add("tailLines", self.limits.tail_lines.to_string())
                    .add("limitBytes", self.limits.limit_bytes.to_string());
                let uri = q.on(path);
                let src = Source::new(format!(
                    "live:{}",
                    Query::default()
                        .add("container", container)
                        .opt("previous", previous.then_some("true"))
                        .on(path)
                ));
                match self.text(&uri, None).await {
                    Ok(t) if t.is_empty() => Ok(None),
                    Ok(t) => Ok(Some(Fetched::Log(src, hint.clone(), t))),
                    // No previous run, or a container not started: no log, not a gap.
                    Err(CallError::NotFound | CallError::Rejected { .. }) => Ok(None),
                    Err(e) => Err(e),
                }
            }
            JobKind::Count(c) => self.count(c).await.map(|()| Some(Fetched::Done)),
            JobKind::ListCustom { group, kind } => match self.discover(group, kind).await {
                Ok(Some((_, path))) => {
                    let mut items = Vec::new();
                    self.list(&path, None, None, None, &mut |v| items.push(Held::new(&v)))
                        .await
                        .map(|()| {
                            Some(Fetched::Objects(Source::new(format!("live:{path}")), items))
                        })
                }
                Ok(None) => Ok(None),
                Err(e) => Err(e),
            },
        };
        match r {
            Ok(f) => f,
            Err(e) => {
                let (g, res, verb, ns) = &job.rbac;
                let grant = match &e {
                    CallError::Denied { code: 403, .. } => {
                        Some(rbac::grant(g, res, verb, ns.as_deref()))
                    }
                    CallError::Denied { .. } => Some(rbac::UNAUTHENTICATED.to_owned()),
                    _ => None,
                };
                self.gap(Gap {
                    what: job.what.clone(),
                    why: e.to_string(),
                    grant,
                });
                None
            }
        }
    }

    /// Counts a watched resource cluster-wide with metadata-only pages;
    /// Revisions are kept (GC needs their labels and annotations).
    async fn count(&self, c: &Counted) -> Result<(), CallError> {
        let (api_version, path) = match c.builtin {
            Some((v, plural)) => (v.to_owned(), request::collection("", v, plural, None)),
            None => match self.discover(&c.group, &c.kind).await? {
                Some(found) => found,
                None => return Ok(()),
            },
        };
        let origin = Source::new(format!("live:{path}"));
        let mut per_ns: BTreeMap<Option<String>, u64> = BTreeMap::new();
        let is_revision = c.key == "Revision.serving.knative.dev";
        self.list(&path, None, None, Some(METADATA_ACCEPT), &mut |item| {
            if is_revision {
                let r = ingest::revision_from_metadata(&item, &api_version);
                self.record(&r);
                unloop_core::evidence::objects::ingest_value(r, &origin, &mut lock(&self.builder));
            } else {
                if self.recorder.is_some() {
                    // As its own kind, so a snapshot read offline counts it.
                    self.record(&ingest::as_kind(&item, &c.kind, &api_version));
                }
                let ns = item["metadata"]["namespace"].as_str().map(str::to_owned);
                *per_ns.entry(ns).or_default() += 1;
            }
        })
        .await?;
        let mut b = lock(&self.builder);
        for (ns, n) in per_ns {
            b.count_n(&c.key, ns.as_deref(), n);
        }
        Ok(())
    }

    /// The apiVersion and cluster-wide path of a custom kind, or `None` when
    /// it is not installed.
    async fn discover(
        &self,
        group: &str,
        kind: &str,
    ) -> Result<Option<(String, String)>, CallError> {
        let g = match self
            .pacer
            .call(|| kube::discovery::group(&self.client, group))
            .await
        {
            Ok(g) => g,
            Err(CallError::NotFound) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(g.recommended_kind(kind).map(|(ar, _)| {
            (
                ar.api_version.clone(),
                request::collection(&ar.group, &ar.version, &ar.plural, None),
            )
        }))
    }

    /// A paginated list straight into the builder (the scope's pods).
    async fn list_into(
        &self,
        path: &str,
        fields: Option<&str>,
        labels: Option<&str>,
    ) -> Result<(), CallError> {
        let origin = Source::new(format!("live:{path}"));
        self.list(path, fields, labels, None, &mut |item| {
            self.ingest(item, &origin, &mut lock(&self.builder));
        })
        .await
    }

    /// Pages through a list with `limit` + `continue`, handing each item
    /// (typed) to `sink`. A 410 on a continue token restarts the list;
    /// items already handed over are skipped the second time.
    async fn list(
        &self,
        path: &str,
        fields: Option<&str>,
        labels: Option<&str>,
        accept: Option<&str>,
        sink: &mut (dyn FnMut(Value) + Send),
    ) -> Result<(), CallError> {
        // 64-bit digests, not the identities: a 100k-item list would keep
        // megabytes of UIDs only to skip repeats after a restart.
        let mut seen: HashSet<u64> = HashSet::new();
        let digest = |item: &Value| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            ingest::identity(item).hash(&mut h);
            h.finish()
        };
        let mut restarts = 0;
        let mut token: Option<String> = None;
        loop {
            let uri = Query::default()
                .add("limit", self.limits.page_size.to_string())
                .opt("continue", token.as_deref())
                .opt("fieldSelector", fields)
                .opt("labelSelector", labels)
                .on(path);
            let text = match self.text(&uri, accept).await {
                Ok(t) => t,
                Err(CallError::Gone) if token.is_some() && restarts < 3 => {
                    restarts += 1;
                    token = None;
                    continue;
                }
                Err(e) => return Err(e),
            };
            let bad = |e: serde_json::Error| CallError::Failed(format!("{uri}: not a list: {e}"));
            // The head pass checks the page's syntax, so a truncated page
            // fails before any of its items is handed over (what `page::head`
            // cannot see fails at its item, as a later page's error would).
            let head = page::head(&text).map_err(bad)?;
            let kind = head.item_kind().unwrap_or_default().to_owned();
            let api_version = head.api_version.clone().unwrap_or_else(|| "v1".to_owned());
            token = head.next().map(str::to_owned);
            let paged = restarts == 0 && token.is_some();
            page::items(&text, &mut |item| {
                if restarts > 0 && !seen.insert(digest(&item)) {
                    return;
                }
                if paged {
                    seen.insert(digest(&item));
                }
                sink(ingest::typed(item, &kind, &api_version));
            })
            .map_err(bad)?;
            if token.is_none() {
                return Ok(());
            }
        }
    }

    async fn get(&self, path: &str) -> Result<Value, CallError> {
        self.json(path, None).await
    }

    /// One GET's body as text, counted in [`Collection::bytes`].
    async fn text(&self, uri: &str, accept: Option<&str>) -> Result<String, CallError> {
        let t = self
            .pacer
            .call(|| self.client.request_text(request::get(uri, accept)))
            .await?;
        self.bytes.fetch_add(t.len() as u64, Ordering::Relaxed);
        Ok(t)
    }

    /// One GET's body as JSON (what `Client::request` does, with the bytes counted).
    async fn json(&self, uri: &str, accept: Option<&str>) -> Result<Value, CallError> {
        let t = self.text(uri, accept).await?;
        serde_json::from_str(&t).map_err(|e| CallError::Failed(format!("{uri}: not JSON: {e}")))
    }
}

/// An events list for one object, by the field selector `kubectl describe` uses.
fn events_job(ns: &str, kind: &str, name: &str, uid: Option<&str>) -> Job {
    let mut fields = format!(
        "involvedObject.kind={kind},involvedObject.name={name},involvedObject.namespace={}",
        if kind == "Node" { "" } else { ns }
    );
    if let Some(uid) = uid {
        fields.push_str(&format!(",involvedObject.uid={uid}"));
    }
    Job {
        what: format!("events of {kind} {ns}/{name}"),
        rbac: rule("", "events", "list", Some(ns)),
        kind: JobKind::List {
            path: request::collection("", "v1", "events", Some(ns)),
            fields: Some(fields),
            labels: None,
        },
    }
}

fn rule(
    group: &str,
    resource: &str,
    verb: &'static str,
    ns: Option<&str>,
) -> (String, String, &'static str, Option<String>) {
    (
        group.to_owned(),
        resource.to_owned(),
        verb,
        ns.map(str::to_owned),
    )
}

/// The resource name of a custom kind for RBAC messages (discovery has the
/// real one, but a 403 may come before discovery answers).
fn plural(kind: &str) -> String {
    let k = kind.to_lowercase();
    if k.ends_with('s') { k + "es" } else { k + "s" }
}

/// A Deployment's `spec.selector.matchLabels` as a label selector.
fn match_labels(d: &Value) -> Option<String> {
    let m = d["spec"]["selector"]["matchLabels"].as_object()?;
    let s: Vec<String> = m
        .iter()
        .filter_map(|(k, v)| Some(format!("{k}={}", v.as_str()?)))
        .collect();
    (!s.is_empty()).then(|| s.join(","))
}

/// The year klog lines without one fall in: the latest pod time's (as the
/// dump reader does with the dump's times).
fn evidence_year(ev: &Evidence) -> Option<i16> {
    let latest = ev
        .pods
        .iter()
        .flat_map(|p| [p.start_time, p.meta.created])
        .flatten()
        .filter_map(|t| t.absolute())
        .max()?;
    Some(latest.to_zoned(jiff::tz::TimeZone::UTC).year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod(phase: &str, status: Value) -> Value {
        let mut st = status;
        st["phase"] = json!(phase);
        json!({"metadata": {"name": "p"}, "status": st})
    }

    #[test]
    fn healthy_pods_are_sketched_and_anything_else_kept() {
        let ready =
            json!({"name": "c", "ready": true, "restartCount": 0, "state": {"running": {}}});
        assert!(!maybe_troubled(&pod(
            "Running",
            json!({"containerStatuses": [ready.clone()]})
        )));
        assert!(!maybe_troubled(&pod(
            "Succeeded",
            json!({"containerStatuses": [
                {"name": "c", "ready": false, "restartCount": 0, "state": {"terminated": {"exitCode": 0}}}
            ]})
        )));
        let mut restarted = ready.clone();
        restarted["restartCount"] = json!(1);
        let mut waiting = ready.clone();
        waiting["state"] = json!({"waiting": {"reason": "CrashLoopBackOff"}});
        let mut unready = ready.clone();
        unready["ready"] = json!(false);
        for c in [restarted, waiting, unready] {
            assert!(maybe_troubled(&pod(
                "Running",
                json!({"containerStatuses": [c]})
            )));
        }
        assert!(maybe_troubled(&pod("Pending", json!({}))));
        assert!(maybe_troubled(&pod("Running", json!({}))));
        assert!(maybe_troubled(&pod(
            "Running",
            json!({
                "containerStatuses": [ready],
                "initContainerStatuses": [{"name": "i", "restartCount": 0,
                    "state": {"terminated": {"exitCode": 1}}}],
            })
        )));
    }

    #[test]
    fn replica_sets_of_one_deployment_are_one_workload() {
        let rs = |n: &str| ObjectRef::new("ReplicaSet", Some("ns"), n);
        assert!(same_owner(&rs("web-5f7c9d8b46"), &rs("web-7d4b9c6f5")));
        assert!(!same_owner(&rs("web-5f7c9d8b46"), &rs("api-5f7c9d8b46")));
        let ds = |n: &str| ObjectRef::new("DaemonSet", Some("ns"), n);
        assert!(same_owner(&ds("agent"), &ds("agent")));
        assert!(!same_owner(&ds("agent-a"), &ds("agent-b")));
        assert!(!same_owner(&rs("agent"), &ds("agent")));
    }
}
