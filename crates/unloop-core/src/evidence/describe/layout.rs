//! The indentation tree every `kubectl describe` output is read through.
//!
//! describe prints `key:\tvalue` lines through a tabwriter, nesting by
//! indentation. The step is usually two spaces but not always (a pod template's
//! container names sit at three), so nesting is by relative indentation: a line
//! is a child of the nearest line above it that is less indented. Values that
//! continue on further lines (labels, annotations, tolerations) are children of
//! their key too; a multi-line container `Message:` is different, because its
//! lines start wherever the message put them (often column 0), so its lines are
//! absorbed into the `Message:` entry until describe's next own key.

use super::pod::CONTAINER_KEYS;
use crate::evidence::text::TextInput;

/// One line of describe output.
#[derive(Debug, Clone)]
pub(crate) struct Entry<'a> {
    /// Line index in the [`TextInput`].
    pub idx: usize,
    /// Indentation in columns (tabs to the next multiple of 8).
    pub indent: usize,
    /// The whole line, for cutting table rows at their header's offsets.
    pub raw: &'a str,
    /// The line without its indentation and trailing whitespace.
    pub text: &'a str,
    /// `Restart Count` in `Restart Count:  7`.
    pub key: Option<&'a str>,
    /// `7` in `Restart Count:  7`; the whole text for a line without a key.
    pub value: &'a str,
    /// Further lines of a multi-line `Message:` value.
    pub more: Vec<&'a str>,
    pub children: Vec<usize>,
}

impl Entry<'_> {
    /// The value, or `None` when empty or a placeholder (`<none>`, `<unset>`).
    pub fn val(&self) -> Option<&str> {
        crate::evidence::tables::none_if_placeholder(self.value)
    }

    /// The value with its continuation lines, joined by newlines.
    pub fn full_value(&self) -> String {
        let mut s = self.value.to_owned();
        for l in &self.more {
            s.push('\n');
            s.push_str(l);
        }
        s.trim_end().to_owned()
    }

    /// True when the key is `k`.
    pub fn is(&self, k: &str) -> bool {
        self.key == Some(k)
    }
}

/// A describe output as a forest of entries.
#[derive(Debug, Clone, Default)]
pub(crate) struct Layout<'a> {
    pub entries: Vec<Entry<'a>>,
    pub roots: Vec<usize>,
    /// Lines where the paste left something out (`...`).
    pub elisions: Vec<usize>,
}

/// The keys describe itself prints (pods, nodes, deployments), with
/// [`CONTAINER_KEYS`]: a line at or left of a `Message:` that starts with one
/// of them ends the message.
const OWN_KEYS: &[&str] = &[
    "Name",
    "Namespace",
    "Priority",
    "Priority Class Name",
    "Runtime Class Name",
    "Service Account",
    "Node",
    "Start Time",
    "Labels",
    "Annotations",
    "Status",
    "Termination Grace Period",
    "SeccompProfile",
    "LocalhostProfile",
    "IP",
    "IPs",
    "Controlled By",
    "NominatedNodeName",
    "Resources",
    "Init Containers",
    "Containers",
    "Ephemeral Containers",
    "Readiness Gates",
    "Conditions",
    "Volumes",
    "QoS Class",
    "Node-Selectors",
    "Tolerations",
    "Topology Spread Constraints",
    "Events",
    // A container's state block; its other keys are the pod describer's
    // `CONTAINER_KEYS`.
    "Exit Code",
    "Signal",
    "Started",
    "Finished",
];

fn is_own_key(key: &str) -> bool {
    OWN_KEYS.contains(&key) || CONTAINER_KEYS.contains(&key)
}

