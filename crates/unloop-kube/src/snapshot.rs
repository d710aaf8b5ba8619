//! `unloop snapshot`: what the collector read, written as an evidence folder
//! that the offline readers take.
//!
//! The layout is `kubectl cluster-info dump --output-directory`'s, extended
//! with what the dump leaves out, in the same shape:
//!
//! ```text
//! DIR/nodes.json                        NodeList (always written, maybe empty)
//! DIR/<ns>/pods.json events.json replicasets.json deployments.json services.json
//! DIR/<ns>/leases.json configmaps.json  what the dump lacks, typed lists as well
//! DIR/<ns>/secrets.json endpoints.json  counted resources: metadata-only items
//! DIR/<ns>/revisions.serving.knative.dev.json   custom kinds: <plural>.<group>.json
//! DIR/<ns>/<pod>/logs.txt               current runs, `==== START logs ...` blocks
//! DIR/<ns>/<pod>/previous-logs.txt      previous runs (`kubectl logs --previous`), same blocks
//! ```
//!
//! Cluster-scoped objects other than Nodes go to `DIR/<plural>.json`. Lists
//! are typed (`PodList`, `apiVersion` of the kind) and their items keep
//! `kind` and `apiVersion`, which readers accept either way.
//!
//! Nothing secret is written: a Secret loses `data`, `stringData`, its
//! annotations' values and its managed fields (the collector only reads
//! Secrets' metadata anyway); ConfigMap values and container arguments and
//! environment values that look like credentials are masked, and so are
//! credentials in logs, as the evidence reader masks them.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde_json::Value;
use unloop_core::evidence::objects::strip_secret;
use unloop_core::redact;

use crate::record::Recorder;

/// Why a snapshot could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    /// A file or directory could not be created or written.
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// An object could not be serialised (not expected of JSON values).
    #[error("cannot encode {what}: {source}")]
    Encode {
        what: String,
        #[source]
        source: serde_json::Error,
    },
}

/// What [`SnapshotRecorder::write`] wrote.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SnapshotStats {
    /// Files written.
    pub files: usize,
    /// Objects written, all lists together.
    pub objects: usize,
    /// Container logs written (current and previous runs).
    pub logs: usize,
    /// Bytes written.
    pub bytes: u64,
}

/// One list file being gathered: its items, encoded as they arrive so that
/// what is held is bytes, not `Value` trees.
#[derive(Debug, Default)]
struct ListFile {
    kind: String,
    api_version: String,
    items: Vec<Vec<u8>>,
    /// `kind/namespace/name` of items held: a pod read twice (in scope and
    /// on its node) is written once.
    seen: HashSet<String>,
}

/// One container run's log.
#[derive(Debug)]
struct LogFile {
    container: String,
    text: String,
}

#[derive(Debug, Default)]
struct State {
    /// By relative path (`knative-serving/pods.json`).
    lists: BTreeMap<PathBuf, ListFile>,
    /// By relative path (`knative-serving/<pod>/logs.txt`), blocks in order.
    logs: BTreeMap<PathBuf, (String, String, Vec<LogFile>)>,
    first_error: Option<SnapshotError>,
}

/// A [`Recorder`] that gathers what the collector reads and writes it as an
/// evidence folder (see the module docs for the layout).
#[derive(Debug, Default)]
pub struct SnapshotRecorder {
    state: Mutex<State>,
}

