//! Provenance: where every piece of evidence came from.
//!
//! A finding may only say what it can cite, so every item of the model carries a
//! [`Source`]: the input it was read from (a file, stdin, a live API path) and,
//! inside it, a line number or an object field.

use std::fmt;
use std::sync::Arc;

use serde::{Serialize, Serializer};

/// Where a piece of evidence was read from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Source {
    /// The input: a file path as given by the user, `<stdin>`, or `live:<api path>`.
    pub origin: Arc<str>,
    /// 1-based line inside the input, when the input is text.
    pub line: Option<u32>,
    /// The object and field the item came from, e.g. `Pod knative-serving/x .status.containerStatuses[0]`.
    pub field: Option<Arc<str>>,
}

impl Source {
    /// A source naming a whole input.
    pub fn new(origin: impl Into<Arc<str>>) -> Self {
        Source {
            origin: origin.into(),
            line: None,
            field: None,
        }
    }

    /// The same input at another line.
    pub fn at_line(&self, line: u32) -> Self {
        Source {
            origin: self.origin.clone(),
            line: Some(line),
            field: self.field.clone(),
        }
    }

    /// The same input and line, naming a field inside it.
    pub fn with_field(&self, field: impl Into<Arc<str>>) -> Self {
        Source {
            origin: self.origin.clone(),
            line: self.line,
            field: Some(field.into()),
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.origin)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(field) = &self.field {
            write!(f, " ({field})")?;
        }
        Ok(())
    }
}

impl Serialize for Source {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_and_field() {
        let s = Source::new("dump/ns/pods.json")
            .at_line(12)
            .with_field("Pod ns/p .status");
        assert_eq!(s.to_string(), "dump/ns/pods.json:12 (Pod ns/p .status)");
        assert_eq!(Source::new("<stdin>").to_string(), "<stdin>");
    }
}
