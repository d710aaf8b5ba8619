//! kubectl tables: `get events` (default, `-o wide`, `-A`), `kubectl events`,
//! `get pods` (`-o wide`, `-A`, `-w`), `top pods` (`--containers`), `top nodes`.
//!
//! Every reader finds the header, cuts rows at the header's column offsets and
//! falls back to reading a row token by token when it does not line up. A row
//! that fits neither way is skipped with a warning naming its line; the rest of
//! the table is still read.

mod cells;
mod events;
mod grid;
mod pods;
mod top;

pub(crate) use cells::{Age, ago, none_if_placeholder, parse_source, split_field_path};
pub(crate) use grid::{Columns, Shape, by_shapes, gap_cells, tokens};

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::model::{DiagnosticLevel, InputKind};
use super::text::TextInput;
use super::time::AnchorId;

/// The kinds of kubectl table these readers understand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TableKind {
    /// `kubectl get events` (any flags) or `kubectl events`: the headers are the
    /// same; [`is_kubectl_events`] tells them apart by their rows.
    Events,
    /// `kubectl get pods` (any flags).
    Pods,
    /// `kubectl top pods` (also `--containers`, `-A`).
    TopPods,
    /// `kubectl top nodes`.
    TopNodes,
}

impl TableKind {
    /// The input kind a table of this kind is read as.
    pub fn input_kind(self) -> InputKind {
        match self {
            TableKind::Events => InputKind::EventsTable,
            TableKind::Pods => InputKind::PodsTable,
            TableKind::TopPods => InputKind::TopPods,
            TableKind::TopNodes => InputKind::TopNodes,
        }
    }

    fn what(self) -> &'static str {
        match self {
            TableKind::Events => "events table (LAST SEEN TYPE REASON OBJECT MESSAGE)",
            TableKind::Pods => "pods table (NAME READY STATUS RESTARTS AGE)",
            TableKind::TopPods => "`kubectl top pods` table (NAME CPU(cores) MEMORY(bytes))",
            TableKind::TopNodes => "`kubectl top nodes` table (NAME CPU(cores) CPU% MEMORY(bytes))",
        }
    }
}

/// Multi-word column names, matched before single words.
pub(crate) const PHRASES: &[&str] = &[
    "LAST SEEN",
    "FIRST SEEN",
    "NOMINATED NODE",
    "READINESS GATES",
];

/// The table a header line introduces, if it is one.
pub fn table_kind(header_line: &str) -> Option<TableKind> {
    let cols = Columns::parse(header_line, PHRASES);
    kind_of(&cols)
}

fn kind_of(cols: &Columns) -> Option<TableKind> {
    if cols.has("LAST SEEN")
        && cols.has("TYPE")
        && cols.has("REASON")
        && (cols.has("OBJECT") || cols.has("KIND"))
        && cols.has("MESSAGE")
    {
        return Some(TableKind::Events);
    }
    if cols.has("NAME") && cols.has("READY") && cols.has("STATUS") && cols.has("RESTARTS") {
        return Some(TableKind::Pods);
    }
    if cols.has("CPU(cores)") && cols.has("MEMORY(bytes)") {
        // kubectl ≤ 1.31 prints `CPU%`, later `CPU(%)`.
        let pct = ["CPU%", "CPU(%)", "MEMORY%", "MEMORY(%)"];
        return Some(if pct.iter().any(|p| cols.has(p)) {
            TableKind::TopNodes
        } else {
            TableKind::TopPods
        });
    }
    None
}

/// The first table header in a text: its 0-based line index and kind.
pub fn find_table(text: &str) -> Option<(usize, TableKind)> {
    text.lines()
        .enumerate()
        .find_map(|(i, l)| table_kind(l).map(|k| (i, k)))
}

/// True when an events table is `kubectl events` output rather than `kubectl get
/// events`: its OBJECT cells keep the kind's capital (`Pod/x`, not `pod/x`), or
/// an age shows an interval (`2m (x40 over 10m)`), which `get events` never prints.
pub fn is_kubectl_events(text: &str) -> bool {
    let mut lines = text.lines();
    let Some(cols) = lines.by_ref().find_map(|l| {
        let c = Columns::parse(l, PHRASES);
        (kind_of(&c) == Some(TableKind::Events)).then_some(c)
    }) else {
        return false;
    };
    let obj = cols.find("OBJECT");
    for line in lines.take(200) {
        if line.contains(" (x") && line.contains(" over ") {
            return true;
        }
        let kind = obj.and_then(|o| {
            let cells = cols.cut(line)?;
            Some(cells.get(o)?.split_once('/')?.0)
        });
        if let Some(kind) = kind {
            return kind.starts_with(|c: char| c.is_ascii_uppercase());
        }
    }
    false
}

