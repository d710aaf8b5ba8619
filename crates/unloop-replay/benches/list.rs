//! Lists 100k generated pods in pages of 500 over loopback, as full objects
//! and metadata only, and prints bytes and requests per second.
//!
//! `cargo bench -p unloop-replay --bench list` (not run in CI).

use std::sync::Arc;
use std::time::Instant;

use kube::Client;
use serde_json::json;
use unloop_replay::resources::StorageKey;
use unloop_replay::{Options, Replay};

const PODS: usize = 100_000;
const PAGE: usize = 500;

fn pod(i: usize) -> serde_json::Value {
    let ns = format!("team-{:02}", i % 50);
    let name = format!("app-{:03}-7d9f8c6b5-{:05}", i % 300, i);
    json!({
        "kind": "Pod", "apiVersion": "v1",
        "metadata": {
            "name": name, "namespace": ns, "uid": format!("00000000-0000-4000-8000-{i:012}"),
            "creationTimestamp": "2024-04-12T08:00:00Z",
            "labels": {"app": format!("app-{:03}", i % 300), "pod-template-hash": "7d9f8c6b5"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": format!("app-{:03}-7d9f8c6b5", i % 300), "uid": "11111111-0000-4000-8000-000000000000", "controller": true}]
        },
        "spec": {
            "nodeName": format!("node-{}", i % 40),
            "containers": [{"name": "app", "image": "registry.example/app:1.2.3",
                "resources": {"limits": {"cpu": "500m", "memory": "256Mi"}},
                "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}, "periodSeconds": 10}}]
        },
        "status": {
            "phase": "Running", "podIP": format!("10.{}.{}.{}", i / 65536 % 256, i / 256 % 256, i % 256),
            "conditions": [{"type": "Ready", "status": "True"}],
            "containerStatuses": [{"name": "app", "ready": true, "restartCount": i % 3,
                "state": {"running": {"startedAt": "2024-04-12T08:00:05Z"}}}]
        }
    })
}

#[derive(serde::Deserialize)]
struct Meta {
    #[serde(rename = "continue")]
    cont: Option<String>,
}

#[derive(serde::Deserialize)]
struct ListHead {
    metadata: Meta,
}

async fn run(client: &Client, base: &str, accept: &str, label: &str) {
    let started = Instant::now();
    let (mut requests, mut bytes) = (0usize, 0usize);
    let mut token: Option<String> = None;
    loop {
        let mut url = format!("{base}/api/v1/pods?limit={PAGE}");
        if let Some(t) = &token {
            url.push_str("&continue=");
            url.push_str(t);
        }
        let req = http::Request::get(url)
            .header("Accept", accept)
            .body(Vec::new())
            .unwrap();
        let text = client.request_text(req).await.expect("a page");
        requests += 1;
        bytes += text.len();
        let head: ListHead = serde_json::from_str(&text).expect("a list");
        match head.metadata.cont {
            Some(c) if !c.is_empty() => token = Some(c),
            _ => break,
        }
    }
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{label:<14} {requests:>4} requests  {:>8.1} MB  {secs:>6.2} s  {:>7.1} req/s  {:>7.1} MB/s  {:>9.0} objects/s",
        bytes as f64 / 1e6,
        requests as f64 / secs,
        bytes as f64 / 1e6 / secs,
        PODS as f64 / secs
    );
}

/// The server's own work per page (listing and encoding), without HTTP.
fn server_side(replay: &Replay) {
    use unloop_replay::list::{list_page, render_page};
    use unloop_replay::request::{Params, Shape};
    let res = replay.resources.get("", "v1", "pods").unwrap();
    for (shape, label) in [(Shape::Full, "full"), (Shape::Metadata, "metadata")] {
        let started = Instant::now();
        let (mut requests, mut bytes) = (0usize, 0usize);
        let mut token: Option<String> = None;
        loop {
            let mut p = vec![("limit".to_owned(), PAGE.to_string())];
            if let Some(t) = &token {
                p.push(("continue".to_owned(), t.clone()));
            }
            let params = Params(p);
            let page = list_page(replay, &res, None, &params).unwrap();
            bytes += render_page(replay, &res, &page, shape, &params).len();
            requests += 1;
            match page.continue_token {
                Some(t) => token = Some(t),
                None => break,
            }
        }
        let secs = started.elapsed().as_secs_f64();
        println!(
            "in-process {label:<9} {requests:>4} pages  {:>8.1} MB  {secs:>6.2} s  {:>7.1} pages/s  {:>7.1} MB/s",
            bytes as f64 / 1e6,
            requests as f64 / secs,
            bytes as f64 / 1e6 / secs
        );
    }
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let replay = Replay::empty(Options::default());
    let pods = StorageKey::new("", "pods");
    let t = Instant::now();
    for i in 0..PODS {
        replay.store.load(&pods, pod(i));
    }
    println!(
        "generated and loaded {PODS} pods in {:.2} s",
        t.elapsed().as_secs_f64()
    );
    let replay = Arc::new(replay);
    server_side(&replay);
    rt.block_on(async {
        let listener = unloop_replay::bind(0).await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(unloop_replay::serve(
            replay.clone(),
            listener,
            std::future::pending(),
        ));
        let base = format!("http://{addr}");
        let config = kube::Config::new(base.parse().unwrap());
        let client = Client::try_from(config).unwrap();
        println!("listing {PODS} pods in pages of {PAGE} over {base}:");
        for round in 0..2 {
            let tag = if round == 0 { " (warm-up)" } else { "" };
            run(&client, "", "application/json", &format!("full{tag}")).await;
            run(
                &client,
                "",
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1",
                &format!("metadata{tag}"),
            )
            .await;
        }
    });
}
