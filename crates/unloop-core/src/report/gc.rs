//! The terminal report of a Knative Revision GC dry run (`unloop gc plan`).

use std::collections::BTreeMap;
use std::fmt::Write;

use super::style::{Style, Tone};
use crate::remedy::gc::{GcAction, GcPlan, thousands};

/// Configurations listed in the table before "and N more".
const MAX_ROWS: usize = 40;

/// Renders a GC plan: settings, traps, per-Configuration table, totals and why
/// the kept Revisions are kept.
pub fn render(plan: &GcPlan, st: &Style) -> String {
    let mut o = String::new();
    let settings = plan
        .config
        .to_data()
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(", ");
    let _ = writeln!(
        o,
        "{}",
        st.paint(
            Tone::Bold,
            &format!(
                "Knative Revision GC, dry run at {}",
                plan.now.strftime("%Y-%m-%d %H:%M:%S UTC")
            )
        )
    );
    let _ = writeln!(
        o,
        "{}",
        st.wrap(&format!("settings: {settings}"), "  ", "    ")
    );
    for t in &plan.traps {
        let _ = writeln!(
            o,
            "{}",
            st.wrap(
                &format!("{} {}", st.paint(Tone::Yellow, "trap:"), t.message),
                "  ",
                "    "
            )
        );
    }
    o.push('\n');
    let mut rows: Vec<_> = plan
        .configurations
        .iter()
        .filter(|c| c.revisions > 0)
        .collect();
    rows.sort_by(|a, b| {
        b.deleted()
            .cmp(&a.deleted())
            .then(b.revisions.cmp(&a.revisions))
    });
    let _ = writeln!(
        o,
        "{}",
        st.paint(
            Tone::Bold,
            &format!(
                "{:<44} {:>5} {:>5} {:>5} {:>6}",
                "CONFIGURATION", "REVS", "PROT", "KEEP", "DELETE"
            )
        )
    );
    for c in rows.iter().take(MAX_ROWS) {
        let name = format!("{}/{}", c.namespace, c.name);
        let name = if name.chars().count() > 44 {
            let tail: String = name
                .chars()
                .rev()
                .take(43)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            format!("…{tail}")
        } else {
            name
        };
        let _ = writeln!(
            o,
            "{name:<44} {:>5} {:>5} {:>5} {:>6}",
            c.revisions,
            c.protected,
            c.keep,
            c.deleted()
        );
    }
    if rows.len() > MAX_ROWS {
        let _ = writeln!(
            o,
            "... and {} more Configurations (see -o json)",
            rows.len() - MAX_ROWS
        );
    }
    let t = &plan.totals;
    o.push('\n');
    let _ = writeln!(
        o,
        "{}",
        st.wrap(
            &format!(
                "Total: {} Revisions in {} Configurations; {} protected; delete {} ({} stale, {} over max), keep {}.",
                thousands(t.revisions),
                thousands(t.configurations),
                thousands(t.protected),
                thousands(t.delete),
                thousands(t.delete_stale),
                thousands(t.delete_over_max),
                thousands(t.keep)
            ),
            "",
            "  "
        )
    );
    let d = &t.dependents_deleted;
    if t.delete > 0 {
        let _ = writeln!(
            o,
            "{}",
            st.wrap(
                &format!(
                    "With them go {} ServerlessServices, {} Services, {} Endpoints, {} Deployments, {} ReplicaSets and {} PodAutoscalers.",
                    thousands(d.serverless_services),
                    thousands(d.services),
                    thousands(d.endpoints),
                    thousands(d.deployments),
                    thousands(d.replica_sets),
                    thousands(d.pod_autoscalers)
                ),
                "",
                "  "
            )
        );
    }
    let mut kept: BTreeMap<String, u64> = BTreeMap::new();
    for r in plan.decisions().filter(|r| r.action == GcAction::Keep) {
        let reason = serde_json::to_value(r.reason)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        *kept.entry(reason).or_default() += 1;
    }
    if !kept.is_empty() {
        let mut kept: Vec<_> = kept.into_iter().collect();
        kept.sort_by_key(|k| std::cmp::Reverse(k.1));
        let text = kept
            .iter()
            .map(|(r, n)| format!("{r} {}", thousands(*n)))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            o,
            "{}",
            st.wrap(&format!("Kept because: {text}."), "", "  ")
        );
    }
    o
}
