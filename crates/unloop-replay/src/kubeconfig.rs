//! A kubeconfig for a replay: plain HTTP on loopback, context `unloop-replay`.

use std::path::Path;

use crate::error::ReplayError;

/// The context (and cluster and user) name.
pub const CONTEXT: &str = "unloop-replay";

/// A kubeconfig pointing at `server` (`http://127.0.0.1:PORT`).
pub fn kubeconfig(server: &str, namespace: &str) -> String {
    format!(
        "apiVersion: v1
kind: Config
clusters:
- name: {CONTEXT}
  cluster:
    server: {server}
    insecure-skip-tls-verify: true
contexts:
- name: {CONTEXT}
  context:
    cluster: {CONTEXT}
    user: {CONTEXT}
    namespace: {namespace}
current-context: {CONTEXT}
users:
- name: {CONTEXT}
  user: {{}}
preferences: {{}}
"
    )
}

/// Writes [`kubeconfig`] to `path`.
pub fn write_kubeconfig(path: &Path, server: &str) -> Result<(), ReplayError> {
    std::fs::write(path, kubeconfig(server, "default")).map_err(|source| ReplayError::Kubeconfig {
        path: path.display().to_string(),
        source,
    })
}
