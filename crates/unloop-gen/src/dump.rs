//! `kubectl cluster-info dump --output-directory` tree of a given size.
//!
//! Layout and JSON shape follow kubectl's clusterinfo_dump.go: `nodes.json`, then per namespace
//! `events.json`, `replication-controllers.json`, `services.json`, `daemonsets.json`,
//! `deployments.json`, `replicasets.json`, `pods.json` (typed lists, `json.MarshalIndent` with 4
//! spaces, items without kind/apiVersion, managedFields kept) and `<pod>/logs.txt` holding one
//! START/END block per container. Everything is written through `BufWriter`s as it is generated.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

pub mod cluster;

use crate::json::Json;
use crate::logs::{self, LogCtx, Style};
use crate::rng::Rng;
use crate::time::{self, BASE, DAY, HOUR, MIN, SEC};
use crate::words::*;

/// What [`dump`] writes.
#[derive(Clone, Debug)]
pub struct DumpOptions {
    /// The output directory, created if missing.
    pub out: PathBuf,
    /// Stop adding namespaces once this many bytes have been written.
    pub size: u64,
    /// The same seed gives the same bytes.
    pub seed: u64,
}

/// What [`dump`] wrote: files and bytes (JSON and logs), namespaces, pods and nodes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DumpStats {
    pub files: u64,
    pub bytes: u64,
    pub json_bytes: u64,
    pub log_bytes: u64,
    pub namespaces: u64,
    pub pods: u64,
    pub nodes: u64,
}

/// A file being written: content is produced into `buf` and handed to the `BufWriter` in chunks.
struct Sink {
    w: BufWriter<File>,
    buf: Vec<u8>,
    n: u64,
}

const CHUNK: usize = 1 << 20;

impl Sink {
    fn create(path: &Path) -> io::Result<Sink> {
        Ok(Sink {
            w: BufWriter::with_capacity(CHUNK, File::create(path)?),
            buf: Vec::with_capacity(CHUNK + (64 << 10)),
            n: 0,
        })
    }

    #[inline]
    fn maybe_flush(&mut self) -> io::Result<()> {
        if self.buf.len() >= CHUNK {
            self.flush_buf()?;
        }
        Ok(())
    }

    fn flush_buf(&mut self) -> io::Result<()> {
        self.w.write_all(&self.buf)?;
        self.n += self.buf.len() as u64;
        self.buf.clear();
        Ok(())
    }

    fn finish(mut self) -> io::Result<u64> {
        self.flush_buf()?;
        self.w.flush()?;
        Ok(self.n)
    }
}

/// Writes the list header up to `"items": [`.
fn list_head(buf: &mut Vec<u8>, kind: &str, api: &str, rv: u64) {
    buf.extend_from_slice(b"{\n    \"kind\": \"");
    buf.extend_from_slice(kind.as_bytes());
    buf.extend_from_slice(b"\",\n    \"apiVersion\": \"");
    buf.extend_from_slice(api.as_bytes());
    buf.extend_from_slice(b"\",\n    \"metadata\": {\n        \"resourceVersion\": \"");
    time::push_u64(buf, rv);
    buf.extend_from_slice(b"\"\n    },\n    \"items\": [");
}

fn list_tail(buf: &mut Vec<u8>, count: usize) {
    if count == 0 {
        buf.extend_from_slice(b"]\n}\n");
    } else {
        buf.extend_from_slice(b"\n    ]\n}\n");
    }
}

/// Writes a typed list whose items are produced one by one by `item`.
fn write_list<F>(
    path: &Path,
    kind: &str,
    api: &str,
    rv: u64,
    count: usize,
    mut item: F,
) -> io::Result<u64>
where
    F: FnMut(usize, &mut Json),
{
    let mut s = Sink::create(path)?;
    list_head(&mut s.buf, kind, api, rv);
    for i in 0..count {
        {
            let mut j = Json::nested(&mut s.buf, 4, 2, i == 0);
            item(i, &mut j);
        }
        s.maybe_flush()?;
    }
    list_tail(&mut s.buf, count);
    s.finish()
}

/// Writes the typed lists of one folder, all at one resourceVersion, counting files and bytes.
struct Lists<'a> {
    dir: &'a Path,
    rv: u64,
    files: u64,
    bytes: u64,
}

impl<'a> Lists<'a> {
    fn new(dir: &'a Path, rv: u64) -> Self {
        Lists {
            dir,
            rv,
            files: 0,
            bytes: 0,
        }
    }

    /// `file`: a `kind` list of `count` items produced by `item`.
    fn write(
        &mut self,
        file: &str,
        kind: &str,
        api: &str,
        count: usize,
        item: impl FnMut(usize, &mut Json),
    ) -> io::Result<()> {
        self.bytes += write_list(&self.dir.join(file), kind, api, self.rv, count, item)?;
        self.files += 1;
        Ok(())
    }

    /// Adds the files and bytes written to `stats`.
    fn count_in(&self, stats: &mut DumpStats) {
        stats.files += self.files;
        stats.bytes += self.bytes;
        stats.json_bytes += self.bytes;
    }
}

// -------------------------------------------------------------------------------------------
// The world
// -------------------------------------------------------------------------------------------

struct Node {
    name: String,
    ip: String,
    cidr_base: String,
    uid: String,
}

struct Container {
    name: String,
    image: String,
    style: Style,
    budget: usize,
    cid: String,
}

struct Pod {
    name: String,
    uid: String,
    node: usize,
    ip: String,
    created: i64,
    started: i64,
    crash: bool,
    restarts: u64,
    pending: bool,
    containers: Vec<Container>,
    no_newline: bool,
}

