//! `unloop scale-staged KIND/NAME --steps 1,3 --stable-for 5m`: each step
//! scaled, then held until the workload is ready with no restarts (and its
//! Lease held and renewed) for the window.

use std::process::ExitCode;

use anyhow::bail;
use unloop_act::RunnerOptions;
use unloop_act::ops::workload::resource_of;
use unloop_core::diagnose::CauseId;
use unloop_core::remedy::plan::{Action, Phase, PlanStep};

use super::act;
use crate::cli::ScaleStagedArgs;

/// `deployment/x`, `deploy/x`, `statefulset/x`, `sts/x` → (kind, name).
fn parse_target(t: &str) -> anyhow::Result<(&'static str, String)> {
    let Some((ty, name)) = t.split_once('/') else {
        bail!("{t:?}: give KIND/NAME, e.g. deployment/net-istio-controller");
    };
    let kind = match ty.to_ascii_lowercase().as_str() {
        "deployment" | "deployments" | "deploy" => "Deployment",
        "statefulset" | "statefulsets" | "sts" => "StatefulSet",
        other => bail!("{other:?}: scale-staged scales deployments and statefulsets"),
    };
    if name.is_empty() {
        bail!("{t:?}: the name is missing");
    }
    Ok((kind, name.to_owned()))
}

pub fn run(args: &ScaleStagedArgs) -> anyhow::Result<ExitCode> {
    let (kind, name) = parse_target(&args.target)?;
    debug_assert!(resource_of(kind).is_some());
    if args.steps.is_empty() {
        bail!("--steps needs at least one replica count");
    }
    let rt = act::runtime()?;
    rt.block_on(async {
        let (api, id) = act::api(&args.cluster, &args.apply).await?;
        let ns = args
            .namespace
            .clone()
            .unwrap_or_else(|| api.default_namespace().to_owned());
        let mut steps = Vec::new();
        for &n in &args.steps {
            steps.push(PlanStep::new(
                Phase::Recover,
                CauseId::Unknown,
                format!("Scale {name} to {n}"),
                "asked for on the command line",
                Action::Scale {
                    kind: kind.into(),
                    namespace: ns.clone(),
                    name: name.clone(),
                    replicas: n,
                },
            ));
            steps.push(PlanStep::new(
                Phase::Recover,
                CauseId::Unknown,
                format!("Wait until {name} is stable at {n}"),
                "each stage must hold before the next",
                Action::WaitStable {
                    kind: kind.into(),
                    namespace: ns.clone(),
                    name: name.clone(),
                    seconds: args.stable_for.as_secs(),
                },
            ));
        }
        for (i, s) in steps.iter_mut().enumerate() {
            s.number = i + 1;
        }
        let mut opts = RunnerOptions::default();
        opts.waits.poll = args.apply.poll;
        opts.waits.heartbeat = act::heartbeat();
        opts.waits.stable_for = Some(args.stable_for);
        opts.waits.settle_timeout = args.settle_timeout;
        let title = format!("{kind} {ns}/{name} in stages {:?}", args.steps);
        let key = format!("scale-staged {kind} {ns}/{name}: {id}");
        let mut audit = act::open_audit(&args.apply)?;
        opts.fresh = act::again_if_finished(audit.as_ref(), &key);
        let original = unloop_act::ops::workload::replicas(&api, kind, &ns, &name).await?;
        let sum = act::run_steps(
            &api,
            audit.as_mut(),
            &args.apply,
            &key,
            &title,
            &steps,
            opts.clone(),
        )
        .await?;
        if args.rollback && sum.failed > 0 && args.apply.apply {
            eprintln!("unloop: a stage did not become stable; scaling {name} back to {original}");
            let mut back = PlanStep::new(
                Phase::Recover,
                CauseId::Unknown,
                format!("Scale {name} back to {original}"),
                "--rollback after a stage that did not hold",
                Action::Scale {
                    kind: kind.into(),
                    namespace: ns.clone(),
                    name: name.clone(),
                    replicas: original,
                },
            );
            back.number = 1;
            let key = format!("{key} rollback");
            let opts = RunnerOptions {
                fresh: act::again_if_finished(audit.as_ref(), &key),
                ..opts
            };
            act::run_steps(
                &api,
                audit.as_mut(),
                &args.apply,
                &key,
                &back.title.clone(),
                &[back],
                opts,
            )
            .await?;
        }
        Ok(act::exit_code(&sum))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_like_kubectl() {
        assert_eq!(
            parse_target("deploy/net-istio-controller").unwrap(),
            ("Deployment", "net-istio-controller".to_owned())
        );
        assert_eq!(parse_target("sts/db").unwrap().0, "StatefulSet");
        assert!(parse_target("daemonset/x").is_err());
        assert!(parse_target("net-istio-controller").is_err());
        assert!(parse_target("deployment/").is_err());
    }
}
