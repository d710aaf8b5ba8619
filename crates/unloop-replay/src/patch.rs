//! Patches: JSON merge patch (RFC 7386), JSON patch (RFC 6902), and strategic
//! merge patch for the fields kubectl and unloop patch.
//!
//! Strategic merge differs from a merge patch in lists: lists the Kubernetes
//! API marks `patchStrategy: merge` are merged item by item on their merge
//! key (containers by `name`, ports by `containerPort`, ...) instead of being
//! replaced, `$patch: delete` removes an item, `$patch: replace` replaces a
//! map or list whole, and `$deleteFromPrimitiveList/<field>` and
//! `$setElementOrder/<field>` directives are understood (the latter ignored:
//! order is kept as stored, new items appended).

use serde_json::{Map, Value};

use crate::error::{ApiError, ApiResult};

/// Applies an RFC 7386 merge patch.
pub fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("an object");
    for (k, v) in p {
        if v.is_null() {
            t.remove(k);
        } else {
            merge(t.entry(k.clone()).or_insert(Value::Null), v);
        }
    }
}

/// The merge key of a list field that strategic merge patch merges, by the
/// field's name (the Kubernetes types' `patchMergeKey` tags, for the fields
/// that matter in practice). `Some("")` marks a list of primitives merged as a set.
fn merge_key(field: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "env"
        | "volumes"
        | "imagePullSecrets"
        | "resourceClaims" => "name",
        "hostAliases" => "ip",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "ports" => "containerPort",
        "conditions" => "type",
        "ownerReferences" => "uid",
        "topologySpreadConstraints" => "topologyKey",
        "finalizers" => "",
        _ => return None,
    })
}

/// Applies a strategic merge patch.
pub fn strategic(target: &mut Value, patch: &Value) -> ApiResult<()> {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    if p.get("$patch").and_then(Value::as_str) == Some("replace") {
        let mut clean = p.clone();
        clean.remove("$patch");
        *target = Value::Object(clean);
        return Ok(());
    }
    if p.get("$patch").and_then(Value::as_str) == Some("delete") {
        *target = Value::Null;
        return Ok(());
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let t = target.as_object_mut().expect("an object");
    for (k, v) in p {
        if k == "$patch" || k.starts_with("$setElementOrder/") || k == "$retainKeys" {
            continue;
        }
        if let Some(field) = k.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(items)), Value::Array(gone)) = (t.get_mut(field), v) {
                items.retain(|x| !gone.contains(x));
            }
            continue;
        }
        if v.is_null() {
            t.remove(k);
            continue;
        }
        match (merge_key(k), v) {
            (Some(key), Value::Array(items)) => {
                let cur = t
                    .entry(k.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                merge_list(cur, items, key)?;
            }
            (_, Value::Object(_)) => {
                let cur = t.entry(k.clone()).or_insert(Value::Null);
                strategic(cur, v)?;
                if cur.is_null() {
                    t.remove(k);
                }
            }
            _ => {
                t.insert(k.clone(), v.clone());
            }
        }
    }
    Ok(())
}

fn merge_list(cur: &mut Value, items: &[Value], key: &str) -> ApiResult<()> {
    if items
        .iter()
        .any(|i| i.get("$patch").and_then(Value::as_str) == Some("replace"))
    {
        let kept: Vec<Value> = items
            .iter()
            .filter(|i| i.get("$patch").is_none())
            .cloned()
            .collect();
        *cur = Value::Array(kept);
        return Ok(());
    }
    if !cur.is_array() {
        *cur = Value::Array(Vec::new());
    }
    let list = cur.as_array_mut().expect("an array");
    for item in items {
        if key.is_empty() {
            // A set of primitives.
            if !list.contains(item) {
                list.push(item.clone());
            }
            continue;
        }
        let Some(k) = item.get(key) else {
            return Err(ApiError::bad_request(format!(
                "map: {item} does not contain declared merge key: {key}"
            )));
        };
        let pos = list.iter().position(|x| x.get(key) == Some(k));
        let delete = item.get("$patch").and_then(Value::as_str) == Some("delete");
        match (pos, delete) {
            (Some(i), true) => {
                list.remove(i);
            }
            (None, true) => {}
            (Some(i), false) => strategic(&mut list[i], item)?,
            (None, false) => {
                let mut clean = item.clone();
                strategic(&mut clean, &Value::Object(Map::new()))?;
                list.push(clean);
            }
        }
    }
    Ok(())
}

