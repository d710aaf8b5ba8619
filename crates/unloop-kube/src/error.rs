//! Errors at the crate boundary. Failures of single requests are not errors:
//! they become [`crate::Gap`]s and the diagnosis runs on what was collected.

/// Why the live cluster could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum LiveError {
    /// No kubeconfig, a bad context, or no in-cluster service account.
    #[error("cannot configure a Kubernetes client: {0}")]
    Config(String),
    /// The client could not be built from the configuration (TLS, proxy).
    #[error("cannot build a Kubernetes client: {0}")]
    Client(String),
    /// A target that is not `pod/NAME`, `deployment/NAME` or `namespace/NAME`.
    #[error("{0:?} is not a target: use pod/NAME, deployment/NAME or namespace/NAME")]
    Target(String),
    /// The scope itself could not be listed (not a missing detail: nothing to diagnose).
    #[error("cannot read {what}: {why}")]
    Scope { what: String, why: String },
}
