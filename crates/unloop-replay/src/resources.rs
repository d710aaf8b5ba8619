//! What the server serves: one entry per resource, with the metadata discovery
//! publishes (plural, singular, kind, short names, scope, verbs, subresources).
//!
//! Built-in kinds come from a static table with the real API's metadata; custom
//! kinds are added for every group/version/kind found in the snapshot, with
//! Knative's real plurals and short names and English plural rules otherwise.

use std::collections::BTreeMap;
use std::sync::Arc;

/// Every verb of a read-write resource.
pub const ALL_VERBS: [&str; 8] = [
    "create",
    "delete",
    "deletecollection",
    "get",
    "list",
    "patch",
    "update",
    "watch",
];

/// A subresource (`pods/log`, `deployments/scale`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subresource {
    /// `log`, `status`, `scale`, `eviction`.
    pub name: &'static str,
    /// The kind it serves, with its group and version when they differ from the parent's.
    pub kind: &'static str,
    pub group: Option<&'static str>,
    pub version: Option<&'static str>,
    pub verbs: &'static [&'static str],
}

const STATUS: Subresource = Subresource {
    name: "status",
    kind: "",
    group: None,
    version: None,
    verbs: &["get", "patch", "update"],
};
const SCALE: Subresource = Subresource {
    name: "scale",
    kind: "Scale",
    group: Some("autoscaling"),
    version: Some("v1"),
    verbs: &["get", "patch", "update"],
};
const LOG: Subresource = Subresource {
    name: "log",
    kind: "Pod",
    group: None,
    version: None,
    verbs: &["get"],
};
const EVICTION: Subresource = Subresource {
    name: "eviction",
    kind: "Eviction",
    group: Some("policy"),
    version: Some("v1"),
    verbs: &["create"],
};

/// One served resource.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceInfo {
    /// API group, `""` for core.
    pub group: String,
    pub version: String,
    /// The plural, as in URLs (`pods`, `revisions`).
    pub plural: String,
    pub singular: String,
    pub kind: String,
    pub short_names: Vec<String>,
    pub namespaced: bool,
    pub verbs: Vec<&'static str>,
    pub categories: Vec<&'static str>,
    pub subresources: Vec<Subresource>,
    /// Whether the kind is built into Kubernetes (list items then carry no
    /// kind/apiVersion in JSON, as the real server encodes typed objects).
    pub builtin: bool,
}

impl ResourceInfo {
    /// `v1` or `apps/v1`.
    pub fn api_version(&self) -> String {
        if self.group.is_empty() {
            self.version.clone()
        } else {
            format!("{}/{}", self.group, self.version)
        }
    }

    /// `pods` or `deployments.apps`, as the real server names resources in messages.
    pub fn qualified(&self) -> String {
        if self.group.is_empty() {
            self.plural.clone()
        } else {
            format!("{}.{}", self.plural, self.group)
        }
    }

    /// Where objects are stored: group and plural (one storage per resource,
    /// whatever version it is read through).
    pub fn storage(&self) -> StorageKey {
        StorageKey {
            group: self.group.clone(),
            resource: self.plural.clone(),
        }
    }

    /// The subresource of that name, if served.
    pub fn subresource(&self, name: &str) -> Option<&Subresource> {
        self.subresources.iter().find(|s| s.name == name)
    }

    /// Whether `.status` is written only through the status subresource.
    pub fn has_status_subresource(&self) -> bool {
        self.subresource("status").is_some()
    }
}

/// Group and resource: the key of one storage table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StorageKey {
    pub group: String,
    pub resource: String,
}

impl StorageKey {
    /// A key from its parts.
    pub fn new(group: &str, resource: &str) -> Self {
        StorageKey {
            group: group.to_owned(),
            resource: resource.to_owned(),
        }
    }
}

struct Builtin {
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    subresources: &'static [Subresource],
    categories: &'static [&'static str],
}

const fn b(
    group: &'static str,
    version: &'static str,
    plural: &'static str,
    kind: &'static str,
    short: &'static [&'static str],
    namespaced: bool,
    subresources: &'static [Subresource],
) -> Builtin {
    Builtin {
        group,
        version,
        plural,
        kind,
        short,
        namespaced,
        subresources,
        categories: &[],
    }
}

