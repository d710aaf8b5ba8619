//! Liveness budget: a container that never answers its liveness probe is killed
//! `initialDelaySeconds + failureThreshold × periodSeconds` after it starts. When
//! run after run ends at about that age, the kubelet is killing it, not the
//! program crashing; runs far shorter than the budget are crashes.

use std::time::Duration;

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::facts::{self, secs};
use crate::diagnose::finding::{Citation, Signals};
use crate::evidence::ProbeKind;

/// See the module docs.
pub struct LivenessBudget;

const NAME: &str = "liveness-budget";

/// How a run's length compares with the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Fit {
    /// Well before the probe could have killed it.
    Shorter,
    /// At about the budget.
    AtBudget,
    /// Well after.
    Longer,
}

fn fit(lived: Duration, budget: Duration, period: Duration) -> Fit {
    // The kill lands within a period of the budget; a clean shutdown adds a few
    // seconds before the container is reported finished.
    let low = budget.saturating_sub(period + Duration::from_secs(2));
    let high = budget + period + Duration::from_secs(15);
    if lived < low {
        Fit::Shorter
    } else if lived <= high {
        Fit::AtBudget
    } else {
        Fit::Longer
    }
}

impl Rule for LivenessBudget {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let Some((container, probe)) = cx.probe(ProbeKind::Liveness) else {
            if !cx.subject.pods.is_empty() {
                out.missing(
                    None,
                    "the liveness probe settings (to compare the kill time with the probe budget)",
                    format!("kubectl describe pod{} {}", cx.ns_flag(), cx.example_pod()),
                );
            }
            return;
        };
        let budget = probe.failure_budget();
        let period = Duration::from_secs(u64::from(probe.period_seconds));
        let budget_text = format!(
            "liveness budget {} = delay {} s + {} × {} s (timeout {} s)",
            secs(budget),
            probe.initial_delay_seconds,
            probe.failure_threshold,
            probe.period_seconds,
            probe.timeout_seconds
        );
        out.fact("liveness.budget_s", budget.as_secs());
        let runs: Vec<_> = facts::runs(cx)
            .into_iter()
            .filter(|r| r.container.is_empty() || r.container == container)
            .collect();
        if runs.is_empty() {
            if !cx.subject.pods.is_empty() {
                out.missing(
                    None,
                    "how long each run lived (Last State started/finished) to compare with the liveness budget",
                    format!("kubectl describe pod{} {}", cx.ns_flag(), cx.example_pod()),
                );
            }
            return;
        }
        let mut lived: Vec<Duration> = runs.iter().map(|r| r.lived()).collect();
        lived.sort();
        let median = lived[lived.len() / 2];
        out.fact("runs.median_s", median.as_secs());
        let kills = facts::probe_kills(cx);
        let at_budget: Vec<_> = runs
            .iter()
            .filter(|r| fit(r.lived(), budget, period) == Fit::AtBudget)
            .collect();
        let shorter: Vec<_> = runs
            .iter()
            // A log's span only bounds the run from below: it cannot show a short run.
            .filter(|r| !r.from_log && fit(r.lived(), budget, period) == Fit::Shorter)
            .collect();
        let longer: Vec<_> = runs
            .iter()
            .filter(|r| fit(r.lived(), budget, period) == Fit::Longer)
            .collect();

