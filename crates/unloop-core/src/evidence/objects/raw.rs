//! Objects as they were written, for callers that serve them rather than
//! analyse them (the replay server).
//!
//! The same streaming readers as the model's are used; only the destination
//! differs. Each object arrives whole, with the kind and apiVersion its list
//! lent it filled in, so typed lists from a `cluster-info dump` (items without
//! either) come out as complete objects. Two things are never handed over:
//! `metadata.managedFields` (bulky bookkeeping no client needs from a
//! snapshot) and a Secret's values (`data`, `stringData` and the
//! `last-applied-configuration` annotation, which holds a copy of them).

use std::io::BufRead;

use serde_json::Value;

use super::convert::{self, LAST_APPLIED, ListDefaults, ObjectSink};
use crate::evidence::error::InputError;
use crate::evidence::model::DiagnosticLevel;
use crate::evidence::source::Source;

/// Receives raw objects, and the problems met while reading them.
///
/// Any `FnMut(Value, &Source)` closure is a sink that ignores problems.
pub trait RawObjectSink {
    /// One object (never a list), with `kind` and `apiVersion` set.
    fn object(&mut self, obj: Value, source: &Source);
    /// A problem met while reading (a skipped document, an object without a kind).
    fn diagnostic(&mut self, level: DiagnosticLevel, source: &Source, message: &str) {
        let _ = (level, source, message);
    }
}

impl<F: FnMut(Value, &Source)> RawObjectSink for F {
    fn object(&mut self, obj: Value, source: &Source) {
        self(obj, source)
    }
}

/// Adapts a [`RawObjectSink`] to the readers' [`ObjectSink`].
pub(crate) struct Raw<'s>(pub(crate) &'s mut dyn RawObjectSink);

impl ObjectSink for Raw<'_> {
    fn object(&mut self, mut v: Value, kind: &str, api_version: &str, base: &Source) {
        if let Value::Object(obj) = &mut v {
            let has_api = obj
                .get("apiVersion")
                .and_then(Value::as_str)
                .is_some_and(|a| !a.is_empty());
            if !has_api {
                obj.insert("apiVersion".into(), Value::String(api_version.to_owned()));
            }
            if let Some(Value::Object(meta)) = obj.get_mut("metadata") {
                meta.remove("managedFields");
            }
            if kind == "Secret" && api_version == "v1" {
                strip_secret(obj);
            }
        }
        self.0.object(v, base);
    }

    fn diagnostic(&mut self, level: DiagnosticLevel, source: Source, message: String) {
        self.0.diagnostic(level, &source, &message);
    }
}

/// Removes everything of a Secret that holds its values.
pub fn strip_secret(obj: &mut serde_json::Map<String, Value>) {
    obj.remove("data");
    obj.remove("stringData");
    if let Some(Value::Object(ann)) = obj
        .get_mut("metadata")
        .and_then(|m| m.get_mut("annotations"))
    {
        ann.remove(LAST_APPLIED);
    }
}

/// Reads concatenated JSON documents (objects, `List`s, typed lists) starting
/// at line `first_line` of their input and hands each object to `sink`, streamed
/// as [`super::read_json_stream`] does.
pub fn for_each_object_json<R: BufRead>(
    r: R,
    origin: &Source,
    first_line: u32,
    sink: &mut dyn RawObjectSink,
) -> Result<(), InputError> {
    super::json::read_stream(r, origin, first_line, &mut Raw(sink))
}

/// Reads (multi-document) YAML text that starts after `line_offset` lines of
/// its input and hands each object to `sink`. As with [`super::read_yaml`], a
/// broken document does not stop the others; the first error is returned.
pub fn for_each_object_yaml(
    text: &str,
    origin: &Source,
    line_offset: u32,
    sink: &mut dyn RawObjectSink,
) -> Result<(), InputError> {
    super::yaml::read(text, origin, line_offset, &mut Raw(sink))
}

/// Hands one decoded object, or every item of a decoded list, to `sink`.
pub fn for_each_object_in(v: Value, source: &Source, sink: &mut dyn RawObjectSink) {
    convert::ingest(v, source, &ListDefaults::default(), None, &mut Raw(sink));
}