struct Workload {
    name: String,
    uid: String,
    rs_hash: String,
    rs_uid: String,
    old_rs: Option<(String, String)>,
    replicas: usize,
    created: i64,
    component: String,
    pods: Vec<Pod>,
    port: i64,
    svc_ip: String,
}

fn s(v: Vec<u8>) -> String {
    String::from_utf8(v).expect("ascii")
}

fn make_nodes(rng: &mut Rng, n: usize) -> Vec<Node> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let mut name = format!("gke-bench-pool-{}-", 1 + i / 16).into_bytes();
        rng.hex(&mut name, 8);
        name.push(b'-');
        rng.k8s_suffix(&mut name, 4);
        out.push(Node {
            name: s(name),
            ip: format!("10.128.{}.{}", i / 250, 2 + i % 250),
            cidr_base: format!("10.{}.{}", 48 + i / 256, i % 256),
            uid: rng.uuid_string(),
        });
    }
    out
}

fn make_namespace(
    rng: &mut Rng,
    idx: u64,
    nodes: &[Node],
    per_ns_logs: usize,
) -> (String, Vec<Workload>) {
    let word = NS_WORDS[(idx as usize) % NS_WORDS.len()];
    let ns = format!("{}-{}", word, idx / NS_WORDS.len() as u64 + 1);
    let n_work = rng.range(4, 24) as usize;
    let mut works = Vec::with_capacity(n_work);
    for w in 0..n_work {
        let name = format!("{}-{}", rng.pick(APP_WORDS), rng.pick(APP_WORDS));
        let name = if works.iter().any(|x: &Workload| x.name == name) {
            format!("{name}-{w}")
        } else {
            name
        };
        let mut h = Vec::new();
        rng.k8s_suffix(&mut h, 10);
        let rs_hash = s(h);
        let replicas = rng.range(1, 4) as usize;
        let created = BASE - (rng.range(2 * HOUR as u64, 120 * DAY as u64) as i64);
        let style = Style::pick(rng);
        let old_rs = if rng.chance(0.6) {
            let mut h2 = Vec::new();
            rng.k8s_suffix(&mut h2, 10);
            Some((s(h2), rng.uuid_string()))
        } else {
            None
        };
        let mut pods = Vec::with_capacity(replicas);
        for _ in 0..replicas {
            let mut pn = format!("{name}-{rs_hash}-").into_bytes();
            rng.k8s_suffix(&mut pn, 5);
            let node = rng.below(nodes.len() as u64) as usize;
            let crash = rng.chance(0.05);
            let pcreated = created + rng.below((BASE - created).max(1) as u64 / 2) as i64;
            let n_c = if rng.chance(0.3) { 2 } else { 1 };
            let mut containers = Vec::with_capacity(n_c);
            for c in 0..n_c {
                let (cname, cstyle) = if c == 0 {
                    (name.clone(), style)
                } else {
                    ("istio-proxy".to_string(), Style::AppText)
                };
                // log sizes: mostly small, a long tail, and a few very large files
                let mut budget = (rng.exp(per_ns_logs as f64) as usize).clamp(200, 4 << 20);
                if rng.chance(0.003) {
                    budget = rng.range(1 << 20, 6 << 20) as usize;
                }
                if c == 1 {
                    budget /= 4;
                }
                let mut cid = b"containerd://".to_vec();
                rng.hex(&mut cid, 64);
                let mut img = format!("registry.example.com/{ns}/{cname}@sha256:").into_bytes();
                rng.hex(&mut img, 64);
                containers.push(Container {
                    name: cname,
                    image: s(img),
                    style: cstyle,
                    budget,
                    cid: s(cid),
                });
            }
            let restarts = if crash {
                rng.range(5, 60)
            } else if rng.chance(0.1) {
                rng.range(1, 3)
            } else {
                0
            };
            pods.push(Pod {
                name: s(pn),
                uid: rng.uuid_string(),
                node,
                ip: format!("{}.{}", nodes[node].cidr_base, 2 + rng.below(250)),
                created: pcreated,
                started: if crash {
                    BASE - rng.range(20 * SEC as u64, 5 * MIN as u64) as i64
                } else {
                    pcreated + rng.range(2 * SEC as u64, 40 * SEC as u64) as i64
                },
                crash,
                restarts,
                pending: rng.chance(0.005),
                containers,
                no_newline: rng.chance(0.01),
            });
        }
        works.push(Workload {
            name,
            uid: rng.uuid_string(),
            rs_hash,
            rs_uid: rng.uuid_string(),
            old_rs,
            replicas,
            created,
            component: rng.pick(APP_WORDS).to_string(),
            pods,
            port: *rng.pick(&[8080i64, 8443, 9090, 3000, 8000]),
            svc_ip: format!("10.52.{}.{}", rng.below(16), 2 + rng.below(250)),
        });
    }
    (ns, works)
}

// -------------------------------------------------------------------------------------------
// Object writers
// -------------------------------------------------------------------------------------------

fn managed_fields(j: &mut Json, manager: &str, t: i64, sub: Option<&str>, fields: &[&str]) {
    j.item().obj();
    j.kv("manager", manager)
        .kv("operation", "Update")
        .kv("apiVersion", "v1")
        .kt("time", t)
        .kv("fieldsType", "FieldsV1");
    j.ko("fieldsV1");
    for f in fields {
        j.ko(f).end_obj();
    }
    j.end_obj();
    if let Some(sub) = sub {
        j.kv("subresource", sub);
    }
    j.end_obj();
}

/// A resourceVersion like a busy cluster's.
fn resource_version(j: &mut Json, rng: &mut Rng) {
    j.kv(
        "resourceVersion",
        &(48_000_000 + rng.below(900_000)).to_string(),
    );
}

