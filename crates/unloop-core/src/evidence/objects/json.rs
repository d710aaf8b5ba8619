//! Streaming JSON: concatenated documents, lists decoded item by item.
//!
//! serde_json's reader-based deserializer pulls bytes one at a time, so a
//! [`DeserializeSeed`] can act on each element of `items` while the rest of the
//! input is still unread. Each item becomes a `serde_json::Value`, is converted
//! and dropped before the next is decoded.
//!
//! Lines: the reader handed to serde_json records the line of the last byte it
//! passed on. When a seed starts on an item, serde_json has just peeked the item's
//! opening `{`, so that line is where the item starts.

use std::cell::Cell;
use std::fmt;
use std::io::{self, BufRead, Read};
use std::rc::Rc;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::convert::{self, ListDefaults, ObjectSink, is_list_kind};
use crate::evidence::error::InputError;
use crate::evidence::model::DiagnosticLevel;
use crate::evidence::source::Source;

/// Items without a kind wait for the list's `kind` (which `kubectl get -o json`
/// prints after `items`); past this many, waiting would defeat streaming, so the
/// rest are classified by shape as they come.
const MAX_PENDING_ITEMS: usize = 1000;

/// The line of the last byte handed to serde_json, shared with the seeds.
pub(crate) type LineCell = Rc<Cell<u32>>;

/// Records in `last` the line of the last of `bytes`, given that the first of
/// them is on line `*next`; advances `*next` past them.
pub(crate) fn note_lines(bytes: &[u8], next: &mut u32, last: &Cell<u32>) {
    let Some((&tail, head)) = bytes.split_last() else {
        return;
    };
    let before = memchr::memchr_iter(b'\n', head).count() as u32;
    last.set(*next + before);
    *next += before + u32::from(tail == b'\n');
}

/// A `Read` over a `BufRead` that tracks lines for [`LineCell`].
struct CountingReader<R> {
    inner: R,
    next_line: u32,
    last: LineCell,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let buf = self.inner.fill_buf()?;
        let n = out.len().min(buf.len());
        out[..n].copy_from_slice(&buf[..n]);
        self.inner.consume(n);
        note_lines(&out[..n], &mut self.next_line, &self.last);
        Ok(n)
    }
}

/// Reads a whole JSON stream (see [`super::read_json_stream`]).
pub(crate) fn read_stream<R: BufRead>(
    mut r: R,
    origin: &Source,
    first_line: u32,
    b: &mut dyn ObjectSink,
) -> Result<(), InputError> {
    // Editors on Windows save a BOM, which serde_json would reject.
    if r.fill_buf()
        .map(|buf| buf.starts_with(b"\xEF\xBB\xBF"))
        .unwrap_or(false)
    {
        r.consume(3);
    }
    let line: LineCell = Rc::new(Cell::new(first_line));
    let reader = CountingReader {
        inner: r,
        next_line: first_line,
        last: line.clone(),
    };
    let mut ctx = JsonCtx::new(origin, line, first_line, b);
    read_docs(reader, &mut ctx)
}

/// What one run of the JSON reader needs: where it reads, and where to put things.
pub(crate) struct JsonCtx<'a> {
    origin: &'a Source,
    line: LineCell,
    /// Line of the first byte serde_json sees (its error lines count from there).
    line_base: u32,
    b: &'a mut dyn ObjectSink,
    list: ListState,
}

/// What is known of the list being read.
#[derive(Default)]
struct ListState {
    kind: Option<String>,
    api_version: Option<String>,
    defaults: ListDefaults,
    /// Items without a kind, waiting for the list's kind, with their lines.
    pending: Vec<(Value, u32)>,
    /// Too many items waited: classify by shape from now on.
    infer: bool,
}

impl ListState {
    fn refresh(&mut self) {
        self.defaults = ListDefaults::from_list(self.kind.as_deref(), self.api_version.as_deref());
    }

    /// Items are streamed unless the document already said it is not a list.
    fn may_stream(&self) -> bool {
        self.kind.as_deref().is_none_or(is_list_kind)
    }
}

