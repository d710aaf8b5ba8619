//! `unloop node drain|cordon|uncordon NODE`.

use std::process::ExitCode;

use unloop_act::RunnerOptions;
use unloop_core::diagnose::CauseId;
use unloop_core::remedy::plan::{Action, Phase, PlanStep};

use super::act;
use crate::cli::{NodeArgs, NodeCommand};

pub fn run(cmd: &NodeCommand) -> anyhow::Result<ExitCode> {
    let mut opts = RunnerOptions::default();
    let (args, action, title): (&NodeArgs, Action, String) = match cmd {
        NodeCommand::Drain(d) => {
            opts.drain.timeout = d.timeout;
            opts.drain.force = d.force;
            opts.drain.delete_emptydir_data = d.delete_emptydir_data;
            let n = &d.node.node;
            (
                &d.node,
                Action::Drain { node: n.clone() },
                format!("Drain {n}"),
            )
        }
        NodeCommand::Cordon(a) => (
            a,
            Action::Cordon {
                node: a.node.clone(),
            },
            format!("Cordon {}", a.node),
        ),
        NodeCommand::Uncordon(a) => (
            a,
            Action::Uncordon {
                node: a.node.clone(),
            },
            format!("Uncordon {}", a.node),
        ),
    };
    opts.waits.poll = args.apply.poll;
    opts.waits.heartbeat = act::heartbeat();
    let mut step = PlanStep::new(
        Phase::Isolate,
        CauseId::NodeUnhealthy,
        title.clone(),
        "asked for on the command line",
        action,
    );
    step.number = 1;
    let key = format!("{}: {}", title.to_lowercase(), args.cluster.identity());
    let mut audit = act::open_audit(&args.apply)?;
    opts.fresh = act::again_if_finished(audit.as_ref(), &key);
    let rt = act::runtime()?;
    let sum = rt.block_on(async {
        let (api, _) = act::api(&args.cluster, &args.apply).await?;
        act::run_steps(
            &api,
            audit.as_mut(),
            &args.apply,
            &key,
            &title,
            &[step],
            opts,
        )
        .await
    })?;
    Ok(act::exit_code(&sum))
}
