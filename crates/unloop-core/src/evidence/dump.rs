//! `kubectl cluster-info dump`: the `--output-directory` tree and the stdout stream.
//!
//! The dump lists Nodes, then per namespace Events, ReplicationControllers,
//! Services, DaemonSets, Deployments, ReplicaSets and Pods (typed lists whose
//! items lack kind and apiVersion), then the logs of every container of every
//! pod in blocks:
//!
//! ```text
//! ==== START logs for container <c> of pod <ns>/<pod> ====
//! <raw log bytes>
//! ==== END logs for container <c> of pod <ns>/<pod> ====
//! ```
//!
//! In a directory each list is its own file (`nodes.json`, `<ns>/pods.json`) and
//! each pod's blocks go to `<ns>/<pod>/logs.txt`; without `--output-directory`
//! everything goes to stdout back to back. The dump fetches logs without
//! `previous`, so a block holds the current instance's log; for a container
//! waiting in CrashLoopBackOff the kubelet serves the last terminated instance,
//! which is the crash itself. Either way the run is [`ContainerRun::Current`].
//!
//! `unloop snapshot` adds what the dump leaves out in the same shape: blocks of
//! `kubectl logs --previous` output in `<ns>/<pod>/previous-logs.txt` (a file
//! of blocks whose name says `previous` holds previous runs, see
//! [`read_dump_logs_run_at`]), and `leases.json`, `configmaps.json` and other
//! typed lists beside `pods.json`, which the object reader takes as it is.

