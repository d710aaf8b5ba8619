//! Loading a snapshot: every object and log of the inputs into a [`Snapshot`].
//!
//! Objects are placed by kind: built-in kinds into their resources, every other
//! group/version/kind into a custom resource made for it. What the real
//! cluster would have but a dump leaves out is filled in: a Namespace for each
//! namespace that objects live in (and `default`), UIDs for objects without
//! one. What must not be served is removed as it is read: a Secret's values
//! (see `unloop_core::evidence::objects::strip_secret`), and secrets in
//! ConfigMap values and logs, masked as the evidence reader masks them.
//!
//! A log whose pod is not among the objects (a pasted `kubectl logs` output,
//! a `<pod>.log` file without its pod) is served under a minimal Pod made for
//! it, so that clients can find it as they would in a cluster: named by the
//! log (else by its file's folder), in the log's namespace (else `default`),
//! one container in CrashLoopBackOff after one restart (the premise of a
//! pasted crash-loop log; no exit code, signal or message is claimed, which
//! the inputs do not show), and the annotation [`SYNTHESIZED`] saying where
//! it came from.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

use jiff::Timestamp;
use serde_json::{Value, json};
use unloop_core::evidence::model::{ContainerRun, DiagnosticLevel};
use unloop_core::evidence::raw::{RawLog, RawVisitor, read_raw_paths};
use unloop_core::evidence::source::Source;
use unloop_core::redact;

use crate::ids;
use crate::logs::Logs;
use crate::meta;
use crate::resources::Resources;
use crate::store::Store;

/// A loaded snapshot, ready to serve.
pub struct Snapshot {
    pub store: Store,
    pub resources: Resources,
    pub logs: Logs,
    /// The latest time found in the snapshot: when it was taken, near enough.
    pub taken_at: Option<Timestamp>,
    /// How many objects were loaded (synthesized Namespaces included).
    pub objects: usize,
    /// Problems met while reading, and objects passed over.
    pub notes: Vec<String>,
    /// The highest kubelet version among the snapshot's nodes (`v1.26.12-gke.1111000`).
    pub kubernetes_version: Option<String>,
}

/// The annotation on a Pod made for a log whose pod the inputs lack.
pub const SYNTHESIZED: &str = "unloop.dev/synthesized-for-log";

/// Collects objects and logs as the walker finds them.
struct Loader {
    /// Pods read: (namespace, name).
    pods: BTreeSet<(String, String)>,
    /// Pods logs name: (namespace if the log says, name) → (containers, the
    /// first log's source).
    log_pods: BTreeMap<(Option<String>, String), (BTreeSet<String>, String)>,
    resources: Resources,
    objects: Vec<(crate::resources::StorageKey, Value)>,
    logs: Logs,
    notes: Vec<String>,
    latest: Option<Timestamp>,
    namespaces_used: BTreeMap<String, Option<String>>,
    namespaces_present: BTreeSet<String>,
    kubelet: Option<String>,
}

/// Fields whose times tell when a snapshot was taken.
const TIME_FIELDS: &[&[&str]] = &[
    &["metadata", "creationTimestamp"],
    &["lastTimestamp"],
    &["eventTime"],
    &["series", "lastObservedTime"],
    &["spec", "renewTime"],
];

impl Loader {
    fn note_time(&mut self, obj: &Value) {
        for path in TIME_FIELDS {
            if let Some(t) = meta::str_at(obj, path).and_then(|s| s.parse::<Timestamp>().ok()) {
                self.latest = Some(self.latest.map_or(t, |l| l.max(t)));
            }
        }
    }
}

