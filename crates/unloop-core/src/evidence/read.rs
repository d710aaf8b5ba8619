//! Entry points: read files, directories, stdin or bytes into [`Evidence`].
//!
//! Each input's kind is decided by its content ([`detect`](super::detect)). Small
//! inputs are read whole so that mixed pastes can be split; large ones are
//! streamed by kind (JSON lists item by item, logs line by line) so memory stays
//! far below the input size. A problem with one input becomes a located
//! [`Diagnostic`](super::model::Diagnostic) and the other inputs are still read.

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use super::builder::EvidenceBuilder;
use super::detect::classify;
use super::error::InputError;
use super::logs::{LogHint, LogParser};
use super::model::*;
use super::paste::{self, CommandHint};
use super::source::Source;
use super::text::TextInput;
use super::{describe, dump, objects, tables};

/// How to read inputs.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// Which container run logs belong to, when the user says (`--previous`).
    pub run: Option<ContainerRun>,
    /// Inputs up to this size are read whole (and split if they are mixed
    /// pastes); larger ones are streamed by kind.
    pub whole_read_limit: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            run: None,
            whole_read_limit: 16 << 20,
        }
    }
}

/// Files in a directory that are documentation or code, not evidence.
const SKIPPED_EXTENSIONS: &[&str] = &[
    "md", "py", "sh", "rs", "go", "png", "jpg", "jpeg", "gif", "svg", "html", "pdf", "gz", "tgz",
    "zip", "tar",
];

/// How many bytes detection looks at.
const SAMPLE: usize = 64 << 10;

/// Reads every path (files, directories recursively, `-` for stdin).
pub fn read_paths(paths: &[PathBuf], opts: &ReadOptions) -> Evidence {
    let mut b = EvidenceBuilder::new();
    for p in paths {
        let summary = read_path(p, opts, &mut b);
        b.add_input(summary);
    }
    b.finish()
}

/// Reads one in-memory input named `name`.
pub fn read_bytes(name: &str, bytes: &[u8], opts: &ReadOptions) -> Evidence {
    let mut b = EvidenceBuilder::new();
    let summary = read_buffer(bytes, Source::new(name), &PathHint::default(), opts, &mut b);
    b.add_input(summary);
    b.finish()
}

/// Reads one path into the builder and returns what was understood of it.
pub fn read_path(path: &Path, opts: &ReadOptions, b: &mut EvidenceBuilder) -> InputSummary {
    if path.as_os_str() == "-" {
        let origin = Source::new("<stdin>");
        let mut buf = Vec::new();
        if let Err(e) = io::stdin().lock().read_to_end(&mut buf) {
            return failed(b, origin, format!("cannot read stdin: {e}"));
        }
        return read_buffer(&buf, origin, &PathHint::default(), opts, b);
    }
    let origin = Source::new(path.display().to_string());
    match std::fs::metadata(path) {
        Err(e) => failed(b, origin, format!("cannot open: {e}")),
        Ok(m) if m.is_dir() => read_dir(path, opts, b),
        Ok(m) => read_file(path, m.len(), opts, b),
    }
}

fn failed(b: &mut EvidenceBuilder, origin: Source, message: String) -> InputSummary {
    b.diagnostic(DiagnosticLevel::Error, origin.clone(), message);
    summary(b, origin, InputKind::Unclassified)
}

fn summary(b: &mut EvidenceBuilder, source: Source, kind: InputKind) -> InputSummary {
    let (objects, log_records) = b.take_stats();
    InputSummary {
        source,
        kind,
        parts: Vec::new(),
        objects,
        log_records,
    }
}

fn read_dir(dir: &Path, opts: &ReadOptions, b: &mut EvidenceBuilder) -> InputSummary {
    let origin = Source::new(dir.display().to_string());
    let mut files = Vec::new();
    evidence_files(dir, &mut files, &mut |source, message| {
        b.diagnostic(DiagnosticLevel::Error, source, message)
    });
    // Objects before logs, so that a log's pod is known when it is read
    // (which lets memory-bounded retention favour troubled pods' logs).
    files.sort_by_cached_key(|f| {
        let ext = f
            .extension()
            .and_then(|e| e.to_str())
            .unwrap_or("")
            .to_ascii_lowercase();
        (!matches!(ext.as_str(), "json" | "yaml" | "yml"), f.clone())
    });
    let mut parts = Vec::new();
    for f in files {
        let len = std::fs::metadata(&f).map(|m| m.len()).unwrap_or(0);
        parts.push(read_file(&f, len, opts, b));
    }
    let kind = if dump::is_dump_dir(dir) {
        InputKind::ClusterInfoDump
    } else {
        InputKind::Directory
    };
    let mut s = summary(b, origin, kind);
    s.parts = parts;
    s
}