const fn all(mut x: Builtin) -> Builtin {
    x.categories = &["all"];
    x
}

/// Built-in kinds, with the real API's plurals, short names, scopes and
/// subresources (kube-apiserver 1.33).
const BUILTINS: &[Builtin] = &[
    b("", "v1", "bindings", "Binding", &[], true, &[]),
    b(
        "",
        "v1",
        "componentstatuses",
        "ComponentStatus",
        &["cs"],
        false,
        &[],
    ),
    b("", "v1", "configmaps", "ConfigMap", &["cm"], true, &[]),
    b("", "v1", "endpoints", "Endpoints", &["ep"], true, &[]),
    b("", "v1", "events", "Event", &["ev"], true, &[]),
    b(
        "",
        "v1",
        "limitranges",
        "LimitRange",
        &["limits"],
        true,
        &[],
    ),
    b(
        "",
        "v1",
        "namespaces",
        "Namespace",
        &["ns"],
        false,
        &[STATUS],
    ),
    b("", "v1", "nodes", "Node", &["no"], false, &[STATUS]),
    b(
        "",
        "v1",
        "persistentvolumeclaims",
        "PersistentVolumeClaim",
        &["pvc"],
        true,
        &[STATUS],
    ),
    b(
        "",
        "v1",
        "persistentvolumes",
        "PersistentVolume",
        &["pv"],
        false,
        &[STATUS],
    ),
    all(b(
        "",
        "v1",
        "pods",
        "Pod",
        &["po"],
        true,
        &[EVICTION, LOG, STATUS],
    )),
    b("", "v1", "podtemplates", "PodTemplate", &[], true, &[]),
    all(b(
        "",
        "v1",
        "replicationcontrollers",
        "ReplicationController",
        &["rc"],
        true,
        &[SCALE, STATUS],
    )),
    b(
        "",
        "v1",
        "resourcequotas",
        "ResourceQuota",
        &["quota"],
        true,
        &[STATUS],
    ),
    b("", "v1", "secrets", "Secret", &[], true, &[]),
    b(
        "",
        "v1",
        "serviceaccounts",
        "ServiceAccount",
        &["sa"],
        true,
        &[],
    ),
    all(b(
        "",
        "v1",
        "services",
        "Service",
        &["svc"],
        true,
        &[STATUS],
    )),
    b(
        "apps",
        "v1",
        "controllerrevisions",
        "ControllerRevision",
        &[],
        true,
        &[],
    ),
    all(b(
        "apps",
        "v1",
        "daemonsets",
        "DaemonSet",
        &["ds"],
        true,
        &[STATUS],
    )),
    all(b(
        "apps",
        "v1",
        "deployments",
        "Deployment",
        &["deploy"],
        true,
        &[SCALE, STATUS],
    )),
    all(b(
        "apps",
        "v1",
        "replicasets",
        "ReplicaSet",
        &["rs"],
        true,
        &[SCALE, STATUS],
    )),
    all(b(
        "apps",
        "v1",
        "statefulsets",
        "StatefulSet",
        &["sts"],
        true,
        &[SCALE, STATUS],
    )),
    all(b(
        "batch",
        "v1",
        "cronjobs",
        "CronJob",
        &["cj"],
        true,
        &[STATUS],
    )),
    all(b("batch", "v1", "jobs", "Job", &[], true, &[STATUS])),
    all(b(
        "autoscaling",
        "v2",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        &["hpa"],
        true,
        &[STATUS],
    )),
    b(
        "coordination.k8s.io",
        "v1",
        "leases",
        "Lease",
        &[],
        true,
        &[],
    ),
    b("events.k8s.io", "v1", "events", "Event", &["ev"], true, &[]),
    b(
        "policy",
        "v1",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        &["pdb"],
        true,
        &[STATUS],
    ),
];

