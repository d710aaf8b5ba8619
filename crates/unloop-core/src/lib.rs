//! unloop's core: the evidence model and its readers, the diagnosis rules, the
//! reports and the remediation planning. No network and no async: everything here
//! runs on data already read, so it builds in seconds and tests without a cluster.
//!
//! Data flows one way: [`evidence`] readers produce an [`evidence::Evidence`];
//! rules read it and emit findings; reports print findings.

pub mod diagnose;
pub mod evidence;
pub mod redact;
pub mod remedy;
pub mod report;