use std::cell::Cell;
use std::io::{self, BufRead, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::logs::{LogHint, LogParser};
use super::model::{ContainerRun, DiagnosticLevel, ObjectRef};
use super::objects::json::{JsonCtx, LineCell, note_lines, read_docs};
use super::source::Source;

const START: &str = "==== START logs for container ";
const END: &str = "==== END logs for container ";
const DUMPED: &str = "Cluster info dumped to ";
/// What the dump writes in a block instead of a log it could not fetch.
const LOG_ERRORS: [&str; 2] = ["Request log error: ", "Create log request error: "];

/// Files a namespace folder of a dump holds (`.json` by default, `.yaml` with `-o yaml`).
const NAMESPACE_FILES: [&str; 7] = [
    "events",
    "replication-controllers",
    "services",
    "daemonsets",
    "deployments",
    "replicasets",
    "pods",
];

/// Whether a directory looks like a `cluster-info dump --output-directory`
/// tree: `nodes.json` (or `nodes.yaml`) at the top and at least one namespace
/// folder holding one of the per-namespace lists (`pods.json`, `events.json`, ...).
pub fn is_dump_dir(dir: &Path) -> bool {
    let has_nodes = ["nodes.json", "nodes.yaml"]
        .iter()
        .any(|f| dir.join(f).is_file());
    if !has_nodes {
        return false;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return false;
    };
    entries.flatten().any(|e| {
        let p = e.path();
        p.is_dir()
            && NAMESPACE_FILES.iter().any(|f| {
                ["json", "yaml"]
                    .iter()
                    .any(|ext| p.join(format!("{f}.{ext}")).is_file())
            })
    })
}

/// Reads the single-stream form (stdout of `cluster-info dump`): pretty JSON
/// lists back to back, each namespace's log blocks after its lists, and possibly
/// a closing `Cluster info dumped to …` line. Streamed: lists are decoded item
/// by item and logs line by line. (A dump printed with `-o yaml` is read too; its
/// YAML is held one namespace's lists at a time.)
///
/// A broken list does not stop the reading: the first error is returned once
/// everything readable has been read, later ones become error diagnostics.
pub fn read_dump_stream<R: BufRead>(
    r: R,
    origin: &Source,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    read_dump_stream_at(r, origin, 1, b)
}

/// [`read_dump_stream`] for a dump that starts at line `first_line` of its input.
pub fn read_dump_stream_at<R: BufRead>(
    r: R,
    origin: &Source,
    first_line: u32,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    Reader::new(r, origin, first_line, true).run(b)
}

/// Reads a file of `==== START logs for container C of pod ns/p ====` blocks
/// (a dump's `<ns>/<pod>/logs.txt`). Each block becomes one [`LogStream`]
/// (run [`ContainerRun::Current`]) whose lines are numbered as in the file; a
/// block holding only a fetch error (`Request log error: …`) becomes a note.
///
/// [`LogStream`]: super::model::LogStream
pub fn read_dump_logs<R: BufRead>(
    r: R,
    origin: &Source,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    read_dump_logs_at(r, origin, 1, b)
}

/// [`read_dump_logs`] for blocks that start at line `first_line` of their input.
pub fn read_dump_logs_at<R: BufRead>(
    r: R,
    origin: &Source,
    first_line: u32,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    read_dump_logs_run_at(r, origin, first_line, ContainerRun::Current, b)
}

/// [`read_dump_logs_at`] for blocks that hold the logs of `run`: a
/// `previous-logs.txt` of `unloop snapshot` holds [`ContainerRun::Previous`]
/// blocks (the dump itself never fetches previous runs).
pub fn read_dump_logs_run_at<R: BufRead>(
    r: R,
    origin: &Source,
    first_line: u32,
    run: ContainerRun,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    let mut reader = Reader::new(r, origin, first_line, false);
    reader.log_run = run;
    reader.run(b)
}

/// A line-numbered input that the JSON reader can borrow.
struct Input<R> {
    inner: R,
    /// Line of the next unread byte.
    next_line: u32,
    /// A line the JSON reader read ahead (a log block's START) and handed back.
    pending: Option<(Vec<u8>, u32)>,
}

impl<R: BufRead> Input<R> {
    /// The next line without its terminator, and its number.
    fn line(&mut self, buf: &mut Vec<u8>) -> io::Result<Option<u32>> {
        buf.clear();
        let no = if let Some((line, no)) = self.pending.take() {
            *buf = line;
            no
        } else {
            if self.inner.read_until(b'\n', buf)? == 0 {
                return Ok(None);
            }
            let no = self.next_line;
            if buf.ends_with(b"\n") {
                self.next_line += 1;
            }
            no
        };
        if buf.ends_with(b"\n") {
            buf.pop();
            if buf.ends_with(b"\r") {
                buf.pop();
            }
        }
        Ok(Some(no))
    }

    fn peek(&mut self) -> io::Result<Option<u8>> {
        if let Some((line, _)) = &self.pending {
            return Ok(line.first().copied());
        }
        Ok(self.inner.fill_buf()?.first().copied())
    }
}

/// Whether a line ends a JSON region of the stdout form. Lines at column 0 of
/// pretty-printed JSON are only `{` and `}`, so these cannot be JSON.
fn ends_json(line: &[u8]) -> bool {
    line.starts_with(b"==== ") || line.starts_with(DUMPED.as_bytes())
}

/// The JSON lists of one stretch of the stdout form: reads through to the next
/// log block (whose START line it hands back) or the end.
struct JsonRegion<'i, R> {
    input: &'i mut Input<R>,
    /// A whole line read to check whether it ends the region, being served.
    held: Vec<u8>,
    held_pos: usize,
    held_line: u32,
    at_line_start: bool,
    stopped: bool,
    last: LineCell,
}

impl<'i, R: BufRead> JsonRegion<'i, R> {
    fn new(input: &'i mut Input<R>, last: LineCell) -> Self {
        JsonRegion {
            input,
            held: Vec::new(),
            held_pos: 0,
            held_line: 0,
            at_line_start: true,
            stopped: false,
            last,
        }
    }

    /// After an error, drops the rest of the line serde_json stopped in.
    fn discard_line(&mut self) -> io::Result<()> {
        if self.held_pos < self.held.len() {
            self.held.clear();
            self.held_pos = 0;
        } else if !self.at_line_start && !self.stopped {
            let mut sink = Vec::new();
            if self.input.inner.read_until(b'\n', &mut sink)? > 0 && sink.ends_with(b"\n") {
                self.input.next_line += 1;
            }
        }
        self.at_line_start = true;
        Ok(())
    }
}

