//! The rules: one small unit per idea. Each reads the evidence about one
//! subject (a [`Context`]) and emits signals for or against causes, chain
//! steps, missing evidence and relations. Rules run in the order of [`RULES`];
//! later rules may read facts earlier ones recorded.

pub mod accumulation;
pub mod cpu_limit;
pub mod exit_code;
pub mod leader_election;
pub mod literal;
pub mod liveness_budget;
pub mod node;
pub mod probe_failure;
pub mod startup_progress;

use super::context::Context;
use super::finding::Signals;

/// A diagnosis rule.
pub trait Rule: Sync {
    /// A short stable name (appears in `findings[].rules`).
    fn name(&self) -> &'static str;
    /// Reads the context and adds signals.
    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals);
}

/// Every rule, in evaluation order.
pub static RULES: &[&dyn Rule] = &[
    // Literal messages and exit codes first: later rules read what they found.
    &literal::Literal,
    &exit_code::ExitCode,
    // Probes and start-up.
    &probe_failure::ProbeFailureModes,
    &liveness_budget::LivenessBudget,
    &startup_progress::StartupProgress,
    &leader_election::LeaderElection,
    // Correlations that read the probe facts above.
    &cpu_limit::CpuLimit,
    &accumulation::ObjectAccumulation,
    &node::NodeCorrelation,
];
