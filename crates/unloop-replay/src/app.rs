//! The state every request shares: the store, what is served, the logs, the clock.

use std::path::PathBuf;
use std::time::Duration;

use crate::clock::Clock;
use crate::load::{Snapshot, load_paths};
use crate::logs::Logs;
use crate::resources::Resources;
use crate::store::{DEFAULT_HISTORY, Store};

/// How a replay behaves.
#[derive(Debug, Clone)]
pub struct Options {
    /// Changes kept for continue tokens and watches from older versions;
    /// older ones get 410 Gone.
    pub history: usize,
    /// How often a watch that allows bookmarks gets one.
    pub bookmark_interval: Duration,
    /// How long a watch without `timeoutSeconds` stays open.
    pub default_watch_timeout: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            history: DEFAULT_HISTORY,
            bookmark_interval: Duration::from_secs(60),
            default_watch_timeout: Duration::from_secs(30 * 60),
        }
    }
}

/// A loaded snapshot being served.
pub struct Replay {
    pub store: Store,
    pub resources: Resources,
    pub logs: Logs,
    pub clock: Clock,
    pub options: Options,
    /// What `/version` reports.
    pub git_version: String,
    /// Notes from loading (skipped inputs and objects).
    pub notes: Vec<String>,
    /// Objects loaded.
    pub loaded: usize,
}

/// The version reported when the snapshot does not say (no Nodes in it).
const DEFAULT_VERSION: &str = "v1.33.0";

impl Replay {
    /// Loads `paths` and prepares to serve them.
    pub fn load(paths: &[PathBuf], options: Options) -> Replay {
        Replay::from_snapshot(load_paths(paths, options.history), options)
    }

    /// Serves an already loaded snapshot.
    pub fn from_snapshot(s: Snapshot, options: Options) -> Replay {
        Replay {
            clock: s.taken_at.map_or_else(Clock::real, Clock::starting_at),
            git_version: s
                .kubernetes_version
                .unwrap_or_else(|| DEFAULT_VERSION.into()),
            store: s.store,
            resources: s.resources,
            logs: s.logs,
            options,
            notes: s.notes,
            loaded: s.objects,
        }
    }

    /// An empty cluster (built-in kinds, the `default` namespace), for tests
    /// and benchmarks.
    pub fn empty(options: Options) -> Replay {
        Replay::from_snapshot(load_paths(&[], options.history), options)
    }
}