impl<R: BufRead> Read for JsonRegion<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.stopped || out.is_empty() {
            return Ok(0);
        }
        if self.held_pos >= self.held.len() && self.at_line_start {
            if let Some((line, no)) = self.input.pending.take() {
                if ends_json(&line) {
                    self.input.pending = Some((line, no));
                    self.stopped = true;
                    return Ok(0);
                }
                self.held = line;
                self.held_pos = 0;
                self.held_line = no;
            } else {
                match self.input.inner.fill_buf()?.first() {
                    None => return Ok(0),
                    // Only lines that could end the region are read whole first.
                    Some(b'=' | b'C') => {
                        self.held.clear();
                        self.held_pos = 0;
                        self.held_line = self.input.next_line;
                        self.input.inner.read_until(b'\n', &mut self.held)?;
                        if self.held.ends_with(b"\n") {
                            self.input.next_line += 1;
                        }
                        if ends_json(&self.held) {
                            let line = std::mem::take(&mut self.held);
                            self.input.pending = Some((line, self.held_line));
                            self.stopped = true;
                            return Ok(0);
                        }
                    }
                    Some(_) => {}
                }
            }
        }
        if self.held_pos < self.held.len() {
            let n = out.len().min(self.held.len() - self.held_pos);
            out[..n].copy_from_slice(&self.held[self.held_pos..self.held_pos + n]);
            self.held_pos += n;
            self.last.set(self.held_line);
            self.at_line_start = self.held_pos == self.held.len() && self.held.ends_with(b"\n");
            return Ok(n);
        }
        let buf = self.input.inner.fill_buf()?;
        if buf.is_empty() {
            return Ok(0);
        }
        // Never serve past a line end, so each new line is checked above.
        let limit = memchr::memchr(b'\n', buf).map_or(buf.len(), |i| i + 1);
        let n = out.len().min(limit);
        out[..n].copy_from_slice(&buf[..n]);
        self.input.inner.consume(n);
        self.at_line_start = out[n - 1] == b'\n';
        note_lines(&out[..n], &mut self.input.next_line, &self.last);
        Ok(n)
    }
}

/// One open log block.
struct Block {
    parser: LogParser,
    /// `container C of pod ns/p`, for messages and sources.
    label: String,
    /// The exact END line of this block.
    end: Option<String>,
    /// Lines of content so far.
    lines: u64,
    /// The block holds a fetch error, not a log.
    failed: bool,
    start_line: u32,
}

/// Log blocks, fed line by line.
struct Blocks<'o> {
    origin: &'o Source,
    open: Option<Block>,
    /// The year of the evidence read so far, once looked up (see [`evidence_year`]).
    year: Option<Option<i16>>,
    /// The run the blocks' logs belong to.
    run: ContainerRun,
}

/// The year of the latest time among the events and pods read so far: klog
/// headers in the logs carry no year, and the dump's lists (read before its
/// logs) say when it was taken.
fn evidence_year(b: &EvidenceBuilder) -> Option<i16> {
    let ev = b.evidence();
    let events = ev
        .events
        .iter()
        .flat_map(|e| [e.last_seen, e.first_seen])
        .flatten();
    let pods = ev
        .pods
        .iter()
        .flat_map(|p| [p.start_time, p.meta.created])
        .flatten();
    let latest = events.chain(pods).filter_map(|t| t.absolute()).max()?;
    Some(latest.to_zoned(jiff::tz::TimeZone::UTC).year())
}

