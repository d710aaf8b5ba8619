//! `unloop diagnose`: why each troubled workload is failing, and the plan.
//!
//! With PATHs it reads files; with none (or only a `TYPE/NAME` target) it
//! reads the live cluster, read-only, into the same evidence model.
//!
//! Exit codes: 0 nothing wrong, 1 problems found, 2 usage or input errors
//! (nothing readable, a bad argument, or a cluster that cannot be reached).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use unloop_core::diagnose::{DiagnoseOptions, diagnose};
use unloop_core::evidence::Evidence;
use unloop_core::report;
use unloop_kube::{Collection, Target};

use crate::cli::{DiagnoseArgs, DiagnoseFormat, InputArgs, LiveArgs};

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let now = match &args.now {
        Some(s) => Some(s.parse::<jiff::Timestamp>().with_context(|| {
            format!("--now {s:?} is not an RFC 3339 time such as 2024-04-12T10:05:00Z")
        })?),
        None => None,
    };
    let (ev, collection) = gather(
        &args.args,
        args.previous,
        &args.live,
        args.output == DiagnoseFormat::Json,
    )?;
    if super::report_input_problems(&ev) {
        bail!("no input could be read");
    }
    let mut d = diagnose(&ev, &DiagnoseOptions { now });
    if let Some(c) = &collection {
        c.annotate(&mut d);
    }
    let text = match args.output {
        DiagnoseFormat::Text => report::text::render(&d, &crate::output::style(&args.term)),
        DiagnoseFormat::Json => report::json(&d) + "\n",
        DiagnoseFormat::Markdown => report::markdown::render(&d),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::from(if d.has_problems() { 1 } else { 0 }))
}

/// Reads the evidence `args` name: files, or (with none, or a `TYPE/NAME`
/// target) the live cluster; `quiet` silences progress.
pub fn gather(
    args: &[PathBuf],
    previous: bool,
    live: &LiveArgs,
    quiet: bool,
) -> anyhow::Result<(Evidence, Option<Collection>)> {
    let (paths, targets) = split_args(args);
    if paths.is_empty() {
        if targets.len() > 1 {
            bail!("one target at a time (got {})", targets.join(", "));
        }
        let target = targets.first().map(|t| Target::parse(t)).transpose()?;
        let mut c = super::live::collect(live, target, quiet)?;
        // Moved, not cloned: a second copy of a large cluster's evidence
        // would be the largest thing this command holds.
        return Ok((std::mem::take(&mut c.evidence), Some(c)));
    }
    if !targets.is_empty() {
        bail!(
            "{} looks like a live target but files were given too: diagnose files or the cluster, not both",
            targets.join(", ")
        );
    }
    let input = InputArgs { paths, previous };
    Ok((super::read(&input), None))
}

/// Splits positional arguments: a `TYPE/NAME` target that is not an existing
/// file is a live target; everything else is a path.
fn split_args(args: &[PathBuf]) -> (Vec<PathBuf>, Vec<String>) {
    let mut paths = Vec::new();
    let mut targets = Vec::new();
    for a in args {
        match a.to_str() {
            Some(s) if Target::looks_like(s) && !a.exists() => targets.push(s.to_owned()),
            _ => paths.push(a.clone()),
        }
    }
    (paths, targets)
}
