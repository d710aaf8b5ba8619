//! `pods/log`: the snapshot's logs, as the kubelet would serve them.
//!
//! `timestamps=true` needs a time for each line, which a captured log does
//! not carry: each line gets the time written at its start (RFC 3339, a
//! klog header, a JSON `ts`/`time` field) when it has one, else the time of
//! the line before, else the container's start.

use jiff::Timestamp;
use serde_json::Value;

use crate::app::Replay;
use crate::error::{ApiError, ApiResult};
use crate::meta::{self, at, str_at};
use crate::request::Params;

fn names(pod: &Value, field: &str) -> Vec<String> {
    at(pod, &["spec", field])
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|c| c.get("name").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

fn status_of<'a>(pod: &'a Value, container: &str) -> Option<&'a Value> {
    [
        "containerStatuses",
        "initContainerStatuses",
        "ephemeralContainerStatuses",
    ]
    .iter()
    .filter_map(|f| at(pod, &["status", f]).and_then(Value::as_array))
    .flatten()
    .find(|s| s.get("name").and_then(Value::as_str) == Some(container))
}

/// The log of a container of a pod, as `params` ask (container, previous,
/// tailLines, limitBytes, timestamps, sinceSeconds, sinceTime).
pub fn logs(r: &Replay, ns: &str, pod_name: &str, params: &Params) -> ApiResult<Vec<u8>> {
    let pods = crate::resources::StorageKey::new("", "pods");
    let pod = r
        .store
        .get(&pods, ns, pod_name)
        .ok_or_else(|| ApiError::not_found("pods", pod_name))?;
    let containers = names(&pod, "containers");
    let init = names(&pod, "initContainers");
    let ephemeral = names(&pod, "ephemeralContainers");
    let container = match params.non_empty("container") {
        Some(c) => c.to_owned(),
        None if containers.len() == 1 => containers[0].clone(),
        None => match meta::str_at(
            &pod,
            &[
                "metadata",
                "annotations",
                "kubectl.kubernetes.io/default-container",
            ],
        ) {
            Some(d) if containers.iter().any(|c| c == d) => d.to_owned(),
            _ => {
                let mut msg = format!(
                    "a container name must be specified for pod {pod_name}, choose one of: [{}]",
                    containers.join(" ")
                );
                if !init.is_empty() {
                    msg.push_str(&format!(
                        " or one of the init containers: [{}]",
                        init.join(" ")
                    ));
                }
                return Err(ApiError::bad_request(msg));
            }
        },
    };
    if ![&containers, &init, &ephemeral]
        .iter()
        .any(|l| l.contains(&container))
    {
        return Err(ApiError::bad_request(format!(
            "container {container} is not valid for pod {pod_name}"
        )));
    }
    let previous = params.flag("previous");
    let only = containers.len() + init.len() + ephemeral.len() == 1;
    let status = status_of(&pod, &container);
    let text = match r.logs.find(ns, pod_name, &container, previous, only) {
        Some(t) => t,
        None if previous => {
            return Err(ApiError::bad_request(format!(
                "previous terminated container \"{container}\" in pod \"{pod_name}\" not found"
            )));
        }
        None => {
            let waiting = status.and_then(|s| str_at(s, &["state", "waiting", "reason"]));
            let never_ran = status.is_none_or(|s| at(s, &["lastState", "terminated"]).is_none());
            match waiting {
                Some(w) if never_ran => {
                    return Err(ApiError::bad_request(format!(
                        "container \"{container}\" in pod \"{pod_name}\" is waiting to start: {w}"
                    )));
                }
                _ => "".into(),
            }
        }
    };
    let start = status
        .and_then(|s| {
            let path: &[&str] = if previous {
                &["lastState", "terminated", "startedAt"]
            } else {
                &["state", "running", "startedAt"]
            };
            str_at(s, path).or_else(|| str_at(s, &["state", "terminated", "startedAt"]))
        })
        .and_then(|t| t.parse::<Timestamp>().ok());
    let timestamps = params.flag("timestamps");
    let since = match (
        params.number("sinceSeconds")?,
        params.non_empty("sinceTime"),
    ) {
        (Some(s), _) => r
            .clock
            .now()
            .checked_sub(jiff::SignedDuration::from_secs(s))
            .ok(),
        (None, Some(t)) => Some(
            t.parse::<Timestamp>()
                .map_err(|_| ApiError::bad_request(format!("invalid sinceTime {t:?}")))?,
        ),
        (None, None) => None,
    };
    let mut lines: Vec<(Option<Timestamp>, &str)> = Vec::new();
    let mut last = start;
    for l in text.split_inclusive('\n') {
        if let Some(t) = line_time(l, start.map(|s| s.to_zoned(jiff::tz::TimeZone::UTC).year())) {
            last = Some(t);
        }
        lines.push((last, l));
    }
    if let Some(s) = since {
        lines.retain(|(t, _)| t.is_none_or(|t| t >= s));
    }
    if let Some(n) = params.number("tailLines")? {
        let n = n.max(0) as usize;
        if lines.len() > n {
            lines.drain(..lines.len() - n);
        }
    }
    let mut out = Vec::new();
    for (t, l) in lines {
        if timestamps {
            let t = t.unwrap_or_else(|| r.clock.now());
            out.extend_from_slice(t.to_string().as_bytes());
            out.push(b' ');
        }
        out.extend_from_slice(l.as_bytes());
    }
    if let Some(limit) = params.number("limitBytes")?
        && limit > 0
    {
        out.truncate(limit as usize);
    }
    Ok(out)
}

