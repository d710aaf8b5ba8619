//! Literal messages: what the process, the kubelet or the runtime said, read
//! against the message table ([`messages`]).
//!
//! The rule scans the subject's log records (message, structured fields,
//! continuation lines of panics and tracebacks), the containers' terminated and
//! waiting messages, and the kubelet events that carry runtime errors (`Failed`,
//! `FailedMount`, `FailedCreatePodSandBox`). How much a message weighs depends
//! on where it stands: an error or fatal line outweighs an info line, and the
//! last fatal message before the process exits is the most telling of all.
//! A message repeated a hundred times is still one message.
//!
//! Two causal shapes are common enough to say so through relations: a panic
//! whose message names another cause (`panic: mkdir x: read-only file system`)
//! is how the process exits, not why; and a lost leader lease next to API
//! server timeouts is a symptom of those timeouts.

use std::collections::BTreeMap;
use std::sync::LazyLock;

use regex::Regex;

use super::Rule;
use crate::diagnose::cause::CauseId;
use crate::diagnose::context::Context;
use crate::diagnose::finding::{Citation, Relation, Signals};
use crate::diagnose::knowledge::messages::{self, Guard, Hit, WAITING_REASONS, shorten};
use crate::evidence::*;

/// See the module docs.
pub struct Literal;

/// The rule's name in findings.
pub const NAME: &str = "literal";

/// Each further distinct message of a cause adds less: the most telling one
/// carries the cause, the others corroborate.
const DECAY: f64 = 0.5;

/// Event reasons whose messages carry runtime or kubelet errors. Probe
/// (`Unhealthy`) and kill events are the probe rules' evidence, not literal
/// statements of a cause.
const EVENT_REASONS: &[&str] = &[
    "Failed",
    "FailedMount",
    "FailedAttachVolume",
    "FailedCreatePodSandBox",
    "FailedPostStartHook",
    "FailedPreStopHook",
];

/// Fields that never state a cause (positions, identities, stack dumps).
const SKIPPED_FIELDS: &[&str] = &[
    "stacktrace",
    "stack",
    "caller",
    "logger",
    "ts",
    "time",
    "timestamp",
    "level",
    "severity",
    "commit",
    "frame",
    "file",
    "line",
    "func",
    "function",
    "reconcileID",
];

/// Where a message was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// A record of the container's log.
    Log,
    /// `state.terminated.message` / `lastState.terminated.message`.
    TerminationMessage,
    /// `state.waiting.message`.
    WaitingMessage,
    /// A kubelet event.
    Event,
}

/// One message of the table found in the subject's evidence.
#[derive(Debug, Clone)]
pub struct Found {
    /// The table row and what it captured.
    pub hit: Hit,
    /// Where the message was read.
    pub place: Place,
    /// The record, container status or event, to cite.
    pub source: Source,
    /// The record's severity (inferred from its lead when the format has none).
    pub severity: Severity,
    /// The row's weight after severity, position and place.
    pub weight: f64,
    /// The last telling message before the process exited.
    pub last_words: bool,
    /// The container it is about, when known.
    pub container: Option<String>,
    /// The pod it is about, when known.
    pub pod: Option<String>,
    /// How often the kubelet reported it (events); 1 otherwise.
    pub count: u32,
    /// Event reason, for citations.
    reason: Option<String>,
    /// Log stream and record position, for neighbourhood checks.
    at: Option<(usize, usize)>,
}

impl Found {
    fn describe_place(&self) -> String {
        let c = self.container.as_deref().unwrap_or("?");
        match self.place {
            Place::Log => {
                let sev = match self.severity {
                    Severity::Fatal => "fatal log line",
                    Severity::Error => "error log line",
                    Severity::Warning => "warning log line",
                    Severity::Info | Severity::Debug | Severity::Trace => "info log line",
                    Severity::Unknown => "log line",
                };
                if self.last_words {
                    format!("{sev}, the last before the exit")
                } else {
                    sev.to_owned()
                }
            }
            Place::TerminationMessage => format!("termination message of container {c}"),
            Place::WaitingMessage => format!("waiting message of container {c}"),
            Place::Event => format!(
                "event {} (x{})",
                self.reason.as_deref().unwrap_or("?"),
                self.count
            ),
        }
    }

    fn citation(&self, repeats: u32) -> Citation {
        let again = if repeats > 1 {
            format!(" (seen {repeats} times)")
        } else {
            String::new()
        };
        Citation::new(
            format!(
                "{}{again}: \"{}\"",
                self.describe_place(),
                shorten(&self.hit.line, 300)
            ),
            self.source.clone(),
        )
    }
}

impl Rule for Literal {
    fn name(&self) -> &'static str {
        NAME
    }

    fn evaluate(&self, cx: &Context<'_>, out: &mut Signals) {
        let mut found = scan(cx);
        waiting_reasons(cx, out);
        if found.iter().all(|f| f.hit.pattern.any_level) {
            ask_for_previous_logs(cx, out);
        }
        if found.is_empty() {
            return;
        }
        let explainer = explain_panics(&mut found, out);
        emit(cx, &found, out);
        relate_lease_loss(&found, out);
        record_last_words(&found, explainer, out);
    }
}

