//! Label and field selectors, parsed and matched as the real server does.

use serde_json::Value;

use crate::error::ApiError;
use crate::meta;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Op {
    Eq(String),
    NotEq(String),
    In(Vec<String>),
    NotIn(Vec<String>),
    Exists,
    DoesNotExist,
    Gt(i64),
    Lt(i64),
}

/// A parsed `labelSelector`: every requirement must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    reqs: Vec<(String, Op)>,
}

/// Splits on commas outside parentheses.
fn split_top(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut depth = 0i32;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

fn bad_label(s: &str, why: &str) -> ApiError {
    ApiError::bad_request(format!("unable to parse requirement: {why}: {s:?}"))
}

fn set_values(rest: &str, whole: &str) -> Result<Vec<String>, ApiError> {
    let inner = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| bad_label(whole, "expected a parenthesised set of values"))?;
    Ok(inner
        .split(',')
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
        .collect())
}

impl LabelSelector {
    /// Parses `a=b,c!=d,e in (x,y),f notin (z),g,!h,i>3`.
    pub fn parse(s: &str) -> Result<Self, ApiError> {
        let mut reqs = Vec::new();
        for term in split_top(s) {
            let t = term.trim();
            if t.is_empty() {
                continue;
            }
            if let Some(k) = t.strip_prefix('!') {
                reqs.push((k.trim().to_owned(), Op::DoesNotExist));
                continue;
            }
            let words: Vec<&str> = t.splitn(2, char::is_whitespace).collect();
            if words.len() == 2 {
                let rest = words[1].trim_start();
                if let Some(r) = rest.strip_prefix("notin") {
                    reqs.push((words[0].to_owned(), Op::NotIn(set_values(r, t)?)));
                    continue;
                }
                if let Some(r) = rest.strip_prefix("in") {
                    reqs.push((words[0].to_owned(), Op::In(set_values(r, t)?)));
                    continue;
                }
            }
            let op = if let Some((k, v)) = t.split_once("!=") {
                (k, Op::NotEq(v.trim().to_owned()))
            } else if let Some((k, v)) = t.split_once("==") {
                (k, Op::Eq(v.trim().to_owned()))
            } else if let Some((k, v)) = t.split_once('=') {
                (k, Op::Eq(v.trim().to_owned()))
            } else if let Some((k, v)) = t.split_once('>') {
                let n = v.trim().parse().map_err(|_| bad_label(t, "for 'gt', 'lt' operators, exactly one value is required and it must be an integer"))?;
                (k, Op::Gt(n))
            } else if let Some((k, v)) = t.split_once('<') {
                let n = v.trim().parse().map_err(|_| bad_label(t, "for 'gt', 'lt' operators, exactly one value is required and it must be an integer"))?;
                (k, Op::Lt(n))
            } else {
                (t, Op::Exists)
            };
            let key = op.0.trim();
            if key.is_empty() || key.contains(char::is_whitespace) {
                return Err(bad_label(t, "invalid label key"));
            }
            reqs.push((key.to_owned(), op.1));
        }
        Ok(LabelSelector { reqs })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.reqs.is_empty()
    }

    /// Whether labels `get(key)` satisfy every requirement.
    pub fn matches_with<'a>(&self, get: impl Fn(&str) -> Option<&'a str>) -> bool {
        self.reqs.iter().all(|(k, op)| {
            let v = get(k);
            match op {
                Op::Eq(x) => v == Some(x.as_str()),
                Op::NotEq(x) => v != Some(x.as_str()),
                Op::In(xs) => v.is_some_and(|v| xs.iter().any(|x| x == v)),
                Op::NotIn(xs) => v.is_none_or(|v| !xs.iter().any(|x| x == v)),
                Op::Exists => v.is_some(),
                Op::DoesNotExist => v.is_none(),
                Op::Gt(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v > *n),
                Op::Lt(n) => v
                    .and_then(|v| v.parse::<i64>().ok())
                    .is_some_and(|v| v < *n),
            }
        })
    }

    /// Whether an object's labels satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let labels = meta::labels(obj);
        self.matches_with(|k| labels.and_then(|l| l.get(k)).and_then(Value::as_str))
    }
}

/// A selector written as an API `LabelSelector` object (`matchLabels`,
/// `matchExpressions`), as Deployments, ReplicaSets and PDBs carry it.
/// An empty or missing selector selects everything.
pub fn object_selector_matches(selector: &Value, obj: &Value) -> bool {
    let labels = meta::labels(obj);
    let get = |k: &str| labels.and_then(|l| l.get(k)).and_then(Value::as_str);
    if let Some(ml) = selector.get("matchLabels").and_then(Value::as_object)
        && !ml.iter().all(|(k, v)| get(k) == v.as_str())
    {
        return false;
    }
    let exprs = selector.get("matchExpressions").and_then(Value::as_array);
    exprs.into_iter().flatten().all(|e| {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let v = get(key);
        match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => v.is_some_and(|v| values.contains(&v)),
            "NotIn" => v.is_none_or(|v| !values.contains(&v)),
            "Exists" => v.is_some(),
            "DoesNotExist" => v.is_none(),
            _ => false,
        }
    })
}

