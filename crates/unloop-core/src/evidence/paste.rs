//! Splitting one pasted text that mixes several outputs, as in a bug report: a
//! `kubectl get pods` listing, then describe output, then logs, with shell
//! prompts and command lines in between.
//!
//! Boundaries are only drawn on strong markers (a kubectl command line, a table
//! header, a describe header, the start of a YAML or JSON object, a dump log
//! block) so that an ordinary log is never cut into pieces. Each part is then
//! classified on its own, with the command line before it as a hint.

use std::sync::LazyLock;

use regex::Regex;

use super::detect::{DUMP_LOG_START, classify, table_kind};
use super::model::{ContainerRun, InputKind};

/// One part of a mixed paste.
#[derive(Debug, Clone, PartialEq)]
pub struct Part<'a> {
    pub text: &'a str,
    /// Lines of the whole input before this part.
    pub line_offset: u32,
    pub kind: InputKind,
    /// What the kubectl command line before the part said, if there was one.
    pub command: Option<CommandHint>,
}

/// What a kubectl command line tells about the output that follows it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct CommandHint {
    /// The command as typed, after the prompt.
    pub command: String,
    /// `logs`, `describe`, `get`, `top`, `events`, ...
    pub verb: Option<String>,
    /// The resource argument: `pod`, `pods`, `node`, `events`, ...
    pub resource: Option<String>,
    /// The object name argument.
    pub name: Option<String>,
    pub namespace: Option<String>,
    pub container: Option<String>,
    /// `--previous` / `-p` on `kubectl logs`.
    pub previous: bool,
}

impl CommandHint {
    /// The kind of output this command prints.
    pub fn output_kind(&self) -> Option<InputKind> {
        let res = self.resource.as_deref().unwrap_or("");
        let yaml_or_json = self.command.contains("-o yaml")
            || self.command.contains("-oyaml")
            || self.command.contains("--output=yaml")
            || self.command.contains("-o json")
            || self.command.contains("-ojson")
            || self.command.contains("--output=json");
        match self.verb.as_deref()? {
            "logs" | "log" => Some(InputKind::ContainerLog),
            "describe" => Some(match res.split('/').next().unwrap_or(res) {
                "node" | "nodes" | "no" => InputKind::DescribeNode,
                "deployment" | "deployments" | "deploy" => InputKind::DescribeDeployment,
                _ => InputKind::DescribePod,
            }),
            "events" => Some(InputKind::EventsTable),
            _ if yaml_or_json => None,
            "get" if matches!(res, "events" | "event" | "ev") => Some(InputKind::EventsTable),
            "get" if matches!(res, "pods" | "pod" | "po") => Some(InputKind::PodsTable),
            "top" if res.starts_with("no") => Some(InputKind::TopNodes),
            "top" => Some(InputKind::TopPods),
            _ => None,
        }
    }

    /// The container run a `kubectl logs` command fetched.
    pub fn run(&self) -> Option<ContainerRun> {
        (self.verb.as_deref() == Some("logs")).then_some(if self.previous {
            ContainerRun::Previous
        } else {
            ContainerRun::Current
        })
    }
}

static COMMAND: LazyLock<Regex> = LazyLock::new(|| {
    // An optional prompt (`$`, `#`, `%`, `>`, `user@host:~$`, `PS C:\>`), then kubectl or oc.
    Regex::new(r"^\s*(?:(?:PS [^>]*>|[\w@.\-~:/\[\]() ]*[$#%>])\s*)?(?:sudo\s+)?((?:kubectl|oc)(?:\.exe)?\s+\S.*)$")
        .expect("static regex")
});