impl RawVisitor for Loader {
    fn object(&mut self, mut obj: Value, source: &Source) {
        let kind = meta::str_at(&obj, &["kind"]).unwrap_or("").to_owned();
        let api_version = meta::str_at(&obj, &["apiVersion"]).unwrap_or("").to_owned();
        if meta::name(&obj).is_empty() {
            self.notes
                .push(format!("{source}: {kind} without a name, not served"));
            return;
        }
        let namespaced_hint = !meta::namespace(&obj).is_empty();
        let Some(res) = self
            .resources
            .resolve_or_add(&api_version, &kind, namespaced_hint)
        else {
            self.notes.push(format!(
                "{source}: {api_version} {kind} is not a kind this server knows; not served"
            ));
            return;
        };
        obj["apiVersion"] = Value::String(res.api_version());
        if res.namespaced {
            if meta::namespace(&obj).is_empty() {
                meta::set_meta(&mut obj, "namespace", json!("default"));
            }
            let ns = meta::namespace(&obj).to_owned();
            let created = meta::str_at(&obj, &["metadata", "creationTimestamp"]).map(str::to_owned);
            let slot = self.namespaces_used.entry(ns).or_insert(None);
            if let Some(c) = created
                && slot.as_ref().is_none_or(|s| c < *s)
            {
                *slot = Some(c);
            }
        } else {
            meta::metadata_mut(&mut obj).remove("namespace");
        }
        if kind == "Namespace" && res.group.is_empty() {
            self.namespaces_present.insert(meta::name(&obj).to_owned());
        }
        if kind == "Node"
            && let Some(v) = meta::str_at(&obj, &["status", "nodeInfo", "kubeletVersion"])
            && self
                .kubelet
                .as_deref()
                .is_none_or(|k| version_key(v) > version_key(k))
        {
            self.kubelet = Some(v.to_owned());
        }
        if meta::uid(&obj).is_empty() {
            let seed = format!(
                "{}/{}/{}",
                res.qualified(),
                meta::namespace(&obj),
                meta::name(&obj)
            );
            meta::set_meta(&mut obj, "uid", json!(ids::uid_for(&seed)));
        }
        if kind == "ConfigMap" && res.group.is_empty() {
            scrub_config_map(&mut obj);
        }
        if kind == "Pod" && res.group.is_empty() {
            self.pods.insert((
                meta::namespace(&obj).to_owned(),
                meta::name(&obj).to_owned(),
            ));
        }
        self.note_time(&obj);
        self.objects.push((res.storage(), obj));
    }

    fn log(&mut self, log: RawLog) {
        let RawLog {
            namespace,
            pod,
            container,
            run,
            text,
            source,
        } = log;
        let Some(pod) = pod.or_else(|| pod_name_for(&source)) else {
            self.notes
                .push(format!("{source}: a log that names no pod, not served"));
            return;
        };
        let entry = self
            .log_pods
            .entry((namespace.clone(), pod.clone()))
            .or_insert_with(|| (BTreeSet::new(), source.to_string()));
        entry
            .0
            .insert(container.clone().unwrap_or_else(|| pod.clone()));
        let text = redact::redact(&text).into_owned();
        self.logs.add(
            namespace,
            pod,
            container,
            run == ContainerRun::Previous,
            text,
        );
    }

    fn diagnostic(&mut self, level: DiagnosticLevel, source: &Source, message: &str) {
        if level >= DiagnosticLevel::Warning {
            self.notes.push(format!("{source}: {message}"));
        }
    }
}

/// A pod name for a log that names none: its file's folder (a case folder
/// holding `logs.txt`), else the file's stem, as a DNS label.
fn pod_name_for(source: &Source) -> Option<String> {
    let path = std::path::Path::new(&*source.origin);
    let generic = |s: &str| matches!(s, "logs" | "log" | "output" | "current" | "paste" | "");
    let stem = path.file_stem()?.to_string_lossy().to_ascii_lowercase();
    // Only a file named as a log (`*.log`, `logs.txt`, `controller-logs.txt`)
    // stands for a pod: any other text (notes.txt) is not served as one.
    let log_named = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("log"))
        || generic(&stem)
        || stem.contains("log");
    if !log_named {
        return None;
    }
    let base = if generic(&stem) {
        path.parent()?
            .file_name()?
            .to_string_lossy()
            .to_ascii_lowercase()
    } else {
        stem
    };
    let mut name: String = base
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    name.truncate(63);
    let name = name.trim_matches('-').to_owned();
    (!name.is_empty()).then_some(name)
}