/// `a=b,c=d` as kubectl prints a selector object (Scale's `status.selector`).
pub fn selector_string(selector: &Value) -> String {
    let mut parts: Vec<String> = selector
        .get("matchLabels")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("")))
        .collect();
    for e in selector
        .get("matchExpressions")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = e.get("key").and_then(Value::as_str).unwrap_or("");
        let values: Vec<&str> = e
            .get("values")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        match e.get("operator").and_then(Value::as_str).unwrap_or("") {
            "In" => parts.push(format!("{key} in ({})", values.join(","))),
            "NotIn" => parts.push(format!("{key} notin ({})", values.join(","))),
            "Exists" => parts.push(key.to_owned()),
            "DoesNotExist" => parts.push(format!("!{key}")),
            _ => {}
        }
    }
    parts.join(",")
}

/// A parsed `fieldSelector`: `field=value`, `field==value`, `field!=value` terms.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldSelector {
    terms: Vec<(String, bool, String)>,
}

/// Fields a resource can be selected on, beyond `metadata.name` and
/// `metadata.namespace` (which every resource has).
fn supported_fields(group: &str, resource: &str) -> &'static [&'static str] {
    match (group, resource) {
        ("", "pods") => &[
            "spec.nodeName",
            "spec.restartPolicy",
            "spec.schedulerName",
            "spec.serviceAccountName",
            "spec.hostNetwork",
            "status.phase",
            "status.podIP",
            "status.nominatedNodeName",
        ],
        ("", "events") => &[
            "involvedObject.kind",
            "involvedObject.namespace",
            "involvedObject.name",
            "involvedObject.uid",
            "involvedObject.apiVersion",
            "involvedObject.resourceVersion",
            "involvedObject.fieldPath",
            "reason",
            "reportingComponent",
            "source",
            "type",
        ],
        ("events.k8s.io", "events") => &[
            "regarding.kind",
            "regarding.namespace",
            "regarding.name",
            "regarding.uid",
            "regarding.apiVersion",
            "regarding.resourceVersion",
            "regarding.fieldPath",
            "reason",
            "reportingController",
            "type",
        ],
        ("", "nodes") => &["spec.unschedulable"],
        ("", "secrets") => &["type"],
        ("", "namespaces") => &["status.phase"],
        ("", "replicationcontrollers") => &["status.replicas"],
        ("apps", "replicasets") => &["status.replicas"],
        ("batch", "jobs") => &["status.successful"],
        _ => &[],
    }
}

/// Splits on commas not escaped with a backslash, and unescapes `\,` `\=` `\\`.
fn split_escaped(s: &str, sep: char) -> Vec<String> {
    let mut out = vec![String::new()];
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.last_mut().expect("one").push('\\');
                out.last_mut().expect("one").push(n);
            }
        } else if c == sep {
            out.push(String::new());
        } else {
            out.last_mut().expect("one").push(c);
        }
    }
    out
}

