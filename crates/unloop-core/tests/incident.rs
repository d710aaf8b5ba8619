//! The bundled incident (`examples/net-istio-crashloop`): what the diagnosis
//! must say about it, and snapshots of its three reports.
//!
//! The path is relative to this crate so that citations in the snapshots do not
//! depend on where the repository is checked out.

use std::path::PathBuf;
use std::sync::LazyLock;

use unloop_core::diagnose::{
    CauseId, DiagnoseOptions, Diagnosis, Relation, WorkloadDiagnosis, diagnose,
};
use unloop_core::evidence::{ReadOptions, read_paths};
use unloop_core::remedy::plan::{Action, Phase};
use unloop_core::report::{self, style::Style};

const EXAMPLE: &str = "../../examples/net-istio-crashloop";

static DIAGNOSIS: LazyLock<Diagnosis> = LazyLock::new(|| {
    let ev = read_paths(&[PathBuf::from(EXAMPLE)], &ReadOptions::default());
    diagnose(&ev, &DiagnoseOptions::default())
});

fn net_istio() -> &'static WorkloadDiagnosis {
    DIAGNOSIS
        .workloads
        .iter()
        .find(|w| w.subject == "Deployment knative-serving/net-istio-controller")
        .expect("net-istio-controller is diagnosed")
}

#[test]
fn the_worst_workload_comes_first() {
    assert_eq!(DIAGNOSIS.workloads[0].subject, net_istio().subject);
    assert_eq!(net_istio().pods.len(), 3);
}

#[test]
fn the_probe_under_load_ranks_first_with_its_contributors_and_symptom() {
    let w = net_istio();
    assert_eq!(w.verdict, CauseId::ProbeTimeoutUnderLoad);
    let top = &w.findings[0];
    assert_eq!(top.cause, CauseId::ProbeTimeoutUnderLoad);
    let find = |c: CauseId| {
        w.findings
            .iter()
            .find(|f| f.cause == c)
            .unwrap_or_else(|| panic!("{c} missing"))
    };
    for contributor in [CauseId::ObjectAccumulation, CauseId::NodeUnhealthy] {
        let f = find(contributor);
        assert_eq!(
            f.relation,
            Some(Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad))
        );
        assert!(f.score < top.score);
        assert!(!f.evidence.is_empty());
    }
    let lost = find(CauseId::LeaderElectionLost);
    assert_eq!(
        lost.relation,
        Some(Relation::ExplainedBy(CauseId::ProbeTimeoutUnderLoad))
    );
    assert!(
        lost.chain.iter().any(|c| c.contains("consequence")),
        "{:?}",
        lost.chain
    );
}

#[test]
fn the_chain_runs_from_revisions_to_back_off_with_numbers() {
    let chain = net_istio().findings[0].chain.join("\n");
    let order = [
        "3,123 Revisions",
        "DeltaFIFO",
        "`context deadline exceeded`",
        "6 × 5 s",
        "back-off",
    ];
    let mut at = 0;
    for needle in order {
        let pos = chain[at..]
            .find(needle)
            .unwrap_or_else(|| panic!("{needle:?} missing (or out of order) in:\n{chain}"));
        at += pos;
    }
}

#[test]
fn every_citation_names_a_file_in_the_example() {
    for w in &DIAGNOSIS.workloads {
        for f in &w.findings {
            for c in f.evidence.iter().chain(&f.against) {
                assert!(
                    c.source.origin.starts_with(EXAMPLE),
                    "{}: {}",
                    c.source,
                    c.text
                );
            }
        }
    }
}

#[test]
fn the_plan_is_the_fix_that_worked() {
    let plan = &net_istio().plan;
    let phases: Vec<Phase> = plan.iter().map(|s| s.phase).collect();
    let mut sorted = phases.clone();
    sorted.sort();
    assert_eq!(phases, sorted, "steps are in phase order");

    let gc = plan
        .iter()
        .find(|s| matches!(&s.action, Action::PatchConfigMap { name, .. } if name == "config-gc"))
        .expect("a config-gc patch");
    assert_eq!(gc.phase, Phase::Relieve);
    assert!(
        gc.patch
            .as_deref()
            .is_some_and(|p| p.contains("max-non-active-revisions"))
    );
    assert!(gc.why.contains("removes 2,386"), "{}", gc.why);

    let node = "gke-prod-pool-1-3f9c2a1b-x7kq";
    let cordon = plan
        .iter()
        .position(|s| s.action == Action::Cordon { node: node.into() });
    let drain = plan
        .iter()
        .position(|s| s.action == Action::Drain { node: node.into() });
    assert!(cordon.is_some() && cordon < drain, "cordon, then drain");
    assert!(
        plan.iter()
            .any(|s| s.action == Action::Manual && s.title.contains("Replace"))
    );

    let scales: Vec<u32> = plan
        .iter()
        .filter_map(|s| match &s.action {
            Action::Scale { name, replicas, .. } if name == "net-istio-controller" => {
                Some(*replicas)
            }
            _ => None,
        })
        .collect();
    assert_eq!(scales, [1, 3], "one replica first, then back to three");
    let wait = plan
        .iter()
        .position(|s| matches!(s.action, Action::WaitStable { .. }));
    let first_scale = plan
        .iter()
        .position(|s| matches!(s.action, Action::Scale { replicas: 1, .. }));
    assert!(first_scale < wait);

    let prevent = plan
        .iter()
        .find(|s| s.phase == Phase::Prevent)
        .expect("a prevention step");
    assert!(
        prevent
            .patch
            .as_deref()
            .is_some_and(|p| p.contains("timeoutSeconds"))
    );
    for s in plan {
        assert!(
            !s.verify.is_empty(),
            "step {} has no verification",
            s.number
        );
    }
}

#[test]
fn terminal_report_snapshot() {
    let text = report::text::render(&DIAGNOSIS, &Style::default());
    for line in text.lines() {
        let t = line.trim_start();
        // Commands, citations and single unbreakable tokens (ids, URLs) stay whole.
        if !(t.starts_with('$') || t.starts_with('[') || !t.contains(' ')) {
            assert!(
                line.chars().count() <= 80,
                "wider than 80 columns: {line:?}"
            );
        }
    }
    insta::assert_snapshot!("incident_text", text);
}

#[test]
fn json_report_snapshot() {
    let json = report::json(&DIAGNOSIS);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["schema_version"], 1);
    insta::assert_snapshot!("incident_json", json);
}

#[test]
fn markdown_report_snapshot() {
    insta::assert_snapshot!("incident_markdown", report::markdown::render(&DIAGNOSIS));
}
