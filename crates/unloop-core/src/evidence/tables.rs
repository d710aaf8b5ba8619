//! kubectl tables: `get events` (default, `-o wide`, `-A`), `kubectl events`,
//! `get pods` (`-o wide`), `top pods`, `top nodes`.
//! (Being written: see the module owner's task.)

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::text::TextInput;

/// Reads a `kubectl get events` table or `kubectl events` output.
pub fn read_events_table(_t: &TextInput<'_>, _b: &mut EvidenceBuilder) -> Result<(), InputError> {
    Ok(())
}

/// Reads a `kubectl get pods` table.
pub fn read_pods_table(_t: &TextInput<'_>, _b: &mut EvidenceBuilder) -> Result<(), InputError> {
    Ok(())
}

/// Reads a `kubectl top pods` table.
pub fn read_top_pods(_t: &TextInput<'_>, _b: &mut EvidenceBuilder) -> Result<(), InputError> {
    Ok(())
}

/// Reads a `kubectl top nodes` table.
pub fn read_top_nodes(_t: &TextInput<'_>, _b: &mut EvidenceBuilder) -> Result<(), InputError> {
    Ok(())
}
