//! Writes: create, update, delete (with propagation policy, owner references
//! and finalizers), server-side dry run, and the checks the real server makes
//! (names, namespaces, resourceVersion preconditions, status subresources).

use std::sync::Arc;

use serde_json::{Map, Value, json};
use unloop_core::evidence::objects::strip_secret;

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::meta;
use crate::request::Params;
use crate::resources::{ResourceInfo, StorageKey};
use crate::store::{Preconditions, StoreError};

/// Parses a request body as a JSON object (YAML for `application/yaml`).
/// Bodies the server cannot read (protobuf) are 415.
pub fn parse_body(body: &[u8], content_type: &str) -> ApiResult<Value> {
    let ct = content_type.split(';').next().unwrap_or("").trim();
    let v: Value = match ct {
        "application/yaml" | "application/apply-patch+yaml" => {
            let text = std::str::from_utf8(body)
                .map_err(|_| ApiError::bad_request("body is not UTF-8"))?;
            serde_saphyr::from_str(text)
                .map_err(|e| ApiError::bad_request(format!("error decoding YAML: {e}")))?
        }
        ""
        | "application/json"
        | "*/*"
        | "application/merge-patch+json"
        | "application/strategic-merge-patch+json"
        | "application/json-patch+json" => serde_json::from_slice(body)
            .map_err(|e| ApiError::bad_request(format!("error decoding body: {e}")))?,
        other => return Err(ApiError::unsupported_media_type(other)),
    };
    Ok(v)
}

fn store_error(res: &ResourceInfo, name: &str, e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found(&res.qualified(), name),
        StoreError::AlreadyExists => ApiError::already_exists(&res.qualified(), name),
        StoreError::Conflict(why) => ApiError::conflict(&res.qualified(), name, &why),
    }
}

/// Whether `name` is a lowercase RFC 1123 subdomain (a label, for namespaces).
fn valid_name(name: &str, label: bool) -> bool {
    let max = if label { 63 } else { 253 };
    let ok_char =
        |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || (!label && c == '.');
    !name.is_empty()
        && name.len() <= max
        && name.chars().all(ok_char)
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric())
}

/// Checks a kind's own rules (the ones clients meet in practice).
fn validate(res: &ResourceInfo, obj: &Value) -> ApiResult<()> {
    let name = meta::name(obj);
    let invalid = |field: &str, msg: String| {
        Err(ApiError::invalid(
            &res.kind,
            &res.group,
            name,
            &[(field, msg)],
        ))
    };
    let label = res.plural == "namespaces" && res.group.is_empty();
    if !valid_name(name, label) {
        let what = if label {
            "RFC 1123 label"
        } else {
            "RFC 1123 subdomain"
        };
        return invalid(
            "metadata.name",
            format!(
                "Invalid value: \"{name}\": a lowercase {what} must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character"
            ),
        );
    }
    if let Some(n) = meta::at(obj, &["spec", "replicas"]).and_then(Value::as_i64)
        && n < 0
    {
        return invalid(
            "spec.replicas",
            format!("Invalid value: {n}: must be greater than or equal to 0"),
        );
    }
    if res.plural == "poddisruptionbudgets" {
        let has = |f: &str| meta::at(obj, &["spec", f]).is_some_and(|v| !v.is_null());
        if has("minAvailable") && has("maxUnavailable") {
            return invalid(
                "spec",
                "Invalid value: minAvailable and maxUnavailable cannot be both set".into(),
            );
        }
    }
    if res.plural == "pods" && res.group.is_empty() {
        let containers = meta::at(obj, &["spec", "containers"]).and_then(Value::as_array);
        if containers.is_none_or(|c| c.is_empty()) {
            return invalid("spec.containers", "Required value".into());
        }
    }
    Ok(())
}

/// Sets kind and apiVersion, checks those given against the resource.
fn type_meta(res: &ResourceInfo, obj: &mut Value) -> ApiResult<()> {
    let kind = meta::str_at(obj, &["kind"]).unwrap_or("");
    if !kind.is_empty() && kind != res.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            res.kind
        )));
    }
    obj["kind"] = json!(res.kind);
    obj["apiVersion"] = json!(res.api_version());
    Ok(())
}