/// The files below `dir` that may be evidence, in no particular order: hidden
/// entries and [`SKIPPED_EXTENSIONS`] are left out. A directory that cannot be
/// listed is reported to `cannot_list`.
pub(crate) fn evidence_files(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    cannot_list: &mut dyn FnMut(Source, String),
) {
    let mut visited = std::collections::HashSet::new();
    if let Ok(c) = std::fs::canonicalize(dir) {
        visited.insert(c);
    }
    walk(dir, out, cannot_list, &mut visited);
}

/// [`evidence_files`]' walk. Symbolic links are followed (a folder of links
/// to dump folders reads like the folders), each directory once, so a link
/// back up the tree ends the walk instead of looping.
fn walk(
    dir: &Path,
    out: &mut Vec<PathBuf>,
    cannot_list: &mut dyn FnMut(Source, String),
    visited: &mut std::collections::HashSet<PathBuf>,
) {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            cannot_list(
                Source::new(dir.display().to_string()),
                format!("cannot list directory: {e}"),
            );
            return;
        }
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let Ok(t) = entry.file_type() else { continue };
        let is_dir = if t.is_symlink() {
            std::fs::metadata(&path).is_ok_and(|m| m.is_dir())
        } else {
            t.is_dir()
        };
        if is_dir {
            let first_visit = std::fs::canonicalize(&path).map_or(true, |c| visited.insert(c));
            if first_visit {
                walk(&path, out, cannot_list, visited);
            }
        } else if (t.is_file() || t.is_symlink()) && !is_skipped(&path) {
            out.push(path);
        }
    }
}

fn is_skipped(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| SKIPPED_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()))
}

/// What a file's path says about a log in it: the pod (from `<pod>.log`,
/// `<pod>-previous.log`) and the run (a name containing `previous`).
#[derive(Debug, Clone, Default)]
pub(crate) struct PathHint {
    pub(crate) pod: Option<String>,
    pub(crate) previous: bool,
}

impl PathHint {
    pub(crate) fn of(path: &Path) -> Self {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_default();
        let lower = name.to_ascii_lowercase();
        let previous = lower.contains("previous");
        let mut stem = name.as_str();
        for ext in [".log", ".txt", ".out"] {
            if let Some(s) = stem.strip_suffix(ext) {
                stem = s;
                break;
            }
        }
        for suffix in ["-previous", "_previous", ".previous", "-prev", "--previous"] {
            if let Some(s) = stem.strip_suffix(suffix) {
                stem = s;
            }
        }
        let generic = [
            "logs",
            "log",
            "output",
            "current",
            "previous",
            "prev",
            "container",
            "stdout",
            "stderr",
            "paste",
            "events",
        ];
        let pod = (!stem.is_empty()
            && !generic.contains(&stem.to_ascii_lowercase().as_str())
            && stem.contains('-')
            && stem
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.'))
        .then(|| stem.to_owned());
        PathHint { pod, previous }
    }
}

fn read_file(path: &Path, len: u64, opts: &ReadOptions, b: &mut EvidenceBuilder) -> InputSummary {
    let origin = Source::new(path.display().to_string());
    let hint = PathHint::of(path);
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) => return failed(b, origin, format!("cannot open: {e}")),
    };
    if len <= opts.whole_read_limit {
        let mut buf = Vec::with_capacity(len as usize);
        if let Err(e) = BufReader::new(file).read_to_end(&mut buf) {
            return failed(b, origin, format!("cannot read: {e}"));
        }
        return read_buffer(&buf, origin, &hint, opts, b);
    }
    read_stream(
        BufReader::with_capacity(SAMPLE, file),
        origin,
        &hint,
        opts,
        b,
    )
}

/// Byte offset of the first NUL in the sample: text never has one.
fn binary_offset(bytes: &[u8]) -> Option<usize> {
    memchr::memchr(0, &bytes[..bytes.len().min(SAMPLE)])
}

