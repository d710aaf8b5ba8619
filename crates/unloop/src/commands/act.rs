//! What the commands that change a cluster share: the client, the audit
//! log, confirmation, resuming, and running a plan's steps.

use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use unloop_act::audit::Unfinished;
use unloop_act::runner::RunSummary;
use unloop_act::{Api, AuditLog, Confirm, ConfirmFn, Runner, RunnerOptions};
use unloop_core::remedy::plan::PlanStep;
use unloop_kube::ConnectOptions;

use crate::cli::{ApplyArgs, ClusterArgs};

/// A runtime for one command.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?)
}

impl ClusterArgs {
    /// The flags as connect options.
    pub fn connect_options(&self) -> ConnectOptions {
        ConnectOptions {
            kubeconfig: self.kubeconfig.clone(),
            context: self.context.clone(),
        }
    }

    /// The cluster's identity for audit keys and messages.
    pub fn identity(&self) -> String {
        unloop_act::cluster::identity(self.kubeconfig.as_deref(), self.context.as_deref())
    }
}

/// An API on the cluster `c` names, applying or dry-running as `a` says,
/// and the cluster's identity for the audit log.
pub async fn api(c: &ClusterArgs, a: &ApplyArgs) -> anyhow::Result<(Api, String)> {
    let client = unloop_kube::connect(&c.connect_options()).await?;
    let id = c.identity();
    let api = Api::new(client, a.apply);
    // One look first: an unreachable cluster should cost one message, not a
    // failed step each after its retries.
    if let Err(e) = api.get("/version").await {
        bail!(
            "cannot reach the cluster {id}: {e}\n(a dry run needs the API server too: it is the server's dry run; `unloop diagnose` shows the plan alone)"
        );
    }
    Ok((api, id))
}

/// `--audit-log`, else `$XDG_STATE_HOME/unloop/audit.jsonl`, else
/// `~/.local/state/unloop/audit.jsonl`.
pub fn audit_path(a: &ApplyArgs) -> PathBuf {
    if let Some(p) = &a.audit_log {
        return p.clone();
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")));
    match state {
        Some(s) => s.join("unloop/audit.jsonl"),
        None => PathBuf::from("unloop-audit.jsonl"),
    }
}

/// The audit log when applying (none for a dry run, which changes nothing).
pub fn open_audit(a: &ApplyArgs) -> anyhow::Result<Option<AuditLog>> {
    if !a.apply {
        return Ok(None);
    }
    Ok(Some(AuditLog::open(&audit_path(a))?))
}

/// The unfinished run of `key` to resume, unless `--fresh`.
pub fn resumable(log: Option<&AuditLog>, key: &str, a: &ApplyArgs) -> Option<Unfinished> {
    if a.fresh {
        return None;
    }
    let u = log?.unfinished(key)?;
    eprintln!(
        "unloop: resuming the run started {} ({} of {} step(s) finished); --fresh starts over",
        u.started,
        u.progress.finished.len(),
        u.steps.len()
    );
    Some(u)
}

/// Whether a run of `key` starts over: a command that names one change
/// (`node`, `scale-staged`, `gc apply`) resumes an interrupted run of it, but
/// a finished one is done again, since the cluster may have moved back since
/// (`node uncordon` after `node drain`). `fix` keeps a finished plan
/// finished: its restarts are not to be repeated by a second run.
pub fn again_if_finished(log: Option<&AuditLog>, key: &str) -> bool {
    log.is_some_and(|l| l.unfinished(key).is_none())
}

/// How each step is confirmed: `--yes`, or a prompt on the terminal.
pub fn confirmation(a: &ApplyArgs) -> anyhow::Result<ConfirmFn<'static>> {
    if !a.apply || a.yes {
        return Ok(Box::new(|_| Confirm::Yes));
    }
    if !std::io::stdin().is_terminal() {
        bail!(
            "--apply asks before each step and stdin is not a terminal: add --yes to apply without asking"
        );
    }
    Ok(Box::new(|step: &PlanStep| {
        loop {
            eprint!(
                "Apply step {} ({})? [y]es / [n]o, skip it / [q]uit: ",
                step.number, step.title
            );
            let _ = std::io::stderr().flush();
            let mut line = String::new();
            if std::io::stdin().lock().read_line(&mut line).unwrap_or(0) == 0 {
                return Confirm::Quit;
            }
            match line.trim().to_ascii_lowercase().as_str() {
                "y" | "yes" => return Confirm::Yes,
                "n" | "no" => return Confirm::No,
                "q" | "quit" => return Confirm::Quit,
                _ => {}
            }
        }
    }))
}

/// Runs `steps` with a runner on `api`, printing to stdout; the summary
/// line goes to stderr.
pub async fn run_steps(
    api: &Api,
    audit: Option<&mut AuditLog>,
    a: &ApplyArgs,
    key: &str,
    title: &str,
    steps: &[PlanStep],
    opts: RunnerOptions,
) -> anyhow::Result<RunSummary> {
    let confirm = confirmation(a)?;
    let opts = RunnerOptions {
        fresh: a.fresh || opts.fresh,
        ..opts
    };
    let audit_path = audit.as_ref().map(|l| l.path().to_owned());
    let mut out = std::io::stdout();
    let mut runner = Runner::new(api, audit, confirm, &mut out, opts)?;
    let sum = runner
        .run(key, title, steps)
        .await
        .context("applying the plan")?;
    let mut line = format!(
        "unloop: {} applied, {} unchanged, {} done before, {} manual, {} failed",
        sum.applied, sum.unchanged, sum.done_before, sum.manual, sum.failed
    );
    if !api.applies() {
        line = format!(
            "unloop: dry run: {} step(s) would change the cluster, {} already done, {} manual, {} failed; --apply to make the changes",
            sum.would_apply, sum.unchanged, sum.manual, sum.failed
        );
    }
    if let Some(p) = audit_path {
        line.push_str(&format!("; audit log {}", p.display()));
    }
    eprintln!("{line}");
    Ok(sum)
}

/// Progress of long waits on stderr when it is a terminal (a pipe or a CI
/// log gets the steps' outcomes only).
pub fn heartbeat() -> unloop_act::ops::Heartbeat {
    if std::io::stderr().is_terminal() {
        unloop_act::ops::Heartbeat::new(|line| eprintln!("  ... {line}"))
    } else {
        unloop_act::ops::Heartbeat::default()
    }
}

/// 0 when nothing failed, 1 when a step failed or the run stopped early.
pub fn exit_code(sum: &RunSummary) -> ExitCode {
    ExitCode::from(if sum.failed > 0 || sum.stopped { 1 } else { 0 })
}
