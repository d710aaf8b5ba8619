//! `kubectl describe` text: pods, nodes, deployments (kubectl 1.20 to 1.37).
//! (Being written: see the module owner's task.)

use super::builder::EvidenceBuilder;
use super::error::InputError;
use super::text::TextInput;

/// Reads one `kubectl describe pod` output (one or more pods).
pub fn read_describe_pod(_t: &TextInput<'_>, _b: &mut EvidenceBuilder) -> Result<(), InputError> {
    Ok(())
}

/// Reads one `kubectl describe node` output.
pub fn read_describe_node(_t: &TextInput<'_>, _b: &mut EvidenceBuilder) -> Result<(), InputError> {
    Ok(())
}

/// Reads one `kubectl describe deployment` output.
pub fn read_describe_deployment(
    _t: &TextInput<'_>,
    _b: &mut EvidenceBuilder,
) -> Result<(), InputError> {
    Ok(())
}