/// Every table message in the subject's logs, container messages and events.
pub fn scan(cx: &Context<'_>) -> Vec<Found> {
    let mut found = Vec::new();
    let troubled = cx.troubled_containers();
    for (li, log) in cx.logs().enumerate() {
        scan_log(cx, li, log, &troubled, &mut found);
    }
    for (pod, c) in cx.containers() {
        let src = pod.container_source(c);
        for (field, state) in [("lastState", &c.last_state), ("state", &c.state)] {
            let (place, message, factor) = match state {
                Some(ContainerState::Terminated {
                    message: Some(m), ..
                }) => (Place::TerminationMessage, m, 1.0),
                Some(ContainerState::Waiting {
                    message: Some(m), ..
                }) => (Place::WaitingMessage, m, 0.95),
                _ => continue,
            };
            let source = src.with_field(format!(
                "Pod {} container {} .{field}",
                pod.meta.name, c.name
            ));
            for hit in scan_text(message) {
                found.push(Found {
                    weight: hit.pattern.weight * factor,
                    hit,
                    place,
                    source: source.clone(),
                    severity: Severity::Error,
                    last_words: place == Place::TerminationMessage,
                    container: Some(c.name.clone()),
                    pod: Some(pod.meta.name.clone()),
                    count: 1,
                    reason: None,
                    at: None,
                });
            }
        }
    }
    for e in cx.events() {
        if !EVENT_REASONS.contains(&e.reason.as_str()) || is_image_pull(&e.message) {
            continue;
        }
        // A sandbox that cannot be created is the node's problem (CNI,
        // runtime) more than the process's, so its messages weigh less.
        let factor = if e.reason == "FailedCreatePodSandBox" {
            0.6
        } else {
            0.9
        };
        for hit in scan_text(&e.message) {
            found.push(Found {
                weight: hit.pattern.weight * factor,
                hit,
                place: Place::Event,
                source: e.source.clone(),
                severity: if e.is_warning() {
                    Severity::Error
                } else {
                    Severity::Info
                },
                last_words: e.reason == "Failed",
                container: e.container().map(str::to_owned),
                pod: (e.object.kind == "Pod").then(|| e.object.name.clone()),
                count: e.count.max(1),
                reason: Some(e.reason.clone()),
                at: None,
            });
        }
    }
    // A cache that never syncs says "missing CRD" only when something else
    // in the subject says so too; alone it has many causes.
    let crd_hint = found
        .iter()
        .any(|f| f.hit.cause() == CauseId::MissingCrd && f.hit.pattern.guard != Guard::CrdHint);
    if !crd_hint {
        found.retain(|f| f.hit.pattern.guard != Guard::CrdHint);
    }
    found
}

/// The table's hits in one text, the strongest per cause: several forms of
/// one statement in one message (`if kind is a CRD ...` with its
/// `no matches for kind` error) are one piece of evidence, not several.
fn scan_text(text: &str) -> Vec<Hit> {
    let mut hits = messages::scan(&messages::normalize(text));
    hits.sort_by(|a, b| b.pattern.weight.total_cmp(&a.pattern.weight));
    let mut seen: Vec<CauseId> = Vec::new();
    hits.retain(|h| {
        let first = !seen.contains(&h.cause());
        seen.push(h.cause());
        first
    });
    hits
}

fn is_image_pull(message: &str) -> bool {
    let m = message.to_ascii_lowercase();
    m.contains("pull image") || m.contains("pulling image") || m.contains("errimagepull")
}

fn scan_log(
    cx: &Context<'_>,
    li: usize,
    log: &LogStream,
    troubled: &[&str],
    found: &mut Vec<Found>,
) {
    // A sidecar's complaints rarely explain why another container crashes.
    let sidecar = log.container.as_deref().is_some_and(|c| {
        !troubled.is_empty() && !troubled.contains(&c) && cx.containers().any(|(_, k)| k.name == c)
    });
    let place_factor = if sidecar { 0.6 } else { 1.0 };
    let mut per_record: Vec<(usize, Severity, Vec<Hit>)> = Vec::new();
    let mut in_usage = false;
    for (ri, r) in log.records.iter().enumerate() {
        let m = r.message.trim();
        if is_usage_header(m) {
            in_usage = true;
            continue;
        }
        let sev = severity_of(r);
        if in_usage {
            // Help text lists flags and their descriptions ("... must be set"),
            // not errors: skip it until a real log line comes back.
            if r.format == LogFormat::Plain && !sev.is_error() {
                continue;
            }
            in_usage = false;
        }
        let text = record_text(r);
        let hits = scan_text(&text);
        if !hits.is_empty() {
            per_record.push((ri, sev, hits));
        }
    }
    // Traces and slow-request lines are progress reports: they can be the
    // last lines of a log without being what the process died of.
    let telling: Vec<&(usize, Severity, Vec<Hit>)> = per_record
        .iter()
        .filter(|(_, _, hits)| hits.iter().any(|h| !h.pattern.any_level))
        .collect();
    let last_words = telling
        .iter()
        .rev()
        .find(|(_, s, _)| *s == Severity::Fatal)
        .or_else(|| telling.iter().rev().find(|(_, s, _)| s.is_error()))
        .or(telling.last())
        .map(|(ri, _, _)| *ri);
    let n = log.records.len();
    for (ri, sev, hits) in per_record {
        let r = &log.records[ri];
        let is_last = Some(ri) == last_words;
        // The end of a crashed run's log is what it said before exiting.
        let near_end = ri + 3 >= n;
        let position = if is_last || near_end { 1.0 } else { 0.85 };
        for hit in hits {
            let level = if hit.pattern.any_level {
                1.0
            } else {
                level_factor(sev)
            };
            found.push(Found {
                weight: hit.pattern.weight * level * position * place_factor,
                hit,
                place: Place::Log,
                source: log.record_source(r),
                severity: sev,
                last_words: is_last,
                container: log.container.clone(),
                pod: log.pod.as_ref().map(|p| p.name.clone()),
                count: 1,
                reason: None,
                at: Some((li, ri)),
            });
        }
    }
}

