//! `unloop gc plan`: Knative Revision GC as a dry run, with what-ifs.

use std::io::Write;
use std::process::ExitCode;

use anyhow::{Context, bail};
use unloop_core::evidence::{ReadOptions, read_paths};
use unloop_core::remedy::gc::{self, GcConfig, find_config_map, parse_override, reference_time};

use crate::cli::{GcFormat, GcPlanArgs};

pub fn plan(args: &GcPlanArgs) -> anyhow::Result<ExitCode> {
    let ev = super::read(&args.input);
    if super::report_input_problems(&ev) {
        bail!("no input could be read");
    }
    if ev.revisions.is_empty() {
        bail!(
            "no Knative Revisions in the input: give `kubectl get revisions.serving.knative.dev -A -o json` output (and config-gc)"
        );
    }
    let overrides = args
        .set
        .iter()
        .map(|s| parse_override(s))
        .collect::<Result<Vec<_>, _>>()
        .context("--set")?;
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
    let now = match &args.now {
        Some(s) => s.parse::<jiff::Timestamp>().with_context(|| {
            format!("--now {s:?} is not an RFC 3339 time such as 2024-04-12T10:05:00Z")
        })?,
        None => ev
            .taken_at
            .or_else(|| reference_time(&ev.revisions))
            .unwrap_or_else(jiff::Timestamp::now),
    };
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
