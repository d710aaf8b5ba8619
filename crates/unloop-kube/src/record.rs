//! A sink for what the collector reads, as the API returned it: the raw
//! side of a collection, for `unloop snapshot` (see [`crate::snapshot`]).
//!
//! The collector hands every object it ingests and every log it keeps to the
//! recorder as well, at the same points and in the same order, so a snapshot
//! read offline yields the evidence the live diagnosis had.

use serde_json::Value;

/// Receives what a collection read.
pub trait Recorder: Send + Sync {
    /// One object with `kind` and `apiVersion` set. Metadata-only reads
    /// (counted resources) come as their own kind with only `metadata`.
    fn object(&self, obj: &Value);
    /// The log of one container run, as fetched (bounded by the limits).
    fn log(&self, namespace: &str, pod: &str, container: &str, previous: bool, text: &str);
}