/// `ownerReferences` naming the controller `kind`/`name`.
fn controller_ref(j: &mut Json, kind: &str, name: &str, uid: &str) {
    j.ka("ownerReferences")
        .item()
        .obj()
        .kv("apiVersion", "apps/v1")
        .kv("kind", kind)
        .kv("name", name)
        .kv("uid", uid)
        .kb("controller", true)
        .kb("blockOwnerDeletion", true)
        .end_obj()
        .end_arr();
}

fn labels(j: &mut Json, app: &str, hash: Option<&str>) {
    j.ko("labels");
    j.kv("app", app)
        .kv("app.kubernetes.io/managed-by", "argocd")
        .kv("app.kubernetes.io/name", app);
    if let Some(h) = hash {
        j.kv("pod-template-hash", h);
    }
    j.end_obj();
}

fn container_spec(j: &mut Json, c: &Container, port: i64) {
    j.item().obj();
    j.kv("name", &c.name).kv("image", &c.image);
    if c.name == "istio-proxy" {
        j.ka("args")
            .is("proxy")
            .is("sidecar")
            .is("--domain")
            .is("$(POD_NAMESPACE).svc.cluster.local")
            .is("--proxyLogLevel=warning")
            .end_arr();
    }
    j.ka("ports");
    for (name, port) in [("http", port), ("metrics", 9090)] {
        j.item()
            .obj()
            .kv("name", name)
            .kn("containerPort", port)
            .kv("protocol", "TCP")
            .end_obj();
    }
    j.end_arr();
    j.ka("env");
    for (name, path) in [
        ("POD_NAME", "metadata.name"),
        ("POD_NAMESPACE", "metadata.namespace"),
    ] {
        j.item()
            .obj()
            .kv("name", name)
            .ko("valueFrom")
            .ko("fieldRef")
            .kv("apiVersion", "v1")
            .kv("fieldPath", path)
            .end_obj()
            .end_obj()
            .end_obj();
    }
    j.item()
        .obj()
        .kv("name", "LOG_LEVEL")
        .kv("value", "info")
        .end_obj();
    j.end_arr();
    j.ko("resources");
    j.ko("limits")
        .kv("cpu", "500m")
        .kv("memory", "512Mi")
        .end_obj();
    j.ko("requests")
        .kv("cpu", "50m")
        .kv("memory", "64Mi")
        .end_obj();
    j.end_obj();
    j.ka("volumeMounts");
    j.item()
        .obj()
        .kv("name", "kube-api-access")
        .kb("readOnly", true)
        .kv("mountPath", "/var/run/secrets/kubernetes.io/serviceaccount")
        .end_obj();
    j.end_arr();
    for (key, path, delay, period) in [
        ("livenessProbe", "/healthz", 15, 20),
        ("readinessProbe", "/readyz", 5, 10),
    ] {
        j.ko(key)
            .ko("httpGet")
            .kv("path", path)
            .kn("port", 8081)
            .kv("scheme", "HTTP")
            .end_obj();
        j.kn("initialDelaySeconds", delay)
            .kn("timeoutSeconds", 1)
            .kn("periodSeconds", period)
            .kn("successThreshold", 1)
            .kn("failureThreshold", 3)
            .end_obj();
    }
    j.kv("terminationMessagePath", "/dev/termination-log")
        .kv("terminationMessagePolicy", "File")
        .kv("imagePullPolicy", "IfNotPresent");
    j.ko("securityContext")
        .ko("capabilities")
        .ka("drop")
        .is("ALL")
        .end_arr()
        .end_obj();
    j.kb("runAsNonRoot", true)
        .kb("readOnlyRootFilesystem", true)
        .kb("allowPrivilegeEscalation", false)
        .end_obj();
    j.end_obj();
}

fn pod_item(j: &mut Json, ns: &str, w: &Workload, p: &Pod, nodes: &[Node], rng: &mut Rng) {
    let rsname = format!("{}-{}", w.name, w.rs_hash);
    j.item().obj();
    j.ko("metadata");
    j.kv("name", &p.name)
        .kv("generateName", &format!("{rsname}-"))
        .kv("namespace", ns)
        .kv("uid", &p.uid);
    resource_version(j, rng);
    j.kt("creationTimestamp", p.created);
    labels(j, &w.name, Some(&w.rs_hash));
    j.ko("annotations")
        .kv("prometheus.io/port", "9090")
        .kv("prometheus.io/scrape", "true")
        .end_obj();
    controller_ref(j, "ReplicaSet", &rsname, &w.rs_uid);
    j.ka("managedFields");
    managed_fields(
        j,
        "kube-controller-manager",
        p.created,
        None,
        &["f:metadata", "f:spec"],
    );
    managed_fields(
        j,
        "kubelet",
        BASE - rng.below(HOUR as u64) as i64,
        Some("status"),
        &["f:status"],
    );
    j.end_arr();
    j.end_obj();
    pod_spec(j, w, p, nodes);
    pod_status(j, ns, p, nodes, rng);
    j.end_obj();
}

fn pod_spec(j: &mut Json, w: &Workload, p: &Pod, nodes: &[Node]) {
    j.ko("spec");
    j.ka("volumes");
    j.item()
        .obj()
        .kv("name", "kube-api-access")
        .ko("projected")
        .ka("sources");
    j.item()
        .obj()
        .ko("serviceAccountToken")
        .kn("expirationSeconds", 3607)
        .kv("path", "token")
        .end_obj()
        .end_obj();
    j.item()
        .obj()
        .ko("configMap")
        .kv("name", "kube-root-ca.crt")
        .ka("items")
        .item()
        .obj()
        .kv("key", "ca.crt")
        .kv("path", "ca.crt")
        .end_obj()
        .end_arr()
        .end_obj()
        .end_obj();
    j.end_arr().kn("defaultMode", 420).end_obj().end_obj();
    j.end_arr();
    j.ka("containers");
    for c in &p.containers {
        container_spec(j, c, w.port);
    }
    j.end_arr();
    j.kv("restartPolicy", "Always")
        .kn("terminationGracePeriodSeconds", 30)
        .kv("dnsPolicy", "ClusterFirst");
    j.kv("serviceAccountName", &w.name)
        .kv("serviceAccount", &w.name)
        .kv("nodeName", &nodes[p.node].name);
    j.ko("securityContext").end_obj();
    j.kv("schedulerName", "default-scheduler");
    j.ka("tolerations");
    for k in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        j.item()
            .obj()
            .kv("key", k)
            .kv("operator", "Exists")
            .kv("effect", "NoExecute")
            .kn("tolerationSeconds", 300)
            .end_obj();
    }
    j.end_arr();
    j.kn("priority", 0)
        .kb("enableServiceLinks", true)
        .kv("preemptionPolicy", "PreemptLowerThanOrEqual");
    j.end_obj();
}

