//! A cluster of a given shape for the live benchmark: exactly `pods` Pods and
//! `events` core/v1 Events across namespaces of Deployments, plus `revisions`
//! Knative Revisions, as files `unloop replay` serves.
//!
//! The layout is the dump's (`nodes.json`, `<ns>/{events,deployments,
//! replicasets,services,pods}.json`, `<troubled pod>/logs.txt`) plus
//! `revisions.json` (`kubectl get revisions -A -o json`). Every pod is Running
//! and Ready except `troubled` ones, which crash-loop with restarts, kubelet
//! Unhealthy/BackOff events and logs that end in their crash, so a live
//! diagnosis has a handful of pods to read in detail among many healthy ones.

use super::*;
use crate::revisions::revisions;

/// What [`cluster`] writes.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    /// The output directory, created if missing.
    pub out: PathBuf,
    /// Pods in all.
    pub pods: u64,
    /// core/v1 Events in all.
    pub events: u64,
    /// Knative Revisions in all (`revisions.json`; none when 0).
    pub revisions: u64,
    /// Pods that crash-loop (spread over namespaces).
    pub troubled: u64,
    /// The same seed gives the same bytes.
    pub seed: u64,
}

/// What [`cluster`] wrote.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterStats {
    pub files: u64,
    pub bytes: u64,
    pub namespaces: u64,
    pub nodes: u64,
    pub pods: u64,
    pub events: u64,
    pub revisions: u64,
    pub troubled: u64,
}

/// Pods per namespace: a mid-sized tenant.
const PODS_PER_NAMESPACE: u64 = 125;

