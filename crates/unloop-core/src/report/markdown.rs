//! The Markdown report of a diagnosis, for pasting into a ticket.

use std::fmt::Write;

use crate::diagnose::finding::Relation;
use crate::diagnose::{CauseId, Diagnosis};

/// Escapes characters that would break a Markdown table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Renders the diagnosis as Markdown.
pub fn render(d: &Diagnosis) -> String {
    let mut o = String::new();
    let _ = writeln!(o, "# unloop diagnosis\n");
    if let Some(t) = d.taken_at {
        let _ = writeln!(
            o,
            "Evidence as of {}.\n",
            t.strftime("%Y-%m-%d %H:%M:%S UTC")
        );
    }
    if d.workloads.is_empty() {
        let _ = writeln!(o, "No troubled workloads found.");
        return o;
    }
    for w in &d.workloads {
        let _ = writeln!(o, "## {}\n", w.subject);
        if let Some(c) = &w.component {
            let _ = writeln!(o, "Component: {c}\n");
        }
        let verdict = match w.verdict {
            CauseId::Unknown => {
                "**Verdict:** `unknown`: the evidence is too thin to say.".to_owned()
            }
            c => format!(
                "**Verdict:** `{c}` ({:.2}): {}",
                w.findings.first().map_or(0.0, |f| f.score),
                w.findings.first().map_or("", |f| f.title.as_str())
            ),
        };
        let _ = writeln!(o, "{verdict}\n");
        if !w.pods.is_empty() {
            let _ = writeln!(o, "| pod | node | status | restarts |\n|---|---|---|---|");
            for p in &w.pods {
                let _ = writeln!(
                    o,
                    "| {} | {} | {} | {} |",
                    cell(&p.name),
                    cell(p.node.as_deref().unwrap_or("")),
                    cell(p.status.as_deref().unwrap_or("")),
                    p.restarts.map(|r| r.to_string()).unwrap_or_default()
                );
            }
            o.push('\n');
        }
        if !w.findings.is_empty() {
            let _ = writeln!(o, "| # | cause | score | title |\n|---|---|---|---|");
            for (i, f) in w.findings.iter().enumerate() {
                let rel = match f.relation {
                    Some(Relation::ExplainedBy(c)) => format!(" (symptom of `{c}`)"),
                    Some(Relation::ContributesTo(c)) => format!(" (contributes to `{c}`)"),
                    None => String::new(),
                };
                let _ = writeln!(
                    o,
                    "| {} | `{}`{rel} | {:.2} | {} |",
                    i + 1,
                    f.cause,
                    f.score,
                    cell(&f.title)
                );
            }
            o.push('\n');
        }
        for (i, f) in w.findings.iter().enumerate() {
            let _ = writeln!(
                o,
                "### {}. `{}` ({:.2})\n\n{}\n",
                i + 1,
                f.cause,
                f.score,
                f.title
            );
            if !f.chain.is_empty() {
                let _ = writeln!(o, "**Causal chain:**\n");
                for c in &f.chain {
                    let _ = writeln!(o, "1. {c}");
                }
                o.push('\n');
            }
            if !f.evidence.is_empty() {
                let _ = writeln!(o, "**Evidence for:**\n");
                for c in &f.evidence {
                    let _ = writeln!(o, "- {} (`{}`)", c.text, c.source);
                }
                o.push('\n');
            }
            if !f.against.is_empty() {
                let _ = writeln!(o, "**Evidence against:**\n");
                for c in &f.against {
                    let _ = writeln!(o, "- {} (`{}`)", c.text, c.source);
                }
                o.push('\n');
            }
            if !f.missing.is_empty() {
                let _ = writeln!(o, "**Missing evidence:**\n");
                for m in &f.missing {
                    let _ = writeln!(o, "- {}: `{}`", m.what, m.command);
                }
                o.push('\n');
            }
        }
        if !w.missing.is_empty() {
            let _ = writeln!(o, "### Missing evidence\n");
            for m in &w.missing {
                let _ = writeln!(o, "- {}: `{}`", m.what, m.command);
            }
            o.push('\n');
        }
        if !w.plan.is_empty() {
            let _ = writeln!(o, "### Remediation plan\n");
            for s in &w.plan {
                let _ = writeln!(
                    o,
                    "{}. **{}** ({:?})  \n   Why: {}",
                    s.number, s.title, s.phase, s.why
                );
                if !s.commands.is_empty() {
                    let _ = writeln!(o, "\n   ```sh");
                    for c in &s.commands {
                        let _ = writeln!(o, "   {c}");
                    }
                    let _ = writeln!(o, "   ```");
                }
                if let Some(p) = &s.patch {
                    let _ = writeln!(o, "\n   ```yaml");
                    for l in p.lines() {
                        let _ = writeln!(o, "   {l}");
                    }
                    let _ = writeln!(o, "   ```");
                }
                for v in &s.verify {
                    let _ = writeln!(o, "\n   Verify: {v}");
                }
                o.push('\n');
            }
        }
    }
    o
}
