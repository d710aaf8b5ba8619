//! Kubernetes objects as JSON or YAML into the model.
//! (Being written: see the module owner's task.)

use std::io::BufRead;

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::source::Source;

/// Reads concatenated JSON documents (objects, `List`s, typed lists) from a stream.
pub fn read_json_stream<R: BufRead>(
    _r: R,
    _origin: &Source,
    _b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    Ok(())
}

/// Reads (multi-document) YAML text.
pub fn read_yaml(
    _text: &str,
    _origin: &Source,
    _line_offset: u32,
    _b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    Ok(())
}

/// Adds one decoded object (or list) to the model.
pub fn ingest_value(_v: serde_json::Value, _source: &Source, _b: &mut EvidenceBuilder) {}