impl<'a> Layout<'a> {
    /// Reads the text into entries and builds the tree.
    pub fn parse(t: &TextInput<'a>) -> Layout<'a> {
        let lines: Vec<(usize, &'a str)> = t.lines().collect();
        let mut layout = Layout::default();
        let mut stack: Vec<(usize, usize)> = Vec::new(); // (indent, entry id)
        let mut i = 0;
        while i < lines.len() {
            let (idx, raw) = lines[i];
            i += 1;
            let (indent, text) = split_indent(raw);
            if text.is_empty() {
                continue;
            }
            if is_elision(text) {
                layout.elisions.push(idx);
                continue;
            }
            let (key, value) = split_key(text);
            let mut entry = Entry {
                idx,
                indent,
                raw,
                text,
                key,
                value: if key.is_some() { value } else { text },
                more: Vec::new(),
                children: Vec::new(),
            };
            if key == Some("Message") {
                let mut pending_blank = 0;
                while i < lines.len() {
                    let (ci, ct) = split_indent(lines[i].1);
                    if ct.is_empty() {
                        pending_blank += 1;
                        i += 1;
                        continue;
                    }
                    if ci <= indent && (is_own_key_line(ct) || is_elision(ct)) {
                        break;
                    }
                    entry.more.extend(std::iter::repeat_n("", pending_blank));
                    pending_blank = 0;
                    entry.more.push(lines[i].1.trim_end());
                    i += 1;
                }
            }
            let id = layout.entries.len();
            while stack.last().is_some_and(|&(ind, _)| ind >= indent) {
                stack.pop();
            }
            match stack.last() {
                Some(&(_, parent)) => layout.entries[parent].children.push(id),
                None => layout.roots.push(id),
            }
            stack.push((indent, id));
            layout.entries.push(entry);
        }
        layout
    }

    /// The entry behind an id.
    pub fn get(&self, id: usize) -> &Entry<'a> {
        &self.entries[id]
    }

    /// The first child of `id` with this key.
    pub fn child(&self, id: usize, key: &str) -> Option<&Entry<'a>> {
        self.entries[id]
            .children
            .iter()
            .map(|&c| &self.entries[c])
            .find(|e| e.is(key))
    }

    /// Every entry below `id`, in text order.
    pub fn descendants(&self, id: usize) -> Vec<usize> {
        let mut out = Vec::new();
        let mut todo: Vec<usize> = self.entries[id].children.iter().rev().copied().collect();
        while let Some(c) = todo.pop() {
            out.push(c);
            todo.extend(self.entries[c].children.iter().rev());
        }
        out
    }

    /// The entries of one document a describer reads, in text order: each
    /// root and, in place of a line without a key (a prompt, a remark, which
    /// hides nothing), that line followed by its children.
    pub fn walk(&self, doc: &[usize]) -> Vec<usize> {
        let mut out = Vec::new();
        let mut todo: Vec<usize> = doc.iter().rev().copied().collect();
        while let Some(id) = todo.pop() {
            out.push(id);
            let e = &self.entries[id];
            if e.key.is_none() {
                todo.extend(e.children.iter().rev());
            }
        }
        out
    }

    /// The roots split into one list per described object: a new object starts
    /// at each top-level `Name:` (multi-object describe output repeats it).
    pub fn documents(&self) -> Vec<Vec<usize>> {
        let mut docs: Vec<Vec<usize>> = Vec::new();
        let mut cur: Vec<usize> = Vec::new();
        let mut named = false;
        for &r in &self.roots {
            if self.entries[r].is("Name") && (named || !cur.is_empty()) {
                // Lines above the first `Name:` belong to a headless object of
                // their own (a partial paste), unless they are only preamble.
                if named || cur.iter().any(|&c| self.is_substantial(c)) {
                    docs.push(std::mem::take(&mut cur));
                } else {
                    cur.clear();
                }
                named = false;
            }
            if self.entries[r].is("Name") {
                named = true;
            }
            cur.push(r);
        }
        if !cur.is_empty() {
            docs.push(cur);
        }
        docs
    }

    fn is_substantial(&self, id: usize) -> bool {
        let e = &self.entries[id];
        e.key.is_some_and(is_own_key)
            || !e.children.is_empty()
            || super::pod::found_events_name(e.text).is_some()
    }
}

/// Indentation (tabs to the next multiple of 8) and the trimmed text.
fn split_indent(raw: &str) -> (usize, &str) {
    let mut col = 0;
    for (i, c) in raw.char_indices() {
        match c {
            ' ' => col += 1,
            '\t' => col += 8 - col % 8,
            c if c.is_whitespace() => col += 1,
            _ => return (col, raw[i..].trim_end()),
        }
    }
    (col, "")
}

/// `Key:  value` → (`Key`, `value`). A key is short, made of words separated by
/// single spaces, and its colon is followed by whitespace or the end of line, so
/// table rows (`Warning  BackOff  …: …`) and URLs are not keys.
pub(crate) fn split_key(text: &str) -> (Option<&str>, &str) {
    let Some(pos) = text.find(':') else {
        return (None, text);
    };
    let key = &text[..pos];
    let after = &text[pos + 1..];
    let ok = !key.is_empty()
        && key.len() <= 64
        && key.starts_with(|c: char| c.is_ascii_alphanumeric())
        && !key.ends_with(' ')
        && !key.contains("  ")
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || " ._/()-".contains(c))
        && (after.is_empty() || after.starts_with(char::is_whitespace));
    if ok {
        (Some(key), after.trim())
    } else {
        (None, text)
    }
}

