//! Discovery: `/version`, `/api`, `/apis`, and the resource list of each group
//! version, in the legacy (unaggregated) forms every kubectl accepts.

use serde_json::{Value, json};

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::resources::ResourceInfo;

/// `/version`.
pub fn version(r: &Replay) -> Value {
    let v = r.git_version.trim_start_matches('v');
    let mut parts = v.split(['.', '-', '+']);
    let major = parts.next().unwrap_or("1");
    let minor = parts.next().unwrap_or("0");
    json!({
        "major": major,
        "minor": minor,
        "gitVersion": r.git_version,
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-01-01T00:00:00Z",
        "goVersion": "go1.22.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    })
}

/// `/api`.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

fn group_json(group: &str, versions: &[String]) -> Value {
    let vs: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": vs,
        "preferredVersion": vs.first().cloned().unwrap_or(Value::Null),
    })
}

/// `/apis`.
pub fn groups(r: &Replay) -> Value {
    let groups: Vec<Value> = r
        .resources
        .groups()
        .iter()
        .map(|(g, vs)| group_json(g, vs))
        .collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`.
pub fn group(r: &Replay, name: &str) -> ApiResult<Value> {
    let groups = r.resources.groups();
    let vs = groups.get(name).ok_or_else(ApiError::no_route)?;
    let mut g = group_json(name, vs);
    g["kind"] = json!("APIGroup");
    g["apiVersion"] = json!("v1");
    Ok(g)
}

fn resource_json(r: &ResourceInfo) -> Value {
    let mut v = json!({
        "name": r.plural,
        "singularName": r.singular,
        "namespaced": r.namespaced,
        "kind": r.kind,
        "verbs": r.verbs,
    });
    if !r.short_names.is_empty() {
        v["shortNames"] = json!(r.short_names);
    }
    if !r.categories.is_empty() {
        v["categories"] = json!(r.categories);
    }
    v
}

/// `/api/v1` or `/apis/<group>/<version>`: `APIResourceList`.
pub fn resource_list(r: &Replay, group: &str, version: &str) -> ApiResult<Value> {
    let list = r.resources.in_group_version(group, version);
    if list.is_empty() && !(group.is_empty() && version == "v1") {
        return Err(ApiError::no_route());
    }
    let mut out = Vec::new();
    for res in &list {
        out.push(resource_json(res));
        for sub in &res.subresources {
            let mut s = json!({
                "name": format!("{}/{}", res.plural, sub.name),
                "singularName": "",
                "namespaced": res.namespaced,
                "kind": if sub.kind.is_empty() { res.kind.as_str() } else { sub.kind },
                "verbs": sub.verbs,
            });
            if let Some(g) = sub.group {
                s["group"] = json!(g);
            }
            if let Some(v) = sub.version {
                s["version"] = json!(v);
            }
            out.push(s);
        }
    }
    let gv = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Ok(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": gv,
        "resources": out,
    }))
}
