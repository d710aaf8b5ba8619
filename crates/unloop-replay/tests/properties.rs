//! Properties of lists and watches, on generated stores and changes.

use std::sync::Arc;

use futures_util::StreamExt;
use proptest::prelude::*;
use serde_json::{Value, json};
use unloop_replay::list::list_page;
use unloop_replay::request::{Params, Shape};
use unloop_replay::resources::StorageKey;
use unloop_replay::store::Preconditions;
use unloop_replay::{Options, Replay};

#[derive(Debug, Clone)]
enum Op {
    Create(u8, u8),
    Update(u8, u8),
    Delete(u8, u8),
}

fn ns_name(ns: u8, name: u8) -> (String, String) {
    (format!("ns-{}", ns % 3), format!("cm-{name:03}"))
}

fn ops() -> impl Strategy<Value = Vec<Op>> {
    prop::collection::vec(
        prop_oneof![
            (any::<u8>(), 0u8..40).prop_map(|(a, b)| Op::Create(a, b)),
            (any::<u8>(), 0u8..40).prop_map(|(a, b)| Op::Update(a, b)),
            (any::<u8>(), 0u8..40).prop_map(|(a, b)| Op::Delete(a, b)),
        ],
        0..40,
    )
}

fn cm(ns: &str, name: &str, v: usize) -> Value {
    json!({"kind": "ConfigMap", "apiVersion": "v1",
        "metadata": {"namespace": ns, "name": name, "labels": {"parity": if v.is_multiple_of(2) { "even" } else { "odd" }}},
        "data": {"v": v.to_string()}})
}

/// Applies `op`; returns the watch event it makes (type, namespace/name), if it applied.
fn apply(r: &Replay, op: &Op, step: usize) -> Option<(&'static str, String)> {
    let sk = StorageKey::new("", "configmaps");
    let none = Preconditions::default();
    let (kind, ns, name, res) = match op {
        Op::Create(a, b) => {
            let (ns, name) = ns_name(*a, *b);
            let res = r.store.create(&sk, cm(&ns, &name, step)).is_ok();
            ("ADDED", ns, name, res)
        }
        Op::Update(a, b) => {
            let (ns, name) = ns_name(*a, *b);
            let res = r.store.update(&sk, cm(&ns, &name, step), &none).is_ok();
            ("MODIFIED", ns, name, res)
        }
        Op::Delete(a, b) => {
            let (ns, name) = ns_name(*a, *b);
            let res = r.store.delete(&sk, &ns, &name, &none).is_ok();
            ("DELETED", ns, name, res)
        }
    };
    res.then(|| (kind, format!("{ns}/{name}")))
}

fn names(items: &[Arc<Value>]) -> Vec<String> {
    items
        .iter()
        .map(|o| {
            format!(
                "{}/{}={}",
                o["metadata"]["namespace"].as_str().unwrap(),
                o["metadata"]["name"].as_str().unwrap(),
                o["data"]["v"]
            )
        })
        .collect()
}

fn replay_with(initial: &[(u8, u8)]) -> Replay {
    let r = Replay::empty(Options::default());
    let sk = StorageKey::new("", "configmaps");
    for (i, (a, b)) in initial.iter().enumerate() {
        let (ns, name) = ns_name(*a, *b);
        r.store.load(&sk, cm(&ns, &name, i));
    }
    r
}

