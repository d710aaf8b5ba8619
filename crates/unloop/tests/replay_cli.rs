//! `unloop replay` as users run it: the address printed, the kubeconfig
//! written, the API answering on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn incident() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop")
}

/// A plain HTTP/1.1 GET, so this test needs no client library.
fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

#[test]
fn replay_prints_its_address_writes_a_kubeconfig_and_serves() {
    let dir = std::env::temp_dir().join(format!("unloop-replay-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let kubeconfig = dir.join("kubeconfig");
    let mut child = Command::new(env!("CARGO_BIN_EXE_unloop"))
        .arg("replay")
        .arg(incident())
        .args(["--port", "0", "--kubeconfig-out"])
        .arg(&kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = first
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();
    let addr = url.trim_start_matches("http://");
    let config = std::fs::read_to_string(&kubeconfig).unwrap();
    assert!(config.contains(&format!("server: {url}")), "{config}");
    assert!(
        config.contains("current-context: unloop-replay"),
        "{config}"
    );
    let version = get(addr, "/version");
    assert!(version.starts_with("HTTP/1.1 200"), "{version}");
    assert!(
        version.contains("\"gitVersion\":\"v1.26.12-gke.1111000\""),
        "{version}"
    );
    let pod = get(
        addr,
        "/api/v1/namespaces/knative-serving/pods/net-istio-controller-5f7c9d8b46-k8x2p",
    );
    assert!(pod.contains("CrashLoopBackOff"), "{pod}");
    let missing = get(addr, "/api/v1/namespaces/knative-serving/pods/nope");
    assert!(missing.starts_with("HTTP/1.1 404"), "{missing}");
    assert!(missing.contains("\"reason\":\"NotFound\""), "{missing}");
    child.kill().unwrap();
    child.wait().unwrap();
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn replay_of_nothing_readable_is_an_error() {
    let dir = std::env::temp_dir().join(format!("unloop-replay-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "nothing to serve\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_unloop"))
        .arg("replay")
        .arg(&dir)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no Kubernetes object"));
    std::fs::remove_dir_all(&dir).ok();
}
