//! What a component watches, as resources to count with metadata-only lists.

/// A resource to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    /// The count key (`Service`, `Revision.serving.knative.dev`).
    pub key: String,
    pub kind: String,
    pub group: String,
    /// Known for built-in kinds; found by discovery for custom ones.
    pub builtin: Option<(&'static str, &'static str)>,
}

/// Kinds read in full elsewhere (pods in scope, the owner chain): counting
/// them again would count twice.
const READ_IN_FULL: &[&str] = &["Pod", "Deployment", "ReplicaSet"];

/// Built-in kinds: (kind, version, plural).
const BUILTIN: &[(&str, &str, &str)] = &[
    ("Service", "v1", "services"),
    ("Endpoints", "v1", "endpoints"),
    ("Secret", "v1", "secrets"),
    ("ConfigMap", "v1", "configmaps"),
];

/// The resource behind a count key, unless it is read in full anyway or is
/// neither built in nor in a group (nothing to discover).
pub fn counted(key: &str) -> Option<Counted> {
    let (kind, group) = key.split_once('.').unwrap_or((key, ""));
    if READ_IN_FULL.contains(&kind) {
        return None;
    }
    let builtin = if group.is_empty() {
        let &(_, v, p) = BUILTIN.iter().find(|(k, _, _)| *k == kind)?;
        Some((v, p))
    } else {
        None
    };
    Some(Counted {
        key: key.to_owned(),
        kind: kind.to_owned(),
        group: group.to_owned(),
        builtin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_keys() {
        let c = counted("Revision.serving.knative.dev").unwrap();
        assert_eq!(
            (c.kind.as_str(), c.group.as_str()),
            ("Revision", "serving.knative.dev")
        );
        assert_eq!(counted("Secret").unwrap().builtin, Some(("v1", "secrets")));
        assert!(counted("Pod").is_none());
        assert!(counted("Widget").is_none());
    }
}
