//! `--simulate`: just enough of the controllers and the kubelet for a
//! snapshot to react to a remediation as the cluster would, so a fix can be
//! rehearsed end to end (scale, cordon, evict or delete, roll out, and watch
//! the pods come back Ready elsewhere).
//!
//! Every change goes through the [`Store`](crate::store::Store), with a
//! resourceVersion precondition on what it read (a UID precondition for
//! deletions), so watches, lists and tables see it like any other write, and
//! a client's write in between wins (the simulation tries again on the next
//! round).
//!
//! The pieces, one job each:
//! - [`nodes`]: which nodes are schedulable and which are bad.
//! - [`scheduler`]: places pods on feasible nodes, spreading a workload.
//! - [`replicaset`]: the Deployment and ReplicaSet controllers (replicas,
//!   rollouts of a changed template, scale-down order, status).
//! - [`kubelet`]: starts pods, keeps crash-looping ones crash-looping, with
//!   the kubelet's events ([`events`]).
//! - [`lease`]: a leader-elected controller's Lease renewed by a Ready pod.
//! - [`knative_gc`]: Knative Serving's Revision garbage collector.
//!
//! # Rules
//! - A node is **bad** when the snapshot shows it unhealthy (Ready not True,
//!   or any other condition True: node-problem-detector problems such as
//!   `FrequentContainerdRestart`, `KernelDeadlock`, `ReadonlyFilesystem`,
//!   pressure, `NetworkUnavailable`) or it is named with `--bad-node`.
//! - A node is **schedulable** when it is not cordoned (`spec.unschedulable`),
//!   is Ready, has no pressure or NetworkUnavailable condition, and has no
//!   NoSchedule/NoExecute taint the pod does not tolerate (and matches its
//!   `nodeSelector`). A bad node may still be schedulable, as it is for the
//!   real scheduler, which does not read node-problem-detector conditions:
//!   cordon it to keep new pods away.
//! - A pod that was crash-looping in the snapshot (a container waiting in
//!   `CrashLoopBackOff`) keeps crash-looping, wherever it runs, until it is
//!   replaced (deleted, evicted, or rolled out): the snapshot cannot tell why
//!   it crashed, only that it did. A pod that starts on a bad node
//!   crash-loops. Every other pod the simulation starts becomes Running and
//!   Ready after the start-up delay. Pods of the snapshot that were healthy
//!   stay as they were, bad node or not.
//! - Crash-looping pods restart once per tick: `restartCount` grows, the
//!   container waits in `CrashLoopBackOff` with a `lastState.terminated`
//!   that moves forward, and the kubelet's `Unhealthy`, `Killing` and
//!   `BackOff` events are written, aggregated (count, lastTimestamp) as the
//!   kubelet's recorder does.
//! - Deployments and ReplicaSets: a ReplicaSet keeps `spec.replicas` active
//!   pods (new ones named `<rs>-<5 chars>`), deleting the worst first
//!   (unscheduled, then not Ready, then on the most crowded node, then most
//!   restarted, then newest), and reports its status. A Deployment keeps its
//!   newest ReplicaSet at its replicas and older ones at zero (no surge: the
//!   old pods go as the new ones are created). A Deployment whose template
//!   changed while served gets a new ReplicaSet (revision + 1). Deployment
//!   status (replicas, updated, ready, available, the `Available` condition)
//!   follows the pods.
//! - Leases: a Lease whose holder is a Ready pod is renewed every tick. When
//!   the holder is gone (deleted pods release their lease) or its lease has
//!   expired, a Ready pod of the same workload takes it
//!   (`holderIdentity` `<pod>_<uuid>`, `leaseTransitions` + 1).
//! - Knative Revision GC: when `config-gc` changes (in `knative-serving`, or
//!   wherever the snapshot has it) or a Revision or Configuration is created
//!   or updated, every Configuration gets a GC pass, and the Revisions
//!   unloop-core's GC plan (serving 1.12's semantics, at the replay's clock)
//!   deletes are deleted with a UID precondition; their dependents go by
//!   background propagation. A config-gc Knative would reject changes
//!   nothing: the last valid settings stay in force. The snapshot is taken
//!   as GC left it: no pass runs until one of those changes.
//! - Not simulated: DaemonSets, StatefulSets, Jobs, Services/Endpoints,
//!   probes of healthy pods, readiness gates, `minReadySeconds`; of Knative,
//!   everything but Revision GC (the labeler does not move `routingState`,
//!   Routes and Configurations keep the status they had), and GC's 10h
//!   resync (a Revision that only ages into staleness waits for a trigger).

