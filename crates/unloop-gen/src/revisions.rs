//! `kubectl get revisions.serving.knative.dev -A -o json` with N Revisions, shaped like what
//! Knative Serving 1.12 stores (labels, annotations, owner, minimal defaulted spec, status) and
//! distributed like real clusters with default config-gc: most Configurations hold about 20
//! reserve revisions, CI-driven ones hold every revision of the last 48 h, some are `no-gc`,
//! and a few keep several `active` revisions behind a Route that is not Ready.
//! Keys are sorted (kubectl prints unstructured objects), 4-space indentation.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;

use crate::json::Json;
use crate::rng::Rng;
use crate::time::{BASE, DAY, HOUR, SEC};
use crate::words::{APP_WORDS, NS_WORDS};

/// What [`revisions`] wrote: Revisions and their Configurations and namespaces, how many are
/// `active` or `no-gc`, and the bytes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RevisionStats {
    pub revisions: u64,
    pub configurations: u64,
    pub namespaces: u64,
    pub active: u64,
    pub no_gc: u64,
    pub bytes: u64,
}

struct Config {
    ns: String,
    name: String,
    cfg_uid: String,
    svc_uid: String,
    creator: &'static str,
    kind: u8, // 0 mature, 1 ci, 2 no-gc, 3 young, 4 stuck (route not ready)
    first_gen: u64,
    times: Vec<i64>,
}

const CREATORS: &[&str] = &[
    "system:serviceaccount:ci:argo-deployer",
    "system:serviceaccount:flux-system:kustomize-controller",
    "maria.kowalski@acme.example",
    "dev.patel@acme.example",
    "system:serviceaccount:ci:tekton-deployer",
];

fn plan(rng: &mut Rng, count: u64) -> Vec<Config> {
    let mut cfgs = Vec::new();
    let mut total = 0u64;
    let n_ns = (count / 250).clamp(1, 400);
    let mut i = 0u64;
    while total < count {
        let ns = format!(
            "{}-{}",
            NS_WORDS[(i % n_ns) as usize % NS_WORDS.len()],
            (i % n_ns) / NS_WORDS.len() as u64 + 1
        );
        let name = format!(
            "{}-{}-{}",
            APP_WORDS[rng.below(APP_WORDS.len() as u64) as usize],
            APP_WORDS[rng.below(APP_WORDS.len() as u64) as usize],
            i
        );
        let kind = match rng.below(100) {
            0..=61 => 0u8,
            62..=66 => 1,
            67 => 2,
            68..=95 => 3,
            _ => 4,
        };
        let n = match kind {
            0 | 4 => 21,
            1 => rng.range(40, 200),
            2 => rng.range(50, 150),
            _ => rng.range(1, 20),
        }
        .min(count - total);
        let mut times = Vec::with_capacity(n as usize);
        let mut t = BASE - rng.range(HOUR as u64, 10 * DAY as u64) as i64;
        for _ in 0..n {
            times.push(t);
            let gap = match kind {
                1 => HOUR as u64 / 2 + rng.below(HOUR as u64),
                3 => rng.range(HOUR as u64, 3 * DAY as u64),
                _ => rng.range(3 * HOUR as u64, 6 * DAY as u64),
            };
            t -= gap as i64;
        }
        times.reverse();
        cfgs.push(Config {
            ns,
            name,
            cfg_uid: rng.uuid_string(),
            svc_uid: rng.uuid_string(),
            creator: CREATORS[rng.below(CREATORS.len() as u64) as usize],
            kind,
            first_gen: if kind == 0 || kind == 4 {
                rng.range(25, 900) - 20
            } else {
                1
            },
            times,
        });
        total += n;
        i += 1;
    }
    cfgs.sort_by(|a, b| (a.ns.as_str(), a.name.as_str()).cmp(&(b.ns.as_str(), b.name.as_str())));
    cfgs
}

fn cond(j: &mut Json, ty: &str, status: &str, t: i64, reason: Option<(&str, &str)>, info: bool) {
    j.item().obj();
    j.kt("lastTransitionTime", t);
    if let Some((r, m)) = reason {
        j.kv("message", m).kv("reason", r);
    }
    if info {
        j.kv("severity", "Info");
    }
    j.kv("status", status).kv("type", ty);
    j.end_obj();
}

