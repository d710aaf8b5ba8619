//! Errors at the crate boundary.

use std::path::PathBuf;

use unloop_kube::pace::CallError;

/// Why an operation did not do what it was asked.
#[derive(Debug, thiserror::Error)]
pub enum ActError {
    /// A request failed after the retries that made sense.
    #[error("{what}: {source}")]
    Call {
        /// The request, as `PATCH /api/v1/nodes/n1`.
        what: String,
        source: CallError,
    },
    /// The object to change does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A precondition of the step does not hold; nothing was changed.
    #[error("precondition not met: {0}")]
    Precondition(String),
    /// The object kept changing under us (409 after every fresh read).
    #[error("{0} kept changing while being updated (409 after {1} fresh reads)")]
    Conflict(String, u32),
    /// A patch or setting that cannot be applied as written.
    #[error("invalid change: {0}")]
    Invalid(String),
    /// The audit log could not be read or written (applying stops: an
    /// unaudited change is not made).
    #[error("audit log {}: {source}", path.display())]
    Audit {
        path: PathBuf,
        source: std::io::Error,
    },
    /// A line of the audit log is not a record unloop wrote.
    #[error("audit log {}:{line}: {message}", path.display())]
    AuditFormat {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl ActError {
    /// The request error `source` of `what`.
    pub fn call(what: impl Into<String>, source: CallError) -> ActError {
        ActError::Call {
            what: what.into(),
            source,
        }
    }
}
