//! Values of table cells that several kubectl outputs share: ages and
//! intervals, event sources, object references, field-path prefixes.

use std::time::Duration;

use jiff::Timestamp;

use crate::evidence::time::AnchorId;
use crate::evidence::time::{TimeRef, parse_human_duration};

/// An age cell as kubectl prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Age {
    /// `<unknown>` (a zero timestamp) or `<invalid>` (a time in the future).
    Unknown,
    /// A plain duration, `5m`.
    Plain(Duration),
    /// `3m1s (x19 over 12m)`: last seen, count, first seen.
    Interval {
        last: Option<Duration>,
        count: u32,
        first: Option<Duration>,
    },
    /// An absolute time (old `kubectl get events -w` printed Go's `time.String()`).
    At(Timestamp),
}

impl Age {
    /// Parses an age cell; `None` when it is not one.
    pub fn parse(s: &str) -> Option<Age> {
        let s = s.trim();
        if let Some(d) = duration_or_unknown(s) {
            return Some(d.map_or(Age::Unknown, Age::Plain));
        }
        if let Some(t) = parse_go_time(s) {
            return Some(Age::At(t));
        }
        let (last, rest) = s.split_once(" (x")?;
        let inner = rest.strip_suffix(')')?;
        let (count, first) = inner.split_once(" over ")?;
        Some(Age::Interval {
            last: duration_or_unknown(last.trim())?,
            count: count.trim().parse().ok()?,
            first: duration_or_unknown(first.trim())?,
        })
    }

    /// When it was last seen.
    pub fn last(&self, anchor: AnchorId) -> Option<TimeRef> {
        match *self {
            Age::Unknown => None,
            Age::Plain(d) => Some(ago(d, anchor)),
            Age::Interval { last, .. } => last.map(|d| ago(d, anchor)),
            Age::At(t) => Some(TimeRef::At(t)),
        }
    }

    /// The count an interval states.
    pub fn count(&self) -> Option<u32> {
        match self {
            Age::Interval { count, .. } => Some(*count),
            _ => None,
        }
    }

    /// When it was first seen, if the cell says. A plain age says so only when
    /// the printer shows intervals for repeated events (describe, `kubectl
    /// events`): there, a plain age is a single occurrence.
    pub fn first(&self, anchor: AnchorId, plain_is_single: bool) -> Option<TimeRef> {
        match *self {
            Age::Interval { first, .. } => first.map(|d| ago(d, anchor)),
            Age::Plain(d) if plain_is_single => Some(ago(d, anchor)),
            Age::At(t) if plain_is_single => Some(TimeRef::At(t)),
            _ => None,
        }
    }
}

/// `Some(None)` for `<unknown>`/`<invalid>`, `Some(Some(d))` for a duration.
fn duration_or_unknown(s: &str) -> Option<Option<Duration>> {
    if s == "<unknown>" || s == "<invalid>" {
        return Some(None);
    }
    parse_human_duration(s).map(Some)
}

/// A relative time.
pub(crate) fn ago(d: Duration, anchor: AnchorId) -> TimeRef {
    TimeRef::Ago { ago: d, anchor }
}

/// Go's `time.Time.String()`: `2024-03-27 18:30:28 +0000 UTC`, with optional
/// fractional seconds and a trailing monotonic clock reading.
pub(crate) fn parse_go_time(s: &str) -> Option<Timestamp> {
    let mut parts = s.split_whitespace();
    let date = parts.next()?;
    let time = parts.next()?;
    let offset = parts.next()?;
    if date.len() != 10 || !offset.starts_with(['+', '-']) {
        return None;
    }
    let time = time.split('.').next()?;
    let joined = format!("{date} {time} {offset}");
    jiff::fmt::strtime::parse("%Y-%m-%d %H:%M:%S %z", &joined)
        .ok()?
        .to_timestamp()
        .ok()
}

/// An event source as kubectl prints it: `kubelet`, `kubelet, node-1`, or the
/// ancient `{kubelet node-1}`. Returns (component, host).
pub(crate) fn parse_source(s: &str) -> (Option<String>, Option<String>) {
    let s = s.trim();
    let s = s
        .strip_prefix('{')
        .and_then(|x| x.strip_suffix('}'))
        .map_or(s, str::trim);
    if s.is_empty() {
        return (None, None);
    }
    let (comp, host) = match s.split_once(',') {
        Some((c, h)) => (c.trim(), h.trim()),
        None => match s.split_once(' ') {
            Some((c, h)) => (c.trim(), h.trim()),
            None => (s, ""),
        },
    };
    let opt = |x: &str| (!x.is_empty()).then(|| x.to_owned());
    (opt(comp), opt(host))
}

/// Splits describe's `spec.containers{controller}: ` message prefix (kubectl
/// 1.35+) into the field path and the message.
pub(crate) fn split_field_path(message: &str) -> (Option<&str>, &str) {
    match message.split_once(": ") {
        Some((head, rest)) if super::grid::is_field_path(head) => (Some(head), rest),
        _ => (None, message),
    }
}

