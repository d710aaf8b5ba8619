//! `kubectl describe` text: pods, nodes, deployments (kubectl 1.20 to 1.37).
//!
//! Every output is first read into an indentation tree ([`layout`]); each
//! describer then walks the keys it knows. Pasted output is often partial (it
//! starts mid-container, has `...` where lines were cut): readers take what is
//! there and never fail for a missing header.
//!
//! Ages (`3m1s (x19 over 12m)`) stay relative to one anchor per output; every
//! absolute time in the same output bounds that anchor from below, and where
//! the output pairs an absolute time with an age of the same moment (a
//! container's start and its `Started` event) the anchor is inferred.

mod deployment;
mod events;
mod layout;
mod node;
mod pod;
mod probe;
#[cfg(test)]
mod robustness;

use std::collections::BTreeMap;

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::model::ResourceAmounts;
use super::quantity::{parse_cpu_millis, parse_memory_bytes};
use super::text::TextInput;
use super::time::{AnchorId, TimeRef, parse_rfc1123z};
use layout::Layout;

/// Which object a describe output is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DescribeKind {
    Pod,
    Node,
    Deployment,
}

/// Reads one `kubectl describe pod` output (one or more pods).
pub fn read_describe_pod(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    pod::read(t, b)
}

/// Reads one `kubectl describe node` output (one or more nodes).
pub fn read_describe_node(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    node::read(t, b)
}

/// Reads one `kubectl describe deployment` output (one or more deployments).
/// ReplicaSet, StatefulSet and DaemonSet describe output, which shares its
/// layout, is read too, as workloads of those kinds.
pub fn read_describe_deployment(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    deployment::read(t, b)
}

/// Which describe output a text is, judged by the keys only that describer
/// prints. Partial pod pastes (container fields, an Events table) count as pods.
pub fn describe_kind(text: &str) -> Option<DescribeKind> {
    let mut top = Vec::new();
    let mut nested = Vec::new();
    for line in text.lines().take(400) {
        let (key, _) = layout::split_key(line.trim());
        if let Some(k) = key {
            if line.starts_with(char::is_alphanumeric) {
                top.push(k);
            } else {
                nested.push(k);
            }
        }
    }
    let has = |k: &str| top.contains(&k);
    if has("Roles") || has("Taints") || has("Unschedulable") || has("Non-terminated Pods") {
        return Some(DescribeKind::Node);
    }
    if has("Replicas") && (has("StrategyType") || has("Pod Template") || has("NewReplicaSet")) {
        return Some(DescribeKind::Deployment);
    }
    let pod_keys = [
        "Containers",
        "Controlled By",
        "QoS Class",
        "Start Time",
        "Init Containers",
    ];
    if pod_keys.iter().any(|k| has(k)) {
        return Some(DescribeKind::Pod);
    }
    let container_keys = [
        "Restart Count",
        "Last State",
        "Liveness",
        "Readiness",
        "Container ID",
    ];
    let hits = container_keys.iter().filter(|k| nested.contains(k)).count();
    let events = text.lines().any(events::is_header);
    (hits >= 2 || (hits >= 1 && events) || (events && has("Events"))).then_some(DescribeKind::Pod)
}

/// An absolute time from describe (RFC 1123 with numeric zone), reported as a
/// lower bound of the output's anchor. Zero times (`0001`, `1970`) say nothing.
pub(crate) fn abs_time(b: &mut EvidenceBuilder, anchor: AnchorId, s: &str) -> Option<TimeRef> {
    let t = parse_rfc1123z(s)?;
    if t.as_second() < 365 * 86_400 {
        return None;
    }
    b.anchor_not_before(anchor, t);
    Some(TimeRef::At(t))
}

/// `Labels:` with its continuation lines: `key=value` each, `<none>` for none.
pub(crate) fn labels(layout: &Layout<'_>, id: usize) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let e = layout.get(id);
    let lines = std::iter::once(e.value).chain(
        layout
            .descendants(id)
            .into_iter()
            .map(|c| layout.get(c).text),
    );
    for l in lines {
        let kv = l.trim().split_once('=');
        if let Some((k, v)) = kv.filter(|(k, _)| !k.is_empty() && !k.contains(' ')) {
            out.insert(k.to_owned(), v.to_owned());
        }
    }
    out
}

/// `Annotations:` with its continuation lines: `key: value` each; a long or
/// multi-line value follows its `key:` on lines indented further.
pub(crate) fn annotations(layout: &Layout<'_>, id: usize) -> BTreeMap<String, String> {
    let e = layout.get(id);
    let desc: Vec<_> = layout
        .descendants(id)
        .into_iter()
        .map(|c| layout.get(c))
        .collect();
    // Keys sit at the column the first value starts at; a long value's lines
    // are indented further.
    let key_indent = if e.value.is_empty() {
        desc.iter().map(|d| d.indent).min()
    } else {
        Some(e.indent + e.text.len() - e.value.len())
    };
    let mut out = BTreeMap::new();
    let mut cur: Option<(String, String)> = None;
    let mut push = |cur: &mut Option<(String, String)>| {
        if let Some((k, v)) = cur.take() {
            out.insert(k, v);
        }
    };
    let lines = std::iter::once((true, e.value))
        .chain(desc.iter().map(|d| (Some(d.indent) == key_indent, d.text)));
    for (is_key_line, text) in lines {
        let text = text.trim();
        if text.is_empty() || text == "<none>" {
            continue;
        }
        let kv = text
            .split_once(": ")
            .or_else(|| text.strip_suffix(':').map(|k| (k, "")));
        match kv {
            Some((k, v)) if is_key_line && !k.contains(' ') => {
                push(&mut cur);
                cur = Some((k.to_owned(), v.to_owned()));
            }
            _ => {
                if let Some((_, v)) = cur.as_mut() {
                    if !v.is_empty() {
                        v.push('\n');
                    }
                    v.push_str(text);
                }
            }
        }
    }
    push(&mut cur);
    out
}