/// Knative's real plurals and short names (their CRDs' `names`).
const KNATIVE: &[(&str, &str, &str, &[&str])] = &[
    ("serving.knative.dev", "Revision", "revisions", &["rev"]),
    (
        "serving.knative.dev",
        "Service",
        "services",
        &["kservice", "ksvc"],
    ),
    (
        "serving.knative.dev",
        "Configuration",
        "configurations",
        &["config", "cfg"],
    ),
    ("serving.knative.dev", "Route", "routes", &["rt"]),
    (
        "serving.knative.dev",
        "DomainMapping",
        "domainmappings",
        &["dm"],
    ),
    (
        "networking.internal.knative.dev",
        "Ingress",
        "ingresses",
        &["kingress", "king"],
    ),
    (
        "networking.internal.knative.dev",
        "ServerlessService",
        "serverlessservices",
        &["sks"],
    ),
    (
        "networking.internal.knative.dev",
        "Certificate",
        "certificates",
        &["kcert"],
    ),
    (
        "networking.internal.knative.dev",
        "ClusterDomainClaim",
        "clusterdomainclaims",
        &["cdc"],
    ),
    (
        "autoscaling.internal.knative.dev",
        "PodAutoscaler",
        "podautoscalers",
        &["kpa", "pa"],
    ),
    ("autoscaling.internal.knative.dev", "Metric", "metrics", &[]),
    ("caching.internal.knative.dev", "Image", "images", &["img"]),
    (
        "networking.istio.io",
        "VirtualService",
        "virtualservices",
        &["vs"],
    ),
    ("networking.istio.io", "Gateway", "gateways", &["gw"]),
    (
        "networking.istio.io",
        "DestinationRule",
        "destinationrules",
        &["dr"],
    ),
];

/// English plural of a lowercase kind, as `kubectl` and CRD authors form them:
/// `policy` → `policies`, `ingress` → `ingresses`, `gateway` → `gateways`.
pub fn plural_of(kind: &str) -> String {
    let k = kind.to_ascii_lowercase();
    let vowel = |c: char| "aeiou".contains(c);
    if let Some(stem) = k.strip_suffix('y')
        && !stem.ends_with(vowel)
        && !stem.is_empty()
    {
        return format!("{stem}ies");
    }
    if ["s", "x", "z", "ch", "sh"].iter().any(|s| k.ends_with(s)) {
        return format!("{k}es");
    }
    format!("{k}s")
}

/// Every served resource, by group, version and plural.
#[derive(Debug, Clone, Default)]
pub struct Resources {
    by_gvr: BTreeMap<(String, String, String), Arc<ResourceInfo>>,
}

impl Resources {
    /// The built-in kinds only.
    pub fn builtin() -> Self {
        let mut r = Resources::default();
        for x in BUILTINS {
            r.insert(ResourceInfo {
                group: x.group.into(),
                version: x.version.into(),
                plural: x.plural.into(),
                singular: x.kind.to_ascii_lowercase(),
                kind: x.kind.into(),
                short_names: x.short.iter().map(|s| (*s).to_owned()).collect(),
                namespaced: x.namespaced,
                verbs: ALL_VERBS.to_vec(),
                categories: x.categories.to_vec(),
                subresources: x.subresources.to_vec(),
                builtin: true,
            });
        }
        r
    }

    fn insert(&mut self, info: ResourceInfo) -> Arc<ResourceInfo> {
        let key = (
            info.group.clone(),
            info.version.clone(),
            info.plural.clone(),
        );
        let info = Arc::new(info);
        self.by_gvr.insert(key, info.clone());
        info
    }

    /// The resource serving `kind` in `api_version`, adding a custom one when
    /// the group is not built in. `namespaced` says whether the object seen had
    /// a namespace (custom kinds only). Returns `None` for a built-in group's
    /// unknown kind.
    pub fn resolve_or_add(
        &mut self,
        api_version: &str,
        kind: &str,
        namespaced: bool,
    ) -> Option<Arc<ResourceInfo>> {
        let (group, version) = split_api_version(api_version);
        if let Some(r) = self.by_kind(group, version, kind) {
            return Some(r);
        }
        if BUILTINS.iter().any(|b| b.group == group) || group.is_empty() {
            // A built-in group in another version (apps/v1beta2): serve it as
            // the version we know, if the kind is known there.
            return self
                .by_gvr
                .values()
                .find(|r| r.builtin && r.group == group && r.kind == kind)
                .cloned();
        }
        let known = KNATIVE
            .iter()
            .find(|(g, k, _, _)| *g == group && *k == kind);
        let (plural, short) = match known {
            Some((_, _, p, s)) => ((*p).to_owned(), s.iter().map(|x| (*x).to_owned()).collect()),
            None => (plural_of(kind), Vec::new()),
        };
        // One storage per group and plural: a kind seen in a second version
        // is served from the same table.
        Some(self.insert(ResourceInfo {
            group: group.into(),
            version: version.into(),
            plural,
            singular: kind.to_ascii_lowercase(),
            kind: kind.into(),
            short_names: short,
            namespaced,
            verbs: ALL_VERBS.to_vec(),
            categories: if group.ends_with("knative.dev") {
                vec!["all", "knative", "serving"]
            } else {
                Vec::new()
            },
            subresources: vec![STATUS],
            builtin: false,
        }))
    }

