//! Combining rules' signals into ranked findings.
//!
//! Per cause, independent supporting signals combine as a noisy-OR (two weak
//! hints make a stronger case than either); signals against it damp the result.
//! Then relations apply: a symptom explained by another present cause, and a
//! cause that contributes to another, rank below the cause they serve. A
//! literal fatal error carries a high weight of its own, so it outranks a
//! generic probe hypothesis without special cases here.

use std::collections::BTreeMap;

use super::cause::CauseId;
use super::finding::*;

/// Findings below this score are not reported.
pub const REPORT_THRESHOLD: f64 = 0.15;
/// The top finding must reach this score to be named; below it the verdict is `unknown`.
pub const VERDICT_THRESHOLD: f64 = 0.35;

/// Signals that weigh together: rule, polarity (true = for), and the group
/// (a named group, or a unique index for an ungrouped signal).
type GroupKey = (&'static str, bool, Result<&'static str, usize>);

/// Ranks the causes the signals speak of, best first.
pub fn rank(s: &Signals) -> Vec<Finding> {
    let mut by_cause: BTreeMap<CauseId, Vec<&Signal>> = BTreeMap::new();
    for sig in &s.signals {
        by_cause.entry(sig.cause).or_default().push(sig);
    }
    let mut findings: Vec<Finding> = Vec::new();
    for (cause, sigs) in by_cause {
        let mut seen = std::collections::HashSet::new();
        // Weights per rule, polarity and group: one rule seeing the same kind
        // of evidence on every replica is one argument, not three.
        let mut per_rule: BTreeMap<GroupKey, Vec<f64>> = BTreeMap::new();
        let mut evidence = Vec::new();
        let mut against = Vec::new();
        let mut rules: Vec<&'static str> = Vec::new();
        let mut best_title: Option<(f64, &str)> = None;
        for sig in &sigs {
            // The same evidence cited twice by one rule counts once.
            if !seen.insert((sig.rule, sig.polarity, &sig.citation)) {
                continue;
            }
            let is_for = sig.polarity == Polarity::For;
            let group = sig.group.ok_or(per_rule.len());
            per_rule
                .entry((sig.rule, is_for, group))
                .or_default()
                .push(sig.weight);
            if is_for {
                evidence.push(sig.citation.clone());
                if let Some(t) = &sig.title
                    && best_title.is_none_or(|(w, _)| sig.weight > w)
                {
                    best_title = Some((sig.weight, t));
                }
            } else {
                against.push(sig.citation.clone());
            }
            if !rules.contains(&sig.rule) {
                rules.push(sig.rule);
            }
        }
        let mut p_not = 1.0;
        let mut a_not = 1.0;
        for ((_, is_for, _), weights) in &mut per_rule {
            let w = rule_weight(weights);
            if *is_for {
                p_not *= 1.0 - w;
            } else {
                a_not *= 1.0 - w;
            }
        }
        let support = 1.0 - p_not;
        if support <= 0.0 {
            continue;
        }
        let score = support * (1.0 - 0.8 * (1.0 - a_not));
        let mut chain: Vec<&ChainStep> = s
            .chains
            .iter()
            .filter(|(c, _)| *c == cause)
            .map(|(_, st)| st)
            .collect();
        chain.sort_by_key(|st| st.order);
        let mut chain_text: Vec<String> = Vec::new();
        for st in chain {
            if !chain_text.contains(&st.text) {
                chain_text.push(st.text.clone());
            }
        }
        let mut missing: Vec<Missing> = Vec::new();
        for (c, m) in &s.missing {
            if *c == Some(cause) && !missing.contains(m) {
                missing.push(m.clone());
            }
        }
        findings.push(Finding {
            cause,
            score,
            title: best_title
                .map(|(_, t)| t.to_owned())
                .unwrap_or_else(|| cause.default_title().to_owned()),
            evidence,
            against,
            chain: chain_text,
            missing,
            relation: None,
            rules,
        });
    }
    choose_relations(&mut findings, &s.relations);
    apply_relations(&mut findings);
    prepend_contributors(&mut findings, s);
    for f in &mut findings {
        f.score = (f.score * 100.0).round() / 100.0;
    }
    findings.retain(|f| f.score >= REPORT_THRESHOLD);
    findings.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.cause.cmp(&b.cause)));
    findings
}

