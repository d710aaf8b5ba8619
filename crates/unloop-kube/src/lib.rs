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
//!
//! Read-only by construction: [`request`] builds GETs only.
//!
//! [`EvidenceBuilder`]: unloop_core::evidence::EvidenceBuilder

pub mod collect;
pub mod connect;
pub mod error;
pub mod limits;
pub mod pace;
pub mod progress;
pub mod rbac;
pub mod request;
pub mod scope;

mod counts;
mod ingest;

pub use collect::{Collection, Gap, collect};
pub use connect::{ConnectOptions, connect};
pub use error::LiveError;
pub use limits::Limits;
pub use progress::Progress;
pub use scope::{Scope, Target};
