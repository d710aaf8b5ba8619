//! Evidence in: readers for everything an operator holds, into one model.
//!
//! - [`model`]: the normalized model every rule reads.
//! - [`read`]: entry points: files, directories, stdin, bytes.
//! - [`detect`] and [`paste`]: what an input is, and splitting mixed pastes.
//! - one module per format: [`describe`], [`tables`], [`objects`], [`dump`], [`logs`].
//! - [`raw`]: objects and logs as they were written, for serving (the replay server).
//! - [`timeline`]: the merged timeline of the moments that matter.

pub mod builder;
pub mod describe;
pub mod detect;
pub mod dump;
pub mod error;
pub mod logs;
pub mod model;
pub mod objects;
pub mod paste;
pub mod quantity;
pub mod raw;
pub mod read;
pub mod revisions;
pub mod source;
pub mod tables;
pub mod text;
pub mod time;
pub mod timeline;

pub use builder::EvidenceBuilder;
pub use error::InputError;
pub use model::*;
pub use read::{ReadOptions, read_bytes, read_paths};
pub use revisions::{RevisionRef, Revisions};
pub use source::Source;
pub use text::TextInput;
pub use time::{Anchor, AnchorId, TimeRef};