fn level_factor(s: Severity) -> f64 {
    match s {
        Severity::Fatal => 1.0,
        Severity::Error => 0.95,
        Severity::Unknown => 0.85,
        Severity::Warning => 0.7,
        Severity::Info => 0.6,
        Severity::Debug | Severity::Trace => 0.5,
    }
}

fn is_usage_header(m: &str) -> bool {
    m == "Usage:"
        || m == "Flags:"
        || m == "Global Flags:"
        || (m.starts_with("Usage of ") && m.ends_with(':'))
}

/// The record's severity; for formats without one, what its lead says.
fn severity_of(r: &LogRecord) -> Severity {
    if r.severity != Severity::Unknown {
        return r.severity;
    }
    let m = r.message.trim_start();
    if m.starts_with("panic:") || m.starts_with("fatal error:") || m.starts_with("FATAL") {
        Severity::Fatal
    } else if m.starts_with("Error:")
        || m.starts_with("error:")
        || m.starts_with("ERROR")
        || m.starts_with("Traceback")
    {
        Severity::Error
    } else {
        Severity::Unknown
    }
}

static GO_FRAME: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^[^\s(]+(?:\([^\s)]*\)[^\s(]*)*\(.*\)$").expect("static regex"));

/// Message, structured fields and continuation lines as one text; stack
/// frames and usage blocks left out (their words are code, not errors).
fn record_text(r: &LogRecord) -> String {
    let mut text = r.message.clone();
    for (k, v) in &r.fields {
        if SKIPPED_FIELDS.contains(&k.as_str()) || k.starts_with("knative.dev/") {
            continue;
        }
        text.push(' ');
        text.push_str(k);
        text.push('=');
        text.push_str(v);
    }
    for line in &r.continuation {
        let t = line.trim();
        if is_usage_header(t) {
            break;
        }
        let frame = line.starts_with(char::is_whitespace)
            || t.starts_with("at ")
            || t.starts_with("created by ")
            || GO_FRAME.is_match(t);
        if !frame && !t.is_empty() {
            text.push('\n');
            text.push_str(t);
        }
    }
    text
}

/// Rows that never explain a crash by another cause: the program's own bugs.
const BUG_ROWS: &[&str] = &[
    "panic.nil-pointer",
    "panic.runtime-error",
    "panic.sigsegv",
    "panic.concurrent-map",
    "panic.stack-overflow",
];

/// A panic whose own message (or the error line just before it) names another
/// cause is how the process exits, not why: weaken it and say what explains it.
/// Returns the explaining cause.
fn explain_panics(found: &mut [Found], out: &mut Signals) -> Option<CauseId> {
    let mut best: Option<(CauseId, f64)> = None;
    let mut explained: Vec<usize> = Vec::new();
    for (i, f) in found.iter().enumerate() {
        if f.hit.cause() != CauseId::ApplicationPanic {
            continue;
        }
        let same_record = |g: &Found| g.at.is_some() && g.at == f.at;
        let bug = found
            .iter()
            .any(|g| same_record(g) && BUG_ROWS.contains(&g.hit.pattern.id));
        let near = |g: &Found| match (f.at, g.at) {
            (Some((l, r)), Some((gl, gr))) => {
                l == gl && (gr == r || (!bug && gr < r && gr + 3 >= r && g.severity.is_error()))
            }
            _ => f.place == g.place && f.source == g.source,
        };
        let other = found
            .iter()
            .filter(|g| g.hit.cause() != CauseId::ApplicationPanic && near(g))
            .max_by(|a, b| a.weight.total_cmp(&b.weight));
        if let Some(g) = other {
            explained.push(i);
            if best.is_none_or(|(_, w)| g.weight > w) {
                best = Some((g.hit.cause(), g.weight));
            }
        }
    }
    let (cause, _) = best?;
    for i in explained {
        found[i].weight *= 0.5;
    }
    out.relate(CauseId::ApplicationPanic, Relation::ExplainedBy(cause));
    out.chain(
        CauseId::ApplicationPanic,
        2,
        format!(
            "the panic's own message names the cause ({cause}); the panic is how the process exits"
        ),
    );
    Some(cause)
}

struct Group<'a> {
    cause: CauseId,
    best: &'a Found,
    weight: f64,
    repeats: u32,
    title: String,
}

fn emit(cx: &Context<'_>, found: &[Found], out: &mut Signals) {
    let mut groups: BTreeMap<(CauseId, String), Group<'_>> = BTreeMap::new();
    for f in found {
        add_to_group(&mut groups, f.hit.cause(), f.hit.identity(), f, f.weight);
        for &(also, w) in f.hit.pattern.also {
            let scale = f.weight / f.hit.pattern.weight;
            let key = format!("{}#also", f.hit.identity());
            add_to_group(&mut groups, also, key, f, w * scale);
        }
    }
    let mut by_cause: BTreeMap<CauseId, Vec<Group<'_>>> = BTreeMap::new();
    for ((cause, _), g) in groups {
        by_cause.entry(cause).or_default().push(g);
    }
    for (cause, mut gs) in by_cause {
        gs.sort_by(|a, b| b.weight.total_cmp(&a.weight));
        let mut factor = 1.0;
        for g in &gs {
            out.support(NAME, g.cause, g.weight * factor, g.best.citation(g.repeats))
                .titled(g.title.clone());
            factor *= DECAY;
        }
        chain(cx, cause, gs[0].best, out);
    }
}

