//! unloop-gen: deterministic, fast generators of large Kubernetes evidence for benchmarks.
//!
//! * [`dump::dump`] writes a `kubectl cluster-info dump --output-directory` tree of a target size;
//! * [`revisions::revisions`] writes a `kubectl get revisions.serving.knative.dev -A -o json` list.
//!
//! Only `std` is used; randomness comes from [`rng::Rng`] (xorshift64*), so the same seed gives
//! the same bytes everywhere.

pub mod dump;
pub mod json;
pub mod logs;
pub mod revisions;
pub mod rng;
pub mod time;
pub mod words;

#[cfg(test)]
mod tests;