/// Writes the cluster; see the module docs.
pub fn cluster(opts: &ClusterOptions) -> io::Result<ClusterStats> {
    let mut st = ClusterStats::default();
    let mut rng = Rng::new(opts.seed);
    fs::create_dir_all(&opts.out)?;
    let n_nodes = (opts.pods / 100).clamp(3, 500) as usize;
    let mut node_rng = rng.fork(1);
    let nodes = make_nodes(&mut node_rng, n_nodes);
    let mut lists = Lists::new(&opts.out, 48_123_456);
    lists.write("nodes.json", "NodeList", "v1", nodes.len(), |i, j| {
        node_item(j, &nodes[i], &mut node_rng)
    })?;
    st.files += lists.files;
    st.bytes += lists.bytes;
    st.nodes = nodes.len() as u64;

    let n_ns = opts.pods.div_ceil(PODS_PER_NAMESPACE).max(1);
    // Every `every`-th pod crash-loops, so the troubled ones spread out.
    let every = opts
        .pods
        .checked_div(opts.troubled)
        .map_or(u64::MAX, |e| e.max(1));
    let mut pod_no = 0u64;
    for idx in 0..n_ns {
        let want = (opts.pods - idx * PODS_PER_NAMESPACE).min(PODS_PER_NAMESPACE);
        // Events in proportion to pods, the remainder in the last namespace.
        let ev_want = if idx + 1 == n_ns {
            opts.events - st.events
        } else {
            opts.events * want / opts.pods.max(1)
        };
        let mut nsrng = Rng::new(opts.seed ^ (idx + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        let word = NS_WORDS[(idx as usize) % NS_WORDS.len()];
        let ns = format!("{}-{}", word, idx / NS_WORDS.len() as u64 + 1);
        let works = workloads(&mut nsrng, &ns, want, &nodes, &mut pod_no, every, opts);
        let evs = events(&mut nsrng, &works, &nodes, ev_want as usize);
        let dir = opts.out.join(&ns);
        fs::create_dir_all(&dir)?;
        let rv = 48_000_000 + nsrng.below(900_000);
        let pods: Vec<(&Workload, &Pod)> = works
            .iter()
            .flat_map(|w| w.pods.iter().map(move |p| (w, p)))
            .collect();
        let mut lists = Lists::new(&dir, rv);
        lists.write("events.json", "EventList", "v1", evs.len(), |i, j| {
            event_item(j, &ns, &evs[i], &mut nsrng)
        })?;
        lists.write("services.json", "ServiceList", "v1", works.len(), |i, j| {
            service_item(j, &ns, &works[i], &mut nsrng)
        })?;
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
            works.len(),
            |i, j| {
                let w = &works[i];
                replicaset_item(j, &ns, w, &w.rs_hash, &w.rs_uid, w.replicas, &mut nsrng)
            },
        )?;
        lists.write("pods.json", "PodList", "v1", pods.len(), |i, j| {
            pod_item(j, &ns, pods[i].0, pods[i].1, &nodes, &mut nsrng)
        })?;
        st.files += lists.files;
        st.bytes += lists.bytes;
        let keys: Vec<String> = pods
            .iter()
            .map(|(_, p)| format!("{ns}/{}", p.name))
            .collect();
        for (w, p) in pods.iter().filter(|(_, p)| p.crash) {
            let pdir = dir.join(&p.name);
            fs::create_dir_all(&pdir)?;
            let ctx = LogCtx {
                ns: &ns,
                pod: &p.name,
                component: &w.component,
                keys: &keys,
            };
            st.bytes += write_pod_logs(&pdir.join("logs.txt"), p, &ctx, &mut nsrng)?;
            st.files += 1;
            st.troubled += 1;
        }
        st.pods += pods.len() as u64;
        st.events += evs.len() as u64;
        st.namespaces += 1;
    }
    if opts.revisions > 0 {
        let r = revisions(opts.revisions, opts.seed, &opts.out.join("revisions.json"))?;
        st.revisions = r.revisions;
        st.bytes += r.bytes;
        st.files += 1;
    }
    Ok(st)
}

/// Deployments holding exactly `want` pods; pod number `n` crash-loops when
/// `n % every == every - 1`.
fn workloads(
    rng: &mut Rng,
    ns: &str,
    want: u64,
    nodes: &[Node],
    pod_no: &mut u64,
    every: u64,
    opts: &ClusterOptions,
) -> Vec<Workload> {
    let mut works: Vec<Workload> = Vec::new();
    let mut left = want as usize;
    while left > 0 {
        let w = works.len();
        let name = format!("{}-{}-{w}", rng.pick(APP_WORDS), rng.pick(APP_WORDS));
        let mut h = Vec::new();
        rng.k8s_suffix(&mut h, 10);
        let rs_hash = s(h);
        let replicas = (rng.range(1, 5) as usize).min(left);
        left -= replicas;
        let created = BASE - (rng.range(2 * HOUR as u64, 120 * DAY as u64) as i64);
        let style = Style::pick(rng);
        let mut pods = Vec::with_capacity(replicas);
        for _ in 0..replicas {
            let crash = *pod_no % every == every - 1 && *pod_no / every < opts.troubled;
            *pod_no += 1;
            let mut pn = format!("{name}-{rs_hash}-").into_bytes();
            rng.k8s_suffix(&mut pn, 5);
            let node = rng.below(nodes.len() as u64) as usize;
            let pcreated = created + rng.below((BASE - created).max(1) as u64 / 2) as i64;
            let mut cid = b"containerd://".to_vec();
            rng.hex(&mut cid, 64);
            let mut img = format!("registry.example.com/{ns}/{name}@sha256:").into_bytes();
            rng.hex(&mut img, 64);
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
                restarts: if crash { rng.range(5, 60) } else { 0 },
                pending: false,
                containers: vec![Container {
                    name: name.clone(),
                    image: s(img),
                    style,
                    budget: if crash { 40_000 } else { 0 },
                    cid: s(cid),
                }],
                no_newline: false,
            });
        }
        works.push(Workload {
            name,
            uid: rng.uuid_string(),
            rs_hash,
            rs_uid: rng.uuid_string(),
            old_rs: None,
            replicas,
            created,
            component: rng.pick(APP_WORDS).to_string(),
            pods,
            port: *rng.pick(&[8080i64, 8443, 9090, 3000, 8000]),
            svc_ip: format!("10.52.{}.{}", rng.below(16), 2 + rng.below(250)),
        });
    }
    works
}

