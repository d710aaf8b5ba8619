//! Known controllers as data: how to recognise them and what they are like.
//!
//! Rules consult this table instead of hard-coding component names, so serving
//! another controller well means adding a row here, not a code path.

use crate::evidence::{Container, Pod};

/// The framework a controller is built on: it decides which log phrases mean
/// start-up progress and how leader election behaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// knative.dev/pkg sharedmain: informers sync before the probe server listens;
    /// "has stopped leading" is printed on every shutdown.
    KnativeSharedmain,
    /// controller-runtime manager: exits on "leader election lost".
    ControllerRuntime,
    /// Plain client-go informers and leader election.
    ClientGo,
    /// Not a Kubernetes controller framework we know.
    Other,
}

/// Kinds a controller watches with informers (cluster-wide unless noted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Watch {
    /// A count key as in `Evidence::counts` (`Secret`, `Revision.serving.knative.dev`).
    pub kind: &'static str,
    /// How many of these each Knative Revision keeps alive, when the count can be
    /// derived from Revisions (SKS 1, Services 2, Endpoints 2, Deployments 1).
    pub per_revision: u32,
}

/// A [`Watch`] row.
const fn watch(kind: &'static str, per_revision: u32) -> Watch {
    Watch { kind, per_revision }
}

/// A known component.
#[derive(Debug, Clone, Copy)]
pub struct Component {
    /// Display name.
    pub name: &'static str,
    /// Deployment (or DaemonSet/StatefulSet) names it ships as.
    pub workloads: &'static [&'static str],
    /// Image path fragments that identify it.
    pub images: &'static [&'static str],
    /// The namespace it is installed into by default.
    pub namespace: Option<&'static str>,
    pub framework: Framework,
    /// Whether it runs leader election.
    pub leader_elected: bool,
    /// Whether its liveness endpoint only listens after all informers synced
    /// (so a slow sync shows as `connection refused`).
    pub probe_after_sync: bool,
    /// What it watches; its start-up work grows with these counts.
    pub watches: &'static [Watch],
    /// ConfigMaps that matter for diagnosing it.
    pub config_maps: &'static [&'static str],
    /// Lease name prefix, for finding its leases.
    pub lease_prefix: Option<&'static str>,
    /// The env var that turns on cert-UID Secret filtering, when supported.
    pub secret_filter_env: Option<&'static str>,
}

const KNATIVE_CMS: &[&str] = &[
    "config-gc",
    "config-leader-election",
    "config-network",
    "config-istio",
    "config-logging",
];

const NET_ISTIO_WATCHES: &[Watch] = &[
    watch("Revision.serving.knative.dev", 1),
    watch("ServerlessService.networking.internal.knative.dev", 1),
    watch("Service", 2),
    watch("Endpoints", 2),
    watch("Ingress.networking.internal.knative.dev", 0),
    watch("Secret", 0),
    watch("Pod", 0),
];

const SERVING_CONTROLLER_WATCHES: &[Watch] = &[
    watch("Revision.serving.knative.dev", 1),
    watch("Deployment", 1),
    watch("ServerlessService.networking.internal.knative.dev", 1),
    watch("PodAutoscaler.autoscaling.internal.knative.dev", 1),
    watch("Service", 2),
    watch("Endpoints", 2),
    watch("Configuration.serving.knative.dev", 0),
    watch("Route.serving.knative.dev", 0),
];

