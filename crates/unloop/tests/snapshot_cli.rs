//! `unloop snapshot` against `unloop replay` on loopback: the folder it writes
//! diagnoses offline as the cluster does live.

mod common;

use common::unloop;

use serde_json::Value;

/// (subject, verdict, causes in order) of every workload of a JSON diagnosis.
fn summary(out: &std::process::Output) -> Vec<(String, String, Vec<String>)> {
    let d: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
    d["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["subject"].as_str().unwrap().to_owned(),
                w["verdict"].as_str().unwrap().to_owned(),
                w["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["cause"].as_str().unwrap().to_owned())
                    .collect(),
            )
        })
        .collect()
}

#[test]
fn snapshot_of_the_replay_diagnoses_as_live() {
    let dir = std::env::temp_dir().join(format!("unloop-snapshot-cli-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let served = common::serve_plain(&dir);
    let kubeconfig = served.kubeconfig.clone();
    let kc = kubeconfig.to_str().unwrap();
    let out = dir.join("snap");
    let snap = out.to_str().unwrap();

    let s = unloop(&["snapshot", "-A", "--kubeconfig", kc, "--out", snap, "-v"]);
    let err = String::from_utf8_lossy(&s.stderr);
    assert_eq!(s.status.code(), Some(0), "{err}");
    assert!(
        err.contains("requests") && err.contains("bytes received"),
        "{err}"
    );
    assert!(err.contains(&format!("wrote {snap}")), "{err}");
    assert!(out.join("knative-serving/leases.json").is_file());

    let off = unloop(&["diagnose", "-o", "json", snap]);
    let live = unloop(&["diagnose", "-o", "json", "-A", "--kubeconfig", kc]);
    assert_eq!(off.status.code(), Some(1));
    assert_eq!(live.status.code(), Some(1));
    let (a, b) = (summary(&off), summary(&live));
    assert!(!a.is_empty());
    assert_eq!(a, b);

    // A second snapshot into the same folder is refused, not mixed in.
    let again = unloop(&["snapshot", "-A", "--kubeconfig", kc, "--out", snap]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stderr).contains("not empty"));
    let _ = std::fs::remove_dir_all(&dir);
}
