//! Reports out: terminal text, JSON and Markdown renderings of a diagnosis, and
//! of the evidence itself. Renderers only print: they never decide anything.

pub mod evidence;
pub mod gc;
pub mod markdown;
pub mod style;
pub mod text;

use crate::diagnose::Diagnosis;

/// The JSON report of a diagnosis (schema: `docs/diagnosis-schema.md`).
pub fn json(d: &Diagnosis) -> String {
    serde_json::to_string_pretty(d).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}