impl Blocks<'_> {
    fn start(&mut self, text: &str, no: u32, b: &mut EvidenceBuilder) {
        let default_year = *self.year.get_or_insert_with(|| evidence_year(b));
        let header = text[START.len()..]
            .trim_end()
            .strip_suffix("====")
            .map(str::trim_end)
            .and_then(|h| h.split_once(" of pod "))
            .and_then(|(c, pod)| Some((c, pod.split_once('/')?)));
        let (label, hint, end) = match header {
            Some((c, (ns, p))) => (
                format!("container {c} of pod {ns}/{p}"),
                LogHint {
                    pod: Some(ObjectRef::new("Pod", Some(ns), p)),
                    container: Some(c.to_owned()),
                    run: Some(self.run),
                    default_year,
                },
                Some(format!("{END}{c} of pod {ns}/{p} ====")),
            ),
            None => {
                b.diagnostic(
                    DiagnosticLevel::Warning,
                    self.origin.at_line(no),
                    "log block header names no container and pod; its log is read unattributed",
                );
                (
                    "an unnamed container".to_owned(),
                    LogHint {
                        run: Some(self.run),
                        default_year,
                        ..Default::default()
                    },
                    None,
                )
            }
        };
        let source = self
            .origin
            .at_line(no)
            .with_field(format!("logs of {label}"));
        self.open = Some(Block {
            parser: LogParser::new(source, hint).with_first_line(no + 1),
            label,
            end,
            lines: 0,
            failed: false,
            start_line: no,
        });
    }

    /// Feeds a line inside a block; the END marker may be glued to the last log line.
    fn line(&mut self, text: &str, no: u32, b: &mut EvidenceBuilder) {
        let Some(block) = &self.open else {
            return;
        };
        // The block's own END marker closes it wherever it ends a line; an END
        // line for another block (hand-edited files) closes it too. Anything
        // else is log text, even a dump printed by a pod into its own log.
        let before_end = match &block.end {
            Some(end) => text.strip_suffix(end.as_str()),
            None => text.find(END).map(|i| &text[..i]),
        }
        .or_else(|| (text.starts_with(END) && text.ends_with(" ====")).then_some(""));
        match before_end {
            Some(last) => {
                if !last.is_empty() {
                    self.content(last, no, b);
                }
                self.close(true, b);
            }
            None => self.content(text, no, b),
        }
    }

    fn content(&mut self, text: &str, no: u32, b: &mut EvidenceBuilder) {
        let Some(block) = &mut self.open else {
            return;
        };
        if block.lines == 0 && LOG_ERRORS.iter().any(|e| text.starts_with(e)) {
            block.failed = true;
            b.diagnostic(
                DiagnosticLevel::Note,
                self.origin
                    .at_line(no)
                    .with_field(format!("logs of {}", block.label)),
                format!("the dump holds no log for {}: {text}", block.label),
            );
        } else if !block.failed {
            block.parser.push_line(text);
        }
        block.lines += 1;
    }

    fn close(&mut self, ended: bool, b: &mut EvidenceBuilder) {
        let Some(block) = self.open.take() else {
            return;
        };
        if !ended {
            b.diagnostic(
                DiagnosticLevel::Warning,
                self.origin.at_line(block.start_line),
                format!(
                    "log block for {} has no END marker (input truncated?)",
                    block.label
                ),
            );
        }
        if !block.failed {
            b.add_log(block.parser.finish());
        }
    }
}

/// Lines outside any block that are neither JSON nor YAML, reported once.
#[derive(Default)]
struct Stray {
    count: u64,
    first: Option<u32>,
}

/// The dump reader: log blocks always, JSON and YAML lists in the stdout form.
struct Reader<'o, R> {
    input: Input<R>,
    origin: &'o Source,
    lists: bool,
    /// The run every block's log belongs to.
    log_run: ContainerRun,
}

impl<'o, R: BufRead> Reader<'o, R> {
    fn new(r: R, origin: &'o Source, first_line: u32, lists: bool) -> Self {
        Reader {
            input: Input {
                inner: r,
                next_line: first_line,
                pending: None,
            },
            origin,
            lists,
            log_run: ContainerRun::Current,
        }
    }

    fn io_error(&self, e: io::Error) -> InputError {
        InputError::Io {
            path: PathBuf::from(&*self.origin.origin),
            message: e.to_string(),
        }
    }

