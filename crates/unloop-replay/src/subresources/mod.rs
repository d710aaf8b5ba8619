//! Subresources: `pods/log`, `*/scale`, `pods/eviction` (status is an update
//! of one part of the object, see [`crate::write::Part`]).

pub mod eviction;
pub mod log;
pub mod scale;
