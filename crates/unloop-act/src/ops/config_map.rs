//! Setting keys of a ConfigMap's `data` (config-gc, config-leader-election).

use serde_json::{Map, Value, json};
use unloop_kube::pace::CallError;

use crate::api::{Api, Attempt, PatchKind, object_path, retry_on_conflict};
use crate::diff::object_diff;
use crate::error::ActError;
use crate::outcome::{Outcome, StepReport};

/// The keys of `settings` whose value in `cm` differs.
fn differing<'a>(cm: &Value, settings: &'a [(String, String)]) -> Vec<&'a (String, String)> {
    settings
        .iter()
        .filter(|(k, v)| cm["data"][k.as_str()].as_str() != Some(v.as_str()))
        .collect()
}

fn subset(cm: &Value, settings: &[(String, String)]) -> Value {
    let mut m = Map::new();
    for (k, _) in settings {
        m.insert(k.clone(), cm["data"][k.as_str()].clone());
    }
    Value::Object(m)
}

/// Sets `settings` in the `data` of ConfigMap `namespace/name`, as a merge
/// patch that carries the resourceVersion it was computed from.
pub async fn set_data(
    api: &Api,
    namespace: &str,
    name: &str,
    settings: &[(String, String)],
) -> Result<StepReport, ActError> {
    let path = object_path("", "v1", "configmaps", Some(namespace), name);
    let label = format!("ConfigMap/{namespace}/{name}");
    let mut report = StepReport::new(Outcome::Manual);
    report.objects.push(label.clone());
    let (path, label) = (&path, &label);
    let (before, after) = retry_on_conflict(label, || async move {
        let cm = api.need(path, label).await?;
        let rv = cm["metadata"]["resourceVersion"].clone();
        let todo = differing(&cm, settings);
        if todo.is_empty() {
            return Ok(Attempt::Done((cm.clone(), None)));
        }
        let data: Map<String, Value> = todo
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let body = json!({"metadata": {"resourceVersion": rv}, "data": data});
        match api.patch(path, PatchKind::Merge, &body).await {
            Ok(after) => Ok(Attempt::Done((cm, Some((body, after))))),
            Err(CallError::Rejected { code: 409, .. }) => Ok(Attempt::Conflict),
            Err(e) => Err(ActError::call(format!("PATCH {path}"), e)),
        }
    })
    .await?;
    report.before = Some(subset(&before, settings));
    let Some((body, after)) = after else {
        report.after = report.before.clone();
        return Ok(report.with(Outcome::Unchanged(format!(
            "{label} already has {}",
            settings
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    };
    report.line(format!(
        "PATCH {path}{} (merge) {}",
        if api.applies() { "" } else { "?dryRun=All" },
        body
    ));
    report.lines.extend(object_diff(label, &before, &after));
    report.after = Some(subset(&after, settings));
    if !api.applies() {
        return Ok(report.with(Outcome::WouldApply(format!(
            "the server accepts the patch of {label}"
        ))));
    }
    // Verify: read it back.
    let now = api.need(path, label).await?;
    let left = differing(&now, settings);
    if !left.is_empty() {
        return Ok(report.with(Outcome::Failed(format!(
            "{label} does not hold {} after the patch",
            left.iter()
                .map(|(k, _)| k.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ))));
    }
    Ok(report.with(Outcome::Applied(format!("patched {label}"))))
}