fn line_of_offset(bytes: &[u8], offset: usize) -> u32 {
    memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u32 + 1
}

fn read_buffer(
    bytes: &[u8],
    origin: Source,
    hint: &PathHint,
    opts: &ReadOptions,
    b: &mut EvidenceBuilder,
) -> InputSummary {
    if let Some(off) = binary_offset(bytes) {
        let err = InputError::Binary {
            origin: origin.origin.to_string(),
            offset: off as u64,
        };
        return failed(b, origin, err.to_string());
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => std::borrow::Cow::Borrowed(t),
        Err(e) => {
            let off = e.valid_up_to();
            let line = line_of_offset(bytes, off);
            let err = InputError::InvalidUtf8 {
                origin: origin.origin.to_string(),
                line,
                offset: off as u64,
            };
            b.diagnostic(
                DiagnosticLevel::Error,
                origin.at_line(line),
                format!("{err}; invalid bytes were replaced and the rest read"),
            );
            String::from_utf8_lossy(bytes)
        }
    };
    let parts = paste::split(&text);
    let single = parts.len() <= 1 && parts.iter().all(|p| p.command.is_none());
    if single {
        let kind = parts.first().map_or(InputKind::Unclassified, |p| p.kind);
        let t = TextInput::new(&text, origin.clone());
        read_part(kind, &t, None, hint, opts, b);
        return summary(b, origin, kind);
    }
    let mut summaries = Vec::new();
    for p in &parts {
        let t = TextInput {
            text: p.text,
            origin: origin.clone(),
            line_offset: p.line_offset,
        };
        read_part(p.kind, &t, p.command.as_ref(), hint, opts, b);
        summaries.push(summary(b, origin.at_line(p.line_offset + 1), p.kind));
    }
    let mut s = summary(b, origin, InputKind::MixedPaste);
    s.parts = summaries;
    s
}

fn log_hint(command: Option<&CommandHint>, hint: &PathHint, opts: &ReadOptions) -> LogHint {
    let pod_name = command
        .and_then(|c| c.name.clone())
        .or_else(|| hint.pod.clone());
    let namespace = command.and_then(|c| c.namespace.clone());
    let run = opts
        .run
        .or_else(|| command.and_then(CommandHint::run))
        .or(hint.previous.then_some(ContainerRun::Previous));
    LogHint {
        pod: pod_name.map(|n| ObjectRef::new("Pod", namespace.as_deref(), n)),
        container: command.and_then(|c| c.container.clone()),
        run,
        ..Default::default()
    }
}

/// The run of a file of dump log blocks: `cluster-info dump` fetches current
/// runs only; a file whose name says `previous` (`unloop snapshot`'s
/// `previous-logs.txt`) holds previous runs. Blocks name their pod, so
/// `--previous`, which is for logs without a hint, does not apply.
fn blocks_run(hint: &PathHint) -> ContainerRun {
    if hint.previous {
        ContainerRun::Previous
    } else {
        ContainerRun::Current
    }
}

fn read_part(
    kind: InputKind,
    t: &TextInput<'_>,
    command: Option<&CommandHint>,
    hint: &PathHint,
    opts: &ReadOptions,
    b: &mut EvidenceBuilder,
) {
    let result = match kind {
        InputKind::DescribePod => describe::read_describe_pod(t, b),
        InputKind::DescribeNode => describe::read_describe_node(t, b),
        InputKind::DescribeDeployment => describe::read_describe_deployment(t, b),
        InputKind::EventsTable | InputKind::KubectlEvents => tables::read_events_table(t, b),
        InputKind::PodsTable => tables::read_pods_table(t, b),
        InputKind::TopPods => tables::read_top_pods(t, b),
        InputKind::TopNodes => tables::read_top_nodes(t, b),
        InputKind::KubeObjectsYaml => objects::read_yaml(t.text, &t.origin, t.line_offset, b),
        InputKind::KubeObjectsJson => {
            objects::read_json_stream_at(t.text.as_bytes(), &t.origin, t.line_offset + 1, b)
        }
        InputKind::ClusterInfoDump => {
            dump::read_dump_stream_at(t.text.as_bytes(), &t.origin, t.line_offset + 1, b)
        }
        InputKind::DumpLogs => dump::read_dump_logs_run_at(
            t.text.as_bytes(),
            &t.origin,
            t.line_offset + 1,
            blocks_run(hint),
            b,
        ),
        InputKind::ContainerLog
        | InputKind::Unclassified
        | InputKind::MixedPaste
        | InputKind::Directory => {
            if kind == InputKind::Unclassified {
                b.diagnostic(
                    DiagnosticLevel::Note,
                    t.source_at(0),
                    "not a format unloop recognises; read as plain log text",
                );
            }
            let mut parser = LogParser::new(t.origin.clone(), log_hint(command, hint, opts))
                .with_first_line(t.line_offset + 1);
            for (_, line) in t.lines() {
                parser.push_line(line);
            }
            b.add_log(parser.finish());
            Ok(())
        }
    };
    if let Err(e) = result {
        let line = error_line(&e).unwrap_or(t.line_offset + 1);
        b.diagnostic(
            DiagnosticLevel::Error,
            t.origin.at_line(line),
            e.to_string(),
        );
    }
}