/// Unescapes one JSON pointer token.
fn token(t: &str) -> String {
    t.replace("~1", "/").replace("~0", "~")
}

fn pointer_parts(path: &str) -> ApiResult<Vec<String>> {
    if path.is_empty() {
        return Ok(Vec::new());
    }
    let rest = path
        .strip_prefix('/')
        .ok_or_else(|| ApiError::bad_request(format!("invalid JSON pointer {path:?}")))?;
    Ok(rest.split('/').map(token).collect())
}

fn parent_mut<'a>(doc: &'a mut Value, parts: &[String]) -> ApiResult<&'a mut Value> {
    let mut cur = doc;
    for p in parts {
        cur = match cur {
            Value::Object(m) => m.get_mut(p),
            Value::Array(a) => p.parse::<usize>().ok().and_then(move |i| a.get_mut(i)),
            _ => None,
        }
        .ok_or_else(|| ApiError::new(422, "Invalid", format!("the server rejected our request due to an error in our request: missing path element {p:?}")))?;
    }
    Ok(cur)
}

fn add(doc: &mut Value, path: &str, value: Value) -> ApiResult<()> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        *doc = value;
        return Ok(());
    };
    match parent_mut(doc, parents)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
        }
        Value::Array(a) => {
            let i = if last == "-" {
                a.len()
            } else {
                last.parse::<usize>()
                    .ok()
                    .filter(|&i| i <= a.len())
                    .ok_or_else(|| {
                        ApiError::new(
                            422,
                            "Invalid",
                            format!("add operation: index {last} out of bounds"),
                        )
                    })?
            };
            a.insert(i, value);
        }
        _ => {
            return Err(ApiError::new(
                422,
                "Invalid",
                format!("add operation does not apply: doc is missing path: {path}"),
            ));
        }
    }
    Ok(())
}

fn remove(doc: &mut Value, path: &str) -> ApiResult<Value> {
    let parts = pointer_parts(path)?;
    let Some((last, parents)) = parts.split_last() else {
        return Err(ApiError::new(
            422,
            "Invalid",
            "cannot remove the whole document",
        ));
    };
    let missing = || {
        ApiError::new(
            422,
            "Invalid",
            format!("remove operation does not apply: doc is missing path: \"{path}\""),
        )
    };
    match parent_mut(doc, parents)? {
        Value::Object(m) => m.remove(last).ok_or_else(missing),
        Value::Array(a) => match last.parse::<usize>() {
            Ok(i) if i < a.len() => Ok(a.remove(i)),
            _ => Err(missing()),
        },
        _ => Err(missing()),
    }
}

fn get(doc: &Value, path: &str) -> ApiResult<Value> {
    doc.pointer(path)
        .cloned()
        .ok_or_else(|| ApiError::new(422, "Invalid", format!("doc is missing path: \"{path}\"")))
}

/// Applies an RFC 6902 JSON patch (a list of operations).
pub fn json_patch(doc: &mut Value, ops: &Value) -> ApiResult<()> {
    let ops = ops
        .as_array()
        .ok_or_else(|| ApiError::bad_request("a JSON patch must be a list of operations"))?;
    for op in ops {
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let path = op.get("path").and_then(Value::as_str).unwrap_or("");
        let value = || {
            op.get("value")
                .cloned()
                .ok_or_else(|| ApiError::bad_request(format!("{name} operation has no value")))
        };
        let from = || {
            op.get("from")
                .and_then(Value::as_str)
                .ok_or_else(|| ApiError::bad_request(format!("{name} operation has no from")))
        };
        match name {
            "add" => add(doc, path, value()?)?,
            "remove" => {
                remove(doc, path)?;
            }
            "replace" => {
                remove(doc, path)?;
                add(doc, path, value()?)?;
            }
            "move" => {
                let v = remove(doc, from()?)?;
                add(doc, path, v)?;
            }
            "copy" => {
                let v = get(doc, from()?)?;
                add(doc, path, v)?;
            }
            "test" => {
                if get(doc, path)? != value()? {
                    return Err(ApiError::new(
                        422,
                        "Invalid",
                        format!("testing value {path} failed"),
                    ));
                }
            }
            other => {
                return Err(ApiError::bad_request(format!(
                    "unexpected kind of JSON patch operation: {other:?}"
                )));
            }
        }
    }
    Ok(())
}

/// The patch types the server takes, by content type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchType {
    Json,
    Merge,
    Strategic,
    /// Server-side apply, approximated as a merge patch (no field ownership).
    Apply,
}

