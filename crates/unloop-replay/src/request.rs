//! What a request asks for: the route its path names, its query parameters,
//! and the shape of answer its `Accept` header wants.

use crate::error::ApiError;

/// A path the server answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// `/api`
    CoreVersions,
    /// `/apis`
    Groups,
    /// `/apis/<group>`
    Group(String),
    /// `/api/v1`, `/apis/<group>/<version>`
    ResourceList { group: String, version: String },
    /// Anything under a group version's resources.
    Resource(ResourcePath),
}

/// `/api/v1/[watch/][namespaces/<ns>/]<plural>[/<name>[/<sub>]]` and its `/apis` twin.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ResourcePath {
    pub group: String,
    pub version: String,
    pub plural: String,
    pub namespace: Option<String>,
    pub name: Option<String>,
    pub subresource: Option<String>,
    /// The legacy `/watch/` path form.
    pub watch: bool,
}

/// Parses a request path (already percent-decoded segments are not needed:
/// Kubernetes names never need encoding).
pub fn parse_path(path: &str) -> Option<Route> {
    let segs: Vec<&str> = path
        .trim_matches('/')
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let (group, version, rest) = match segs.as_slice() {
        ["api"] => return Some(Route::CoreVersions),
        ["apis"] => return Some(Route::Groups),
        ["apis", g] => return Some(Route::Group((*g).to_owned())),
        ["api", v, rest @ ..] => ("", *v, rest),
        ["apis", g, v, rest @ ..] => (*g, *v, rest),
        _ => return None,
    };
    if rest.is_empty() {
        return Some(Route::ResourceList {
            group: group.to_owned(),
            version: version.to_owned(),
        });
    }
    let (watch, rest) = match rest {
        ["watch", r @ ..] if !r.is_empty() => (true, r),
        r => (false, r),
    };
    let owned = |s: &&str| (*s).to_owned();
    let mut p = ResourcePath {
        group: group.to_owned(),
        version: version.to_owned(),
        watch,
        ..Default::default()
    };
    match rest {
        ["namespaces", ns, plural, tail @ ..] if !matches!(*plural, "status" | "finalize") => {
            if tail.len() > 2 {
                return None;
            }
            p.namespace = Some((*ns).to_owned());
            p.plural = (*plural).to_owned();
            p.name = tail.first().map(owned);
            p.subresource = tail.get(1).map(owned);
        }
        [plural, tail @ ..] => {
            if tail.len() > 2 {
                return None;
            }
            p.plural = (*plural).to_owned();
            p.name = tail.first().map(owned);
            p.subresource = tail.get(1).map(owned);
        }
        [] => return None,
    }
    Some(Route::Resource(p))
}

/// Query parameters, in order.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<(String, String)>);

impl Params {
    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The first non-empty value of `key`.
    pub fn non_empty(&self, key: &str) -> Option<&str> {
        self.get(key).filter(|v| !v.is_empty())
    }

    /// A boolean parameter (`true`, `1`).
    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("true" | "1" | "True"))
    }

    /// A numeric parameter; 400 if it is not a number.
    pub fn number(&self, key: &str) -> Result<Option<i64>, ApiError> {
        match self.non_empty(key) {
            None => Ok(None),
            Some(v) => v.parse().map(Some).map_err(|_| {
                ApiError::bad_request(format!("invalid value {v:?} for query parameter {key}"))
            }),
        }
    }

    /// Whether `dryRun=All` was asked for (400 for any other value).
    pub fn dry_run(&self) -> Result<bool, ApiError> {
        let mut any = false;
        for (k, v) in &self.0 {
            if k == "dryRun" {
                if v != "All" {
                    return Err(ApiError::bad_request(format!(
                        "Invalid dry run value: {v}; allowed values: All"
                    )));
                }
                any = true;
            }
        }
        Ok(any)
    }
}

