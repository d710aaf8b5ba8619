//! Errors met while reading evidence. Each names the input and where in it.

use std::path::PathBuf;

use thiserror::Error;

/// An input, or part of one, could not be read.
///
/// Readers return what they could read before the error; the error says where
/// reading stopped so the user can look.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum InputError {
    /// The file or directory could not be opened or read.
    #[error("{path}: {message}")]
    Io { path: PathBuf, message: String },
    /// Bytes that are not UTF-8 text.
    #[error("{origin}:{line}: invalid UTF-8 at byte offset {offset}")]
    InvalidUtf8 {
        origin: String,
        line: u32,
        offset: u64,
    },
    /// Binary data (NUL bytes) where text was expected.
    #[error("{origin}: binary data at byte offset {offset}, not text")]
    Binary { origin: String, offset: u64 },
    /// Malformed or truncated JSON.
    #[error("{origin}:{line}:{column}: invalid JSON: {message}")]
    Json {
        origin: String,
        line: u32,
        column: u32,
        message: String,
    },
    /// Malformed or truncated YAML.
    #[error("{origin}:{line}: invalid YAML: {message}")]
    Yaml {
        origin: String,
        line: u32,
        message: String,
    },
    /// Recognised as a format, but a required part is malformed.
    #[error("{origin}:{line}: {message}")]
    Malformed {
        origin: String,
        line: u32,
        message: String,
    },
}
