//! The collector against the replay server, in process: same findings as
//! offline, only GETs, and faults that end in a diagnosis or named gaps.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use kube::Client;
use unloop_core::diagnose::{DiagnoseOptions, Diagnosis, diagnose};
use unloop_core::evidence::{ReadOptions, read_paths};
use unloop_kube::{Collection, Limits, Progress, Scope, collect};
use unloop_replay::faults::FaultSpec;
use unloop_replay::{Options, Replay, router};

fn incident() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop")
}

/// A client on the replay of `paths`, recording every request's method and URI.
fn client(paths: &[PathBuf], faults: Option<&str>) -> (Client, Arc<Mutex<Vec<String>>>) {
    let replay = Arc::new(Replay::load(paths, Options::default()));
    let mut r = router(replay);
    if let Some(spec) = faults {
        let spec: FaultSpec = spec.parse().expect("fault spec");
        r = unloop_replay::faults::layer(r, Arc::new(unloop_replay::faults::Faults::new(spec)));
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let svc = tower::ServiceBuilder::new()
        .map_request(move |req: http::Request<kube::client::Body>| {
            log.lock()
                .unwrap()
                .push(format!("{} {}", req.method(), req.uri()));
            req
        })
        .service(r);
    (Client::new(svc, "default"), seen)
}

async fn live(
    paths: &[PathBuf],
    faults: Option<&str>,
    limits: Limits,
) -> (Collection, Vec<String>) {
    let (c, seen) = client(paths, faults);
    let coll = collect(&c, &Scope::AllNamespaces, &limits, &Progress::silent())
        .await
        .expect("collect");
    let seen = seen.lock().unwrap().clone();
    (coll, seen)
}

fn offline(paths: &[PathBuf]) -> Diagnosis {
    diagnose(
        &read_paths(paths, &ReadOptions::default()),
        &DiagnoseOptions::default(),
    )
}

/// Same workloads, verdicts, causes in the same order, scores within 0.05.
fn assert_same(off: &Diagnosis, live: &Diagnosis) {
    let subjects = |d: &Diagnosis| {
        d.workloads
            .iter()
            .map(|w| w.subject.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(subjects(off), subjects(live));
    for (o, l) in off.workloads.iter().zip(&live.workloads) {
        assert_eq!(o.verdict, l.verdict, "{}", o.subject);
        let causes = |w: &unloop_core::diagnose::WorkloadDiagnosis| {
            w.findings.iter().map(|f| f.cause).collect::<Vec<_>>()
        };
        assert_eq!(causes(o), causes(l), "{}", o.subject);
        for (fo, fl) in o.findings.iter().zip(&l.findings) {
            assert!(
                (fo.score - fl.score).abs() <= 0.05,
                "{}: {:?} {} vs {}",
                o.subject,
                fo.cause,
                fo.score,
                fl.score
            );
        }
    }
}

#[tokio::test]
async fn live_on_replay_matches_offline() {
    let paths = vec![incident()];
    let off = offline(&paths);
    assert!(off.has_problems());
    let (coll, seen) = live(&paths, None, Limits::default()).await;
    assert!(coll.gaps.is_empty(), "{:?}", coll.gaps);
    let d = diagnose(&coll.evidence, &DiagnoseOptions { now: off.taken_at });
    assert_same(&off, &d);
    assert!(seen.iter().all(|r| r.starts_with("GET ")), "{seen:?}");
    // Revisions came from metadata-only lists, never full objects.
    assert!(seen.iter().any(|r| r.contains("/revisions?limit=")));
    assert!(!coll.evidence.revisions.is_empty());
    // Healthy pods no rule looks at in detail are counted, not kept: the
    // model holds fewer pods than the cluster, and every scheduled pod is
    // either kept or counted on its node.
    // (The pods the replay serves: the dump's; the example's `get pods`
    // table adds rows, not objects.)
    let all = read_paths(&[incident().join("cluster-info")], &ReadOptions::default());
    let scheduled = all.pods.iter().filter(|p| p.node.is_some()).count();
    let kept = coll
        .evidence
        .pods
        .iter()
        .filter(|p| p.node.is_some())
        .count();
    let counted: u32 = coll.evidence.healthy_pods_elsewhere.values().sum();
    assert!(kept < scheduled, "kept {kept} of {scheduled}");
    assert!(counted > 0);
    assert_eq!(kept + counted as usize, scheduled);
    // The troubled workload's healthy sibling and the bad node's pods are kept.
    for name in [
        "net-istio-controller-5f7c9d8b46-7m9tr",
        "activator-kqk8nnwqwh-pmtz6",
    ] {
        assert!(
            coll.evidence.pods.iter().any(|p| p.meta.name == name),
            "{name} not kept"
        );
    }
}

#[tokio::test]
async fn faults_end_in_a_diagnosis_or_named_gaps() {
    let paths = vec![incident()];
    let spec = "latency=1ms..20ms,get:500=0.2,list:429=0.2,log:503=0.2,retry-after=1,seed=7";
    let limits = Limits {
        timeout: std::time::Duration::from_secs(40),
        ..Limits::default()
    };
    let (coll, seen) = live(&paths, Some(spec), limits).await;
    assert!(seen.iter().all(|r| r.starts_with("GET ")));
    let d = diagnose(&coll.evidence, &DiagnoseOptions::default());
    // Retries got through most faults; whatever did not is named.
    assert!(coll.retries > 0);
    assert!(d.has_problems() || !coll.gaps.is_empty());
    for g in &coll.gaps {
        assert!(!g.what.is_empty() && !g.why.is_empty());
    }
}

#[tokio::test]
async fn a_short_deadline_names_what_is_missing() {
    let paths = vec![incident()];
    let limits = Limits {
        timeout: std::time::Duration::from_millis(1500),
        ..Limits::default()
    };
    let (c, _) = client(&paths, Some("latency=400ms..500ms,seed=1"));
    match collect(&c, &Scope::AllNamespaces, &limits, &Progress::silent()).await {
        Ok(coll) => {
            assert!(
                coll.gaps.iter().any(|g| g.why.contains("deadline")),
                "{:?}",
                coll.gaps
            );
            let mut d = diagnose(&coll.evidence, &DiagnoseOptions::default());
            coll.annotate(&mut d);
            for w in &d.workloads {
                assert!(w.missing.iter().any(|m| m.what.contains("not collected")));
            }
        }
        // The pods list itself did not finish: that is said, not panicked.
        Err(e) => assert!(e.to_string().contains("deadline"), "{e}"),
    }
}

/// An answer with a Kubernetes Status body.
fn status(code: u16, reason: &'static str, message: String) -> http::Response<axum::body::Body> {
    use axum::response::IntoResponse;
    unloop_replay::ApiError::new(code, reason, message).into_response()
}

/// The replay, where the first request that carries a continue token gets
/// 410 Gone, as an apiserver answers a token older than its compaction.
fn expiring_client(paths: &[PathBuf]) -> (Client, Arc<Mutex<Vec<String>>>) {
    use tower::ServiceExt;
    let r = router(Arc::new(Replay::load(paths, Options::default())));
    let expired = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let r = r.clone();
        let expired = expired.clone();
        log.lock().unwrap().push(req.uri().to_string());
        async move {
            let q = req.uri().query().unwrap_or("").to_owned();
            if q.contains("continue=") && !expired.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return Ok(status(410, "Expired", "continue token expired".into()));
            }
            r.oneshot(req).await
        }
    });
    (Client::new(svc, "default"), seen)
}

