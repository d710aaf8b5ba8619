//! What a change does to an object, as `kubectl diff` shows it: a unified
//! diff of the object's YAML before and after, without the fields the
//! server keeps for itself, and with secrets redacted.

use serde_json::Value;
use similar::TextDiff;

/// Fields that change on every write or say nothing about the change.
fn clean(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(m) = v.get_mut("metadata").and_then(Value::as_object_mut) {
        for k in [
            "managedFields",
            "resourceVersion",
            "generation",
            "creationTimestamp",
            "uid",
            "selfLink",
        ] {
            m.remove(k);
        }
        if let Some(a) = m.get_mut("annotations").and_then(Value::as_object_mut) {
            a.remove("kubectl.kubernetes.io/last-applied-configuration");
            a.remove("deployment.kubernetes.io/revision");
        }
    }
    if let Some(o) = v.as_object_mut() {
        o.remove("status");
    }
    v
}

fn yaml(v: &Value) -> String {
    let s = serde_saphyr::to_string(&clean(v))
        .unwrap_or_else(|_| serde_json::to_string_pretty(&clean(v)).unwrap_or_default());
    unloop_core::redact::redact(&s).into_owned()
}

/// The unified diff (3 lines of context) of `before` and `after`; empty when
/// they do not differ in anything shown.
pub fn object_diff(label: &str, before: &Value, after: &Value) -> Vec<String> {
    let (a, b) = (yaml(before), yaml(after));
    if a == b {
        return Vec::new();
    }
    let diff = TextDiff::from_lines(&a, &b);
    let text = diff
        .unified_diff()
        .context_radius(3)
        .header(&format!("{label} (live)"), &format!("{label} (after)"))
        .to_string();
    text.lines().map(str::to_owned).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shows_the_change_and_not_the_bookkeeping() {
        let before = json!({"kind": "Node", "metadata": {"name": "n1", "resourceVersion": "1"}, "spec": {"podCIDR": "10.0.0.0/24"}});
        let after = json!({"kind": "Node", "metadata": {"name": "n1", "resourceVersion": "2"}, "spec": {"podCIDR": "10.0.0.0/24", "unschedulable": true}});
        let d = object_diff("Node/n1", &before, &after).join("\n");
        assert!(d.contains("+  unschedulable: true"), "{d}");
        assert!(!d.contains("resourceVersion"), "{d}");
        assert!(d.starts_with("--- Node/n1 (live)"), "{d}");
    }

    #[test]
    fn no_change_no_diff() {
        let v = json!({"metadata": {"name": "a", "resourceVersion": "1"}, "data": {"k": "v"}});
        let mut w = v.clone();
        w["metadata"]["resourceVersion"] = json!("9");
        assert!(object_diff("ConfigMap/a", &v, &w).is_empty());
    }

    #[test]
    fn secrets_in_a_diff_are_redacted() {
        let before = json!({"spec": {"env": [{"name": "X", "value": "a"}]}});
        let after = json!({"spec": {"env": [{"name": "X", "value": "a"}, {"name": "API_TOKEN", "value": "password=hunter2secret"}]}});
        let d = object_diff("Deployment/x", &before, &after).join("\n");
        assert!(!d.contains("hunter2secret"), "{d}");
    }
}
