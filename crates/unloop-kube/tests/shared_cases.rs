//! The real cases of `../shared/cases` served by `unloop replay` and read
//! live: the top cause is the one the offline reading of the same files
//! ranks first. Most cases are pasted logs; the replay serves each under a
//! Pod made for it (see `unloop_replay::load`). A case the replay cannot
//! serve (describe output holds no object) is named with the reason, and so
//! is one served only in part (a `kubectl get pods` table beside its logs):
//! what the replay passed over is evidence the live reading cannot have, so
//! such a case is printed but not held to the offline ranking.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kube::Client;
use unloop_core::diagnose::{CauseId, DiagnoseOptions, Diagnosis, diagnose};
use unloop_core::evidence::{ReadOptions, read_paths};
use unloop_kube::{Limits, Progress, Scope, collect};
use unloop_replay::{Options, Replay, router};

const CASES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/cases");

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

/// What the replay's loader passes over in these files (human formats such
/// as describe output and `kubectl get` tables hold no object to serve).
fn passed_over(files: &[PathBuf]) -> Vec<String> {
    use unloop_core::evidence::raw::{RawLog, RawVisitor, read_raw_paths};
    use unloop_core::evidence::{DiagnosticLevel, Source};
    struct Notes(Vec<String>);
    impl RawVisitor for Notes {
        fn object(&mut self, _: serde_json::Value, _: &Source) {}
        fn log(&mut self, _: RawLog) {}
        fn diagnostic(&mut self, _: DiagnosticLevel, source: &Source, message: &str) {
            if message.contains("passed over") {
                self.0.push(format!("{source}: {message}"));
            }
        }
    }
    let mut n = Notes(Vec::new());
    read_raw_paths(files, &mut n);
    n.0
}

/// The first-ranked cause over all workloads, and its score.
fn top(d: &Diagnosis) -> Option<(CauseId, f64)> {
    d.workloads
        .iter()
        .filter_map(|w| w.findings.first())
        .max_by(|a, b| a.score.total_cmp(&b.score))
        .map(|f| (f.cause, f.score))
}

#[tokio::test]
async fn shared_cases_served_by_replay_rank_the_offline_top_cause() {
    let root = Path::new(CASES);
    assert!(root.is_dir(), "the shared cases are missing at {CASES}");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .expect("cases dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("truth.json").is_file())
        .collect();
    dirs.sort();
    assert!(!dirs.is_empty());

    let (mut same, mut served, mut differ, mut partial) = (0, 0, Vec::new(), Vec::new());
    for dir in &dirs {
        let case = dir.file_name().unwrap().to_string_lossy().to_string();
        let files = evidence_files(dir);
        let off = diagnose(
            &read_paths(&files, &ReadOptions::default()),
            &DiagnoseOptions::default(),
        );
        let off_top = top(&off);
        let replay = Replay::load(&files, Options::default());
        // Only the synthesized `default` Namespace: nothing to serve.
        if replay.loaded <= 1 {
            let why = passed_over(&files).join("; ");
            let why = if why.is_empty() {
                "no object or log the replay can serve".to_owned()
            } else {
                why
            };
            println!("{case}: not served: {why} (offline top: {off_top:?})");
            continue;
        }
        served += 1;
        let passed_over = passed_over(&files);
        let client = Client::new(router(Arc::new(replay)), "default");
        let coll = collect(
            &client,
            &Scope::AllNamespaces,
            &Limits::default(),
            &Progress::silent(),
        )
        .await
        .expect("collect");
        assert!(coll.gaps.is_empty(), "{case}: {:?}", coll.gaps);
        let live = diagnose(&coll.evidence, &DiagnoseOptions { now: off.taken_at });
        let live_top = top(&live);
        let verdict = match (off_top, live_top) {
            (Some((o, _)), Some((l, _))) if o == l => {
                same += 1;
                "same"
            }
            (None, None) => {
                same += 1;
                "same (no cause)"
            }
            _ if !passed_over.is_empty() => {
                partial.push(case.clone());
                "different, served in part"
            }
            _ => {
                differ.push(case.clone());
                "DIFFERENT"
            }
        };
        for n in &passed_over {
            println!("  {case}: the replay passed over {n}");
        }
        println!("{case}: offline {off_top:?}, live {live_top:?}: {verdict}");
    }
    println!(
        "{same} of {served} served cases rank the offline top cause live ({} not served; served in part and different: {partial:?})",
        dirs.len() - served
    );
    assert!(served > 0, "no case could be served");
    assert!(differ.is_empty(), "live differs from offline: {differ:?}");
}
