//! The merged timeline of the moments that matter.
