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

/// Ranks the causes the signals speak of, best first.
pub fn rank(s: &Signals) -> Vec<Finding> {
    let mut by_cause: BTreeMap<CauseId, Vec<&Signal>> = BTreeMap::new();
    for sig in &s.signals {
        by_cause.entry(sig.cause).or_default().push(sig);
    }
    let mut findings: Vec<Finding> = Vec::new();
    for (cause, sigs) in by_cause {
        let mut seen = std::collections::HashSet::new();
        let mut p_not = 1.0;
        let mut a_not = 1.0;
        let mut evidence = Vec::new();
        let mut against = Vec::new();
        let mut rules: Vec<&'static str> = Vec::new();
        let mut best_title: Option<(f64, &str)> = None;
        for sig in &sigs {
            // The same evidence cited twice by one rule counts once.
            if !seen.insert((sig.rule, sig.polarity, &sig.citation)) {
                continue;
            }
            match sig.polarity {
                Polarity::For => {
                    p_not *= 1.0 - sig.weight;
                    evidence.push(sig.citation.clone());
                    if let Some(t) = &sig.title {
                        if best_title.is_none_or(|(w, _)| sig.weight > w) {
                            best_title = Some((sig.weight, t));
                        }
                    }
                }
                Polarity::Against => {
                    a_not *= 1.0 - sig.weight;
                    against.push(sig.citation.clone());
                }
            }
            if !rules.contains(&sig.rule) {
                rules.push(sig.rule);
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
    for f in &mut findings {
        f.score = (f.score * 100.0).round() / 100.0;
    }
    findings.retain(|f| f.score >= REPORT_THRESHOLD);
    findings.sort_by(|a, b| b.score.total_cmp(&a.score).then(a.cause.cmp(&b.cause)));
    findings
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
            let (other, gap) = match f.relation {
                Some(Relation::ExplainedBy(o)) => (o, 0.25),
                Some(Relation::ContributesTo(o)) => (o, 0.05),
                None => continue,
            };
            match scores.get(&other) {
                Some(&s) if s >= VERDICT_THRESHOLD => {
                    if f.score > s - gap {
                        f.score = (s - gap).max(REPORT_THRESHOLD);
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
        assert_eq!(f[2].score, 0.45);
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