        if !at_budget.is_empty() && at_budget.len() * 2 > runs.len() {
            // Both probe hypotheses predict a kill at the budget; the failure mode tells them apart.
            let weight = if kills.is_empty() { 0.2 } else { 0.35 };
            for r in &at_budget {
                let c = Citation::new(
                    format!(
                        "{} [{}] lived {} (started {}, finished {}); {budget_text}",
                        r.pod,
                        r.container,
                        secs(r.lived()),
                        r.started,
                        r.finished
                    ),
                    r.source.clone(),
                );
                out.support(NAME, CauseId::ProbeTimeoutUnderLoad, weight, c.clone())
                    .grouped("run-at-budget");
                out.support(NAME, CauseId::StartupExceedsProbeBudget, weight, c)
                    .grouped("run-at-budget");
            }
            let step = format!(
                "killed at ~{} each run, matching the {budget_text}{}",
                secs(median),
                if at_budget.len() > 1 {
                    format!(" ({} of {} runs)", at_budget.len(), runs.len())
                } else {
                    String::new()
                }
            );
            out.chain(CauseId::ProbeTimeoutUnderLoad, 3, step.clone());
            out.chain(CauseId::StartupExceedsProbeBudget, 3, step);
            if kills.is_empty() {
                out.missing(
                    None,
                    "kubelet events would confirm the kills (`Killing … failed liveness probe`)",
                    format!(
                        "kubectl get events{} --field-selector involvedObject.name={}",
                        cx.ns_flag(),
                        cx.example_pod()
                    ),
                );
            }
        }
        if !shorter.is_empty() && shorter.len() * 2 > runs.len() {
            for r in &shorter {
                let c = Citation::new(
                    format!(
                        "{} [{}] exited after {} (exit code {}), well inside the {budget_text}: the probe did not kill it",
                        r.pod,
                        r.container,
                        secs(r.lived()),
                        r.exit_code.map_or("?".into(), |c| c.to_string())
                    ),
                    r.source.clone(),
                );
                out.against(NAME, CauseId::ProbeTimeoutUnderLoad, 0.5, c.clone());
                out.against(NAME, CauseId::StartupExceedsProbeBudget, 0.5, c);
            }
        }
        if !longer.is_empty() && longer.len() * 2 > runs.len() {
            // It started fine and was killed later: not a start-up problem.
            let r = longer[0];
            out.against(
                NAME,
                CauseId::StartupExceedsProbeBudget,
                0.4,
                Citation::new(
                    format!(
                        "{} ran {} before it ended, longer than the {budget_text}",
                        r.pod,
                        secs(r.lived())
                    ),
                    r.source.clone(),
                ),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{DiagnoseOptions, diagnose};
    use crate::evidence::*;

    fn with_last_run(lived_s: i64, exit: i32) -> Evidence {
        let mut b = EvidenceBuilder::new();
        let mut pod = crashing_pod();
        let start: jiff::Timestamp = "2024-04-12T09:30:00Z".parse().unwrap();
        pod.containers[0].last_state = Some(ContainerState::Terminated {
            reason: Some("Error".into()),
            message: None,
            exit_code: Some(exit),
            signal: None,
            started: Some(TimeRef::At(start)),
            finished: Some(TimeRef::At(
                start + jiff::SignedDuration::from_secs(lived_s),
            )),
        });
        b.add_pod(pod);
        b.add_event(kubelet_event(
            "ctl-5d9c7f6b8-x2kqp",
            "Killing",
            "Container controller failed liveness probe, will be restarted",
            4,
        ));
        b.add_event(kubelet_event(
            "ctl-5d9c7f6b8-x2kqp",
            "Unhealthy",
            "Liveness probe failed: Get \"http://10.0.0.7:8080/health\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)",
            24,
        ));
        b.finish()
    }

    #[test]
    fn fit_windows() {
        let b = Duration::from_secs(30);
        let p = Duration::from_secs(5);
        assert_eq!(fit(Duration::from_secs(3), b, p), Fit::Shorter);
        assert_eq!(fit(Duration::from_secs(31), b, p), Fit::AtBudget);
        assert_eq!(fit(Duration::from_secs(26), b, p), Fit::AtBudget);
        assert_eq!(fit(Duration::from_secs(600), b, p), Fit::Longer);
    }

    #[test]
    fn a_run_that_ends_at_the_budget_supports_the_probe_causes() {
        let d = diagnose(&with_last_run(32, 2), &DiagnoseOptions::default());
        let f = &d.workloads[0].findings;
        let probe = f
            .iter()
            .find(|f| f.cause == CauseId::ProbeTimeoutUnderLoad)
            .expect("probe finding");
        assert!(probe.rules.contains(&NAME));
        assert!(
            probe
                .chain
                .iter()
                .any(|c| c.contains("killed at ~32 s") && c.contains("6 × 5 s")),
            "{:?}",
            probe.chain
        );
    }

    #[test]
    fn a_run_far_shorter_than_the_budget_speaks_against_the_probe() {
        let d = diagnose(&with_last_run(2, 1), &DiagnoseOptions::default());
        let f = &d.workloads[0].findings;
        let budget_support = f
            .iter()
            .flat_map(|f| f.evidence.iter())
            .any(|c| c.text.contains("liveness budget"));
        assert!(!budget_support, "{f:#?}");
        let against = f
            .iter()
            .flat_map(|f| f.against.iter())
            .any(|c| c.text.contains("exited after 2 s"));
        assert!(against, "{f:#?}");
    }
}
