//! `unloop evidence`: what was understood of the inputs.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use unloop_core::report::evidence::{Detail, render, to_json};

use crate::cli::{EvidenceArgs, EvidenceFormat};

pub fn run(args: &EvidenceArgs) -> anyhow::Result<ExitCode> {
    let ev = super::read(&args.input);
    let unreadable = super::report_input_problems(&ev);
    let mut stdout = std::io::stdout().lock();
    match args.output {
        EvidenceFormat::Json => {
            serde_json::to_writer_pretty(&mut stdout, &to_json(&ev)).context("writing JSON")?;
            writeln!(stdout)?;
        }
        EvidenceFormat::Text | EvidenceFormat::Summary => {
            let detail = if args.output == EvidenceFormat::Summary {
                Detail::Summary
            } else {
                Detail::Full
            };
            write!(
                stdout,
                "{}",
                render(&ev, detail, &crate::output::style(&args.term))
            )?;
        }
    }
    Ok(ExitCode::from(if unreadable { 2 } else { 0 }))
}
