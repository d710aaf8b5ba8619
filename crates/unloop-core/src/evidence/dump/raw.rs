//! A dump's log blocks and lists as they were written, for the replay server.
//!
//! [`for_each_log_block`] hands over each block's text untouched (the model's
//! reader parses it into records instead); [`for_each_in_dump_stream`] also
//! hands the lists of the stdout form to a [`RawObjectSink`].

use std::io::BufRead;

use super::{END, LOG_ERRORS, START};
use crate::evidence::error::InputError;
use crate::evidence::model::{ContainerRun, DiagnosticLevel};
use crate::evidence::objects::{RawObjectSink, for_each_object_json, for_each_object_yaml};
use crate::evidence::raw::RawLog;
use crate::evidence::source::Source;

/// An open block.
struct Open {
    namespace: String,
    pod: String,
    container: String,
    end: String,
    text: String,
    failed: bool,
    first: bool,
    line: u32,
}

impl Open {
    fn start(line: &str, no: u32) -> Option<Open> {
        let (c, pod) = line
            .strip_prefix(START)?
            .trim_end()
            .strip_suffix("====")?
            .trim_end()
            .split_once(" of pod ")?;
        let (ns, p) = pod.split_once('/')?;
        Some(Open {
            end: format!("{END}{c} of pod {ns}/{p} ===="),
            namespace: ns.to_owned(),
            pod: p.to_owned(),
            container: c.to_owned(),
            text: String::new(),
            failed: false,
            first: true,
            line: no,
        })
    }

    fn push(&mut self, line: &str) {
        if self.first && LOG_ERRORS.iter().any(|e| line.starts_with(e)) {
            self.failed = true;
        }
        self.first = false;
        self.text.push_str(line);
        self.text.push('\n');
    }

    fn finish(self, origin: &Source, glued: bool) -> Option<RawLog> {
        if self.failed {
            return None;
        }
        let mut text = self.text;
        // A last line cut off without a newline had the END marker glued to it.
        if glued && text.ends_with('\n') {
            text.pop();
        }
        Some(RawLog {
            namespace: Some(self.namespace),
            pod: Some(self.pod),
            container: Some(self.container),
            run: ContainerRun::Current,
            text,
            source: origin.at_line(self.line),
        })
    }
}

/// Reads `==== START logs for container C of pod ns/p ====` blocks (a dump's
/// `<ns>/<pod>/logs.txt`) and hands each block's text to `on_log` (run
/// [`ContainerRun::Current`], as the dump fetches logs without `previous`).
/// Blocks holding only a fetch error are skipped; lines outside blocks are
/// handed to `outside` with their line numbers.
pub fn for_each_log_block<R: BufRead>(
    r: R,
    origin: &Source,
    on_log: &mut dyn FnMut(RawLog),
    outside: &mut dyn FnMut(&str, u32),
) -> Result<(), InputError> {
    let mut open: Option<Open> = None;
    for (i, line) in r.lines().enumerate() {
        let no = i as u32 + 1;
        let line = line.map_err(|e| InputError::Io {
            path: origin.origin.to_string().into(),
            message: e.to_string(),
        })?;
        let line = line.strip_suffix('\r').unwrap_or(&line);
        match &mut open {
            Some(block) => {
                if let Some(before) = line.strip_suffix(block.end.as_str()) {
                    let glued = !before.is_empty();
                    if glued {
                        block.push(before);
                    }
                    if let Some(log) = open.take().and_then(|b| b.finish(origin, glued)) {
                        on_log(log);
                    }
                } else {
                    block.push(line);
                }
            }
            None => match Open::start(line, no) {
                Some(block) => open = Some(block),
                None => outside(line, no),
            },
        }
    }
    if let Some(log) = open.and_then(|b| b.finish(origin, false)) {
        on_log(log);
    }
    Ok(())
}

/// Reads the stdout form of `cluster-info dump` (JSON or YAML lists with log
/// blocks between them): objects go to `objects`, logs to `on_log`. Each stretch
/// of lists between blocks is read as one JSON or YAML text; the first error
/// is returned after everything readable has been read.
pub fn for_each_in_dump_stream<R: BufRead>(
    r: R,
    origin: &Source,
    objects: &mut dyn RawObjectSink,
    on_log: &mut dyn FnMut(RawLog),
) -> Result<(), InputError> {
    // Stretches of list text between blocks, each with its first line.
    let mut stretches: Vec<(String, u32)> = Vec::new();
    let mut last_no = 0u32;
    let mut logs = Vec::new();
    for_each_log_block(r, origin, &mut |log| logs.push(log), &mut |line, no| {
        if line.starts_with(super::DUMPED) {
            return;
        }
        match stretches.last_mut() {
            Some((text, _)) if no == last_no + 1 => {
                text.push_str(line);
                text.push('\n');
            }
            _ => stretches.push((format!("{line}\n"), no)),
        }
        last_no = no;
    })?;
    let mut first_error: Option<InputError> = None;
    for (text, first_line) in stretches {
        let trimmed = text.trim_start();
        if trimmed.is_empty() {
            continue;
        }
        let res = if trimmed.starts_with(['{', '[']) {
            for_each_object_json(text.as_bytes(), origin, first_line, objects)
        } else {
            for_each_object_yaml(&text, origin, first_line - 1, objects)
        };
        if let Err(e) = res {
            if first_error.is_none() {
                first_error = Some(e);
            } else {
                objects.diagnostic(DiagnosticLevel::Error, origin, &e.to_string());
            }
        }
    }
    for log in logs {
        on_log(log);
    }
    first_error.map_or(Ok(()), Err)
}
