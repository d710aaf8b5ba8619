//! get and list: selectors, pagination with continue tokens, resourceVersion
//! semantics, and the three answer shapes (objects, metadata only, Table).

use std::sync::Arc;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use serde_json::{Value, json};

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::meta;
use crate::request::{Params, Shape};
use crate::resources::ResourceInfo;
use crate::selectors::{FieldSelector, LabelSelector};
use crate::store::ObjKey;
use crate::table::{self, Ctx, Include};

/// Where a paginated list goes on: the list's resourceVersion and the last key served.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ContinueToken {
    /// Always `meta.k8s.io/v1`, as the real server's tokens say.
    pub v: String,
    pub rv: u64,
    pub ns: String,
    pub name: String,
    /// Items served before the next page (lets an unfiltered list count what
    /// remains without walking it).
    #[serde(default)]
    pub offset: u64,
}

impl ContinueToken {
    /// The opaque string handed to clients.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default())
    }

    /// Reads a token; 400 if it is not one of ours.
    pub fn decode(s: &str) -> ApiResult<Self> {
        URL_SAFE_NO_PAD
            .decode(s.trim_end_matches('='))
            .ok()
            .and_then(|b| serde_json::from_slice::<ContinueToken>(&b).ok())
            .filter(|t| t.v == "meta.k8s.io/v1")
            .ok_or_else(|| ApiError::bad_request(format!("continue key is not valid: {s:?}")))
    }
}

/// The selectors of a request.
pub struct Filter {
    pub labels: LabelSelector,
    pub fields: FieldSelector,
}

impl Filter {
    /// From `labelSelector` and `fieldSelector`.
    pub fn from_params(p: &Params, res: &ResourceInfo) -> ApiResult<Self> {
        Ok(Filter {
            labels: LabelSelector::parse(p.get("labelSelector").unwrap_or(""))?,
            fields: FieldSelector::parse(
                p.get("fieldSelector").unwrap_or(""),
                &res.group,
                &res.plural,
            )?,
        })
    }

    /// Whether an object passes both selectors.
    pub fn matches(&self, o: &Value) -> bool {
        self.labels.matches(o) && self.fields.matches(o)
    }

    /// Whether both selectors are empty.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty() && self.fields.is_empty()
    }
}

/// Parses a resourceVersion parameter.
pub fn parse_rv(s: &str) -> ApiResult<u64> {
    s.parse().map_err(|_| {
        ApiError::bad_request(format!(
            "invalid resource version {s:?}: must be a positive integer"
        ))
    })
}

/// The expired-token answer, with a token to go on inconsistently, as the real server gives.
fn expired_continue(tok: &ContinueToken, now: u64) -> ApiError {
    let mut e = ApiError::expired(
        "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
    );
    let fresh = ContinueToken {
        rv: now,
        ..tok.clone()
    };
    e.metadata = Some(json!({"continue": fresh.encode()}));
    e
}

/// One page of a list.
pub struct Page {
    pub items: Vec<Arc<Value>>,
    pub resource_version: u64,
    pub continue_token: Option<String>,
    pub remaining: Option<u64>,
}

/// Lists `res` in namespace `ns` (all if `None`) as `params` ask.
pub fn list_page(
    r: &Replay,
    res: &ResourceInfo,
    ns: Option<&str>,
    params: &Params,
) -> ApiResult<Page> {
    let filter = Filter::from_params(params, res)?;
    let limit = params
        .number("limit")?
        .filter(|&l| l > 0)
        .map(|l| l as usize);
    let cont = params
        .non_empty("continue")
        .map(ContinueToken::decode)
        .transpose()?;
    let rv = params.non_empty("resourceVersion");
    let rv_match = params.non_empty("resourceVersionMatch");
    if cont.is_some() && rv.is_some_and(|v| v != "0") {
        return Err(ApiError::bad_request(
            "specifying resource version is not allowed when using continue",
        ));
    }
    if rv_match.is_some() && rv.is_none() {
        return Err(ApiError::bad_request(
            "resourceVersionMatch is forbidden unless resourceVersion is provided",
        ));
    }
    let storage = res.storage();
    r.store.read(|view| {
        let current = view.resource_version();
        let (at, after) = match &cont {
            Some(tok) => {
                if tok.rv < view.floor() {
                    return Err(expired_continue(tok, current));
                }
                (Some(tok.rv), Some((tok.ns.clone(), tok.name.clone())))
            }
            None => {
                let at = match (rv.map(parse_rv).transpose()?, rv_match) {
                    (None | Some(0), _) => None,
                    // An exact version, or a paginated list at a version (the
                    // real server's legacy rule for limit with resourceVersion).
                    (Some(n), Some("Exact")) | (Some(n), None) if rv_match == Some("Exact") || limit.is_some() => {
                        if n < view.floor() {
                            return Err(ApiError::expired(format!(
                                "too old resource version: {n} ({})",
                                view.floor()
                            )));
                        }
                        if n > current {
                            return Err(too_large(n, current));
                        }
                        Some(n)
                    }
                    (Some(n), Some("NotOlderThan") | None) => {
                        if n > current {
                            return Err(too_large(n, current));
                        }
                        None
                    }
                    (Some(_), Some(other)) => {
                        return Err(ApiError::bad_request(format!(
                            "resourceVersionMatch: Unsupported value: {other:?}: supported values: \"Exact\", \"NotOlderThan\""
                        )));
                    }
                };
                (at, None)
            }
        };
        let list_rv = at.unwrap_or(current);
        let offset = cont.as_ref().map_or(0, |t| t.offset);
        let mut items: Vec<Arc<Value>> = Vec::new();
        let mut last: Option<ObjKey> = None;
        let mut more = false;
        let mut remaining = 0u64;
        // The real server counts what remains only when it need not filter.
        let count_rest = filter.is_empty();
        // Unfiltered, all namespaces, at the current version: what remains is
        // the table's size less what was served, with no need to walk it.
        let by_size = count_rest && ns.is_none() && list_rv == current;
        let name_only = filter.fields.required("metadata.name").map(str::to_owned);
        let everything = filter.is_empty();
        view.scan(&storage, ns, at, after.as_ref(), |k, o| {
            if !everything && (name_only.as_deref().is_some_and(|n| n != k.1) || !filter.matches(o)) {
                return true;
            }
            if limit.is_some_and(|l| items.len() >= l) {
                more = true;
                remaining += 1;
                return count_rest && !by_size;
            }
            items.push(o.clone());
            last = Some(k.clone());
            true
        });
        if more && by_size {
            remaining = (view.len(&storage) as u64).saturating_sub(offset + items.len() as u64);
        }
        let continue_token = match (more, last) {
            (true, Some((ns, name))) => Some(
                ContinueToken {
                    v: "meta.k8s.io/v1".into(),
                    rv: list_rv,
                    ns,
                    name,
                    offset: offset + items.len() as u64,
                }
                .encode(),
            ),
            _ => None,
        };
        Ok(Page {
            items,
            resource_version: list_rv,
            remaining: (more && count_rest).then_some(remaining),
            continue_token,
        })
    })
}

