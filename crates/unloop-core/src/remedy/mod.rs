//! Remediation planning: what to do about the causes found, in what order, with
//! exact commands and patches. (Applying them lives with the cluster operations.)

pub mod gc;
pub mod plan;
pub mod steps;