/// The namespace an object goes to: the URL's, which the body may repeat but not contradict.
fn place(r: &Replay, res: &ResourceInfo, ns: Option<&str>, obj: &mut Value) -> ApiResult<()> {
    let body_ns = meta::namespace(obj).to_owned();
    if !res.namespaced {
        meta::metadata_mut(obj).remove("namespace");
        return Ok(());
    }
    let ns = ns.unwrap_or("");
    if !body_ns.is_empty() && body_ns != ns {
        return Err(ApiError::bad_request(
            "the namespace of the provided object does not match the namespace sent on the request",
        ));
    }
    if r.store
        .get(&StorageKey::new("", "namespaces"), "", ns)
        .is_none()
    {
        return Err(ApiError::not_found("namespaces", ns));
    }
    meta::set_meta(obj, "namespace", json!(ns));
    Ok(())
}

/// What every write does last: a Secret never keeps its values.
fn scrub(res: &ResourceInfo, obj: &mut Value) {
    if res.group.is_empty()
        && res.plural == "secrets"
        && let Value::Object(o) = obj
    {
        strip_secret(o);
    }
}

/// POST to a collection. Returns the stored (or, for a dry run, prepared) object.
pub fn create(
    r: &Replay,
    res: &ResourceInfo,
    ns: Option<&str>,
    mut obj: Value,
    params: &Params,
) -> ApiResult<Value> {
    if !obj.is_object() {
        return Err(ApiError::bad_request("the body is not an object"));
    }
    let dry_run = params.dry_run()?;
    type_meta(res, &mut obj)?;
    place(r, res, ns, &mut obj)?;
    if meta::name(&obj).is_empty() {
        let generate = meta::str_at(&obj, &["metadata", "generateName"])
            .unwrap_or("")
            .to_owned();
        if generate.is_empty() {
            return Err(ApiError::invalid(
                &res.kind,
                &res.group,
                "",
                &[(
                    "metadata.name",
                    "Required value: name or generateName is required".into(),
                )],
            ));
        }
        meta::set_meta(
            &mut obj,
            "name",
            json!(format!("{generate}{}", ids::name_suffix())),
        );
    }
    validate(res, &obj)?;
    let m = meta::metadata_mut(&mut obj);
    for k in [
        "resourceVersion",
        "deletionTimestamp",
        "deletionGracePeriodSeconds",
        "selfLink",
    ] {
        m.remove(k);
    }
    m.insert("uid".into(), json!(ids::new_uid()));
    m.insert("creationTimestamp".into(), json!(r.clock.now_rfc3339()));
    if obj.get("spec").is_some() {
        meta::set_meta(&mut obj, "generation", json!(1));
    }
    if res.group.is_empty() && res.plural == "pods" && obj.get("status").is_none() {
        obj["status"] = json!({"phase": "Pending", "qosClass": "BestEffort"});
    }
    scrub(res, &mut obj);
    if dry_run {
        return Ok(obj);
    }
    let name = meta::name(&obj).to_owned();
    r.store
        .create(&res.storage(), obj)
        .map(|o| (*o).clone())
        .map_err(|e| store_error(res, &name, e))
}

/// The resourceVersion an update names, as a precondition.
fn rv_precondition(obj: &Value) -> ApiResult<Option<u64>> {
    match meta::str_at(obj, &["metadata", "resourceVersion"]).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| ApiError::bad_request(format!("invalid resourceVersion {s:?}"))),
    }
}

/// Which part of an object a write may change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The object, except `.status` where a status subresource owns it.
    Main,
    /// Only `.status` (the status subresource).
    Status,
}