#[tokio::test]
async fn an_expired_continue_token_restarts_the_list_without_duplicates() {
    let paths = vec![incident()];
    let limits = Limits {
        page_size: 20,
        ..Limits::default()
    };
    let (whole, _) = live(&paths, None, limits.clone()).await;
    let (c, seen) = expiring_client(&paths);
    let coll = collect(&c, &Scope::AllNamespaces, &limits, &Progress::silent())
        .await
        .expect("collect");
    assert!(coll.gaps.is_empty(), "{:?}", coll.gaps);
    assert_eq!(coll.evidence.pods.len(), whole.evidence.pods.len());
    assert_eq!(
        coll.evidence.count_of("Pod"),
        whole.evidence.count_of("Pod")
    );
    assert_eq!(
        coll.evidence.revisions.len(),
        whole.evidence.revisions.len()
    );
    // The first list asked twice from the start: pages of 4 and a restart.
    let starts = seen
        .lock()
        .unwrap()
        .iter()
        .filter(|u| {
            u.starts_with("/api/v1/pods?limit=20")
                && !u.contains("continue=")
                && !u.contains("fieldSelector")
        })
        .count();
    assert_eq!(starts, 2);
}

/// The replay behind a gate that answers 403 for Leases and Revisions, as an
/// RBAC role without them would.
fn forbidding_client(paths: &[PathBuf]) -> Client {
    use tower::ServiceExt;
    let r = router(Arc::new(Replay::load(paths, Options::default())));
    let svc = tower::service_fn(move |req: http::Request<kube::client::Body>| {
        let r = r.clone();
        async move {
            let path = req.uri().path().to_owned();
            if path.contains("/leases") || path.contains("/revisions") {
                return Ok(status(
                    403,
                    "Forbidden",
                    format!("forbidden: cannot list {path}"),
                ));
            }
            r.oneshot(req).await
        }
    });
    Client::new(svc, "default")
}