impl<'a> JsonCtx<'a> {
    /// A context for JSON whose first byte is on line `line_base`; `line` is the
    /// cell the reader updates.
    pub(crate) fn new(
        origin: &'a Source,
        line: LineCell,
        line_base: u32,
        b: &'a mut dyn ObjectSink,
    ) -> Self {
        JsonCtx {
            origin,
            line,
            line_base,
            b,
            list: ListState::default(),
        }
    }

    fn item(&mut self, v: Value, line: u32) {
        let has_kind = v
            .get("kind")
            .and_then(Value::as_str)
            .is_some_and(|k| !k.is_empty());
        if has_kind || self.list.kind.is_some() || self.list.infer {
            let base = self.origin.at_line(line);
            convert::ingest(v, &base, &self.list.defaults, None, self.b);
        } else {
            self.list.pending.push((v, line));
            if self.list.pending.len() >= MAX_PENDING_ITEMS {
                self.list.infer = true;
                self.b.diagnostic(
                    DiagnosticLevel::Note,
                    self.origin.at_line(line),
                    "list items carry no kind and the list's kind has not been seen yet; \
                     classifying them by shape"
                        .into(),
                );
                self.flush_pending();
            }
        }
    }

    fn flush_pending(&mut self) {
        for (v, line) in std::mem::take(&mut self.list.pending) {
            let base = self.origin.at_line(line);
            convert::ingest(v, &base, &self.list.defaults, None, self.b);
        }
    }

    fn error(&self, e: serde_json::Error) -> InputError {
        let (line, column) = if e.line() == 0 {
            (self.line.get(), 0)
        } else {
            (self.line_base + e.line() as u32 - 1, e.column() as u32)
        };
        let text = e.to_string();
        let message = match text.rfind(" at line ") {
            Some(i) => text[..i].to_owned(),
            None => text,
        };
        InputError::Json {
            origin: self.origin.origin.to_string(),
            line,
            column,
            message,
        }
    }
}

/// Reads every document of `r` into the context's builder.
pub(crate) fn read_docs<R: Read>(r: R, ctx: &mut JsonCtx<'_>) -> Result<(), InputError> {
    let mut de = serde_json::Deserializer::from_reader(r);
    loop {
        // `end` succeeds only when nothing but whitespace is left.
        if de.end().is_ok() {
            return Ok(());
        }
        ctx.list = ListState::default();
        let res = DocSeed { ctx: &mut *ctx }.deserialize(&mut de);
        // Items waiting for a kind that never came are still evidence, error or not.
        ctx.flush_pending();
        res.map_err(|e| ctx.error(e))?;
    }
}

struct DocSeed<'c, 'a> {
    ctx: &'c mut JsonCtx<'a>,
}

impl<'de> DeserializeSeed<'de> for DocSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl DocSeed<'_, '_> {
    fn not_an_object(self, what: &str) {
        let line = self.ctx.line.get();
        self.ctx.b.diagnostic(
            DiagnosticLevel::Note,
            self.ctx.origin.at_line(line),
            format!("skipped a JSON {what} where a Kubernetes object was expected"),
        );
    }
}

