//! Facts several rules read: probe failures and their modes, probe kills,
//! back-offs, and how long each container run lived.

use std::time::Duration;

use jiff::Timestamp;

use super::context::Context;
use crate::evidence::*;

/// How a probe failed, which says what the process was doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProbeFailureMode {
    /// `connect: connection refused`: nothing listens yet (still starting).
    ConnectionRefused,
    /// `context deadline exceeded`, `Client.Timeout exceeded`, `i/o timeout`,
    /// an exec `timed out`: listening but too slow.
    Timeout,
    /// `HTTP probe failed with statuscode: N`: the app reports itself unhealthy.
    HttpStatus(u16),
    /// An exec probe's own output.
    ExecOutput,
    /// The probe could not run (`probe errored`).
    Errored,
}

impl ProbeFailureMode {
    /// Plain words for reports.
    pub fn describe(&self) -> String {
        match self {
            ProbeFailureMode::ConnectionRefused => "connection refused (nothing listening)".into(),
            ProbeFailureMode::Timeout => "timed out (listening, but too slow to answer)".into(),
            ProbeFailureMode::HttpStatus(c) => {
                format!("HTTP {c} (the app reports itself unhealthy)")
            }
            ProbeFailureMode::ExecOutput => "exec probe command failed".into(),
            ProbeFailureMode::Errored => "probe could not run".into(),
        }
    }
}

/// Classifies a kubelet `Unhealthy` event message.
pub fn classify_probe_message(msg: &str) -> Option<(ProbeKind, ProbeFailureMode)> {
    let kind = if msg.starts_with("Liveness probe") {
        ProbeKind::Liveness
    } else if msg.starts_with("Readiness probe") {
        ProbeKind::Readiness
    } else if msg.starts_with("Startup probe") {
        ProbeKind::Startup
    } else {
        return None;
    };
    let m = msg;
    let mode = if m.contains(" errored") {
        ProbeFailureMode::Errored
    } else if m.contains("connection refused") {
        ProbeFailureMode::ConnectionRefused
    } else if m.contains("context deadline exceeded")
        || m.contains("Client.Timeout exceeded")
        || m.contains("i/o timeout")
        || m.contains("request canceled")
        || m.contains("timed out")
        || m.contains("timeout:")
    {
        ProbeFailureMode::Timeout
    } else if let Some(code) = m
        .split("statuscode: ")
        .nth(1)
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|d| d.parse().ok())
    {
        ProbeFailureMode::HttpStatus(code)
    } else {
        ProbeFailureMode::ExecOutput
    };
    Some((kind, mode))
}

/// One kind of probe failure seen in events.
#[derive(Debug, Clone)]
pub struct ProbeFailure<'a> {
    pub kind: ProbeKind,
    pub mode: ProbeFailureMode,
    pub event: &'a Event,
}

/// Probe failures of the subject, from `Unhealthy` events.
pub fn probe_failures<'a>(cx: &Context<'a>) -> Vec<ProbeFailure<'a>> {
    cx.events()
        .into_iter()
        .filter(|e| e.reason == "Unhealthy")
        .filter_map(|e| {
            classify_probe_message(&e.message).map(|(kind, mode)| ProbeFailure {
                kind,
                mode,
                event: e,
            })
        })
        .collect()
}

/// `Killing` events that say the kubelet restarted a container for a failed probe.
pub fn probe_kills<'a>(cx: &Context<'a>) -> Vec<(ProbeKind, &'a Event)> {
    cx.events()
        .into_iter()
        .filter(|e| e.reason == "Killing")
        .filter_map(|e| {
            if e.message.contains("failed liveness probe") {
                Some((ProbeKind::Liveness, e))
            } else if e.message.contains("failed startup probe") {
                Some((ProbeKind::Startup, e))
            } else {
                None
            }
        })
        .collect()
}

/// Kubelet back-off events (`Back-off restarting failed container`).
pub fn backoffs<'a>(cx: &Context<'a>) -> Vec<&'a Event> {
    cx.events()
        .into_iter()
        .filter(|e| e.reason == "BackOff" && e.message.contains("restarting failed container"))
        .collect()
}