impl PatchType {
    /// From the request's content type; 415 for others.
    pub fn from_content_type(ct: &str) -> ApiResult<Self> {
        match ct.split(';').next().unwrap_or("").trim() {
            "application/json-patch+json" => Ok(PatchType::Json),
            "application/merge-patch+json" => Ok(PatchType::Merge),
            "application/strategic-merge-patch+json" => Ok(PatchType::Strategic),
            "application/apply-patch+yaml" | "application/apply-patch+cbor" => Ok(PatchType::Apply),
            other => Err(ApiError::unsupported_media_type(other)),
        }
    }

    /// Applies `patch` to `doc`.
    pub fn apply(self, doc: &mut Value, patch: &Value) -> ApiResult<()> {
        match self {
            PatchType::Json => json_patch(doc, patch),
            PatchType::Merge | PatchType::Apply => {
                merge(doc, patch);
                Ok(())
            }
            PatchType::Strategic => strategic(doc, patch),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn merge_patch_sets_and_removes() {
        let mut d = json!({"a": 1, "b": {"c": 2, "d": 3}, "l": [1, 2]});
        merge(&mut d, &json!({"a": null, "b": {"c": 5}, "l": [3]}));
        assert_eq!(d, json!({"b": {"c": 5, "d": 3}, "l": [3]}));
    }

    #[test]
    fn strategic_merges_containers_by_name_and_deletes() {
        let mut d = json!({"spec": {"unschedulable": false, "containers": [
            {"name": "a", "image": "x:1", "env": [{"name": "E", "value": "1"}]},
            {"name": "b", "image": "y:1"}]}});
        strategic(
            &mut d,
            &json!({"spec": {"unschedulable": true, "containers": [
            {"name": "a", "image": "x:2", "env": [{"name": "F", "value": "2"}]},
            {"name": "b", "$patch": "delete"},
            {"name": "c", "image": "z:1"}]}}),
        )
        .unwrap();
        assert_eq!(d["spec"]["unschedulable"], json!(true));
        let c = &d["spec"]["containers"];
        assert_eq!(c.as_array().unwrap().len(), 2);
        assert_eq!(c[0]["image"], "x:2");
        assert_eq!(c[0]["env"].as_array().unwrap().len(), 2);
        assert_eq!(c[1]["name"], "c");
        let mut m = json!({"metadata": {"labels": {"a": "1", "b": "2"}, "finalizers": ["x"]}});
        strategic(
            &mut m,
            &json!({"metadata": {"labels": {"a": null, "c": "3"}, "finalizers": ["y"]}}),
        )
        .unwrap();
        assert_eq!(
            m,
            json!({"metadata": {"labels": {"b": "2", "c": "3"}, "finalizers": ["x", "y"]}})
        );
        let mut r = json!({"spec": {"template": {"a": 1, "b": 2}}});
        strategic(
            &mut r,
            &json!({"spec": {"template": {"$patch": "replace", "c": 3}}}),
        )
        .unwrap();
        assert_eq!(r, json!({"spec": {"template": {"c": 3}}}));
        let mut f = json!({"metadata": {"finalizers": ["x", "y"]}});
        strategic(
            &mut f,
            &json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["x"]}}),
        )
        .unwrap();
        assert_eq!(f, json!({"metadata": {"finalizers": ["y"]}}));
    }

    #[test]
    fn json_patch_operations() {
        let mut d =
            json!({"spec": {"replicas": 1, "l": [1, 2]}, "metadata": {"labels": {"a/b": "x"}}});
        json_patch(
            &mut d,
            &json!([
                {"op": "replace", "path": "/spec/replicas", "value": 3},
                {"op": "add", "path": "/spec/l/-", "value": 3},
                {"op": "remove", "path": "/spec/l/0"},
                {"op": "test", "path": "/metadata/labels/a~1b", "value": "x"},
                {"op": "copy", "from": "/spec/replicas", "path": "/spec/copy"},
                {"op": "move", "from": "/spec/copy", "path": "/spec/moved"}
            ]),
        )
        .unwrap();
        assert_eq!(d["spec"], json!({"replicas": 3, "l": [2, 3], "moved": 3}));
        assert_eq!(
            json_patch(
                &mut d,
                &json!([{"op": "test", "path": "/spec/replicas", "value": 4}])
            )
            .unwrap_err()
            .code,
            422
        );
        assert_eq!(
            json_patch(&mut d, &json!([{"op": "remove", "path": "/nope"}]))
                .unwrap_err()
                .code,
            422
        );
    }
}
