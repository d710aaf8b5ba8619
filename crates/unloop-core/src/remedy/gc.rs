//! Knative Revision garbage collection, with Knative's exact semantics.
