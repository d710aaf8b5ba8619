//! Inputs as they were written: every object whole and every log's text, for
//! callers that serve a snapshot rather than analyse it (the replay server).
//!
//! The walk mirrors [`read_paths`](super::read_paths): directories recursively
//! (hidden files and documentation skipped), each file's kind decided by its
//! content, mixed pastes split into their parts. Objects come from JSON and
//! YAML (lists unrolled, kinds lent by typed lists, see
//! [`objects::RawObjectSink`]); logs from dump log blocks, from `<pod>.log` and
//! `<pod>-previous.log` files, and from pasted `kubectl logs` output.
//! Human-readable formats (describe output, tables) hold no object to serve and
//! are passed over with a note.

use std::path::{Path, PathBuf};

use serde_json::Value;

use super::detect::classify;
use super::dump;
use super::model::{ContainerRun, DiagnosticLevel, InputKind};
use super::objects::{self, RawObjectSink};
use super::paste::{self, CommandHint};
use super::read::{PathHint, evidence_files};
use super::source::Source;

/// Inputs larger than this are not split as mixed pastes (as in `read_paths`).
const WHOLE_SPLIT_LIMIT: usize = 16 << 20;

/// The text of one container's log, as it was captured.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawLog {
    /// The pod's namespace, when the input says (dump blocks, `kubectl logs -n`).
    pub namespace: Option<String>,
    /// The pod, when the input says (dump blocks, file names, command lines).
    pub pod: Option<String>,
    /// The container, when the input says.
    pub container: Option<String>,
    /// Which run of the container the log is from.
    pub run: ContainerRun,
    /// The log, every line ending in `\n` except a last line cut off without one.
    pub text: String,
    /// Where it was read.
    pub source: Source,
}

/// Receives what [`read_raw_paths`] finds.
pub trait RawVisitor {
    /// One object (never a list), with `kind` and `apiVersion` set.
    fn object(&mut self, obj: Value, source: &Source);
    /// One container log.
    fn log(&mut self, log: RawLog);
    /// A problem met, or an input passed over.
    fn diagnostic(&mut self, level: DiagnosticLevel, source: &Source, message: &str) {
        let _ = (level, source, message);
    }
}

/// Lets the object readers feed a [`RawVisitor`].
struct Objects<'v>(&'v mut dyn RawVisitor);

impl RawObjectSink for Objects<'_> {
    fn object(&mut self, obj: Value, source: &Source) {
        self.0.object(obj, source);
    }

    fn diagnostic(&mut self, level: DiagnosticLevel, source: &Source, message: &str) {
        self.0.diagnostic(level, source, message);
    }
}

/// Walks every path (files, directories recursively) and hands each object and
/// log to `visitor`. Problems become diagnostics; the other inputs are still read.
pub fn read_raw_paths(paths: &[PathBuf], visitor: &mut dyn RawVisitor) {
    for p in paths {
        let origin = Source::new(p.display().to_string());
        match std::fs::metadata(p) {
            Err(e) => visitor.diagnostic(
                DiagnosticLevel::Error,
                &origin,
                &format!("cannot open: {e}"),
            ),
            Ok(m) if m.is_dir() => {
                let mut files = Vec::new();
                evidence_files(p, &mut files, &mut |source, message| {
                    visitor.diagnostic(DiagnosticLevel::Error, &source, &message)
                });
                files.sort();
                for f in files {
                    read_raw_file(&f, visitor);
                }
            }
            Ok(_) => read_raw_file(p, visitor),
        }
    }
}

/// Reads one file whole (a server holds everything it serves anyway).
pub fn read_raw_file(path: &Path, visitor: &mut dyn RawVisitor) {
    let origin = Source::new(path.display().to_string());
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) => {
            visitor.diagnostic(
                DiagnosticLevel::Error,
                &origin,
                &format!("cannot read: {e}"),
            );
            return;
        }
    };
    read_raw_bytes(&bytes, &origin, &PathHint::of(path), visitor);
}

/// Reads one in-memory input named `name`.
pub fn read_raw_named(name: &str, bytes: &[u8], visitor: &mut dyn RawVisitor) {
    read_raw_bytes(bytes, &Source::new(name), &PathHint::default(), visitor);
}