/// `want` events about the namespace's pods: a crash-looping pod's kubelet
/// warnings first, then the start-up events of healthy pods round after
/// round (each round a pod's later restart of a sidecar or rescheduling),
/// at distinct times so that event names stay unique.
fn events(rng: &mut Rng, works: &[Workload], nodes: &[Node], want: usize) -> Vec<Ev> {
    let pods: Vec<&Pod> = works.iter().flat_map(|w| w.pods.iter()).collect();
    let mut evs = Vec::with_capacity(want);
    if pods.is_empty() {
        return evs;
    }
    let ev = |p: &Pod, reason, etype, message: String, first, last, count| Ev {
        obj_kind: "Pod",
        obj_name: p.name.clone(),
        obj_uid: p.uid.clone(),
        field_path: Some(format!("spec.containers{{{}}}", p.containers[0].name)),
        reason,
        message,
        etype,
        source: "kubelet",
        host: Some(nodes[p.node].name.clone()),
        first,
        last,
        count,
    };
    for p in pods.iter().filter(|p| p.crash) {
        let c = &p.containers[0];
        let first = BASE - rng.range(20 * MIN as u64, 55 * MIN as u64) as i64;
        let n = p.restarts as i64;
        let probe = format!(
            "Liveness probe failed: Get \"http://{}:8081/healthz\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            p.ip
        );
        let back_off = format!(
            "Back-off restarting failed container {} in pod {}",
            c.name, p.name
        );
        evs.push(ev(
            p,
            "Unhealthy",
            "Warning",
            probe,
            first,
            BASE - MIN,
            n * 3,
        ));
        evs.push(ev(
            p,
            "BackOff",
            "Warning",
            back_off,
            first,
            BASE - SEC,
            n * 12,
        ));
    }
    let mut round = 0i64;
    while evs.len() < want {
        for p in &pods {
            if evs.len() >= want {
                break;
            }
            let c = &p.containers[0];
            let t = BASE - 55 * MIN + round * 7 * SEC + rng.below(5 * SEC as u64) as i64;
            let (reason, msg) = match round % 4 {
                0 => (
                    "Pulled",
                    format!("Container image \"{}\" already present on machine", c.image),
                ),
                1 => ("Created", format!("Created container {}", c.name)),
                2 => ("Started", format!("Started container {}", c.name)),
                _ => (
                    "Unhealthy",
                    format!(
                        "Readiness probe failed: Get \"http://{}:8081/readyz\": dial tcp {}:8081: connect: connection refused",
                        p.ip, p.ip
                    ),
                ),
            };
            let etype = if reason == "Unhealthy" {
                "Warning"
            } else {
                "Normal"
            };
            evs.push(ev(p, reason, etype, msg, t, t, 1));
        }
        round += 1;
    }
    evs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_counts_and_a_few_troubled_pods() {
        let out = std::env::temp_dir().join(format!("unloop-gen-cluster-{}", std::process::id()));
        let _ = fs::remove_dir_all(&out);
        let st = cluster(&ClusterOptions {
            out: out.clone(),
            pods: 300,
            events: 1000,
            revisions: 50,
            troubled: 3,
            seed: 3,
        })
        .unwrap();
        assert_eq!((st.pods, st.events, st.revisions), (300, 1000, 50));
        assert_eq!(st.troubled, 3);
        assert_eq!(st.namespaces, 3);
        // The files hold what the stats say.
        let mut pods = 0;
        let mut events = 0;
        for e in fs::read_dir(&out).unwrap().flatten() {
            if e.path().is_dir() {
                let count = |f: &str| {
                    let v: serde_json::Value =
                        serde_json::from_slice(&fs::read(e.path().join(f)).unwrap()).unwrap();
                    v["items"].as_array().unwrap().len()
                };
                pods += count("pods.json");
                events += count("events.json");
            }
        }
        let r: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("revisions.json")).unwrap()).unwrap();
        fs::remove_dir_all(&out).ok();
        assert_eq!((pods, events), (300, 1000));
        assert_eq!(r["items"].as_array().unwrap().len(), 50);
    }
}
