//! Which RBAC rule would grant what a 401/403 denied, for the message that
//! names the missing evidence.

/// The rule a ClusterRole needs for `verb` on `resource` in `group`, and the
/// `kubectl auth can-i` line that checks it.
pub fn grant(group: &str, resource: &str, verb: &str, namespace: Option<&str>) -> String {
    let gr = if group.is_empty() {
        resource.to_owned()
    } else {
        format!("{resource}.{group}")
    };
    let scope = match namespace {
        Some(ns) => format!("-n {ns}"),
        None => "-A".to_owned(),
    };
    format!(
        "rule {{apiGroups: [\"{group}\"], resources: [\"{resource}\"], verbs: [\"{verb}\"]}} \
         (see deploy/rbac/unloop-readonly.yaml; check: kubectl auth can-i {verb} {gr} {scope})"
    )
}

/// What a 401 means, which no rule fixes.
pub const UNAUTHENTICATED: &str =
    "the credentials were refused (401): log in again or check the kubeconfig user";

#[cfg(test)]
mod tests {
    #[test]
    fn names_rule_and_check() {
        let g = super::grant("coordination.k8s.io", "leases", "list", Some("ks"));
        assert!(g.contains("apiGroups: [\"coordination.k8s.io\"]"));
        assert!(g.contains("kubectl auth can-i list leases.coordination.k8s.io -n ks"));
        let g = super::grant("", "pods/log", "get", None);
        assert!(g.contains("can-i get pods/log -A"));
    }
}
