//! Multi-document YAML, one document at a time.
//!
//! Documents are split here on their marker lines rather than by the YAML
//! parser: that gives each document's first line (errors cite lines of the whole
//! input), lets a broken document be skipped while the others are read, and keeps
//! only one decoded document in memory at a time. Splitting on lines is exact: a
//! `---` or `...` at column 0 always marks a document boundary in YAML, even
//! where a multi-line scalar would otherwise continue.

use serde_json::Value;

use super::convert::{self, ListDefaults, ObjectSink};
use crate::evidence::error::InputError;
use crate::evidence::model::DiagnosticLevel;
use crate::evidence::source::Source;

/// One document: its text (from its `---` line, if any) and where it sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Doc<'a> {
    text: &'a str,
    /// 0-based index of the document's first line in the whole text.
    first: usize,
    /// 0-based index of its first line with content.
    content: usize,
}

pub(super) fn read<S: ObjectSink + ?Sized>(
    text: &str,
    origin: &Source,
    line_offset: u32,
    b: &mut S,
) -> Result<(), InputError> {
    let mut first_error = None;
    for doc in split(text) {
        let abs = |idx: usize| line_offset.saturating_add(idx as u32 + 1);
        match serde_saphyr::from_str_with_options::<Value>(doc.text, options(doc.text.len())) {
            Ok(v) => {
                let items = item_lines(doc.text, abs(doc.first));
                let base = origin.at_line(abs(doc.content));
                convert::ingest(v, &base, &ListDefaults::default(), Some(&items), b);
            }
            Err(e) => {
                let line = e
                    .location()
                    .map(|l| abs(doc.first + (l.line() as usize).saturating_sub(1)))
                    .unwrap_or(abs(doc.content));
                let err = InputError::Yaml {
                    origin: origin.origin.to_string(),
                    line,
                    message: message(&e),
                };
                if first_error.is_none() {
                    first_error = Some(err);
                } else {
                    b.diagnostic(
                        DiagnosticLevel::Error,
                        origin.at_line(line),
                        err.to_string(),
                    );
                }
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// The parser's message without the location and snippet it appends (the
/// location it knows is relative to the document, not the input).
fn message(e: &serde_saphyr::Error) -> String {
    let text = e.to_string();
    let first = text.lines().next().unwrap_or_default().trim();
    let first = match first.rfind(" at line ") {
        Some(i) => &first[..i],
        None => first,
    };
    first.trim_end_matches([':', ',']).to_owned()
}

/// Parser options sized to the document: the default budget (250 000 nodes)
/// rejects a `-o yaml` list of a few thousand pods, while a budget proportional
/// to the text still stops alias bombs from expanding far beyond it.
fn options(len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_reader_input_bytes = None;
    budget.max_events = budget.max_events.max(len.saturating_mul(2));
    budget.max_nodes = budget.max_nodes.max(len);
    budget.max_total_scalar_bytes = budget.max_total_scalar_bytes.max(len);
    budget.max_depth = 256;
    let mut o = serde_saphyr::Options::default();
    o.budget = Some(budget);
    o.with_snippet = false;
    // Go's decoders keep the last of duplicate keys; refusing the whole
    // document over one would lose evidence.
    o.duplicate_keys = serde_saphyr::DuplicateKeyPolicy::LastWins;
    // `0644` in a manifest is a mode, not the number 644.
    o.leading_zero_numbers_as_strings = true;
    o
}

fn marker(line: &str, m: &str) -> Option<bool> {
    let rest = line.strip_prefix(m)?;
    if rest.is_empty() {
        return Some(false);
    }
    if !rest.starts_with([' ', '\t']) {
        return None;
    }
    let rest = rest.trim();
    Some(!rest.is_empty() && !rest.starts_with('#'))
}

fn is_content(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#') && !line.starts_with('%')
}

/// Splits YAML text into documents with content; documents holding only
/// comments, directives or blank lines are dropped.
fn split(text: &str) -> Vec<Doc<'_>> {
    let mut docs = Vec::new();
    let mut start = 0usize;
    let mut first = 0usize;
    let mut content: Option<usize> = None;
    let mut pos = 0usize;
    let mut close = |from: usize, to: usize, first: usize, content: Option<usize>| {
        if let Some(content) = content {
            docs.push(Doc {
                text: &text[from..to],
                first,
                content,
            });
        }
    };
    for (idx, raw) in text.split_inclusive('\n').enumerate() {
        let line = raw.trim_end_matches(['\n', '\r']);
        if let Some(inline) = marker(line, "---") {
            close(start, pos, first, content);
            start = pos;
            first = idx;
            content = inline.then_some(idx);
        } else if marker(line, "...").is_some() {
            close(start, pos, first, content);
            start = pos + raw.len();
            first = idx + 1;
            content = None;
        } else if content.is_none() && is_content(line) {
            content = Some(idx);
        }
        pos += raw.len();
    }
    close(start, text.len(), first, content);
    docs
}

/// The line of each item of a top-level `items:` sequence, as kubectl writes
/// lists (`- ` at one indent under `items:`); the caller uses them only when
/// their number matches the items decoded.
fn item_lines(doc: &str, first_line: u32) -> Vec<u32> {
    let mut out = Vec::new();
    let mut in_items = false;
    let mut indent: Option<usize> = None;
    for (i, line) in doc.lines().enumerate() {
        if !in_items {
            in_items = line.trim_end() == "items:";
            continue;
        }
        let trimmed = line.trim_start();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let ind = line.len() - trimmed.len();
        if trimmed == "-" || trimmed.starts_with("- ") {
            match indent {
                None => indent = Some(ind),
                Some(x) if ind < x => break,
                Some(x) if ind > x => continue,
                Some(_) => {}
            }
            out.push(first_line + i as u32);
        } else if ind == 0 || indent.is_some_and(|x| ind < x) {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_finds_documents_and_their_lines() {
        let text =
            "%YAML 1.2\n---\na: 1\n---\n# only a comment\n---\nb: 2\n...\nc: 3\n--- {d: 4}\n";
        let docs = split(text);
        let got: Vec<(usize, usize)> = docs.iter().map(|d| (d.first, d.content)).collect();
        assert_eq!(got, vec![(1, 2), (5, 6), (8, 8), (9, 9)]);
        assert_eq!(docs[0].text, "---\na: 1\n");
        assert_eq!(docs[2].text, "c: 3\n");
    }

    #[test]
    fn markers_need_column_zero_and_a_separator() {
        assert_eq!(marker("---", "---"), Some(false));
        assert_eq!(marker("--- # x", "---"), Some(false));
        assert_eq!(marker("--- !!map", "---"), Some(true));
        assert_eq!(marker("----", "---"), None);
        assert_eq!(marker(" ---", "---"), None);
    }

    #[test]
    fn item_lines_follow_kubectl_list_layout() {
        let doc = "apiVersion: v1\nitems:\n- kind: Pod\n  spec:\n    containers:\n    - name: a\n- kind: Pod\nkind: List\n";
        assert_eq!(item_lines(doc, 10), vec![12, 16]);
        let indented = "items:\n  - kind: Pod\n    x:\n    - 1\n  - kind: Pod\nkind: List\n";
        assert_eq!(item_lines(indented, 1), vec![2, 5]);
    }
}
