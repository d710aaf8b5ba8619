//! A plan's steps in order: each shown as it would run (the API calls and
//! diffs of a server-side dry run), or, when applying, confirmed, run,
//! verified and written to the audit log. A run stops at the first failed
//! step, since later steps assume earlier ones worked; running the same plan
//! again skips what the log shows finished.

use std::collections::BTreeSet;
use std::io::Write;
use std::time::Duration;

use unloop_core::remedy::gc::GcConfig;
use unloop_core::remedy::plan::{Action, PlanStep};

use crate::api::Api;
use crate::audit::{AuditLog, Entry, Progress, plan_id};
use crate::error::ActError;
use crate::ops::gc::DirectOptions;
use crate::ops::node::DrainOptions;
use crate::ops::{self, NoLog, ObjectLog, Waits};
use crate::outcome::{Outcome, StepReport};

/// A person's answer to "apply this step?".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Confirm {
    Yes,
    /// Skip this step, go on with the next.
    No,
    /// Stop here.
    Quit,
}

/// Asks whether to apply a step.
pub type ConfirmFn<'a> = Box<dyn FnMut(&PlanStep) -> Confirm + 'a>;

/// How the runner runs.
#[derive(Debug, Clone)]
pub struct RunnerOptions {
    pub waits: Waits,
    pub drain: DrainOptions,
    pub direct: DirectOptions,
    /// Run only this step (1-based), as `--step N`.
    pub only_step: Option<usize>,
    /// Run every step again, whatever the audit log says was finished.
    pub fresh: bool,
}

impl Default for RunnerOptions {
    fn default() -> Self {
        let waits = Waits::default();
        RunnerOptions {
            drain: DrainOptions {
                // kubectl drain waits forever by default; 5 minutes, then a report.
                timeout: Duration::from_secs(300),
                force: false,
                delete_emptydir_data: false,
            },
            waits,
            direct: DirectOptions::default(),
            only_step: None,
            fresh: false,
        }
    }
}

/// What a run came to.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunSummary {
    pub applied: usize,
    pub would_apply: usize,
    pub unchanged: usize,
    /// Finished in an earlier run (audit log).
    pub done_before: usize,
    pub manual: usize,
    /// Declined at the confirmation prompt.
    pub declined: usize,
    pub failed: usize,
    /// The run stopped before the end (a failure or a `q`).
    pub stopped: bool,
    /// Every step is finished (in this run or before).
    pub complete: bool,
}

/// Per-object progress written to the audit log.
struct AuditObjects<'a> {
    log: &'a mut AuditLog,
    plan: &'a str,
    step: usize,
}

impl ObjectLog for AuditObjects<'_> {
    fn record(&mut self, object: &str, uid: Option<&str>, result: &str) -> Result<(), ActError> {
        self.log.append(
            self.plan,
            Entry::Object {
                step: self.step,
                object: object.to_owned(),
                uid: uid.map(str::to_owned),
                result: result.to_owned(),
            },
        )
    }
}

/// Runs plans against one cluster.
pub struct Runner<'a> {
    api: &'a Api,
    audit: Option<&'a mut AuditLog>,
    confirm: ConfirmFn<'a>,
    out: &'a mut dyn Write,
    opts: RunnerOptions,
}

