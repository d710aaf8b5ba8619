//! What to look at: kubectl's `-A`, `-n` and `TYPE/NAME` targets.

use crate::error::LiveError;

/// A `TYPE/NAME` target on the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Pod(String),
    Deployment(String),
    Namespace(String),
}

impl Target {
    /// Parses `pod/NAME`, `deployment/NAME`, `namespace/NAME` (and kubectl's
    /// short and plural spellings: `po`, `pods`, `deploy`, `ns`, ...).
    pub fn parse(s: &str) -> Result<Target, LiveError> {
        let bad = || LiveError::Target(s.to_owned());
        let (kind, name) = s.split_once('/').ok_or_else(bad)?;
        if name.is_empty() || name.contains('/') {
            return Err(bad());
        }
        let name = name.to_owned();
        match kind.to_ascii_lowercase().as_str() {
            "pod" | "pods" | "po" => Ok(Target::Pod(name)),
            "deployment" | "deployments" | "deploy" | "deployment.apps" => {
                Ok(Target::Deployment(name))
            }
            "namespace" | "namespaces" | "ns" => Ok(Target::Namespace(name)),
            _ => Err(bad()),
        }
    }

    /// Whether `s` has the `TYPE/NAME` shape of a target (a CLI argument of
    /// that shape that is not an existing file is taken as a target).
    pub fn looks_like(s: &str) -> bool {
        Target::parse(s).is_ok()
    }
}

/// What the collector reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    AllNamespaces,
    Namespace(String),
    Pod { namespace: String, name: String },
    Deployment { namespace: String, name: String },
}

impl Scope {
    /// The scope kubectl would use for these flags; `default_namespace` is the
    /// context's namespace (or the service account's in a pod).
    pub fn new(
        namespace: Option<&str>,
        all_namespaces: bool,
        target: Option<Target>,
        default_namespace: &str,
    ) -> Scope {
        let ns = namespace.unwrap_or(default_namespace).to_owned();
        match target {
            Some(Target::Pod(name)) => Scope::Pod {
                namespace: ns,
                name,
            },
            Some(Target::Deployment(name)) => Scope::Deployment {
                namespace: ns,
                name,
            },
            Some(Target::Namespace(n)) => Scope::Namespace(n),
            None if all_namespaces => Scope::AllNamespaces,
            None => Scope::Namespace(ns),
        }
    }

    /// The namespace, unless all namespaces are in scope.
    pub fn namespace(&self) -> Option<&str> {
        match self {
            Scope::AllNamespaces => None,
            Scope::Namespace(n)
            | Scope::Pod { namespace: n, .. }
            | Scope::Deployment { namespace: n, .. } => Some(n),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_kubectl_spellings() {
        assert_eq!(Target::parse("po/x").unwrap(), Target::Pod("x".into()));
        assert_eq!(
            Target::parse("deploy/net-istio-controller").unwrap(),
            Target::Deployment("net-istio-controller".into())
        );
        assert_eq!(
            Target::parse("ns/a").unwrap(),
            Target::Namespace("a".into())
        );
        assert!(Target::parse("logs/x.log").is_err());
        assert!(Target::parse("pod/").is_err());
        assert!(Target::parse("pod/a/b").is_err());
        assert!(!Target::looks_like("examples/net-istio-crashloop"));
    }

    #[test]
    fn flags_make_scopes() {
        assert_eq!(
            Scope::new(None, true, None, "default"),
            Scope::AllNamespaces
        );
        assert_eq!(
            Scope::new(Some("k"), false, Some(Target::Pod("p".into())), "default"),
            Scope::Pod {
                namespace: "k".into(),
                name: "p".into()
            }
        );
        assert_eq!(Scope::new(None, false, None, "d").namespace(), Some("d"));
    }
}
