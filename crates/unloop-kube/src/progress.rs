//! Progress on stderr: only on a terminal, never with machine output.

use std::io::{IsTerminal, Write};

/// Where progress goes (nowhere unless enabled).
#[derive(Debug, Clone, Copy, Default)]
pub struct Progress {
    enabled: bool,
}

impl Progress {
    /// Progress when stderr is a terminal and `machine_output` is false.
    pub fn auto(machine_output: bool) -> Progress {
        Progress {
            enabled: !machine_output && std::io::stderr().is_terminal(),
        }
    }

    /// No progress at all.
    pub fn silent() -> Progress {
        Progress { enabled: false }
    }

    /// Replaces the progress line.
    pub fn step(&self, msg: &str) {
        if self.enabled {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[Kunloop: {msg}");
            let _ = e.flush();
        }
    }

    /// Clears the progress line.
    pub fn done(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr().lock(), "\r\x1b[K");
        }
    }
}
