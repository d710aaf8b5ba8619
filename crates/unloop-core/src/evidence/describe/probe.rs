//! describe's probe lines (`DescribeProbe`):
//!
//! ```text
//! http-get http://:probes/health delay=0s timeout=1s period=5s #success=1 #failure=6
//! tcp-socket :8081 delay=0s timeout=1s period=10s #success=1 #failure=3
//! exec [cat /tmp/healthy] delay=15s timeout=1s period=20s #success=1 #failure=3
//! grpc <pod>:9090 my.Service delay=0s timeout=1s period=10s successThreshold=1 failureThreshold=30
//! ```
//! kubectl 1.37 renamed `#success`/`#failure` to `successThreshold`/`failureThreshold`.

use crate::evidence::model::{Probe, ProbeHandler};
use crate::evidence::source::Source;

/// Parses a probe line; `None` when it is not one (or its handler is `unknown`).
pub(crate) fn parse_probe(line: &str, source: Source) -> Option<Probe> {
    let line = line.trim();
    // Attributes come last; an exec command or URL could hold ` delay=` itself.
    let at = line.rfind(" delay=")?;
    let (handler, attrs) = (line[..at].trim(), line[at..].trim());
    let handler = parse_handler(handler)?;
    let mut p = Probe::with_defaults(handler, source);
    for kv in attrs.split_whitespace() {
        let Some((k, v)) = kv.split_once('=') else {
            continue;
        };
        let n = v.trim_end_matches('s').parse::<u32>();
        let Ok(n) = n else { continue };
        match k {
            "delay" => p.initial_delay_seconds = n,
            "timeout" => p.timeout_seconds = n,
            "period" => p.period_seconds = n,
            "#success" | "successThreshold" => p.success_threshold = n,
            "#failure" | "failureThreshold" => p.failure_threshold = n,
            _ => {}
        }
    }
    Some(p)
}

fn parse_handler(h: &str) -> Option<ProbeHandler> {
    let (kind, rest) = h.split_once(' ').unwrap_or((h, ""));
    let rest = rest.trim();
    match kind {
        "http-get" => {
            let (scheme, after) = rest.split_once("://")?;
            let split = after.find(['/', '?']).unwrap_or(after.len());
            let (hostport, path) = after.split_at(split);
            let (host, port) = split_host_port(hostport);
            Some(ProbeHandler::HttpGet {
                scheme: scheme.to_ascii_uppercase(),
                host,
                port: port.to_owned(),
                path: path.to_owned(),
            })
        }
        "tcp-socket" => {
            let (host, port) = split_host_port(rest);
            Some(ProbeHandler::TcpSocket {
                host,
                port: port.to_owned(),
            })
        }
        "exec" => {
            let inner = rest.strip_prefix('[').unwrap_or(rest);
            let inner = inner.strip_suffix(']').unwrap_or(inner);
            Some(ProbeHandler::Exec {
                command: inner.split_whitespace().map(str::to_owned).collect(),
            })
        }
        "grpc" => {
            let (target, service) = rest.split_once(' ').unwrap_or((rest, ""));
            let port = target.rsplit_once(':').map_or(target, |(_, p)| p);
            let service = service.trim();
            Some(ProbeHandler::Grpc {
                port: port.to_owned(),
                service: (!service.is_empty()).then(|| service.to_owned()),
            })
        }
        _ => None,
    }
}

/// `:8080` → (None, `8080`); `10.0.0.1:5432`; `[::1]:8080`.
fn split_host_port(s: &str) -> (Option<String>, &str) {
    if let Some((host, port)) = s.strip_prefix('[').and_then(|r| r.split_once("]:")) {
        return (Some(host.to_owned()), port);
    }
    match s.rsplit_once(':') {
        Some((h, p)) => ((!h.is_empty()).then(|| h.to_owned()), p),
        None => (None, s),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Probe {
        parse_probe(s, Source::new("d.txt")).unwrap()
    }

    #[test]
    fn knative_http_probe() {
        let pr =
            p("http-get http://:probes/health delay=0s timeout=1s period=5s #success=1 #failure=6");
        assert_eq!(
            pr.handler,
            ProbeHandler::HttpGet {
                scheme: "HTTP".into(),
                host: None,
                port: "probes".into(),
                path: "/health".into()
            }
        );
        assert_eq!(
            (
                pr.initial_delay_seconds,
                pr.timeout_seconds,
                pr.period_seconds
            ),
            (0, 1, 5)
        );
        assert_eq!((pr.success_threshold, pr.failure_threshold), (1, 6));
        assert_eq!(pr.failure_budget().as_secs(), 30);
    }

    #[test]
    fn kubectl_1_37_thresholds_and_other_handlers() {
        let pr = p(
            "http-get https://10.0.0.1:8443/healthz?verbose=1 delay=60s timeout=1s period=30s successThreshold=1 failureThreshold=3",
        );
        assert_eq!(pr.initial_delay_seconds, 60);
        assert_eq!(pr.failure_threshold, 3);
        match pr.handler {
            ProbeHandler::HttpGet {
                scheme,
                host,
                port,
                path,
            } => {
                assert_eq!(scheme, "HTTPS");
                assert_eq!(host.as_deref(), Some("10.0.0.1"));
                assert_eq!(port, "8443");
                assert_eq!(path, "/healthz?verbose=1");
            }
            h => panic!("{h:?}"),
        }
        assert_eq!(
            p("tcp-socket :8081 delay=0s timeout=1s period=10s #success=1 #failure=3").handler,
            ProbeHandler::TcpSocket {
                host: None,
                port: "8081".into()
            }
        );
        assert_eq!(
            p("exec [cat /tmp/healthy] delay=15s timeout=1s period=20s #success=1 #failure=3")
                .handler,
            ProbeHandler::Exec {
                command: vec!["cat".into(), "/tmp/healthy".into()]
            }
        );
        assert_eq!(
            p("grpc <pod>:9090  delay=0s timeout=1s period=10s #success=1 #failure=30").handler,
            ProbeHandler::Grpc {
                port: "9090".into(),
                service: None
            }
        );
        assert_eq!(
            p("grpc <pod>:9090 my.Health delay=0s timeout=1s period=10s #success=1 #failure=30")
                .handler,
            ProbeHandler::Grpc {
                port: "9090".into(),
                service: Some("my.Health".into())
            }
        );
        match p(
            "http-get http://[::1]:8080/ready delay=0s timeout=1s period=10s #success=1 #failure=3",
        )
        .handler
        {
            ProbeHandler::HttpGet { host, port, .. } => {
                assert_eq!(host.as_deref(), Some("::1"));
                assert_eq!(port, "8080");
            }
            h => panic!("{h:?}"),
        }
        assert!(parse_probe("unknown delay=0s timeout=1s", Source::new("x")).is_none());
        assert!(parse_probe("http-get http://:8080/", Source::new("x")).is_none());
    }
}