    fn run(mut self, b: &mut EvidenceBuilder) -> Result<(), InputError> {
        let mut errors: Vec<InputError> = Vec::new();
        let res = self.read_all(b, &mut errors);
        if let Err(e) = res {
            errors.push(self.io_error(e));
        }
        let mut errors = errors.into_iter();
        let first = errors.next();
        for e in errors {
            let line = match &e {
                InputError::Json { line, .. } | InputError::Yaml { line, .. } => Some(*line),
                _ => None,
            };
            let src = match line {
                Some(l) => self.origin.at_line(l),
                None => self.origin.clone(),
            };
            b.diagnostic(DiagnosticLevel::Error, src, e.to_string());
        }
        first.map_or(Ok(()), Err)
    }

    fn read_all(
        &mut self,
        b: &mut EvidenceBuilder,
        errors: &mut Vec<InputError>,
    ) -> io::Result<()> {
        let origin = self.origin;
        let mut blocks = Blocks {
            origin,
            open: None,
            year: None,
            run: self.log_run,
        };
        let mut stray = Stray::default();
        // After a broken list, its remaining lines are skipped quietly up to
        // the next list or block.
        let mut skipping = false;
        let mut yaml: Option<(String, u32)> = None;
        let mut buf = Vec::new();
        loop {
            let json_next = self.lists
                && blocks.open.is_none()
                && yaml.is_none()
                && matches!(self.input.peek()?, Some(b'{' | b'['));
            if json_next {
                skipping = false;
                let first = self.input.next_line;
                let line: LineCell = Rc::new(Cell::new(first));
                let mut region = JsonRegion::new(&mut self.input, line.clone());
                let mut ctx = JsonCtx::new(origin, line, first, b);
                if let Err(e) = read_docs(&mut region, &mut ctx) {
                    region.discard_line()?;
                    errors.push(e);
                    skipping = true;
                }
                continue;
            }
            let Some(no) = self.input.line(&mut buf)? else {
                break;
            };
            let text = String::from_utf8_lossy(&buf);
            if blocks.open.is_some() {
                blocks.line(&text, no, b);
                continue;
            }
            let ends_region = text.starts_with(START)
                || text.starts_with(DUMPED)
                || (yaml.is_some() && text.starts_with('{'));
            match &mut yaml {
                Some((y, _)) if !ends_region => {
                    y.push_str(&text);
                    y.push('\n');
                    continue;
                }
                _ => flush_yaml(yaml.take(), origin, b, errors),
            }
            let quiet = text.starts_with(DUMPED) || text.trim().is_empty() || skipping;
            if text.starts_with(START) {
                skipping = false;
                blocks.start(&text, no, b);
            } else if self.lists && text.starts_with('{') {
                // Only reached right after a YAML region: hand the line back
                // so that the next turn reads it as JSON.
                let mut line = buf.clone();
                line.push(b'\n');
                self.input.pending = Some((line, no));
            } else if quiet {
                continue;
            } else if self.lists && starts_yaml(&text) {
                yaml = Some((format!("{text}\n"), no));
            } else {
                stray.count += 1;
                stray.first.get_or_insert(no);
            }
        }
        flush_yaml(yaml.take(), origin, b, errors);
        if blocks.open.is_some() {
            blocks.close(false, b);
        }
        if let Some(first) = stray.first {
            b.diagnostic(
                DiagnosticLevel::Warning,
                origin.at_line(first),
                format!(
                    "skipped {} line(s) outside any log block{}",
                    stray.count,
                    if self.lists { " or object list" } else { "" }
                ),
            );
        }
        Ok(())
    }
}

/// Reads the YAML lists gathered since `first`, if any.
fn flush_yaml(
    yaml: Option<(String, u32)>,
    origin: &Source,
    b: &mut EvidenceBuilder,
    errors: &mut Vec<InputError>,
) {
    let Some((text, first)) = yaml else {
        return;
    };
    if let Err(e) = super::objects::read_yaml(&text, origin, first - 1, b) {
        errors.push(e);
    }
}

/// Whether a line starts a YAML document as `cluster-info dump -o yaml` prints them.
fn starts_yaml(line: &str) -> bool {
    line == "---"
        || line.starts_with("apiVersion:")
        || line.starts_with("kind:")
        || line.starts_with("items:")
}

mod raw;
#[cfg(test)]
mod tests;

pub use raw::{for_each_in_dump_stream, for_each_log_block};
