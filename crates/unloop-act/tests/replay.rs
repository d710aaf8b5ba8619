//! The safety properties of carrying out a plan (issue 6), against the
//! replay server in process: a dry run changes nothing; a 409 is retried
//! with a fresh read; direct Revision GC under faults deletes exactly what
//! the plan names, once, and resumes after an interruption without
//! repeating itself; a drain honours PodDisruptionBudgets and leaves
//! DaemonSet and mirror pods; and the incident's plan, applied under
//! `--simulate`, fixes it, after which a second run does nothing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use serde_json::json;
use unloop_act::audit::{Entry, plan_id};
use unloop_act::ops::gc::{DirectOptions, deletions};
use unloop_act::ops::node::DrainOptions;
use unloop_act::ops::{self, Waits};
use unloop_act::{ActError, AuditLog, Outcome, RunnerOptions};
use unloop_core::diagnose::{CauseId, DiagnoseOptions, diagnose};
use unloop_core::evidence::{ReadOptions, read_paths};
use unloop_core::remedy::gc::GcConfig;
use unloop_core::remedy::plan::{Action, ObjectId, Phase, PlanStep};
use unloop_replay::Replay;
use unloop_replay::simulate::{SimOptions, Simulation};
use unloop_replay::store::Preconditions;

const NS: &str = "knative-serving";
const DEPLOY: &str = "net-istio-controller";
const BAD: &str = "gke-prod-pool-1-3f9c2a1b-x7kq";

/// The plan `unloop fix` would take for the incident's first workload.
fn incident_plan() -> Vec<PlanStep> {
    let d = diagnose(
        &read_paths(&[incident()], &ReadOptions::default()),
        &DiagnoseOptions::default(),
    );
    let w = d.workloads.first().expect("a troubled workload");
    assert_eq!(w.subject, format!("Deployment {NS}/{DEPLOY}"));
    assert!(!w.plan.is_empty());
    w.plan.clone()
}

fn non_manual(steps: &[PlanStep]) -> usize {
    steps.iter().filter(|s| s.action != Action::Manual).count()
}

fn fast_direct() -> DirectOptions {
    DirectOptions {
        batch: 200,
        rate: 10_000.0,
    }
}

fn deployment_key() -> unloop_replay::resources::StorageKey {
    key("apps", "deployments")
}

// 1. A dry run changes nothing.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dry_run_of_the_incident_plan_changes_nothing() {
    let steps = incident_plan();
    let replay = load_incident();
    let (node_k, cm_k, pods_k) = (key("", "nodes"), key("", "configmaps"), key("", "pods"));
    let deploy_k = deployment_key();
    let rv_of = |k, ns, name| rv(&get(&replay, k, ns, name).expect("object in the incident"));
    // What a change would move: the store's version, the objects the plan
    // patches, the Revisions and the pods.
    let state = || {
        (
            replay.store.resource_version(),
            rv_of(&node_k, "", BAD),
            rv_of(&cm_k, NS, "config-gc"),
            rv_of(&deploy_k, NS, DEPLOY),
            count(&replay, &revisions_key()),
            names(&replay, &pods_k),
        )
    };
    let before = state();
    assert_eq!(before.4, 3123);

    let (client, seen) = client(&replay, None, Hooks::default());
    let api = unloop_act::Api::new(client, false);
    let (sum, out) = run(&api, None, RunnerOptions::default(), &steps).await;

    // Every change was shown as the server's dry run would make it.
    let manual = steps.len() - non_manual(&steps);
    assert_eq!(sum.failed, 0, "{out}");
    assert_eq!(sum.applied, 0, "{out}");
    assert_eq!(sum.manual, manual, "{out}");
    assert_eq!(sum.would_apply + sum.unchanged, non_manual(&steps), "{out}");
    assert!(sum.would_apply >= 4, "{sum:?}\n{out}");
    assert!(!sum.complete, "a dry run completes nothing");
    assert!(out.contains("dryRun=All"), "{out}");
    assert!(out.contains("+  unschedulable: true"), "{out}");
    assert!(
        out.contains("+  max-non-active-revisions: \"5\""),
        "the config-gc diff: {out}"
    );

    // Writes went out, every one of them a server-side dry run.
    let reqs = requests(&seen);
    let writes: Vec<&Req> = reqs.iter().filter(|r| r.is_write()).collect();
    assert!(writes.len() >= 5, "{writes:?}");
    let real: Vec<String> = writes
        .iter()
        .filter(|r| !r.dry_run())
        .map(|r| r.to_string())
        .collect();
    assert!(real.is_empty(), "writes without dryRun=All: {real:?}");
    assert!(
        writes
            .iter()
            .any(|r| r.method == "POST" && r.path().ends_with("/eviction")),
        "the drain's evictions were tried (dry run): {writes:?}"
    );
    assert_eq!(api.writes() as usize, writes.len());

    // And nothing changed.
    assert_eq!(before, state());
    let node = get(&replay, &node_k, "", BAD).unwrap();
    assert_ne!(node["spec"]["unschedulable"], json!(true));
}

