//! The command line as users run it: exit codes, formats, colour, bad input.

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

fn unloop(args: &[&str], stdin: Option<&str>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_unloop"));
    cmd.args(args)
        .env_remove("NO_COLOR")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("run unloop");
    if let Some(s) = stdin {
        // The process may exit before reading (a usage error): ignore a broken pipe.
        let _ = child.stdin.take().unwrap().write_all(s.as_bytes());
    } else {
        drop(child.stdin.take());
    }
    child.wait_with_output().unwrap()
}

fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("unloop-cli-{}-{name}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, contents).unwrap();
    p
}

const CRASHING_LOG: &str = "\
{\"level\":\"error\",\"ts\":1624113539.1720476,\"logger\":\"setup\",\"msg\":\"unable to start manager\",\"error\":\"error listening on :8080: listen tcp :8080: bind: address already in use\"}
";

#[test]
fn problems_found_exit_1_and_healthy_exit_0() {
    let out = unloop(&["diagnose", "-"], Some(CRASHING_LOG));
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let healthy = "2024/03/27 18:30:28 Registering 3 clients\n2024/03/27 18:30:29 all good\n";
    let out = unloop(&["diagnose", "-"], Some(healthy));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("No troubled workloads"));
}

#[test]
fn usage_and_unreadable_input_exit_2() {
    assert_eq!(unloop(&["diagnose"], None).status.code(), Some(2));
    assert_eq!(
        unloop(&["diagnose", "--now", "yesterday", "-"], Some(CRASHING_LOG))
            .status
            .code(),
        Some(2)
    );
    let bin = temp_file("core.bin", b"\x7fELF\x02\x01\x01\x00\x00\x00\x00");
    let out = unloop(&["diagnose", bin.to_str().unwrap()], None);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("core.bin") && err.contains("binary data at byte offset"),
        "{err}"
    );
}

#[test]
fn json_output_is_versioned_and_cites_sources() {
    let out = unloop(&["diagnose", "-o", "json", "-"], Some(CRASHING_LOG));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("valid JSON");
    assert_eq!(v["schema_version"], 1);
    let f = &v["workloads"][0]["findings"][0];
    assert!(f["cause"].is_string());
    assert!(
        f["score"]
            .as_f64()
            .is_some_and(|s| (0.0..=1.0).contains(&s))
    );
    assert!(
        f["evidence"][0]["source"]
            .as_str()
            .unwrap()
            .starts_with("<stdin>:1")
    );
}

#[test]
fn piped_output_has_no_colour_unless_forced() {
    let plain = unloop(&["diagnose", "-"], Some(CRASHING_LOG));
    assert!(!plain.stdout.contains(&0x1b));
    let forced = unloop(&["diagnose", "--color", "always", "-"], Some(CRASHING_LOG));
    assert!(forced.stdout.contains(&0x1b));
}

#[test]
fn terminal_report_fits_80_columns() {
    let out = unloop(&["diagnose", "-"], Some(CRASHING_LOG));
    let text = String::from_utf8(out.stdout).unwrap();
    for line in text.lines() {
        // Commands and citations are never broken; everything else folds.
        if line.trim_start().starts_with('$') || line.trim_start().starts_with('[') {
            continue;
        }
        assert!(line.chars().count() <= 80, "{line:?}");
    }
}

#[test]
fn markdown_output_has_headings() {
    let out = unloop(&["diagnose", "-o", "markdown", "-"], Some(CRASHING_LOG));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.starts_with("# unloop diagnosis"));
    assert!(text.contains("**Verdict:**"));
}

#[test]
fn evidence_reports_kinds_and_secret_free_json() {
    let log =
        "time=\"2024-03-27T18:30:28Z\" level=error msg=\"login failed\" password=hunter2hunter2\n";
    let out = unloop(&["evidence", "-o", "json", "-"], Some(log));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains("hunter2hunter2"), "{text}");
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["inputs"][0]["kind"], "container-log");
}

#[test]
fn gc_plan_answers_what_if_questions() {
    let example = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/net-istio-crashloop"
    );
    let deletions = |extra: &[&str]| -> usize {
        let mut args = vec!["gc", "plan", "-o", "json", example];
        args.extend_from_slice(extra);
        let out = unloop(&args, None);
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let all: Vec<&serde_json::Value> = v["configurations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|c| c["decisions"].as_array().unwrap())
            .collect();
        for d in &all {
            for key in ["namespace", "name", "action", "reason"] {
                assert!(d[key].is_string(), "{key} missing in {d}");
            }
        }
        all.iter().filter(|d| d["action"] == "delete").count()
    };
    let defaults = deletions(&[]);
    let tight = deletions(&[
        "--set",
        "max-non-active-revisions=5",
        "--set",
        "min-non-active-revisions=2",
    ]);
    assert!(tight > defaults * 10, "{defaults} -> {tight}");
    let bad = unloop(&["gc", "plan", example, "--set", "max-revisions=3"], None);
    assert_eq!(bad.status.code(), Some(2));
}