/// Every known component.
pub static COMPONENTS: &[Component] = &[
    Component {
        name: "Knative net-istio-controller",
        workloads: &["net-istio-controller"],
        images: &["knative.dev/net-istio/cmd/controller"],
        namespace: Some("knative-serving"),
        framework: Framework::KnativeSharedmain,
        leader_elected: true,
        probe_after_sync: true,
        watches: NET_ISTIO_WATCHES,
        config_maps: KNATIVE_CMS,
        lease_prefix: Some("net-istio-controller."),
        secret_filter_env: Some("ENABLE_SECRET_INFORMER_FILTERING_BY_CERT_UID"),
    },
    Component {
        name: "Knative net-kourier-controller",
        workloads: &["net-kourier-controller"],
        images: &["knative.dev/net-kourier/cmd/kourier"],
        namespace: Some("knative-serving"),
        framework: Framework::KnativeSharedmain,
        leader_elected: true,
        probe_after_sync: true,
        watches: NET_ISTIO_WATCHES,
        config_maps: KNATIVE_CMS,
        lease_prefix: Some("net-kourier-controller."),
        secret_filter_env: Some("ENABLE_SECRET_INFORMER_FILTERING_BY_CERT_UID"),
    },
    Component {
        name: "Knative Serving controller",
        workloads: &["controller"],
        images: &["knative.dev/serving/cmd/controller"],
        namespace: Some("knative-serving"),
        framework: Framework::KnativeSharedmain,
        leader_elected: true,
        probe_after_sync: true,
        watches: SERVING_CONTROLLER_WATCHES,
        config_maps: KNATIVE_CMS,
        lease_prefix: Some("controller."),
        secret_filter_env: None,
    },
    Component {
        name: "Knative activator",
        workloads: &["activator"],
        images: &["knative.dev/serving/cmd/activator"],
        namespace: Some("knative-serving"),
        framework: Framework::KnativeSharedmain,
        leader_elected: false,
        probe_after_sync: false,
        watches: &[
            watch("Revision.serving.knative.dev", 1),
            watch("Endpoints", 2),
        ],
        config_maps: KNATIVE_CMS,
        lease_prefix: None,
        secret_filter_env: None,
    },
    Component {
        name: "Knative autoscaler",
        workloads: &["autoscaler"],
        images: &["knative.dev/serving/cmd/autoscaler"],
        namespace: Some("knative-serving"),
        framework: Framework::KnativeSharedmain,
        leader_elected: true,
        probe_after_sync: false,
        watches: &[
            watch("PodAutoscaler.autoscaling.internal.knative.dev", 1),
            watch("Endpoints", 2),
        ],
        config_maps: KNATIVE_CMS,
        lease_prefix: Some("autoscaler-bucket-"),
        secret_filter_env: None,
    },
    Component {
        name: "Knative webhook",
        workloads: &["webhook", "net-istio-webhook"],
        images: &[
            "knative.dev/serving/cmd/webhook",
            "knative.dev/net-istio/cmd/webhook",
        ],
        namespace: Some("knative-serving"),
        framework: Framework::KnativeSharedmain,
        leader_elected: true,
        probe_after_sync: false,
        watches: &[],
        config_maps: KNATIVE_CMS,
        lease_prefix: Some("webhook."),
        secret_filter_env: None,
    },
    Component {
        name: "cert-manager",
        workloads: &[
            "cert-manager",
            "cert-manager-cainjector",
            "cert-manager-webhook",
        ],
        images: &["jetstack/cert-manager"],
        namespace: Some("cert-manager"),
        framework: Framework::ControllerRuntime,
        leader_elected: true,
        probe_after_sync: false,
        watches: &[watch("Secret", 0), watch("Certificate.cert-manager.io", 0)],
        config_maps: &[],
        lease_prefix: Some("cert-manager"),
        secret_filter_env: None,
    },
    Component {
        name: "ingress-nginx controller",
        workloads: &["ingress-nginx-controller", "nginx-ingress-controller"],
        images: &["ingress-nginx/controller"],
        namespace: Some("ingress-nginx"),
        framework: Framework::ClientGo,
        leader_elected: true,
        probe_after_sync: false,
        watches: &[
            watch("Ingress.networking.k8s.io", 0),
            watch("Secret", 0),
            watch("Endpoints", 0),
        ],
        config_maps: &[],
        lease_prefix: None,
        secret_filter_env: None,
    },
    Component {
        name: "metrics-server",
        workloads: &["metrics-server"],
        images: &["metrics-server"],
        namespace: Some("kube-system"),
        framework: Framework::ClientGo,
        leader_elected: false,
        probe_after_sync: false,
        watches: &[watch("Node", 0), watch("Pod", 0)],
        config_maps: &[],
        lease_prefix: None,
        secret_filter_env: None,
    },
];

impl Component {
    /// Whether this component watches Knative Revisions or what they keep alive.
    pub fn watches_revisions(&self) -> bool {
        self.watches.iter().any(|w| w.per_revision > 0)
    }
}

/// Recognises a component from a workload name, its namespace and its containers' images.
pub fn recognise<'a>(
    workload_name: Option<&str>,
    namespace: Option<&str>,
    containers: impl IntoIterator<Item = &'a Container>,
) -> Option<&'static Component> {
    let images: Vec<&str> = containers
        .into_iter()
        .filter_map(|c| c.image.as_deref())
        .collect();
    if let Some(c) = COMPONENTS.iter().find(|c| {
        c.images
            .iter()
            .any(|frag| images.iter().any(|i| i.contains(frag)))
    }) {
        return Some(c);
    }
    let name = workload_name?;
    COMPONENTS.iter().find(|c| {
        c.workloads.contains(&name)
            // Generic names like `controller` only count in the component's own namespace.
            && (name.contains('-') || c.namespace.is_none() || c.namespace == namespace)
    })
}

/// Recognises the component of a pod.
pub fn recognise_pod(pod: &Pod, workload_name: Option<&str>) -> Option<&'static Component> {
    recognise(
        workload_name,
        pod.meta.namespace.as_deref(),
        &pod.containers,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_by_image_then_by_name_and_namespace() {
        let c = Container {
            name: "controller".into(),
            image: Some(
                "gcr.io/knative-releases/knative.dev/net-istio/cmd/controller@sha256:ab".into(),
            ),
            ..Default::default()
        };
        assert_eq!(
            recognise(Some("x"), None, [&c]).unwrap().name,
            "Knative net-istio-controller"
        );
        assert_eq!(
            recognise(Some("controller"), Some("knative-serving"), [])
                .unwrap()
                .name,
            "Knative Serving controller"
        );
        // A Deployment called `controller` elsewhere is not Knative's.
        assert!(recognise(Some("controller"), Some("shop"), []).is_none());
        assert!(recognise(Some("my-app"), Some("shop"), []).is_none());
    }
}