/// Parses a kubectl command line (with or without a prompt).
pub fn parse_command(line: &str) -> Option<CommandHint> {
    let caps = COMMAND.captures(line)?;
    let command = caps.get(1)?.as_str().trim().to_owned();
    let words: Vec<&str> = command.split_whitespace().skip(1).collect();
    let mut hint = CommandHint {
        command: command.clone(),
        ..Default::default()
    };
    let mut positional: Vec<&str> = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        let next = words.get(i + 1).copied();
        let mut take = |v: &mut Option<String>, inline: Option<&str>| {
            if let Some(x) = inline {
                *v = Some(x.to_owned());
            } else if let Some(n) = next {
                *v = Some(n.to_owned());
                i += 1;
            }
        };
        match w {
            "-n" | "--namespace" => take(&mut hint.namespace, None),
            "-c" | "--container" => take(&mut hint.container, None),
            "-p" | "--previous" | "--previous=true" => hint.previous = true,
            "-A" | "--all-namespaces" => {}
            "-o" | "-l" | "--selector" | "--context" | "--kubeconfig" | "--tail" | "--since"
            | "-f" => {
                if w != "-f" {
                    i += 1;
                }
            }
            _ if w.starts_with("--namespace=") => {
                take(&mut hint.namespace, w.split_once('=').map(|x| x.1))
            }
            _ if w.starts_with("-n") && w.len() > 2 && !w.starts_with("--") => {
                hint.namespace = Some(w[2..].to_owned())
            }
            _ if w.starts_with("--container=") => {
                take(&mut hint.container, w.split_once('=').map(|x| x.1))
            }
            _ if w.starts_with('-') => {}
            _ if w == "|" || w == ">" || w == ">>" => break,
            _ => positional.push(w),
        }
        i += 1;
    }
    hint.verb = positional.first().map(|s| s.to_string());
    match hint.verb.as_deref() {
        Some("logs") | Some("log") => {
            // kubectl logs [pod/]NAME [CONTAINER]
            if let Some(p) = positional.get(1) {
                hint.name = Some(
                    p.trim_start_matches("pod/")
                        .trim_start_matches("pods/")
                        .to_owned(),
                );
            }
            if hint.container.is_none() {
                hint.container = positional.get(2).map(|s| s.to_string());
            }
        }
        _ => {
            if let Some(r) = positional.get(1) {
                match r.split_once('/') {
                    Some((res, name)) => {
                        hint.resource = Some(res.to_owned());
                        hint.name = Some(name.to_owned());
                    }
                    None => {
                        hint.resource = Some(r.to_string());
                        hint.name = positional.get(2).map(|s| s.to_string());
                    }
                }
            }
        }
    }
    Some(hint)
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Mode {
    /// Nothing strong seen yet (logs, prose).
    Loose,
    Table,
    Describe,
    Yaml,
    /// Inside a JSON value, with brace depth and string state.
    Json {
        depth: i32,
        in_str: bool,
        escaped: bool,
    },
    DumpLog,
}