fn params(pairs: &[(&str, String)]) -> Params {
    Params(
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), v.clone()))
            .collect(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Pages, however small and whatever changes between them, add up to the
    /// list as it was when the first page was served.
    #[test]
    fn pages_concatenated_equal_the_full_list(
        initial in prop::collection::vec((any::<u8>(), 0u8..40), 0..60),
        page in 1usize..12,
        between in ops(),
        ns in prop::option::of(0u8..3),
        selector in prop::option::of(prop_oneof![Just("parity=even"), Just("parity!=even")]),
    ) {
        let r = replay_with(&initial);
        let res = r.resources.get("", "v1", "configmaps").unwrap();
        let ns = ns.map(|n| format!("ns-{n}"));
        let mut base = Vec::new();
        if let Some(s) = selector {
            base.push(("labelSelector", s.to_owned()));
        }
        let full = list_page(&r, &res, ns.as_deref(), &params(&base)).unwrap();
        prop_assert!(full.continue_token.is_none());
        let mut got = Vec::new();
        let mut token: Option<String> = None;
        let mut pages = 0;
        let mut ops = between.iter();
        loop {
            let mut p = base.clone();
            p.push(("limit", page.to_string()));
            if let Some(t) = &token {
                p.push(("continue", t.clone()));
            }
            let out = list_page(&r, &res, ns.as_deref(), &params(&p)).unwrap();
            prop_assert_eq!(out.resource_version, full.resource_version);
            prop_assert!(out.items.len() <= page);
            if selector.is_none() {
                let left = full.items.len() - got.len() - out.items.len();
                prop_assert_eq!(out.remaining, out.continue_token.as_ref().map(|_| left as u64));
            }
            got.extend(out.items.iter().cloned());
            pages += 1;
            // Writes between pages must not show in the rest of the list.
            for _ in 0..3 {
                if let Some(op) = ops.next() {
                    apply(&r, op, 1000 + pages);
                }
            }
            match out.continue_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        prop_assert_eq!(names(&got), names(&full.items));
        prop_assert_eq!(pages, full.items.len().div_ceil(page).max(1));
    }

    /// A watch from a resourceVersion sees exactly the changes after it, in order.
    #[test]
    fn a_watch_from_a_version_sees_exactly_the_later_changes(
        initial in prop::collection::vec((any::<u8>(), 0u8..40), 0..20),
        before in ops(),
        after in ops(),
        ns in prop::option::of(0u8..3),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let r = Arc::new(replay_with(&initial));
        for (i, op) in before.iter().enumerate() {
            apply(&r, op, i);
        }
        let from = r.store.resource_version();
        let ns = ns.map(|n| format!("ns-{n}"));
        let mut expected: Vec<String> = after
            .iter()
            .enumerate()
            .filter_map(|(i, op)| apply(&r, op, 100 + i))
            .filter(|(_, key)| ns.as_deref().is_none_or(|n| key.starts_with(&format!("{n}/"))))
            .map(|(t, key)| format!("{t} {key}"))
            .collect();
        let sentinel_ns = ns.clone().unwrap_or_else(|| "ns-0".into());
        let res = Arc::new((*r.resources.get("", "v1", "configmaps").unwrap()).clone());
        let seen = rt.block_on(async {
            let p = params(&[("resourceVersion", from.to_string())]);
            let resp = unloop_replay::watch::watch(r.clone(), res, ns.clone(), None, &p, Shape::Full).unwrap();
            // A last change marks the end of what the watch must have sent.
            r.store.create(&StorageKey::new("", "configmaps"), cm(&sentinel_ns, "zz-sentinel", 0)).unwrap();
            let mut body = resp.into_body().into_data_stream();
            let mut buf = Vec::new();
            let mut seen = Vec::new();
            while let Some(chunk) = tokio::time::timeout(std::time::Duration::from_secs(10), body.next()).await.unwrap() {
                buf.extend_from_slice(&chunk.unwrap());
                while let Some(i) = buf.iter().position(|&b| b == b'\n') {
                    let line: Vec<u8> = buf.drain(..=i).collect();
                    let e: Value = serde_json::from_slice(&line).unwrap();
                    let m = &e["object"]["metadata"];
                    seen.push(format!("{} {}/{}", e["type"].as_str().unwrap(), m["namespace"].as_str().unwrap(), m["name"].as_str().unwrap()));
                }
                if seen.last().is_some_and(|s| s.ends_with("zz-sentinel")) {
                    break;
                }
            }
            seen
        });
        expected.push(format!("ADDED {sentinel_ns}/zz-sentinel"));
        prop_assert_eq!(seen, expected);
    }
}
