//! Steps for `object-accumulation`: tighten Knative's Revision GC so the old
//! Revisions (and the Services, Endpoints, SKS, Deployments they keep) go; make
//! stuck Routes Ready so GC can reach their Revisions; and, for controllers
//! that cache every Secret, turn on the Secret filter.

use crate::diagnose::finding::{Finding, Signals};
use crate::diagnose::{CauseId, Context};
use crate::remedy::gc::{
    self, CONFIG_MAP, GcConfig, GcRecommendation, GcTrapKind, KEY_MAX, KEY_MIN, KEY_RETAIN_ACTIVE,
    KEY_RETAIN_CREATE, RECOMMENDED_MAX, RECOMMENDED_MIN, SYSTEM_NAMESPACE, thousands,
};
use crate::remedy::plan::{Action, Phase, PlanStep};

/// Secrets from which caching all of them slows a start-up down.
const MANY_SECRETS: u64 = 5_000;

/// Steps for one accumulation finding.
pub fn steps(cx: &Context<'_>, _f: &Finding, signals: &Signals) -> Vec<PlanStep> {
    let mut out = Vec::new();
    let knative =
        cx.component.is_some_and(|c| c.watches_revisions()) || !cx.ev.revisions.is_empty();
    if knative {
        out.extend(gc_steps(cx, signals));
    }
    out.extend(secret_filter(cx));
    out
}

