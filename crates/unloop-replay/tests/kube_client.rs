//! A kube-rs client against the replay: in-process (the router handed to
//! `kube::Client::new`) and over loopback with a kubeconfig.

mod common;

use std::sync::Arc;

use futures_util::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::{ConfigMap, Node, Pod};
use k8s_openapi::api::policy::v1::PodDisruptionBudget;
use kube::api::{
    Api, DeleteParams, DynamicObject, EvictParams, ListParams, LogParams, Patch, PatchParams,
    PostParams, WatchEvent, WatchParams,
};
use kube::core::{ApiResource, GroupVersionKind};
use kube::runtime::watcher;
use kube::{Client, Error};
use serde_json::json;
use unloop_replay::{Options, Replay, router};

const NS: &str = "knative-serving";
const CRASHING: &str = "net-istio-controller-5f7c9d8b46-k8x2p";

fn in_process(replay: Arc<Replay>) -> Client {
    Client::new(router(replay), "default")
}

fn incident() -> Arc<Replay> {
    Arc::new(Replay::load(&[common::incident()], Options::default()))
}

fn code(e: Error) -> u16 {
    match e {
        Error::Api(s) => s.code,
        other => panic!("not an API error: {other}"),
    }
}

fn revisions(client: &Client, ns: &str) -> Api<DynamicObject> {
    let gvk = GroupVersionKind::gvk("serving.knative.dev", "v1", "Revision");
    let ar = ApiResource::from_gvk_with_plural(&gvk, "revisions");
    Api::namespaced_with(client.clone(), ns, &ar)
}

#[tokio::test]
async fn reads_in_process() {
    let client = in_process(incident());
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let all = pods.list(&ListParams::default()).await.unwrap();
    assert!(all.items.len() > 5);
    let p = pods.get(CRASHING).await.unwrap();
    let cs = &p.status.unwrap().container_statuses.unwrap()[0];
    assert_eq!(cs.restart_count, 23);

    // Metadata-only pages add up to the full list.
    let mut names = Vec::new();
    let mut lp = ListParams::default().limit(4);
    loop {
        let page = pods.list_metadata(&lp).await.unwrap();
        names.extend(page.items.iter().map(|m| m.metadata.name.clone().unwrap()));
        match page.metadata.continue_ {
            Some(c) if !c.is_empty() => lp = lp.continue_token(&c),
            _ => break,
        }
    }
    let full: Vec<String> = all
        .items
        .iter()
        .map(|p| p.metadata.name.clone().unwrap())
        .collect();
    assert_eq!(names, full);

    let logs = pods
        .logs(
            CRASHING,
            &LogParams {
                previous: true,
                tail_lines: Some(1),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(logs.lines().count(), 1);
    assert!(logs.contains("has stopped leading"), "{logs}");

    let nodes: Api<Node> = Api::all(client.clone());
    assert_eq!(
        nodes
            .list(&ListParams::default())
            .await
            .unwrap()
            .items
            .len(),
        6
    );
    let ready = nodes
        .list(&ListParams::default().fields("spec.unschedulable=false"))
        .await
        .unwrap();
    assert_eq!(ready.items.len(), 6);

    let revs = revisions(&client, "analytics");
    let list = revs
        .list(&ListParams::default().labels("serving.knative.dev/configuration=ab-assign"))
        .await
        .unwrap();
    assert!(!list.items.is_empty());
    assert!(
        list.items
            .iter()
            .all(|r| r.types.as_ref().unwrap().kind == "Revision")
    );

    let gvk = GroupVersionKind::gvk("example.com", "v1", "Widget");
    let widgets: Api<DynamicObject> = Api::all_with(client.clone(), &ApiResource::from_gvk(&gvk));
    assert_eq!(
        code(widgets.list(&ListParams::default()).await.unwrap_err()),
        404
    );
}

#[tokio::test]
async fn writes_conflicts_patches_and_dry_run() {
    let client = in_process(Arc::new(Replay::empty(Options::default())));
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let cm: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": "a", "labels": {"x": "1"}}, "data": {"k": "v"}
    }))
    .unwrap();
    let dry = cms
        .create(
            &PostParams {
                dry_run: true,
                ..Default::default()
            },
            &cm,
        )
        .await
        .unwrap();
    assert_eq!(dry.metadata.name.as_deref(), Some("a"));
    assert_eq!(
        code(cms.get("a").await.unwrap_err()),
        404,
        "a dry run stores nothing"
    );
    let created = cms.create(&PostParams::default(), &cm).await.unwrap();
    assert!(created.metadata.uid.is_some() && created.metadata.creation_timestamp.is_some());
    assert_eq!(
        code(cms.create(&PostParams::default(), &cm).await.unwrap_err()),
        409
    );

    let mut stale = created.clone();
    cms.patch(
        "a",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"k": "w"}})),
    )
    .await
    .unwrap();
    stale.data = Some([("k".to_owned(), "stale".to_owned())].into());
    assert_eq!(
        code(
            cms.replace("a", &PostParams::default(), &stale)
                .await
                .unwrap_err()
        ),
        409
    );

    let p = cms
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::Strategic(json!({"metadata": {"labels": {"y": "2"}}})),
        )
        .await
        .unwrap();
    let labels = p.metadata.labels.unwrap();
    assert_eq!((labels["x"].as_str(), labels["y"].as_str()), ("1", "2"));
    let p = cms
        .patch(
            "a",
            &PatchParams::default(),
            &Patch::<()>::Json(
                serde_json::from_value(json!([
                    {"op": "remove", "path": "/metadata/labels/x"},
                    {"op": "add", "path": "/data/n", "value": "1"}
                ]))
                .unwrap(),
            ),
        )
        .await
        .unwrap();
    assert!(!p.metadata.labels.unwrap().contains_key("x"));
    assert_eq!(p.data.unwrap()["n"], "1");
    let dry = cms
        .patch(
            "a",
            &PatchParams::default().dry_run(),
            &Patch::Merge(json!({"data": {"n": "2"}})),
        )
        .await
        .unwrap();
    assert_eq!(dry.data.unwrap()["n"], "2");
    assert_eq!(cms.get("a").await.unwrap().data.unwrap()["n"], "1");

    let bad: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "Bad_Name"}})).unwrap();
    assert_eq!(
        code(cms.create(&PostParams::default(), &bad).await.unwrap_err()),
        422
    );
    cms.delete("a", &DeleteParams::default()).await.unwrap();
    assert_eq!(code(cms.get("a").await.unwrap_err()), 404);
}

