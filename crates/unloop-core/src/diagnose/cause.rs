//! The root-cause taxonomy: the ids of `findings[].cause`, a public contract
//! (`shared/reference/causes.md`). Ids never change meaning.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A root cause from the fixed taxonomy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CauseId {
    ProbeTimeoutUnderLoad,
    StartupExceedsProbeBudget,
    ObjectAccumulation,
    OomKilled,
    CpuStarved,
    NodeUnhealthy,
    ApiserverUnreachable,
    ApiserverThrottled,
    LeaderElectionLost,
    RbacForbidden,
    MissingCrd,
    BadConfig,
    MissingDependency,
    TlsCertificateError,
    DnsFailure,
    ApplicationPanic,
    PortInUse,
    ExecFormatError,
    FilesystemPermission,
    Unknown,
}

impl CauseId {
    /// Every id, in taxonomy order.
    pub const ALL: [CauseId; 20] = [
        CauseId::ProbeTimeoutUnderLoad,
        CauseId::StartupExceedsProbeBudget,
        CauseId::ObjectAccumulation,
        CauseId::OomKilled,
        CauseId::CpuStarved,
        CauseId::NodeUnhealthy,
        CauseId::ApiserverUnreachable,
        CauseId::ApiserverThrottled,
        CauseId::LeaderElectionLost,
        CauseId::RbacForbidden,
        CauseId::MissingCrd,
        CauseId::BadConfig,
        CauseId::MissingDependency,
        CauseId::TlsCertificateError,
        CauseId::DnsFailure,
        CauseId::ApplicationPanic,
        CauseId::PortInUse,
        CauseId::ExecFormatError,
        CauseId::FilesystemPermission,
        CauseId::Unknown,
    ];

    /// The id as the taxonomy spells it.
    pub fn as_str(&self) -> &'static str {
        match self {
            CauseId::ProbeTimeoutUnderLoad => "probe-timeout-under-load",
            CauseId::StartupExceedsProbeBudget => "startup-exceeds-probe-budget",
            CauseId::ObjectAccumulation => "object-accumulation",
            CauseId::OomKilled => "oom-killed",
            CauseId::CpuStarved => "cpu-starved",
            CauseId::NodeUnhealthy => "node-unhealthy",
            CauseId::ApiserverUnreachable => "apiserver-unreachable",
            CauseId::ApiserverThrottled => "apiserver-throttled",
            CauseId::LeaderElectionLost => "leader-election-lost",
            CauseId::RbacForbidden => "rbac-forbidden",
            CauseId::MissingCrd => "missing-crd",
            CauseId::BadConfig => "bad-config",
            CauseId::MissingDependency => "missing-dependency",
            CauseId::TlsCertificateError => "tls-certificate-error",
            CauseId::DnsFailure => "dns-failure",
            CauseId::ApplicationPanic => "application-panic",
            CauseId::PortInUse => "port-in-use",
            CauseId::ExecFormatError => "exec-format-error",
            CauseId::FilesystemPermission => "filesystem-permission",
            CauseId::Unknown => "unknown",
        }
    }

    /// A one-line title in plain words, used when no rule gives a more specific one.
    pub fn default_title(&self) -> &'static str {
        match self {
            CauseId::ProbeTimeoutUnderLoad => {
                "The process is alive but too busy to answer its liveness probe in time"
            }
            CauseId::StartupExceedsProbeBudget => {
                "Start-up takes longer than the liveness probe allows"
            }
            CauseId::ObjectAccumulation => {
                "The controller watches far more objects than it can handle in time"
            }
            CauseId::OomKilled => "The container is killed for running out of memory",
            CauseId::CpuStarved => "The container gets too little CPU to keep up",
            CauseId::NodeUnhealthy => "The node the pods run on is unhealthy",
            CauseId::ApiserverUnreachable => "The process cannot reach the Kubernetes API server",
            CauseId::ApiserverThrottled => {
                "API requests are throttled, so start-up and reconciles crawl"
            }
            CauseId::LeaderElectionLost => "The process lost or could not renew its leader lease",
            CauseId::RbacForbidden => "The service account lacks a permission the process needs",
            CauseId::MissingCrd => "A CustomResourceDefinition the process needs is not installed",
            CauseId::BadConfig => "The process rejects its configuration at start",
            CauseId::MissingDependency => {
                "Something the process needs at start is missing or not ready"
            }
            CauseId::TlsCertificateError => "A certificate is invalid, expired or not trusted",
            CauseId::DnsFailure => "Names cannot be resolved",
            CauseId::ApplicationPanic => "The program itself crashes",
            CauseId::PortInUse => "The process cannot bind its port: address already in use",
            CauseId::ExecFormatError => {
                "The image cannot run on this node (architecture or entrypoint)"
            }
            CauseId::FilesystemPermission => "The process cannot read or write a path it needs",
            CauseId::Unknown => "The evidence does not show why",
        }
    }
}

impl fmt::Display for CauseId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An id that is not in the taxonomy.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown cause id {0:?} (see shared/reference/causes.md)")]
pub struct UnknownCause(pub String);

impl FromStr for CauseId {
    type Err = UnknownCause;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CauseId::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| UnknownCause(s.to_owned()))
    }
}

impl Serialize for CauseId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for CauseId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_match_the_taxonomy_file() {
        for c in CauseId::ALL {
            assert_eq!(c.as_str().parse::<CauseId>().unwrap(), c);
        }
        assert!("probe-timeout".parse::<CauseId>().is_err());
        // The taxonomy file is the contract: every id in it must exist here.
        let taxonomy = include_str!("../../../../../shared/reference/causes.md");
        let ids: Vec<&str> = taxonomy
            .lines()
            .filter_map(|l| l.strip_prefix("| `"))
            .filter_map(|l| l.split('`').next())
            .collect();
        assert_eq!(ids.len(), CauseId::ALL.len());
        for id in ids {
            assert!(id.parse::<CauseId>().is_ok(), "{id} missing from CauseId");
        }
    }
}