/// A cause's story starts with what contributes to it: the root conditions of
/// its contributing causes (accumulated objects, a bad node) lead its chain.
fn prepend_contributors(findings: &mut [Finding], s: &Signals) {
    let roots: Vec<(CauseId, f64, Vec<String>)> = findings
        .iter()
        .filter_map(|f| match f.relation {
            Some(Relation::ContributesTo(target)) => {
                let mut steps: Vec<&ChainStep> = s
                    .chains
                    .iter()
                    .filter(|(c, st)| *c == f.cause && st.order <= 1)
                    .map(|(_, st)| st)
                    .collect();
                steps.sort_by_key(|st| st.order);
                let texts = steps
                    .iter()
                    .map(|st| format!("{} [{}]", st.text, f.cause))
                    .collect();
                Some((target, f.score, texts))
            }
            _ => None,
        })
        .collect();
    for f in findings.iter_mut() {
        let mut mine: Vec<&(CauseId, f64, Vec<String>)> =
            roots.iter().filter(|(t, _, _)| *t == f.cause).collect();
        mine.sort_by(|a, b| b.1.total_cmp(&a.1));
        let mut chain: Vec<String> = mine
            .iter()
            .flat_map(|(_, _, t)| t.iter().cloned())
            .collect();
        for c in &f.chain {
            if !chain.contains(c) {
                chain.push(c.clone());
            }
        }
        f.chain = chain;
    }
}

/// How much one rule's grouped signals for one cause weigh together: the strongest
/// counts fully, each further one adds a quarter of its weight (noisy-OR), so
/// repetition strengthens a case without running away.
fn rule_weight(weights: &mut [f64]) -> f64 {
    weights.sort_by(|a, b| b.total_cmp(a));
    let mut not = 1.0;
    for (i, w) in weights.iter().enumerate() {
        not *= 1.0 - if i == 0 { *w } else { w * 0.25 };
    }
    1.0 - not
}

/// Rules may relate a cause to several others (a lost lease after probe kills
/// and after API timeouts): keep the relation to the best-supported present cause.
fn choose_relations(findings: &mut [Finding], relations: &[(CauseId, Relation)]) {
    let scores: BTreeMap<CauseId, f64> = findings.iter().map(|f| (f.cause, f.score)).collect();
    let target = |r: &Relation| match r {
        Relation::ExplainedBy(o) | Relation::ContributesTo(o) => *o,
    };
    for f in findings.iter_mut() {
        f.relation = relations
            .iter()
            .filter(|(c, r)| *c == f.cause && target(r) != f.cause)
            .filter_map(|(_, r)| scores.get(&target(r)).map(|s| (*s, *r)))
            .max_by(|a, b| a.0.total_cmp(&b.0))
            .map(|(_, r)| r);
    }
}