pub mod events;
pub mod knative_gc;
pub mod kubelet;
pub mod lease;
pub mod nodes;
pub mod replicaset;
pub mod scheduler;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;

use crate::app::Replay;
use crate::meta;
use crate::resources::StorageKey;
use crate::store::Preconditions;

/// How the simulation behaves.
#[derive(Debug, Clone)]
pub struct SimOptions {
    /// How often a crash-looping container restarts (and Leases are renewed).
    pub tick: Duration,
    /// How long a new pod takes to start.
    pub start_delay: Duration,
    /// Nodes treated as bad whatever the snapshot says.
    pub bad_nodes: Vec<String>,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            tick: Duration::from_secs(5),
            start_delay: Duration::from_secs(2),
            bad_nodes: Vec::new(),
        }
    }
}

/// What the simulation remembers between rounds (nothing of it is needed to
/// serve: it only times the kubelet).
#[derive(Default)]
struct State {
    /// UIDs of the pods that crash-loop.
    crashing: HashSet<String>,
    /// When a pod was first seen waiting to start on its node.
    waiting_since: HashMap<String, Instant>,
    /// When a crash-looping pod last restarted.
    last_restart: HashMap<String, Instant>,
    /// When Leases were last renewed.
    last_renew: Option<Instant>,
    /// Each Deployment's generation when serving started: a template that
    /// differs from its ReplicaSet's is rolled out only after a change.
    initial_generation: HashMap<String, i64>,
    /// Knative Revision GC: the settings in force and what it has seen.
    gc: knative_gc::GcState,
}

/// The simulation of one served snapshot.
pub struct Simulation {
    replay: Arc<Replay>,
    options: SimOptions,
    state: Mutex<State>,
}

pub(crate) fn pods() -> StorageKey {
    StorageKey::new("", "pods")
}

pub(crate) fn nodes_key() -> StorageKey {
    StorageKey::new("", "nodes")
}

pub(crate) fn replicasets() -> StorageKey {
    StorageKey::new("apps", "replicasets")
}

pub(crate) fn deployments() -> StorageKey {
    StorageKey::new("apps", "deployments")
}

