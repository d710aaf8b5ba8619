//! The `Events:` table at the end of every describe output.
//!
//! ```text
//! Events:
//!   Type     Reason     Age                  From     Message
//!   ----     ------     ----                 ----     -------
//!   Warning  Unhealthy  3m1s (x19 over 12m)  kubelet  Liveness probe failed: …
//! ```
//! The Age cell is `<since last> (x<count> over <since first>)` for repeats;
//! From is `source.component` (ancient kubectl: `kubelet, node-1`); kubectl 1.35+
//! prefixes the message with the field path (`spec.containers{controller}: `).

use super::layout::Layout;
use crate::evidence::builder::EvidenceBuilder;
use crate::evidence::model::{DiagnosticLevel, Event, ObjectRef};
use crate::evidence::tables::{
    Age, Columns, Shape, by_shapes, excerpt, gap_cells, parse_source, split_field_path,
};
use crate::evidence::text::TextInput;
use crate::evidence::time::AnchorId;

/// One row of the table, not yet tied to its object.
#[derive(Debug, Clone)]
pub(crate) struct Row<'a> {
    pub idx: usize,
    pub kind: &'a str,
    pub reason: &'a str,
    pub age: Age,
    pub from: &'a str,
    pub message: &'a str,
}

/// True for the header line `Type  Reason  Age  From  Message`.
pub(crate) fn is_header(text: &str) -> bool {
    text.split_whitespace()
        .eq(["Type", "Reason", "Age", "From", "Message"])
}

/// Reads the rows under an `Events:` entry. Rows that cannot be read are
/// skipped with a warning naming their line.
pub(crate) fn rows<'a>(
    t: &TextInput<'_>,
    b: &mut EvidenceBuilder,
    layout: &Layout<'a>,
    events: usize,
) -> Vec<Row<'a>> {
    let mut out = Vec::new();
    let mut cols: Option<Columns> = None;
    for id in layout.descendants(events) {
        let e = layout.get(id);
        if is_header(e.text) {
            cols = Some(Columns::parse(e.raw, &[]));
            continue;
        }
        if e.text.chars().all(|c| c == '-' || c.is_whitespace()) {
            continue;
        }
        match read_row(cols.as_ref(), e.raw) {
            Some(mut r) => {
                r.idx = e.idx;
                out.push(r);
            }
            None => b.diagnostic(
                DiagnosticLevel::Warning,
                t.source_at(e.idx),
                format!(
                    "describe events: row not understood, skipped: {}",
                    excerpt(e.raw)
                ),
            ),
        }
    }
    out
}

fn read_row<'a>(cols: Option<&Columns>, raw: &'a str) -> Option<Row<'a>> {
    let make = |c: &[&'a str]| -> Option<Row<'a>> {
        let age = Age::parse(c.get(2)?)?;
        let (kind, reason) = (*c.first()?, *c.get(1)?);
        if kind.is_empty() || reason.is_empty() || kind.contains(' ') || reason.contains(' ') {
            return None;
        }
        Some(Row {
            idx: 0,
            kind,
            reason,
            age,
            from: c.get(3).copied().unwrap_or(""),
            message: c.get(4).copied().unwrap_or(""),
        })
    };
    if let Some(r) = cols.and_then(|c| c.cut(raw)).and_then(|c| make(&c)) {
        return Some(r);
    }
    // Cells are at least two spaces apart; Age and the message hold single spaces.
    let gaps = gap_cells(raw);
    if gaps.len() >= 5 {
        let cells: Vec<&'a str> = gaps[..4].iter().map(|&(a, z)| &raw[a..z]).collect();
        let message = raw[gaps[4].0..].trim();
        let mut all = cells;
        all.push(message);
        if let Some(r) = make(&all) {
            return Some(r);
        }
    }
    let shapes = [
        Shape::One,
        Shape::One,
        Shape::Age,
        Shape::Source,
        Shape::Rest,
    ];
    by_shapes(raw, &shapes).and_then(|c| make(&c))
}