#[tokio::test]
async fn deleting_an_owner_removes_or_orphans_its_dependents() {
    let replay = incident();
    let client = in_process(replay);
    let revs = revisions(&client, "analytics");
    let rev = revs
        .list(&ListParams::default().limit(2))
        .await
        .unwrap()
        .items;
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "analytics");
    for (i, r) in rev.iter().enumerate() {
        let cm: ConfigMap = serde_json::from_value(json!({"metadata": {
            "name": format!("owned-{i}"),
            "ownerReferences": [{"apiVersion": "serving.knative.dev/v1", "kind": "Revision",
                "name": r.metadata.name, "uid": r.metadata.uid, "controller": true}]}}))
        .unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    let first = rev[0].metadata.name.clone().unwrap();
    revs.delete(&first, &DeleteParams::background())
        .await
        .unwrap();
    assert_eq!(code(revs.get(&first).await.unwrap_err()), 404);
    assert_eq!(
        code(cms.get("owned-0").await.unwrap_err()),
        404,
        "the Revision's dependent went with it"
    );
    let second = rev[1].metadata.name.clone().unwrap();
    revs.delete(&second, &DeleteParams::orphan()).await.unwrap();
    let kept = cms.get("owned-1").await.unwrap();
    assert!(
        kept.metadata
            .owner_references
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn eviction_scale_and_cordon() {
    let client = in_process(incident());
    let pdbs: Api<PodDisruptionBudget> = Api::namespaced(client.clone(), NS);
    let pdb: PodDisruptionBudget = serde_json::from_value(json!({
        "metadata": {"name": "activator"},
        "spec": {"maxUnavailable": 0, "selector": {"matchLabels": {"app": "activator"}}}
    }))
    .unwrap();
    pdbs.create(&PostParams::default(), &pdb).await.unwrap();
    let pods: Api<Pod> = Api::namespaced(client.clone(), NS);
    let err = pods
        .evict("activator-kqk8nnwqwh-pmtz6", &EvictParams::default())
        .await
        .unwrap_err();
    let Error::Api(status) = err else { panic!() };
    assert_eq!(status.code, 429);
    assert_eq!(
        status.message,
        "Cannot evict pod as it would violate the pod's disruption budget."
    );
    let cause = &status.details.unwrap().causes[0];
    assert_eq!(
        cause.message,
        "The disruption budget activator needs 2 healthy pods and has 2 currently"
    );
    // A crash-looping (unready) pod may go while the budget is met.
    pods.evict(CRASHING, &EvictParams::default()).await.unwrap();
    assert_eq!(code(pods.get(CRASHING).await.unwrap_err()), 404);
    pdbs.delete("activator", &DeleteParams::default())
        .await
        .unwrap();
    pods.evict("activator-kqk8nnwqwh-pmtz6", &EvictParams::default())
        .await
        .unwrap();

    let deploys: Api<Deployment> = Api::namespaced(client.clone(), NS);
    let scale = deploys.get_scale("net-istio-controller").await.unwrap();
    assert_eq!(scale.spec.unwrap().replicas, Some(3));
    assert!(
        scale
            .status
            .unwrap()
            .selector
            .unwrap()
            .contains("app=net-istio-controller")
    );
    deploys
        .patch_scale(
            "net-istio-controller",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": 1}})),
        )
        .await
        .unwrap();
    let d = deploys.get("net-istio-controller").await.unwrap();
    assert_eq!(d.spec.unwrap().replicas, Some(1));
    let bad = deploys
        .patch_scale(
            "net-istio-controller",
            &PatchParams::default(),
            &Patch::Merge(json!({"spec": {"replicas": -1}})),
        )
        .await
        .unwrap_err();
    assert_eq!(code(bad), 422);

    let nodes: Api<Node> = Api::all(client.clone());
    nodes.cordon("gke-prod-pool-1-3f9c2a1b-x7kq").await.unwrap();
    let cordoned = nodes
        .list(&ListParams::default().fields("spec.unschedulable=true"))
        .await
        .unwrap();
    assert_eq!(cordoned.items.len(), 1);
}

#[tokio::test]
async fn watcher_sees_changes_and_old_versions_are_gone() {
    let replay = Arc::new(Replay::empty(Options {
        history: 3,
        ..Options::default()
    }));
    let client = in_process(replay);
    let cms: Api<ConfigMap> = Api::namespaced(client.clone(), "default");
    let mut stream = watcher(cms.clone(), watcher::Config::default()).boxed();
    // The initial listing ends before anything is created.
    loop {
        if let watcher::Event::InitDone = stream.try_next().await.unwrap().unwrap() {
            break;
        }
    }
    let cm: ConfigMap = serde_json::from_value(json!({"metadata": {"name": "w"}})).unwrap();
    cms.create(&PostParams::default(), &cm).await.unwrap();
    let seen = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        loop {
            if let watcher::Event::Apply(c) = stream.try_next().await.unwrap().unwrap() {
                return c.metadata.name;
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(seen.as_deref(), Some("w"));

    // A continue token and a watch from before the kept history: 410 Gone.
    for i in 0..3 {
        let cm: ConfigMap =
            serde_json::from_value(json!({"metadata": {"name": format!("p{i}")}})).unwrap();
        cms.create(&PostParams::default(), &cm).await.unwrap();
    }
    let page = cms.list(&ListParams::default().limit(1)).await.unwrap();
    let token = page.metadata.continue_.unwrap();
    let old_rv = page.metadata.resource_version.unwrap();
    for i in 0..4 {
        cms.patch(
            &format!("p{}", i % 3),
            &PatchParams::default(),
            &Patch::Merge(json!({"data": {"i": i.to_string()}})),
        )
        .await
        .unwrap();
    }
    let err = cms
        .list(&ListParams::default().limit(1).continue_token(&token))
        .await
        .unwrap_err();
    assert_eq!(code(err), 410);
    let mut events = cms
        .watch(&WatchParams::default(), &old_rv)
        .await
        .unwrap()
        .boxed();
    match events.try_next().await.unwrap() {
        Some(WatchEvent::Error(s)) => assert_eq!((s.code, s.reason.as_str()), (410, "Expired")),
        other => panic!("expected a 410 error event, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_loopback_with_a_kubeconfig() {
    let s = common::serve(
        Replay::load(&[common::incident()], Options::default()),
        "kube-loopback",
    )
    .await;
    let kubeconfig = kube::config::Kubeconfig::read_from(&s.kubeconfig).unwrap();
    let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
        .await
        .unwrap();
    assert_eq!(config.default_namespace, "default");
    let client = Client::try_from(config).unwrap();
    let pods: Api<Pod> = Api::all(client.clone());
    let list = pods.list(&ListParams::default()).await.unwrap();
    assert!(
        list.items
            .iter()
            .any(|p| p.metadata.name.as_deref() == Some(CRASHING))
    );
    let v = client.apiserver_version().await.unwrap();
    assert_eq!((v.major.as_str(), v.minor.as_str()), ("1", "26"));
}