/// Replaces `existing` with `new` as an update of `part` would, then stores
/// it (unless `dry_run`). An update that leaves a deleted object (one with a
/// deletionTimestamp) without finalizers removes it.
pub fn commit_update(
    r: &Replay,
    res: &ResourceInfo,
    existing: &Value,
    mut new: Value,
    part: Part,
    dry_run: bool,
) -> ApiResult<Value> {
    let name = meta::name(existing).to_owned();
    if !new.is_object() {
        return Err(ApiError::bad_request("the body is not an object"));
    }
    let pre = Preconditions {
        resource_version: rv_precondition(&new)?,
        uid: None,
    };
    type_meta(res, &mut new)?;
    let body_name = meta::name(&new);
    if !body_name.is_empty() && body_name != name {
        return Err(ApiError::bad_request(format!(
            "the name of the object ({body_name}) does not match the name on the URL ({name})"
        )));
    }
    if res.namespaced {
        let ns = meta::namespace(&new);
        if !ns.is_empty() && ns != meta::namespace(existing) {
            return Err(ApiError::bad_request(
                "the namespace of the provided object does not match the namespace sent on the request",
            ));
        }
    }
    let mut out = match part {
        Part::Status => {
            let mut o = existing.clone();
            match new.get("status") {
                Some(s) => o["status"] = s.clone(),
                None => {
                    if let Value::Object(m) = &mut o {
                        m.remove("status");
                    }
                }
            }
            o
        }
        Part::Main => {
            if res.has_status_subresource() {
                match existing.get("status") {
                    Some(s) => new["status"] = s.clone(),
                    None => {
                        if let Value::Object(m) = &mut new {
                            m.remove("status");
                        }
                    }
                }
            }
            new
        }
    };
    // What the server owns is kept from the stored object.
    {
        let old_meta = existing
            .get("metadata")
            .and_then(Value::as_object)
            .cloned()
            .unwrap_or_default();
        let m = meta::metadata_mut(&mut out);
        for k in [
            "uid",
            "creationTimestamp",
            "namespace",
            "name",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
        ] {
            match old_meta.get(k) {
                Some(v) => {
                    m.insert(k.into(), v.clone());
                }
                None => {
                    m.remove(k);
                }
            }
        }
        m.remove("resourceVersion");
    }
    if part == Part::Main && existing.get("spec") != out.get("spec") {
        let g = meta::at(existing, &["metadata", "generation"])
            .and_then(Value::as_i64)
            .unwrap_or(0);
        meta::set_meta(&mut out, "generation", json!(g + 1));
    }
    validate(res, &out)?;
    scrub(res, &mut out);
    let deleting = meta::at(&out, &["metadata", "deletionTimestamp"]).is_some_and(|v| !v.is_null());
    let finalizers_left = meta::at(&out, &["metadata", "finalizers"])
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    if dry_run {
        return Ok(out);
    }
    let storage = res.storage();
    if deleting && !finalizers_left {
        let pre_rv = Preconditions {
            resource_version: pre.resource_version,
            uid: None,
        };
        return r
            .store
            .delete(&storage, meta::namespace(existing), &name, &pre_rv)
            .map(|o| (*o).clone())
            .map_err(|e| store_error(res, &name, e));
    }
    // Preconditions are checked against what is stored now: `existing` may be stale.
    r.store
        .update(&storage, out, &pre)
        .map(|o| (*o).clone())
        .map_err(|e| store_error(res, &name, e))
}

/// PUT of an object or its status.
pub fn update(
    r: &Replay,
    res: &ResourceInfo,
    ns: &str,
    name: &str,
    new: Value,
    part: Part,
    params: &Params,
) -> ApiResult<Value> {
    let dry_run = params.dry_run()?;
    let existing = r
        .store
        .get(&res.storage(), ns, name)
        .ok_or_else(|| ApiError::not_found(&res.qualified(), name))?;
    commit_update(r, res, &existing, new, part, dry_run)
}

/// How dependents of a deleted object are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Propagation {
    /// Deleted after their owner (immediately here: there is no GC lag).
    Background,
    /// Deleted before their owner.
    Foreground,
    /// Kept, their owner reference removed.
    Orphan,
}