    /// The resource of `kind` in `group`/`version`.
    pub fn by_kind(&self, group: &str, version: &str, kind: &str) -> Option<Arc<ResourceInfo>> {
        self.by_gvr
            .values()
            .find(|r| r.group == group && r.version == version && r.kind == kind)
            .cloned()
    }

    /// The resource at `group`/`version`/`plural`.
    pub fn get(&self, group: &str, version: &str, plural: &str) -> Option<Arc<ResourceInfo>> {
        self.by_gvr
            .get(&(group.to_owned(), version.to_owned(), plural.to_owned()))
            .cloned()
    }

    /// The resource stored under `key` (its first served version).
    pub fn by_storage(&self, key: &StorageKey) -> Option<Arc<ResourceInfo>> {
        self.by_gvr
            .values()
            .find(|r| r.group == key.group && r.plural == key.resource)
            .cloned()
    }

    /// Every resource of one group and version, by plural.
    pub fn in_group_version(&self, group: &str, version: &str) -> Vec<Arc<ResourceInfo>> {
        self.by_gvr
            .values()
            .filter(|r| r.group == group && r.version == version)
            .cloned()
            .collect()
    }

    /// Every group and its versions (core excluded), in order.
    pub fn groups(&self) -> BTreeMap<String, Vec<String>> {
        let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for r in self.by_gvr.values().filter(|r| !r.group.is_empty()) {
            let vs = out.entry(r.group.clone()).or_default();
            if !vs.contains(&r.version) {
                vs.push(r.version.clone());
            }
        }
        out
    }

    /// Every resource.
    pub fn all(&self) -> impl Iterator<Item = &Arc<ResourceInfo>> {
        self.by_gvr.values()
    }
}

/// `apps/v1` → (`apps`, `v1`); `v1` → (``, `v1`).
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    api_version.rsplit_once('/').unwrap_or(("", api_version))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plurals_follow_english_rules() {
        assert_eq!(plural_of("Policy"), "policies");
        assert_eq!(plural_of("Gateway"), "gateways");
        assert_eq!(plural_of("Ingress"), "ingresses");
        assert_eq!(plural_of("Box"), "boxes");
        assert_eq!(plural_of("Match"), "matches");
        assert_eq!(plural_of("Widget"), "widgets");
    }

    #[test]
    fn knative_kinds_get_their_real_names_and_others_are_derived() {
        let mut r = Resources::builtin();
        let rev = r
            .resolve_or_add("serving.knative.dev/v1", "Revision", true)
            .unwrap();
        assert_eq!(rev.plural, "revisions");
        assert_eq!(rev.short_names, ["rev"]);
        let ksvc = r
            .resolve_or_add("serving.knative.dev/v1", "Service", true)
            .unwrap();
        assert_eq!(ksvc.short_names, ["kservice", "ksvc"]);
        let pa = r
            .resolve_or_add(
                "autoscaling.internal.knative.dev/v1alpha1",
                "PodAutoscaler",
                true,
            )
            .unwrap();
        assert_eq!(pa.short_names, ["kpa", "pa"]);
        let x = r
            .resolve_or_add("example.com/v1", "NetworkPolicy", false)
            .unwrap();
        assert_eq!(x.plural, "networkpolicies");
        assert!(!x.namespaced);
        assert!(r.resolve_or_add("apps/v1", "Nonsense", true).is_none());
        let d = r
            .resolve_or_add("apps/v1beta2", "Deployment", true)
            .unwrap();
        assert_eq!(d.version, "v1");
    }
}
