//! `--faults`: a kube-rs client against a replay wrapped in the fault layer.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use k8s_openapi::api::core::v1::{ConfigMap, Pod};
use kube::api::{
    Api, DeleteParams, ListParams, LogParams, Patch, PatchParams, PostParams, WatchParams,
};
use kube::{Client, Error};
use proptest::prelude::*;
use serde_json::json;
use unloop_replay::faults::{FaultSpec, Faults, layer};
use unloop_replay::{Options, Replay, router};

const NS: &str = "knative-serving";

fn client(replay: Arc<Replay>, spec: &str) -> Client {
    let spec: FaultSpec = spec.parse().unwrap();
    Client::new(
        layer(router(replay), Arc::new(Faults::new(spec))),
        "default",
    )
}

fn incident() -> Arc<Replay> {
    Arc::new(Replay::load(&[common::incident()], Options::default()))
}

fn code(e: &Error) -> u16 {
    match e {
        Error::Api(s) => s.code,
        other => panic!("not an API error: {other}"),
    }
}

/// Retries `f` until it succeeds; returns the codes of the failures seen.
async fn with_retries<T, F, Fut>(mut f: F) -> (T, Vec<u16>)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, Error>>,
{
    let mut failures = Vec::new();
    for _ in 0..200 {
        match f().await {
            Ok(t) => return (t, failures),
            Err(e) => failures.push(code(&e)),
        }
    }
    panic!("no success in 200 tries: {failures:?}");
}

#[tokio::test]
async fn error_rates_per_verb_with_retry_after_on_429() {
    let c = client(incident(), "list:429=0.3,get:500=0.2,patch:503=0.25,seed=7");
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    let (mut lists, mut gets) = (Vec::new(), Vec::new());
    for _ in 0..100 {
        let lp = ListParams::default();
        let (l, f) = with_retries(|| pods.list(&lp)).await;
        assert!(!l.items.is_empty());
        lists.extend(f);
        let (_, f) = with_retries(|| pods.get("net-istio-controller-5f7c9d8b46-k8x2p")).await;
        gets.extend(f);
    }
    assert!(lists.iter().all(|&c| c == 429), "{lists:?}");
    assert!(gets.iter().all(|&c| c == 500), "{gets:?}");
    // Failures per success: rate / (1 - rate) = 0.43 for lists, 0.25 for gets.
    let per = |f: &Vec<u16>| f.len() as f64 / 100.0;
    assert!((0.2..0.75).contains(&per(&lists)), "{}", per(&lists));
    assert!((0.1..0.45).contains(&per(&gets)), "{}", per(&gets));

    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), NS);
    let mut patches = Vec::new();
    let pp = PatchParams::default();
    for i in 0..60 {
        let p = Patch::Merge(json!({"data": {"n": i.to_string()}}));
        let (_, f) = with_retries(|| cms.patch("config-gc", &pp, &p)).await;
        patches.extend(f);
    }
    assert!(patches.iter().all(|&c| c == 503), "{patches:?}");
    assert!(!patches.is_empty() && patches.len() < 60, "{patches:?}");

    // The raw 429: a Status with a Retry-After header.
    let mut saw = false;
    for _ in 0..50 {
        let req = http::Request::get("/api/v1/namespaces/knative-serving/pods")
            .body(Vec::new())
            .unwrap();
        let resp = c.send(req.map(kube::client::Body::from)).await.unwrap();
        if resp.status() == 429 {
            assert_eq!(resp.headers()["retry-after"], "1");
            saw = true;
            break;
        }
    }
    assert!(saw, "no 429 in 50 lists at a rate of 0.3");
}

#[tokio::test]
async fn discovery_and_version_are_spared_unless_asked() {
    let c = client(incident(), "*:500=1");
    assert!(c.apiserver_version().await.is_ok());
    assert!(c.list_api_groups().await.is_ok());
    let pods: Api<Pod> = Api::namespaced(c.clone(), NS);
    assert_eq!(
        code(&pods.list(&ListParams::default()).await.unwrap_err()),
        500
    );
    let asked = client(incident(), "discovery:503=1");
    assert_eq!(code(&asked.apiserver_version().await.unwrap_err()), 503);
    let pods: Api<Pod> = Api::namespaced(asked, NS);
    assert!(pods.list(&ListParams::default()).await.is_ok());
}

#[tokio::test]
async fn latency_is_added() {
    let c = client(incident(), "latency=30ms..60ms,seed=1");
    let pods: Api<Pod> = Api::namespaced(c, NS);
    for _ in 0..5 {
        let t = Instant::now();
        pods.get("net-istio-controller-5f7c9d8b46-k8x2p")
            .await
            .unwrap();
        // A lower bound only: a loaded machine may take longer.
        assert!(
            t.elapsed() >= Duration::from_millis(30),
            "{:?}",
            t.elapsed()
        );
    }
}

