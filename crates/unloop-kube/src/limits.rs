//! Every bound the collector keeps, in one place.

use std::time::Duration;

/// Bounds on what is read and how fast.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Log lines per container run (`tailLines`).
    pub tail_lines: i64,
    /// Log bytes per container run (`limitBytes`).
    pub limit_bytes: i64,
    /// Items per list page (`limit`); pages keep memory flat whatever the cluster size.
    pub page_size: u32,
    /// Troubled pods read in detail; the rest are named as not collected.
    pub max_troubled_pods: usize,
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Sustained requests per second (client-side token bucket).
    pub qps: f64,
    /// Requests allowed in a burst above `qps`.
    pub burst: u32,
    /// Hard deadline for the whole collection.
    pub timeout: Duration,
    /// Longest wait for one request before it is retried.
    pub request_timeout: Duration,
    /// Retries of one request on 429, 5xx, timeouts and closed connections.
    pub max_retries: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            tail_lines: 2000,
            limit_bytes: 4 * 1024 * 1024,
            page_size: 500,
            max_troubled_pods: 20,
            concurrency: 8,
            // kubectl's and client-go's defaults are 5/10 before priority and
            // fairness; 20/40 is what recent client-go uses when APF is on.
            qps: 20.0,
            burst: 40,
            timeout: Duration::from_secs(60),
            request_timeout: Duration::from_secs(20),
            max_retries: 4,
        }
    }
}