/// The UID of an object's controlling owner.
pub(crate) fn controller_uid(obj: &Value) -> Option<&str> {
    meta::at(obj, &["metadata", "ownerReferences"])
        .and_then(Value::as_array)?
        .iter()
        .find(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        .and_then(|o| o.get("uid"))
        .and_then(Value::as_str)
}

/// Whether the object is being deleted.
pub(crate) fn deleting(obj: &Value) -> bool {
    meta::at(obj, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null())
}

/// The pod's phase (`Pending` when it has none yet).
pub(crate) fn phase(pod: &Value) -> &str {
    meta::str_at(pod, &["status", "phase"]).unwrap_or("Pending")
}

/// Whether a pod still counts for its ReplicaSet (not finished, not going).
pub(crate) fn active(pod: &Value) -> bool {
    !deleting(pod) && !matches!(phase(pod), "Succeeded" | "Failed")
}

/// Whether a condition of `obj`'s status is True.
pub(crate) fn condition_true(obj: &Value, ty: &str) -> bool {
    meta::at(obj, &["status", "conditions"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            c.get("type").and_then(Value::as_str) == Some(ty)
                && c.get("status").and_then(Value::as_str) == Some("True")
        })
}

/// The pod's node, if it has been scheduled.
pub(crate) fn node_name(pod: &Value) -> Option<&str> {
    meta::str_at(pod, &["spec", "nodeName"]).filter(|n| !n.is_empty())
}

/// Writes `new` over `old` unless someone changed it since it was read.
/// A refused write is not an error: the next round reads again.
pub(crate) fn put(r: &Replay, storage: &StorageKey, old: &Value, new: Value) -> bool {
    if old == &new {
        return false;
    }
    let pre = Preconditions {
        resource_version: meta::resource_version(old),
        uid: None,
    };
    r.store.update(storage, new, &pre).is_ok()
}

/// Whether a snapshot pod was crash-looping when captured.
fn was_crash_looping(pod: &Value) -> bool {
    meta::at(pod, &["status", "containerStatuses"])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .any(|c| meta::str_at(c, &["state", "waiting", "reason"]) == Some("CrashLoopBackOff"))
}

impl Simulation {
    /// A simulation of `replay`, remembering which snapshot pods crash-loop.
    pub fn new(replay: Arc<Replay>, options: SimOptions) -> Self {
        let mut state = State::default();
        replay.store.read(|v| {
            for (_, p) in v.table(&pods()) {
                if was_crash_looping(p) {
                    state.crashing.insert(meta::uid(p).to_owned());
                }
            }
            for (_, d) in v.table(&deployments()) {
                let g = meta::at(d, &["metadata", "generation"])
                    .and_then(Value::as_i64)
                    .unwrap_or(0);
                state.initial_generation.insert(meta::uid(d).to_owned(), g);
            }
        });
        state.gc = knative_gc::GcState::new(&replay);
        Simulation {
            replay,
            options,
            state: Mutex::new(state),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The served replay.
    pub fn replay(&self) -> &Arc<Replay> {
        &self.replay
    }

    /// The controllers' round: Deployments to ReplicaSets, ReplicaSets to
    /// pods, pending pods to nodes, the statuses that follow, and Knative's
    /// Revision GC when its config or Revisions changed. Idempotent: a round
    /// with nothing to do writes nothing.
    pub fn reconcile(&self) {
        let r = &self.replay;
        let nodes = nodes::read(r, &self.options.bad_nodes);
        {
            let st = self.state();
            replicaset::sync_deployments(r, &st.initial_generation);
        }
        replicaset::sync_replicasets(r, &nodes);
        scheduler::schedule_pending(r, &nodes);
        replicaset::update_statuses(r);
        knative_gc::run(r, &mut self.state().gc);
    }

    /// The kubelet's round: start pods, restart crash-looping ones, renew
    /// Leases. Then a controllers' round, for the statuses.
    pub fn tick(&self) {
        let r = &self.replay;
        let nodes = nodes::read(r, &self.options.bad_nodes);
        {
            let mut st = self.state();
            kubelet::run(r, &nodes, &self.options, &mut st);
            let renew = st
                .last_renew
                .is_none_or(|t| t.elapsed() >= self.options.tick);
            if renew {
                st.last_renew = Some(Instant::now());
                lease::renew(r);
            }
        }
        self.reconcile();
    }

    /// Runs the simulation until the store is dropped: a controllers' round
    /// after every burst of changes, a kubelet round on a timer.
    pub fn spawn(self: Arc<Self>) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut rx = self.replay.store.subscribe();
            // Fine enough for both the tick and the start-up delay.
            let poll = self
                .options
                .tick
                .min(self.options.start_delay)
                .max(Duration::from_millis(10))
                / 2;
            let mut timer = tokio::time::interval(poll);
            timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            self.reconcile();
            loop {
                tokio::select! {
                    c = rx.recv() => {
                        if matches!(c, Err(RecvError::Closed)) {
                            break;
                        }
                        // One round for a burst (a drain evicts many pods).
                        while rx.try_recv().is_ok() {}
                        self.reconcile();
                    }
                    _ = timer.tick() => self.tick(),
                }
            }
        })
    }
}