/// `No resources found in knative-serving namespace.` and the like: an empty
/// table, not an error.
pub fn is_no_resources(line: &str) -> bool {
    let l = line.trim();
    l.starts_with("No resources found") || l.starts_with("No events found")
}

/// Reads a `kubectl get events` table or `kubectl events` output.
pub fn read_events_table(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    read_tables(t, b, TableKind::Events)
}

/// Reads a `kubectl get pods` table.
pub fn read_pods_table(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    read_tables(t, b, TableKind::Pods)
}

/// Reads a `kubectl top pods` table.
pub fn read_top_pods(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    read_tables(t, b, TableKind::TopPods)
}

/// Reads a `kubectl top nodes` table.
pub fn read_top_nodes(t: &TextInput<'_>, b: &mut EvidenceBuilder) -> Result<(), InputError> {
    read_tables(t, b, TableKind::TopNodes)
}

/// One table found in the text.
pub(crate) struct Segment<'a> {
    pub kind: TableKind,
    pub header: usize,
    pub cols: Columns,
    pub rows: Vec<(usize, &'a str)>,
    /// Namespace named by a `kubectl -n x ...` line above the table.
    pub namespace: Option<String>,
}

/// The anchor of one output's relative ages, made when first needed.
pub(crate) struct LazyAnchor(Option<AnchorId>);

impl LazyAnchor {
    pub fn get(&mut self, b: &mut EvidenceBuilder) -> AnchorId {
        *self.0.get_or_insert_with(|| b.new_anchor())
    }
}

/// Reads every table in the text, each by the kind its header shows: the
/// detector picked `expected`, but a header that says otherwise is believed.
fn read_tables(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    expected: TableKind,
) -> Result<(), InputError> {
    let mut segments: Vec<Segment<'_>> = Vec::new();
    let mut namespace: Option<String> = None;
    let mut stray: Vec<(usize, &str)> = Vec::new();
    for (idx, line) in t.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || is_no_resources(trimmed) {
            continue;
        }
        if let Some(cmd) = command_after_prompt(trimmed) {
            namespace = namespace_of_command(cmd);
            continue;
        }
        let cols = Columns::parse(line, PHRASES);
        if let Some(kind) = kind_of(&cols) {
            segments.push(Segment {
                kind,
                header: idx,
                cols,
                rows: Vec::new(),
                namespace: namespace.clone(),
            });
            continue;
        }
        match segments.last_mut() {
            Some(s) => s.rows.push((idx, line)),
            None => stray.push((idx, line)),
        }
    }
    if segments.is_empty() {
        if stray.is_empty() {
            return Ok(());
        }
        // `--no-headers` output: pods rows read without a header.
        if expected == TableKind::Pods && pods::read_headerless(t, b, &stray, namespace.as_deref())
        {
            return Ok(());
        }
        return Err(InputError::Malformed {
            origin: t.origin.origin.to_string(),
            line: t.line_no(stray[0].0),
            message: format!("no {} header found", expected.what()),
        });
    }
    if !stray.is_empty() {
        b.diagnostic(
            DiagnosticLevel::Note,
            t.source_at(stray[0].0),
            format!(
                "{} line(s) before the table header were not read",
                stray.len()
            ),
        );
    }
    let mut anchor = LazyAnchor(None);
    for seg in &segments {
        if seg.kind != expected {
            b.diagnostic(
                DiagnosticLevel::Note,
                t.source_at(seg.header),
                format!("read as a {}, as its header shows", seg.kind.what()),
            );
        }
        match seg.kind {
            TableKind::Events => events::read(t, b, seg, &mut anchor),
            TableKind::Pods => pods::read(t, b, seg, &mut anchor),
            TableKind::TopPods => top::read_pods(t, b, seg),
            TableKind::TopNodes => top::read_nodes(t, b, seg),
        }
    }
    Ok(())
}

/// The kubectl command on a shell line (`$ kubectl -n x get pods`), if any.
fn command_after_prompt(line: &str) -> Option<&str> {
    for tool in ["kubectl ", "oc ", "k "] {
        if let Some(pos) = line.find(tool) {
            let before = line[..pos].trim_end();
            let prompt_like = before.is_empty()
                || (before.ends_with(['$', '#', '>', '%'])
                    && before.len() < 80
                    && !before.contains("  "));
            let next = line[pos + tool.len()..].split_whitespace().next();
            let verb_like = next.is_some_and(|w| {
                w.starts_with('-')
                    || ["get", "describe", "top", "events", "logs", "log"].contains(&w)
            });
            if prompt_like && verb_like {
                return Some(&line[pos..]);
            }
        }
    }
    None
}

