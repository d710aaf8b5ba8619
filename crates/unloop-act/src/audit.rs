//! The audit log: one JSON object per line, appended and synced before the
//! next change is made, so it survives an interrupted run and tells the next
//! run where to continue.
//!
//! Records of one plan share its id ([`plan_id`]): a `plan` record (the
//! steps, so an interrupted plan can be resumed as it was, not as a new
//! diagnosis would plan it), one `step` record per step run (time, step,
//! objects, before, after, result), `object` records for per-object work
//! (each Revision deleted, each pod evicted), and `complete` when every
//! step is finished.

use std::collections::BTreeSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use unloop_core::remedy::plan::PlanStep;

use crate::error::ActError;

/// One line of the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub time: Timestamp,
    /// The plan the record belongs to ([`plan_id`]).
    pub plan: String,
    #[serde(flatten)]
    pub entry: Entry,
}

/// What a record says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Entry {
    /// A plan about to be applied.
    Plan {
        /// The cluster it was applied to (kubeconfig context and server).
        cluster: String,
        /// What it fixes (`Deployment knative-serving/net-istio-controller`).
        title: String,
        steps: Vec<PlanStep>,
    },
    /// One step run.
    Step {
        step: usize,
        title: String,
        objects: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        before: Option<Value>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        after: Option<Value>,
        /// `applied`, `unchanged`, `manual`, `failed`.
        result: String,
        summary: String,
    },
    /// One object of a step's per-object work.
    Object {
        step: usize,
        /// `Revision/ns/name`, `Pod/ns/name`.
        object: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        uid: Option<String>,
        /// `deleted`, `already-gone`, `evicted`, `blocked`, ...
        result: String,
    },
    /// Every step finished.
    Complete,
}

/// An append-only audit log file.
pub struct AuditLog {
    path: PathBuf,
    file: File,
    records: Vec<Record>,
}

/// What the log says about one plan.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Progress {
    /// Steps finished (applied or found already done).
    pub finished: BTreeSet<usize>,
    /// Objects a step already finished with (`step`, `object`).
    pub objects_done: BTreeSet<(usize, String)>,
    pub complete: bool,
}

/// An unfinished plan found in the log.
#[derive(Debug, Clone, PartialEq)]
pub struct Unfinished {
    pub plan: String,
    pub started: Timestamp,
    pub title: String,
    pub steps: Vec<PlanStep>,
    pub progress: Progress,
}

impl AuditLog {
    /// Opens (creating) the log at `path` and reads what it holds.
    pub fn open(path: &Path) -> Result<AuditLog, ActError> {
        let io = |source| ActError::Audit {
            path: path.to_owned(),
            source,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .read(true)
            .open(path)
            .map_err(io)?;
        let records = read(path)?;
        Ok(AuditLog {
            path: path.to_owned(),
            file,
            records,
        })
    }

    /// Where the log is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Every record, oldest first.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    /// Appends `entry` for `plan`, synced to disk before returning.
    pub fn append(&mut self, plan: &str, entry: Entry) -> Result<(), ActError> {
        let record = Record {
            time: Timestamp::now(),
            plan: plan.to_owned(),
            entry,
        };
        let mut line = serde_json::to_string(&record).unwrap_or_default();
        line.push('\n');
        let io = |source| ActError::Audit {
            path: self.path.clone(),
            source,
        };
        self.file.write_all(line.as_bytes()).map_err(io)?;
        self.file.sync_data().map_err(io)?;
        self.records.push(record);
        Ok(())
    }

    /// What the log says about `plan`.
    pub fn progress(&self, plan: &str) -> Progress {
        let mut p = Progress::default();
        for r in self.records.iter().filter(|r| r.plan == plan) {
            match &r.entry {
                Entry::Step { step, result, .. }
                    if matches!(result.as_str(), "applied" | "unchanged") =>
                {
                    p.finished.insert(*step);
                }
                Entry::Object {
                    step,
                    object,
                    result,
                    ..
                } if result != "failed" && result != "blocked" => {
                    p.objects_done.insert((*step, object.clone()));
                }
                Entry::Complete => p.complete = true,
                _ => {}
            }
        }
        p
    }

    /// The newest plan applied to `cluster` that did not complete.
    pub fn unfinished(&self, cluster: &str) -> Option<Unfinished> {
        let (plan, started, title, steps) =
            self.records.iter().rev().find_map(|r| match &r.entry {
                Entry::Plan {
                    cluster: c,
                    title,
                    steps,
                } if c == cluster => Some((r.plan.clone(), r.time, title.clone(), steps.clone())),
                _ => None,
            })?;
        let progress = self.progress(&plan);
        (!progress.complete).then_some(Unfinished {
            plan,
            started,
            title,
            steps,
            progress,
        })
    }
}

/// Reads every record; a line that is not a record is an error naming it,
/// except a torn last line (a run killed mid-write), which is ignored.
fn read(path: &Path) -> Result<Vec<Record>, ActError> {
    let file = File::open(path).map_err(|source| ActError::Audit {
        path: path.to_owned(),
        source,
    })?;
    let lines: Vec<String> = BufReader::new(file)
        .lines()
        .collect::<Result<_, _>>()
        .map_err(|source| ActError::Audit {
            path: path.to_owned(),
            source,
        })?;
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str::<Record>(line) {
            Ok(r) => out.push(r),
            Err(_) if i + 1 == lines.len() && !line.ends_with('}') => {}
            Err(e) => {
                return Err(ActError::AuditFormat {
                    path: path.to_owned(),
                    line: i + 1,
                    message: e.to_string(),
                });
            }
        }
    }
    Ok(out)
}