fn too_large(n: u64, current: u64) -> ApiError {
    let mut e = ApiError::new(
        504,
        "Timeout",
        format!("Too large resource version: {n}, current: {current}"),
    );
    e.details = Some(
        json!({"causes": [{"reason": "ResourceVersionTooLarge", "message": "Too large resource version"}], "retryAfterSeconds": 1}),
    );
    e
}

/// A list in JSON, serialized from borrowed objects (no copies of the items).
#[derive(Serialize)]
struct ListBody<'a> {
    kind: String,
    #[serde(rename = "apiVersion")]
    api_version: &'a str,
    metadata: Value,
    items: Vec<&'a Value>,
}

/// `PartialObjectMetadata` borrowing its object's metadata.
#[derive(Serialize)]
struct PartialBody<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: &'a Value,
}

#[derive(Serialize)]
struct PartialListBody<'a> {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    metadata: Value,
    items: Vec<PartialBody<'a>>,
}

fn list_meta(p: &Page) -> Value {
    let mut m = json!({"resourceVersion": p.resource_version.to_string()});
    if let Some(c) = &p.continue_token {
        m["continue"] = json!(c);
    }
    if let Some(n) = p.remaining {
        m["remainingItemCount"] = json!(n);
    }
    m
}

/// The table context at the server's current time.
pub fn ctx(r: &Replay) -> Ctx {
    Ctx { now: r.clock.now() }
}

/// Renders a page in the shape asked for, as JSON bytes.
pub fn render_page(
    r: &Replay,
    res: &ResourceInfo,
    page: &Page,
    shape: Shape,
    params: &Params,
) -> Vec<u8> {
    let metadata = list_meta(page);
    match shape {
        Shape::Full => {
            let api_version = res.api_version();
            let body = ListBody {
                kind: format!("{}List", res.kind),
                api_version: &api_version,
                metadata,
                items: page.items.iter().map(|a| a.as_ref()).collect(),
            };
            serde_json::to_vec(&body).unwrap_or_default()
        }
        Shape::Metadata => {
            let null = Value::Null;
            let body = PartialListBody {
                kind: "PartialObjectMetadataList",
                api_version: "meta.k8s.io/v1",
                metadata,
                items: page
                    .items
                    .iter()
                    .map(|o| PartialBody {
                        kind: "PartialObjectMetadata",
                        api_version: "meta.k8s.io/v1",
                        metadata: o.get("metadata").unwrap_or(&null),
                    })
                    .collect(),
            };
            serde_json::to_vec(&body).unwrap_or_default()
        }
        Shape::Table => {
            let include = Include::parse(params.get("includeObject"));
            let t = table::table(
                res,
                page.items.iter().map(|a| a.as_ref()),
                include,
                &ctx(r),
                metadata,
                true,
            );
            serde_json::to_vec(&t).unwrap_or_default()
        }
    }
}

/// One object in the shape asked for.
pub fn render_object(
    r: &Replay,
    res: &ResourceInfo,
    obj: &Value,
    shape: Shape,
    params: &Params,
) -> Value {
    match shape {
        Shape::Full => obj.clone(),
        Shape::Metadata => meta::partial(obj),
        Shape::Table => {
            let include = Include::parse(params.get("includeObject"));
            let rv = meta::str_at(obj, &["metadata", "resourceVersion"]).unwrap_or("");
            table::table(
                res,
                [obj],
                include,
                &ctx(r),
                json!({"resourceVersion": rv}),
                true,
            )
        }
    }
}

/// GET of one object.
pub fn get(r: &Replay, res: &ResourceInfo, ns: &str, name: &str) -> ApiResult<Arc<Value>> {
    r.store
        .get(&res.storage(), ns, name)
        .ok_or_else(|| ApiError::not_found(&res.qualified(), name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = ContinueToken {
            v: "meta.k8s.io/v1".into(),
            rv: 42,
            ns: "ns".into(),
            name: "a".into(),
            offset: 7,
        };
        assert_eq!(ContinueToken::decode(&t.encode()).unwrap(), t);
        assert_eq!(ContinueToken::decode("nope").unwrap_err().code, 400);
    }
}