fn read_raw_bytes(bytes: &[u8], origin: &Source, hint: &PathHint, visitor: &mut dyn RawVisitor) {
    if let Some(off) = memchr::memchr(0, &bytes[..bytes.len().min(64 << 10)]) {
        visitor.diagnostic(
            DiagnosticLevel::Error,
            origin,
            &format!("binary data at byte offset {off}, not text"),
        );
        return;
    }
    let text = String::from_utf8_lossy(bytes);
    // Splitting is for pastes; a large input is one thing, classified by its start.
    if text.len() > WHOLE_SPLIT_LIMIT {
        let mut end = 64 << 10;
        while !text.is_char_boundary(end) {
            end -= 1;
        }
        read_part(
            classify(&text[..end]),
            &text,
            0,
            None,
            origin,
            hint,
            visitor,
        );
        return;
    }
    let parts = paste::split(&text);
    let single = parts.len() <= 1 && parts.iter().all(|p| p.command.is_none());
    if single {
        let kind = parts.first().map_or_else(|| classify(&text), |p| p.kind);
        read_part(kind, &text, 0, None, origin, hint, visitor);
        return;
    }
    for p in &parts {
        read_part(
            p.kind,
            p.text,
            p.line_offset,
            p.command.as_ref(),
            origin,
            hint,
            visitor,
        );
    }
}

fn read_part(
    kind: InputKind,
    text: &str,
    line_offset: u32,
    command: Option<&CommandHint>,
    origin: &Source,
    hint: &PathHint,
    visitor: &mut dyn RawVisitor,
) {
    let res = match kind {
        InputKind::KubeObjectsJson => objects::for_each_object_json(
            text.as_bytes(),
            origin,
            line_offset + 1,
            &mut Objects(visitor),
        ),
        InputKind::KubeObjectsYaml => {
            objects::for_each_object_yaml(text, origin, line_offset, &mut Objects(visitor))
        }
        InputKind::ClusterInfoDump => {
            let mut logs = Vec::new();
            let res = dump::for_each_in_dump_stream(
                text.as_bytes(),
                origin,
                &mut Objects(visitor),
                &mut |log| logs.push(log),
            );
            for log in logs {
                visitor.log(shift(log, line_offset));
            }
            res
        }
        InputKind::DumpLogs => {
            let mut logs = Vec::new();
            let res = dump::for_each_log_block(
                text.as_bytes(),
                origin,
                &mut |log| logs.push(log),
                &mut |_, _| {},
            );
            // A file of blocks named `previous-logs.txt` (`unloop snapshot`)
            // holds previous runs, as in `read_paths`.
            for mut log in logs {
                if hint.previous {
                    log.run = ContainerRun::Previous;
                }
                visitor.log(shift(log, line_offset));
            }
            res
        }
        InputKind::ContainerLog | InputKind::Unclassified => {
            let run = command
                .and_then(CommandHint::run)
                .or(hint.previous.then_some(ContainerRun::Previous))
                .unwrap_or(ContainerRun::Current);
            visitor.log(RawLog {
                namespace: command.and_then(|c| c.namespace.clone()),
                pod: command
                    .and_then(|c| c.name.clone())
                    .or_else(|| hint.pod.clone()),
                container: command.and_then(|c| c.container.clone()),
                run,
                text: text.to_owned(),
                source: origin.at_line(line_offset + 1),
            });
            Ok(())
        }
        other => {
            visitor.diagnostic(
                DiagnosticLevel::Note,
                &origin.at_line(line_offset + 1),
                &format!("{other:?} holds no object to serve; passed over"),
            );
            Ok(())
        }
    };
    if let Err(e) = res {
        visitor.diagnostic(DiagnosticLevel::Error, origin, &e.to_string());
    }
}

