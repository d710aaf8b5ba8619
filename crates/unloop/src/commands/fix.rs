//! `unloop fix`: the plan of a diagnosis, step by step, against the cluster.
//!
//! A dry run by default: every change is sent with `dryRun=All`, so what is
//! shown is the server's own answer. `--apply` makes the changes, asking
//! before each step on a terminal (`--yes` for automation), writing each to
//! the audit log; an interrupted run resumes from the log.
//!
//! Exit codes: 0 done (or nothing to do), 1 a step failed or the run
//! stopped early, 2 usage, input or cluster errors.

use std::process::ExitCode;

use unloop_act::RunnerOptions;
use unloop_act::ops::Waits;
use unloop_core::diagnose::{DiagnoseOptions, Diagnosis, diagnose};
use unloop_core::remedy::plan::{Action, PlanStep};

use super::act;
use crate::cli::FixArgs;

pub fn run(args: &FixArgs) -> anyhow::Result<ExitCode> {
    let cluster = &args.live.cluster;
    let key = format!("fix: {}", cluster.identity());
    let mut audit = act::open_audit(&args.apply)?;
    let (title, steps) = match act::resumable(audit.as_ref(), &key, &args.apply) {
        Some(u) => (u.title, u.steps),
        None => {
            let (ev, collection) =
                super::diagnose::gather(&args.args, args.previous, &args.live, false)?;
            if super::report_input_problems(&ev) {
                anyhow::bail!("no input could be read");
            }
            let mut d = diagnose(&ev, &DiagnoseOptions::default());
            if let Some(c) = &collection {
                c.annotate(&mut d);
            }
            merged_plan(&d)
        }
    };
    if steps.is_empty() {
        println!("Nothing to fix: no troubled workload with a plan was found.");
        return Ok(ExitCode::SUCCESS);
    }
    if args.patches {
        print!("{}", patches(&steps));
        return Ok(ExitCode::SUCCESS);
    }
    let waits = Waits {
        poll: args.apply.poll,
        stable_for: args.stable_for,
        settle_timeout: args.settle_timeout,
        heartbeat: act::heartbeat(),
    };
    let mut opts = RunnerOptions {
        only_step: args.step,
        ..RunnerOptions::default()
    };
    opts.drain.timeout = args.drain_timeout;
    opts.waits = waits;
    if let Some(n) = args.step
        && !steps.iter().any(|s| s.number == n)
    {
        anyhow::bail!("--step {n}: the plan has steps 1 to {}", steps.len());
    }
    let rt = act::runtime()?;
    let sum = rt.block_on(async {
        let (api, _) = act::api(cluster, &args.apply).await?;
        act::run_steps(
            &api,
            audit.as_mut(),
            &args.apply,
            &key,
            &title,
            &steps,
            opts,
        )
        .await
    })?;
    Ok(act::exit_code(&sum))
}

/// One plan for every troubled workload: steps in phase order, a change
/// two workloads share (the same node to drain) once.
fn merged_plan(d: &Diagnosis) -> (String, Vec<PlanStep>) {
    let mut subjects = Vec::new();
    let mut steps: Vec<PlanStep> = Vec::new();
    for w in d.workloads.iter().filter(|w| !w.plan.is_empty()) {
        subjects.push(w.subject.clone());
        for s in &w.plan {
            let dup = steps.iter().any(|o| {
                if s.action == Action::Manual {
                    o.action == Action::Manual && o.title == s.title
                } else {
                    o.action == s.action
                }
            });
            if !dup {
                steps.push(s.clone());
            }
        }
    }
    steps.sort_by_key(|s| s.phase);
    for (i, s) in steps.iter_mut().enumerate() {
        s.number = i + 1;
    }
    (subjects.join(", "), steps)
}

/// The plan's changes as patches, for people who change manifests instead.
fn patches(steps: &[PlanStep]) -> String {
    let mut out = String::new();
    for s in steps {
        let target = match &s.action {
            Action::PatchWorkload {
                kind,
                namespace,
                name,
                ..
            } => format!("{kind} {namespace}/{name} (strategic merge)"),
            Action::PatchConfigMap {
                namespace, name, ..
            } => {
                format!("ConfigMap {namespace}/{name} (merge)")
            }
            _ => continue,
        };
        let patch = match (&s.patch, &s.action) {
            (Some(p), _) => p.clone(),
            (None, Action::PatchConfigMap { data, .. }) => {
                unloop_core::remedy::gc::merge_patch_yaml(data)
            }
            _ => continue,
        };
        out.push_str(&format!("# Step {}: {}\n# {target}\n", s.number, s.title));
        for c in &s.commands {
            out.push_str(&format!("# {c}\n"));
        }
        out.push_str("---\n");
        out.push_str(&patch);
        if !patch.ends_with('\n') {
            out.push('\n');
        }
        out.push('\n');
    }
    if out.is_empty() {
        out.push_str(
            "# The plan has no patches (its changes are operations: cordon, drain, scale).\n",
        );
    }
    out
}