fn error_line(e: &InputError) -> Option<u32> {
    match e {
        InputError::InvalidUtf8 { line, .. }
        | InputError::Json { line, .. }
        | InputError::Yaml { line, .. }
        | InputError::Malformed { line, .. } => Some(*line),
        _ => None,
    }
}

/// Reads a large input by kind without holding it in memory.
fn read_stream<R: BufRead>(
    mut r: R,
    origin: Source,
    hint: &PathHint,
    opts: &ReadOptions,
    b: &mut EvidenceBuilder,
) -> InputSummary {
    let sample = match r.fill_buf() {
        Ok(s) => s,
        Err(e) => return failed(b, origin, format!("cannot read: {e}")),
    };
    if let Some(off) = binary_offset(sample) {
        let err = InputError::Binary {
            origin: origin.origin.to_string(),
            offset: off as u64,
        };
        return failed(b, origin, err.to_string());
    }
    // The sample may end inside a UTF-8 sequence; classify what is valid.
    let valid = match std::str::from_utf8(sample) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&sample[..e.valid_up_to()]).unwrap_or(""),
    };
    let kind = classify(valid);
    let result = match kind {
        InputKind::KubeObjectsJson => objects::read_json_stream(r, &origin, b),
        InputKind::ClusterInfoDump => dump::read_dump_stream(r, &origin, b),
        InputKind::DumpLogs => dump::read_dump_logs_run_at(r, &origin, 1, blocks_run(hint), b),
        InputKind::ContainerLog | InputKind::Unclassified => {
            stream_log(r, &origin, hint, opts, b, kind)
        }
        _ => {
            // Text formats are small in practice; a huge one is read whole.
            let mut buf = Vec::new();
            match r.read_to_end(&mut buf) {
                Ok(_) => return read_buffer(&buf, origin, hint, opts, b),
                Err(e) => return failed(b, origin, format!("cannot read: {e}")),
            }
        }
    };
    if let Err(e) = result {
        let line = error_line(&e);
        b.diagnostic(
            DiagnosticLevel::Error,
            line.map_or(origin.clone(), |l| origin.at_line(l)),
            e.to_string(),
        );
    }
    summary(b, origin, kind)
}