fn add_to_group<'a>(
    groups: &mut BTreeMap<(CauseId, String), Group<'a>>,
    cause: CauseId,
    key: String,
    f: &'a Found,
    weight: f64,
) {
    let g = groups.entry((cause, key)).or_insert_with(|| Group {
        cause,
        best: f,
        weight: 0.0,
        repeats: 0,
        title: f.hit.title(),
    });
    g.repeats += f.count;
    // Ties go to the later message: closer to the exit.
    if weight >= g.weight {
        g.weight = weight;
        g.best = f;
        g.title = f.hit.title();
    }
}

fn chain(cx: &Context<'_>, cause: CauseId, f: &Found, out: &mut Signals) {
    // A fragment such as `CA_CHECKSUM is set but` reads better in its line.
    let quote = if f.hit.matched.len() < 30 {
        shorten(&f.hit.line, 160)
    } else {
        shorten(&f.hit.matched, 160)
    };
    let said = match f.place {
        Place::Log => format!("the log says \"{quote}\" ({})", f.source),
        Place::TerminationMessage => {
            format!(
                "the container's termination message says \"{quote}\" ({})",
                f.source
            )
        }
        Place::WaitingMessage => format!("the kubelet says \"{quote}\" ({})", f.source),
        Place::Event => format!(
            "the kubelet reports {} \"{quote}\" ({})",
            f.reason.as_deref().unwrap_or("an event"),
            f.source
        ),
    };
    out.chain(cause, 1, said);
    if f.hit.pattern.any_level || !(f.last_words || f.severity.is_error()) {
        return;
    }
    let exit = last_exit(cx, f.container.as_deref());
    let exits = match (f.place, exit) {
        (Place::Event | Place::WaitingMessage, _) if f.hit.cause() == CauseId::ExecFormatError => {
            "the container cannot start".to_owned()
        }
        (_, Some((code, Some(reason)))) => {
            format!("the process exits with code {code} ({reason})")
        }
        (_, Some((code, None))) => format!("the process exits with code {code}"),
        (_, None) => "the process exits".to_owned(),
    };
    out.chain(cause, 3, exits);
    let restarts = cx
        .containers()
        .filter(|(_, c)| f.container.as_deref().is_none_or(|n| n == c.name))
        .filter_map(|(_, c)| c.restart_count)
        .max()
        .or_else(|| {
            cx.pods()
                .filter_map(|p| p.row.as_ref())
                .map(|r| r.restarts)
                .max()
        });
    out.chain(
        cause,
        4,
        match restarts {
            Some(n) if n > 0 => format!(
                "the kubelet restarts it ({n} restarts so far) and backs off: CrashLoopBackOff"
            ),
            _ => "the kubelet restarts it and backs off: CrashLoopBackOff".to_owned(),
        },
    );
}

/// The last terminated state of a container (or of the first troubled one):
/// exit code and reason.
pub fn last_exit(cx: &Context<'_>, container: Option<&str>) -> Option<(i32, Option<String>)> {
    let troubled = cx.troubled_containers();
    cx.containers()
        .filter(|(_, c)| match container {
            Some(n) => c.name == n,
            None => troubled.contains(&c.name.as_str()),
        })
        .find_map(|(_, c)| match c.last_state.as_ref().or(c.state.as_ref()) {
            Some(ContainerState::Terminated {
                exit_code: Some(code),
                reason,
                ..
            }) => Some((*code, reason.clone())),
            _ => None,
        })
}

/// A lost lease next to API server timeouts is a symptom of those timeouts.
fn relate_lease_loss(found: &[Found], out: &mut Signals) {
    let has = |c: CauseId| found.iter().any(|f| f.hit.cause() == c);
    if !has(CauseId::LeaderElectionLost) {
        return;
    }
    if has(CauseId::ApiserverUnreachable) {
        out.relate(
            CauseId::LeaderElectionLost,
            Relation::ExplainedBy(CauseId::ApiserverUnreachable),
        );
        out.chain(
            CauseId::LeaderElectionLost,
            2,
            "the lease cannot be renewed because requests to the API server time out or fail",
        );
    }
    if found
        .iter()
        .any(|f| f.hit.cause() == CauseId::ApiserverThrottled && f.weight >= 0.4)
    {
        out.relate(
            CauseId::LeaderElectionLost,
            Relation::ExplainedBy(CauseId::ApiserverThrottled),
        );
    }
}

/// Facts for later rules: the most telling message before the exit.
fn record_last_words(found: &[Found], explainer: Option<CauseId>, out: &mut Signals) {
    let best = found
        .iter()
        .filter(|f| f.last_words)
        .max_by(|a, b| {
            let key = |f: &Found| {
                let explained = f.hit.cause() == CauseId::ApplicationPanic && explainer.is_some();
                (!explained, f.weight)
            };
            let (ea, wa) = key(a);
            let (eb, wb) = key(b);
            ea.cmp(&eb).then(wa.total_cmp(&wb))
        })
        .or_else(|| found.iter().max_by(|a, b| a.weight.total_cmp(&b.weight)));
    let Some(f) = best else { return };
    let cause = match (f.hit.cause(), explainer) {
        (CauseId::ApplicationPanic, Some(c)) => c,
        (c, _) => c,
    };
    out.fact("literal.final.cause", cause.as_str());
    out.fact("literal.final.source", &f.source);
    out.fact("literal.final.text", shorten(&f.hit.matched, 200));
    out.fact("literal.final.weight", format!("{:.2}", f.weight));
    if let Some(c) = &f.container {
        out.fact("literal.final.container", c);
    }
}