/// How a read is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// The objects.
    Full,
    /// `PartialObjectMetadata` / `PartialObjectMetadataList`.
    Metadata,
    /// A server-side `Table`.
    Table,
}

/// Picks the first media type of `Accept` the server can produce.
/// Protobuf, YAML and unknown `as=` kinds are passed over; if nothing is
/// left, 406.
pub fn negotiate(accept: Option<&str>) -> Result<Shape, ApiError> {
    let Some(accept) = accept.filter(|a| !a.trim().is_empty()) else {
        return Ok(Shape::Full);
    };
    for range in accept.split(',') {
        let mut parts = range.split(';').map(str::trim);
        let mime = parts.next().unwrap_or("").to_ascii_lowercase();
        if !matches!(mime.as_str(), "application/json" | "*/*" | "application/*") {
            continue;
        }
        let mut as_kind = None;
        let mut group = None;
        for p in parts {
            if let Some((k, v)) = p.split_once('=') {
                match k.trim() {
                    "as" => as_kind = Some(v.trim().to_owned()),
                    "g" => group = Some(v.trim().to_owned()),
                    _ => {}
                }
            }
        }
        let meta_group = group.as_deref().is_none_or(|g| g == "meta.k8s.io");
        match as_kind.as_deref() {
            None => return Ok(Shape::Full),
            Some("Table") if meta_group => return Ok(Shape::Table),
            Some("PartialObjectMetadata" | "PartialObjectMetadataList") if meta_group => {
                return Ok(Shape::Metadata);
            }
            _ => {}
        }
    }
    Err(ApiError::not_acceptable())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths() {
        assert_eq!(parse_path("/api"), Some(Route::CoreVersions));
        assert_eq!(parse_path("/apis/apps"), Some(Route::Group("apps".into())));
        let Some(Route::Resource(p)) = parse_path("/api/v1/namespaces/ns/pods/p/log") else {
            panic!()
        };
        assert_eq!(
            (
                p.namespace.as_deref(),
                p.plural.as_str(),
                p.name.as_deref(),
                p.subresource.as_deref()
            ),
            (Some("ns"), "pods", Some("p"), Some("log"))
        );
        let Some(Route::Resource(p)) = parse_path("/api/v1/namespaces/ns") else {
            panic!()
        };
        assert_eq!(
            (p.plural.as_str(), p.name.as_deref()),
            ("namespaces", Some("ns"))
        );
        let Some(Route::Resource(p)) = parse_path("/api/v1/namespaces/ns/status") else {
            panic!()
        };
        assert_eq!(
            (
                p.plural.as_str(),
                p.name.as_deref(),
                p.subresource.as_deref()
            ),
            ("namespaces", Some("ns"), Some("status"))
        );
        let Some(Route::Resource(p)) = parse_path("/apis/apps/v1/watch/namespaces/x/deployments")
        else {
            panic!()
        };
        assert!(p.watch && p.namespace.as_deref() == Some("x") && p.plural == "deployments");
        assert_eq!(parse_path("/nope"), None);
        assert_eq!(parse_path("/api/v1/pods/a/b/c"), None);
    }

    #[test]
    fn accept_headers() {
        let kubectl = "application/json;as=Table;v=v1;g=meta.k8s.io,application/json;as=Table;v=v1beta1;g=meta.k8s.io,application/json";
        assert_eq!(negotiate(Some(kubectl)).unwrap(), Shape::Table);
        assert_eq!(
            negotiate(Some(
                "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1"
            ))
            .unwrap(),
            Shape::Metadata
        );
        assert_eq!(
            negotiate(Some(
                "application/vnd.kubernetes.protobuf, application/json"
            ))
            .unwrap(),
            Shape::Full
        );
        assert_eq!(negotiate(None).unwrap(), Shape::Full);
        assert_eq!(
            negotiate(Some("application/vnd.kubernetes.protobuf"))
                .unwrap_err()
                .code,
            406
        );
    }
}