fn stream_log<R: BufRead>(
    mut r: R,
    origin: &Source,
    hint: &PathHint,
    opts: &ReadOptions,
    b: &mut EvidenceBuilder,
    kind: InputKind,
) -> Result<(), InputError> {
    if kind == InputKind::Unclassified {
        b.diagnostic(
            DiagnosticLevel::Note,
            origin.clone(),
            "not a format unloop recognises; read as plain log text",
        );
    }
    let mut parser = LogParser::new(origin.clone(), log_hint(None, hint, opts));
    let mut buf = Vec::with_capacity(4096);
    let mut line_no = 0u32;
    let mut offset = 0u64;
    let mut reported_bad_utf8 = false;
    loop {
        buf.clear();
        let n = r.read_until(b'\n', &mut buf).map_err(|e| InputError::Io {
            path: PathBuf::from(origin.origin.as_ref()),
            message: e.to_string(),
        })?;
        if n == 0 {
            break;
        }
        line_no += 1;
        let mut line: &[u8] = &buf;
        while let [rest @ .., b'\n' | b'\r'] = line {
            line = rest;
        }
        match std::str::from_utf8(line) {
            Ok(s) => parser.push_line(s),
            Err(e) => {
                if !reported_bad_utf8 {
                    reported_bad_utf8 = true;
                    let err = InputError::InvalidUtf8 {
                        origin: origin.origin.to_string(),
                        line: line_no,
                        offset: offset + e.valid_up_to() as u64,
                    };
                    b.diagnostic(
                        DiagnosticLevel::Error,
                        origin.at_line(line_no),
                        format!("{err}; invalid bytes were replaced and the rest read"),
                    );
                }
                parser.push_line(&String::from_utf8_lossy(line));
            }
        }
        offset += n as u64;
    }
    b.add_log(parser.finish());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_hints() {
        let h = PathHint::of(Path::new(
            "x/net-istio-controller-5d9c7f6b8-x2kqp-previous.log",
        ));
        assert_eq!(
            h.pod.as_deref(),
            Some("net-istio-controller-5d9c7f6b8-x2kqp")
        );
        assert!(h.previous);
        let h = PathHint::of(Path::new("dump/ns/pod-a-1/logs.txt"));
        assert_eq!(h.pod, None);
        assert!(!h.previous);
        let h = PathHint::of(Path::new("Notes From Bob.txt"));
        assert_eq!(h.pod, None);
    }

    #[cfg(unix)]
    #[test]
    fn linked_folders_are_read_once_and_link_loops_end() {
        let root = std::env::temp_dir().join(format!("unloop-read-links-{}", std::process::id()));
        let real = root.join("real");
        let view = root.join("view");
        std::fs::create_dir_all(&real).unwrap();
        std::fs::create_dir_all(&view).unwrap();
        std::fs::write(
            real.join("app.log"),
            "2024/03/27 18:30:28 Registering 3 clients\n",
        )
        .unwrap();
        std::os::unix::fs::symlink(&real, view.join("ns")).unwrap();
        // A link back up the tree.
        std::os::unix::fs::symlink(&view, real.join("up")).unwrap();
        let mut files = Vec::new();
        let mut problems = Vec::new();
        evidence_files(&view, &mut files, &mut |_, m| problems.push(m));
        std::fs::remove_dir_all(&root).ok();
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(files.len(), 1, "{files:?}");
        assert!(files[0].ends_with("ns/app.log"), "{files:?}");
    }

    #[test]
    fn binary_input_is_a_located_error_and_others_still_read() {
        let dir = std::env::temp_dir().join(format!("unloop-read-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bin = dir.join("core.bin");
        std::fs::write(&bin, b"\x7fELF\x02\x01\x01\x00\x00\x00").unwrap();
        let log = dir.join("app.log");
        std::fs::write(&log, "2024/03/27 18:30:28 Registering 3 clients\n").unwrap();
        let ev = read_paths(&[bin.clone(), log], &ReadOptions::default());
        std::fs::remove_dir_all(&dir).ok();
        let err = ev
            .diagnostics
            .iter()
            .find(|d| d.level == DiagnosticLevel::Error)
            .expect("an error for the binary file");
        assert!(
            err.message.contains("binary data at byte offset 7"),
            "{}",
            err.message
        );
        assert!(err.source.origin.ends_with("core.bin"));
        assert_eq!(ev.inputs.len(), 2);
        assert_eq!(ev.logs.len(), 1);
    }

    #[test]
    fn invalid_utf8_names_line_and_offset() {
        let bytes = b"line one\nline \xff two\n";
        let ev = read_bytes("paste.txt", bytes, &ReadOptions::default());
        let err = ev
            .diagnostics
            .iter()
            .find(|d| d.level == DiagnosticLevel::Error)
            .unwrap();
        assert!(err.message.contains("paste.txt:2"), "{}", err.message);
        assert!(err.message.contains("byte offset 14"), "{}", err.message);
    }

    #[test]
    fn missing_path_is_an_error_not_a_panic() {
        let ev = read_paths(
            &[PathBuf::from("/nonexistent/unloop/x")],
            &ReadOptions::default(),
        );
        assert_eq!(ev.diagnostics.len(), 1);
        assert_eq!(ev.diagnostics[0].level, DiagnosticLevel::Error);
    }
}
