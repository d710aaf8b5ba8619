//! `deployments/scale`, `statefulsets/scale`, `replicasets/scale`,
//! `replicationcontrollers/scale`: autoscaling/v1 `Scale` views of `spec.replicas`.

use serde_json::{Value, json};

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::meta::{self, at};
use crate::patch::PatchType;
use crate::request::Params;
use crate::resources::ResourceInfo;
use crate::selectors::selector_string;
use crate::write::{self, Part};

/// The Scale of an object.
pub fn scale_of(obj: &Value) -> Value {
    let m = obj.get("metadata").cloned().unwrap_or_else(|| json!({}));
    let selector = match at(obj, &["spec", "selector"]) {
        // ReplicationControllers select with a plain map.
        Some(Value::Object(s))
            if !s.contains_key("matchLabels") && !s.contains_key("matchExpressions") =>
        {
            selector_string(&json!({"matchLabels": s}))
        }
        Some(s) => selector_string(s),
        None => String::new(),
    };
    json!({
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {
            "name": m.get("name"),
            "namespace": m.get("namespace"),
            "uid": m.get("uid"),
            "resourceVersion": m.get("resourceVersion"),
            "creationTimestamp": m.get("creationTimestamp"),
        },
        "spec": {"replicas": at(obj, &["spec", "replicas"]).and_then(Value::as_i64).unwrap_or(1)},
        "status": {
            "replicas": at(obj, &["status", "replicas"]).and_then(Value::as_i64).unwrap_or(0),
            "selector": selector,
        },
    })
}

fn parent(
    r: &Replay,
    res: &ResourceInfo,
    ns: &str,
    name: &str,
) -> ApiResult<std::sync::Arc<Value>> {
    r.store
        .get(&res.storage(), ns, name)
        .ok_or_else(|| ApiError::not_found(&res.qualified(), name))
}

/// GET of the Scale.
pub fn get(r: &Replay, res: &ResourceInfo, ns: &str, name: &str) -> ApiResult<Value> {
    Ok(scale_of(&*parent(r, res, ns, name)?))
}

/// Writes `scale`'s replicas to the object; returns the new Scale.
fn set(
    r: &Replay,
    res: &ResourceInfo,
    existing: &Value,
    scale: &Value,
    dry_run: bool,
) -> ApiResult<Value> {
    let replicas = at(scale, &["spec", "replicas"])
        .and_then(Value::as_i64)
        .ok_or_else(|| ApiError::bad_request("spec.replicas is required"))?;
    if replicas < 0 {
        return Err(ApiError::invalid(
            "Scale",
            "autoscaling",
            meta::name(existing),
            &[(
                "spec.replicas",
                format!("Invalid value: {replicas}: must be greater than or equal to 0"),
            )],
        ));
    }
    let mut new = existing.clone();
    new["spec"]["replicas"] = json!(replicas);
    // The Scale's resourceVersion, if given, is a precondition on the object.
    let rv = meta::str_at(scale, &["metadata", "resourceVersion"]).filter(|s| !s.is_empty());
    match rv {
        Some(rv) => meta::set_meta(&mut new, "resourceVersion", json!(rv)),
        None => {
            meta::metadata_mut(&mut new).remove("resourceVersion");
        }
    }
    let updated = write::commit_update(r, res, existing, new, Part::Main, dry_run)?;
    Ok(scale_of(&updated))
}

/// PUT of the Scale.
pub fn update(
    r: &Replay,
    res: &ResourceInfo,
    ns: &str,
    name: &str,
    body: &Value,
    params: &Params,
) -> ApiResult<Value> {
    let existing = parent(r, res, ns, name)?;
    set(r, res, &existing, body, params.dry_run()?)
}

/// PATCH of the Scale.
pub fn patch(
    r: &Replay,
    res: &ResourceInfo,
    ns: &str,
    name: &str,
    ty: PatchType,
    body: &Value,
    params: &Params,
) -> ApiResult<Value> {
    let existing = parent(r, res, ns, name)?;
    let mut scale = scale_of(&existing);
    let had_rv = body.pointer("/metadata/resourceVersion").is_some();
    ty.apply(&mut scale, body)?;
    if !had_rv {
        meta::metadata_mut(&mut scale).remove("resourceVersion");
    }
    set(r, res, &existing, &scale, params.dry_run()?)
}
