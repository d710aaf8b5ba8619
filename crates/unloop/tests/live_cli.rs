//! `unloop diagnose` with no PATH against `unloop replay` on loopback: the
//! same findings as offline on the same files, and the same exit code.

mod common;

use std::process::Command;

use serde_json::Value;

fn diagnose(args: &[&str]) -> (i32, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_unloop"))
        .arg("diagnose")
        .args(args)
        .args(["-o", "json"])
        .output()
        .unwrap();
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("{e}: {}", String::from_utf8_lossy(&out.stderr));
    });
    (out.status.code().unwrap(), v)
}

/// Subject, verdict and (cause, score) of one workload.
type Brief = (String, String, Vec<(String, f64)>);

/// [`Brief`]s of every workload.
fn summary(d: &Value) -> Vec<Brief> {
    d["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            let f = w["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| {
                    (
                        f["cause"].as_str().unwrap().to_owned(),
                        f["score"].as_f64().unwrap(),
                    )
                })
                .collect();
            (
                w["subject"].as_str().unwrap().to_owned(),
                w["verdict"].as_str().unwrap().to_owned(),
                f,
            )
        })
        .collect()
}

#[test]
fn live_diagnosis_of_the_replay_matches_offline() {
    let dir = std::env::temp_dir().join(format!("unloop-live-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let served = common::serve_plain(&dir);
    let kubeconfig = served.kubeconfig.clone();

    let (off_code, off) = diagnose(&[common::incident().to_str().unwrap()]);
    let (now_arg, kc) = (
        format!("--now={}", off["taken_at"].as_str().unwrap()),
        kubeconfig.to_str().unwrap().to_owned(),
    );
    let (code, live) = diagnose(&["--kubeconfig", &kc, "-A", &now_arg]);
    assert_eq!((off_code, code), (1, 1));
    let (a, b) = (summary(&off), summary(&live));
    assert_eq!(a.len(), b.len());
    for (o, l) in a.iter().zip(&b) {
        assert_eq!((&o.0, &o.1), (&l.0, &l.1));
        assert_eq!(o.2.len(), l.2.len(), "{}", o.0);
        for (fo, fl) in o.2.iter().zip(&l.2) {
            assert_eq!(fo.0, fl.0);
            assert!((fo.1 - fl.1).abs() <= 0.05, "{}: {fo:?} vs {fl:?}", o.0);
        }
    }

    // A target: the crash-looping Deployment alone.
    let (code, one) = diagnose(&[
        "--kubeconfig",
        &kc,
        "-n",
        "knative-serving",
        "deployment/net-istio-controller",
        &now_arg,
    ]);
    assert_eq!(code, 1);
    assert_eq!(summary(&one)[0].1, a[0].1);
    let _ = std::fs::remove_dir_all(&dir);
}
