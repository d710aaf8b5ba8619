//! Reads a live cluster (or anything that speaks the Kubernetes API, such as
//! `unloop replay`) into the same evidence model the offline readers produce,
//! so the same rules, reports and plans apply.
//!
//! - [`scope`]: what to look at (`-A`, `-n`, `pod/NAME`, `deployment/NAME`).
//! - [`limits`]: every bound (logs, pages, concurrency, rate, deadline).
//! - [`pace`]: the request discipline: semaphore, token bucket, retries, deadline.
//! - [`request`]: the only requests made, all GETs, built in one place.
//! - [`rbac`]: which rule grants what a 401/403 denied.
//! - [`collect`]: what to read, in which order, into an [`EvidenceBuilder`].
//! - [`page`]: a list page read item by item, never whole.
//! - [`ingest`]: list items typed and converted as the offline readers do.
//! - [`record`] and [`snapshot`]: what was read, raw, written as an evidence
//!   folder (`unloop snapshot`).
//!
//! Read-only by construction: [`request`] builds GETs only.
//!
//! [`EvidenceBuilder`]: unloop_core::evidence::EvidenceBuilder

pub mod collect;
pub mod connect;
pub mod error;
pub mod limits;
pub mod pace;
pub mod page;
pub mod progress;
pub mod rbac;
pub mod record;
pub mod request;
pub mod scope;
pub mod snapshot;

mod counts;
pub mod ingest;

pub use collect::{Collection, Gap, collect, collect_recording};
pub use connect::{ConnectOptions, connect};
pub use error::LiveError;
pub use limits::Limits;
pub use progress::Progress;
pub use record::Recorder;
pub use scope::{Scope, Target};
pub use snapshot::{SnapshotError, SnapshotRecorder, SnapshotStats};