/// `cpu:` and `memory:` children of `Limits:`, `Requests:`, `Capacity:`, ….
pub(crate) fn amounts(layout: &Layout<'_>, id: usize) -> ResourceAmounts {
    let mut a = ResourceAmounts::default();
    for &c in &layout.get(id).children {
        let e = layout.get(c);
        match e.key {
            Some("cpu") => a.cpu_millis = parse_cpu_millis(e.value),
            Some("memory") => a.memory_bytes = parse_memory_bytes(e.value),
            _ => {}
        }
    }
    a
}

/// A name for an object whose describe output lost its `Name:` line: the
/// input's file stem, which is all that is known about it.
pub(crate) fn placeholder_name(t: &TextInput<'_>, nth: usize) -> String {
    let origin: &str = &t.origin.origin;
    let file = origin.rsplit(['/', '\\']).next().unwrap_or(origin);
    let stem = file.rsplit_once('.').map_or(file, |(s, _)| s);
    let clean: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let clean = clean.trim_matches('-');
    let base = if clean.is_empty() { "unnamed" } else { clean };
    if nth == 0 {
        base.to_owned()
    } else {
        format!("{base}-{}", nth + 1)
    }
}

/// Reads every object of a describe output with `read_doc`, which is given
/// the object's root entries, the output's anchor and the count of objects so
/// far without a name, and says whether it knew any key. An error when none did.
fn read_objects(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    what: &str,
    mut read_doc: impl FnMut(
        &TextInput<'_>,
        &mut EvidenceBuilder,
        &Layout<'_>,
        &[usize],
        AnchorId,
        &mut usize,
    ) -> bool,
) -> Result<(), InputError> {
    let layout = Layout::parse(t);
    if layout.entries.is_empty() {
        return Ok(());
    }
    let anchor = b.new_anchor();
    let mut read_any = false;
    let mut headless = 0;
    for doc in layout.documents() {
        read_any |= read_doc(t, b, &layout, &doc, anchor, &mut headless);
    }
    if read_any {
        Ok(())
    } else {
        Err(nothing_found(t, what))
    }
}

/// An error for an input in which no describe line was recognised at all.
pub(crate) fn nothing_found(t: &TextInput<'_>, what: &str) -> InputError {
    InputError::Malformed {
        origin: t.origin.origin.to_string(),
        line: t.line_no(0),
        message: format!("no `kubectl describe {what}` fields found"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::source::Source;

    #[test]
    fn kinds() {
        assert_eq!(
            describe_kind("Name:  n\nRoles:  worker\nTaints:  <none>\n"),
            Some(DescribeKind::Node)
        );
        assert_eq!(
            describe_kind(
                "Name:  d\nReplicas:  1 desired | 1 updated\nStrategyType:  RollingUpdate\n"
            ),
            Some(DescribeKind::Deployment)
        );
        assert_eq!(
            describe_kind("Name:  p\nNamespace:  ns\nContainers:\n  c:\n"),
            Some(DescribeKind::Pod)
        );
        assert_eq!(
            describe_kind(
                "    Restart Count:  29\n    Liveness:  http-get http://:80/healthz delay=60s\n"
            ),
            Some(DescribeKind::Pod)
        );
        assert_eq!(
            describe_kind("I0412 09:14:07.381522  1 trace.go:236] x\n"),
            None
        );
    }

    #[test]
    fn labels_and_annotations() {
        let text = "\
Labels:       app=net-istio-controller
              node-role.kubernetes.io/worker=
Annotations:  kubectl.kubernetes.io/restartedAt: 2024-03-27T18:00:00Z
              long.example.com/config:
                {\"a\": 1,
                 \"b\": 2}
              sidecar.istio.io/inject: false
";
        let t = TextInput::new(text, Source::new("d.txt"));
        let l = Layout::parse(&t);
        let ls = labels(&l, l.roots[0]);
        assert_eq!(ls["app"], "net-istio-controller");
        assert_eq!(ls["node-role.kubernetes.io/worker"], "");
        let an = annotations(&l, l.roots[1]);
        assert_eq!(
            an["kubectl.kubernetes.io/restartedAt"],
            "2024-03-27T18:00:00Z"
        );
        assert_eq!(an["long.example.com/config"], "{\"a\": 1,\n\"b\": 2}");
        assert_eq!(an["sidecar.istio.io/inject"], "false");
        assert_eq!(an.len(), 3);
    }

    #[test]
    fn placeholder_names() {
        let t = TextInput::new("", Source::new("cases/49-x/describe.txt"));
        assert_eq!(placeholder_name(&t, 0), "describe");
        assert_eq!(placeholder_name(&t, 1), "describe-2");
        let t = TextInput::new("", Source::new("<stdin>"));
        assert_eq!(placeholder_name(&t, 0), "stdin");
    }

    #[test]
    fn zero_times_say_nothing() {
        let mut b = EvidenceBuilder::new();
        let a = b.new_anchor();
        assert_eq!(abs_time(&mut b, a, "Mon, 01 Jan 0001 00:00:00 +0000"), None);
        assert_eq!(abs_time(&mut b, a, "Thu, 01 Jan 1970 00:00:00 +0000"), None);
        assert!(abs_time(&mut b, a, "Wed, 27 Mar 2024 18:30:28 +0000").is_some());
        assert_eq!(
            b.finish().anchors[0].not_before,
            Some("2024-03-27T18:30:28Z".parse().unwrap())
        );
    }
}