/// A log read from a part of a paste names lines of the whole input.
fn shift(mut log: RawLog, line_offset: u32) -> RawLog {
    if let Some(l) = log.source.line {
        log.source.line = Some(l + line_offset);
    }
    log
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Seen {
        objects: Vec<Value>,
        logs: Vec<RawLog>,
        notes: Vec<String>,
    }

    impl RawVisitor for Seen {
        fn object(&mut self, obj: Value, _: &Source) {
            self.objects.push(obj);
        }
        fn log(&mut self, log: RawLog) {
            self.logs.push(log);
        }
        fn diagnostic(&mut self, _: DiagnosticLevel, _: &Source, message: &str) {
            self.notes.push(message.to_owned());
        }
    }

    #[test]
    fn typed_list_items_get_kind_and_api_version_and_secrets_lose_values() {
        let json = r#"{"kind":"PodList","apiVersion":"v1","items":[
            {"metadata":{"name":"a","namespace":"n","managedFields":[{"x":1}]},"spec":{"containers":[]}}]}
            {"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","annotations":{
              "kubectl.kubernetes.io/last-applied-configuration":"{\"data\":{}}","keep":"1"}},
             "data":{"password":"aHVudGVyMg=="},"stringData":{"k":"v"},"type":"Opaque"}"#;
        let mut seen = Seen::default();
        read_raw_named("x.json", json.as_bytes(), &mut seen);
        assert_eq!(seen.objects.len(), 2, "{:?}", seen.notes);
        let pod = &seen.objects[0];
        assert_eq!(pod["kind"], "Pod");
        assert_eq!(pod["apiVersion"], "v1");
        assert!(pod["metadata"].get("managedFields").is_none());
        let secret = &seen.objects[1];
        assert!(secret.get("data").is_none() && secret.get("stringData").is_none());
        assert_eq!(secret["type"], "Opaque");
        let ann = &secret["metadata"]["annotations"];
        assert!(
            ann.get("kubectl.kubernetes.io/last-applied-configuration")
                .is_none()
        );
        assert_eq!(ann["keep"], "1");
    }

    #[test]
    fn yaml_list_and_apps_defaults() {
        let yaml = "apiVersion: apps/v1\nkind: DeploymentList\nitems:\n- metadata:\n    name: d\n  spec:\n    replicas: 2\n";
        let mut seen = Seen::default();
        read_raw_named("d.yaml", yaml.as_bytes(), &mut seen);
        assert_eq!(seen.objects.len(), 1);
        assert_eq!(seen.objects[0]["kind"], "Deployment");
        assert_eq!(seen.objects[0]["apiVersion"], "apps/v1");
    }

    #[test]
    fn dump_blocks_keep_text_skip_fetch_errors_and_unglue_end_markers() {
        let text = "==== START logs for container c of pod ns/p ====\nline 1\nline 2\n==== END logs for container c of pod ns/p ====\n\
==== START logs for container d of pod ns/p ====\nRequest log error: the server rejected\n==== END logs for container d of pod ns/p ====\n\
==== START logs for container e of pod ns/q ====\ncut off==== END logs for container e of pod ns/q ====\n";
        let mut seen = Seen::default();
        read_raw_named("logs.txt", text.as_bytes(), &mut seen);
        assert_eq!(seen.logs.len(), 2);
        assert_eq!(seen.logs[0].text, "line 1\nline 2\n");
        assert_eq!(seen.logs[0].container.as_deref(), Some("c"));
        assert_eq!(seen.logs[0].namespace.as_deref(), Some("ns"));
        assert_eq!(seen.logs[0].run, ContainerRun::Current);
        assert_eq!(seen.logs[1].text, "cut off");
        assert_eq!(seen.logs[1].pod.as_deref(), Some("q"));
    }

    #[test]
    fn dump_stream_lists_and_blocks() {
        let text = "{\n    \"kind\": \"NodeList\",\n    \"apiVersion\": \"v1\",\n    \"items\": [\n        {\"metadata\": {\"name\": \"n1\"}}\n    ]\n}\n\
==== START logs for container c of pod ns/p ====\nhello\n==== END logs for container c of pod ns/p ====\n\
{\n    \"kind\": \"PodList\",\n    \"apiVersion\": \"v1\",\n    \"items\": [{\"metadata\": {\"name\": \"p\", \"namespace\": \"ns\"}}]\n}\n";
        let mut seen = Seen::default();
        let origin = Source::new("dump.txt");
        let mut logs = Vec::new();
        dump::for_each_in_dump_stream(
            text.as_bytes(),
            &origin,
            &mut Objects(&mut seen),
            &mut |l| logs.push(l),
        )
        .unwrap();
        let kinds: Vec<_> = seen
            .objects
            .iter()
            .map(|o| o["kind"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(kinds, ["Node", "Pod"]);
        assert_eq!(logs.len(), 1);
        assert_eq!(logs[0].text, "hello\n");
    }

    #[test]
    fn bundled_incident_objects_and_previous_logs() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/net-istio-crashloop");
        let mut seen = Seen::default();
        read_raw_paths(&[dir], &mut seen);
        let count = |k: &str| seen.objects.iter().filter(|o| o["kind"] == k).count();
        assert!(count("Pod") > 20, "pods: {}", count("Pod"));
        assert_eq!(count("Revision"), 3123);
        assert!(count("Lease") > 0 && count("Node") == 6);
        let prev: Vec<_> = seen
            .logs
            .iter()
            .filter(|l| l.run == ContainerRun::Previous)
            .collect();
        assert_eq!(prev.len(), 3);
        assert!(prev.iter().all(|l| {
            l.pod
                .as_deref()
                .is_some_and(|p| p.starts_with("net-istio-controller-"))
        }));
        assert!(
            seen.logs
                .iter()
                .any(|l| l.run == ContainerRun::Current && l.container.is_some())
        );
    }
}