/// A minimal Pod for a log whose pod the inputs lack (see the module docs).
fn synthesized_pod(ns: &str, name: &str, containers: &BTreeSet<String>, source: &str) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {
            "name": name,
            "namespace": ns,
            "uid": ids::uid_for(&format!("pods/{ns}/{name}")),
            "annotations": {SYNTHESIZED: source},
        },
        "spec": {
            "containers": containers.iter().map(|c| json!({"name": c})).collect::<Vec<_>>(),
        },
        "status": {
            "phase": "Running",
            "containerStatuses": containers.iter().map(|c| json!({
                "name": c,
                "ready": false,
                "restartCount": 1,
                "state": {"waiting": {"reason": "CrashLoopBackOff"}},
            })).collect::<Vec<_>>(),
        },
    })
}

/// `v1.26.12-gke.1111000` → (1, 26, 12) for comparing.
fn version_key(v: &str) -> (u32, u32, u32) {
    let core = v.trim_start_matches('v');
    let mut parts = core.split(['.', '-', '+']).map(|p| p.parse().unwrap_or(0));
    (
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
        parts.next().unwrap_or(0),
    )
}

/// Masks ConfigMap values that hold secrets, as the evidence reader does.
fn scrub_config_map(obj: &mut Value) {
    if let Some(Value::Object(data)) = obj.get_mut("data") {
        for (k, v) in data.iter_mut() {
            if let Value::String(s) = v {
                if redact::is_secret_key(k) {
                    *s = redact::MASK.to_owned();
                } else {
                    redact::redact_in_place(s);
                }
            }
        }
    }
    if let Some(Value::Object(ann)) = obj
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        for v in ann.values_mut() {
            if let Value::String(s) = v {
                redact::redact_in_place(s);
            }
        }
    }
}