// 2. A 409 is retried with a fresh read.

#[tokio::test]
async fn a_conflict_is_retried_with_a_fresh_read() {
    let dir = tempfile::tempdir().unwrap();
    let replay = load_objects(dir.path(), gc_objects(1, 3));
    let cm_k = key("", "configmaps");
    let path = "/api/v1/namespaces/knative-serving/configmaps/config-gc";
    let first_rv = rv(&get(&replay, &cm_k, NS, "config-gc").unwrap());
    // The first PATCH meets another writer: config-gc changes under it (a
    // key of its own) and the PATCH is answered 409, as the server would.
    let conflicted = Arc::new(AtomicBool::new(false));
    let theirs_rv = Arc::new(Mutex::new(String::new()));
    let hooks = {
        let (replay, conflicted, theirs_rv) =
            (replay.clone(), conflicted.clone(), theirs_rv.clone());
        Hooks::before(move |r| {
            if r.method != "PATCH" || r.path() != path || conflicted.swap(true, Ordering::SeqCst) {
                return None;
            }
            let k = key("", "configmaps");
            let mut cm = get(&replay, &k, NS, "config-gc").unwrap();
            cm["data"]["retain-since-last-active-time"] = json!("15h");
            let stored = replay
                .store
                .update(&k, cm, &Preconditions::default())
                .unwrap();
            *theirs_rv.lock().unwrap() = rv(&stored);
            Some(status(
                409,
                "Conflict",
                "Operation cannot be fulfilled on configmaps \"config-gc\": the object has been modified; please apply your changes to the latest version and try again",
            ))
        })
    };
    let (client, seen) = client(&replay, None, hooks);
    let api = fast_api(client, true);
    let settings = vec![
        ("min-non-active-revisions".to_owned(), "2".to_owned()),
        ("max-non-active-revisions".to_owned(), "5".to_owned()),
    ];
    let report = ops::config_map::set_data(&api, NS, "config-gc", &settings)
        .await
        .expect("set_data");
    assert!(
        matches!(report.outcome, Outcome::Applied(_)),
        "{:?}",
        report.outcome
    );
    assert!(conflicted.load(Ordering::SeqCst), "the 409 was served");

    let cm = get(&replay, &cm_k, NS, "config-gc").unwrap();
    assert_eq!(cm["data"]["min-non-active-revisions"], "2");
    assert_eq!(cm["data"]["max-non-active-revisions"], "5");
    // The other writer's change is kept: the patch was recomputed, not forced.
    assert_eq!(cm["data"]["retain-since-last-active-time"], "15h");
    assert_eq!(cm["data"]["retain-since-create-time"], "48h");

    let on_cm: Vec<Req> = requests(&seen)
        .into_iter()
        .filter(|r| r.path() == path)
        .collect();
    let methods: Vec<(&str, u16)> = on_cm
        .iter()
        .map(|r| (r.method.as_str(), r.status))
        .collect();
    // Read, write (409), read again, write, read back to verify.
    assert_eq!(
        methods,
        [
            ("GET", 200),
            ("PATCH", 409),
            ("GET", 200),
            ("PATCH", 200),
            ("GET", 200)
        ],
        "{on_cm:?}"
    );
    let sent_rv = |r: &Req| r.json()["metadata"]["resourceVersion"].clone();
    assert_eq!(sent_rv(&on_cm[1]), json!(first_rv));
    let theirs = theirs_rv.lock().unwrap().clone();
    assert_ne!(theirs, first_rv);
    assert_eq!(
        sent_rv(&on_cm[3]),
        json!(theirs),
        "the retry carries the resourceVersion of the fresh read"
    );
}

// 3 and 4. Direct Revision GC: exactly the plan, once, resumable.

