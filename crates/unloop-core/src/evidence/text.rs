//! A slice of text handed to a reader, with where it sits in its input.

use super::source::Source;

/// Text to read, with the input it came from and its first line's number.
///
/// A part of a mixed paste starts somewhere in the middle of its file; readers
/// report lines relative to the whole input through [`TextInput::source_at`].
#[derive(Debug, Clone)]
pub struct TextInput<'a> {
    pub text: &'a str,
    /// The input as a whole (its `line` is ignored).
    pub origin: Source,
    /// Lines before `text` in the input (0 when `text` is the whole input).
    pub line_offset: u32,
}

impl<'a> TextInput<'a> {
    /// A whole input.
    pub fn new(text: &'a str, origin: Source) -> Self {
        TextInput {
            text,
            origin,
            line_offset: 0,
        }
    }

    /// The source of the `idx`-th line (0-based) of `text`.
    pub fn source_at(&self, idx: usize) -> Source {
        self.origin.at_line(self.line_offset + idx as u32 + 1)
    }

    /// The 1-based input line number of the `idx`-th line of `text`.
    pub fn line_no(&self, idx: usize) -> u32 {
        self.line_offset + idx as u32 + 1
    }

    /// Lines of `text` with their 0-based index, without line terminators.
    pub fn lines(&self) -> impl Iterator<Item = (usize, &'a str)> + 'a {
        self.text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .enumerate()
    }
}
