//! The requests the collector makes: GETs only, built here and nowhere else,
//! so read-only is a property of this module.

/// `Accept` for metadata-only lists (what `kubectl get -o name` and
/// `Api::list_metadata` use): names, labels, annotations, no spec, no data.
pub const METADATA_ACCEPT: &str =
    "application/json;as=PartialObjectMetadataList;g=meta.k8s.io;v=v1,application/json";

/// A GET of `uri` (path and query).
pub fn get(uri: &str, accept: Option<&str>) -> http::Request<Vec<u8>> {
    let mut b = http::Request::get(uri);
    if let Some(a) = accept {
        b = b.header(http::header::ACCEPT, a);
    }
    // Only a malformed URI can fail here, and every URI is built from
    // percent-encoded parts below.
    b.body(Vec::new()).unwrap_or_else(|_| {
        http::Request::get("/")
            .body(Vec::new())
            .expect("static request")
    })
}

/// Query parameters, percent-encoded.
#[derive(Debug, Default, Clone)]
pub struct Query(String);

impl Query {
    /// Adds `key=value`.
    pub fn add(mut self, key: &str, value: impl AsRef<str>) -> Query {
        self.0.push(if self.0.is_empty() { '?' } else { '&' });
        self.0.push_str(key);
        self.0.push('=');
        self.0.push_str(&encode(value.as_ref()));
        self
    }

    /// Adds `key=value` when there is a value.
    pub fn opt(self, key: &str, value: Option<impl AsRef<str>>) -> Query {
        match value {
            Some(v) => self.add(key, v),
            None => self,
        }
    }

    /// `path` with this query.
    pub fn on(&self, path: &str) -> String {
        format!("{path}{}", self.0)
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The collection path of a resource: `/api/v1/namespaces/ns/pods`,
/// `/apis/apps/v1/replicasets`, ...
pub fn collection(group: &str, version: &str, plural: &str, namespace: Option<&str>) -> String {
    let base = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    match namespace {
        Some(ns) => format!("{base}/namespaces/{}/{plural}", encode(ns)),
        None => format!("{base}/{plural}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_encoded_gets() {
        let q = Query::default()
            .add(
                "fieldSelector",
                "involvedObject.uid=a,involvedObject.kind=Pod",
            )
            .opt("continue", None::<&str>);
        let uri = q.on(&collection("", "v1", "events", Some("ns")));
        assert_eq!(
            uri,
            "/api/v1/namespaces/ns/events?fieldSelector=involvedObject.uid%3Da%2CinvolvedObject.kind%3DPod"
        );
        assert_eq!(get(&uri, None).method(), http::Method::GET);
        assert_eq!(
            collection("apps", "v1", "replicasets", None),
            "/apis/apps/v1/replicasets"
        );
    }
}
