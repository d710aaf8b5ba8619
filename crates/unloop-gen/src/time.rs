//! Timestamp formatting without any date library: the handful of layouts Kubernetes tools print.
//!
//! All times are microseconds since the Unix epoch, UTC.

/// A second, in microseconds.
pub const SEC: i64 = 1_000_000;
/// A minute, in microseconds.
pub const MIN: i64 = 60 * SEC;
/// An hour, in microseconds.
pub const HOUR: i64 = 60 * MIN;
/// A day, in microseconds.
pub const DAY: i64 = 24 * HOUR;

/// 2024-04-12T00:00:00Z
pub const BASE: i64 = 1_712_880_000 * SEC;

#[derive(Clone, Copy)]
struct Civil {
    year: i64,
    month: u32,
    day: u32,
    hour: u32,
    minute: u32,
    second: u32,
    micros: u32,
}

fn civil(us: i64) -> Civil {
    let secs = us.div_euclid(SEC);
    let micros = us.rem_euclid(SEC) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's civil_from_days
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    Civil {
        year: if m <= 2 { y + 1 } else { y },
        month: m,
        day: d,
        hour: sod / 3600,
        minute: (sod / 60) % 60,
        second: sod % 60,
        micros,
    }
}

#[inline]
fn d2(out: &mut Vec<u8>, v: u32) {
    out.push(b'0' + (v / 10) as u8);
    out.push(b'0' + (v % 10) as u8);
}

#[inline]
fn dn(out: &mut Vec<u8>, v: u32, n: usize) {
    let mut buf = [b'0'; 9];
    let mut x = v;
    for i in (0..n).rev() {
        buf[i] = b'0' + (x % 10) as u8;
        x /= 10;
    }
    out.extend_from_slice(&buf[..n]);
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `2024<sep>04<sep>12`
fn date(out: &mut Vec<u8>, c: &Civil, sep: u8) {
    dn(out, c.year as u32, 4);
    out.push(sep);
    d2(out, c.month);
    out.push(sep);
    d2(out, c.day);
}

/// `12<sep>Apr<sep>2024`
fn day_month_year(out: &mut Vec<u8>, c: &Civil, sep: u8) {
    d2(out, c.day);
    out.push(sep);
    out.extend_from_slice(MONTHS[(c.month - 1) as usize].as_bytes());
    out.push(sep);
    dn(out, c.year as u32, 4);
}

fn clock(out: &mut Vec<u8>, c: &Civil) {
    d2(out, c.hour);
    out.push(b':');
    d2(out, c.minute);
    out.push(b':');
    d2(out, c.second);
}

/// `2024-04-12T09:14:07`, the start of every RFC 3339 layout.
fn date_time(out: &mut Vec<u8>, c: &Civil) {
    date(out, c, b'-');
    out.push(b'T');
    clock(out, c);
}

/// metav1.Time: `2024-04-12T09:14:07Z`
pub fn rfc3339(out: &mut Vec<u8>, us: i64) {
    let c = civil(us);
    date_time(out, &c);
    out.push(b'Z');
}

/// metav1.MicroTime: `2024-04-12T09:14:07.381522Z`
pub fn micro(out: &mut Vec<u8>, us: i64) {
    let c = civil(us);
    date_time(out, &c);
    out.push(b'.');
    dn(out, c.micros, 6);
    out.push(b'Z');
}

/// Go RFC3339Nano (zap/zapdriver `timestamp`): trailing zeros trimmed; `extra_ns` adds nanoseconds.
pub fn rfc3339nano(out: &mut Vec<u8>, us: i64, extra_ns: u32) {
    let c = civil(us);
    date_time(out, &c);
    let ns = c.micros * 1000 + extra_ns % 1000;
    if ns != 0 {
        out.push(b'.');
        dn(out, ns, 9);
        // Not past the dot: ns has a non-zero digit.
        while out.last() == Some(&b'0') {
            out.pop();
        }
    }
    out.push(b'Z');
}

/// controller-runtime zap console / ISO8601 with millis: `2024-04-12T09:14:07.381Z`
pub fn iso_millis(out: &mut Vec<u8>, us: i64) {
    let c = civil(us);
    date_time(out, &c);
    out.push(b'.');
    dn(out, c.micros / 1000, 3);
    out.push(b'Z');
}

/// klog header: `I0412 09:14:07.381522       1 file.go:123] `
pub fn klog(out: &mut Vec<u8>, sev: u8, us: i64, pid: u32, fileline: &str) {
    let c = civil(us);
    out.push(sev);
    d2(out, c.month);
    d2(out, c.day);
    out.push(b' ');
    clock(out, &c);
    out.push(b'.');
    dn(out, c.micros, 6);
    out.push(b' ');
    let mut pidbuf = [b' '; 7];
    let mut x = pid;
    let mut i = 7;
    loop {
        i -= 1;
        pidbuf[i] = b'0' + (x % 10) as u8;
        x /= 10;
        if x == 0 || i == 0 {
            break;
        }
    }
    out.extend_from_slice(&pidbuf);
    out.push(b' ');
    out.extend_from_slice(fileline.as_bytes());
    out.extend_from_slice(b"] ");
}

/// Go std log: `2024/04/12 09:14:07`
pub fn stdlog(out: &mut Vec<u8>, us: i64) {
    let c = civil(us);
    date(out, &c, b'/');
    out.push(b' ');
    clock(out, &c);
}

/// utils/trace start stamp: `12-Apr-2024 09:14:07.270`
pub fn trace_start(out: &mut Vec<u8>, us: i64) {
    let c = civil(us);
    day_month_year(out, &c, b'-');
    out.push(b' ');
    clock(out, &c);
    out.push(b'.');
    dn(out, c.micros / 1000, 3);
}

/// Common Log Format stamp (nginx/Apache access logs): `12/Apr/2024:09:14:07 +0000`
pub fn clf(out: &mut Vec<u8>, us: i64) {
    let c = civil(us);
    day_month_year(out, &c, b'/');
    out.push(b':');
    clock(out, &c);
    out.extend_from_slice(b" +0000");
}

/// Unix seconds as zap's epoch float (`1712915921.734019`).
pub fn epoch_float(out: &mut Vec<u8>, us: i64) {
    push_u64(out, us.div_euclid(SEC) as u64);
    out.push(b'.');
    let mut frac = us.rem_euclid(SEC) as u32;
    if frac == 0 {
        out.push(b'0');
        return;
    }
    let mut digits = 6;
    while frac.is_multiple_of(10) {
        frac /= 10;
        digits -= 1;
    }
    dn(out, frac, digits);
}

/// `v` in decimal.
#[inline]
pub fn push_u64(out: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = 20;
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[i..]);
}

