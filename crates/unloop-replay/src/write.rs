//! Writes: create, update, delete (with propagation policy, owner references
//! and finalizers), server-side dry run, and the checks the real server makes
//! (names, namespaces, resourceVersion preconditions, status subresources).

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

use serde_json::{Map, Value, json};
use unloop_core::evidence::objects::strip_secret;

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::ids;
use crate::meta;
use crate::request::Params;
use crate::resources::{ResourceInfo, StorageKey};
use crate::store::{ObjRef, Preconditions, StoreError, View};

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

/// What a deletion does to the objects around the one deleted (the root),
/// decided on one consistent view of the store before anything is written, as
/// Kubernetes' garbage collector would leave them once it is done:
///
/// - A dependent is deleted only when none of its owners remain: each is
///   deleted in this cascade (the root, or a dependent deleted before it) or
///   is not stored at all (the collector treats a missing owner as gone).
///   One live owner keeps it.
/// - A dependent that stays loses its references to the owners deleted here
///   (what the collector patches out), and keeps every other reference.
/// - Orphaning deletes nothing but the root; its dependents only lose their
///   reference to it.
///
/// Each object is visited once, however the owner references loop (A owns B
/// owns A), so the walk ends on any input; it keeps its own stacks rather
/// than recursing, so a long chain cannot overflow the thread's stack.
struct Cascade {
    /// The dependents to delete (the root is not among them), in the
    /// policy's order: owners before their dependents in the background,
    /// dependents before their owners in the foreground.
    doomed: Vec<(ObjRef, String)>,
    /// Dependents that stay, each named once, in table-then-key order.
    released: BTreeSet<ObjRef>,
    /// The UIDs deleted: the root's and `doomed`'s.
    gone: HashSet<String>,
}

impl Cascade {
    /// Works out what deleting the object at `root` (UID `root_uid`) with
    /// `propagation` does to its dependents, from the store's owner and UID
    /// indexes (no table is scanned).
    fn plan(r: &Replay, root: ObjRef, root_uid: &str, propagation: Propagation) -> Cascade {
        r.store.read(|view| {
            let mut doomed: HashSet<&ObjRef> = HashSet::new();
            let mut gone: HashSet<&str> = HashSet::new();
            // Pre-order: the order objects join the cascade, and the
            // background's deletion order (each joins only once all its owners
            // are in, so owners come first).
            let mut entered: Vec<(&ObjRef, &str)> = Vec::new();
            if !root_uid.is_empty() {
                gone.insert(root_uid);
            }
            if propagation != Propagation::Orphan {
                // Depth first, each frame the rest of one joined owner's
                // dependents. A dependent turned down because another owner was
                // live is looked at again if that owner joins later (it is that
                // owner's dependent too), so the walk finds every object whose
                // owners are all gone, and no other.
                let mut stack = vec![dependents(view, root_uid)];
                while let Some(frame) = stack.last_mut() {
                    let Some(dep) = frame.next() else {
                        stack.pop();
                        continue;
                    };
                    if *dep == root || doomed.contains(dep) {
                        continue;
                    }
                    let Some(obj) = view.get(&dep.0, &dep.1.0, &dep.1.1) else {
                        continue;
                    };
                    let orphaned = meta::owner_uids(obj)
                        .all(|owner| gone.contains(owner) || !view.holds_uid(owner));
                    if !orphaned {
                        continue;
                    }
                    let uid = meta::uid(obj);
                    doomed.insert(dep);
                    entered.push((dep, uid));
                    if !uid.is_empty() {
                        gone.insert(uid);
                    }
                    stack.push(dependents(view, uid));
                }
            }
            // Every doomed object's (and the root's) dependents that stay.
            let released: BTreeSet<ObjRef> = gone
                .iter()
                .flat_map(|uid| view.dependents(uid))
                .filter(|dep| **dep != root && !doomed.contains(dep))
                .cloned()
                .collect();
            let order = match propagation {
                Propagation::Foreground => {
                    foreground_order(view, &root, root_uid, &doomed, entered.len())
                }
                _ => entered,
            };
            Cascade {
                doomed: order
                    .into_iter()
                    .map(|(at, uid)| (at.clone(), uid.to_owned()))
                    .collect(),
                released,
                gone: gone.into_iter().map(str::to_owned).collect(),
            }
        })
    }