/// Reads every path into a snapshot whose store keeps `history` changes.
pub fn load_paths(paths: &[PathBuf], history: usize) -> Snapshot {
    let mut loader = Loader {
        pods: BTreeSet::new(),
        log_pods: BTreeMap::new(),
        resources: Resources::builtin(),
        objects: Vec::new(),
        logs: Logs::default(),
        notes: Vec::new(),
        latest: None,
        namespaces_used: BTreeMap::new(),
        namespaces_present: BTreeSet::new(),
        kubelet: None,
    };
    read_raw_paths(paths, &mut loader);
    let pods_storage = crate::resources::StorageKey::new("", "pods");
    for ((ns, name), (containers, source)) in std::mem::take(&mut loader.log_pods) {
        // A log that does not say its namespace belongs to any pod of its name.
        let found = match &ns {
            Some(ns) => loader.pods.contains(&(ns.clone(), name.clone())),
            None => loader.pods.iter().any(|(_, n)| *n == name),
        };
        let ns = ns.unwrap_or_else(|| "default".into());
        if !found {
            loader.notes.push(format!(
                "{source}: served under a Pod {ns}/{name} made for it"
            ));
            loader.namespaces_used.entry(ns.clone()).or_insert(None);
            let pod = synthesized_pod(&ns, &name, &containers, &source);
            loader.objects.push((pods_storage.clone(), pod));
        }
    }
    loader
        .namespaces_used
        .entry("default".into())
        .or_insert(None);
    let store = Store::new(history);
    let mut count = 0;
    let ns_storage = crate::resources::StorageKey::new("", "namespaces");
    for (ns, created) in &loader.namespaces_used {
        if loader.namespaces_present.contains(ns) {
            continue;
        }
        let mut obj = json!({
            "kind": "Namespace",
            "apiVersion": "v1",
            "metadata": {
                "name": ns,
                "uid": ids::uid_for(&format!("namespaces//{ns}")),
                "labels": {"kubernetes.io/metadata.name": ns},
            },
            "spec": {"finalizers": ["kubernetes"]},
            "status": {"phase": "Active"},
        });
        if let Some(c) = created {
            meta::set_meta(&mut obj, "creationTimestamp", json!(c));
        }
        store.load(&ns_storage, obj);
        count += 1;
    }
    for (storage, obj) in loader.objects {
        store.load(&storage, obj);
        count += 1;
    }
    Snapshot {
        store,
        resources: loader.resources,
        logs: loader.logs,
        taken_at: loader.latest,
        objects: count,
        notes: loader.notes,
        kubernetes_version: loader.kubelet,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resources::StorageKey;

    #[test]
    fn loads_the_bundled_incident() {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop");
        let s = load_paths(&[dir], 100);
        let pods = StorageKey::new("", "pods");
        let n = s.store.read(|v| v.table(&pods).count());
        assert!(n > 20, "{n} pods");
        assert!(
            s.resources
                .get("serving.knative.dev", "v1", "revisions")
                .is_some()
        );
        assert!(
            s.store
                .get(&StorageKey::new("", "namespaces"), "", "knative-serving")
                .is_some()
        );
        assert!(s.logs.len() > 40);
        assert_eq!(
            s.kubernetes_version.as_deref(),
            Some("v1.26.12-gke.1111000")
        );
        let taken = s.taken_at.unwrap().to_string();
        assert!(taken.starts_with("2024-04-12"), "{taken}");
        // Every object has a UID and a resourceVersion.
        s.store.read(|v| {
            for (_, o) in v.table(&pods) {
                assert!(!meta::uid(o).is_empty());
                assert!(meta::resource_version(o).is_some());
            }
        });
    }

    #[test]
    fn config_map_secrets_are_masked() {
        let mut cm =
            json!({"data": {"password": "hunter2", "url": "https://u:p4ss@h/x", "plain": "x"}});
        scrub_config_map(&mut cm);
        assert_eq!(cm["data"]["password"], redact::MASK);
        assert_eq!(cm["data"]["plain"], "x");
        assert!(!cm["data"]["url"].as_str().unwrap().contains("p4ss"));
    }
}

#[cfg(test)]
mod synthesized {
    use super::*;
    use crate::resources::StorageKey;

    #[test]
    fn a_log_without_its_pod_is_served_under_a_pod_made_for_it() {
        let dir = std::env::temp_dir().join(format!("unloop-load-synth-{}", std::process::id()));
        let case = dir.join("20-metrics-server-readonly-rootfs");
        std::fs::create_dir_all(&case).unwrap();
        std::fs::write(
            case.join("logs.txt"),
            "E0101 00:00:00.000000       1 main.go:1] open /tmp/x: read-only file system\n",
        )
        .unwrap();
        let s = load_paths(std::slice::from_ref(&dir), 10);
        std::fs::remove_dir_all(&dir).ok();
        let pods = StorageKey::new("", "pods");
        let pod = s
            .store
            .get(&pods, "default", "20-metrics-server-readonly-rootfs")
            .expect("a pod made for the log");
        assert!(
            pod["metadata"]["annotations"][SYNTHESIZED]
                .as_str()
                .unwrap()
                .contains("logs.txt")
        );
        assert_eq!(pod["status"]["containerStatuses"][0]["ready"], false);
        assert_eq!(
            pod["status"]["containerStatuses"][0]["state"]["waiting"]["reason"],
            "CrashLoopBackOff"
        );
        let log = s
            .logs
            .find(
                "default",
                "20-metrics-server-readonly-rootfs",
                "20-metrics-server-readonly-rootfs",
                false,
                true,
            )
            .expect("its log");
        assert!(log.contains("read-only file system"));
        assert!(s.notes.iter().any(|n| n.contains("made for it")));
    }

    #[test]
    fn text_not_named_as_a_log_makes_no_pod() {
        let dir = std::env::temp_dir().join(format!("unloop-load-notes-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "nothing to serve\n").unwrap();
        std::fs::write(
            dir.join("controller.log"),
            "I0101 00:00:00.000000 1 main.go:1] up\n",
        )
        .unwrap();
        let s = load_paths(std::slice::from_ref(&dir), 10);
        std::fs::remove_dir_all(&dir).ok();
        let pods = StorageKey::new("", "pods");
        assert!(s.store.get(&pods, "default", "notes").is_none());
        assert!(s.store.get(&pods, "default", "controller").is_some());
    }

    #[test]
    fn logs_of_pods_the_snapshot_holds_make_no_pod() {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop");
        let s = load_paths(&[dir], 10);
        assert!(
            !s.notes.iter().any(|n| n.contains("made for it")),
            "{:?}",
            s.notes
        );
    }
}
