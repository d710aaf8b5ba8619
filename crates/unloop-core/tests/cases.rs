//! The case corpus: `tests/cases/<NN>-<slug>/` at the repository root.
//!
//! Each folder holds evidence exactly as a user would paste or save it
//! (`describe.txt`, `events.txt`, `logs.txt`, `previous-logs.txt`, `pod.yaml`,
//! `report.txt` for a mixed paste, ...) and an `expected.json`:
//!
//! ```json
//! {"primary": "<cause id>" | "unknown" | null,
//!  "acceptable": ["<ids also right>"],
//!  "not_first": ["<ids that must not rank first>"],
//!  "story": "what happened and how it was settled"}
//! ```
//!
//! For every case the evidence files are copied into a scratch folder (so that
//! `expected.json`, which names the answer, is never read as evidence), that
//! folder is read with `read_paths` and diagnosed with the default options, then:
//! - `primary` is a cause id: the first workload's verdict is `primary` or in
//!   `acceptable`, and neither the verdict nor the top finding is in `not_first`;
//! - `primary` is `"unknown"`: the first workload's verdict is `unknown` and it
//!   lists missing evidence;
//! - `primary` is `null`: no troubled workload is reported.
//!
//! Every case is checked, and all failures are reported together with what was
//! expected, what was found and the top findings with their scores.
//! `UNLOOP_CASE=<substring>` restricts the run to matching case folders.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use serde_json::Value;
use unloop_core::diagnose::{CauseId, DiagnoseOptions, Diagnosis, diagnose};
use unloop_core::evidence::{DiagnosticLevel, Evidence, ReadOptions, read_paths};

/// What a case expects.
#[derive(Debug)]
enum Primary {
    /// A cause from the taxonomy (never `unknown`).
    Cause(CauseId),
    /// The evidence is too thin: verdict `unknown` with missing evidence listed.
    Unknown,
    /// No troubled workload at all.
    Healthy,
}

#[derive(Debug)]
struct Expected {
    primary: Primary,
    acceptable: Vec<CauseId>,
    not_first: Vec<CauseId>,
}

/// One case folder.
struct Case {
    name: String,
    dir: PathBuf,
    expected: Result<Expected, String>,
}

fn cases_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/cases")
}

fn parse_ids(v: Option<&Value>, field: &str) -> Result<Vec<CauseId>, String> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| {
                let s = i
                    .as_str()
                    .ok_or_else(|| format!("`{field}` holds a non-string: {i}"))?;
                CauseId::from_str(s).map_err(|e| format!("`{field}`: {e}"))
            })
            .collect(),
        Some(other) => Err(format!("`{field}` is not an array: {other}")),
    }
}

fn parse_expected(text: &str) -> Result<Expected, String> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("not a JSON object")?;
    let primary = match obj.get("primary") {
        Some(Value::Null) => Primary::Healthy,
        Some(Value::String(s)) if s == "unknown" => Primary::Unknown,
        Some(Value::String(s)) => {
            Primary::Cause(CauseId::from_str(s).map_err(|e| format!("`primary`: {e}"))?)
        }
        None => return Err("`primary` is missing (use null for a healthy case)".into()),
        Some(other) => return Err(format!("`primary` is neither a string nor null: {other}")),
    };
    match obj.get("story") {
        Some(Value::String(s)) if !s.trim().is_empty() => {}
        _ => return Err("`story` is missing or empty".into()),
    }
    Ok(Expected {
        primary,
        acceptable: parse_ids(obj.get("acceptable"), "acceptable")?,
        not_first: parse_ids(obj.get("not_first"), "not_first")?,
    })
}

