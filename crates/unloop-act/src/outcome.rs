//! What one step did, for the terminal and for the audit log.

use serde::Serialize;
use serde_json::Value;

/// How a step ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", content = "summary", rename_all = "kebab-case")]
pub enum Outcome {
    /// The cluster was changed as the step says.
    Applied(String),
    /// Dry run: the server accepted the change and would make it.
    WouldApply(String),
    /// Already as wanted: nothing to change (this is what makes re-runs safe).
    Unchanged(String),
    /// Needs a person (reimage a node, fix an image): shown, not done.
    Manual,
    /// Not done; the message says why and what state things are in.
    Failed(String),
}

impl Outcome {
    /// The result as the audit log names it.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::Applied(_) => "applied",
            Outcome::WouldApply(_) => "dry-run",
            Outcome::Unchanged(_) => "unchanged",
            Outcome::Manual => "manual",
            Outcome::Failed(_) => "failed",
        }
    }

    /// Whether the step is finished for good: a re-run may skip it.
    pub fn finished(&self) -> bool {
        matches!(self, Outcome::Applied(_) | Outcome::Unchanged(_))
    }
}

/// A step's outcome with its details.
#[derive(Debug, Clone, PartialEq)]
pub struct StepReport {
    pub outcome: Outcome,
    /// The objects it touched (`Node/n1`, `ConfigMap/knative-serving/config-gc`).
    pub objects: Vec<String>,
    /// The part of the object the step changes, before and after.
    pub before: Option<Value>,
    pub after: Option<Value>,
    /// What was (or would be) sent and what came back, for people: API
    /// calls, diffs, pods evicted or skipped, waits.
    pub lines: Vec<String>,
}

impl StepReport {
    /// A report with `outcome` and nothing else yet.
    pub fn new(outcome: Outcome) -> StepReport {
        StepReport {
            outcome,
            objects: Vec::new(),
            before: None,
            after: None,
            lines: Vec::new(),
        }
    }

    /// Adds a detail line.
    pub fn line(&mut self, l: impl Into<String>) {
        self.lines.push(l.into());
    }

    /// Sets the outcome.
    pub fn with(mut self, outcome: Outcome) -> StepReport {
        self.outcome = outcome;
        self
    }
}