/// A replay of generated Configurations and Revisions, and what GC with
/// min 2 / max 5 deletes there, as the step that deletes them.
struct GcCase {
    _dir: tempfile::TempDir,
    audit: std::path::PathBuf,
    replay: Arc<Replay>,
    planned: Vec<ObjectId>,
    steps: Vec<PlanStep>,
    before: BTreeSet<(String, String)>,
}

async fn gc_case() -> GcCase {
    let dir = tempfile::tempdir().unwrap();
    let replay = load_objects(dir.path(), gc_objects(6, 25));
    let before = names(&replay, &revisions_key());
    assert_eq!(before.len(), 150);
    let (c, _) = client(&replay, None, Hooks::default());
    let api = fast_api(c, false);
    let live = ops::gc::read(&api, NS).await.expect("read");
    assert_eq!(live.uids.len(), 150);
    let data = BTreeMap::from([
        ("min-non-active-revisions".to_owned(), "2".to_owned()),
        ("max-non-active-revisions".to_owned(), "5".to_owned()),
    ]);
    let config = GcConfig::from_data(&data).unwrap();
    let plan = live.plan(&config, jiff::Timestamp::now());
    let mut notes = Vec::new();
    let planned = deletions(&live, &plan, &mut notes);
    // Sanity of the fixture: much to delete, and pinned, routed and latest
    // Revisions kept.
    assert!(planned.len() >= 80, "{}", planned.len());
    for r in &planned {
        assert!(!r.name.starts_with("legacy-0"), "pinned: {}", r.name);
        assert!(!r.name.ends_with("-00003"), "routed: {}", r.name);
        assert!(!r.name.ends_with("-00025"), "latest: {}", r.name);
    }
    let mut step = PlanStep::new(
        Phase::Relieve,
        CauseId::ObjectAccumulation,
        "Delete old Revisions directly",
        "Knative's controller is down",
        Action::DeleteRevisions {
            revisions: planned.clone(),
        },
    );
    step.number = 1;
    GcCase {
        audit: dir.path().join("audit.jsonl"),
        _dir: dir,
        replay,
        planned,
        steps: vec![step],
        before,
    }
}

impl GcCase {
    fn planned_names(&self) -> BTreeSet<(String, String)> {
        self.planned
            .iter()
            .map(|r| (r.namespace.clone(), r.name.clone()))
            .collect()
    }

    fn opts(&self) -> RunnerOptions {
        RunnerOptions {
            direct: fast_direct(),
            ..RunnerOptions::default()
        }
    }

    /// The Revisions are exactly those before less those planned.
    fn assert_exactly_the_plan_is_gone(&self) {
        let now = names(&self.replay, &revisions_key());
        let expected: BTreeSet<_> = self
            .before
            .difference(&self.planned_names())
            .cloned()
            .collect();
        let unplanned: Vec<_> = expected.difference(&now).collect();
        assert!(
            unplanned.is_empty(),
            "deleted though not planned: {unplanned:?}"
        );
        let left: Vec<_> = now.difference(&expected).collect();
        assert!(left.is_empty(), "planned but still there: {left:?}");
        assert_eq!(now.len(), self.before.len() - self.planned.len());
    }

    /// Per Revision, the results the audit log recorded.
    fn audit_results(&self) -> BTreeMap<String, Vec<String>> {
        let log = AuditLog::open(&self.audit).unwrap();
        let id = plan_id(CLUSTER, &self.steps);
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in log.records().iter().filter(|r| r.plan == id) {
            if let Entry::Object { object, result, .. } = &r.entry {
                out.entry(object.clone()).or_default().push(result.clone());
            }
        }
        out
    }

    /// Each planned Revision finished exactly once in the log (deleted, or
    /// found already gone), never deleted twice, and nothing else recorded.
    fn assert_audit_once_each(&self) -> usize {
        let results = self.audit_results();
        let planned: BTreeSet<String> = self
            .planned
            .iter()
            .map(|r| format!("Revision/{}/{}", r.namespace, r.name))
            .collect();
        let recorded: BTreeSet<String> = results.keys().cloned().collect();
        assert_eq!(recorded, planned, "objects in the audit log");
        let mut deleted = 0;
        for (object, rs) in &results {
            let d = rs.iter().filter(|r| *r == "deleted").count();
            assert!(d <= 1, "{object} deleted {d} times: {rs:?}");
            let finished: Vec<_> = rs
                .iter()
                .filter(|r| matches!(r.as_str(), "deleted" | "already-gone"))
                .collect();
            assert_eq!(finished.len(), 1, "{object}: {rs:?}");
            deleted += d;
        }
        deleted
    }
}