impl<'de> Visitor<'de> for DocSeed<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Kubernetes object or list")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        let line = ctx.line.get();
        let mut obj = Map::new();
        let mut streamed = false;
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" && !streamed && ctx.list.may_stream() {
                match map.next_value_seed(ItemsSeed { ctx: &mut *ctx })? {
                    Some(v) => {
                        obj.insert(key, v);
                    }
                    None => streamed = true,
                }
                continue;
            }
            let v: Value = if key == "metadata" {
                map.next_value_seed(METADATA)?
            } else {
                map.next_value()?
            };
            match key.as_str() {
                "kind" => {
                    ctx.list.kind = v.as_str().map(str::to_owned);
                    ctx.list.refresh();
                }
                "apiVersion" => {
                    ctx.list.api_version = v.as_str().map(str::to_owned);
                    ctx.list.refresh();
                }
                _ => {}
            }
            obj.insert(key, v);
        }
        if streamed {
            ctx.flush_pending();
        } else {
            let base = ctx.origin.at_line(line);
            convert::ingest(
                Value::Object(obj),
                &base,
                &ListDefaults::default(),
                None,
                ctx.b,
            );
        }
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        // A bare array of objects (jq output): items that must carry their kind.
        let ctx = self.ctx;
        ctx.list.kind = Some("List".into());
        while seq
            .next_element_seed(ItemSeed { ctx: &mut *ctx })?
            .is_some()
        {}
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        self.not_an_object("null");
        Ok(())
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        self.not_an_object("boolean");
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        self.not_an_object("number");
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        self.not_an_object("number");
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        self.not_an_object("number");
        Ok(())
    }

    fn visit_str<E>(self, _: &str) -> Result<(), E> {
        self.not_an_object("string");
        Ok(())
    }
}

/// The value of `items`: streamed when an array (`None`), kept otherwise.
struct ItemsSeed<'c, 'a> {
    ctx: &'c mut JsonCtx<'a>,
}

impl<'de> DeserializeSeed<'de> for ItemsSeed<'_, '_> {
    type Value = Option<Value>;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<Value>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for ItemsSeed<'_, '_> {
    type Value = Option<Value>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("list items")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Option<Value>, A::Error> {
        let ctx = self.ctx;
        while seq
            .next_element_seed(ItemSeed { ctx: &mut *ctx })?
            .is_some()
        {}
        Ok(None)
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Option<Value>, A::Error> {
        Value::deserialize(de::value::MapAccessDeserializer::new(map)).map(Some)
    }

    fn visit_unit<E>(self) -> Result<Option<Value>, E> {
        Ok(Some(Value::Null))
    }

    fn visit_bool<E>(self, v: bool) -> Result<Option<Value>, E> {
        Ok(Some(Value::Bool(v)))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Option<Value>, E> {
        Ok(Some(v.into()))
    }

    fn visit_str<E>(self, v: &str) -> Result<Option<Value>, E> {
        Ok(Some(Value::String(v.to_owned())))
    }
}

/// One list item: decoded, converted, dropped.
struct ItemSeed<'c, 'a> {
    ctx: &'c mut JsonCtx<'a>,
}

impl<'de> DeserializeSeed<'de> for ItemSeed<'_, '_> {
    type Value = ();

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        let line = self.ctx.line.get();
        let v = ITEM_VALUE.deserialize(d)?;
        self.ctx.item(v, line);
        Ok(())
    }
}

/// Decodes a `Value`, except the field at `skip` (a path of keys), which is
/// skipped unbuilt: `metadata.managedFields` is often the bulk of an object
/// and never read.
#[derive(Clone, Copy)]
struct Pruned {
    skip: &'static [&'static str],
    expecting: &'static str,
}

/// A list item or a document: a whole object but its managed fields.
const ITEM_VALUE: Pruned = Pruned {
    skip: &["metadata", "managedFields"],
    expecting: "a Kubernetes object",
};

/// An object's `metadata` but its managed fields.
const METADATA: Pruned = Pruned {
    skip: &["managedFields"],
    expecting: "object metadata",
};

impl<'de> DeserializeSeed<'de> for Pruned {
    type Value = Value;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Pruned {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut obj = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            match self.skip {
                [last] if key == *last => {
                    map.next_value::<de::IgnoredAny>()?;
                }
                [first, rest @ ..] if key == *first => {
                    let inner = Pruned {
                        skip: rest,
                        expecting: self.expecting,
                    };
                    obj.insert(key, map.next_value_seed(inner)?);
                }
                _ => {
                    obj.insert(key, map.next_value()?);
                }
            }
        }
        Ok(Value::Object(obj))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Value, A::Error> {
        Value::deserialize(de::value::SeqAccessDeserializer::new(seq))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(v.into())
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }
}
