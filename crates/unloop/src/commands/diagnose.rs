//! `unloop diagnose`: why each troubled workload is failing, and the plan.
//!
//! Exit codes: 0 nothing wrong, 1 problems found, 2 usage or input errors
//! (nothing readable, or a bad argument).

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use unloop_core::diagnose::{DiagnoseOptions, diagnose};
use unloop_core::report;

use crate::cli::{DiagnoseArgs, DiagnoseFormat};

pub fn run(args: &DiagnoseArgs) -> anyhow::Result<ExitCode> {
    let now = match &args.now {
        Some(s) => Some(s.parse::<jiff::Timestamp>().with_context(|| {
            format!("--now {s:?} is not an RFC 3339 time such as 2024-04-12T10:05:00Z")
        })?),
        None => None,
    };
    let ev = super::read(&args.input);
    if super::report_input_problems(&ev) {
        bail!("no input could be read");
    }
    let d = diagnose(&ev, &DiagnoseOptions { now });
    let text = match args.output {
        DiagnoseFormat::Text => report::text::render(&d, &crate::output::style(&args.term)),
        DiagnoseFormat::Json => report::json(&d) + "\n",
        DiagnoseFormat::Markdown => report::markdown::render(&d),
    };
    std::io::stdout().lock().write_all(text.as_bytes())?;
    Ok(ExitCode::from(if d.has_problems() { 1 } else { 0 }))
}