fn unescape(s: &str) -> String {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\\' {
            if let Some(n) = chars.next() {
                out.push(n);
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Finds the first unescaped occurrence of `op` in `s`.
fn find_op(s: &str, op: &str) -> Option<usize> {
    let mut i = 0;
    let b = s.as_bytes();
    while i < b.len() {
        if b[i] == b'\\' {
            i += 2;
            continue;
        }
        if s[i..].starts_with(op) {
            return Some(i);
        }
        i += 1;
    }
    None
}

impl FieldSelector {
    /// Parses a field selector and checks its fields against what
    /// `group`/`resource` supports (400 `field label not supported` otherwise).
    pub fn parse(s: &str, group: &str, resource: &str) -> Result<Self, ApiError> {
        let supported = supported_fields(group, resource);
        let mut terms = Vec::new();
        for term in split_escaped(s, ',') {
            if term.trim().is_empty() {
                continue;
            }
            let (field, neg, value) = if let Some(i) = find_op(&term, "!=") {
                (&term[..i], true, &term[i + 2..])
            } else if let Some(i) = find_op(&term, "==") {
                (&term[..i], false, &term[i + 2..])
            } else if let Some(i) = find_op(&term, "=") {
                (&term[..i], false, &term[i + 1..])
            } else {
                return Err(ApiError::bad_request(format!(
                    "invalid selector: '{s}'; can't understand '{term}'"
                )));
            };
            let field = field.trim();
            if !matches!(field, "metadata.name" | "metadata.namespace")
                && !supported.contains(&field)
            {
                return Err(ApiError::bad_request(format!(
                    "field label not supported: {field}"
                )));
            }
            terms.push((field.to_owned(), neg, unescape(value)));
        }
        Ok(FieldSelector { terms })
    }

    /// Whether the selector selects everything.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value a term on `field` requires, if the selector has one
    /// (`metadata.name=x` lets a watch or list skip to one object).
    pub fn required(&self, field: &str) -> Option<&str> {
        self.terms
            .iter()
            .find(|(f, neg, _)| f == field && !neg)
            .map(|(_, _, v)| v.as_str())
    }

    /// Whether an object satisfies every term.
    pub fn matches(&self, obj: &Value) -> bool {
        self.terms.iter().all(|(field, neg, want)| {
            let got = field_value(obj, field);
            (got == *want) != *neg
        })
    }
}

/// An object's value for a selectable field, as the real server renders it
/// (missing strings are `""`, booleans `true`/`false`).
fn field_value(obj: &Value, field: &str) -> String {
    let path: Vec<&str> = field.split('.').collect();
    match meta::at(obj, &path) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Bool(b)) => b.to_string(),
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::Object(o)) if field == "source" => o
            .get("component")
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned(),
        _ if field == "spec.unschedulable" || field == "spec.hostNetwork" => "false".into(),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"name": "p", "namespace": "n", "labels": labels}})
    }

    #[test]
    fn label_selector_operators() {
        let o = obj(json!({"app": "web", "tier": "front", "n": "5"}));
        let yes = [
            "app=web",
            "app==web",
            "app!=db",
            "app in (web,db)",
            "tier notin (back)",
            "app",
            "!missing",
            "n>3",
            "app=web,tier in (front)",
            "missing!=x",
        ];
        for s in yes {
            assert!(LabelSelector::parse(s).unwrap().matches(&o), "{s}");
        }
        let no = [
            "app=db",
            "app!=web",
            "app in (db)",
            "tier notin (front,back)",
            "missing",
            "!app",
            "n<3",
            "app=web,tier=back",
        ];
        for s in no {
            assert!(!LabelSelector::parse(s).unwrap().matches(&o), "{s}");
        }
        assert!(LabelSelector::parse("a in x").is_err());
    }

    #[test]
    fn field_selectors_for_pods_and_events() {
        let pod = json!({"metadata": {"name": "p", "namespace": "n"}, "spec": {"nodeName": "node-1"}, "status": {"phase": "Running"}});
        let s =
            FieldSelector::parse("spec.nodeName=node-1,status.phase!=Failed", "", "pods").unwrap();
        assert!(s.matches(&pod));
        assert!(
            !FieldSelector::parse("spec.nodeName==node-2", "", "pods")
                .unwrap()
                .matches(&pod)
        );
        let ev = json!({"metadata": {"name": "e", "namespace": "n"}, "involvedObject": {"kind": "Pod", "name": "p", "namespace": "n", "uid": "u1"}});
        let s = FieldSelector::parse(
            "involvedObject.name=p,involvedObject.namespace=n,involvedObject.uid=u1",
            "",
            "events",
        )
        .unwrap();
        assert!(s.matches(&ev));
        assert!(
            FieldSelector::parse("involvedObject.fieldPath=", "", "events")
                .unwrap()
                .matches(&ev)
        );
        let err = FieldSelector::parse("spec.nodeName=x", "", "services").unwrap_err();
        assert_eq!(err.message, "field label not supported: spec.nodeName");
        let node = json!({"metadata": {"name": "n1"}});
        assert!(
            FieldSelector::parse("spec.unschedulable=false", "", "nodes")
                .unwrap()
                .matches(&node)
        );
        assert!(
            FieldSelector::parse("metadata.name=a\\,b", "", "pods")
                .unwrap()
                .matches(&json!({"metadata": {"name": "a,b"}}))
        );
    }

    #[test]
    fn object_selectors() {
        let o = obj(json!({"app": "web"}));
        assert!(object_selector_matches(
            &json!({"matchLabels": {"app": "web"}}),
            &o
        ));
        assert!(!object_selector_matches(
            &json!({"matchExpressions": [{"key": "app", "operator": "NotIn", "values": ["web"]}]}),
            &o
        ));
        assert!(object_selector_matches(&json!({}), &o));
        assert_eq!(
            selector_string(
                &json!({"matchLabels": {"app": "web"}, "matchExpressions": [{"key": "x", "operator": "Exists"}]})
            ),
            "app=web,x"
        );
    }
}