fn pod_status(j: &mut Json, ns: &str, p: &Pod, nodes: &[Node], rng: &mut Rng) {
    j.ko("status");
    j.kv("phase", if p.pending { "Pending" } else { "Running" });
    j.ka("conditions");
    let ready = !p.crash && !p.pending;
    for (ty, st) in [
        ("Initialized", true),
        ("Ready", ready),
        ("ContainersReady", ready),
        ("PodScheduled", true),
    ] {
        j.item()
            .obj()
            .kv("type", ty)
            .kv("status", if st { "True" } else { "False" })
            .key("lastProbeTime")
            .null();
        j.kt(
            "lastTransitionTime",
            if st {
                p.created + 3 * SEC
            } else {
                p.started - 40 * SEC
            },
        );
        if !st {
            j.kv("reason", "ContainersNotReady").kv(
                "message",
                &format!("containers with unready status: [{}]", p.containers[0].name),
            );
        }
        j.end_obj();
    }
    j.end_arr();
    j.kv("hostIP", &nodes[p.node].ip).kv("podIP", &p.ip);
    j.ka("podIPs")
        .item()
        .obj()
        .kv("ip", &p.ip)
        .end_obj()
        .end_arr();
    j.kt("startTime", p.created + SEC);
    j.ka("containerStatuses");
    for (i, c) in p.containers.iter().enumerate() {
        j.item().obj();
        j.kv("name", &c.name);
        j.ko("state");
        if p.pending {
            j.ko("waiting").kv("reason", "ContainerCreating").end_obj();
        } else if p.crash && i == 0 {
            j.ko("waiting").kv("reason", "CrashLoopBackOff");
            j.kv(
                "message",
                &format!(
                    "back-off 5m0s restarting failed container={} pod={}_{}({})",
                    c.name, p.name, ns, p.uid
                ),
            )
            .end_obj();
        } else {
            j.ko("running").kt("startedAt", p.started).end_obj();
        }
        j.end_obj();
        j.ko("lastState");
        if p.restarts > 0 && i == 0 {
            let code = if p.crash {
                *rng.pick(&[1i64, 2, 137, 143, 255])
            } else {
                143
            };
            j.ko("terminated").kn("exitCode", code).kv(
                "reason",
                if code == 137 && rng.chance(0.5) {
                    "OOMKilled"
                } else {
                    "Error"
                },
            );
            j.kt("startedAt", p.started - 40 * SEC)
                .kt("finishedAt", p.started - 8 * SEC)
                .kv("containerID", &c.cid)
                .end_obj();
        }
        j.end_obj();
        j.kb("ready", ready)
            .kn("restartCount", if i == 0 { p.restarts as i64 } else { 0 });
        j.kv("image", &c.image)
            .kv("imageID", &c.image)
            .kv("containerID", &c.cid)
            .kb("started", ready || (!p.crash && !p.pending));
        j.end_obj();
    }
    j.end_arr();
    j.kv("qosClass", "Burstable");
    j.end_obj();
}

fn workload_meta(
    j: &mut Json,
    ns: &str,
    name: &str,
    uid: &str,
    created: i64,
    generation: i64,
    rng: &mut Rng,
) {
    j.kv("name", name).kv("namespace", ns).kv("uid", uid);
    resource_version(j, rng);
    j.kn("generation", generation)
        .kt("creationTimestamp", created);
}

fn template(j: &mut Json, w: &Workload, hash: Option<&str>) {
    j.ko("template");
    j.ko("metadata").key("creationTimestamp").null();
    labels(j, &w.name, hash);
    j.end_obj();
    j.ko("spec").ka("containers");
    if let Some(p) = w.pods.first() {
        container_spec(j, &p.containers[0], w.port);
    }
    j.end_arr();
    j.kv("restartPolicy", "Always")
        .kn("terminationGracePeriodSeconds", 30)
        .kv("dnsPolicy", "ClusterFirst");
    j.kv("serviceAccountName", &w.name)
        .kv("serviceAccount", &w.name)
        .ko("securityContext")
        .end_obj()
        .kv("schedulerName", "default-scheduler");
    j.end_obj();
    j.end_obj();
}