/// A stable id for `steps` applied to `cluster`: the same plan gets the same
/// id in every run, so a re-run finds its progress.
pub fn plan_id(cluster: &str, steps: &[PlanStep]) -> String {
    // FNV-1a: stable across runs and builds, which std's hasher is not.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut feed = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    feed(cluster.as_bytes());
    for s in steps {
        feed(s.title.as_bytes());
        feed(
            serde_json::to_string(&s.action)
                .unwrap_or_default()
                .as_bytes(),
        );
    }
    format!("{h:016x}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use unloop_core::diagnose::CauseId;
    use unloop_core::remedy::plan::{Action, Phase};

    fn steps() -> Vec<PlanStep> {
        let mut s = PlanStep::new(
            Phase::Isolate,
            CauseId::NodeUnhealthy,
            "Cordon n1",
            "bad node",
            Action::Cordon { node: "n1".into() },
        );
        s.number = 1;
        vec![s]
    }

    fn step(n: usize, result: &str) -> Entry {
        Entry::Step {
            step: n,
            title: "t".into(),
            objects: vec![],
            before: None,
            after: None,
            result: result.into(),
            summary: String::new(),
        }
    }

    #[test]
    fn a_reopened_log_knows_what_finished() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let id = plan_id("ctx", &steps());
        {
            let mut log = AuditLog::open(&path).unwrap();
            log.append(
                &id,
                Entry::Plan {
                    cluster: "ctx".into(),
                    title: "x".into(),
                    steps: steps(),
                },
            )
            .unwrap();
            log.append(&id, step(1, "applied")).unwrap();
            log.append(&id, step(2, "failed")).unwrap();
        }
        let log = AuditLog::open(&path).unwrap();
        let u = log.unfinished("ctx").expect("unfinished plan");
        assert_eq!(u.steps, steps());
        assert_eq!(u.progress.finished, BTreeSet::from([1]));
        assert!(log.unfinished("other").is_none());
        let mut log = log;
        log.append(&id, Entry::Complete).unwrap();
        assert!(log.unfinished("ctx").is_none());
    }

    #[test]
    fn the_same_plan_has_the_same_id_and_another_plan_another() {
        assert_eq!(plan_id("a", &steps()), plan_id("a", &steps()));
        assert_ne!(plan_id("a", &steps()), plan_id("b", &steps()));
        let mut other = steps();
        other[0].action = Action::Drain { node: "n1".into() };
        assert_ne!(plan_id("a", &steps()), plan_id("a", &other));
    }

    #[test]
    fn a_torn_last_line_is_ignored_and_a_bad_middle_line_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("audit.jsonl");
        let good = serde_json::to_string(&Record {
            time: Timestamp::UNIX_EPOCH,
            plan: "p".into(),
            entry: Entry::Complete,
        })
        .unwrap();
        std::fs::write(&path, format!("{good}\n{{\"time\": \"19")).unwrap();
        assert_eq!(AuditLog::open(&path).unwrap().records().len(), 1);
        std::fs::write(&path, format!("{good}\nnot json\n{good}\n")).unwrap();
        let e = AuditLog::open(&path).err().expect("error").to_string();
        assert!(e.contains("audit.jsonl:2:"), "{e}");
    }
}