/// Writes a list of `count` Revisions to `out`.
pub fn revisions(count: u64, seed: u64, out: &Path) -> io::Result<RevisionStats> {
    let mut rng = Rng::new(seed ^ 0x005E_ED0F_2E71_5105);
    let cfgs = plan(&mut rng, count);
    let mut st = RevisionStats {
        configurations: cfgs.len() as u64,
        ..Default::default()
    };
    let mut nss: Vec<&str> = cfgs.iter().map(|c| c.ns.as_str()).collect();
    nss.dedup();
    st.namespaces = nss.len() as u64;
    let mut w = BufWriter::with_capacity(1 << 20, File::create(out)?);
    let mut buf = Vec::with_capacity(2 << 20);
    buf.extend_from_slice(b"{\n    \"apiVersion\": \"v1\",\n    \"items\": [");
    let mut first = true;
    for c in &cfgs {
        let n = c.times.len();
        // names sort like the API server lists them (etcd key order within a namespace)
        for (k, &created) in c.times.iter().enumerate() {
            let generation = c.first_gen + k as u64;
            let latest = k + 1 == n;
            let stuck = c.kind == 4 && k + 3 >= n;
            let active = latest || stuck;
            let modified = if active {
                created + 20 * SEC
            } else {
                c.times[k + 1] + 30 * SEC
            };
            let scaled = active && rng.chance(0.5);
            let mut j = Json::nested(&mut buf, 4, 2, first);
            first = false;
            j.item().obj();
            j.kv("apiVersion", "serving.knative.dev/v1")
                .kv("kind", "Revision");
            j.ko("metadata");
            j.ko("annotations");
            if c.kind == 2 {
                j.kv("serving.knative.dev/no-gc", "true");
                st.no_gc += 1;
            }
            j.kv("serving.knative.dev/creator", c.creator);
            if active {
                j.kv("serving.knative.dev/routes", &c.name);
            }
            j.kt("serving.knative.dev/routingStateModified", modified);
            j.end_obj();
            j.kt("creationTimestamp", created).kn("generation", 1);
            j.ko("labels");
            j.kv("serving.knative.dev/configuration", &c.name).kv(
                "serving.knative.dev/configurationGeneration",
                &generation.to_string(),
            );
            j.kv("serving.knative.dev/configurationUID", &c.cfg_uid).kv(
                "serving.knative.dev/routingState",
                if active { "active" } else { "reserve" },
            );
            j.kv("serving.knative.dev/service", &c.name)
                .kv("serving.knative.dev/serviceUID", &c.svc_uid);
            j.end_obj();
            j.kv("name", &format!("{}-{:05}", c.name, generation))
                .kv("namespace", &c.ns);
            j.ka("ownerReferences").item().obj();
            j.kv("apiVersion", "serving.knative.dev/v1")
                .kb("blockOwnerDeletion", true)
                .kb("controller", true);
            j.kv("kind", "Configuration")
                .kv("name", &c.name)
                .kv("uid", &c.cfg_uid);
            j.end_obj().end_arr();
            j.key("resourceVersion")
                .str(&(40_000_000 + rng.below(9_000_000)).to_string());
            j.kv("uid", &rng.uuid_string());
            j.end_obj();
            j.ko("spec")
                .kn("containerConcurrency", 0)
                .ka("containers")
                .item()
                .obj();
            let mut img = format!("registry.example.com/{}/{}:", c.ns, c.name).into_bytes();
            rng.hex(&mut img, 12);
            j.key("image").bytes_str(&img).kv("name", "user-container");
            j.ko("readinessProbe")
                .kn("successThreshold", 1)
                .ko("tcpSocket")
                .kn("port", 0)
                .end_obj()
                .end_obj();
            j.ko("resources").end_obj();
            j.end_obj().end_arr();
            j.kb("enableServiceLinks", false)
                .kn("timeoutSeconds", 300)
                .end_obj();
            j.ko("status");
            j.kn("actualReplicas", if scaled { 1 } else { 0 });
            j.ka("conditions");
            let ready = created + (15 + rng.below(60) as i64) * SEC;
            if scaled {
                cond(&mut j, "Active", "True", ready, None, true);
            } else {
                cond(
                    &mut j,
                    "Active",
                    "False",
                    ready + 90 * SEC,
                    Some(("NoTraffic", "The target is not receiving traffic.")),
                    true,
                );
            }
            cond(&mut j, "ContainerHealthy", "True", ready, None, false);
            cond(&mut j, "Ready", "True", ready, None, false);
            cond(&mut j, "ResourcesAvailable", "True", ready, None, false);
            j.end_arr();
            j.ka("containerStatuses").item().obj();
            let mut dig = format!("registry.example.com/{}/{}@sha256:", c.ns, c.name).into_bytes();
            rng.hex(&mut dig, 64);
            j.key("imageDigest")
                .bytes_str(&dig)
                .kv("name", "user-container");
            j.end_obj().end_arr();
            j.kn("desiredReplicas", if scaled { 1 } else { 0 })
                .kn("observedGeneration", 1);
            j.end_obj();
            j.end_obj();
            st.revisions += 1;
            if active {
                st.active += 1;
            }
            if buf.len() >= 1 << 20 {
                w.write_all(&buf)?;
                st.bytes += buf.len() as u64;
                buf.clear();
            }
        }
    }
    if first {
        buf.extend_from_slice(b"],\n");
    } else {
        buf.extend_from_slice(b"\n    ],\n");
    }
    buf.extend_from_slice(b"    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n");
    w.write_all(&buf)?;
    st.bytes += buf.len() as u64;
    w.flush()?;
    Ok(st)
}
