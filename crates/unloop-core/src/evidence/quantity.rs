//! Kubernetes resource quantities (`300m`, `1`, `400Mi`, `1.5Gi`, `128974848`, `1e3`).

/// Parses a CPU quantity into millicores: `300m` → 300, `1` → 1000, `1.5` → 1500.
pub fn parse_cpu_millis(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(m) = s.strip_suffix('m') {
        return m.parse::<u64>().ok();
    }
    if let Some(n) = s.strip_suffix('n') {
        return n.parse::<u64>().ok().map(|n| n / 1_000_000);
    }
    if let Some(u) = s.strip_suffix('u') {
        return u.parse::<u64>().ok().map(|u| u / 1_000);
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| (v * 1000.0).round() as u64)
}

/// Parses a memory quantity into bytes: `400Mi`, `1Gi`, `512M`, `1e9`, `128974848`.
pub fn parse_memory_bytes(s: &str) -> Option<u64> {
    let s = s.trim();
    const SUFFIXES: [(&str, f64); 13] = [
        ("Ki", 1024.0),
        ("Mi", 1048576.0),
        ("Gi", 1073741824.0),
        ("Ti", 1099511627776.0),
        ("Pi", 1125899906842624.0),
        ("Ei", 1152921504606846976.0),
        ("k", 1e3),
        ("K", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (suf, mul) in SUFFIXES {
        if let Some(num) = s.strip_suffix(suf) {
            let v: f64 = num.parse().ok()?;
            return (v.is_finite() && v >= 0.0).then(|| (v * mul).round() as u64);
        }
    }
    if let Some(m) = s.strip_suffix('m') {
        // Milli-bytes appear in the wild (`129e6m`); round down to bytes.
        let v: f64 = m.parse().ok()?;
        return (v.is_finite() && v >= 0.0).then(|| (v / 1000.0) as u64);
    }
    let v: f64 = s.parse().ok()?;
    (v.is_finite() && v >= 0.0).then(|| v.round() as u64)
}

/// Formats bytes the way people read limits: `400Mi`, `1.5Gi`, `900Ki`.
pub fn format_bytes(b: u64) -> String {
    const UNITS: [(&str, u64); 4] = [
        ("Ti", 1 << 40),
        ("Gi", 1 << 30),
        ("Mi", 1 << 20),
        ("Ki", 1 << 10),
    ];
    for (u, m) in UNITS {
        if b >= m {
            let v = b as f64 / m as f64;
            return if (v - v.round()).abs() < 0.05 {
                format!("{}{u}", v.round() as u64)
            } else {
                format!("{v:.1}{u}")
            };
        }
    }
    format!("{b}")
}

/// Formats millicores: `300m`, `2` (whole cores).
pub fn format_cpu(m: u64) -> String {
    if m.is_multiple_of(1000) {
        format!("{}", m / 1000)
    } else {
        format!("{m}m")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu() {
        assert_eq!(parse_cpu_millis("300m"), Some(300));
        assert_eq!(parse_cpu_millis("1"), Some(1000));
        assert_eq!(parse_cpu_millis("1.5"), Some(1500));
        assert_eq!(parse_cpu_millis("250000000n"), Some(250));
        assert_eq!(parse_cpu_millis("abc"), None);
        assert_eq!(parse_cpu_millis("-1"), None);
    }

    #[test]
    fn memory() {
        assert_eq!(parse_memory_bytes("400Mi"), Some(400 * 1024 * 1024));
        assert_eq!(parse_memory_bytes("1Gi"), Some(1 << 30));
        assert_eq!(parse_memory_bytes("512M"), Some(512_000_000));
        assert_eq!(parse_memory_bytes("128974848"), Some(128_974_848));
        assert_eq!(parse_memory_bytes("1e3"), Some(1000));
        assert_eq!(parse_memory_bytes("x"), None);
    }

    #[test]
    fn formatting() {
        assert_eq!(format_bytes(400 * 1024 * 1024), "400Mi");
        assert_eq!(format_bytes(1536 * 1024 * 1024), "1.5Gi");
        assert_eq!(format_cpu(300), "300m");
        assert_eq!(format_cpu(2000), "2");
    }
}
