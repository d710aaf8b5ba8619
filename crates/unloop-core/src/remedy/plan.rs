//! The remediation plan: ordered steps, each with why, the exact command or
//! patch, and how to verify it worked.
//!
//! Each cause has a planner ([`super::steps`]); the plan orders their steps by
//! phase (relieve load first, remove a bad node, recover the workload, then
//! prevent a recurrence) and drops duplicates.

use serde::{Deserialize, Serialize};

use crate::diagnose::finding::{Finding, Signals};
use crate::diagnose::{CauseId, Context};

/// When in the remediation a step runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Look before acting: commands that confirm the diagnosis.
    Confirm,
    /// Remove what overloads the workload (old objects, bad config).
    Relieve,
    /// Take a bad node out.
    Isolate,
    /// Bring the workload back, carefully.
    Recover,
    /// Settings that stop a recurrence.
    Prevent,
}

/// A change to an object, for users to apply or for `unloop fix` to carry out.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Merge-patch a ConfigMap's data.
    PatchConfigMap {
        namespace: String,
        name: String,
        data: Vec<(String, String)>,
    },
    /// Mark a node unschedulable.
    Cordon { node: String },
    /// Evict every pod from a node (after cordoning it).
    Drain { node: String },
    /// Make a node schedulable again (after it was repaired or replaced).
    Uncordon { node: String },
    /// Set a workload's replicas.
    Scale {
        kind: String,
        namespace: String,
        name: String,
        replicas: u32,
    },
    /// Replace every pod of a workload with a fresh one, as `kubectl rollout
    /// restart` does (a new `kubectl.kubernetes.io/restartedAt` template
    /// annotation).
    RolloutRestart {
        kind: String,
        namespace: String,
        name: String,
    },
    /// Wait until every pod of a workload is ready, with no restarts, for a while.
    WaitStable {
        kind: String,
        namespace: String,
        name: String,
        seconds: u64,
    },
    /// Strategic-merge-patch a workload.
    PatchWorkload {
        kind: String,
        namespace: String,
        name: String,
        patch: String,
    },
    /// Delete these Knative Revisions directly (when Knative's own GC cannot
    /// run), each only while it is still the object with that UID.
    DeleteRevisions { revisions: Vec<ObjectId> },
    /// Something unloop cannot do itself (reimage a node, fix an image).
    Manual,
}

/// One object, exactly: a later object of the same name is another one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ObjectId {
    pub namespace: String,
    pub name: String,
    pub uid: String,
}

impl Action {
    /// [`Action::PatchWorkload`] of the workload `kind` `namespace/name`.
    pub fn patch_workload(kind: &str, namespace: &str, name: &str, patch: String) -> Action {
        Action::PatchWorkload {
            kind: kind.to_owned(),
            namespace: namespace.to_owned(),
            name: name.to_owned(),
            patch,
        }
    }
}

/// One step of the plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanStep {
    /// 1-based, in plan order.
    pub number: usize,
    pub phase: Phase,
    /// The cause this step addresses.
    pub cause: CauseId,
    pub title: String,
    pub why: String,
    /// Exact commands a user can run.
    pub commands: Vec<String>,
    /// A YAML patch, when the change is a patch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    /// How to verify it worked.
    pub verify: Vec<String>,
    pub action: Action,
}

impl PlanStep {
    /// A step with no commands yet.
    pub fn new(
        phase: Phase,
        cause: CauseId,
        title: impl Into<String>,
        why: impl Into<String>,
        action: Action,
    ) -> Self {
        PlanStep {
            number: 0,
            phase,
            cause,
            title: title.into(),
            why: why.into(),
            commands: Vec::new(),
            patch: None,
            verify: Vec::new(),
            action,
        }
    }

    /// Adds a command.
    pub fn command(mut self, c: impl Into<String>) -> Self {
        self.commands.push(c.into());
        self
    }

    /// Sets the patch.
    pub fn patch(mut self, p: impl Into<String>) -> Self {
        self.patch = Some(p.into());
        self
    }

    /// Adds a verification.
    pub fn verify(mut self, v: impl Into<String>) -> Self {
        self.verify.push(v.into());
        self
    }
}

/// Plans the remediation for the findings of one subject.
pub fn plan(cx: &Context<'_>, findings: &[Finding], signals: &Signals) -> Vec<PlanStep> {
    let mut steps: Vec<PlanStep> = Vec::new();
    // Act on causes strong enough to name, and on what contributes to them;
    // symptoms and weak side hypotheses get no steps of their own.
    let acted_on = |f: &&Finding| {
        f.score >= crate::diagnose::rank::VERDICT_THRESHOLD
            || matches!(
                f.relation,
                Some(crate::diagnose::Relation::ContributesTo(_))
            )
    };
    for f in findings.iter().filter(acted_on) {
        for s in super::steps::for_cause(cx, f, signals) {
            if !steps.iter().any(|o| o.title == s.title) {
                steps.push(s);
            }
        }
    }
    // Stable: within a phase, the order of the findings (best first) holds.
    steps.sort_by_key(|s| s.phase);
    for (i, s) in steps.iter_mut().enumerate() {
        s.number = i + 1;
    }
    steps
}