/// Waiting reasons that name a cause on their own.
fn waiting_reasons(cx: &Context<'_>, out: &mut Signals) {
    for (pod, c) in cx.containers() {
        let Some(ContainerState::Waiting {
            reason: Some(reason),
            ..
        }) = &c.state
        else {
            continue;
        };
        if let Some(&(_, cause, weight, title)) = WAITING_REASONS.iter().find(|(r, ..)| r == reason)
        {
            let src = pod.container_source(c);
            out.support(
                NAME,
                cause,
                weight,
                Citation::new(
                    format!(
                        "container {} of pod {} is waiting: {reason}",
                        c.name, pod.meta.name
                    ),
                    src,
                ),
            )
            .titled(title);
        }
    }
}

/// Nothing literal was found, yet the container keeps restarting: the log of
/// the crashed run is what would say why.
fn ask_for_previous_logs(cx: &Context<'_>, out: &mut Signals) {
    let restarting: Vec<(&Pod, &Container)> = cx
        .containers()
        .filter(|(p, c)| {
            c.restart_count.unwrap_or(0) > 0
                || p.row.as_ref().is_some_and(|r| r.restarts > 0)
                || matches!(&c.state, Some(ContainerState::Waiting { reason: Some(r), .. }) if r == "CrashLoopBackOff")
        })
        .collect();
    let have_logs = cx.logs().next().is_some();
    let what = if have_logs {
        "the log of the crashed run (`--previous`): the logs at hand name no fatal error, and the last lines before an exit usually do"
    } else {
        "the log of the crashed run: the last lines before the exit usually name the cause"
    };
    let ns = cx.ns_flag();
    if restarting.is_empty() {
        // Pods known only from a `kubectl get pods` row name no container.
        let row_only: Vec<&Pod> = cx
            .pods()
            .filter(|p| p.containers.is_empty() && p.row.as_ref().is_some_and(|r| r.restarts > 0))
            .collect();
        if !row_only.is_empty() && !have_logs {
            for p in row_only.into_iter().take(3) {
                out.missing(
                    None,
                    what,
                    format!("kubectl logs --previous{ns} {}", p.meta.name),
                );
            }
            return;
        }
        if !cx.subject.pods.is_empty() || have_logs {
            return;
        }
        out.missing(
            None,
            what,
            format!("kubectl logs --previous{ns} {}", cx.example_pod()),
        );
        return;
    }
    // The crashed run's log is at hand when a `--previous` log of the pod was
    // given, or a plain log of a container waiting to restart (the kubelet then
    // serves the last terminated instance, as `cluster-info dump` fetches it).
    let crashed_run_logged = |p: &Pod, c: &Container| {
        cx.logs().any(|l| {
            let same_pod = l.pod.as_ref().is_some_and(|lp| lp.name == p.meta.name);
            let same_container = l.container.as_deref().is_none_or(|n| n == c.name);
            let waiting = matches!(c.state, Some(ContainerState::Waiting { .. }))
                && matches!(c.last_state, Some(ContainerState::Terminated { .. }));
            same_pod
                && same_container
                && (l.run == ContainerRun::Previous || (l.run == ContainerRun::Current && waiting))
        })
    };
    for (p, c) in restarting
        .into_iter()
        .filter(|(p, c)| !crashed_run_logged(p, c))
        .take(3)
    {
        out.missing(
            None,
            what,
            format!("kubectl logs --previous{ns} {} -c {}", p.meta.name, c.name),
        );
    }
}

#[cfg(test)]
mod tests {
    use crate::diagnose::finding::Relation;
    use crate::diagnose::tests_support::*;
    use crate::diagnose::{CauseId, DiagnoseOptions, diagnose};
    use crate::evidence::*;

    fn rec(line: u32, severity: Severity, message: &str, fields: &[(&str, &str)]) -> LogRecord {
        LogRecord {
            time: None,
            year_inferred: false,
            severity,
            logger: None,
            message: message.into(),
            fields: fields
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            caller: None,
            format: if fields.is_empty() {
                LogFormat::Plain
            } else {
                LogFormat::Json
            },
            line,
            continuation: Vec::new(),
        }
    }

    /// The crash-looping pod of the shared test support, exiting with `exit`,
    /// with these log records and kubelet events.
    fn evidence(exit: i32, records: Vec<LogRecord>, events: &[(&str, &str, u32)]) -> Evidence {
        let mut b = EvidenceBuilder::new();
        let mut pod = crashing_pod();
        pod.containers[0].last_state = Some(ContainerState::Terminated {
            reason: Some(if exit == 0 { "Completed" } else { "Error" }.into()),
            message: None,
            exit_code: Some(exit),
            signal: None,
            started: None,
            finished: None,
        });
        b.add_pod(pod);
        for (reason, message, count) in events {
            b.add_event(kubelet_event(
                "ctl-5d9c7f6b8-x2kqp",
                reason,
                message,
                *count,
            ));
        }
        if !records.is_empty() {
            b.add_log(previous_log(LogFormat::Json, records));
        }
        b.finish()
    }

