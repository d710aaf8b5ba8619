//! Which cluster a kubeconfig points at, as a stable name: the audit log
//! keys resumable runs by it, so a run is never resumed against another
//! cluster.

use std::path::Path;

use kube::config::Kubeconfig;

/// `context (server)` for the kubeconfig at `path` (else KUBECONFIG or
/// ~/.kube/config) and `context` (else the current one); `in-cluster` when
/// there is no kubeconfig and a service account is used.
pub fn identity(path: Option<&Path>, context: Option<&str>) -> String {
    let kc = match path {
        Some(p) => Kubeconfig::read_from(p).ok(),
        None => Kubeconfig::read().ok(),
    };
    let Some(kc) = kc else {
        return match std::env::var("KUBERNETES_SERVICE_HOST") {
            Ok(host) => format!("in-cluster ({host})"),
            Err(_) => "unknown".to_owned(),
        };
    };
    let ctx_name = context
        .map(str::to_owned)
        .or_else(|| kc.current_context.clone())
        .unwrap_or_default();
    let cluster = kc
        .contexts
        .iter()
        .find(|c| c.name == ctx_name)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.clone())
        .unwrap_or_default();
    let server = kc
        .clusters
        .iter()
        .find(|c| c.name == cluster)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone())
        .unwrap_or_default();
    format!("{ctx_name} ({server})")
}