fn deployment_item(j: &mut Json, ns: &str, w: &Workload, rng: &mut Rng) {
    let ready = w.pods.iter().filter(|p| !p.crash && !p.pending).count() as i64;
    j.item().obj();
    j.ko("metadata");
    workload_meta(j, ns, &w.name, &w.uid, w.created, 3, rng);
    labels(j, &w.name, None);
    j.ko("annotations")
        .kv("deployment.kubernetes.io/revision", "3")
        .end_obj();
    j.ka("managedFields");
    managed_fields(
        j,
        "argocd-controller",
        w.created,
        None,
        &["f:metadata", "f:spec"],
    );
    managed_fields(
        j,
        "kube-controller-manager",
        BASE - rng.below(DAY as u64) as i64,
        Some("status"),
        &["f:status"],
    );
    j.end_arr();
    j.end_obj();
    j.ko("spec").kn("replicas", w.replicas as i64);
    j.ko("selector")
        .ko("matchLabels")
        .kv("app", &w.name)
        .end_obj()
        .end_obj();
    template(j, w, None);
    j.ko("strategy")
        .kv("type", "RollingUpdate")
        .ko("rollingUpdate")
        .kv("maxUnavailable", "25%")
        .kv("maxSurge", "25%")
        .end_obj()
        .end_obj();
    j.kn("revisionHistoryLimit", 10)
        .kn("progressDeadlineSeconds", 600);
    j.end_obj();
    j.ko("status")
        .kn("observedGeneration", 3)
        .kn("replicas", w.replicas as i64)
        .kn("updatedReplicas", w.replicas as i64);
    if ready > 0 {
        j.kn("readyReplicas", ready).kn("availableReplicas", ready);
    }
    if (w.replicas as i64) > ready {
        j.kn("unavailableReplicas", w.replicas as i64 - ready);
    }
    j.ka("conditions");
    let avail = ready * 4 >= w.replicas as i64 * 3;
    j.item()
        .obj()
        .kv("type", "Available")
        .kv("status", if avail { "True" } else { "False" })
        .kt("lastUpdateTime", w.created + MIN)
        .kt("lastTransitionTime", w.created + MIN);
    j.kv(
        "reason",
        if avail {
            "MinimumReplicasAvailable"
        } else {
            "MinimumReplicasUnavailable"
        },
    );
    j.kv(
        "message",
        if avail {
            "Deployment has minimum availability."
        } else {
            "Deployment does not have minimum availability."
        },
    )
    .end_obj();
    j.item()
        .obj()
        .kv("type", "Progressing")
        .kv("status", "True")
        .kt("lastUpdateTime", w.created + 2 * MIN)
        .kt("lastTransitionTime", w.created);
    j.kv("reason", "NewReplicaSetAvailable")
        .kv(
            "message",
            &format!(
                "ReplicaSet \"{}-{}\" has successfully progressed.",
                w.name, w.rs_hash
            ),
        )
        .end_obj();
    j.end_arr();
    j.end_obj();
    j.end_obj();
}

fn replicaset_item(
    j: &mut Json,
    ns: &str,
    w: &Workload,
    hash: &str,
    uid: &str,
    replicas: usize,
    rng: &mut Rng,
) {
    let name = format!("{}-{}", w.name, hash);
    j.item().obj();
    j.ko("metadata");
    workload_meta(j, ns, &name, uid, w.created, 1, rng);
    labels(j, &w.name, Some(hash));
    j.ko("annotations")
        .kv(
            "deployment.kubernetes.io/desired-replicas",
            &w.replicas.to_string(),
        )
        .kv(
            "deployment.kubernetes.io/max-replicas",
            &(w.replicas + 1).to_string(),
        )
        .kv("deployment.kubernetes.io/revision", "3")
        .end_obj();
    controller_ref(j, "Deployment", &w.name, &w.uid);
    j.ka("managedFields");
    managed_fields(
        j,
        "kube-controller-manager",
        w.created,
        None,
        &["f:metadata", "f:spec"],
    );
    j.end_arr();
    j.end_obj();
    j.ko("spec").kn("replicas", replicas as i64);
    j.ko("selector")
        .ko("matchLabels")
        .kv("app", &w.name)
        .kv("pod-template-hash", hash)
        .end_obj()
        .end_obj();
    template(j, w, Some(hash));
    j.end_obj();
    j.ko("status").kn("replicas", replicas as i64);
    if replicas > 0 {
        j.kn("fullyLabeledReplicas", replicas as i64);
    }
    j.kn("observedGeneration", 1).end_obj();
    j.end_obj();
}

fn service_item(j: &mut Json, ns: &str, w: &Workload, rng: &mut Rng) {
    j.item().obj();
    j.ko("metadata");
    j.kv("name", &w.name)
        .kv("namespace", ns)
        .kv("uid", &rng.uuid_string());
    resource_version(j, rng);
    j.kt("creationTimestamp", w.created);
    labels(j, &w.name, None);
    j.ka("managedFields");
    managed_fields(
        j,
        "argocd-controller",
        w.created,
        None,
        &["f:metadata", "f:spec"],
    );
    j.end_arr();
    j.end_obj();
    j.ko("spec").ka("ports");
    j.item()
        .obj()
        .kv("name", "http")
        .kv("protocol", "TCP")
        .kn("port", 80)
        .kn("targetPort", w.port)
        .end_obj();
    j.end_arr();
    j.ko("selector").kv("app", &w.name).end_obj();
    j.kv("clusterIP", &w.svc_ip)
        .ka("clusterIPs")
        .is(&w.svc_ip)
        .end_arr();
    j.kv("type", "ClusterIP")
        .kv("sessionAffinity", "None")
        .ka("ipFamilies")
        .is("IPv4")
        .end_arr();
    j.kv("ipFamilyPolicy", "SingleStack")
        .kv("internalTrafficPolicy", "Cluster");
    j.end_obj();
    j.ko("status").ko("loadBalancer").end_obj().end_obj();
    j.end_obj();
}

struct Ev {
    obj_kind: &'static str,
    obj_name: String,
    obj_uid: String,
    field_path: Option<String>,
    reason: &'static str,
    message: String,
    etype: &'static str,
    source: &'static str,
    host: Option<String>,
    first: i64,
    last: i64,
    count: i64,
}

