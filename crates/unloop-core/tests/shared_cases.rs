//! The shared development set: real crash-loop reports with their settled
//! cause. Each case's evidence files are read as a user would pass them and
//! diagnosed; the settled cause (or an acceptable one) should rank first for
//! most of them. The cases are a yardstick, not a target: no rule knows them.

use std::path::{Path, PathBuf};

use unloop_core::diagnose::{CauseId, DiagnoseOptions, diagnose};
use unloop_core::evidence::{DiagnosticLevel, ReadOptions, read_paths};

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/cases");

struct Truth {
    primary: CauseId,
    acceptable: Vec<CauseId>,
}

fn truth(dir: &Path) -> Truth {
    let text = std::fs::read_to_string(dir.join("truth.json")).expect("truth.json");
    let v: serde_json::Value = serde_json::from_str(&text).expect("truth.json is JSON");
    let id = |s: &serde_json::Value| -> CauseId {
        s.as_str()
            .expect("cause id string")
            .parse()
            .expect("taxonomy id")
    };
    Truth {
        primary: id(&v["primary"]),
        acceptable: v["acceptable"]
            .as_array()
            .map(|a| a.iter().map(id).collect())
            .unwrap_or_default(),
    }
}

/// The case's evidence: every file but the answer.
fn evidence_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("case folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "truth.json"))
        .collect();
    files.sort();
    files
}

#[test]
fn most_shared_cases_rank_the_settled_cause_first() {
    let root = Path::new(CASES);
    assert!(root.is_dir(), "the shared cases are missing at {CASES}");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("truth.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty(), "no cases found in {CASES}");

    let mut right = 0;
    for dir in &dirs {
        let t = truth(dir);
        let ev = read_paths(&evidence_files(dir), &ReadOptions::default());
        let errors: Vec<_> = ev
            .diagnostics
            .iter()
            .filter(|d| d.level == DiagnosticLevel::Error)
            .collect();
        assert!(
            errors.is_empty(),
            "{}: read with errors: {errors:?}",
            dir.display()
        );
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let top: Option<(CauseId, f64, String)> = d
            .workloads
            .iter()
            .filter_map(|w| w.findings.first())
            .max_by(|a, b| a.score.total_cmp(&b.score))
            .map(|f| (f.cause, f.score, f.title.clone()));
        let ok = top
            .as_ref()
            .is_some_and(|(c, ..)| *c == t.primary || t.acceptable.contains(c));
        if ok {
            right += 1;
        }
        let name = dir.file_name().unwrap_or_default().to_string_lossy();
        match &top {
            Some((c, s, title)) => println!(
                "{} {name}: top {c} ({s:.2}) \"{title}\" | truth {} {:?}",
                if ok { "OK  " } else { "MISS" },
                t.primary,
                t.acceptable.iter().map(|c| c.as_str()).collect::<Vec<_>>()
            ),
            None => println!(
                "MISS {name}: no finding ({} subjects) | truth {}",
                d.workloads.len(),
                t.primary
            ),
        }
    }
    println!("{right}/{} cases rank the settled cause first", dirs.len());
    let needed = (dirs.len() * 8).div_ceil(10);
    assert!(
        right >= needed,
        "only {right} of {} cases rank the settled cause first (need {needed})",
        dirs.len()
    );
}