/// DeleteOptions from the query and the body (a body that is not JSON, such as
/// kubectl's protobuf, is ignored).
pub struct DeleteOptions {
    pub propagation: Propagation,
    pub preconditions: Preconditions,
    pub dry_run: bool,
}

impl DeleteOptions {
    /// Reads the options; `Background` unless told otherwise.
    pub fn read(params: &Params, body: &[u8]) -> ApiResult<Self> {
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let mut dry_run = params.dry_run()?;
        if let Some(d) = body.get("dryRun").and_then(Value::as_array) {
            dry_run |= d.iter().any(|x| x == "All");
        }
        let policy = params
            .non_empty("propagationPolicy")
            .map(str::to_owned)
            .or_else(|| {
                body.get("propagationPolicy")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .or_else(
                || match body.get("orphanDependents").and_then(Value::as_bool) {
                    Some(true) => Some("Orphan".into()),
                    _ => None,
                },
            );
        let propagation = match policy.as_deref() {
            None | Some("Background") => Propagation::Background,
            Some("Foreground") => Propagation::Foreground,
            Some("Orphan") => Propagation::Orphan,
            Some(other) => {
                return Err(ApiError::invalid(
                    "DeleteOptions",
                    "meta.k8s.io",
                    "",
                    &[(
                        "propagationPolicy",
                        format!(
                            "Unsupported value: \"{other}\": supported values: \"Foreground\", \"Background\", \"Orphan\", \"nil\""
                        ),
                    )],
                ));
            }
        };
        let pre = body.get("preconditions");
        let preconditions = Preconditions {
            resource_version: pre
                .and_then(|p| p.get("resourceVersion"))
                .and_then(Value::as_str)
                .and_then(|s| s.parse().ok()),
            uid: pre
                .and_then(|p| p.get("uid"))
                .and_then(Value::as_str)
                .map(str::to_owned),
        };
        Ok(DeleteOptions {
            propagation,
            preconditions,
            dry_run,
        })
    }
}

/// The objects that name `uid` among their owners, by table then key. Read
/// from the store's owner index: a scan of every object per deletion made
/// deleting many objects quadratic. Collected before any is touched, because
/// the cascade changes the index as it goes.
fn dependents(r: &Replay, uid: &str) -> Vec<(StorageKey, String, String)> {
    r.store.read(|view| {
        view.dependents(uid)
            .map(|(s, (ns, name))| (s.clone(), ns.clone(), name.clone()))
            .collect()
    })
}

/// Deletes an object's dependents (and theirs), or orphans them.
fn cascade(r: &Replay, uid: &str, propagation: Propagation) {
    for (storage, ns, name) in dependents(r, uid) {
        let Some(obj) = r.store.get(&storage, &ns, &name) else {
            continue;
        };
        match propagation {
            Propagation::Orphan => {
                let mut o = (*obj).clone();
                if let Some(Value::Array(refs)) =
                    meta::metadata_mut(&mut o).get_mut("ownerReferences")
                {
                    refs.retain(|x| x.get("uid").and_then(Value::as_str) != Some(uid));
                }
                let _ = r.store.update(&storage, o, &Preconditions::default());
            }
            Propagation::Background | Propagation::Foreground => {
                let dep_uid = meta::uid(&obj).to_owned();
                if propagation == Propagation::Foreground {
                    cascade(r, &dep_uid, propagation);
                }
                let _ = r
                    .store
                    .delete(&storage, &ns, &name, &Preconditions::default());
                if propagation == Propagation::Background {
                    cascade(r, &dep_uid, propagation);
                }
            }
        }
    }
}

/// Everything in a namespace, for deleting it with its namespace.
fn namespace_contents(r: &Replay, ns: &str) -> Vec<(StorageKey, String)> {
    r.store.read(|view| {
        let storages: Vec<StorageKey> = view.storages().cloned().collect();
        let mut out = Vec::new();
        for s in storages {
            view.scan(&s, Some(ns), None, None, |k, _| {
                out.push((s.clone(), k.1.clone()));
                true
            });
        }
        out
    })
}

/// DELETE of one object. Returns the object as deleted.
pub fn delete(
    r: &Replay,
    res: &ResourceInfo,
    ns: &str,
    name: &str,
    opts: &DeleteOptions,
) -> ApiResult<Value> {
    let storage = res.storage();
    let existing: Arc<Value> = r
        .store
        .get(&storage, ns, name)
        .ok_or_else(|| ApiError::not_found(&res.qualified(), name))?;
    let mut marked = (*existing).clone();
    if meta::at(&marked, &["metadata", "deletionTimestamp"]).is_none_or(Value::is_null) {
        let m = meta::metadata_mut(&mut marked);
        m.insert("deletionTimestamp".into(), json!(r.clock.now_rfc3339()));
        m.insert("deletionGracePeriodSeconds".into(), json!(0));
    }
    if opts.dry_run {
        return Ok(marked);
    }
    let finalizers = meta::at(&existing, &["metadata", "finalizers"])
        .and_then(Value::as_array)
        .is_some_and(|f| !f.is_empty());
    if finalizers {
        // Kept until whoever owns the finalizers removes them (see `commit_update`).
        let pre = opts.preconditions.clone();
        return r
            .store
            .update(&storage, marked, &pre)
            .map(|o| (*o).clone())
            .map_err(|e| store_error(res, name, e));
    }
    let uid = meta::uid(&existing).to_owned();
    if opts.propagation == Propagation::Foreground || opts.propagation == Propagation::Orphan {
        cascade(r, &uid, opts.propagation);
    }
    if res.group.is_empty() && res.plural == "namespaces" {
        for (s, n) in namespace_contents(r, name) {
            let _ = r.store.delete(&s, name, &n, &Preconditions::default());
        }
    }
    let deleted = r
        .store
        .delete(&storage, ns, name, &opts.preconditions)
        .map_err(|e| store_error(res, name, e))?;
    if opts.propagation == Propagation::Background {
        cascade(r, &uid, opts.propagation);
    }
    let mut out = (*deleted).clone();
    if let Some(Value::Object(m)) = marked.get("metadata") {
        let om = meta::metadata_mut(&mut out);
        for k in ["deletionTimestamp", "deletionGracePeriodSeconds"] {
            if let Some(v) = m.get(k) {
                om.insert(k.into(), v.clone());
            }
        }
    }
    Ok(out)
}

/// A Status of kind Success, as some deletions answer.
pub fn success_status(details: Map<String, Value>) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": details})
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::Options;
    use crate::store::ChangeType;

    #[test]
    fn names() {
        assert!(valid_name("net-istio-controller-5f7c9d8b46-k8x2p", false));
        assert!(valid_name("a.b", false));
        assert!(!valid_name("a.b", true));
        assert!(!valid_name("Upper", false));
        assert!(!valid_name("-x", false));
        assert!(!valid_name("", false));
    }

    fn deployments() -> StorageKey {
        StorageKey::new("apps", "deployments")
    }

    fn replicasets() -> StorageKey {
        StorageKey::new("apps", "replicasets")
    }

    fn pods() -> StorageKey {
        StorageKey::new("", "pods")
    }

    fn obj(name: &str, uid: &str, owners: &[&str]) -> Value {
        let refs: Vec<Value> = owners
            .iter()
            .map(|o| json!({"apiVersion": "v1", "kind": "Owner", "name": o, "uid": o}))
            .collect();
        let mut o = json!({"metadata": {"namespace": "default", "name": name, "uid": uid}});
        if !refs.is_empty() {
            meta::set_meta(&mut o, "ownerReferences", json!(refs));
        }
        o
    }

    /// Deployment `d` owns ReplicaSets `rs-a` and `rs-b`; `rs-a` owns pods
    /// `p-1` and `p-2`; `p-2` is also owned by `other` (a ConfigMap); `cm-x`
    /// is owned by nobody.
    fn chain() -> Replay {
        let r = Replay::empty(Options::default());
        r.store.load(&deployments(), obj("d", "d", &[]));
        r.store.load(&replicasets(), obj("rs-b", "rs-b", &["d"]));
        r.store.load(&replicasets(), obj("rs-a", "rs-a", &["d"]));
        r.store.load(&pods(), obj("p-1", "p-1", &["rs-a"]));
        r.store.load(&pods(), obj("p-2", "p-2", &["rs-a", "other"]));
        let cms = StorageKey::new("", "configmaps");
        r.store.load(&cms, obj("other", "other", &[]));
        r.store.load(&cms, obj("cm-x", "cm-x", &[]));
        r
    }

    fn opts(propagation: Propagation) -> DeleteOptions {
        DeleteOptions {
            propagation,
            preconditions: Preconditions::default(),
            dry_run: false,
        }
    }

    /// The names deleted after resourceVersion `since`, in order.
    fn deleted_since(r: &Replay, since: u64) -> Vec<String> {
        r.store.read(|v| {
            v.changes_since(since)
                .unwrap_or_default()
                .iter()
                .filter(|c| c.kind == ChangeType::Deleted)
                .map(|c| c.key.1.clone())
                .collect()
        })
    }

    /// Deleting the Deployment takes its ReplicaSets and their pods (a chain),
    /// in the order each policy deletes them: owners first in the background,
    /// dependents first in the foreground; dependents with another owner go
    /// too (no GC lag, no wait for the other owner). Orphaning keeps them, with
    /// only the deleted owner's reference removed.
    #[test]
    fn deleting_an_owner_cascades_through_chains() {
        let deploy = chain()
            .resources
            .get("apps", "v1", "deployments")
            .expect("deployments are served");
        let cases: [(Propagation, &[&str]); 3] = [
            (
                Propagation::Background,
                &["d", "rs-a", "p-1", "p-2", "rs-b"],
            ),
            (
                Propagation::Foreground,
                &["p-1", "p-2", "rs-a", "rs-b", "d"],
            ),
            (Propagation::Orphan, &["d"]),
        ];
        for (propagation, want) in cases {
            let r = chain();
            let since = r.store.resource_version();
            delete(&r, &deploy, "default", "d", &opts(propagation)).expect("deleted");
            assert_eq!(deleted_since(&r, since), want, "{propagation:?}");
            let left = |s: &StorageKey, n: &str| r.store.get(s, "default", n).is_some();
            let cms = StorageKey::new("", "configmaps");
            assert!(left(&cms, "other") && left(&cms, "cm-x"), "{propagation:?}");
            // Nothing names a deleted owner any more.
            r.store.read(|v| assert_eq!(v.dependents("d").count(), 0));
            if propagation == Propagation::Orphan {
                for rs in ["rs-a", "rs-b"] {
                    let o = r.store.get(&replicasets(), "default", rs).expect("kept");
                    assert_eq!(meta::owner_uids(&o).count(), 0, "{rs}");
                }
                // The chain below the orphans is untouched.
                let deps: Vec<String> = r
                    .store
                    .read(|v| v.dependents("rs-a").map(|(_, k)| k.1.clone()).collect());
                assert_eq!(deps, ["p-1", "p-2"]);
            }
        }
    }

    /// Orphaning keeps a dependent's other owners, and the index follows.
    #[test]
    fn orphaning_removes_only_the_deleted_owner() {
        let r = chain();
        let rs = r
            .resources
            .get("apps", "v1", "replicasets")
            .expect("replicasets are served");
        delete(&r, &rs, "default", "rs-a", &opts(Propagation::Orphan)).expect("deleted");
        let p2 = r.store.get(&pods(), "default", "p-2").expect("kept");
        assert_eq!(meta::owner_uids(&p2).collect::<Vec<_>>(), ["other"]);
        r.store.read(|v| {
            assert_eq!(v.dependents("rs-a").count(), 0);
            let other: Vec<&str> = v.dependents("other").map(|(_, k)| k.1.as_str()).collect();
            assert_eq!(other, ["p-2"]);
        });
    }
}