/// The time a log line says it was written, if it says.
fn line_time(line: &str, year: Option<i16>) -> Option<Timestamp> {
    let l = line.trim_start();
    // RFC 3339 at the start (--timestamps captures, many loggers).
    if let Some(tok) = l.split_whitespace().next()
        && tok.len() >= 20
        && tok.as_bytes()[4] == b'-'
        && let Ok(t) = tok.trim_end_matches(',').parse::<Timestamp>()
    {
        return Some(t);
    }
    // JSON with a time field (zap writes `ts` as RFC 3339 or epoch seconds).
    if l.starts_with('{') {
        let v: Value = serde_json::from_str(l.trim_end()).ok()?;
        for k in ["ts", "time", "timestamp", "@timestamp"] {
            match v.get(k) {
                Some(Value::String(s)) => {
                    if let Ok(t) = s.parse::<Timestamp>() {
                        return Some(t);
                    }
                }
                Some(Value::Number(n)) => {
                    if let Some(f) = n.as_f64() {
                        return Timestamp::from_microsecond((f * 1e6) as i64).ok();
                    }
                }
                _ => {}
            }
        }
        return None;
    }
    // klog: `I0412 10:01:02.123456 ...` (no year: the container's).
    let b = l.as_bytes();
    if b.len() > 21 && b"IWEF".contains(&b[0]) && b[5] == b' ' && b[8] == b':' {
        let (mo, d) = (
            l.get(1..3)?.parse::<i8>().ok()?,
            l.get(3..5)?.parse::<i8>().ok()?,
        );
        let time = l.get(6..21)?;
        let date = jiff::civil::date(year?, mo, d);
        let t: jiff::civil::Time = time.parse().ok()?;
        return date
            .to_datetime(t)
            .to_zoned(jiff::tz::TimeZone::UTC)
            .ok()
            .map(|z| z.timestamp());
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_times() {
        assert_eq!(
            line_time("2024-04-12T10:01:02.5Z hello\n", None)
                .unwrap()
                .to_string(),
            "2024-04-12T10:01:02.5Z"
        );
        assert_eq!(
            line_time("{\"ts\":\"2024-04-12T10:01:02Z\",\"msg\":\"x\"}\n", None)
                .unwrap()
                .to_string(),
            "2024-04-12T10:01:02Z"
        );
        assert_eq!(
            line_time("{\"ts\":1712916062.5}\n", None)
                .unwrap()
                .to_string(),
            "2024-04-12T10:01:02.5Z"
        );
        assert_eq!(
            line_time("I0412 10:01:02.123456       1 main.go:1] x\n", Some(2024))
                .unwrap()
                .to_string(),
            "2024-04-12T10:01:02.123456Z"
        );
        assert_eq!(line_time("plain\n", Some(2024)), None);
    }
}