/// Caps symptoms and contributing causes below the cause they relate to, when
/// that cause is itself supported. Relations to absent causes are dropped.
fn apply_relations(findings: &mut [Finding]) {
    // Two passes settle short chains (accumulation → probe ← node; leader → probe).
    for _ in 0..2 {
        let scores: BTreeMap<CauseId, f64> = findings.iter().map(|f| (f.cause, f.score)).collect();
        for f in findings.iter_mut() {
            let (other, cap): (CauseId, fn(f64) -> f64) = match f.relation {
                // A symptom stays well below what explains it.
                Some(Relation::ExplainedBy(o)) => (o, |s| s * 0.6),
                Some(Relation::ContributesTo(o)) => (o, |s| s - 0.05),
                None => continue,
            };
            match scores.get(&other) {
                Some(&s) if s >= VERDICT_THRESHOLD => {
                    let limit = cap(s);
                    if f.score > limit {
                        f.score = limit.max(REPORT_THRESHOLD);
                    }
                }
                _ => f.relation = None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::Source;

    fn cite(s: &str) -> Citation {
        Citation::new(s, Source::new("t"))
    }

    #[test]
    fn noisy_or_combines_and_against_damps() {
        let mut s = Signals::default();
        s.support("a", CauseId::OomKilled, 0.5, cite("x"));
        s.support("b", CauseId::OomKilled, 0.5, cite("y"));
        s.support("a", CauseId::CpuStarved, 0.5, cite("z"));
        s.against("c", CauseId::CpuStarved, 0.5, cite("w"));
        let f = rank(&s);
        assert_eq!(f[0].cause, CauseId::OomKilled);
        assert_eq!(f[0].score, 0.75);
        assert_eq!(f[1].score, 0.3);
        assert_eq!(f[1].against.len(), 1);
    }

    #[test]
    fn duplicate_citations_count_once() {
        let mut s = Signals::default();
        s.support("a", CauseId::OomKilled, 0.5, cite("x"));
        s.support("a", CauseId::OomKilled, 0.5, cite("x"));
        assert_eq!(rank(&s)[0].score, 0.5);
    }

    #[test]
    fn symptoms_rank_below_their_cause() {
        let mut s = Signals::default();
        s.support(
            "l",
            CauseId::LeaderElectionLost,
            0.9,
            cite("stopped leading"),
        );
        s.relate(
            CauseId::LeaderElectionLost,
            Relation::ExplainedBy(CauseId::ProbeTimeoutUnderLoad),
        );
        s.support(
            "p",
            CauseId::ProbeTimeoutUnderLoad,
            0.7,
            cite("deadline exceeded"),
        );
        s.support("n", CauseId::NodeUnhealthy, 0.8, cite("node"));
        s.relate(
            CauseId::NodeUnhealthy,
            Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad),
        );
        let f = rank(&s);
        let order: Vec<CauseId> = f.iter().map(|f| f.cause).collect();
        assert_eq!(
            order,
            [
                CauseId::ProbeTimeoutUnderLoad,
                CauseId::NodeUnhealthy,
                CauseId::LeaderElectionLost
            ]
        );
        assert_eq!(f[1].score, 0.65);
        assert_eq!(f[2].score, 0.42);
    }

    #[test]
    fn the_best_supported_explanation_wins() {
        let mut s = Signals::default();
        s.support("l", CauseId::LeaderElectionLost, 0.6, cite("lease lost"));
        s.relate(
            CauseId::LeaderElectionLost,
            Relation::ExplainedBy(CauseId::ApiserverUnreachable),
        );
        s.relate(
            CauseId::LeaderElectionLost,
            Relation::ExplainedBy(CauseId::ProbeTimeoutUnderLoad),
        );
        s.support("a", CauseId::ApiserverUnreachable, 0.4, cite("i/o timeout"));
        s.support("p", CauseId::ProbeTimeoutUnderLoad, 0.8, cite("deadline"));
        let f = rank(&s);
        let lost = f
            .iter()
            .find(|f| f.cause == CauseId::LeaderElectionLost)
            .unwrap();
        assert_eq!(
            lost.relation,
            Some(Relation::ExplainedBy(CauseId::ProbeTimeoutUnderLoad))
        );
    }

    #[test]
    fn one_rule_repeating_itself_is_not_independent_evidence() {
        let mut s = Signals::default();
        for i in 0..3 {
            s.support("a", CauseId::CpuStarved, 0.5, cite(&format!("replica {i}")))
                .grouped("replica");
        }
        // Ungrouped signals of another rule stay independent.
        s.support("b", CauseId::OomKilled, 0.5, cite("x"));
        s.support("b", CauseId::OomKilled, 0.5, cite("y"));
        let f = rank(&s);
        assert_eq!(f[0].cause, CauseId::OomKilled);
        assert_eq!(f[0].score, 0.75);
        // 1 - 0.5 × 0.875 × 0.875
        assert_eq!(f[1].score, 0.62);
    }

    #[test]
    fn contributing_roots_lead_the_chain() {
        let mut s = Signals::default();
        s.support("p", CauseId::ProbeTimeoutUnderLoad, 0.8, cite("deadline"));
        s.chain(CauseId::ProbeTimeoutUnderLoad, 3, "killed at ~31 s");
        s.support(
            "a",
            CauseId::ObjectAccumulation,
            0.6,
            cite("3,000 revisions"),
        );
        s.chain(
            CauseId::ObjectAccumulation,
            0,
            "3,000 Revisions keep 6,000 Services",
        );
        s.chain(CauseId::ObjectAccumulation, 3, "not a root step");
        s.relate(
            CauseId::ObjectAccumulation,
            Relation::ContributesTo(CauseId::ProbeTimeoutUnderLoad),
        );
        let f = rank(&s);
        assert_eq!(
            f[0].chain,
            [
                "3,000 Revisions keep 6,000 Services [object-accumulation]",
                "killed at ~31 s"
            ]
        );
    }

    #[test]
    fn relation_to_an_absent_cause_is_dropped() {
        let mut s = Signals::default();
        s.support("l", CauseId::LeaderElectionLost, 0.6, cite("lease lost"));
        s.relate(
            CauseId::LeaderElectionLost,
            Relation::ExplainedBy(CauseId::ApiserverUnreachable),
        );
        let f = rank(&s);
        assert_eq!(f[0].score, 0.6);
        assert_eq!(f[0].relation, None);
    }
}