impl SnapshotRecorder {
    /// An empty recorder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Writes everything recorded below `dir` (created if missing).
    pub fn write(&self, dir: &Path) -> Result<SnapshotStats, SnapshotError> {
        let mut st = lock(&self.state);
        if let Some(e) = st.first_error.take() {
            return Err(e);
        }
        let mut stats = SnapshotStats::default();
        let nodes = PathBuf::from("nodes.json");
        st.lists.entry(nodes).or_insert_with(|| ListFile {
            kind: "Node".into(),
            api_version: "v1".into(),
            ..Default::default()
        });
        for (rel, list) in &st.lists {
            let mut out = Vec::with_capacity(list.items.iter().map(Vec::len).sum::<usize>() + 256);
            // The shape kubectl prints: a typed List, items indented by 4.
            write!(
                out,
                "{{\n    \"kind\": \"{}List\",\n    \"apiVersion\": \"{}\",\n    \"metadata\": {{}},\n    \"items\": [",
                list.kind, list.api_version
            )
            .map_err(|e| io_error(dir.join(rel), e))?;
            for (i, item) in list.items.iter().enumerate() {
                out.extend_from_slice(if i == 0 { b"\n" } else { b",\n" });
                for (j, line) in item.split(|&b| b == b'\n').enumerate() {
                    if j > 0 {
                        out.push(b'\n');
                    }
                    out.extend_from_slice(b"        ");
                    out.extend_from_slice(line);
                }
            }
            out.extend_from_slice(if list.items.is_empty() {
                b"]\n}\n"
            } else {
                b"\n    ]\n}\n"
            });
            stats.bytes += write_file(&dir.join(rel), &out)?;
            stats.files += 1;
            stats.objects += list.items.len();
        }
        for (rel, (ns, pod, blocks)) in &st.logs {
            let mut out = String::new();
            for b in blocks {
                // cluster-info dump's block markers, so the dump readers apply.
                out.push_str(&format!(
                    "==== START logs for container {} of pod {ns}/{pod} ====\n",
                    b.container
                ));
                out.push_str(&b.text);
                if !b.text.is_empty() && !b.text.ends_with('\n') {
                    out.push('\n');
                }
                out.push_str(&format!(
                    "==== END logs for container {} of pod {ns}/{pod} ====\n",
                    b.container
                ));
                stats.logs += 1;
            }
            stats.bytes += write_file(&dir.join(rel), out.as_bytes())?;
            stats.files += 1;
        }
        Ok(stats)
    }
}

impl Recorder for SnapshotRecorder {
    fn object(&self, obj: &Value) {
        let kind = obj["kind"].as_str().unwrap_or_default();
        let api_version = obj["apiVersion"].as_str().unwrap_or("v1");
        let name = obj["metadata"]["name"].as_str().unwrap_or_default();
        if kind.is_empty() || name.is_empty() {
            return;
        }
        let ns = obj["metadata"]["namespace"]
            .as_str()
            .filter(|n| !n.is_empty());
        let rel = list_path(kind, api_version, ns);
        let mut st = lock(&self.state);
        let list = st.lists.entry(rel).or_insert_with(|| ListFile {
            kind: kind.to_owned(),
            api_version: api_version.to_owned(),
            ..Default::default()
        });
        if !list
            .seen
            .insert(format!("{kind}/{}/{name}", ns.unwrap_or("")))
        {
            return;
        }
        let mut obj = obj.clone();
        scrub(&mut obj, kind, api_version);
        match serde_json::to_vec_pretty(&obj) {
            Ok(bytes) => list.items.push(bytes),
            Err(e) => {
                st.first_error.get_or_insert(SnapshotError::Encode {
                    what: format!("{kind} {}/{name}", ns.unwrap_or("")),
                    source: e,
                });
            }
        }
    }

    fn log(&self, namespace: &str, pod: &str, container: &str, previous: bool, text: &str) {
        let file = if previous {
            "previous-logs.txt"
        } else {
            "logs.txt"
        };
        let rel = Path::new(&safe(namespace)).join(safe(pod)).join(file);
        let mut st = lock(&self.state);
        let (_, _, blocks) = st
            .logs
            .entry(rel)
            .or_insert_with(|| (namespace.to_owned(), pod.to_owned(), Vec::new()));
        if blocks.iter().any(|b| b.container == container) {
            return;
        }
        blocks.push(LogFile {
            container: container.to_owned(),
            text: redact::redact(text).into_owned(),
        });
    }
}

/// Locks, recovering from a poisoned lock (what was recorded is still good).
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

