//! `unloop replay` as users run it: the address printed, the kubeconfig
//! written, the API answering on loopback.

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;

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
    let served = common::serve_plain(&dir);
    let url = format!("http://{}", served.addr);
    let addr = served.addr.as_str();
    let config = std::fs::read_to_string(&served.kubeconfig).unwrap();
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
    drop(served);
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