/// Every case folder (`NN-slug` with an `expected.json`), in name order.
fn load_cases() -> Vec<Case> {
    let root = cases_root();
    let entries = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("cannot list the case corpus {}: {e}", root.display()));
    let mut cases: Vec<Case> = entries
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let numbered = name.len() > 3
                && name.as_bytes()[..2].iter().all(u8::is_ascii_digit)
                && name.as_bytes()[2] == b'-';
            numbered.then(|| {
                let dir = e.path();
                let expected = std::fs::read_to_string(dir.join("expected.json"))
                    .map_err(|err| format!("cannot read expected.json: {err}"))
                    .and_then(|t| parse_expected(&t));
                Case {
                    name,
                    dir,
                    expected,
                }
            })
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn list(ids: &[CauseId]) -> String {
    if ids.is_empty() {
        return "-".into();
    }
    ids.iter()
        .map(CauseId::as_str)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Copies a case's evidence (everything but `expected.json`) into a scratch
/// folder named like the case, so the reader sees exactly what a user would
/// hand it.
fn evidence_dir(case: &Case, scratch: &Path) -> PathBuf {
    let dst = scratch.join(&case.name);
    copy_tree(&case.dir, &dst, true).unwrap_or_else(|e| {
        panic!(
            "cannot copy {} to {}: {e}",
            case.dir.display(),
            dst.display()
        )
    });
    dst
}

fn copy_tree(src: &Path, dst: &Path, top: bool) -> std::io::Result<()> {
    std::fs::create_dir_all(dst)?;
    for entry in std::fs::read_dir(src)? {
        let entry = entry?;
        let name = entry.file_name();
        if top && name == "expected.json" {
            continue;
        }
        let (from, to) = (entry.path(), dst.join(&name));
        if entry.file_type()?.is_dir() {
            copy_tree(&from, &to, false)?;
        } else {
            std::fs::copy(&from, &to)?;
        }
    }
    Ok(())
}

/// The top findings of the first workloads, one line each.
fn top_findings(d: &Diagnosis) -> String {
    let mut s = String::new();
    for (i, w) in d.workloads.iter().enumerate().take(3) {
        let _ = writeln!(
            s,
            "    workload[{i}]: {} -> verdict {}",
            w.subject, w.verdict
        );
        if w.findings.is_empty() {
            s.push_str("      (no findings)\n");
        }
        for f in w.findings.iter().take(3) {
            let _ = writeln!(
                s,
                "      {:.2}  {}  [{}]",
                f.score,
                f.cause,
                f.rules.join(", ")
            );
        }
        if i == 0 && !w.missing.is_empty() {
            let _ = writeln!(s, "      missing: {} item(s)", w.missing.len());
        }
    }
    if d.workloads.is_empty() {
        s.push_str("    no troubled workload\n");
    }
    if d.workloads.len() > 3 {
        let _ = writeln!(s, "    ... and {} more workload(s)", d.workloads.len() - 3);
    }
    s
}

/// What the tool said, in a few lines, for a failure message: the top
/// findings, the reader's warnings and what it read.
fn describe_result(ev: &Evidence, d: &Diagnosis) -> String {
    let mut s = top_findings(d);
    let errors: Vec<_> = ev
        .diagnostics
        .iter()
        .filter(|x| x.level >= DiagnosticLevel::Warning)
        .collect();
    for x in errors.iter().take(3) {
        let _ = writeln!(s, "    reader {:?}: {}: {}", x.level, x.source, x.message);
    }
    if errors.len() > 3 {
        let _ = writeln!(
            s,
            "    ... and {} more reader diagnostic(s)",
            errors.len() - 3
        );
    }
    let _ = writeln!(
        s,
        "    read: {} pod(s), {} event(s), {} log stream(s), {} node(s)",
        ev.pods.len(),
        ev.events.len(),
        ev.logs.len(),
        ev.nodes.len()
    );
    s
}

/// Checks one case; `Ok(summary)` or `Err(reasons)`.
fn check(expected: &Expected, d: &Diagnosis) -> Result<String, Vec<String>> {
    let mut why = Vec::new();
    let first = d.workloads.first();
    match &expected.primary {
        Primary::Healthy => {
            if let Some(w) = first {
                why.push(format!(
                    "expected no troubled workload, got {} workload(s), first {} ({})",
                    d.workloads.len(),
                    w.subject,
                    w.verdict
                ));
            }
        }
        Primary::Unknown => match first {
            None => why.push("expected verdict unknown, got no troubled workload".into()),
            Some(w) => {
                if w.verdict != CauseId::Unknown {
                    why.push(format!("expected verdict unknown, got {}", w.verdict));
                }
                if w.missing.is_empty() {
                    why.push(
                        "verdict unknown must list missing evidence, `missing` is empty".into(),
                    );
                }
                // The crashed run's log is the first thing anyone needs.
                if !w
                    .missing
                    .iter()
                    .any(|m| m.command.contains("logs --previous"))
                {
                    why.push("verdict unknown must ask for `kubectl logs --previous`".into());
                }
            }
        },
        Primary::Cause(p) => match first {
            None => why.push(format!("expected {p}, got no troubled workload")),
            Some(w) => {
                if w.verdict != *p && !expected.acceptable.contains(&w.verdict) {
                    why.push(format!(
                        "expected {p} (or {}), got {}",
                        list(&expected.acceptable),
                        w.verdict
                    ));
                }
            }
        },
    }
    if let Some(w) = first {
        let mut ranked_first = vec![w.verdict];
        if let Some(f) = w.findings.first().filter(|f| f.cause != w.verdict) {
            ranked_first.push(f.cause);
        }
        for c in ranked_first {
            if expected.not_first.contains(&c) {
                why.push(format!("{c} ranks first but is listed in not_first"));
            }
        }
    }
    if !why.is_empty() {
        return Err(why);
    }
    Ok(match first {
        None => "no troubled workload".into(),
        Some(w) => match w.findings.first() {
            Some(f) => format!("{} ({:.2})", w.verdict, f.score),
            None => w.verdict.to_string(),
        },
    })
}

fn expected_label(e: &Expected) -> String {
    match &e.primary {
        Primary::Cause(c) if e.acceptable.is_empty() => c.to_string(),
        Primary::Cause(c) => format!("{c} (or {})", list(&e.acceptable)),
        Primary::Unknown => "unknown + missing".into(),
        Primary::Healthy => "no workload".into(),
    }
}

fn got_label(d: &Diagnosis) -> String {
    match d.workloads.first() {
        None => "no workload".into(),
        Some(w) => match w.findings.first() {
            Some(f) => format!("{} (top {} {:.2})", w.verdict, f.cause, f.score),
            None => format!("{} (no findings)", w.verdict),
        },
    }
}

#[test]
fn corpus_is_well_formed() {
    let cases = load_cases();
    let mut problems = Vec::new();
    let mut primaries = std::collections::BTreeSet::new();
    let (mut unknown, mut healthy) = (0, 0);
    for c in &cases {
        match &c.expected {
            Err(e) => problems.push(format!("{}: expected.json: {e}", c.name)),
            Ok(e) => {
                match e.primary {
                    Primary::Cause(p) => {
                        primaries.insert(p);
                        if e.not_first.contains(&p) || e.acceptable.contains(&p) {
                            problems.push(format!(
                                "{}: primary {p} is also in acceptable or not_first",
                                c.name
                            ));
                        }
                    }
                    Primary::Unknown => unknown += 1,
                    Primary::Healthy => healthy += 1,
                }
                if let Some(x) = e.acceptable.iter().find(|x| e.not_first.contains(x)) {
                    problems.push(format!("{}: {x} is both acceptable and not_first", c.name));
                }
            }
        }
        let evidence = std::fs::read_dir(&c.dir)
            .map(|rd| {
                rd.flatten()
                    .filter(|f| f.file_name() != "expected.json")
                    .count()
            })
            .unwrap_or(0);
        if evidence == 0 {
            problems.push(format!("{}: no evidence files", c.name));
        }
    }
    assert!(
        problems.is_empty(),
        "corpus problems:\n{}",
        problems.join("\n")
    );
    let positive = cases.len() - unknown - healthy;
    assert!(
        positive >= 16,
        "only {positive} cases with a cause as primary"
    );
    assert!(
        primaries.len() >= 13,
        "only {} distinct primary causes: {}",
        primaries.len(),
        list(&primaries.into_iter().collect::<Vec<_>>())
    );
    assert!(
        unknown >= 1 && healthy >= 1,
        "need an unknown and a healthy case"
    );
}

#[test]
fn cases_rank_the_expected_cause_first() {
    let filter = std::env::var("UNLOOP_CASE").ok();
    let cases: Vec<Case> = load_cases()
        .into_iter()
        .filter(|c| filter.as_deref().is_none_or(|f| c.name.contains(f)))
        .collect();
    assert!(
        !cases.is_empty(),
        "no case matched in {}",
        cases_root().display()
    );

    let scratch = std::env::temp_dir().join(format!("unloop-cases-{}", std::process::id()));
    let mut summary = String::new();
    let mut details = String::new();
    let mut failures = Vec::new();
    for case in &cases {
        let expected = match &case.expected {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{}: bad expected.json: {e}\n", case.name));
                let _ = writeln!(summary, "FAIL  {:<58} bad expected.json", case.name);
                continue;
            }
        };
        let dir = evidence_dir(case, &scratch);
        let ev = read_paths(&[dir], &ReadOptions::default());
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let _ = write!(details, "{}\n{}", case.name, top_findings(&d));
        match check(expected, &d) {
            Ok(_) => {
                let _ = writeln!(
                    summary,
                    "ok    {:<58} expected {:<40} got {}",
                    case.name,
                    expected_label(expected),
                    got_label(&d)
                );
            }
            Err(why) => {
                let _ = writeln!(
                    summary,
                    "FAIL  {:<58} expected {:<40} got {}",
                    case.name,
                    expected_label(expected),
                    got_label(&d)
                );
                let mut msg = format!(
                    "{}\n  expected: {}; not first: {}\n",
                    case.name,
                    expected_label(expected),
                    list(&expected.not_first)
                );
                for w in why {
                    let _ = writeln!(msg, "  - {w}");
                }
                msg.push_str(&describe_result(&ev, &d));
                failures.push(msg);
            }
        }
    }
    std::fs::remove_dir_all(&scratch).ok();
    println!("{summary}\n{details}");
    assert!(
        failures.is_empty(),
        "{} of {} case(s) failed\n\n{summary}\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}
