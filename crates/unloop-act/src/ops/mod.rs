//! One module per kind of change. Every operation reads first, does nothing
//! when the object is already as wanted, writes through [`Api`] (so a dry
//! run is the server's dry run), verifies after a real write, and returns a
//! [`StepReport`].
//!
//! [`Api`]: crate::Api
//! [`StepReport`]: crate::StepReport

pub mod config_map;
pub mod gc;
pub mod node;
pub mod workload;

use std::time::Duration;

use crate::error::ActError;

/// Per-object progress of a step (each pod evicted, each Revision deleted),
/// kept in the audit log so an interrupted step resumes where it stopped.
pub trait ObjectLog {
    /// Records what happened to `object`.
    fn record(&mut self, object: &str, uid: Option<&str>, result: &str) -> Result<(), ActError>;
}

/// An [`ObjectLog`] that keeps nothing (dry runs).
pub struct NoLog;

impl ObjectLog for NoLog {
    fn record(&mut self, _: &str, _: Option<&str>, _: &str) -> Result<(), ActError> {
        Ok(())
    }
}

/// How long operations wait and how often they look.
#[derive(Debug, Clone)]
pub struct Waits {
    /// Between two looks at the cluster while waiting.
    pub poll: Duration,
    /// Longest a workload gets to become stable, on top of the stable window.
    pub settle_timeout: Duration,
    /// Overrides every stable window of a plan (`--stable-for`).
    pub stable_for: Option<Duration>,
    /// Told how a long wait is going, so a person watching knows it is alive.
    pub heartbeat: Heartbeat,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            poll: Duration::from_secs(2),
            settle_timeout: Duration::from_secs(600),
            stable_for: None,
            heartbeat: Heartbeat::default(),
        }
    }
}

/// Receives a progress line.
type Beat = std::sync::Arc<dyn Fn(&str) + Send + Sync>;

/// Where progress of a long wait goes (the CLI: stderr); silent by default.
#[derive(Clone, Default)]
pub struct Heartbeat(Option<Beat>);

impl Heartbeat {
    /// A heartbeat calling `f` with each progress line.
    pub fn new(f: impl Fn(&str) + Send + Sync + 'static) -> Heartbeat {
        Heartbeat(Some(std::sync::Arc::new(f)))
    }

    /// Says how a wait is going.
    pub fn beat(&self, line: &str) {
        if let Some(f) = &self.0 {
            f(line);
        }
    }
}

impl std::fmt::Debug for Heartbeat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_some() {
            "Heartbeat(on)"
        } else {
            "Heartbeat(off)"
        })
    }
}

/// The cluster's notion of now: the newest Lease renewal in `namespace`
/// (leader-elected controllers renew every few seconds), else this machine's
/// clock. A snapshot served by `unloop replay` runs on the snapshot's clock,
/// and GC ages must be judged on the cluster's.
pub async fn cluster_now(api: &crate::Api, namespace: &str) -> jiff::Timestamp {
    let path =
        unloop_kube::request::collection("coordination.k8s.io", "v1", "leases", Some(namespace));
    let leases = api
        .list(&path, unloop_kube::request::Query::default())
        .await
        .unwrap_or_default();
    leases
        .iter()
        .filter_map(|l| l["spec"]["renewTime"].as_str())
        .filter_map(|t| t.parse::<jiff::Timestamp>().ok())
        .max()
        .unwrap_or_else(jiff::Timestamp::now)
}

/// `1m30s` for people.
pub fn human(d: Duration) -> String {
    unloop_core::remedy::gc::format_duration(d)
}
