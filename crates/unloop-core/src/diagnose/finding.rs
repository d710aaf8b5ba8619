//! What rules say (signals) and what the diagnosis reports (findings).

use serde::Serialize;

use super::cause::CauseId;
use crate::evidence::Source;

/// One piece of evidence, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Citation {
    /// What the evidence shows, in plain words (quoting the input where useful).
    pub text: String,
    /// File and line, or object and field.
    pub source: Source,
}

impl Citation {
    /// A citation.
    pub fn new(text: impl Into<String>, source: Source) -> Self {
        Citation {
            text: text.into(),
            source,
        }
    }
}

/// Evidence that is absent and would change the ranking if present.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Missing {
    /// What is missing and why it matters.
    pub what: String,
    /// The exact command that would get it.
    pub command: String,
}

/// How one cause relates to another in the causal chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "relation", content = "cause", rename_all = "snake_case")]
pub enum Relation {
    /// This is a symptom of the other cause (e.g. `leader-election-lost` after probe kills).
    ExplainedBy(CauseId),
    /// This makes the other cause happen or worse (e.g. accumulation → probe timeouts).
    ContributesTo(CauseId),
}

/// One step of a causal chain, ordered from cause to symptom.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ChainStep {
    /// Position: 0 root condition, 1 mechanism, 2 failing check, 3 kill or exit, 4 what the user sees.
    #[serde(skip)]
    pub order: u8,
    pub text: String,
}

/// Whether a signal speaks for or against a cause.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Polarity {
    For,
    Against,
}

/// What one rule concluded about one cause from one piece of evidence.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Signal {
    pub cause: CauseId,
    pub polarity: Polarity,
    /// Strength in 0..1: how strongly this evidence alone points at (or away from) the cause.
    pub weight: f64,
    pub citation: Citation,
    /// A specific title for the cause, when this evidence makes one possible.
    pub title: Option<String>,
    /// The rule that produced it.
    pub rule: &'static str,
    /// Signals of one rule in the same group are the same argument seen
    /// several times (once per replica, say) and weigh less than independent
    /// evidence; ungrouped signals are independent.
    #[serde(skip)]
    pub group: Option<&'static str>,
}

/// Everything rules emit for one subject.
#[derive(Debug, Clone, Default)]
pub struct Signals {
    pub signals: Vec<Signal>,
    pub chains: Vec<(CauseId, ChainStep)>,
    pub missing: Vec<(Option<CauseId>, Missing)>,
    pub relations: Vec<(CauseId, Relation)>,
    /// Numbers rules computed that others (and the plan) may use, by key.
    pub facts: Vec<(String, String)>,
}

impl Signals {
    /// Evidence for `cause`.
    pub fn support(
        &mut self,
        rule: &'static str,
        cause: CauseId,
        weight: f64,
        citation: Citation,
    ) -> &mut Signal {
        self.push(rule, cause, Polarity::For, weight, citation)
    }

    /// Evidence against `cause`.
    pub fn against(
        &mut self,
        rule: &'static str,
        cause: CauseId,
        weight: f64,
        citation: Citation,
    ) -> &mut Signal {
        self.push(rule, cause, Polarity::Against, weight, citation)
    }

    fn push(
        &mut self,
        rule: &'static str,
        cause: CauseId,
        polarity: Polarity,
        weight: f64,
        citation: Citation,
    ) -> &mut Signal {
        self.signals.push(Signal {
            cause,
            polarity,
            weight: weight.clamp(0.0, 1.0),
            citation,
            title: None,
            rule,
            group: None,
        });
        self.signals.last_mut().expect("just pushed")
    }

    /// A step of `cause`'s chain.
    pub fn chain(&mut self, cause: CauseId, order: u8, text: impl Into<String>) {
        self.chains.push((
            cause,
            ChainStep {
                order,
                text: text.into(),
            },
        ));
    }

    /// Missing evidence that matters for `cause` (or for the subject as a whole).
    pub fn missing(
        &mut self,
        cause: Option<CauseId>,
        what: impl Into<String>,
        command: impl Into<String>,
    ) {
        self.missing.push((
            cause,
            Missing {
                what: what.into(),
                command: command.into(),
            },
        ));
    }

    /// Declares how `cause` relates to another.
    pub fn relate(&mut self, cause: CauseId, relation: Relation) {
        self.relations.push((cause, relation));
    }

    /// Records a computed number for later rules and the plan.
    pub fn fact(&mut self, key: impl Into<String>, value: impl ToString) {
        self.facts.push((key.into(), value.to_string()));
    }

    /// A fact recorded earlier.
    pub fn get_fact(&self, key: &str) -> Option<&str> {
        self.facts
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Whether any signal supports `cause`.
    pub fn supports(&self, cause: CauseId) -> bool {
        self.signals
            .iter()
            .any(|s| s.cause == cause && s.polarity == Polarity::For)
    }
}

impl Signal {
    /// Marks the signal as one of a group of repeats (see [`Signal::group`]).
    pub fn grouped(&mut self, group: &'static str) -> &mut Self {
        self.group = Some(group);
        self
    }

    /// Gives the cause a specific title.
    pub fn titled(&mut self, title: impl Into<String>) -> &mut Self {
        self.title = Some(title.into());
        self
    }
}

/// A ranked cause for one troubled workload.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub cause: CauseId,
    /// 0..1, rounded to two decimals.
    pub score: f64,
    pub title: String,
    pub evidence: Vec<Citation>,
    pub against: Vec<Citation>,
    pub chain: Vec<String>,
    pub missing: Vec<Missing>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub relation: Option<Relation>,
    /// Rules that contributed.
    pub rules: Vec<&'static str>,
}