/// Splits a paste into parts. A text with one kind and no command lines comes
/// back as a single part.
pub fn split<'a>(text: &'a str) -> Vec<Part<'a>> {
    let mut parts = Vec::new();
    let mut start_byte = 0usize;
    let mut start_line = 0u32;
    let mut mode = Mode::Loose;
    let mut command: Option<CommandHint> = None;
    let mut pos = 0usize;
    let mut line_no = 0u32;
    let mut prev_blank = true;
    // Inside a describe container's `Message:`, lines may start at column 0
    // (a Go panic's text, say) and still belong to the describe output.
    let mut in_message = false;
    // A kept command line opens the table part that follows it.
    let mut after_kept_command = false;

    let close = |parts: &mut Vec<Part<'a>>,
                 from: usize,
                 to: usize,
                 first_line: u32,
                 cmd: Option<CommandHint>| {
        let t = &text[from..to];
        if t.trim().is_empty() {
            // A command with no output still tells nothing; drop it.
            return;
        }
        parts.push(Part {
            text: t,
            line_offset: first_line,
            kind: InputKind::Unclassified,
            command: cmd,
        });
    };

    while pos < text.len() {
        let end = text[pos..].find('\n').map_or(text.len(), |i| pos + i + 1);
        let raw = &text[pos..end];
        let line = raw.trim_end_matches(['\n', '\r']);
        let blank = line.trim().is_empty();

        // Does this line start something new?
        let mut boundary_before = false;
        let mut boundary_after = false;
        let mut next_mode = mode;
        let mut next_command = None;

        if let Mode::Json { .. } = mode {
            // JSON runs until its top-level value closes; handled below.
        } else if mode == Mode::DumpLog {
            if line.contains("==== END logs for container ") {
                boundary_after = true;
                next_mode = Mode::Loose;
            }
        } else if let Some(cmd) = parse_command(line) {
            boundary_before = true;
            boundary_after = true;
            next_mode = Mode::Loose;
            next_command = Some(cmd);
        } else if line.starts_with(DUMP_LOG_START) {
            boundary_before = true;
            next_mode = Mode::DumpLog;
        } else if table_kind(line).is_some() && !line.starts_with(' ') {
            boundary_before = !after_kept_command;
            next_mode = Mode::Table;
        } else if line.starts_with("Name:") && mode != Mode::Yaml {
            boundary_before = true;
            next_mode = Mode::Describe;
        } else if (line.starts_with("apiVersion:") || line.starts_with("kind:") || line == "---")
            && prev_blank_or_start(prev_blank, mode)
            && mode != Mode::Yaml
        {
            boundary_before = true;
            next_mode = Mode::Yaml;
        } else if (line == "{" || line == "[") && mode != Mode::Yaml {
            boundary_before = true;
            next_mode = Mode::Json {
                depth: 0,
                in_str: false,
                escaped: false,
            };
        } else if mode == Mode::Table && blank {
            boundary_after = true;
            next_mode = Mode::Loose;
        } else if mode == Mode::Describe
            && !blank
            && !in_message
            && !line.starts_with([' ', '\t'])
            && !is_describe_top_line(line)
        {
            // An unindented line that is not a describe key: the describe output ended.
            boundary_before = true;
            next_mode = Mode::Loose;
        } else if mode == Mode::Yaml && !blank && !is_yaml_line(line) {
            boundary_before = true;
            next_mode = Mode::Loose;
        }

        if mode == Mode::Describe || next_mode == Mode::Describe {
            let t = line.trim_start();
            if line.starts_with([' ', '\t']) && t.starts_with("Message:") {
                in_message = true;
            } else if line.starts_with([' ', '\t']) && is_describe_top_line(t) {
                in_message = false;
            }
        } else {
            in_message = false;
        }
        if boundary_before && pos > start_byte {
            close(&mut parts, start_byte, pos, start_line, command.take());
            start_byte = pos;
            start_line = line_no;
        }
        if boundary_before {
            mode = next_mode;
        }
        let was_command = next_command.is_some();
        if let Some(cmd) = next_command {
            // The command line belongs to no part, except before a table, whose
            // reader takes the namespace of `kubectl -n x get ...` from it.
            let keep = matches!(
                cmd.output_kind(),
                Some(
                    InputKind::EventsTable
                        | InputKind::PodsTable
                        | InputKind::TopPods
                        | InputKind::TopNodes
                )
            );
            command = Some(cmd);
            after_kept_command = keep;
            if keep {
                start_byte = pos;
                start_line = line_no;
            } else {
                start_byte = end;
                start_line = line_no + 1;
            }
            mode = Mode::Loose;
        } else {
            if let Mode::Json {
                depth,
                in_str,
                escaped,
            } = &mut mode
            {
                scan_json_line(line, depth, in_str, escaped);
                if *depth <= 0 && !*in_str {
                    boundary_after = true;
                    next_mode = Mode::Loose;
                } else {
                    // Keep the scan state: the mode is reassigned below.
                    next_mode = mode;
                }
            }
            if boundary_after {
                close(&mut parts, start_byte, end, start_line, command.take());
                start_byte = end;
                start_line = line_no + 1;
                mode = next_mode;
            } else if !boundary_before {
                mode = next_mode;
            }
        }
        if !blank && !was_command {
            after_kept_command = false;
        }
        prev_blank = blank;
        pos = end;
        line_no += 1;
    }
    if start_byte < text.len() {
        close(
            &mut parts,
            start_byte,
            text.len(),
            start_line,
            command.take(),
        );
    }
    for p in &mut parts {
        p.kind = p
            .command
            .as_ref()
            .and_then(CommandHint::output_kind)
            .filter(|k| *k != InputKind::ContainerLog || classify(p.text) != InputKind::DumpLogs)
            .unwrap_or_else(|| classify(p.text));
    }
    merge_runs(text, parts)
}

/// Joins neighbouring parts of one kind that no command separates (the log
/// blocks of a pod's containers, several pods' describe output): they are one
/// output, split only because each block ended.
fn merge_runs<'a>(text: &'a str, parts: Vec<Part<'a>>) -> Vec<Part<'a>> {
    let base = text.as_ptr() as usize;
    let mut out: Vec<Part<'a>> = Vec::with_capacity(parts.len());
    for p in parts {
        if let Some(last) = out.last_mut() {
            let mergeable = p.command.is_none()
                && last.kind == p.kind
                && !matches!(p.kind, InputKind::Unclassified | InputKind::MixedPaste);
            if mergeable {
                let start = last.text.as_ptr() as usize - base;
                let end = p.text.as_ptr() as usize - base + p.text.len();
                last.text = &text[start..end];
                continue;
            }
        }
        out.push(p);
    }
    out
}

