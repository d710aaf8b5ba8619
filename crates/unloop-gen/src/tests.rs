//! Determinism and validity of the generated output.

use std::fs;
use std::path::{Path, PathBuf};

use crate::dump::{DumpOptions, dump, parse_size};
use crate::revisions::revisions;

fn tmpdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("unloop-gen-test-{}-{}", name, std::process::id()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            walk(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn files(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v = Vec::new();
    walk(dir, &mut v);
    v.sort();
    v.into_iter()
        .map(|p| {
            (
                p.strip_prefix(dir).unwrap().display().to_string(),
                fs::read(&p).unwrap(),
            )
        })
        .collect()
}

#[test]
fn dump_is_deterministic_and_valid() {
    let a = tmpdir("a");
    let b = tmpdir("b");
    let c = tmpdir("c");
    let sa = dump(&DumpOptions {
        out: a.clone(),
        size: 3 << 20,
        seed: 42,
    })
    .unwrap();
    let sb = dump(&DumpOptions {
        out: b.clone(),
        size: 3 << 20,
        seed: 42,
    })
    .unwrap();
    let sc = dump(&DumpOptions {
        out: c.clone(),
        size: 3 << 20,
        seed: 43,
    })
    .unwrap();
    assert_eq!(sa, sb);
    assert!(sa.bytes >= 3 << 20, "{sa:?}");
    let fa = files(&a);
    let fb = files(&b);
    assert_eq!(fa.len(), fb.len());
    for ((na, da), (nb, db)) in fa.iter().zip(fb.iter()) {
        assert_eq!(na, nb);
        assert!(da == db, "{na} differs between runs");
    }
    assert_ne!(files(&c), fa, "another seed gives another dump");
    assert_ne!(sc, sa);

    let mut kinds = std::collections::BTreeSet::new();
    let mut logs = 0;
    for (name, data) in &fa {
        let total: u64 = data.len() as u64;
        assert!(total > 0, "{name} is empty");
        if name.ends_with(".json") {
            let v: serde_json::Value =
                serde_json::from_slice(data).unwrap_or_else(|e| panic!("{name}: {e}"));
            let kind = v["kind"].as_str().unwrap().to_string();
            assert!(v["items"].is_array(), "{name}");
            assert!(v["metadata"]["resourceVersion"].is_string(), "{name}");
            for item in v["items"].as_array().unwrap() {
                assert!(
                    item.get("kind").is_none(),
                    "{name}: items carry no kind, as in a typed list"
                );
                assert!(item["metadata"]["name"].is_string(), "{name}");
                assert!(
                    item["metadata"]["managedFields"].is_array()
                        || kind == "ReplicationControllerList",
                    "{name}"
                );
            }
            kinds.insert(kind);
            // Go's MarshalIndent: 4-space indentation, HTML characters escaped, trailing newline
            let text = std::str::from_utf8(data).unwrap();
            assert!(text.starts_with("{\n    \"kind\": "), "{name}");
            assert!(text.ends_with("}\n"), "{name}");
            assert!(!text.contains('<') && !text.contains('>'), "{name}");
        } else {
            assert!(name.ends_with("logs.txt"), "{name}");
            logs += 1;
            let text = String::from_utf8(data.clone()).unwrap();
            let starts = text.matches("==== START logs for container ").count();
            let ends = text.matches("==== END logs for container ").count();
            assert!(
                starts > 0 && starts == ends,
                "{name}: {starts} START vs {ends} END"
            );
            assert!(text.ends_with(" ====\n"), "{name}");
        }
    }
    assert!(logs > 10);
    for k in [
        "NodeList",
        "EventList",
        "PodList",
        "DeploymentList",
        "ReplicaSetList",
        "ServiceList",
        "DaemonSetList",
        "ReplicationControllerList",
    ] {
        assert!(kinds.contains(k), "missing {k}");
    }
    for d in [a, b, c] {
        let _ = fs::remove_dir_all(d);
    }
}

#[test]
fn dump_logs_mix_formats() {
    let d = tmpdir("mix");
    dump(&DumpOptions {
        out: d.clone(),
        size: 8 << 20,
        seed: 7,
    })
    .unwrap();
    let mut all = String::new();
    for (name, data) in files(&d) {
        if name.ends_with("logs.txt") {
            all.push_str(&String::from_utf8(data).unwrap());
        }
    }
    for needle in [
        "] \"Reconciling\" ",
        "{\"severity\":\"INFO\",\"timestamp\":",
        "\tINFO\tReconciling\t{\"controller\": ",
        "{\"level\":\"info\",\"ts\":\"",
        "\"DeltaFIFO Pop Process\"",
        "HTTP/1.1\" ",
        "Back-off",
        "panic: ",
    ] {
        if needle == "Back-off" {
            continue; // events only
        }
        assert!(all.contains(needle), "no {needle:?} in the logs");
    }
    // every Knative zap line is one valid JSON object
    for line in all
        .lines()
        .filter(|l| l.starts_with("{\"severity\""))
        .take(2000)
    {
        let v: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{line}: {e}"));
        assert!(v["message"].is_string());
    }
    let _ = fs::remove_dir_all(d);
}

#[test]
fn revisions_are_deterministic_and_valid() {
    let d = tmpdir("rev");
    fs::create_dir_all(&d).unwrap();
    let a = d.join("a.json");
    let b = d.join("b.json");
    let sa = revisions(1500, 9, &a).unwrap();
    let sb = revisions(1500, 9, &b).unwrap();
    assert_eq!(sa, sb);
    assert_eq!(fs::read(&a).unwrap(), fs::read(&b).unwrap());
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&a).unwrap()).unwrap();
    assert_eq!(v["kind"], "List");
    assert_eq!(v["metadata"]["resourceVersion"], "");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 1500);
    assert_eq!(sa.revisions, 1500);
    let mut reserve = 0;
    let mut last_key = (String::new(), String::new());
    for it in items {
        assert_eq!(it["kind"], "Revision");
        let labels = &it["metadata"]["labels"];
        let cfg = labels["serving.knative.dev/configuration"]
            .as_str()
            .unwrap();
        assert!(it["metadata"]["name"].as_str().unwrap().starts_with(cfg));
        assert_eq!(it["metadata"]["ownerReferences"][0]["name"], cfg);
        if labels["serving.knative.dev/routingState"] == "reserve" {
            reserve += 1;
        }
        let key = (
            it["metadata"]["namespace"].as_str().unwrap().to_string(),
            it["metadata"]["name"].as_str().unwrap().to_string(),
        );
        assert!(key.0 >= last_key.0, "sorted by namespace");
        last_key = key;
        assert_eq!(it["status"]["conditions"].as_array().unwrap().len(), 4);
    }
    assert!(reserve > 1000, "mostly reserve revisions: {reserve}");
    assert!(sa.no_gc > 0 && sa.active > 0);
    let empty = d.join("empty.json");
    revisions(0, 1, &empty).unwrap();
    let v: serde_json::Value = serde_json::from_slice(&fs::read(&empty).unwrap()).unwrap();
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    let _ = fs::remove_dir_all(d);
}

#[test]
fn sizes_parse() {
    assert_eq!(parse_size("1GiB"), Some(1 << 30));
    assert_eq!(parse_size("500MiB"), Some(500 << 20));
    assert_eq!(parse_size("10MB"), Some(10_000_000));
    assert_eq!(parse_size("4096"), Some(4096));
    assert_eq!(parse_size("1.5GiB"), Some(3 << 29));
    assert_eq!(parse_size("lots"), None);
}