    /// Removes the references to deleted owners from the dependents that
    /// stay (all the root's dependents, when orphaning).
    fn release(&self, r: &Replay) {
        for (storage, (ns, name)) in &self.released {
            // Read again: the plan's view may be a few writes old.
            let Some(obj) = r.store.get(storage, ns, name) else {
                continue;
            };
            let mut o = (*obj).clone();
            if let Some(Value::Array(refs)) = meta::metadata_mut(&mut o).get_mut("ownerReferences")
            {
                refs.retain(|x| {
                    !x.get("uid")
                        .and_then(Value::as_str)
                        .is_some_and(|u| self.gone.contains(u))
                });
            }
            // A dependent deleted meanwhile is nothing to release.
            let _ = r.store.update(storage, o, &Preconditions::default());
        }
    }

    /// Deletes the doomed dependents, in the plan's order.
    fn delete_dependents(&self, r: &Replay) {
        for ((storage, (ns, name)), uid) in &self.doomed {
            // The UID precondition spares an object created under the same
            // name since the plan; one already gone is simply skipped.
            let pre = Preconditions {
                resource_version: None,
                uid: (!uid.is_empty()).then(|| uid.clone()),
            };
            let _ = r.store.delete(storage, ns, name, &pre);
        }
    }
}

/// Where the objects naming `uid` among their owners are, by table then key
/// (the owner index; no table is read). None for an empty UID: an object
/// without one owns nothing, however many references carry an empty UID.
fn dependents<'v>(view: &'v View<'_>, uid: &'v str) -> impl Iterator<Item = &'v ObjRef> {
    let n = if uid.is_empty() { 0 } else { usize::MAX };
    view.dependents(uid).take(n)
}

