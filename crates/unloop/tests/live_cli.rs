//! `unloop diagnose` with no PATH against `unloop replay` on loopback: the
//! same findings as offline on the same files, and the same exit code.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use serde_json::Value;

fn incident() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop")
}

/// Kills the replay when the test ends, pass or fail.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(kubeconfig: &PathBuf) -> Server {
    let mut child = Command::new(env!("CARGO_BIN_EXE_unloop"))
        .arg("replay")
        .arg(incident())
        .args(["--port", "0", "--kubeconfig-out"])
        .arg(kubeconfig)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The first line announces the address: the server is up.
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    lines.next().unwrap().unwrap();
    // Keep reading: a closed pipe would end the server at its next line.
    std::thread::spawn(move || for _ in lines {});
    Server(child)
}

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
    let kubeconfig = dir.join("kubeconfig");
    let _server = serve(&kubeconfig);

    let (off_code, off) = diagnose(&[incident().to_str().unwrap()]);
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