fn events_for(rng: &mut Rng, ns: &str, works: &[Workload], nodes: &[Node]) -> Vec<Ev> {
    let mut evs = Vec::new();
    for w in works {
        if rng.chance(0.2) {
            let t = BASE - rng.below(50 * MIN as u64) as i64;
            evs.push(Ev {
                obj_kind: "Deployment",
                obj_name: w.name.clone(),
                obj_uid: w.uid.clone(),
                field_path: None,
                reason: "ScalingReplicaSet",
                message: format!(
                    "Scaled up replica set {}-{} to {} from {}",
                    w.name,
                    w.rs_hash,
                    w.replicas,
                    w.replicas.saturating_sub(1)
                ),
                etype: "Normal",
                source: "deployment-controller",
                host: None,
                first: t,
                last: t,
                count: 1,
            });
        }
        for p in &w.pods {
            let c = &p.containers[0];
            // The kubelet's events about the pod's first container.
            let kubelet = |reason, etype, message, first, last, count| Ev {
                obj_kind: "Pod",
                obj_name: p.name.clone(),
                obj_uid: p.uid.clone(),
                field_path: Some(format!("spec.containers{{{}}}", c.name)),
                reason,
                message,
                etype,
                source: "kubelet",
                host: Some(nodes[p.node].name.clone()),
                first,
                last,
                count,
            };
            if p.crash {
                let first = BASE - rng.range(20 * MIN as u64, 55 * MIN as u64) as i64;
                let n = p.restarts as i64;
                let probe = format!(
                    "Liveness probe failed: Get \"http://{}:8081/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
                    p.ip
                );
                for (reason, etype, msg, cnt) in [
                    ("Unhealthy", "Warning", probe, n * 3),
                    (
                        "Killing",
                        "Normal",
                        format!(
                            "Container {} failed liveness probe, will be restarted",
                            c.name
                        ),
                        n,
                    ),
                    (
                        "BackOff",
                        "Warning",
                        format!(
                            "Back-off restarting failed container {} in pod {}_{}({})",
                            c.name, p.name, ns, p.uid
                        ),
                        n * 12,
                    ),
                    (
                        "Pulled",
                        "Normal",
                        format!("Container image \"{}\" already present on machine", c.image),
                        n,
                    ),
                ] {
                    let last = BASE - rng.below(10 * MIN as u64) as i64;
                    evs.push(kubelet(reason, etype, msg, first, last, cnt.max(1)));
                }
            } else if p.created > BASE - 55 * MIN || rng.chance(0.15) {
                let t = (BASE - rng.below(55 * MIN as u64) as i64).max(p.created);
                for (i, (reason, msg)) in [
                    (
                        "Pulled",
                        format!("Container image \"{}\" already present on machine", c.image),
                    ),
                    ("Created", format!("Created container {}", c.name)),
                    ("Started", format!("Started container {}", c.name)),
                ]
                .into_iter()
                .enumerate()
                {
                    let at = t + i as i64 * 40_000;
                    evs.push(kubelet(reason, "Normal", msg, at, at, 1));
                }
                if rng.chance(0.3) {
                    let msg = format!(
                        "Readiness probe failed: Get \"http://{}:8081/readyz\": dial tcp {}:8081: connect: connection refused",
                        p.ip, p.ip
                    );
                    evs.push(kubelet(
                        "Unhealthy",
                        "Warning",
                        msg,
                        t + 2 * SEC,
                        t + 9 * SEC,
                        3,
                    ));
                }
            }
        }
    }
    evs
}

fn event_item(j: &mut Json, ns: &str, e: &Ev, rng: &mut Rng) {
    j.item().obj();
    j.ko("metadata");
    // core/v1 event names: <object>.<hex of the first occurrence in unix nanoseconds>
    let name = format!(
        "{}.{:x}",
        e.obj_name,
        (e.first as u64) * 1000 + rng.below(1000)
    );
    j.key("name")
        .str(&name)
        .kv("namespace", ns)
        .kv("uid", &rng.uuid_string());
    resource_version(j, rng);
    j.kt("creationTimestamp", e.first);
    j.ka("managedFields");
    managed_fields(
        j,
        if e.source == "kubelet" {
            "kubelet"
        } else {
            "kube-controller-manager"
        },
        e.last,
        None,
        &[
            "f:count",
            "f:firstTimestamp",
            "f:involvedObject",
            "f:lastTimestamp",
            "f:message",
            "f:reason",
            "f:source",
            "f:type",
        ],
    );
    j.end_arr();
    j.end_obj();
    j.ko("involvedObject")
        .kv("kind", e.obj_kind)
        .kv("namespace", ns)
        .kv("name", &e.obj_name)
        .kv("uid", &e.obj_uid);
    j.kv(
        "apiVersion",
        if e.obj_kind == "Pod" { "v1" } else { "apps/v1" },
    );
    resource_version(j, rng);
    if let Some(fp) = &e.field_path {
        j.kv("fieldPath", fp);
    }
    j.end_obj();
    j.kv("reason", e.reason).kv("message", &e.message);
    j.ko("source").kv("component", e.source);
    if let Some(h) = &e.host {
        j.kv("host", h);
    }
    j.end_obj();
    j.kt("firstTimestamp", e.first)
        .kt("lastTimestamp", e.last)
        .kn("count", e.count)
        .kv("type", e.etype);
    j.key("eventTime")
        .null()
        .kv("reportingComponent", "")
        .kv("reportingInstance", "");
    j.end_obj();
}

