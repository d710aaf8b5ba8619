//! `unloop gc plan|apply`: Knative Revision GC with Knative's own
//! semantics, as a dry run with what-ifs, or carried out on the cluster.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use unloop_act::RunnerOptions;
use unloop_act::ops::gc::{self as live_gc, DirectOptions};
use unloop_core::diagnose::CauseId;
use unloop_core::evidence::{Evidence, ReadOptions, read_paths};
use unloop_core::remedy::gc::{
    self, GcConfig, find_config_map, parse_override, recommend, reference_time,
};
use unloop_core::remedy::plan::{Action, Phase, PlanStep};

use super::act;
use crate::cli::{GcApplyArgs, GcFormat, GcPlanArgs, InputArgs};

fn overrides(set: &[String]) -> anyhow::Result<Vec<(String, String)>> {
    set.iter()
        .map(|s| parse_override(s))
        .collect::<Result<Vec<_>, _>>()
        .context("--set")
}

fn parse_now(now: &Option<String>) -> anyhow::Result<Option<jiff::Timestamp>> {
    now.as_deref()
        .map(|s| {
            s.parse::<jiff::Timestamp>().with_context(|| {
                format!("--now {s:?} is not an RFC 3339 time such as 2024-04-12T10:05:00Z")
            })
        })
        .transpose()
}

pub fn plan(args: &GcPlanArgs) -> anyhow::Result<ExitCode> {
    let overrides = overrides(&args.set)?;
    let now = parse_now(&args.now)?;
    let (ev, now) = if args.paths.is_empty() {
        let rt = act::runtime()?;
        rt.block_on(async {
            let client = unloop_kube::connect(&args.cluster.connect_options()).await?;
            let api = unloop_act::Api::new(client, false);
            let live = live_gc::read(&api, &args.knative_namespace).await?;
            let now = match now {
                Some(t) => t,
                None => unloop_act::ops::cluster_now(&api, &args.knative_namespace).await,
            };
            anyhow::Ok((live.evidence, now))
        })?
    } else {
        let ev = super::read(&InputArgs {
            paths: args.paths.clone(),
            previous: false,
        });
        if super::report_input_problems(&ev) {
            bail!("no input could be read");
        }
        let now = now
            .or(ev.taken_at)
            .or_else(|| reference_time(&ev.revisions))
            .unwrap_or_else(jiff::Timestamp::now);
        (ev, now)
    };
    if ev.revisions.is_empty() {
        bail!(
            "no Knative Revisions in the input: give `kubectl get revisions.serving.knative.dev -A -o json` output (and config-gc)"
        );
    }
    let config_ev;
    let cm = match &args.config_gc {
        Some(path) => {
            config_ev = read_paths(std::slice::from_ref(path), &ReadOptions::default());
            Some(
                find_config_map(&config_ev)
                    .with_context(|| format!("{}: no config-gc ConfigMap", path.display()))?,
            )
        }
        None => find_config_map(&ev),
    };
    if cm.is_none() {
        eprintln!("unloop: note: no config-gc ConfigMap in the input; using Knative's defaults");
    }
    let data = cm.map(|c| c.data.clone()).unwrap_or_default();
    let config = GcConfig::from_data_with_overrides(&data, &overrides).context("config-gc")?;
    let plan = gc::plan(&ev.revisions, &ev.objects, &config, now);
    let mut stdout = std::io::stdout().lock();
    match args.output {
        GcFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &plan)?;
            writeln!(stdout)?;
        }
        GcFormat::Text => {
            let text = unloop_core::report::gc::render(&plan, &crate::output::style(&args.term));
            stdout.write_all(text.as_bytes())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The settings to apply: `--set`, else unloop's recommendation for `ev`.
fn settings(
    ev: &Evidence,
    set: &[(String, String)],
    now: jiff::Timestamp,
) -> anyhow::Result<Vec<(String, String)>> {
    if !set.is_empty() {
        return Ok(set.to_vec());
    }
    let data = find_config_map(ev)
        .map(|c| c.data.clone())
        .unwrap_or_default();
    let current = GcConfig::from_data(&data).context("the cluster's config-gc")?;
    Ok(recommend(&ev.revisions, &ev.objects, &current, now).settings)
}

pub fn apply(args: &GcApplyArgs) -> anyhow::Result<ExitCode> {
    let set = overrides(&args.set)?;
    let mut audit = act::open_audit(&args.apply)?;
    let rt = act::runtime()?;
    rt.block_on(async {
        let (api, id) = act::api(&args.cluster, &args.apply).await?;
        // The pacer must not cap --rate: deletes plus the odd read, with room.
        let qps = (args.rate * 1.2).max(10.0);
        let api = api.with_pace(qps, (qps * 2.0).ceil() as u32);
        let ns = &args.knative_namespace;
        let key = format!(
            "gc apply{}: {id}",
            if args.direct { " --direct" } else { "" }
        );
        let mut opts = RunnerOptions {
            direct: DirectOptions {
                batch: args.batch.max(1),
                rate: args.rate,
            },
            ..RunnerOptions::default()
        };
        opts.waits.poll = args.apply.poll;
        opts.waits.heartbeat = act::heartbeat();
        opts.fresh = act::again_if_finished(audit.as_ref(), &key);
        if let Some(u) = act::resumable(audit.as_ref(), &key, &args.apply) {
            let sum = act::run_steps(
                &api,
                audit.as_mut(),
                &args.apply,
                &key,
                &u.title,
                &u.steps,
                opts,
            )
            .await?;
            return Ok(act::exit_code(&sum));
        }
        let live = live_gc::read(&api, ns).await?;
        if live.evidence.revisions.is_empty() {
            println!("No Knative Revisions in the cluster: nothing to collect.");
            return Ok(ExitCode::SUCCESS);
        }
        let now = unloop_act::ops::cluster_now(&api, ns).await;
        let settings = settings(&live.evidence, &set, now)?;
        let mut step = if args.direct {
            let data = live
                .config_map()
                .map(|c| c.data.clone())
                .unwrap_or_default();
            let config = GcConfig::from_data_with_overrides(&data, &settings)
                .context("config-gc with --set")?;
            let plan = live.plan(&config, now);
            let mut notes = Vec::new();
            let revisions = live_gc::deletions(&live, &plan, &mut notes);
            for n in &notes {
                eprintln!("unloop: {n}");
            }
            if revisions.is_empty() {
                println!("Knative's GC rules select no Revision to delete with these settings.");
                return Ok(ExitCode::SUCCESS);
            }
            PlanStep::new(
                Phase::Relieve,
                CauseId::ObjectAccumulation,
                format!(
                    "Delete {} old Revision(s) directly, as Knative's GC would",
                    gc::thousands(revisions.len() as u64)
                ),
                "Knative's own GC cannot run (--direct)",
                Action::DeleteRevisions { revisions },
            )
        } else {
            PlanStep::new(
                Phase::Relieve,
                CauseId::ObjectAccumulation,
                format!(
                    "Set {} in config-gc",
                    settings
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                "Knative's GC collects old Revisions with these settings",
                Action::PatchConfigMap {
                    namespace: ns.clone(),
                    name: "config-gc".into(),
                    data: settings.clone(),
                },
            )
            .command(gc::patch_command(ns, &settings))
        };
        step.number = 1;
        let title = "Knative Revision GC".to_owned();
        let sum = act::run_steps(
            &api,
            audit.as_mut(),
            &args.apply,
            &key,
            &title,
            &[step],
            opts,
        )
        .await?;
        Ok(act::exit_code(&sum))
    })
}