fn io_error(path: PathBuf, source: std::io::Error) -> SnapshotError {
    SnapshotError::Io { path, source }
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<u64, SnapshotError> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|e| io_error(parent.to_owned(), e))?;
    }
    std::fs::write(path, bytes).map_err(|e| io_error(path.to_owned(), e))?;
    Ok(bytes.len() as u64)
}

/// A name as one path component: Kubernetes names cannot hold `/`, but a
/// snapshot must not be steered out of its folder by a hostile one.
fn safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| if c == '/' || c == '\\' { '_' } else { c })
        .collect();
    if s.is_empty() || s == "." || s == ".." {
        format!("_{s}")
    } else {
        s
    }
}

/// The file a kind's list goes to: the dump's names for the kinds it
/// writes, kubectl-style plurals for the rest, `.group` for non-core groups.
fn list_path(kind: &str, api_version: &str, ns: Option<&str>) -> PathBuf {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    let stem = match kind {
        "ReplicationController" => "replication-controllers".to_owned(),
        "Endpoints" => "endpoints".to_owned(),
        _ => {
            let k = kind.to_ascii_lowercase();
            let plural = if k.ends_with('s') || k.ends_with('x') {
                k + "es"
            } else if let Some(stem) = k.strip_suffix('y') {
                format!("{stem}ies")
            } else {
                k + "s"
            };
            match group {
                "" | "apps" | "coordination.k8s.io" | "events.k8s.io" | "batch" => plural,
                g => format!("{plural}.{g}"),
            }
        }
    };
    let file = format!("{}.json", safe(&stem));
    match ns {
        Some(ns) => Path::new(&safe(ns)).join(file),
        None => PathBuf::from(file),
    }
}

