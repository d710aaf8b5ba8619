//! A replay of the bundled incident served by the real binary, and plain
//! HTTP reads of it, for the CLI tests that change a cluster.

#![allow(dead_code)] // Each test file uses its own part.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::Value;

pub const BAD_NODE: &str = "gke-prod-pool-1-3f9c2a1b-x7kq";

pub fn incident() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop")
}

/// A served replay, killed on drop.
pub struct Served {
    child: Child,
    pub addr: String,
    pub kubeconfig: PathBuf,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The incident served with the controllers simulated (fast ticks), its
/// kubeconfig written in `dir`.
pub fn serve(dir: &Path) -> Served {
    spawn(
        dir,
        &["--simulate", "--tick", "200ms", "--start-delay", "200ms"],
    )
}

/// The incident served as it was captured (no simulation).
pub fn serve_plain(dir: &Path) -> Served {
    spawn(dir, &[])
}

fn spawn(dir: &Path, extra: &[&str]) -> Served {
    let kubeconfig = dir.join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_unloop"))
        .arg("replay")
        .arg(incident())
        .args(["--port", "0", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .args(extra)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first line announces the address: the server is up.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let addr = first
        .split_whitespace()
        .find_map(|w| w.strip_prefix("http://"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    // Keep reading: the server prints more, and a closed pipe would kill it.
    std::thread::spawn(move || lines.for_each(drop));
    Served {
        child,
        addr,
        kubeconfig,
    }
}

/// GET over HTTP/1.0 (no chunked bodies to undo), as JSON.
pub fn get(addr: &str, path: &str) -> Value {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(s, "GET {path} HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    assert!(
        head.starts_with("HTTP/1.1 200") || head.starts_with("HTTP/1.0 200"),
        "{head}"
    );
    serde_json::from_str(body).unwrap()
}

/// Runs `unloop ARGS` with stdin closed.
pub fn unloop(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_unloop"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

/// stdout and stderr together, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "{}\n--- stderr ---\n{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// A fresh scratch folder for one test.
pub fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("unloop-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