    fn top(ev: &Evidence) -> (CauseId, String) {
        let d = diagnose(ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        let f = &w.findings[0];
        (f.cause, f.title.clone())
    }

    #[test]
    fn rbac_refusal_ranks_first_with_a_specific_title() {
        let ev = evidence(
            1,
            vec![
                rec(1, Severity::Info, "starting manager", &[]),
                rec(
                    2,
                    Severity::Error,
                    "Failed to watch",
                    &[(
                        "err",
                        r#"failed to list *v1.Secret: secrets is forbidden: User "system:serviceaccount:ns:ctl" cannot list resource "secrets" in API group "" at the cluster scope"#,
                    )],
                ),
            ],
            &[],
        );
        let (cause, title) = top(&ev);
        assert_eq!(cause, CauseId::RbacForbidden);
        assert!(
            title.contains("system:serviceaccount:ns:ctl cannot list resource \"secrets\""),
            "{title}"
        );
        let f = finding(&ev, CauseId::RbacForbidden).unwrap();
        assert!(
            f.evidence[0].source.to_string().starts_with("logs.txt:2"),
            "{:?}",
            f.evidence
        );
        assert!(
            f.chain.iter().any(|c| c.contains("exits with code 1")),
            "{:?}",
            f.chain
        );
        assert!(
            f.chain.iter().any(|c| c.contains("CrashLoopBackOff")),
            "{:?}",
            f.chain
        );
    }

    #[test]
    fn repeated_messages_count_once() {
        let line = r#"listen tcp :8080: bind: address already in use"#;
        let once = evidence(
            1,
            vec![rec(
                1,
                Severity::Error,
                "unable to start manager",
                &[("error", line)],
            )],
            &[],
        );
        let many = evidence(
            1,
            (1..=20)
                .map(|i| {
                    rec(
                        i,
                        Severity::Error,
                        "unable to start manager",
                        &[("error", line)],
                    )
                })
                .collect(),
            &[],
        );
        let a = finding(&once, CauseId::PortInUse).unwrap();
        let b = finding(&many, CauseId::PortInUse).unwrap();
        assert_eq!(a.score, b.score);
        assert!(
            b.evidence.iter().any(|c| c.text.contains("seen 20 times")),
            "{:?}",
            b.evidence
        );
    }

    #[test]
    fn fatal_line_outweighs_the_same_message_at_info() {
        let m = "error: open /etc/app/config.yaml: no such file or directory";
        let fatal = evidence(1, vec![rec(1, Severity::Fatal, m, &[])], &[]);
        let info = evidence(
            1,
            vec![
                rec(1, Severity::Info, m, &[]),
                rec(2, Severity::Info, "still running", &[]),
                rec(3, Severity::Info, "still running", &[]),
                rec(4, Severity::Info, "still running", &[]),
            ],
            &[],
        );
        let a = finding(&fatal, CauseId::MissingDependency).unwrap();
        let b = finding(&info, CauseId::MissingDependency).unwrap();
        assert!(a.score > b.score, "{} vs {}", a.score, b.score);
    }

    #[test]
    fn read_only_panic_points_at_the_filesystem_first() {
        let mut panic = rec(
            7,
            Severity::Fatal,
            "panic: error creating self-signed certificates: mkdir apiserver.local.config: read-only file system",
            &[],
        );
        panic.continuation = vec![
            "goroutine 1 [running]:".into(),
            "main.main()".into(),
            "\t/go/src/metrics-server.go:39 +0x13b".into(),
        ];
        let ev = evidence(
            2,
            vec![
                rec(
                    1,
                    Severity::Error,
                    "Error: error creating self-signed certificates: mkdir apiserver.local.config: read-only file system",
                    &[],
                ),
                rec(2, Severity::Unknown, "Usage:", &[]),
                rec(3, Severity::Unknown, "   [flags]", &[]),
                panic,
            ],
            &[],
        );
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(w.findings[0].cause, CauseId::FilesystemPermission);
        let p = w
            .findings
            .iter()
            .find(|f| f.cause == CauseId::ApplicationPanic)
            .expect("the panic is still reported");
        assert_eq!(
            p.relation,
            Some(Relation::ExplainedBy(CauseId::FilesystemPermission))
        );
        assert!(p.score < w.findings[0].score);
        assert!(
            w.findings[0].title.contains("apiserver.local.config"),
            "{}",
            w.findings[0].title
        );
    }

    #[test]
    fn nil_pointer_panic_stays_a_panic() {
        let mut panic = rec(
            1,
            Severity::Fatal,
            "panic: runtime error: invalid memory address or nil pointer dereference",
            &[],
        );
        panic.continuation = vec![
            "[signal SIGSEGV: segmentation violation code=0x1 addr=0x8 pc=0x25e0d89]".into(),
            "goroutine 1 [running]:".into(),
            "sigs.k8s.io/external-dns/provider/awssd.(*AWSSDProvider).instancesToEndpoint(0xc000b7a1e0?, {0xc000c15f40, 0x1, 0x10?})".into(),
            "\tsigs.k8s.io/external-dns/provider/awssd/aws_sd.go:170 +0x89".into(),
        ];
        let ev = evidence(
            2,
            vec![
                rec(
                    1,
                    Severity::Error,
                    "failed to sync: dial tcp 10.0.3.7:5432: connect: connection refused",
                    &[],
                ),
                panic,
            ],
            &[],
        );
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(w.findings[0].cause, CauseId::ApplicationPanic);
        assert_eq!(w.findings[0].relation, None);
    }

    #[test]
    fn missing_crd_from_controller_runtime() {
        let ev = evidence(
            1,
            vec![
                rec(
                    1,
                    Severity::Error,
                    "if kind is a CRD, it should be installed before calling Start",
                    &[
                        ("kind", "OpAMPBridge.opentelemetry.io"),
                        (
                            "error",
                            r#"no matches for kind "OpAMPBridge" in version "opentelemetry.io/v1alpha1""#,
                        ),
                    ],
                ),
                rec(
                    2,
                    Severity::Error,
                    "Could not wait for Cache to sync",
                    &[(
                        "error",
                        "failed to wait for opampbridge caches to sync: timed out waiting for cache to be synced",
                    )],
                ),
            ],
            &[],
        );
        let (cause, title) = top(&ev);
        assert_eq!(cause, CauseId::MissingCrd);
        assert_eq!(
            title,
            r#"Missing CRD: no matches for kind "OpAMPBridge" in version "opentelemetry.io/v1alpha1""#
        );
    }

    #[test]
    fn cache_sync_timeout_alone_is_not_a_missing_crd() {
        let ev = evidence(
            1,
            vec![rec(
                1,
                Severity::Error,
                "Could not wait for Cache to sync",
                &[(
                    "error",
                    "failed to wait for secrets caches to sync: timed out waiting for cache to be synced",
                )],
            )],
            &[],
        );
        assert!(finding(&ev, CauseId::MissingCrd).is_none());
    }

    #[test]
    fn lost_lease_after_api_timeouts_is_explained_by_the_api_server() {
        let ev = evidence(
            1,
            vec![
                rec(
                    1,
                    Severity::Info,
                    "GET https://10.19.0.1:443/api/v1/namespaces/kube-system/configmaps/x-leader-election  in 10000 milliseconds",
                    &[],
                ),
                rec(
                    2,
                    Severity::Error,
                    r#"error retrieving resource lock kube-system/x-leader-election: Get "https://10.19.0.1:443/api/v1/namespaces/kube-system/configmaps/x-leader-election": context deadline exceeded"#,
                    &[],
                ),
                rec(
                    3,
                    Severity::Info,
                    "failed to renew lease kube-system/x-leader-election: timed out waiting for the condition",
                    &[],
                ),
                rec(
                    4,
                    Severity::Error,
                    r#"cert-manager/ca-injector "msg"="manager goroutine exited" "error"="error running manager: leader election lost""#,
                    &[],
                ),
            ],
            &[],
        );
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(
            w.findings[0].cause,
            CauseId::ApiserverUnreachable,
            "{:#?}",
            w.findings
        );
        let l = w
            .findings
            .iter()
            .find(|f| f.cause == CauseId::LeaderElectionLost)
            .expect("lease loss reported");
        assert_eq!(
            l.relation,
            Some(Relation::ExplainedBy(CauseId::ApiserverUnreachable))
        );
    }

    #[test]
    fn connection_refused_to_a_database_is_a_missing_dependency() {
        let ev = evidence(
            1,
            vec![rec(
                1,
                Severity::Fatal,
                "cannot open store",
                &[(
                    "error",
                    "dial tcp postgres.db.svc:5432: connect: connection refused",
                )],
            )],
            &[],
        );
        let (cause, title) = top(&ev);
        assert_eq!(cause, CauseId::MissingDependency);
        assert!(title.contains("postgres.db.svc:5432"), "{title}");
        // The same words to the API server's service IP mean the API server.
        let api = evidence(
            1,
            vec![rec(
                1,
                Severity::Fatal,
                "unable to get cluster version",
                &[(
                    "error",
                    r#"Get "https://10.96.0.1:443/version": dial tcp 10.96.0.1:443: connect: connection refused"#,
                )],
            )],
            &[],
        );
        assert_eq!(top(&api).0, CauseId::ApiserverUnreachable);
        assert!(finding(&api, CauseId::MissingDependency).is_none());
    }

    #[test]
    fn kubelet_events_name_exec_and_mount_failures() {
        let ev = evidence(
            128,
            vec![],
            &[(
                "Failed",
                r#"Error: failed to create containerd task: failed to create shim task: OCI runtime create failed: runc create failed: unable to start container process: exec: "/manager": exec format error: unknown"#,
                4,
            )],
        );
        let (cause, _) = top(&ev);
        assert_eq!(cause, CauseId::ExecFormatError);
        let f = finding(&ev, CauseId::ExecFormatError).unwrap();
        assert!(
            f.evidence
                .iter()
                .any(|c| c.source.origin.as_ref() == "events.json")
        );
        assert!(
            f.chain.iter().any(|c| c.contains("cannot start")),
            "{:?}",
            f.chain
        );

        let mount = evidence(
            0,
            vec![],
            &[(
                "FailedMount",
                r#"MountVolume.SetUp failed for volume "cert" : secret "webhook-server-cert" not found"#,
                9,
            )],
        );
        let (cause, title) = top(&mount);
        assert_eq!(cause, CauseId::MissingDependency);
        assert!(title.contains("webhook-server-cert"), "{title}");
    }

    #[test]
    fn a_previous_log_already_at_hand_is_not_asked_for() {
        let ev = evidence(1, vec![rec(1, Severity::Info, "starting", &[])], &[]);
        let d = diagnose(&ev, &DiagnoseOptions::default());
        assert!(
            d.workloads[0]
                .missing
                .iter()
                .all(|m| !m.command.contains("--previous")),
            "{:?}",
            d.workloads[0].missing
        );
    }

    #[test]
    fn probe_events_are_not_literal_evidence() {
        // A probe's `connection refused` is the probe rules' evidence: it is
        // not a missing dependency.
        let ev = evidence(
            1,
            vec![],
            &[(
                "Unhealthy",
                r#"Liveness probe failed: Get "http://10.244.1.7:8080/health": dial tcp 10.244.1.7:8080: connect: connection refused"#,
                12,
            )],
        );
        let d = diagnose(&ev, &DiagnoseOptions::default());
        assert!(
            d.workloads[0]
                .findings
                .iter()
                .all(|f| !f.rules.contains(&super::NAME)),
            "{:#?}",
            d.workloads[0].findings
        );
    }

    #[test]
    fn usage_text_after_a_flag_error_is_not_scanned() {
        let ev = evidence(
            2,
            vec![
                rec(
                    1,
                    Severity::Unknown,
                    "flag provided but not defined: -zap-level",
                    &[],
                ),
                rec(2, Severity::Unknown, "Usage of /manager:", &[]),
                rec(3, Severity::Unknown, "  -metrics-addr string", &[]),
                rec(
                    4,
                    Severity::Unknown,
                    "        The address must be set to a free port; permission denied otherwise",
                    &[],
                ),
            ],
            &[],
        );
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(w.findings[0].cause, CauseId::BadConfig);
        assert_eq!(
            w.findings[0].title,
            "Bad config: flag provided but not defined: -zap-level"
        );
        assert!(
            w.findings
                .iter()
                .all(|f| f.cause != CauseId::FilesystemPermission)
        );
        let from_log: Vec<_> = w.findings[0]
            .evidence
            .iter()
            .filter(|c| c.source.origin.as_ref() == "logs.txt")
            .collect();
        assert_eq!(from_log.len(), 1, "{from_log:?}");
    }

    #[test]
    fn nothing_literal_asks_for_the_previous_log() {
        let mut ev = evidence(1, vec![rec(1, Severity::Info, "starting", &[])], &[]);
        // A log of unknown run: it may not be the crashed one.
        ev.logs[0].run = ContainerRun::Unknown;
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert!(
            w.missing
                .iter()
                .any(|m| m.command
                    == "kubectl logs --previous -n ns ctl-5d9c7f6b8-x2kqp -c controller"),
            "{:?}",
            w.missing
        );
        let found = evidence(
            1,
            vec![rec(
                1,
                Severity::Fatal,
                "flag provided but not defined: -x",
                &[],
            )],
            &[],
        );
        let d = diagnose(&found, &DiagnoseOptions::default());
        assert!(
            !d.workloads[0]
                .missing
                .iter()
                .any(|m| m.command.contains("--previous") && m.command.contains("-c controller"))
        );
    }

    #[test]
    fn a_trailing_trace_is_not_what_the_process_died_of() {
        let ev = evidence(
            1,
            vec![
                rec(
                    1,
                    Severity::Error,
                    "problem running manager: dial tcp 10.0.3.7:5432: connect: connection refused",
                    &[],
                ),
                rec(
                    2,
                    Severity::Info,
                    "Throttling request took 1.2s, request: GET:https://10.96.0.1:443/api/v1/pods",
                    &[],
                ),
            ],
            &[],
        );
        let dep = finding(&ev, CauseId::MissingDependency).unwrap();
        assert!(
            dep.evidence[0].text.contains("the last before the exit"),
            "{:?}",
            dep.evidence
        );
        let thr = finding(&ev, CauseId::ApiserverThrottled).unwrap();
        assert!(
            thr.chain.iter().all(|c| !c.contains("exits")),
            "{:?}",
            thr.chain
        );
        assert!(thr.score < 0.35);
        // Only a trace in a log of unknown run: the crashed run's log is still what is missing.
        let mut only = evidence(
            1,
            vec![rec(
                1,
                Severity::Info,
                "Throttling request took 1.2s, request: GET:https://x/api",
                &[],
            )],
            &[],
        );
        only.logs[0].run = ContainerRun::Unknown;
        let d = diagnose(&only, &DiagnoseOptions::default());
        assert!(
            d.workloads[0]
                .missing
                .iter()
                .any(|m| m.command.contains("--previous"))
        );
    }

    #[test]
    fn python_traceback_names_the_missing_file_first() {
        let mut tb = rec(
            2,
            Severity::Error,
            "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'",
            &[("exception", "FileNotFoundError")],
        );
        tb.format = LogFormat::Plain;
        tb.continuation = vec![
            "  File \"/app/main.py\", line 6, in main".into(),
            "    open('/etc/app/config.yaml')".into(),
            "FileNotFoundError: [Errno 2] No such file or directory: '/etc/app/config.yaml'".into(),
        ];
        let ev = evidence(1, vec![rec(1, Severity::Info, "starting", &[]), tb], &[]);
        let d = diagnose(&ev, &DiagnoseOptions::default());
        let w = &d.workloads[0];
        assert_eq!(w.findings[0].cause, CauseId::MissingDependency);
        assert_eq!(
            w.findings[0].title,
            "Missing config file: /etc/app/config.yaml"
        );
        let p = w
            .findings
            .iter()
            .find(|f| f.cause == CauseId::ApplicationPanic)
            .expect("the unhandled exception is reported");
        assert_eq!(
            p.relation,
            Some(Relation::ExplainedBy(CauseId::MissingDependency))
        );
    }

    #[test]
    fn sidecar_complaints_weigh_less() {
        let line = "dial tcp 10.0.3.7:5432: connect: connection refused";
        let build = |log_container: &str| {
            let mut b = EvidenceBuilder::new();
            let mut pod = crashing_pod();
            pod.containers.push(Container {
                name: "istio-proxy".into(),
                restart_count: Some(0),
                state: Some(ContainerState::Running { started: None }),
                ..Default::default()
            });
            b.add_pod(pod);
            let mut l = previous_log(LogFormat::Json, vec![rec(1, Severity::Error, line, &[])]);
            l.container = Some(log_container.into());
            b.add_log(l);
            b.finish()
        };
        let own = finding(&build("controller"), CauseId::MissingDependency).unwrap();
        let side = finding(&build("istio-proxy"), CauseId::MissingDependency).unwrap();
        assert!(side.score < own.score, "{} vs {}", side.score, own.score);
    }
}