#[tokio::test]
async fn watches_are_closed_after_n_events_or_a_time() {
    let pods = |spec: &str| -> Api<Pod> { Api::namespaced(client(incident(), spec), NS) };
    let api = pods("watch-close=3");
    let stream = api.watch(&WatchParams::default(), "0").await.unwrap();
    // Guards against a hang only; the stream is expected to end by itself.
    let events: Vec<_> = tokio::time::timeout(Duration::from_secs(30), stream.collect::<Vec<_>>())
        .await
        .expect("the watch was closed");
    assert_eq!(events.len(), 3, "{events:?}");
    assert!(events.iter().all(Result::is_ok));

    let api = pods("watch-close=200ms");
    let t = Instant::now();
    let stream = api
        .watch(&WatchParams::default().timeout(290), "0")
        .await
        .unwrap();
    let events: Vec<_> = tokio::time::timeout(Duration::from_secs(30), stream.collect::<Vec<_>>())
        .await
        .expect("the watch was closed");
    assert!(t.elapsed() >= Duration::from_millis(200));
    assert!(!events.is_empty());
}

#[tokio::test]
async fn log_streams_are_slowed() {
    let rate = 20_000.0;
    let c = client(incident(), "log-rate=20000/s");
    let pods: Api<Pod> = Api::namespaced(c, NS);
    let t = Instant::now();
    let lp = LogParams {
        previous: true,
        ..LogParams::default()
    };
    let text = pods
        .logs("net-istio-controller-5f7c9d8b46-k8x2p", &lp)
        .await
        .unwrap();
    assert!(text.len() > 10_000);
    let floor = Duration::from_secs_f64(text.len() as f64 / rate * 0.8);
    assert!(t.elapsed() >= floor, "{:?} < {floor:?}", t.elapsed());
}

/// One write of the property test.
#[derive(Debug, Clone)]
enum Write {
    Create(u8),
    Patch(u8, u8),
    Delete(u8),
}

fn writes() -> impl Strategy<Value = Vec<Write>> {
    prop::collection::vec(
        prop_oneof![
            (0u8..6).prop_map(Write::Create),
            (0u8..6, any::<u8>()).prop_map(|(n, v)| Write::Patch(n, v)),
            (0u8..6).prop_map(Write::Delete),
        ],
        1..25,
    )
}

/// Applies `writes`, retrying faulted ones; returns the final ConfigMaps.
async fn apply(c: Client, writes: &[Write]) -> Vec<(String, serde_json::Value)> {
    let cms: Api<ConfigMap> = Api::namespaced(c, "default");
    for w in writes {
        loop {
            let r = match w {
                Write::Create(n) => {
                    let cm: ConfigMap = serde_json::from_value(
                        json!({"metadata": {"name": format!("cm-{n}")}, "data": {"v": "0"}}),
                    )
                    .unwrap();
                    cms.create(&PostParams::default(), &cm).await.map(|_| ())
                }
                Write::Patch(n, v) => cms
                    .patch(
                        &format!("cm-{n}"),
                        &PatchParams::default(),
                        &Patch::Merge(json!({"data": {"v": v.to_string()}})),
                    )
                    .await
                    .map(|_| ()),
                Write::Delete(n) => cms
                    .delete(&format!("cm-{n}"), &DeleteParams::default())
                    .await
                    .map(|_| ()),
            };
            match r {
                Ok(()) => break,
                // An injected fault: the same write again.
                Err(e) if matches!(code(&e), 429 | 500 | 503) => continue,
                // Refused on its merits (exists, not found): as without faults.
                Err(_) => break,
            }
        }
    }
    let list = cms.list(&ListParams::default()).await.unwrap();
    list.items
        .into_iter()
        .map(|c| (c.metadata.name.unwrap(), json!(c.data)))
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]
    #[test]
    fn faults_never_corrupt_the_store(ws in writes(), seed in any::<u64>()) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let (plain, faulty) = rt.block_on(async {
            let plain = apply(Client::new(router(Arc::new(Replay::empty(Options::default()))), "default"), &ws).await;
            let spec = format!("create:500=0.3,patch:503=0.3,delete:429=0.3,list:500=0.0,seed={seed}");
            let faulty = apply(client(Arc::new(Replay::empty(Options::default())), &spec), &ws).await;
            (plain, faulty)
        });
        prop_assert_eq!(plain, faulty);
    }
}
