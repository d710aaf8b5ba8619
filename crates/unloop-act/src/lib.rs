//! Carries out unloop's remediation plan against a live cluster (or
//! `unloop replay --simulate`), safely:
//!
//! - **Dry-run first.** [`Api`] sends every write with `dryRun=All` unless
//!   it was built to apply, so a dry run shows the server's own answer (the
//!   object as it would become, refusals included) and changes nothing.
//! - **Idempotent.** Every operation reads the object first and does nothing
//!   when it is already as wanted; writes carry the resourceVersion they were
//!   computed from, and a 409 means read again and recompute.
//! - **Audited and resumable.** [`AuditLog`] records each applied step
//!   (JSON lines: time, step, object, before, after, result); a later run of
//!   the same plan skips what the log shows finished.
//! - **Bounded.** Operations touch only the objects their step names, check
//!   their preconditions first and verify after.
//!
//! Layout: [`api`] (the only place requests are made), [`ops`] (one module
//! per kind of change), [`runner`] (a plan's steps in order, with
//! confirmation and the audit log), [`diff`] (what a change does to an
//! object, for people).

pub mod api;
pub mod audit;
pub mod cluster;
pub mod diff;
pub mod error;
pub mod ops;
pub mod outcome;
pub mod runner;

pub use api::Api;
pub use audit::AuditLog;
pub use error::ActError;
pub use outcome::{Outcome, StepReport};
pub use runner::{Confirm, ConfirmFn, Runner, RunnerOptions};
