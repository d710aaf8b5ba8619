//! `kubectl cluster-info dump`: the `--output-directory` tree and the stdout stream.
//! (Being written: see the module owner's task.)

use std::io::BufRead;
use std::path::Path;

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::source::Source;

/// Whether a directory looks like a `cluster-info dump --output-directory` tree.
pub fn is_dump_dir(_dir: &Path) -> bool {
    false
}

/// Reads the single-stream form: JSON lists back to back, then log blocks.
pub fn read_dump_stream<R: BufRead>(
    _r: R,
    _origin: &Source,
    _b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    Ok(())
}

/// Reads a file of `==== START logs for container C of pod ns/p ====` blocks.
pub fn read_dump_logs<R: BufRead>(
    _r: R,
    _origin: &Source,
    _b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    Ok(())
}