impl<'a> Runner<'a> {
    /// A runner writing what it does to `out`. Applying (an [`Api`] built to
    /// apply) needs an audit log: no change is made unrecorded.
    pub fn new(
        api: &'a Api,
        audit: Option<&'a mut AuditLog>,
        confirm: ConfirmFn<'a>,
        out: &'a mut dyn Write,
        opts: RunnerOptions,
    ) -> Result<Runner<'a>, ActError> {
        if api.applies() && audit.is_none() {
            return Err(ActError::Invalid(
                "applying needs an audit log (--audit-log)".into(),
            ));
        }
        Ok(Runner {
            api,
            audit,
            confirm,
            out,
            opts,
        })
    }

    fn say(&mut self, s: impl AsRef<str>) {
        // The terminal going away must not stop a half-applied plan.
        let _ = writeln!(self.out, "{}", s.as_ref());
    }

    /// Runs `steps` (the plan for `title`) against `cluster`.
    pub async fn run(
        &mut self,
        cluster: &str,
        title: &str,
        steps: &[PlanStep],
    ) -> Result<RunSummary, ActError> {
        let id = plan_id(cluster, steps);
        let applying = self.api.applies();
        let progress = match self.audit.as_deref_mut() {
            Some(log) if applying => {
                let p = if self.opts.fresh {
                    Progress::default()
                } else {
                    log.progress(&id)
                };
                let started = log
                    .records()
                    .iter()
                    .any(|r| r.plan == id && matches!(r.entry, Entry::Plan { .. }));
                if !started {
                    log.append(
                        &id,
                        Entry::Plan {
                            cluster: cluster.to_owned(),
                            title: title.to_owned(),
                            steps: steps.to_vec(),
                        },
                    )?;
                }
                p
            }
            _ => Progress::default(),
        };
        let mode = if applying {
            "applying"
        } else {
            "dry run: nothing is changed"
        };
        self.say(format!("Plan for {title}: {} step(s), {mode}", steps.len()));
        let mut sum = RunSummary::default();
        let total = steps.len();
        for step in steps {
            if self.opts.only_step.is_some_and(|n| n != step.number) {
                continue;
            }
            self.say("");
            self.say(format!(
                "Step {}/{total} [{}] {}",
                step.number,
                serde_json::to_value(step.phase)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_owned))
                    .unwrap_or_default(),
                step.title
            ));
            if progress.finished.contains(&step.number) {
                sum.done_before += 1;
                self.say("  done in an earlier run (audit log): skipped");
                continue;
            }
            if applying && step.action != Action::Manual {
                match (self.confirm)(step) {
                    Confirm::Yes => {}
                    Confirm::No => {
                        sum.declined += 1;
                        self.say("  declined: not applied");
                        continue;
                    }
                    Confirm::Quit => {
                        sum.stopped = true;
                        self.say("  stopped at your request; run again to continue");
                        break;
                    }
                }
            }
            let done_objects: BTreeSet<String> = progress
                .objects_done
                .iter()
                .filter(|(s, _)| *s == step.number)
                .map(|(_, o)| o.clone())
                .collect();
            let report = match self.execute(&id, step, &done_objects).await {
                Ok(r) => r,
                Err(e @ ActError::Audit { .. }) => return Err(e),
                Err(e) => StepReport::new(Outcome::Failed(e.to_string())),
            };
            for l in &report.lines {
                self.say(format!("  {l}"));
            }
            let (mark, text) = match &report.outcome {
                Outcome::Applied(s) => {
                    sum.applied += 1;
                    ("applied", s.clone())
                }
                Outcome::WouldApply(s) => {
                    sum.would_apply += 1;
                    ("would apply", s.clone())
                }
                Outcome::Unchanged(s) => {
                    sum.unchanged += 1;
                    ("unchanged", s.clone())
                }
                Outcome::Manual => {
                    sum.manual += 1;
                    (
                        "manual",
                        "unloop cannot do this; run or arrange:".to_owned(),
                    )
                }
                Outcome::Failed(s) => {
                    sum.failed += 1;
                    ("FAILED", s.clone())
                }
            };
            self.say(format!("  -> {mark}: {text}"));
            if report.outcome == Outcome::Manual {
                for c in &step.commands {
                    self.say(format!("     {c}"));
                }
            }
            if applying && let Some(log) = self.audit.as_deref_mut() {
                log.append(
                    &id,
                    Entry::Step {
                        step: step.number,
                        title: step.title.clone(),
                        objects: report.objects.clone(),
                        before: report.before.clone(),
                        after: report.after.clone(),
                        result: report.outcome.label().to_owned(),
                        summary: text,
                    },
                )?;
            }
            if applying && matches!(report.outcome, Outcome::Failed(_)) {
                sum.stopped = true;
                self.say(format!(
                    "Stopped at step {}: later steps assume it worked. Fix what it says and run again; finished steps are skipped.",
                    step.number
                ));
                break;
            }
        }
        // Complete when the log shows every step finished, in this run or
        // before (a `--step N` run may be the one that finishes a plan).
        sum.complete = match self.audit.as_deref() {
            Some(log) if applying => {
                let done = log.progress(&id).finished;
                steps
                    .iter()
                    .all(|s| s.action == Action::Manual || done.contains(&s.number))
            }
            _ => false,
        };
        if sum.complete
            && let Some(log) = self.audit.as_deref_mut()
            && !log.progress(&id).complete
        {
            log.append(&id, Entry::Complete)?;
        }
        Ok(sum)
    }

    async fn execute(
        &mut self,
        plan: &str,
        step: &PlanStep,
        done: &BTreeSet<String>,
    ) -> Result<StepReport, ActError> {
        let api = self.api;
        let o = self.opts.clone();
        let mut nolog = NoLog;
        let log: &mut dyn ObjectLog = match self.audit.as_deref_mut() {
            Some(l) if api.applies() => &mut AuditObjects {
                log: l,
                plan,
                step: step.number,
            },
            _ => &mut nolog,
        };
        match &step.action {
            Action::PatchConfigMap {
                namespace,
                name,
                data,
            } if name == "config-gc" => config_gc(api, namespace, data, &o).await,
            Action::PatchConfigMap {
                namespace,
                name,
                data,
            } => ops::config_map::set_data(api, namespace, name, data).await,
            Action::Cordon { node } => ops::node::cordon(api, node, true).await,
            Action::Uncordon { node } => ops::node::cordon(api, node, false).await,
            Action::Drain { node } => ops::node::drain(api, node, &o.drain, &o.waits, log).await,
            Action::Scale {
                kind,
                namespace,
                name,
                replicas,
            } => ops::workload::scale(api, kind, namespace, name, *replicas).await,
            Action::RolloutRestart {
                kind,
                namespace,
                name,
            } => ops::workload::restart(api, kind, namespace, name, &o.waits).await,
            Action::WaitStable {
                kind,
                namespace,
                name,
                seconds,
            } => {
                let window = o
                    .waits
                    .stable_for
                    .unwrap_or(std::time::Duration::from_secs(*seconds));
                ops::workload::wait_stable(api, kind, namespace, name, window, &o.waits).await
            }
            Action::PatchWorkload {
                kind,
                namespace,
                name,
                patch,
            } => ops::workload::patch(api, kind, namespace, name, patch, &o.waits).await,
            Action::DeleteRevisions { revisions } => {
                ops::gc::delete_direct(api, revisions, done, &o.direct, log).await
            }
            Action::Manual => Ok(StepReport::new(Outcome::Manual)),
        }
    }
}

