//! What was understood of the inputs: each input with its detected kind, the
//! objects found, problems, and the timeline (`unloop evidence`).

use std::fmt::Write;

use serde::Serialize;

use super::style::{Style, Tone};
use crate::evidence::timeline::{Moment, timeline};
use crate::evidence::{DiagnosticLevel, Evidence, InputKind, InputSummary};

/// How much of the evidence to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Inputs and counts only.
    Summary,
    /// Inputs, counts, problems, workloads and the timeline.
    Full,
}

/// Timeline lines printed in the terminal report.
const MAX_TIMELINE: usize = 200;

/// The evidence with its timeline, as `-o json` prints it.
#[derive(Serialize)]
pub struct EvidenceJson<'a> {
    pub schema_version: u32,
    #[serde(flatten)]
    pub evidence: &'a Evidence,
    pub timeline: Vec<Moment>,
}

/// The JSON document of the evidence.
pub fn to_json(ev: &Evidence) -> EvidenceJson<'_> {
    EvidenceJson {
        schema_version: 1,
        evidence: ev,
        timeline: timeline(ev),
    }
}

fn kind_name(k: InputKind) -> String {
    serde_json::to_value(k)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{k:?}"))
}

fn input(out: &mut String, s: &InputSummary, depth: usize, st: &Style) {
    let pad = "  ".repeat(depth + 1);
    let mut line = format!(
        "{pad}{}  {}",
        s.source,
        st.paint(Tone::Cyan, &kind_name(s.kind))
    );
    let mut what: Vec<String> = s.objects.iter().map(|(k, n)| format!("{n} {k}")).collect();
    if s.log_records > 0 {
        what.push(format!("{} log records", s.log_records));
    }
    if !what.is_empty() && s.parts.is_empty() {
        let _ = write!(line, ": {}", what.join(", "));
    }
    let _ = writeln!(out, "{line}");
    for p in &s.parts {
        input(out, p, depth + 1, st);
    }
}

/// Renders the evidence for the terminal.
pub fn render(ev: &Evidence, detail: Detail, st: &Style) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Inputs"));
    for s in &ev.inputs {
        input(&mut out, s, 0, st);
    }
    out.push('\n');
    let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Found"));
    let mut found = vec![
        (ev.pods.len(), "pods"),
        (ev.nodes.len(), "nodes"),
        (ev.workloads.len(), "workloads"),
        (ev.events.len(), "events"),
        (ev.leases.len(), "leases"),
        (ev.config_maps.len(), "config maps"),
        (ev.revisions.len(), "Knative revisions"),
        (ev.objects.len(), "other objects"),
        (ev.logs.len(), "container logs"),
    ];
    found.retain(|(n, _)| *n > 0);
    if found.is_empty() {
        let _ = writeln!(out, "  nothing");
    } else {
        let text = found
            .iter()
            .map(|(n, w)| format!("{n} {w}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(out, "{}", st.wrap(&text, "  ", "  "));
    }
    if let Some(t) = ev.taken_at {
        let _ = writeln!(
            out,
            "  evidence as of {}",
            t.strftime("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    let mut counts: Vec<(String, u64)> = Vec::new();
    for (k, n) in &ev.counts {
        match counts.iter_mut().find(|(kind, _)| *kind == k.kind) {
            Some((_, total)) => *total += n,
            None => counts.push((k.kind.clone(), *n)),
        }
    }
    counts.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    if !counts.is_empty() {
        let text = counts
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ");
        let _ = writeln!(
            out,
            "{}",
            st.wrap(&format!("object counts: {text}"), "  ", "    ")
        );
    }
    if !ev.diagnostics.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Problems"));
        for d in &ev.diagnostics {
            let (tag, tone) = match d.level {
                DiagnosticLevel::Error => ("error", Tone::Red),
                DiagnosticLevel::Warning => ("warning", Tone::Yellow),
                DiagnosticLevel::Note => ("note", Tone::Dim),
            };
            let text = format!("{}: {}: {}", st.paint(tone, tag), d.source, d.message);
            let _ = writeln!(out, "{}", st.wrap(&text, "  ", "    "));
        }
    }
    if detail == Detail::Summary {
        return out;
    }
    if !ev.pods.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Pods"));
        for p in &ev.pods {
            let restarts: u32 = p
                .containers
                .iter()
                .filter_map(|c| c.restart_count)
                .sum::<u32>()
                .max(p.row.as_ref().map_or(0, |r| r.restarts));
            let text = format!(
                "{} node={} phase={} restarts={}",
                p.object_ref(),
                p.node.as_deref().unwrap_or("?"),
                p.phase
                    .as_deref()
                    .or(p.row.as_ref().map(|r| r.status.as_str()))
                    .unwrap_or("?"),
                restarts
            );
            let _ = writeln!(out, "{}", st.wrap(&text, "  ", "    "));
        }
    }
    let t = timeline(ev);
    if !t.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Timeline"));
        // The latest moments are the ones around the incident.
        let skip = t.len().saturating_sub(MAX_TIMELINE);
        if skip > 0 {
            let _ = writeln!(out, "  ... {skip} earlier moments (see -o json)");
        }
        for m in &t[skip..] {
            let when = match m.resolved {
                Some(ts) => ts.strftime("%m-%d %H:%M:%S").to_string(),
                None => m.at.to_string(),
            };
            let text = format!("{when}  {}  {}", m.subject, m.detail);
            let _ = writeln!(out, "{}", st.wrap(&text, "  ", "                   "));
        }
    }
    out
}