#[tokio::test]
async fn forbidden_evidence_is_named_with_the_rule_that_grants_it() {
    let paths = vec![incident()];
    let c = forbidding_client(&paths);
    let coll = collect(
        &c,
        &Scope::AllNamespaces,
        &Limits::default(),
        &Progress::silent(),
    )
    .await
    .expect("collect");
    let leases = coll
        .gaps
        .iter()
        .find(|g| g.what.starts_with("Leases in"))
        .expect("lease gap");
    assert!(leases.why.contains("403"));
    let grant = leases.grant.as_deref().unwrap();
    assert!(
        grant.contains(
            "apiGroups: [\"coordination.k8s.io\"], resources: [\"leases\"], verbs: [\"list\"]"
        ),
        "{grant}"
    );
    assert!(coll.gaps.iter().any(|g| {
        g.what.contains("Revision")
            && g.grant
                .as_deref()
                .is_some_and(|r| r.contains("serving.knative.dev"))
    }));
    assert!(coll.evidence.leases.is_empty());
    // The gaps are warnings in the evidence and missing evidence in the report.
    assert!(
        coll.evidence
            .diagnostics
            .iter()
            .any(|d| d.message.contains("Leases in"))
    );
    let mut d = diagnose(&coll.evidence, &DiagnoseOptions::default());
    assert!(d.has_problems());
    coll.annotate(&mut d);
    assert!(
        d.workloads[0]
            .missing
            .iter()
            .any(|m| m.command.contains("leases"))
    );
}

/// A Secret beside the incident, with values a snapshot must never hold.
fn secret_file(dir: &Path) -> PathBuf {
    let f = dir.join("secret.yaml");
    std::fs::write(
        &f,
        "apiVersion: v1\nkind: Secret\nmetadata:\n  name: istio-webhook-certs\n  namespace: knative-serving\n  \
         annotations:\n    note: plain\ntype: Opaque\ndata:\n  server-key.pem: c25hcHNob3Qtc2VjcmV0\n\
         stringData:\n  token: snapshot-secret-value\n",
    )
    .unwrap();
    f
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("unloop-kube-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[tokio::test]
async fn a_snapshot_read_offline_gives_the_live_findings() {
    let extra = temp("snapshot-input");
    let paths = vec![incident(), secret_file(&extra)];
    let (c, seen) = client(&paths, None);
    let rec = unloop_kube::SnapshotRecorder::new();
    let coll = unloop_kube::collect_recording(
        &c,
        &Scope::AllNamespaces,
        &Limits::default(),
        &Progress::silent(),
        Some(&rec),
    )
    .await
    .expect("collect");
    assert!(coll.gaps.is_empty(), "{:?}", coll.gaps);
    assert!(coll.bytes > 0);
    assert!(seen.lock().unwrap().iter().all(|r| r.starts_with("GET ")));
    let out = temp("snapshot-out");
    let stats = rec.write(&out).expect("write");
    assert!(stats.files > 5 && stats.logs > 0, "{stats:?}");

    // Offline on the snapshot: the live findings, with the same reference time.
    let off = offline(&[incident()]);
    let live = diagnose(&coll.evidence, &DiagnoseOptions { now: off.taken_at });
    let snap = diagnose(
        &read_paths(std::slice::from_ref(&out), &ReadOptions::default()),
        &DiagnoseOptions { now: off.taken_at },
    );
    assert!(snap.has_problems());
    assert_same(&live, &snap);

    // The dump layout, with what the dump lacks: previous logs and leases.
    let ks = out.join("knative-serving");
    assert!(out.join("nodes.json").is_file());
    assert!(unloop_core::evidence::dump::is_dump_dir(&out));
    let leases = std::fs::read_to_string(ks.join("leases.json")).unwrap();
    assert!(leases.contains("\"LeaseList\"") && leases.contains("net-istio"));
    assert!(ks.join("configmaps.json").is_file());
    let previous: Vec<PathBuf> = std::fs::read_dir(&ks)
        .unwrap()
        .flatten()
        .map(|e| e.path().join("previous-logs.txt"))
        .filter(|p| p.is_file())
        .collect();
    assert!(!previous.is_empty(), "no previous-logs.txt under {ks:?}");
    let ev = read_paths(std::slice::from_ref(&out), &ReadOptions::default());
    assert!(ev.logs.iter().any(|l| {
        l.run == unloop_core::evidence::ContainerRun::Previous
            && l.pod
                .as_ref()
                .is_some_and(|p| p.name.starts_with("net-istio-controller"))
    }));
    assert!(!ev.leases.is_empty());

    // The Secret is there as metadata only; none of its values anywhere.
    let secrets = std::fs::read_to_string(ks.join("secrets.json")).unwrap();
    assert!(secrets.contains("istio-webhook-certs"));
    let mut files = Vec::new();
    let mut stack = vec![out.clone()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.path().is_dir() {
                stack.push(e.path());
            } else {
                files.push(e.path());
            }
        }
    }
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        for needle in [
            "c25hcHNob3Qtc2VjcmV0",
            "snapshot-secret-value",
            "server-key.pem",
        ] {
            assert!(!text.contains(needle), "{needle} in {}", f.display());
        }
    }
    std::fs::remove_dir_all(&out).ok();
    std::fs::remove_dir_all(&extra).ok();
}