fn gc_steps(cx: &Context<'_>, signals: &Signals) -> Vec<PlanStep> {
    let ev = cx.ev;
    let cm = gc::find_config_map(ev);
    let ns = cm
        .and_then(|c| c.meta.namespace.clone())
        .unwrap_or_else(|| SYSTEM_NAMESPACE.to_owned());
    let (current, invalid) = match cm.map(GcConfig::from_config_map) {
        Some(Ok(c)) => (c, None),
        Some(Err(e)) => (GcConfig::default(), Some(e.to_string())),
        None => (GcConfig::default(), None),
    };
    let now = cx
        .now
        .or(ev.taken_at)
        .or_else(|| gc::reference_time(&ev.revisions));
    let rec: Option<GcRecommendation> = now
        .filter(|_| !ev.revisions.is_empty())
        .map(|now| gc::recommend(&ev.revisions, &ev.objects, &current, now));
    let plan = now
        .filter(|_| !ev.revisions.is_empty())
        .map(|now| gc::plan_totals(&ev.revisions, &ev.objects, &current, now));
    let mut settings = rec.as_ref().map_or_else(
        || {
            vec![
                (KEY_MIN.to_owned(), RECOMMENDED_MIN.to_string()),
                (KEY_MAX.to_owned(), RECOMMENDED_MAX.to_string()),
            ]
        },
        |r| r.settings.clone(),
    );
    // The patch sets min and max; invalid duration keys need repairing too, or
    // config-gc stays invalid.
    if let Some(cm) = cm.filter(|_| invalid.is_some()) {
        for (key, default) in [(KEY_RETAIN_CREATE, "48h"), (KEY_RETAIN_ACTIVE, "15h")] {
            let Some(v) = cm.data.get(key) else { continue };
            let alone: std::collections::BTreeMap<String, String> =
                [(key.to_owned(), v.clone())].into();
            if GcConfig::from_data(&alone).is_err() {
                settings.push((key.to_owned(), default.to_owned()));
            }
        }
    }
    let value = |k: &str| {
        settings
            .iter()
            .find(|(key, _)| key == k)
            .map_or("?", |(_, v)| v.as_str())
            .to_owned()
    };
    let (min, max) = (value(KEY_MIN), value(KEY_MAX));
    let traps: Vec<&gc::GcTrap> = plan
        .as_ref()
        .map(|p| p.traps.iter().collect())
        .unwrap_or_default();
    // Worth patching when it removes more, or when the config is not what the user thinks.
    let config_traps = traps.iter().any(|t| {
        matches!(
            t.kind,
            GcTrapKind::ExampleEdited
                | GcTrapKind::MaxLeftAtDefault
                | GcTrapKind::GcDisabled
                | GcTrapKind::LegacyKeys
        )
    });
    let mut out = Vec::new();
    let worth = rec.as_ref().is_none_or(|r| r.needed) || config_traps || invalid.is_some();
    if worth {
        out.push(patch_step(
            cx,
            &ns,
            &settings,
            &min,
            &max,
            &current,
            rec.as_ref(),
            &traps,
            invalid.as_deref(),
            signals,
        ));
    }
    if let Some(t) = traps.iter().find(|t| t.kind == GcTrapKind::StuckActive) {
        out.push(routes_step(t));
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn patch_step(
    cx: &Context<'_>,
    ns: &str,
    settings: &[(String, String)],
    min: &str,
    max: &str,
    current: &GcConfig,
    rec: Option<&GcRecommendation>,
    traps: &[&gc::GcTrap],
    invalid: Option<&str>,
    signals: &Signals,
) -> PlanStep {
    let who = cx
        .subject
        .workload
        .as_ref()
        .map_or_else(|| "the controller".to_owned(), |w| w.name.clone());
    let mut why = Vec::new();
    match rec {
        Some(r) => {
            let total = r.deletes + r.remaining;
            why.push(format!(
                "{} Revisions keep about {} Services, {} Endpoints and {} ServerlessServices that {who} lists and processes at start-up.",
                thousands(total),
                thousands(2 * total),
                thousands(2 * total),
                thousands(total)
            ));
            why.push(format!(
                "With the current settings (min-non-active-revisions {}, max-non-active-revisions {}) the next GC pass removes {}. With min-non-active-revisions {min} and max-non-active-revisions {max} it removes {} Revisions and with them {}, leaving {}.",
                current.min_non_active_revisions,
                current.max_non_active_revisions,
                thousands(r.current_deletes),
                thousands(r.deletes),
                r.dependents_removed.listing(),
                thousands(r.remaining)
            ));
        }
        None => why.push(format!(
            "Each Knative Revision keeps 1 ServerlessService, 2 Services, 2 Endpoints and a Deployment that {who} watches; the Revision count is not in the evidence, so run `kubectl get revisions -A --no-headers | wc -l` first to see how many there are."
        )),
    }
    why.push(format!(
        "max-non-active-revisions caps each Configuration whatever the Revisions' age; min-non-active-revisions {min} keeps rollback targets. The latest ready Revision, Revisions annotated serving.knative.dev/no-gc: \"true\" and Revisions still routed are never collected."
    ));
    if let Some(e) = invalid {
        why.push(format!(
            "The current config-gc is invalid ({e}): a running controller keeps its previous settings and a starting one exits, so the patch also sets every invalid key."
        ));
    }
    for t in traps.iter().filter(|t| t.kind != GcTrapKind::StuckActive) {
        why.push(format!("Trap found: {}.", t.message));
    }
    let gc_runs_here = cx
        .component
        .is_some_and(|c| c.name == "Knative Serving controller");
    if gc_runs_here {
        why.push(format!(
            "The GC runs in the controller Deployment ({ns}/controller), which is the one failing here, so it will not act on the patch until it is back: run `unloop gc apply --direct` to delete the same Revisions directly."
        ));
    } else {
        why.push(format!(
            "The GC runs in the controller Deployment ({ns}/controller): if that is down too, run `unloop gc apply --direct` to delete the same Revisions directly."
        ));
    }
    why.push(
        "If the Knative Operator manages Serving, set these keys under spec.config.gc of the KnativeServing resource instead, or it will revert the patch."
            .to_owned(),
    );
    let mut step = PlanStep::new(
        Phase::Relieve,
        CauseId::ObjectAccumulation,
        format!(
            "Tighten Revision GC: at most {max} non-active Revisions per Configuration (min {min})"
        ),
        why.join(" "),
        Action::PatchConfigMap {
            namespace: ns.to_owned(),
            name: CONFIG_MAP.to_owned(),
            data: settings.to_vec(),
        },
    )
    .command(gc::patch_command(ns, settings))
    .patch(gc::merge_patch_yaml(settings));
    if gc_runs_here {
        step = step.command("unloop gc apply --direct");
    }
    let expect = rec
        .map(|r| format!("~{}", thousands(r.remaining)))
        .or_else(|| {
            signals
                .get_fact("revisions.after_recommend")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "the kept count".to_owned());
    step.verify(format!(
        "`kubectl get revisions -A --no-headers | wc -l` falls to {expect} within the next GC pass (a config-gc change resyncs every Configuration)"
    ))
    .verify(format!(
        "`kubectl logs -n {ns} deploy/controller | grep -E 'Deleting (stale|non-active) revision'` shows the deletions"
    ))
    .verify(format!(
        "`kubectl get cm {CONFIG_MAP} -n {ns} -o jsonpath='{{.data.max-non-active-revisions}}'` prints {max}"
    ))
}

fn routes_step(t: &gc::GcTrap) -> PlanStep {
    let mut step = PlanStep::new(
        Phase::Relieve,
        CauseId::ObjectAccumulation,
        format!(
            "Make the {} not-Ready Route(s) Ready so GC can reach their old Revisions",
            t.names.len()
        ),
        format!(
            "{}. Often the Routes wait for the ingress controller (net-istio/net-kourier) to reconcile their KIngress, so this clears once that controller is back.",
            t.message
        ),
        Action::Manual,
    );
    for name in t.names.iter().take(5) {
        if let Some((ns, route)) = name.split_once('/') {
            step = step.command(format!(
                "kubectl describe routes.serving.knative.dev {route} -n {ns}"
            ));
        }
    }
    step.command("kubectl get routes.serving.knative.dev -A")
        .verify("`kubectl get routes.serving.knative.dev -A` shows READY True for every Route")
        .verify(
            "`kubectl get revisions -A -L serving.knative.dev/routingState` shows the old Revisions as reserve, after which GC collects them",
        )
}

/// Components that cache every Secret can cache only Knative's certificate
/// Secrets instead (knative.md §6).
fn secret_filter(cx: &Context<'_>) -> Option<PlanStep> {
    let c = cx.component?;
    let env = c.secret_filter_env?;
    let secrets = cx.ev.count_of("Secret");
    if secrets < MANY_SECRETS {
        return None;
    }
    let w = cx.subject.workload.as_ref()?;
    let ns = w.namespace.clone()?;
    let container = cx
        .workload()
        .and_then(|w| w.template.first().map(|c| c.name.clone()))
        .or_else(|| {
            cx.pods()
                .find_map(|p| p.containers.first().map(|c| c.name.clone()))
        })
        .unwrap_or_else(|| "controller".to_owned());
    let patch = format!(
        "spec:\n  template:\n    spec:\n      containers:\n      - name: {container}\n        env:\n        - name: {env}\n          value: \"true\"\n"
    );
    Some(
        PlanStep::new(
            Phase::Prevent,
            CauseId::ObjectAccumulation,
            format!("Cache only Knative's certificate Secrets in {}", w.name),
            format!(
                "{} caches all {} Secrets in the cluster unless {env}=true; with it, it caches only Secrets labelled networking.internal.knative.dev/certificate-uid. Custom TLS Secrets referenced by DomainMappings or Ingresses must then carry that label. With the Knative Operator, use the annotation knative.dev/enable-secret-informer-filtering-by-cert-uid: \"true\" on KnativeServing instead.",
                w.name,
                thousands(secrets)
            ),
            Action::patch_workload(&w.kind, &ns, &w.name, patch.clone()),
        )
        .command(format!(
            "kubectl set env deployment/{} -n {ns} -c {container} {env}=true",
            w.name
        ))
        .patch(patch)
        .verify(format!(
            "`kubectl get deployment/{} -n {ns} -o jsonpath='{{.spec.template.spec.containers[0].env}}'` lists {env}",
            w.name
        )),
    )
}

#[cfg(test)]
mod tests;
