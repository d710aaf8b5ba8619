//! Container logs in every common shape, one record per line (or per multi-line
//! block), streamed. (Being written: see the module owner's task.)

use super::model::*;
use super::source::Source;

/// What the source says about a log before reading it.
#[derive(Debug, Clone, Default)]
pub struct LogHint {
    pub pod: Option<ObjectRef>,
    pub container: Option<String>,
    pub run: Option<ContainerRun>,
}

/// Streaming log parser: feed lines, then [`LogParser::finish`].
pub struct LogParser {
    source: Source,
    hint: LogHint,
}

impl LogParser {
    /// A parser for one container run's log.
    pub fn new(source: Source, hint: LogHint) -> Self {
        LogParser { source, hint }
    }

    /// Feeds the next line (without its terminator).
    pub fn push_line(&mut self, _line: &str) {}

    /// The parsed stream.
    pub fn finish(self) -> LogStream {
        LogStream {
            pod: self.hint.pod,
            container: self.hint.container,
            run: self.hint.run.unwrap_or(ContainerRun::Unknown),
            format: LogFormat::Plain,
            records: Vec::new(),
            total_records: 0,
            dropped: 0,
            first_time: None,
            last_time: None,
            source: self.source,
        }
    }
}

/// The format of one line, if it is recognisably a log line (used by detection).
pub fn line_format(_line: &str) -> Option<LogFormat> {
    None
}