/// The event a row describes, about `object` (the described object).
pub(crate) fn to_event(
    t: &TextInput<'_>,
    row: &Row<'_>,
    object: &ObjectRef,
    anchor: AnchorId,
) -> Event {
    let (field_path, message) = split_field_path(row.message);
    let (reporter, host) = parse_source(row.from);
    Event {
        object: object.clone(),
        field_path: field_path.map(str::to_owned),
        kind: row.kind.to_owned(),
        reason: row.reason.to_owned(),
        message: message.to_owned(),
        reporter,
        host,
        count: row.age.count().unwrap_or(1).max(1),
        first_seen: row.age.first(anchor, true),
        last_seen: row.age.last(anchor),
        source: t.source_at(row.idx),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::source::Source;
    use crate::evidence::time::TimeRef;

    fn parse(text: &str) -> (Vec<Event>, Vec<crate::evidence::model::Diagnostic>) {
        let t = TextInput::new(text, Source::new("d.txt"));
        let layout = Layout::parse(&t);
        let mut b = EvidenceBuilder::new();
        let anchor = b.new_anchor();
        let ev_id = layout
            .roots
            .iter()
            .copied()
            .find(|&r| layout.get(r).is("Events"))
            .unwrap();
        let obj = ObjectRef::new("Pod", Some("ns"), "p");
        let rows = rows(&t, &mut b, &layout, ev_id);
        let events = rows.iter().map(|r| to_event(&t, r, &obj, anchor)).collect();
        (events, b.finish().diagnostics)
    }

    fn secs(t: Option<TimeRef>) -> Option<u64> {
        match t? {
            TimeRef::Ago { ago, .. } => Some(ago.as_secs()),
            TimeRef::At(_) => None,
        }
    }

    #[test]
    fn real_kubectl_1_32_table() {
        let text = "\
Events:
  Type     Reason     Age                  From               Message
  ----     ------     ----                 ----               -------
  Normal   Scheduled  25m                  default-scheduler  Successfully assigned knative-serving/net-istio-controller-5d9c7f6b8-x2kqp to node-1
  Normal   Killing    3m9s (x7 over 24m)   kubelet            Container controller failed liveness probe, will be restarted
  Warning  Unhealthy  3m8s (x42 over 24m)  kubelet            Liveness probe failed: Get \"http://10.244.1.7:8080/health\": dial tcp 10.244.1.7:8080: connect: connection refused
  Warning  BackOff    13s (x40 over 23m)   kubelet            Back-off restarting failed container controller in pod net-istio-controller-5d9c7f6b8-x2kqp_knative-serving(8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a)
";
        let (ev, diags) = parse(text);
        assert!(diags.is_empty());
        assert_eq!(ev.len(), 4);
        assert_eq!(ev[0].count, 1);
        assert_eq!(secs(ev[0].first_seen), Some(25 * 60));
        assert_eq!(ev[0].reporter.as_deref(), Some("default-scheduler"));
        assert_eq!(ev[2].count, 42);
        assert_eq!(secs(ev[2].last_seen), Some(188));
        assert_eq!(secs(ev[2].first_seen), Some(24 * 60));
        assert!(
            ev[3]
                .message
                .ends_with("(8f1c2a4e-6b1d-4c1e-9a7b-3f2e1d0c9b8a)")
        );
        assert_eq!(ev[3].source.line, Some(7));
        assert_eq!(ev[3].object.name, "p");
    }

    #[test]
    fn field_path_prefix_old_from_and_unknown_ages() {
        let text = "\
Events:
  Type     Reason   Age                 From              Message
  ----     ------   ----                ----              -------
  Warning  BackOff  2m (x40 over 10m)   kubelet           spec.containers{controller}: Back-off restarting failed container controller in pod p_ns(u)
  Normal   Pulled   <unknown>           kubelet, node-1   Container image \"x\" already present on machine
";
        let (ev, _) = parse(text);
        assert_eq!(
            ev[0].field_path.as_deref(),
            Some("spec.containers{controller}")
        );
        assert_eq!(ev[0].container(), Some("controller"));
        assert!(ev[0].message.starts_with("Back-off restarting"));
        assert_eq!(ev[1].host.as_deref(), Some("node-1"));
        assert_eq!(ev[1].reporter.as_deref(), Some("kubelet"));
        assert_eq!(ev[1].last_seen, None);
    }

    #[test]
    fn misaligned_and_collapsed_rows_and_bad_rows() {
        let text = "\
Events:
  Type     Reason     Age   From     Message
  ----     ------     ----  ----     -------
  Warning  Unhealthy  39m (x2 over 40m)    kubelet  Liveness probe failed: Get \"http://192.168.74.203:80/healthz\": context deadline exceeded
  Warning BackOff 5m kubelet Back-off restarting failed container
  this is not an event row
";
        let (ev, diags) = parse(text);
        assert_eq!(ev.len(), 2);
        assert_eq!(ev[0].count, 2);
        assert_eq!(secs(ev[0].first_seen), Some(40 * 60));
        assert!(ev[0].message.starts_with("Liveness probe failed: Get"));
        assert_eq!(ev[1].reason, "BackOff");
        assert_eq!(ev[1].message, "Back-off restarting failed container");
        assert_eq!(diags.len(), 1);
        assert_eq!(diags[0].source.line, Some(6));
    }
}