/// `v` in decimal, with its sign.
pub fn push_i64(out: &mut Vec<u8>, v: i64) {
    if v < 0 {
        out.push(b'-');
        push_u64(out, v.unsigned_abs());
    } else {
        push_u64(out, v as u64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(f: impl Fn(&mut Vec<u8>)) -> String {
        let mut v = Vec::new();
        f(&mut v);
        String::from_utf8(v).unwrap()
    }

    #[test]
    fn formats() {
        let t = BASE + 9 * HOUR + 14 * MIN + 7 * SEC + 381_522;
        assert_eq!(s(|o| rfc3339(o, t)), "2024-04-12T09:14:07Z");
        assert_eq!(s(|o| micro(o, t)), "2024-04-12T09:14:07.381522Z");
        assert_eq!(s(|o| rfc3339nano(o, t, 0)), "2024-04-12T09:14:07.381522Z");
        assert_eq!(
            s(|o| rfc3339nano(o, t, 17)),
            "2024-04-12T09:14:07.381522017Z"
        );
        assert_eq!(s(|o| rfc3339nano(o, BASE, 0)), "2024-04-12T00:00:00Z");
        assert_eq!(s(|o| iso_millis(o, t)), "2024-04-12T09:14:07.381Z");
        assert_eq!(
            s(|o| klog(o, b'I', t, 1, "trace.go:236")),
            "I0412 09:14:07.381522       1 trace.go:236] "
        );
        assert_eq!(s(|o| stdlog(o, t)), "2024/04/12 09:14:07");
        assert_eq!(s(|o| trace_start(o, t)), "12-Apr-2024 09:14:07.381");
        assert_eq!(s(|o| clf(o, t - 10 * HOUR)), "11/Apr/2024:23:14:07 +0000");
        assert_eq!(s(|o| epoch_float(o, t)), "1712913247.381522");
        assert_eq!(s(|o| rfc3339(o, 0)), "1970-01-01T00:00:00Z");
        assert_eq!(
            s(|o| rfc3339(o, (951_782_400) * SEC)),
            "2000-02-29T00:00:00Z"
        );
    }
}