/// The config-gc step: what Knative's GC will do with the new settings,
/// the patch, then how far Knative's GC got.
async fn config_gc(
    api: &Api,
    namespace: &str,
    settings: &[(String, String)],
    o: &RunnerOptions,
) -> Result<StepReport, ActError> {
    let live = ops::gc::read(api, namespace).await?;
    let data = live
        .config_map()
        .map(|c| c.data.clone())
        .unwrap_or_default();
    let config = GcConfig::from_data_with_overrides(&data, settings)
        .map_err(|e| ActError::Invalid(format!("config-gc with these settings: {e}")))?;
    let plan = live.plan(&config, ops::cluster_now(api, namespace).await);
    let before = live.evidence.revisions.len();
    let expected = before.saturating_sub(plan.totals.delete as usize);
    let mut notes = Vec::new();
    for c in live.rolling_out() {
        notes.push(format!(
            "note: Configuration {}/{} is rolling out ({} not Ready yet); Knative's GC keeps its latest ready and pending Revisions",
            c.meta.namespace.as_deref().unwrap_or(""),
            c.meta.name,
            c.status
                .get("latestCreatedRevisionName")
                .map_or("?", String::as_str)
        ));
    }
    let mut report = ops::config_map::set_data(api, namespace, "config-gc", settings).await?;
    let mut lines = vec![format!(
        "Knative's GC will then delete {} of {} Revisions ({} Configurations), keep {}",
        plan.totals.delete, before, plan.totals.configurations, plan.totals.keep
    )];
    lines.extend(notes);
    lines.append(&mut report.lines);
    report.lines = lines;
    if matches!(report.outcome, Outcome::Applied(_)) {
        let seen = ops::gc::watch_collection(api, before, expected, &o.waits).await?;
        report.line(seen);
    }
    Ok(report)
}