/// Removes or masks what must not be written (see the module docs).
fn scrub(obj: &mut Value, kind: &str, api_version: &str) {
    let Value::Object(o) = obj else { return };
    match (kind, api_version) {
        ("Secret", "v1") => {
            strip_secret(o);
            if let Some(Value::Object(m)) = o.get_mut("metadata") {
                // Managed fields name every data key; annotations may hold a
                // copy of the whole Secret (last-applied-configuration).
                m.remove("managedFields");
                m.remove("annotations");
            }
        }
        ("ConfigMap", "v1") => {
            for key in ["data", "binaryData"] {
                if let Some(Value::Object(data)) = o.get_mut(key) {
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
            }
        }
        ("Pod", "v1") => {
            if let Some(Value::Object(spec)) = o.get_mut("spec") {
                for list in ["initContainers", "containers", "ephemeralContainers"] {
                    if let Some(Value::Array(cs)) = spec.get_mut(list) {
                        cs.iter_mut().for_each(scrub_container);
                    }
                }
            }
        }
        _ => {}
    }
    // Any kind may carry the last applied copy of itself; only Secrets' is
    // secret, but an object that embeds a Secret's fields is not worth the risk.
    if let Some(Value::Object(ann)) = o.get_mut("metadata").and_then(|m| m.get_mut("annotations")) {
        for v in ann.values_mut() {
            if let Value::String(s) = v {
                redact::redact_in_place(s);
            }
        }
    }
}

/// Masks credentials in a container's command, arguments and literal env values.
fn scrub_container(c: &mut Value) {
    for key in ["command", "args"] {
        if let Some(Value::Array(a)) = c.get_mut(key) {
            for v in a {
                if let Value::String(s) = v {
                    redact::redact_in_place(s);
                }
            }
        }
    }
    if let Some(Value::Array(env)) = c.get_mut("env") {
        for e in env {
            let secret_name = e["name"].as_str().is_some_and(redact::is_secret_key);
            if let Some(Value::String(s)) = e.get_mut("value") {
                if secret_name {
                    *s = redact::MASK.to_owned();
                } else {
                    redact::redact_in_place(s);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn files_follow_the_dump_layout() {
        assert_eq!(
            list_path("Pod", "v1", Some("ks")),
            PathBuf::from("ks/pods.json")
        );
        assert_eq!(
            list_path("ReplicaSet", "apps/v1", Some("ks")),
            PathBuf::from("ks/replicasets.json")
        );
        assert_eq!(
            list_path("Lease", "coordination.k8s.io/v1", Some("ks")),
            PathBuf::from("ks/leases.json")
        );
        assert_eq!(
            list_path("Revision", "serving.knative.dev/v1", Some("d")),
            PathBuf::from("d/revisions.serving.knative.dev.json")
        );
        assert_eq!(list_path("Node", "v1", None), PathBuf::from("nodes.json"));
        assert_eq!(
            list_path(
                "Ingress",
                "networking.internal.knative.dev/v1alpha1",
                Some("d")
            ),
            PathBuf::from("d/ingresses.networking.internal.knative.dev.json")
        );
        assert_eq!(safe(".."), "_..");
        assert_eq!(safe("a/b"), "a_b");
    }

    #[test]
    fn secrets_lose_their_values_and_logs_their_credentials() {
        let r = SnapshotRecorder::new();
        r.object(&json!({
            "kind": "Secret", "apiVersion": "v1",
            "metadata": {"name": "s", "namespace": "d", "annotations": {
                "kubectl.kubernetes.io/last-applied-configuration": "{\"data\":{\"k\":\"aHVudGVyMg==\"}}"},
                "managedFields": [{"fieldsV1": {"f:data": {"f:k": {}}}}]},
            "data": {"k": "aHVudGVyMg=="}, "stringData": {"k": "hunter2"},
        }));
        r.object(&json!({
            "kind": "ConfigMap", "apiVersion": "v1",
            "metadata": {"name": "c", "namespace": "d"},
            "data": {"password": "hunter2", "plain": "x"},
        }));
        r.log("d", "p-1", "c", true, "login password=hunter2 ok\n");
        let dir = std::env::temp_dir().join(format!("unloop-snap-unit-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let stats = r.write(&dir).unwrap();
        assert_eq!((stats.objects, stats.logs), (2, 1));
        let secrets = std::fs::read_to_string(dir.join("d/secrets.json")).unwrap();
        let cms = std::fs::read_to_string(dir.join("d/configmaps.json")).unwrap();
        let log = std::fs::read_to_string(dir.join("d/p-1/previous-logs.txt")).unwrap();
        let nodes = std::fs::read_to_string(dir.join("nodes.json")).unwrap();
        std::fs::remove_dir_all(&dir).ok();
        let v: Value = serde_json::from_str(&secrets).unwrap();
        assert_eq!(v["kind"], "SecretList");
        assert_eq!(v["items"][0]["metadata"]["name"], "s");
        for needle in ["aHVudGVyMg", "hunter2", "\"data\"", "stringData", "f:k"] {
            assert!(!secrets.contains(needle), "{needle} in {secrets}");
        }
        assert!(!cms.contains("hunter2") && cms.contains("\"plain\": \"x\""));
        assert!(log.starts_with("==== START logs for container c of pod d/p-1 ====\n"));
        assert!(!log.contains("hunter2"), "{log}");
        let n: Value = serde_json::from_str(&nodes).unwrap();
        assert_eq!(n["items"], json!([]));
    }

    #[test]
    fn an_object_read_twice_is_written_once() {
        let r = SnapshotRecorder::new();
        let pod = json!({"kind": "Pod", "apiVersion": "v1",
            "metadata": {"name": "p", "namespace": "d"}, "spec": {"containers": [
                {"name": "c", "env": [{"name": "DB_PASSWORD", "value": "hunter2"}]}]}});
        r.object(&pod);
        r.object(&pod);
        let st = lock(&r.state);
        let list = &st.lists[&PathBuf::from("d/pods.json")];
        assert_eq!(list.items.len(), 1);
        assert!(!String::from_utf8_lossy(&list.items[0]).contains("hunter2"));
    }
}
