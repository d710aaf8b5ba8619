//! Kubernetes objects as JSON or YAML into the model.
//!
//! Inputs are `kubectl get -o json|yaml` output (single objects, `kind: List`),
//! typed lists as `kubectl cluster-info dump` writes them (`PodList`, `EventList`,
//! ... whose items lack kind and apiVersion), concatenated JSON documents and
//! multi-document YAML.
//!
//! - [`read_json_stream`] streams: a list's `items` are decoded one at a time and
//!   dropped once converted, so a 1 GiB `PodList` costs memory for one pod, not
//!   for the file.
//! - [`read_yaml`] splits documents on `---` / `...` lines and decodes one document
//!   at a time.
//! - [`ingest_value`] converts one decoded object (or list).
//!
//! Every object read is counted ([`EvidenceBuilder::count`] under [`count_key`]);
//! Secrets are only counted, never kept.

mod convert;
pub(crate) mod json;
mod raw;
mod yaml;

pub use raw::{
    RawObjectSink, for_each_object_in, for_each_object_json, for_each_object_yaml, strip_secret,
};

#[cfg(test)]
mod tests;

use std::io::BufRead;

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::source::Source;

/// API groups whose kinds are counted by bare kind (`Pod`, `Deployment`, `Job`,
/// `Lease`); every other group is spelled out (`Revision.serving.knative.dev`).
/// `events.k8s.io` serves the same stored Events as core/v1, and `extensions`
/// is the pre-1.16 home of the apps kinds, so both count with their core twins.
const BARE_GROUPS: [&str; 7] = [
    "",
    "core",
    "apps",
    "batch",
    "coordination.k8s.io",
    "events.k8s.io",
    "extensions",
];

/// The key objects are counted under: `Kind` for core, apps, batch and
/// coordination kinds, `Kind.group` otherwise (`Ingress.networking.internal.knative.dev`).
pub fn count_key(api_version: &str, kind: &str) -> String {
    let group = api_version.rsplit_once('/').map_or("", |(g, _)| g);
    if BARE_GROUPS.contains(&group) {
        kind.to_owned()
    } else {
        format!("{kind}.{group}")
    }
}

/// Reads concatenated JSON documents (objects, `List`s, typed lists) from a
/// stream, without holding the stream in memory.
///
/// Objects read before an error stay in the builder; the error names the line
/// and column where reading stopped (JSON cannot be resynchronised after it).
pub fn read_json_stream<R: BufRead>(
    r: R,
    origin: &Source,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    read_json_stream_at(r, origin, 1, b)
}

/// [`read_json_stream`] for JSON that starts at line `first_line` of its input
/// (a part of a mixed paste), so sources and errors cite lines of the whole input.
pub fn read_json_stream_at<R: BufRead>(
    r: R,
    origin: &Source,
    first_line: u32,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    json::read_stream(r, origin, first_line, b)
}

/// Reads (multi-document) YAML text that starts after `line_offset` lines of
/// its input.
///
/// A broken document does not stop the others: the first error is returned
/// (with its line in the whole input) after every document has been read, and
/// any later ones are recorded as error diagnostics.
pub fn read_yaml(
    text: &str,
    origin: &Source,
    line_offset: u32,
    b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    yaml::read(text, origin, line_offset, b)
}

/// Adds one decoded object (or list) to the model. `source` names where it was
/// read (its line, if known); each object adds a field such as `Pod ns/name`.
///
/// Lenient by design: missing fields stay unknown and mistyped fields are
/// skipped. Values that are not objects, and objects without a kind, become
/// diagnostics.
pub fn ingest_value(v: serde_json::Value, source: &Source, b: &mut EvidenceBuilder) {
    convert::ingest(v, source, &convert::ListDefaults::default(), None, b);
}
