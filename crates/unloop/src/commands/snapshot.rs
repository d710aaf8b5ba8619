//! `unloop snapshot`: read the live cluster as `diagnose` does and write what
//! was read as an evidence folder that `unloop diagnose DIR` (and `unloop
//! replay DIR`) read back. The layout is documented in
//! `unloop_kube::snapshot`.
//!
//! Exit codes: 0 written, 2 usage errors or nothing could be read or written.

use std::process::ExitCode;

use anyhow::{Context, bail};
use unloop_kube::{SnapshotRecorder, Target};

use crate::cli::SnapshotArgs;

pub fn run(args: &SnapshotArgs) -> anyhow::Result<ExitCode> {
    let target = args.target.as_deref().map(Target::parse).transpose()?;
    // Files of an older snapshot left beside the new ones would be read as
    // evidence of this one.
    if std::fs::read_dir(&args.out).is_ok_and(|mut d| d.next().is_some()) {
        bail!(
            "{} is not empty: give a new or empty folder",
            args.out.display()
        );
    }
    let rec = SnapshotRecorder::new();
    let c = super::live::collect_recording(&args.live, target, false, Some(&rec))?;
    let stats = rec
        .write(&args.out)
        .with_context(|| format!("writing the snapshot to {}", args.out.display()))?;
    for g in &c.gaps {
        match &g.grant {
            Some(r) => eprintln!(
                "unloop: warning: not collected: {}: {}; needs {r}",
                g.what, g.why
            ),
            None => eprintln!("unloop: warning: not collected: {}: {}", g.what, g.why),
        }
    }
    eprintln!(
        "unloop: wrote {} ({} files, {} objects, {} logs, {} bytes; {} troubled pods)",
        args.out.display(),
        stats.files,
        stats.objects,
        stats.logs,
        stats.bytes,
        c.troubled
    );
    Ok(ExitCode::SUCCESS)
}