/// Counts, per path, the DELETEs the server itself carried out (200), and
/// with `lose_every` = n > 0 loses the answer of every n-th of them (a 503
/// after the change was made, as a proxy timing out would).
fn server_deletes(lose_every: usize) -> (Hooks, Arc<Mutex<BTreeMap<String, usize>>>) {
    let done = Arc::new(Mutex::new(BTreeMap::<String, usize>::new()));
    let n = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let hooks = Hooks::after(move |r, code| {
        if r.method != "DELETE" || code != 200 {
            return None;
        }
        *d.lock().unwrap().entry(r.path().to_owned()).or_default() += 1;
        let i = n.fetch_add(1, Ordering::SeqCst) + 1;
        (lose_every > 0 && i.is_multiple_of(lose_every))
            .then(|| status(503, "ServiceUnavailable", "answer lost (test)"))
    });
    (hooks, done)
}

/// Every write was a DELETE of a planned Revision, and the server deleted
/// each at most once.
fn assert_only_planned_deletes(
    case: &GcCase,
    reqs: &[Req],
    server: &BTreeMap<String, usize>,
) -> usize {
    let planned: BTreeSet<String> = case
        .planned
        .iter()
        .map(|r| {
            format!(
                "/apis/serving.knative.dev/v1/namespaces/{}/revisions/{}",
                r.namespace, r.name
            )
        })
        .collect();
    for r in reqs.iter().filter(|r| r.is_write()) {
        assert_eq!(r.method, "DELETE", "{r}");
        assert!(planned.contains(r.path()), "unplanned write {r}");
        assert!(!r.dry_run(), "{r}");
        // Every delete names the object it means (UID precondition).
        assert!(
            r.json()["preconditions"]["uid"].is_string(),
            "{r}: {:?}",
            r.json()
        );
    }
    for (p, n) in server {
        assert_eq!(*n, 1, "{p} deleted {n} times by the server");
        assert!(planned.contains(p), "{p}");
    }
    server.len()
}

