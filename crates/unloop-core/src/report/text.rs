//! The terminal report of a diagnosis: verdict first, then each cause with its
//! chain, evidence for and against, missing evidence, then the plan. Plain
//! unless colour is asked for; folded to the style's width.

use std::fmt::Write;

use super::style::{Style, Tone};
use crate::diagnose::finding::{Finding, Relation};
use crate::diagnose::{CauseId, Diagnosis, WorkloadDiagnosis};
use crate::remedy::plan::PlanStep;

/// Evidence items shown per finding before "and N more".
const MAX_ITEMS: usize = 6;

/// Renders the whole diagnosis.
pub fn render(d: &Diagnosis, st: &Style) -> String {
    let mut out = String::new();
    if d.workloads.is_empty() {
        let _ = writeln!(
            out,
            "{}",
            st.paint(Tone::Green, "No troubled workloads found: nothing is crash-looping or restarting in this evidence.")
        );
        return out;
    }
    let taken = d
        .taken_at
        .map(|t| format!(" (evidence as of {})", t.strftime("%Y-%m-%d %H:%M:%S UTC")))
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "{}",
        st.paint(
            Tone::Bold,
            &format!(
                "unloop: {} troubled workload{}{taken}",
                d.workloads.len(),
                if d.workloads.len() == 1 { "" } else { "s" }
            )
        )
    );
    for w in &d.workloads {
        out.push('\n');
        workload(&mut out, w, st);
    }
    out
}

fn bar(score: f64) -> String {
    let filled = (score * 10.0).round() as usize;
    format!("{}{}", "#".repeat(filled), ".".repeat(10 - filled.min(10)))
}

fn workload(out: &mut String, w: &WorkloadDiagnosis, st: &Style) {
    let rule = "=".repeat(st.width.min(80));
    let _ = writeln!(out, "{}", st.paint(Tone::Dim, &rule));
    let title = match &w.component {
        Some(c) => format!("{}  [{c}]", w.subject),
        None => w.subject.clone(),
    };
    let _ = writeln!(out, "{}", st.paint(Tone::Bold, &title));
    for p in &w.pods {
        let mut s = format!("pod {}", p.name);
        if let Some(n) = &p.node {
            let _ = write!(s, " on {n}");
        }
        if let Some(status) = &p.status {
            let _ = write!(s, ": {status}");
        }
        if let Some(r) = p.restarts {
            let _ = write!(s, ", {r} restarts");
        }
        let _ = writeln!(out, "{}", st.wrap(&s, "  ", "      "));
    }
    out.push('\n');
    let verdict = match w.verdict {
        CauseId::Unknown => st.paint(
            Tone::Yellow,
            "VERDICT: unknown (the evidence is too thin to say)",
        ),
        c => {
            let score = w.findings.first().map_or(0.0, |f| f.score);
            st.paint(Tone::Red, &format!("VERDICT: {c} ({score:.2})"))
        }
    };
    let _ = writeln!(out, "{}", st.paint(Tone::Bold, &verdict));
    if let Some(f) = w.findings.first().filter(|_| w.verdict != CauseId::Unknown) {
        let _ = writeln!(out, "{}", st.wrap(&f.title, "  ", "  "));
    }
    for (i, f) in w.findings.iter().enumerate() {
        out.push('\n');
        finding(out, i + 1, f, st);
    }
    if !w.missing.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Missing evidence"));
        for m in &w.missing {
            let _ = writeln!(out, "{}", st.wrap(&m.what, "  ? ", "    "));
            let _ = writeln!(
                out,
                "{}",
                st.paint(Tone::Cyan, &format!("    $ {}", m.command))
            );
        }
    }
    if !w.plan.is_empty() {
        out.push('\n');
        let _ = writeln!(out, "{}", st.paint(Tone::Bold, "Plan"));
        for s in &w.plan {
            plan_step(out, s, st);
        }
    }
}

fn finding(out: &mut String, n: usize, f: &Finding, st: &Style) {
    let relation = match f.relation {
        Some(Relation::ExplainedBy(c)) => format!("  (a symptom of {c})"),
        Some(Relation::ContributesTo(c)) => format!("  (contributes to {c})"),
        None => String::new(),
    };
    let head = format!(
        "{n}. {}  {:.2} {}{relation}",
        f.cause,
        f.score,
        bar(f.score)
    );
    let _ = writeln!(out, "{}", st.paint(Tone::Bold, &st.wrap(&head, "", "   ")));
    let _ = writeln!(out, "{}", st.wrap(&f.title, "   ", "   "));
    if !f.chain.is_empty() {
        let _ = writeln!(out, "   {}", st.paint(Tone::Dim, "Why:"));
        for c in &f.chain {
            let _ = writeln!(out, "{}", st.wrap(c, "     -> ", "        "));
        }
    }
    items(out, "Evidence:", "     + ", &f.evidence, st);
    items(out, "Against:", "     - ", &f.against, st);
    for m in &f.missing {
        let _ = writeln!(
            out,
            "{}",
            st.wrap(&format!("missing: {}", m.what), "     ? ", "       ")
        );
        let _ = writeln!(
            out,
            "{}",
            st.paint(Tone::Cyan, &format!("       $ {}", m.command))
        );
    }
}

fn items(
    out: &mut String,
    label: &str,
    bullet: &str,
    list: &[crate::diagnose::Citation],
    st: &Style,
) {
    if list.is_empty() {
        return;
    }
    let _ = writeln!(out, "   {}", st.paint(Tone::Dim, label));
    let pad = " ".repeat(bullet.chars().count());
    for c in list.iter().take(MAX_ITEMS) {
        let _ = writeln!(out, "{}", st.wrap(&c.text, bullet, &pad));
        let _ = writeln!(
            out,
            "{}",
            st.paint(Tone::Dim, &st.wrap(&format!("[{}]", c.source), &pad, &pad))
        );
    }
    if list.len() > MAX_ITEMS {
        let _ = writeln!(
            out,
            "{pad}... and {} more (see -o json)",
            list.len() - MAX_ITEMS
        );
    }
}

fn plan_step(out: &mut String, s: &PlanStep, st: &Style) {
    let phase = format!("{:?}", s.phase).to_lowercase();
    let _ = writeln!(
        out,
        "{}",
        st.paint(
            Tone::Bold,
            &st.wrap(
                &format!("{}. [{phase}] {}", s.number, s.title),
                "  ",
                "     "
            )
        )
    );
    let _ = writeln!(
        out,
        "{}",
        st.wrap(&format!("why: {}", s.why), "     ", "     ")
    );
    for c in &s.commands {
        let _ = writeln!(out, "{}", st.paint(Tone::Cyan, &format!("     $ {c}")));
    }
    if let Some(p) = &s.patch {
        let _ = writeln!(out, "     patch:");
        for l in p.lines() {
            let _ = writeln!(out, "{}", st.paint(Tone::Cyan, &format!("       {l}")));
        }
    }
    for v in &s.verify {
        let _ = writeln!(
            out,
            "{}",
            st.wrap(&format!("verify: {v}"), "     ", "       ")
        );
    }
}