fn node_item(j: &mut Json, n: &Node, rng: &mut Rng) {
    j.item().obj();
    j.ko("metadata").kv("name", &n.name).kv("uid", &n.uid);
    resource_version(j, rng);
    j.kt("creationTimestamp", BASE - 40 * DAY);
    j.ko("labels")
        .kv("kubernetes.io/arch", "amd64")
        .kv("kubernetes.io/hostname", &n.name)
        .kv("kubernetes.io/os", "linux")
        .kv("node.kubernetes.io/instance-type", "e2-standard-8")
        .kv("topology.kubernetes.io/zone", "us-central1-b")
        .end_obj();
    j.ko("annotations")
        .kv("node.alpha.kubernetes.io/ttl", "0")
        .kv(
            "volumes.kubernetes.io/controller-managed-attach-detach",
            "true",
        )
        .end_obj();
    j.ka("managedFields");
    managed_fields(j, "kubelet", BASE - 3 * MIN, Some("status"), &["f:status"]);
    j.end_arr();
    j.end_obj();
    j.ko("spec")
        .kv("podCIDR", &format!("{}.0/24", n.cidr_base))
        .ka("podCIDRs")
        .is(&format!("{}.0/24", n.cidr_base))
        .end_arr()
        .end_obj();
    j.ko("status");
    j.ko("capacity")
        .kv("cpu", "8")
        .kv("ephemeral-storage", "98831908Ki")
        .kv("memory", "32880676Ki")
        .kv("pods", "110")
        .end_obj();
    j.ko("allocatable")
        .kv("cpu", "7910m")
        .kv("ephemeral-storage", "47060071478")
        .kv("memory", "29094948Ki")
        .kv("pods", "110")
        .end_obj();
    j.ka("conditions");
    let bad = rng.chance(0.03);
    for (ty, st, reason, msg) in [
        (
            "FrequentContainerdRestart",
            if bad { "True" } else { "False" },
            if bad {
                "FrequentContainerdRestart"
            } else {
                "NoFrequentContainerdRestart"
            },
            if bad {
                "Found 6 matching logs, which meets the threshold of 5"
            } else {
                "containerd is functioning properly"
            },
        ),
        (
            "KernelDeadlock",
            "False",
            "KernelHasNoDeadlock",
            "kernel has no deadlock",
        ),
        (
            "MemoryPressure",
            "False",
            "KubeletHasSufficientMemory",
            "kubelet has sufficient memory available",
        ),
        (
            "DiskPressure",
            "False",
            "KubeletHasNoDiskPressure",
            "kubelet has no disk pressure",
        ),
        (
            "PIDPressure",
            "False",
            "KubeletHasSufficientPID",
            "kubelet has sufficient PID available",
        ),
        (
            "Ready",
            "True",
            "KubeletReady",
            "kubelet is posting ready status",
        ),
    ] {
        j.item()
            .obj()
            .kv("type", ty)
            .kv("status", st)
            .kt("lastHeartbeatTime", BASE - rng.below(300) as i64 * SEC)
            .kt("lastTransitionTime", BASE - 30 * DAY);
        j.kv("reason", reason).kv("message", msg).end_obj();
    }
    j.end_arr();
    j.ka("addresses")
        .item()
        .obj()
        .kv("type", "InternalIP")
        .kv("address", &n.ip)
        .end_obj()
        .item()
        .obj()
        .kv("type", "Hostname")
        .kv("address", &n.name)
        .end_obj()
        .end_arr();
    j.ko("daemonEndpoints")
        .ko("kubeletEndpoint")
        .kn("Port", 10250)
        .end_obj()
        .end_obj();
    j.ko("nodeInfo")
        .kv("machineID", &rng.uuid_string().replace('-', ""))
        .kv("systemUUID", &rng.uuid_string())
        .kv("bootID", &rng.uuid_string());
    j.kv("kernelVersion", "6.1.58+")
        .kv("osImage", "Container-Optimized OS from Google")
        .kv("containerRuntimeVersion", "containerd://1.7.10");
    j.kv("kubeletVersion", "v1.26.12")
        .kv("kubeProxyVersion", "v1.26.12")
        .kv("operatingSystem", "linux")
        .kv("architecture", "amd64")
        .end_obj();
    j.ka("images");
    for i in 0..12 {
        j.item().obj().ka("names");
        let mut img = format!("registry.example.com/base/image-{i}@sha256:").into_bytes();
        rng.hex(&mut img, 64);
        j.item().bytes_str(&img);
        j.end_arr()
            .kn("sizeBytes", 1_000_000 + rng.below(400_000_000) as i64)
            .end_obj();
    }
    j.end_arr();
    j.end_obj();
    j.end_obj();
}

// -------------------------------------------------------------------------------------------
// Driver
// -------------------------------------------------------------------------------------------