fn prev_blank_or_start(prev_blank: bool, mode: Mode) -> bool {
    prev_blank || mode == Mode::Loose
}

/// `Key:` or `Key:   value` at column 0, as describe prints its top-level fields;
/// also the `...` a user puts where they cut the paste.
fn is_describe_top_line(line: &str) -> bool {
    if line.trim() == "..." || line.trim() == "…" {
        return true;
    }
    match line.split_once(':') {
        Some((key, _)) => {
            !key.is_empty()
                && key.len() < 40
                && key.chars().next().is_some_and(|c| c.is_ascii_uppercase())
                && key.chars().all(|c| {
                    c.is_ascii_alphanumeric() || matches!(c, ' ' | '-' | '/' | '(' | ')' | '.')
                })
        }
        None => false,
    }
}

/// A line that can belong to a YAML document.
fn is_yaml_line(line: &str) -> bool {
    line.starts_with([' ', '-', '#', '\t'])
        || line == "---"
        || line == "..."
        || line.split_once(':').is_some_and(|(k, _)| {
            // Kubernetes objects' top-level keys are lower camel case.
            k.starts_with(|c: char| c.is_ascii_lowercase()) && !k.contains(' ')
        })
}

fn scan_json_line(line: &str, depth: &mut i32, in_str: &mut bool, escaped: &mut bool) {
    for b in line.bytes() {
        if *in_str {
            if *escaped {
                *escaped = false;
            } else if b == b'\\' {
                *escaped = true;
            } else if b == b'"' {
                *in_str = false;
            }
            continue;
        }
        match b {
            b'"' => *in_str = true,
            b'{' | b'[' => *depth += 1,
            b'}' | b']' => *depth -= 1,
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_command_lines() {
        let h = parse_command(
            "$ kubectl logs -n knative-serving net-istio-controller-5d9c7f6b8-x2kqp --previous",
        )
        .unwrap();
        assert_eq!(h.verb.as_deref(), Some("logs"));
        assert_eq!(
            h.name.as_deref(),
            Some("net-istio-controller-5d9c7f6b8-x2kqp")
        );
        assert_eq!(h.namespace.as_deref(), Some("knative-serving"));
        assert!(h.previous);
        assert_eq!(h.run(), Some(ContainerRun::Previous));

        let h = parse_command("root@bastion:~# kubectl -n asm-system describe pod/canonical-x")
            .unwrap();
        assert_eq!(h.verb.as_deref(), Some("describe"));
        assert_eq!(h.resource.as_deref(), Some("pod"));
        assert_eq!(h.name.as_deref(), Some("canonical-x"));
        assert_eq!(h.output_kind(), Some(InputKind::DescribePod));

        let h = parse_command("kubectl get events -A --sort-by=.lastTimestamp").unwrap();
        assert_eq!(h.output_kind(), Some(InputKind::EventsTable));
        let h = parse_command("kubectl get pod x -o yaml").unwrap();
        assert_eq!(h.output_kind(), None);
        assert!(parse_command("the kubectl binary is old").is_none());
        assert!(parse_command("I0412 09:14:07.381522       1 trace.go:236] kubectl").is_none());
    }

    const PASTE: &str = "\
Hi, our controller keeps restarting since the upgrade.

$ kubectl get pods -n knative-serving
NAME                                    READY   STATUS             RESTARTS        AGE
net-istio-controller-5d9c7f6b8-x2kqp   0/1     CrashLoopBackOff   23 (2m ago)     71m

$ kubectl describe pod net-istio-controller-5d9c7f6b8-x2kqp -n knative-serving
Name:             net-istio-controller-5d9c7f6b8-x2kqp
Namespace:        knative-serving
Node:             n1/10.0.0.1
Containers:
  controller:
    Restart Count:  23
Events:
  Type     Reason     Age                 From     Message
  ----     ------     ----                ----     -------
  Warning  BackOff    2m (x40 over 60m)   kubelet  Back-off restarting failed container

$ kubectl logs net-istio-controller-5d9c7f6b8-x2kqp -n knative-serving -p
2024/04/12 09:14:01 Registering 3 clients
{\"severity\":\"INFO\",\"timestamp\":\"2024-04-12T09:14:02Z\",\"message\":\"Starting informers...\"}
";

    #[test]
    fn splits_a_bug_report() {
        let parts = split(PASTE);
        let kinds: Vec<InputKind> = parts.iter().map(|p| p.kind).collect();
        assert_eq!(
            kinds,
            vec![
                InputKind::Unclassified,
                InputKind::PodsTable,
                InputKind::DescribePod,
                InputKind::ContainerLog
            ]
        );
        let logs = &parts[3];
        assert_eq!(
            logs.command.as_ref().unwrap().run(),
            Some(ContainerRun::Previous)
        );
        assert!(logs.text.starts_with("2024/04/12"));
        // Line offsets count the lines before each part in the whole paste.
        let first_log_line = PASTE
            .lines()
            .position(|l| l.starts_with("2024/04/12"))
            .unwrap() as u32;
        assert_eq!(logs.line_offset, first_log_line);
        assert!(parts[2].text.contains("Back-off restarting"));
    }

    #[test]
    fn a_describe_message_at_column_zero_stays_in_the_describe() {
        let text = "Name:         p\nNamespace:    ns\nContainers:\n  c:\n    Last State:     Terminated\n      Reason:       Error\n      Message:      panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n      Exit Code:    2\n    Restart Count:  4\nEvents:          <none>\n";
        let parts = split(text);
        assert_eq!(parts.len(), 1, "{parts:#?}");
        assert_eq!(parts[0].kind, InputKind::DescribePod);
    }

    #[test]
    fn a_table_part_keeps_its_command_line() {
        let text = "kubectl -n asm-system get pod -w\nNAME   READY   STATUS      RESTARTS   AGE\nx-1    1/2     OOMKilled   1          27s\n";
        let parts = split(text);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].kind, InputKind::PodsTable);
        assert!(parts[0].text.starts_with("kubectl -n asm-system"));
        assert_eq!(
            parts[0].command.as_ref().unwrap().namespace.as_deref(),
            Some("asm-system")
        );
    }

    #[test]
    fn a_plain_log_stays_whole() {
        let log = "I0412 09:14:07.381522       1 trace.go:236] Trace[1]: \"DeltaFIFO Pop Process\"\nTrace[1]: [110ms] [110ms] END\nI0412 09:14:08.000000       1 main.go:1] done\n";
        let parts = split(log);
        assert_eq!(parts.len(), 1);
        assert_eq!(parts[0].text, log);
    }

    #[test]
    fn json_object_ends_at_its_closing_brace() {
        let text = "{\n  \"kind\": \"Pod\",\n  \"metadata\": {\"name\": \"a}\"}\n}\nI0412 09:14:07.381522       1 x.go:1] after\n";
        let parts = split(text);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].kind, InputKind::KubeObjectsJson);
        assert!(parts[0].text.ends_with("}\n"));
        assert_eq!(parts[1].line_offset, 4);
    }

    #[test]
    fn pretty_json_with_nested_objects_stays_one_part() {
        let text = "{\n    \"kind\": \"DaemonSetList\",\n    \"metadata\": {\n        \"resourceVersion\": \"1\"\n    },\n    \"items\": []\n}\n";
        let parts = split(text);
        assert_eq!(parts.len(), 1, "{parts:#?}");
        assert_eq!(parts[0].kind, InputKind::KubeObjectsJson);
    }

    #[test]
    fn a_pods_container_log_blocks_stay_one_part() {
        let text = "==== START logs for container a of pod ns/p ====\nx\n==== END logs for container a of pod ns/p ====\n==== START logs for container b of pod ns/p ====\ny\n==== END logs for container b of pod ns/p ====\n";
        let parts = split(text);
        assert_eq!(parts.len(), 1, "{parts:#?}");
        assert_eq!(parts[0].text, text);
    }

    #[test]
    fn yaml_then_describe() {
        let text = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n\nName:         a\nNamespace:    b\nContainers:\n";
        let parts = split(text);
        assert_eq!(
            parts.iter().map(|p| p.kind).collect::<Vec<_>>(),
            vec![InputKind::KubeObjectsYaml, InputKind::DescribePod]
        );
    }
}