/// Direct GC under `faults` (and lost answers), run until complete (a
/// delete that gives up after its retries fails the step; the next run
/// continues), then the checks.
async fn gc_under_faults(seed: u64, lose_every: usize) {
    let case = gc_case().await;
    let spec = format!("latency=1ms..5ms,delete:500=0.3,delete:503=0.1,seed={seed}");
    let (hooks, server) = server_deletes(lose_every);
    let (c, seen) = client(&case.replay, Some(&spec), hooks);
    let api = fast_api(c, true);
    let mut runs = 0;
    loop {
        runs += 1;
        let mut log = AuditLog::open(&case.audit).unwrap();
        let (sum, out) = run(&api, Some(&mut log), case.opts(), &case.steps).await;
        if sum.complete {
            assert_eq!(sum.failed, 0, "{out}");
            break;
        }
        assert!(
            runs < 6,
            "seed {seed}: not complete after {runs} runs:\n{out}"
        );
        assert!(out.contains("FAILED"), "{out}");
    }
    let reqs = requests(&seen);
    assert!(
        reqs.iter()
            .any(|r| r.method == "DELETE" && matches!(r.status, 500 | 503)),
        "seed {seed}: the faults never hit a DELETE"
    );
    case.assert_exactly_the_plan_is_gone();
    let by_server = assert_only_planned_deletes(&case, &reqs, &server.lock().unwrap());
    assert_eq!(by_server, case.planned.len());
    let deleted = case.assert_audit_once_each();
    // A lost answer's retry found the Revision gone: recorded so, not as a
    // second deletion.
    let lost = case.planned.len().checked_div(lose_every).unwrap_or(0);
    assert_eq!(deleted, case.planned.len() - lost, "seed {seed}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn direct_gc_under_faults_deletes_exactly_the_plan_once() {
    // Concurrently (the runner's future stays on this task): most of the
    // time is the pacer's back-off after injected failures.
    tokio::join!(
        gc_under_faults(1, 0),
        gc_under_faults(7, 0),
        gc_under_faults(42, 0),
        // And answers lost after the server deleted.
        gc_under_faults(3, 9),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_direct_gc_resumes_without_repeating_itself() {
    const K: usize = 40;
    let case = gc_case().await;
    let planned = case.planned.len();
    assert!(planned > K);

    // First run: every DELETE after the first K fails.
    let passed = Arc::new(AtomicUsize::new(0));
    let hooks = {
        let passed = passed.clone();
        Hooks::before(move |r| {
            if r.method != "DELETE" || passed.fetch_add(1, Ordering::SeqCst) < K {
                return None;
            }
            Some(status(
                503,
                "ServiceUnavailable",
                "the API server is going away (test)",
            ))
        })
    };
    let (c, _) = client(&case.replay, None, hooks);
    let api = fast_api(c, true);
    {
        let mut log = AuditLog::open(&case.audit).unwrap();
        let (sum, out) = run(&api, Some(&mut log), case.opts(), &case.steps).await;
        assert_eq!(sum.failed, 1, "{out}");
        assert!(sum.stopped && !sum.complete, "{sum:?}");
        assert!(out.contains("FAILED"), "{out}");
    }
    assert_eq!(
        count(&case.replay, &revisions_key()),
        case.before.len() - K,
        "K deleted before the interruption"
    );
    let first = case.audit_results();
    assert_eq!(first.len(), K, "{first:?}");
    assert!(first.values().all(|rs| rs == &["deleted"]), "{first:?}");

    // Second run, healthy, same (reopened) audit log: continues.
    let (server_hooks, server) = server_deletes(0);
    let (c, seen) = client(&case.replay, None, server_hooks);
    let api = fast_api(c, true);
    let mut log = AuditLog::open(&case.audit).unwrap();
    let (sum, out) = run(&api, Some(&mut log), case.opts(), &case.steps).await;
    assert_eq!(sum.applied, 1, "{out}");
    assert!(sum.complete, "{sum:?}\n{out}");
    assert!(
        out.contains(&format!(
            "{K} Revision(s) already deleted by an earlier run"
        )),
        "{out}"
    );
    let reqs = requests(&seen);
    let deletes = reqs.iter().filter(|r| r.method == "DELETE").count();
    assert_eq!(deletes, planned - K, "nothing finished is sent again");
    for r in reqs.iter().filter(|r| r.method == "DELETE") {
        let name = r.path().rsplit('/').next().unwrap();
        assert!(
            !first.contains_key(&format!("Revision/shop/{name}")),
            "{r} was finished by the first run"
        );
    }
    assert_only_planned_deletes(&case, &reqs, &server.lock().unwrap());
    case.assert_exactly_the_plan_is_gone();
    assert_eq!(case.assert_audit_once_each(), planned);

    // A third run: done before, and not one write.
    let (c, seen) = client(&case.replay, None, Hooks::default());
    let api = fast_api(c, true);
    let (sum, out) = run(&api, Some(&mut log), case.opts(), &case.steps).await;
    assert_eq!((sum.done_before, sum.applied), (1, 0), "{out}");
    assert!(requests(&seen).iter().all(|r| !r.is_write()));
}

// 5. Drain and cordon.

fn drain_objects(min_available: u32) -> Vec<serde_json::Value> {
    let mut mirror = pod("kube-proxy-n1", "n1", "kube-proxy", None);
    mirror["metadata"]["annotations"] = json!({"kubernetes.io/config.mirror": "3f1c0b8e"});
    vec![
        node("n1"),
        node("n2"),
        node("n3"),
        pod("web-a", "n1", "web", Some(("ReplicaSet", "web-5d8f7"))),
        pod("web-b", "n1", "web", Some(("ReplicaSet", "web-5d8f7"))),
        pod("web-c", "n2", "web", Some(("ReplicaSet", "web-5d8f7"))),
        pod("agent-n1", "n1", "agent", Some(("DaemonSet", "agent"))),
        mirror,
        pdb("web", "web", min_available),
    ]
}

fn drain_options() -> DrainOptions {
    DrainOptions {
        timeout: Duration::from_secs(2),
        force: false,
        delete_emptydir_data: false,
    }
}

fn drain_waits() -> Waits {
    Waits {
        poll: Duration::from_millis(100),
        ..Waits::default()
    }
}

#[tokio::test]
async fn a_drain_honours_pod_disruption_budgets_and_leaves_daemonset_and_mirror_pods() {
    let dir = tempfile::tempdir().unwrap();
    // The budget needs all three web pods: no eviction is allowed.
    let replay = load_objects(dir.path(), drain_objects(3));
    let pods_k = key("", "pods");
    let (c, seen) = client(&replay, None, Hooks::default());
    let api = fast_api(c, true);
    // A refusal comes back at once (one request), for the drain to retry
    // within its own timeout, and says which budget refused.
    let web_a = get(&replay, &pods_k, "default", "web-a").unwrap();
    let sent = api.requests();
    let e = api
        .evict(
            "default",
            "web-a",
            web_a["metadata"]["uid"].as_str().unwrap(),
        )
        .await
        .expect("evict");
    assert!(
        matches!(&e, unloop_act::api::Evicted::Blocked(m) if m.contains("disruption budget web needs 3")),
        "{e:?}"
    );
    assert_eq!(api.requests() - sent, 1);
    let report = ops::node::drain(&api, "n1", &drain_options(), &drain_waits(), &mut nolog())
        .await
        .expect("drain");
    let Outcome::Failed(why) = &report.outcome else {
        panic!("a blocked drain must fail: {report:?}");
    };
    assert!(why.contains("Pod/default/web-a"), "{why}");
    assert!(why.contains("Pod/default/web-b"), "{why}");
    let lines = report.lines.join("\n");
    assert!(
        lines.contains("leave Pod/default/agent-n1: DaemonSet-managed"),
        "{lines}"
    );
    assert!(
        lines.contains("leave Pod/default/kube-proxy-n1: mirror pod"),
        "{lines}"
    );
    assert!(lines.contains("disruption budget"), "{lines}");
    for p in ["web-a", "web-b", "web-c", "agent-n1", "kube-proxy-n1"] {
        assert!(get(&replay, &pods_k, "default", p).is_some(), "{p} is gone");
    }
    let n1 = get(&replay, &key("", "nodes"), "", "n1").unwrap();
    assert_eq!(n1["spec"]["unschedulable"], json!(true), "cordoned first");
    let reqs = requests(&seen);
    let evicted: BTreeSet<&str> = reqs
        .iter()
        .filter(|r| r.path().ends_with("/eviction"))
        .map(|r| r.path().split('/').nth_back(1).unwrap())
        .collect();
    assert_eq!(evicted, BTreeSet::from(["web-a", "web-b"]));
    assert!(
        reqs.iter()
            .filter(|r| r.path().ends_with("/eviction"))
            .all(|r| r.status == 429),
        "{reqs:?}"
    );
    assert!(reqs.iter().all(|r| r.method != "DELETE"), "evictions only");

    // The budget relaxed: the drain goes through.
    let pdb_k = key("policy", "poddisruptionbudgets");
    let mut budget = get(&replay, &pdb_k, "default", "web").unwrap();
    budget["spec"]["minAvailable"] = json!(1);
    replay
        .store
        .update(&pdb_k, budget, &Preconditions::default())
        .unwrap();
    let report = ops::node::drain(&api, "n1", &drain_options(), &drain_waits(), &mut nolog())
        .await
        .expect("drain");
    assert!(
        matches!(&report.outcome, Outcome::Applied(s) if s.contains("evicted 2 pod(s), left 2")),
        "{report:?}"
    );
    for p in ["web-a", "web-b"] {
        assert!(get(&replay, &pods_k, "default", p).is_none(), "{p} left");
    }
    for p in ["web-c", "agent-n1", "kube-proxy-n1"] {
        assert!(get(&replay, &pods_k, "default", p).is_some(), "{p} evicted");
    }
    let on_n1: Vec<String> = replay.store.read(|v| {
        v.table(&pods_k)
            .filter(|(_, p)| p["spec"]["nodeName"] == "n1")
            .map(|((_, n), _)| n.clone())
            .collect()
    });
    assert_eq!(on_n1, ["agent-n1", "kube-proxy-n1"]);
}

#[tokio::test]
async fn cordon_refuses_the_last_schedulable_node() {
    let dir = tempfile::tempdir().unwrap();
    let mut not_ready = node("b");
    not_ready["status"]["conditions"] = json!([{"type": "Ready", "status": "False"}]);
    let mut cordoned = node("c");
    cordoned["spec"]["unschedulable"] = json!(true);
    let mut tainted = node("d");
    tainted["spec"]["taints"] = json!([{"key": "disk", "effect": "NoSchedule"}]);
    let replay = load_objects(dir.path(), vec![node("a"), not_ready, cordoned, tainted]);
    let nodes_k = key("", "nodes");
    let rv_a = rv(&get(&replay, &nodes_k, "", "a").unwrap());
    let (c, seen) = client(&replay, None, Hooks::default());
    let api = fast_api(c, true);

    let r = ops::node::cordon(&api, "a", true).await;
    assert!(
        matches!(&r, Err(ActError::Precondition(m)) if m.contains("last schedulable")),
        "{r:?}"
    );
    // A drain starts with the same cordon: refused as well.
    let r = ops::node::drain(&api, "a", &drain_options(), &drain_waits(), &mut nolog()).await;
    assert!(matches!(r, Err(ActError::Precondition(_))), "{r:?}");
    assert_eq!(rv(&get(&replay, &nodes_k, "", "a").unwrap()), rv_a);
    assert!(requests(&seen).iter().all(|r| !r.is_write()));

    // With c back in service, a can go.
    let r = ops::node::cordon(&api, "c", false).await.expect("uncordon");
    assert!(matches!(r.outcome, Outcome::Applied(_)), "{r:?}");
    let r = ops::node::cordon(&api, "a", true).await.expect("cordon");
    assert!(matches!(r.outcome, Outcome::Applied(_)), "{r:?}");
    let a = get(&replay, &nodes_k, "", "a").unwrap();
    assert_eq!(a["spec"]["unschedulable"], json!(true));
}

#[tokio::test]
async fn a_list_is_counted_from_one_item_and_the_remaining_count() {
    let dir = tempfile::tempdir().unwrap();
    let replay = load_objects(dir.path(), gc_objects(3, 7));
    let want = count(&replay, &revisions_key());
    assert!(want > 1);
    let (c, seen) = client(&replay, None, Hooks::default());
    let api = fast_api(c, false);
    let n = api
        .count("/apis/serving.knative.dev/v1/revisions")
        .await
        .unwrap();
    assert_eq!(n, want);
    let reqs = requests(&seen);
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(
        api.count("/apis/nope.example.com/v1/widgets")
            .await
            .unwrap(),
        0
    );
}

#[tokio::test]
async fn a_plan_finished_step_by_step_is_complete() {
    let dir = tempfile::tempdir().unwrap();
    let replay = load_objects(dir.path(), vec![node("a"), node("b"), node("c")]);
    let step = |n: usize, node: &str| {
        let mut s = PlanStep::new(
            Phase::Isolate,
            CauseId::NodeUnhealthy,
            format!("Cordon {node}"),
            "test",
            Action::Cordon { node: node.into() },
        );
        s.number = n;
        s
    };
    let steps = vec![step(1, "a"), step(2, "b")];
    let (c, _) = client(&replay, None, Hooks::default());
    let api = fast_api(c, true);
    let log_path = dir.path().join("audit.jsonl");
    let mut log = AuditLog::open(&log_path).unwrap();
    let only = |n| RunnerOptions {
        only_step: Some(n),
        ..RunnerOptions::default()
    };
    let (sum, out) = run(&api, Some(&mut log), only(2), &steps).await;
    assert_eq!(sum.applied, 1, "{out}");
    assert!(!sum.complete, "step 1 is still to do: {out}");
    let (sum, out) = run(&api, Some(&mut log), only(1), &steps).await;
    assert_eq!(sum.applied, 1, "{out}");
    assert!(sum.complete, "both steps are done now: {out}");
    let id = plan_id(CLUSTER, &steps);
    assert!(log.progress(&id).complete);
    assert!(log.unfinished(CLUSTER).is_none());
}

#[tokio::test]
async fn scaling_a_workload_an_autoscaler_owns_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let deployment = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "uid": "d-1", "generation": 1},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": [{"name": "web", "image": "web:1"}]}}},
    });
    let hpa = json!({
        "apiVersion": "autoscaling/v2", "kind": "HorizontalPodAutoscaler",
        "metadata": {"name": "web", "namespace": "default", "uid": "h-1"},
        "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "web"},
                 "minReplicas": 3, "maxReplicas": 10},
    });
    let other = json!({
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "api", "namespace": "default", "uid": "d-2", "generation": 1},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "api"}},
                 "template": {"metadata": {"labels": {"app": "api"}},
                              "spec": {"containers": [{"name": "api", "image": "api:1"}]}}},
    });
    let replay = load_objects(dir.path(), vec![deployment, hpa, other]);
    let (c, seen) = client(&replay, None, Hooks::default());
    let api = fast_api(c, true);
    let r = ops::workload::scale(&api, "Deployment", "default", "web", 1).await;
    assert!(
        matches!(&r, Err(ActError::Precondition(m)) if m.contains("HorizontalPodAutoscaler default/web")),
        "{r:?}"
    );
    assert!(requests(&seen).iter().all(|r| !r.is_write()));
    let d = get(&replay, &key("apps", "deployments"), "default", "web").unwrap();
    assert_eq!(d["spec"]["replicas"], json!(3));
    // A Deployment no autoscaler targets scales as asked.
    let r = ops::workload::scale(&api, "Deployment", "default", "api", 1)
        .await
        .expect("scale");
    assert!(matches!(r.outcome, Outcome::Applied(_)), "{r:?}");
}