/// Writes `nodes.json`, then namespaces of workloads (lists and pod logs) until about
/// `opts.size` bytes are written.
pub fn dump(opts: &DumpOptions) -> io::Result<DumpStats> {
    let mut stats = DumpStats::default();
    let mut rng = Rng::new(opts.seed);
    fs::create_dir_all(&opts.out)?;
    let n_nodes = ((opts.size / (8 << 20)) as usize).clamp(3, 120);
    let mut node_rng = rng.fork(1);
    let nodes = make_nodes(&mut node_rng, n_nodes);
    let mut lists = Lists::new(&opts.out, 48_123_456);
    lists.write("nodes.json", "NodeList", "v1", nodes.len(), |i, j| {
        node_item(j, &nodes[i], &mut node_rng)
    })?;
    lists.count_in(&mut stats);
    stats.nodes = nodes.len() as u64;

    // mean log bytes per container: logs are about 55-60% of the dump
    let per_container = 16_000usize;
    let mut idx = 0u64;
    while stats.bytes < opts.size {
        let mut nsrng = Rng::new(opts.seed ^ (idx + 1).wrapping_mul(0xD1B5_4A32_D192_ED03));
        let (ns, works) = make_namespace(&mut nsrng, idx, &nodes, per_container);
        let dir = opts.out.join(&ns);
        fs::create_dir_all(&dir)?;
        let rv = 48_000_000 + nsrng.below(900_000);
        let evs = events_for(&mut nsrng, &ns, &works, &nodes);
        let pods: Vec<(&Workload, &Pod)> = works
            .iter()
            .flat_map(|w| w.pods.iter().map(move |p| (w, p)))
            .collect();
        let mut rss: Vec<(&Workload, String, String, usize)> = Vec::new();
        for w in &works {
            rss.push((w, w.rs_hash.clone(), w.rs_uid.clone(), w.replicas));
            if let Some((h, u)) = &w.old_rs {
                rss.push((w, h.clone(), u.clone(), 0));
            }
        }
        let mut lists = Lists::new(&dir, rv);
        lists.write("events.json", "EventList", "v1", evs.len(), |i, j| {
            event_item(j, &ns, &evs[i], &mut nsrng)
        })?;
        lists.write(
            "replication-controllers.json",
            "ReplicationControllerList",
            "v1",
            0,
            |_, _| {},
        )?;
        lists.write("services.json", "ServiceList", "v1", works.len(), |i, j| {
            service_item(j, &ns, &works[i], &mut nsrng)
        })?;
        lists.write("daemonsets.json", "DaemonSetList", "apps/v1", 0, |_, _| {})?;
        lists.write(
            "deployments.json",
            "DeploymentList",
            "apps/v1",
            works.len(),
            |i, j| deployment_item(j, &ns, &works[i], &mut nsrng),
        )?;
        lists.write(
            "replicasets.json",
            "ReplicaSetList",
            "apps/v1",
            rss.len(),
            |i, j| {
                let (w, h, u, r) = &rss[i];
                replicaset_item(j, &ns, w, h, u, *r, &mut nsrng)
            },
        )?;
        lists.write("pods.json", "PodList", "v1", pods.len(), |i, j| {
            pod_item(j, &ns, pods[i].0, pods[i].1, &nodes, &mut nsrng)
        })?;
        lists.count_in(&mut stats);
        let keys: Vec<String> = works
            .iter()
            .map(|w| format!("{}/{}", ns, w.name))
            .chain(pods.iter().map(|(_, p)| format!("{}/{}", ns, p.name)))
            .collect();
        for (w, p) in &pods {
            let pdir = dir.join(&p.name);
            fs::create_dir_all(&pdir)?;
            let ctx = LogCtx {
                ns: &ns,
                pod: &p.name,
                component: &w.component,
                keys: &keys,
            };
            let n = write_pod_logs(&pdir.join("logs.txt"), p, &ctx, &mut nsrng)?;
            stats.files += 1;
            stats.log_bytes += n;
            stats.bytes += n;
            stats.pods += 1;
        }
        stats.namespaces += 1;
        idx += 1;
    }
    Ok(stats)
}

/// A pod's `logs.txt`: one START/END block per container, as cluster-info dump writes it.
fn write_pod_logs(path: &Path, p: &Pod, ctx: &LogCtx<'_>, rng: &mut Rng) -> io::Result<u64> {
    let mut sink = Sink::create(path)?;
    for (ci, c) in p.containers.iter().enumerate() {
        let head = format!(
            "==== START logs for container {} of pod {}/{} ====\n",
            c.name, ctx.ns, p.name
        );
        sink.buf.extend_from_slice(head.as_bytes());
        if p.pending {
            sink.buf.extend_from_slice(
                format!(
                    "Request log error: container \"{}\" in pod \"{}\" is waiting to start: ContainerCreating\n",
                    c.name, p.name
                )
                .as_bytes(),
            );
        } else {
            write_container_log(&mut sink, p, c, p.crash && ci == 0, ctx, rng)?;
            if p.no_newline && ci == p.containers.len() - 1 && sink.buf.last() == Some(&b'\n') {
                sink.buf.pop();
            }
        }
        let tail = format!(
            "==== END logs for container {} of pod {}/{} ====\n",
            c.name, ctx.ns, p.name
        );
        sink.buf.extend_from_slice(tail.as_bytes());
        sink.maybe_flush()?;
    }
    sink.finish()
}

/// About `c.budget` bytes of a container's log; a crashing one ends in its crash.
fn write_container_log(
    sink: &mut Sink,
    p: &Pod,
    c: &Container,
    crash: bool,
    ctx: &LogCtx<'_>,
    rng: &mut Rng,
) -> io::Result<()> {
    // `kubectl logs` returns the newest part of the log: end near the capture time
    let mut gap = 40_000 + rng.below(900_000) as i64;
    let lines = (c.budget / 150).max(1) as i64;
    let (mut t, mut first) = if p.started >= BASE - lines * gap {
        gap = gap.min(((BASE - p.started) / lines).max(1_000));
        (p.started, true)
    } else {
        (BASE - lines * gap, false)
    };
    let mut left = c.budget;
    // write in slices so that a very large log is streamed, not held in memory
    while left > 0 {
        let slice = left.min(CHUNK / 2);
        let before = sink.buf.len();
        t = logs::write_log(
            &mut sink.buf,
            rng,
            c.style,
            ctx,
            t,
            gap,
            slice,
            crash && left == slice,
            first,
        );
        first = false;
        left = left.saturating_sub((sink.buf.len() - before).max(1));
        sink.maybe_flush()?;
    }
    Ok(())
}

/// Parses `1GiB`, `500MiB`, `10MB`, `2G`, `4096`.
pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    let split = s
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let v: f64 = num.parse().ok()?;
    let mult: f64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" => 1e3,
        "ki" | "kib" => 1024.0,
        "m" | "mb" => 1e6,
        "mi" | "mib" => (1u64 << 20) as f64,
        "g" | "gb" => 1e9,
        "gi" | "gib" => (1u64 << 30) as f64,
        "t" | "tb" => 1e12,
        "ti" | "tib" => (1u64 << 40) as f64,
        _ => return None,
    };
    Some((v * mult) as u64)
}
