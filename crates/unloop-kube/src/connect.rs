//! A client from kubectl's flags: `--kubeconfig`, `--context`, else
//! KUBECONFIG / ~/.kube/config, else the in-cluster service account.

use std::path::PathBuf;

use kube::Client;
use kube::config::{Config, KubeConfigOptions, Kubeconfig};

use crate::error::LiveError;

/// Where the cluster is.
#[derive(Debug, Clone, Default)]
pub struct ConnectOptions {
    /// A kubeconfig file instead of KUBECONFIG / ~/.kube/config.
    pub kubeconfig: Option<PathBuf>,
    /// A context other than the current one.
    pub context: Option<String>,
}

/// A client for the cluster `o` names; its default namespace is the context's.
pub async fn connect(o: &ConnectOptions) -> Result<Client, LiveError> {
    let kco = KubeConfigOptions {
        context: o.context.clone(),
        ..Default::default()
    };
    let config = match (&o.kubeconfig, &o.context) {
        (Some(path), _) => {
            let kc = Kubeconfig::read_from(path)
                .map_err(|e| LiveError::Config(format!("{}: {e}", path.display())))?;
            Config::from_custom_kubeconfig(kc, &kco)
                .await
                .map_err(|e| LiveError::Config(e.to_string()))?
        }
        (None, Some(_)) => Config::from_kubeconfig(&kco)
            .await
            .map_err(|e| LiveError::Config(e.to_string()))?,
        // Kubeconfig first, then the in-cluster service account, as kubectl does.
        (None, None) => Config::infer()
            .await
            .map_err(|e| LiveError::Config(e.to_string()))?,
    };
    Client::try_from(config).map_err(|e| LiveError::Client(e.to_string()))
}
