//! One module per subcommand.

pub mod act;
pub mod diagnose;
pub mod evidence;
pub mod fix;
pub mod gc;
pub mod live;
pub mod node;
pub mod replay;
pub mod scale;
pub mod snapshot;

use unloop_core::evidence::{ContainerRun, DiagnosticLevel, Evidence, ReadOptions};

use crate::cli::InputArgs;

/// Reads the inputs; input problems go to stderr.
pub fn read(input: &InputArgs) -> Evidence {
    let opts = ReadOptions {
        run: input.previous.then_some(ContainerRun::Previous),
        ..Default::default()
    };
    unloop_core::evidence::read_paths(&input.paths, &opts)
}

/// Prints input errors and warnings to stderr; returns whether nothing usable was read.
pub fn report_input_problems(ev: &Evidence) -> bool {
    for d in &ev.diagnostics {
        if d.level >= DiagnosticLevel::Warning {
            let tag = if d.level == DiagnosticLevel::Error {
                "error"
            } else {
                "warning"
            };
            eprintln!("unloop: {tag}: {}: {}", d.source, d.message);
        }
    }
    let nothing = ev.pods.is_empty()
        && ev.events.is_empty()
        && ev.logs.iter().all(|l| l.total_records == 0)
        && ev.nodes.is_empty()
        && ev.workloads.is_empty()
        && ev.revisions.is_empty()
        && ev.objects.is_empty()
        && ev.config_maps.is_empty();
    nothing
        && ev
            .diagnostics
            .iter()
            .any(|d| d.level == DiagnosticLevel::Error)
}