fn is_own_key_line(text: &str) -> bool {
    split_key(text).0.is_some_and(is_own_key)
}

/// `...`, `…`, `[...]`, `<snip>`: the paste left something out here.
fn is_elision(text: &str) -> bool {
    let t = text.trim();
    let inner = t
        .trim_start_matches(['[', '(', '<'])
        .trim_end_matches([']', ')', '>'])
        .trim();
    (!inner.is_empty() && inner.chars().all(|c| c == '.' || c == '…') && inner.len() >= 2)
        || matches!(
            inner.to_ascii_lowercase().as_str(),
            "snip" | "snipped" | "truncated" | "..snip.." | "...snip..." | "omitted"
        )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::evidence::source::Source;

    fn layout(text: &str) -> Layout<'_> {
        // The TextInput only lends its text; the layout borrows the str.
        let t = TextInput::new(text, Source::new("d.txt"));
        Layout::parse(&t)
    }

    #[test]
    fn keys() {
        assert_eq!(split_key("Restart Count:  7"), (Some("Restart Count"), "7"));
        assert_eq!(split_key("Events:"), (Some("Events"), ""));
        assert_eq!(
            split_key("Image:  docker.io/nginx:1.25"),
            (Some("Image"), "docker.io/nginx:1.25")
        );
        assert_eq!(
            split_key("Start Time:       Sat, 28 Nov 2026 01:32:08 +0000"),
            (Some("Start Time"), "Sat, 28 Nov 2026 01:32:08 +0000")
        );
        assert_eq!(split_key("Warning  BackOff  2m  kubelet  x: y").0, None);
        assert_eq!(split_key("http-get http://:8080/healthz").0, None);
        assert_eq!(
            split_key("node.kubernetes.io/not-ready:NoExecute op=Exists").0,
            None
        );
        assert_eq!(
            split_key("Ready   True   Fri, 12 Apr 2024 09:13:02 +0000").0,
            None
        );
    }

    #[test]
    fn tree_by_relative_indentation() {
        let text = "Pod Template:\n  Containers:\n   controller:\n    Image:  x\n    Limits:\n      cpu:  1\n  Volumes:  <none>\nConditions:\n";
        let l = layout(text);
        assert_eq!(l.roots.len(), 2);
        let tmpl = l.roots[0];
        let containers = l.child(tmpl, "Containers").unwrap();
        let ctrl = &l.entries[containers.children[0]];
        assert!(ctrl.is("controller"));
        assert_eq!(ctrl.children.len(), 2);
        assert_eq!(l.descendants(tmpl).len(), 6);
        assert_eq!(l.child(tmpl, "Volumes").unwrap().val(), None);
    }

    #[test]
    fn multi_line_message_is_absorbed_until_describes_next_key() {
        let text = "    Last State:  Terminated\n      Reason:    OOMKilled\n      Message:   panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n                    /src/main.go:42 +0x1d\n      Exit Code:    137\n    Ready:  False\n";
        let l = layout(text);
        let last = l.roots[0];
        let msg = l.child(last, "Message").unwrap();
        assert_eq!(
            msg.full_value(),
            "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n                    /src/main.go:42 +0x1d"
        );
        assert_eq!(l.child(last, "Exit Code").unwrap().value, "137");
        assert_eq!(l.roots.len(), 2);
    }

    #[test]
    fn elisions_are_dropped_and_documents_split_at_name() {
        let text = "    Restart Count:  29\n...\nEvents:  <none>\n\n\nName:  a\nStatus:  Running\n\nName:  b\n";
        let l = layout(text);
        assert_eq!(l.elisions.len(), 1);
        let docs = l.documents();
        assert_eq!(docs.len(), 3);
        assert!(l.entries[docs[0][0]].is("Restart Count"));
        assert_eq!(l.entries[docs[2][0]].value, "b");
        // Preamble without describe keys does not make an object of its own.
        let l = layout("$ kubectl describe pod a\nName:  a\n");
        assert_eq!(l.documents().len(), 1);
    }
}
