//! Terminal decisions: colour only on a TTY without NO_COLOR, unless forced.

use std::io::IsTerminal;

use unloop_core::report::style::Style;

use crate::cli::{ColorChoice, TermArgs};

/// The style for stdout.
pub fn style(t: &TermArgs) -> Style {
    let color = match t.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    Style {
        color,
        width: t.width.max(40),
    }
}
