//! Steps for `node-unhealthy`: take the node out (cordon, drain), then replace
//! it, since kernel, filesystem and runtime faults rarely clear on their own.

use crate::diagnose::finding::{Finding, Signals};
use crate::diagnose::{CauseId, Context};
use crate::remedy::plan::{Action, Phase, PlanStep};

/// Steps for one node finding; none unless the node rule named the node.
pub fn steps(cx: &Context<'_>, f: &Finding, signals: &Signals) -> Vec<PlanStep> {
    let Some(node) = signals.get_fact("node.bad").map(str::to_owned) else {
        return Vec::new();
    };
    let known_problems = signals
        .get_fact("node.problems")
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0);
    let pods_cmd = format!("kubectl get pods{} -o wide", cx.ns_flag());
    let who = cx
        .subject
        .workload
        .as_ref()
        .map_or_else(|| "the workload".to_owned(), |w| w.name.clone());
    let mut out = vec![
        PlanStep::new(
            Phase::Isolate,
            CauseId::NodeUnhealthy,
            format!("Cordon {node}"),
            format!(
                "{}. Cordoning stops new pods from landing on {node} while it is investigated; running pods stay.",
                f.title
            ),
            Action::Cordon { node: node.clone() },
        )
        .command(format!("kubectl cordon {node}"))
        .verify(format!("`kubectl get node {node}` shows STATUS with SchedulingDisabled")),
        PlanStep::new(
            Phase::Isolate,
            CauseId::NodeUnhealthy,
            format!("Drain {node}"),
            format!(
                "Evicts {who}'s pods and the rest from {node} so they restart on healthy nodes. Eviction respects PodDisruptionBudgets (Knative's activator-pdb and webhook-pdb keep 80% available), so the drain may wait; emptyDir data on the node is lost; DaemonSet pods stay."
            ),
            Action::Drain { node: node.clone() },
        )
        .command(format!(
            "kubectl drain {node} --ignore-daemonsets --delete-emptydir-data --timeout=10m"
        ))
        .verify(format!(
            "`kubectl get pods -A -o wide --field-selector spec.nodeName={node}` lists only DaemonSet pods"
        ))
        .verify(format!(
            "`{pods_cmd}` shows {who}'s pods Running on other nodes, RESTARTS no longer rising"
        )),
    ];
    let why = if known_problems > 0 {
        format!(
            "Kernel, filesystem and container-runtime faults (KernelDeadlock, ReadonlyFilesystem, FrequentContainerdRestart, TaskHung) rarely clear without a reboot, and a fresh node removes the unknowns. Replace {node} once drained: delete its machine and let the node group create a new one. Find the instance from the provider ID first: `kubectl get node {node} -o jsonpath='{{.spec.providerID}}'`."
        )
    } else {
        format!(
            "The failures follow {node}, but the evidence has no node conditions or events to say what is wrong with it: run `kubectl describe node {node}` first. If the failures stop once it is drained, replace it rather than uncordon it: delete its machine and let the node group create a new one (provider ID: `kubectl get node {node} -o jsonpath='{{.spec.providerID}}'`)."
        )
    };
    out.push(
        PlanStep::new(
            Phase::Isolate,
            CauseId::NodeUnhealthy,
            format!("Replace {node} with a fresh node"),
            why,
            Action::Manual,
        )
        .command("# AWS (EKS managed node group / Auto Scaling group): the group starts a replacement".to_owned())
        .command("aws autoscaling terminate-instance-in-auto-scaling-group --instance-id <i-...> --no-should-decrement-desired-capacity")
        .command("# GCP (GKE): the managed instance group recreates the VM")
        .command("gcloud compute instances delete <instance> --zone <zone>")
        .command("# Azure (AKS): reimage the scale-set instance in place")
        .command("az vmss reimage --resource-group <node-resource-group> --name <vmss> --instance-ids <id>")
        .command("# Karpenter replaces a deleted NodeClaim; Cluster API replaces a deleted Machine")
        .command(format!("kubectl get nodeclaims -o wide | grep {node}   # then: kubectl delete nodeclaim <name>"))
        .command(format!("kubectl get machines -A -o wide | grep {node}   # then: kubectl delete machine <name> -n <namespace>"))
        .verify(format!("`kubectl get node {node}` is gone (or back with a new boot ID) and the replacement is Ready"))
        .verify(format!(
            "`kubectl describe node <new node>` shows no KernelDeadlock, ReadonlyFilesystem or Frequent*Restart conditions; `{pods_cmd}` stays without restarts for 10 minutes"
        )),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnose::subject::Subject;
    use crate::evidence::{Evidence, ObjectRef};

    fn finding() -> Finding {
        Finding {
            cause: CauseId::NodeUnhealthy,
            score: 0.9,
            title: "2 of 3 net-istio-controller pods run on ip-10-0-1-23, which reports FrequentContainerdRestart".into(),
            evidence: vec![],
            against: vec![],
            chain: vec![],
            missing: vec![],
            relation: None,
            rules: vec!["node-correlation"],
        }
    }

    fn subject() -> Subject {
        Subject {
            name: "Deployment knative-serving/net-istio-controller".into(),
            workload: Some(ObjectRef::new(
                "Deployment",
                Some("knative-serving"),
                "net-istio-controller",
            )),
            workload_inferred: true,
            pods: vec![],
            logs: vec![],
            symptoms: vec![],
        }
    }

    #[test]
    fn cordon_drain_replace_with_exact_commands() {
        let ev = Evidence::default();
        let s = subject();
        let cx = Context {
            ev: &ev,
            subject: &s,
            component: None,
            now: None,
        };
        let mut sig = Signals::default();
        sig.fact("node.bad", "ip-10-0-1-23");
        sig.fact("node.problems", 2);
        let steps = steps(&cx, &finding(), &sig);
        assert_eq!(steps.len(), 3);
        assert!(
            steps
                .iter()
                .all(|s| s.phase == Phase::Isolate && s.cause == CauseId::NodeUnhealthy)
        );
        assert_eq!(
            steps[0].action,
            Action::Cordon {
                node: "ip-10-0-1-23".into()
            }
        );
        assert_eq!(steps[0].commands, ["kubectl cordon ip-10-0-1-23"]);
        assert!(steps[0].why.starts_with("2 of 3 net-istio-controller pods"));
        assert_eq!(
            steps[1].action,
            Action::Drain {
                node: "ip-10-0-1-23".into()
            }
        );
        assert_eq!(
            steps[1].commands,
            ["kubectl drain ip-10-0-1-23 --ignore-daemonsets --delete-emptydir-data --timeout=10m"]
        );
        assert!(steps[1].verify[1].contains("kubectl get pods -n knative-serving -o wide"));
        assert_eq!(steps[2].action, Action::Manual);
        assert!(
            steps[2]
                .commands
                .iter()
                .any(|c| c.starts_with("gcloud compute instances delete"))
        );
        assert!(
            steps[2]
                .commands
                .iter()
                .any(|c| c.starts_with("aws autoscaling terminate-instance-in-auto-scaling-group"))
        );
        assert!(steps[2].why.contains("rarely clear without a reboot"));
    }

    #[test]
    fn without_a_named_node_there_is_nothing_to_isolate() {
        let ev = Evidence::default();
        let s = subject();
        let cx = Context {
            ev: &ev,
            subject: &s,
            component: None,
            now: None,
        };
        assert!(steps(&cx, &finding(), &Signals::default()).is_empty());
        // A named node with no known problem: look first, then replace only if draining helps.
        let mut sig = Signals::default();
        sig.fact("node.bad", "n1");
        let st = steps(&cx, &finding(), &sig);
        assert!(st[2].why.starts_with("The failures follow n1"));
        assert!(st[2].why.contains("kubectl describe node n1"));
    }
}