// 6. End to end under --simulate.

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_incident_plan_applied_under_simulation_fixes_it_and_a_second_run_does_nothing() {
    let steps = incident_plan();
    let replay = load_incident();
    let revisions_before = count(&replay, &revisions_key());
    let _sim = Arc::new(Simulation::new(
        replay.clone(),
        SimOptions {
            tick: Duration::from_millis(100),
            start_delay: Duration::from_millis(100),
            bad_nodes: Vec::new(),
        },
    ))
    .spawn();
    let dir = tempfile::tempdir().unwrap();
    let audit = dir.path().join("audit.jsonl");
    let beats = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let heard = beats.clone();
    let waits = Waits {
        poll: Duration::from_millis(100),
        settle_timeout: Duration::from_secs(60),
        stable_for: Some(Duration::from_secs(1)),
        heartbeat: unloop_act::ops::Heartbeat::new(move |l| {
            heard.lock().unwrap().push(l.to_owned())
        }),
    };
    let opts = RunnerOptions {
        drain: DrainOptions {
            timeout: Duration::from_secs(60),
            force: false,
            delete_emptydir_data: false,
        },
        waits,
        direct: fast_direct(),
        ..RunnerOptions::default()
    };

    let (c, _) = client(&replay, None, Hooks::default());
    let api = fast_api(c, true);
    let mut log = AuditLog::open(&audit).unwrap();
    let (sum, out) = run(&api, Some(&mut log), opts.clone(), &steps).await;
    assert_eq!(sum.failed, 0, "{out}");
    assert_eq!(sum.applied + sum.unchanged, non_manual(&steps), "{out}");
    assert!(sum.complete, "{sum:?}");
    drop(log);
    // Long waits said how they were going.
    let beats = beats.lock().unwrap().clone();
    assert!(
        beats
            .iter()
            .any(|l| l.contains("stable for") && l.contains("(want 1s)")),
        "{beats:?}"
    );
    assert!(beats.iter().any(|l| l.contains("rolling out")), "{beats:?}");

    let d = get(&replay, &deployment_key(), NS, DEPLOY).unwrap();
    assert_eq!(d["spec"]["replicas"], 3, "{}", d["spec"]);
    assert_eq!(d["status"]["readyReplicas"], 3, "{}", d["status"]);
    let pods: Vec<serde_json::Value> = replay.store.read(|v| {
        v.table(&key("", "pods"))
            .filter(|((ns, _), p)| {
                ns == NS
                    && p["metadata"]["labels"]["app"] == DEPLOY
                    && p["metadata"]["deletionTimestamp"].is_null()
            })
            .map(|(_, p)| (**p).clone())
            .collect()
    });
    assert_eq!(pods.len(), 3, "{pods:?}");
    for p in &pods {
        assert_ne!(p["spec"]["nodeName"], BAD, "{}", p["metadata"]["name"]);
    }
    let node = get(&replay, &key("", "nodes"), "", BAD).unwrap();
    assert_eq!(node["spec"]["unschedulable"], json!(true));
    let revisions_after = count(&replay, &revisions_key());
    assert!(
        revisions_after < revisions_before,
        "{revisions_before} -> {revisions_after}"
    );

    // Again, with the same audit log: everything was done before.
    let (c, seen) = client(&replay, None, Hooks::default());
    let api = fast_api(c, true);
    let mut log = AuditLog::open(&audit).unwrap();
    let (sum, out) = run(&api, Some(&mut log), opts, &steps).await;
    assert_eq!(sum.done_before, non_manual(&steps), "{out}");
    assert_eq!((sum.applied, sum.failed), (0, 0), "{out}");
    let writes: Vec<String> = requests(&seen)
        .iter()
        .filter(|r| r.is_write())
        .map(|r| r.to_string())
        .collect();
    assert!(writes.is_empty(), "{writes:?}");
    assert_eq!(api.writes(), 0);
}