/// The namespace a kubectl command line names (`-n x`, `--namespace=x`).
pub(crate) fn namespace_of_command(cmd: &str) -> Option<String> {
    let words: Vec<&str> = cmd.split_whitespace().collect();
    for (i, w) in words.iter().enumerate() {
        if let Some(ns) = w.strip_prefix("--namespace=") {
            return Some(ns.to_owned());
        }
        if *w == "-n" || *w == "--namespace" {
            return words.get(i + 1).map(|s| (*s).to_owned());
        }
        if let Some(ns) = w
            .strip_prefix("-n")
            .filter(|s| !s.is_empty() && !w.starts_with("--"))
        {
            return Some(ns.trim_start_matches('=').to_owned());
        }
    }
    None
}

/// A short excerpt of a line for diagnostics.
pub(crate) fn excerpt(line: &str) -> String {
    let l = line.trim();
    match l.char_indices().nth(100) {
        Some((i, _)) => format!("{}…", &l[..i]),
        None => l.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::source::Source;

    #[test]
    fn header_kinds() {
        assert_eq!(
            table_kind("LAST SEEN   TYPE      REASON    OBJECT     MESSAGE"),
            Some(TableKind::Events)
        );
        assert_eq!(
            table_kind(
                "NAMESPACE   LAST SEEN   TYPE   REASON   OBJECT   SUBOBJECT   SOURCE   MESSAGE   FIRST SEEN   COUNT   NAME"
            ),
            Some(TableKind::Events)
        );
        assert_eq!(
            table_kind("NAME                     READY   STATUS    RESTARTS   AGE"),
            Some(TableKind::Pods)
        );
        assert_eq!(
            table_kind("NAME     CPU(cores)   CPU(%)      MEMORY(bytes)   MEMORY(%)   "),
            Some(TableKind::TopNodes)
        );
        assert_eq!(
            table_kind("NAME   CPU(cores)   CPU%   MEMORY(bytes)   MEMORY%"),
            Some(TableKind::TopNodes)
        );
        assert_eq!(
            table_kind("POD   NAME   CPU(cores)   MEMORY(bytes)"),
            Some(TableKind::TopPods)
        );
        assert_eq!(table_kind("  Type    Reason   Age   From   Message"), None);
        assert_eq!(
            table_kind("net-istio-controller-x   0/1   Running   7   5m"),
            None
        );
        assert_eq!(TableKind::TopNodes.input_kind(), InputKind::TopNodes);
    }

    #[test]
    fn find_and_flavour() {
        let get = "LAST SEEN   TYPE      REASON    OBJECT      MESSAGE\n5m          Warning   BackOff   pod/p       Back-off\n";
        let ev = "LAST SEEN            TYPE      REASON    OBJECT   MESSAGE\n2m (x40 over 10m)    Warning   BackOff   Pod/p    Back-off\n";
        assert_eq!(find_table(get), Some((0, TableKind::Events)));
        assert!(!is_kubectl_events(get));
        assert!(is_kubectl_events(ev));
        let single = "LAST SEEN   TYPE     REASON      OBJECT   MESSAGE\n25m         Normal   Scheduled   Pod/p    Successfully assigned ns/p to n\n";
        assert!(is_kubectl_events(single));
        assert!(is_no_resources(
            "No resources found in knative-serving namespace."
        ));
        assert!(!is_no_resources("NAME READY"));
    }

    #[test]
    fn command_lines_give_the_namespace() {
        assert_eq!(
            namespace_of_command("kubectl -n asm-system get pod -w").as_deref(),
            Some("asm-system")
        );
        assert_eq!(
            namespace_of_command("kubectl get events --namespace=knative-serving").as_deref(),
            Some("knative-serving")
        );
        assert_eq!(namespace_of_command("kubectl get pods -A"), None);
        assert_eq!(
            command_after_prompt("$ kubectl get pods"),
            Some("kubectl get pods")
        );
        assert_eq!(
            command_after_prompt("user@host:~$ kubectl get pods"),
            Some("kubectl get pods")
        );
        assert_eq!(
            command_after_prompt("Back-off restarting failed container k in pod"),
            None
        );
    }

    #[test]
    fn no_header_is_an_error_but_empty_is_not() {
        let mut b = EvidenceBuilder::new();
        let t = TextInput::new("some words\nmore words\n", Source::new("x.txt"));
        let err = read_events_table(&t, &mut b).unwrap_err();
        assert!(matches!(err, InputError::Malformed { line: 1, .. }));
        let t = TextInput::new(
            "No resources found in default namespace.\n",
            Source::new("x"),
        );
        assert!(read_events_table(&t, &mut b).is_ok());
        assert!(read_top_pods(&TextInput::new("", Source::new("x")), &mut b).is_ok());
        assert!(b.finish().events.is_empty());
    }
}
