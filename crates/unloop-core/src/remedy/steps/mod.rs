//! Per-cause planners: each turns a finding into plan steps.

mod knative_gc;
mod literal;
mod node;
mod probe;

use super::plan::PlanStep;
use crate::diagnose::finding::{Finding, Signals};
use crate::diagnose::{CauseId, Context};

/// The steps that address one finding.
pub fn for_cause(cx: &Context<'_>, f: &Finding, signals: &Signals) -> Vec<PlanStep> {
    match f.cause {
        CauseId::ProbeTimeoutUnderLoad | CauseId::StartupExceedsProbeBudget => {
            probe::steps(cx, f, signals)
        }
        CauseId::RbacForbidden
        | CauseId::MissingCrd
        | CauseId::BadConfig
        | CauseId::MissingDependency
        | CauseId::TlsCertificateError
        | CauseId::DnsFailure
        | CauseId::ApplicationPanic
        | CauseId::PortInUse
        | CauseId::ExecFormatError
        | CauseId::FilesystemPermission
        | CauseId::ApiserverUnreachable
        | CauseId::ApiserverThrottled
        | CauseId::OomKilled => literal::steps(cx, f),
        CauseId::CpuStarved => probe::cpu_steps(cx, f),
        CauseId::ObjectAccumulation => knative_gc::steps(cx, f, signals),
        CauseId::NodeUnhealthy => node::steps(cx, f, signals),
        _ => Vec::new(),
    }
}