/// Total count over events.
pub fn total_count(events: &[&Event]) -> u32 {
    events.iter().map(|e| e.count.max(1)).sum()
}

/// One finished run of a container.
#[derive(Debug, Clone)]
pub struct Run {
    pub pod: String,
    pub container: String,
    pub started: Timestamp,
    pub finished: Timestamp,
    pub exit_code: Option<i32>,
    pub reason: Option<String>,
    pub source: Source,
    /// True when the run's span comes from its log's first and last timed
    /// lines: a lower bound, since a process may live on silently after its
    /// last line.
    pub from_log: bool,
}

impl Run {
    /// How long it lived.
    pub fn lived(&self) -> Duration {
        let d = self.finished.duration_since(self.started);
        Duration::try_from(d).unwrap_or_default()
    }
}

/// Finished runs: each container's last terminated state, and previous-run logs
/// (first to last timed line) where no terminated state covers them.
pub fn runs(cx: &Context<'_>) -> Vec<Run> {
    let mut out = Vec::new();
    for (p, c) in cx.containers() {
        if let Some(ContainerState::Terminated {
            started: Some(s),
            finished: Some(f),
            exit_code,
            reason,
            ..
        }) = &c.last_state
            && let (Some(s), Some(f)) = (cx.resolve(s), cx.resolve(f))
        {
            out.push(Run {
                pod: p.meta.name.clone(),
                container: c.name.clone(),
                started: s,
                finished: f,
                exit_code: *exit_code,
                reason: reason.clone(),
                from_log: false,
                source: p.container_source(c),
            });
        }
    }
    for l in cx.logs().filter(|l| l.run == ContainerRun::Previous) {
        let pod = l.pod.as_ref().map(|p| p.name.clone()).unwrap_or_default();
        let covered = out.iter().any(|r| r.pod == pod);
        if let (false, Some(s), Some(f)) = (covered, l.first_time, l.last_time) {
            out.push(Run {
                pod,
                container: l.container.clone().unwrap_or_default(),
                started: s,
                finished: f,
                exit_code: None,
                reason: None,
                source: l.source.clone(),
                from_log: true,
            });
        }
    }
    out
}

/// Formats seconds briefly: `31 s`, `4 min 10 s`.
pub fn secs(d: Duration) -> String {
    let s = d.as_secs();
    if s < 120 {
        format!("{s} s")
    } else if s.is_multiple_of(60) {
        format!("{} min", s / 60)
    } else {
        format!("{} min {} s", s / 60, s % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probe_messages_classify_by_mode() {
        use ProbeFailureMode::*;
        let cases = [
            (
                r#"Liveness probe failed: Get "http://10.244.1.7:8080/health": dial tcp 10.244.1.7:8080: connect: connection refused"#,
                ProbeKind::Liveness,
                ConnectionRefused,
            ),
            (
                r#"Liveness probe failed: Get "http://10.42.3.2:9876/health": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"#,
                ProbeKind::Liveness,
                Timeout,
            ),
            (
                "Readiness probe failed: dial tcp 10.0.0.3:5432: i/o timeout",
                ProbeKind::Readiness,
                Timeout,
            ),
            (
                "Liveness probe failed: HTTP probe failed with statuscode: 503",
                ProbeKind::Liveness,
                HttpStatus(503),
            ),
            (
                "Liveness probe failed: cat: can't open '/tmp/healthy': No such file or directory",
                ProbeKind::Liveness,
                ExecOutput,
            ),
            (
                r#"Liveness probe failed: command "cat /tmp/healthy" timed out"#,
                ProbeKind::Liveness,
                Timeout,
            ),
            (
                "Startup probe errored and resulted in unknown state: rpc error: code = Unknown",
                ProbeKind::Startup,
                Errored,
            ),
        ];
        for (msg, kind, mode) in cases {
            assert_eq!(classify_probe_message(msg), Some((kind, mode)), "{msg}");
        }
        assert_eq!(
            classify_probe_message("Back-off restarting failed container"),
            None
        );
    }
}