/// The API kind for a kind as an events table prints it: `pod` → `Pod`,
/// `replicaset` → `ReplicaSet`. Kinds kubectl already capitalised are kept;
/// unknown lower-case kinds get a capital first letter.
pub(crate) fn api_kind(kind: &str) -> String {
    const KINDS: &[&str] = &[
        "APIService",
        "Broker",
        "Certificate",
        "CertificateRequest",
        "CertificateSigningRequest",
        "Challenge",
        "ClusterDomainClaim",
        "ClusterIssuer",
        "ClusterRole",
        "ClusterRoleBinding",
        "ConfigMap",
        "Configuration",
        "ControllerRevision",
        "CronJob",
        "CustomResourceDefinition",
        "DaemonSet",
        "Deployment",
        "DomainMapping",
        "Endpoints",
        "EndpointSlice",
        "HorizontalPodAutoscaler",
        "Image",
        "Ingress",
        "IngressClass",
        "Issuer",
        "Job",
        "Lease",
        "Metric",
        "MutatingWebhookConfiguration",
        "Namespace",
        "NetworkPolicy",
        "Node",
        "Order",
        "PersistentVolume",
        "PersistentVolumeClaim",
        "Pod",
        "PodAutoscaler",
        "PodDisruptionBudget",
        "PriorityClass",
        "ReplicaSet",
        "ReplicationController",
        "Revision",
        "Role",
        "RoleBinding",
        "Route",
        "Secret",
        "ServerlessService",
        "Service",
        "ServiceAccount",
        "StatefulSet",
        "StorageClass",
        "Trigger",
        "ValidatingWebhookConfiguration",
        "VolumeAttachment",
    ];
    if let Some(k) = KINDS.iter().find(|k| k.eq_ignore_ascii_case(kind)) {
        return (*k).to_owned();
    }
    let mut c = kind.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

/// True for kinds that live outside namespaces: an event about them carries no
/// namespace even when the events table shows one (node events sit in `default`).
pub(crate) fn is_cluster_scoped(kind: &str) -> bool {
    matches!(
        kind,
        "Node"
            | "Namespace"
            | "PersistentVolume"
            | "ClusterRole"
            | "ClusterRoleBinding"
            | "StorageClass"
            | "CustomResourceDefinition"
            | "PriorityClass"
            | "CertificateSigningRequest"
            | "ValidatingWebhookConfiguration"
            | "MutatingWebhookConfiguration"
            | "APIService"
            | "ClusterIssuer"
            | "ClusterDomainClaim"
            | "IngressClass"
            | "VolumeAttachment"
    )
}

/// RESTARTS: `7` or `7 (2m ago)` (kubectl ≥ 1.22).
pub(crate) fn parse_restarts(s: &str) -> Option<(u32, Option<Duration>)> {
    let s = s.trim();
    match s.split_once(' ') {
        None => Some((s.parse().ok()?, None)),
        Some((n, rest)) => {
            let inner = rest.trim().strip_prefix('(')?.strip_suffix(')')?;
            let d = inner.trim().strip_suffix("ago")?.trim();
            Some((n.parse().ok()?, parse_human_duration(d)))
        }
    }
}

/// READY: `1/2`.
pub(crate) fn parse_ready(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.trim().split_once('/')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// `<none>`, `<unset>`, `<unknown>` and empty cells say nothing.
pub(crate) fn none_if_placeholder(s: &str) -> Option<&str> {
    let s = s.trim();
    (!s.is_empty() && !matches!(s, "<none>" | "<unset>" | "<unknown>" | "<invalid>")).then_some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages() {
        let a = AnchorId(0);
        let iv = Age::parse("3m1s (x19 over 12m)").unwrap();
        assert_eq!(iv.count(), Some(19));
        assert_eq!(iv.last(a), Some(ago(Duration::from_secs(181), a)));
        assert_eq!(iv.first(a, true), Some(ago(Duration::from_secs(720), a)));
        assert_eq!(Age::parse("<unknown>"), Some(Age::Unknown));
        let plain = Age::parse("5m").unwrap();
        assert_eq!(plain.first(a, false), None);
        assert_eq!(plain.first(a, true), plain.last(a));
        assert_eq!(Age::parse("<unknown> (x2 over 5m)").unwrap().last(a), None);
        assert!(Age::parse("kubelet").is_none());
        assert!(Age::parse("3m (x over 2m)").is_none());
        let at = Age::parse("2024-03-27 18:30:28 +0000 UTC").unwrap();
        assert_eq!(
            at.last(a),
            Some(TimeRef::At("2024-03-27T18:30:28Z".parse().unwrap()))
        );
    }

    #[test]
    fn sources() {
        assert_eq!(parse_source("kubelet"), (Some("kubelet".into()), None));
        assert_eq!(
            parse_source("kubelet, node-1"),
            (Some("kubelet".into()), Some("node-1".into()))
        );
        assert_eq!(
            parse_source("{kubelet node-1}"),
            (Some("kubelet".into()), Some("node-1".into()))
        );
        assert_eq!(parse_source(""), (None, None));
    }

    #[test]
    fn kinds_and_prefixes() {
        assert_eq!(api_kind("replicaset"), "ReplicaSet");
        assert_eq!(api_kind("Pod"), "Pod");
        assert_eq!(api_kind("revision"), "Revision");
        assert_eq!(api_kind("widget"), "Widget");
        assert_eq!(
            split_field_path("spec.containers{controller}: Back-off restarting"),
            (Some("spec.containers{controller}"), "Back-off restarting")
        );
        assert_eq!(
            split_field_path("Liveness probe failed: Get x"),
            (None, "Liveness probe failed: Get x")
        );
    }

    #[test]
    fn restarts_and_ready() {
        assert_eq!(parse_restarts("7"), Some((7, None)));
        assert_eq!(
            parse_restarts("7 (2m ago)"),
            Some((7, Some(Duration::from_secs(120))))
        );
        assert_eq!(parse_restarts("seven"), None);
        assert_eq!(parse_ready("0/1"), Some((0, 1)));
        assert_eq!(parse_ready("Running"), None);
    }
}