/// The foreground's deletion order for `doomed` (`len` of them): post-order
/// over the owner-to-dependent edges between doomed objects, from the root, so
/// each goes after every doomed dependent it has (as `blockOwnerDeletion`
/// makes a foreground owner wait). Where references loop, the loop is cut at
/// the edge back to an object already on the way: something has to go first.
fn foreground_order<'v>(
    view: &'v View<'_>,
    root: &ObjRef,
    root_uid: &'v str,
    doomed: &HashSet<&'v ObjRef>,
    len: usize,
) -> Vec<(&'v ObjRef, &'v str)> {
    let mut out = Vec::with_capacity(len);
    let mut seen: HashSet<&ObjRef> = HashSet::new();
    // Frames: an object (none for the root, which the caller deletes) and the
    // rest of its dependents.
    let mut stack = vec![(None, dependents(view, root_uid))];
    while let Some((at, frame)) = stack.last_mut() {
        let Some(dep) = frame.next() else {
            if let Some(done) = *at {
                out.push(done);
            }
            stack.pop();
            continue;
        };
        if dep == root || !doomed.contains(dep) || !seen.insert(dep) {
            continue;
        }
        let uid = view
            .get(&dep.0, &dep.1.0, &dep.1.1)
            .map_or("", |o| meta::uid(o));
        stack.push((Some((dep, uid)), dependents(view, uid)));
    }
    out
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
    // Checked before the cascade as well as by the final write: a refused
    // deletion must not have deleted or orphaned anything first.
    opts.preconditions
        .check(&existing)
        .map_err(|e| store_error(res, name, e))?;
    let root = (storage.clone(), (ns.to_owned(), name.to_owned()));
    let cascade = Cascade::plan(r, root, meta::uid(&existing), opts.propagation);
    if opts.propagation != Propagation::Background {
        // Orphans are released before their owner goes (the orphan finalizer's
        // order); in the foreground, dependents go before their owner, and
        // those that stay stop naming it first (which is what lets a real
        // foreground owner go).
        cascade.release(r);
        cascade.delete_dependents(r);
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
        // The owner is gone at once; the collector deletes what it leaves.
        cascade.delete_dependents(r);
        cascade.release(r);
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
    /// dependents first in the foreground (no GC lag). `p-2` stays: its other
    /// owner, `other`, is not deleted; it only stops naming `rs-a`. Orphaning
    /// keeps every dependent, with only the deleted owner's reference removed.
    #[test]
    fn deleting_an_owner_cascades_through_chains() {
        let deploy = chain()
            .resources
            .get("apps", "v1", "deployments")
            .expect("deployments are served");
        let cases: [(Propagation, &[&str]); 3] = [
            (Propagation::Background, &["d", "rs-a", "p-1", "rs-b"]),
            (Propagation::Foreground, &["p-1", "rs-a", "rs-b", "d"]),
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
            if propagation != Propagation::Orphan {
                let p2 = r.store.get(&pods(), "default", "p-2").expect("kept");
                assert_eq!(
                    meta::owner_uids(&p2).collect::<Vec<_>>(),
                    ["other"],
                    "{propagation:?}"
                );
            }
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

    /// Each object `(name, owners)` as a pod whose UID is its name.
    fn graph(objects: &[(&str, &[&str])]) -> Replay {
        let r = Replay::empty(Options::default());
        for (name, owners) in objects {
            r.store.load(&pods(), obj(name, name, owners));
        }
        r
    }

    fn pods_resource(r: &Replay) -> Arc<ResourceInfo> {
        r.resources.get("", "v1", "pods").expect("pods are served")
    }

    /// The owners of every pod left, by name.
    fn pods_left(r: &Replay) -> Vec<(String, Vec<String>)> {
        r.store.read(|v| {
            v.table(&pods())
                .map(|(k, o)| {
                    (
                        k.1.clone(),
                        meta::owner_uids(o).map(str::to_owned).collect(),
                    )
                })
                .collect()
        })
    }

    type Left<'a> = &'a [(&'a str, &'a [&'a str])];

    /// Owner references that loop (an object owning itself, two owning each
    /// other, three in a ring) are followed once each: every policy ends,
    /// deleting the loop in the background and the foreground (the
    /// foreground cuts it at the edge back to `a`, which goes last) and only
    /// `a` when orphaning. A loop below the deleted object stays, as the real
    /// collector leaves it: each member still has a live owner, the other.
    #[test]
    fn deleting_through_owner_loops_ends() {
        type Case<'a> = (Left<'a>, Propagation, &'a [&'a str], Left<'a>);
        let self_owned: Left = &[("a", &["a"])];
        let two: Left = &[("a", &["b"]), ("b", &["a"])];
        let three: Left = &[("a", &["c"]), ("b", &["a"]), ("c", &["b"])];
        let below: Left = &[("a", &[]), ("x", &["a", "y"]), ("y", &["x"])];
        let cases: &[Case] = &[
            (self_owned, Propagation::Background, &["a"], &[]),
            (self_owned, Propagation::Foreground, &["a"], &[]),
            (self_owned, Propagation::Orphan, &["a"], &[]),
            (two, Propagation::Background, &["a", "b"], &[]),
            (two, Propagation::Foreground, &["b", "a"], &[]),
            (two, Propagation::Orphan, &["a"], &[("b", &[])]),
            (three, Propagation::Background, &["a", "b", "c"], &[]),
            (three, Propagation::Foreground, &["c", "b", "a"], &[]),
            (
                three,
                Propagation::Orphan,
                &["a"],
                &[("b", &[]), ("c", &["b"])],
            ),
            (
                below,
                Propagation::Background,
                &["a"],
                &[("x", &["y"]), ("y", &["x"])],
            ),
            (
                below,
                Propagation::Foreground,
                &["a"],
                &[("x", &["y"]), ("y", &["x"])],
            ),
            (
                below,
                Propagation::Orphan,
                &["a"],
                &[("x", &["y"]), ("y", &["x"])],
            ),
        ];
        for (objects, propagation, deleted, left) in cases {
            let r = graph(objects);
            let since = r.store.resource_version();
            let what = format!("{objects:?} {propagation:?}");
            delete(&r, &pods_resource(&r), "default", "a", &opts(*propagation)).expect(&what);
            assert_eq!(deleted_since(&r, since), *deleted, "{what}");
            let want: Vec<(String, Vec<String>)> = left
                .iter()
                .map(|(n, o)| (n.to_string(), o.iter().map(|s| s.to_string()).collect()))
                .collect();
            assert_eq!(pods_left(&r), want, "{what}");
        }
    }

    /// A chain far deeper than recursion would survive (each object owns the
    /// next) goes whole with either cascading policy.
    #[test]
    fn deleting_a_deep_chain_does_not_recurse() {
        const DEPTH: usize = 20_000;
        for propagation in [Propagation::Background, Propagation::Foreground] {
            let r = Replay::empty(Options::default());
            r.store.load(&pods(), obj("c-0", "c-0", &[]));
            for i in 1..DEPTH {
                let owner = format!("c-{}", i - 1);
                let name = format!("c-{i}");
                r.store.load(&pods(), obj(&name, &name, &[&owner]));
            }
            delete(&r, &pods_resource(&r), "default", "c-0", &opts(propagation)).expect("deleted");
            assert_eq!(r.store.read(|v| v.len(&pods())), 0, "{propagation:?}");
        }
    }

    /// A pod owned by two ReplicaSets outlives the first one's deletion
    /// (losing only its reference to it) under every policy, and goes with
    /// the second unless that is orphaning too.
    #[test]
    fn a_dependent_with_another_owner_outlives_one_owner() {
        let rs = chain()
            .resources
            .get("apps", "v1", "replicasets")
            .expect("replicasets are served");
        let policies = [
            Propagation::Background,
            Propagation::Foreground,
            Propagation::Orphan,
        ];
        for first in policies {
            for second in policies {
                let what = format!("{first:?} then {second:?}");
                let r = Replay::empty(Options::default());
                r.store.load(&replicasets(), obj("rs-1", "rs-1", &[]));
                r.store.load(&replicasets(), obj("rs-2", "rs-2", &[]));
                r.store.load(&pods(), obj("p", "p", &["rs-1", "rs-2"]));
                delete(&r, &rs, "default", "rs-1", &opts(first)).expect(&what);
                let p = r.store.get(&pods(), "default", "p").expect(&what);
                assert_eq!(meta::owner_uids(&p).collect::<Vec<_>>(), ["rs-2"], "{what}");
                delete(&r, &rs, "default", "rs-2", &opts(second)).expect(&what);
                let p = r.store.get(&pods(), "default", "p");
                match second {
                    Propagation::Orphan => {
                        let p = p.expect(&what);
                        assert_eq!(meta::owner_uids(&p).count(), 0, "{what}");
                    }
                    _ => assert!(p.is_none(), "{what}"),
                }
            }
        }
    }

    /// A deletion refused for its preconditions changes nothing, dependents
    /// included (the cascade used to run before the check).
    #[test]
    fn a_refused_deletion_cascades_nothing() {
        let deploy = chain()
            .resources
            .get("apps", "v1", "deployments")
            .expect("deployments are served");
        for propagation in [Propagation::Foreground, Propagation::Orphan] {
            let r = chain();
            let since = r.store.resource_version();
            let mut o = opts(propagation);
            o.preconditions.uid = Some("not-d".into());
            assert!(delete(&r, &deploy, "default", "d", &o).is_err());
            assert_eq!(r.store.resource_version(), since, "{propagation:?}");
        }
    }

    mod graphs {
        use super::*;
        use proptest::prelude::*;
        use std::collections::BTreeMap;

        /// Objects (pods or ReplicaSets by index) with owners by index; an
        /// index past the last object is a reference to an owner never stored.
        fn graphs() -> impl Strategy<Value = Vec<Vec<usize>>> {
            (1usize..8)
                .prop_flat_map(|n| prop::collection::vec(prop::collection::vec(0..n + 2, 0..4), n))
        }

        fn policy() -> impl Strategy<Value = Propagation> {
            prop_oneof![
                Just(Propagation::Background),
                Just(Propagation::Foreground),
                Just(Propagation::Orphan),
            ]
        }

        fn at(i: usize) -> (StorageKey, String) {
            let storage = if i.is_multiple_of(2) {
                pods()
            } else {
                replicasets()
            };
            (storage, format!("o-{i}"))
        }

        /// Owner UIDs, in reference order.
        fn owners_of(o: &Value) -> Vec<String> {
            meta::owner_uids(o).map(str::to_owned).collect()
        }

        /// What the cascade must delete, from the definition: the smallest
        /// set holding the root and every object whose owners (one at least
        /// in the set) are all in it or never stored.
        fn expected(owners: &[Vec<usize>], root: usize) -> BTreeSet<usize> {
            let n = owners.len();
            let mut set = BTreeSet::from([root]);
            loop {
                let before = set.len();
                for (i, os) in owners.iter().enumerate() {
                    let gone = |o: &usize| set.contains(o) || *o >= n;
                    if !set.contains(&i)
                        && os.iter().any(|o| set.contains(o))
                        && os.iter().all(gone)
                    {
                        set.insert(i);
                    }
                }
                if set.len() == before {
                    return set;
                }
            }
        }

        /// Whether `to` can be reached from `from` through owner-to-dependent
        /// edges between members of `within`.
        fn reaches(
            owners: &[Vec<usize>],
            within: &BTreeSet<usize>,
            from: usize,
            to: usize,
        ) -> bool {
            let mut seen = BTreeSet::from([from]);
            let mut todo = vec![from];
            while let Some(x) = todo.pop() {
                if x == to {
                    return true;
                }
                for (d, os) in owners.iter().enumerate() {
                    if within.contains(&d) && os.contains(&x) && seen.insert(d) {
                        todo.push(d);
                    }
                }
            }
            false
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

            /// Any owner graph (loops, self-ownership, repeated and dangling
            /// references), any root, any policy: the delete succeeds and
            /// - deletes exactly what the definition says (the root alone when
            ///   orphaning), each object once;
            /// - leaves no object naming a deleted UID, and changes nothing
            ///   else in anyone's references;
            /// - leaves every object that lost an owner with a live one unless
            ///   it was orphaned on purpose;
            /// - deletes owners first in the background, and in the
            ///   foreground each object before every deleted owner it does not
            ///   (transitively) own back.
            #[test]
            fn cascades_end_and_leave_no_reference_to_the_deleted(
                owners in graphs(),
                root in any::<prop::sample::Index>(),
                propagation in policy(),
            ) {
                let n = owners.len();
                let root = root.index(n);
                let uid = |i: usize| format!("o-{i}");
                let r = Replay::empty(Options::default());
                let mut before = BTreeMap::new();
                for (i, os) in owners.iter().enumerate() {
                    let refs: Vec<String> = os.iter().map(|o| uid(*o)).collect();
                    let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                    let (storage, name) = at(i);
                    r.store.load(&storage, obj(&name, &uid(i), &refs));
                    before.insert(i, refs.iter().map(|s| s.to_string()).collect::<Vec<_>>());
                }
                let since = r.store.resource_version();
                let (storage, name) = at(root);
                let res = r.resources.get(&storage.group, "v1", &storage.resource).expect("served");
                prop_assert!(delete(&r, &res, "default", &name, &opts(propagation)).is_ok());

                let order: Vec<usize> = deleted_since(&r, since)
                    .iter()
                    .map(|k| k.trim_start_matches("o-").parse().expect("an o-<i> name"))
                    .collect();
                let deleted: BTreeSet<usize> = order.iter().copied().collect();
                prop_assert_eq!(deleted.len(), order.len(), "each deleted once: {:?}", order);
                let want = match propagation {
                    Propagation::Orphan => BTreeSet::from([root]),
                    _ => expected(&owners, root),
                };
                prop_assert_eq!(&deleted, &want);
                let gone: BTreeSet<String> = deleted.iter().map(|i| uid(*i)).collect();
                let live = |u: &String| !gone.contains(u) && (0..n).any(|i| uid(i) == *u);
                for i in (0..n).filter(|i| !deleted.contains(i)) {
                    let (storage, name) = at(i);
                    let o = r.store.get(&storage, "default", &name).expect("left");
                    let was = &before[&i];
                    let kept: Vec<String> = was.iter().filter(|u| !gone.contains(*u)).cloned().collect();
                    prop_assert_eq!(owners_of(&o), kept, "o-{}", i);
                    if propagation != Propagation::Orphan && was.iter().any(|u| gone.contains(u)) {
                        prop_assert!(was.iter().any(live), "o-{} lost an owner, has no live one", i);
                    }
                }
                let pos = |i: usize| order.iter().position(|x| *x == i).expect("deleted");
                for &x in deleted.iter().filter(|x| **x != root) {
                    for &p in owners[x].iter().filter(|p| deleted.contains(p)) {
                        match propagation {
                            Propagation::Background => prop_assert!(pos(p) < pos(x), "{:?}", order),
                            Propagation::Foreground if !reaches(&owners, &deleted, x, p) => {
                                prop_assert!(pos(x) < pos(p), "{:?}", order)
                            }
                            _ => {}
                        }
                    }
                }
            }
        }
    }
}
