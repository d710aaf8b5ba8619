//! `config-gc` as Knative 1.12 reads it (serving `pkg/gc/config.go`), with the
//! errors worded exactly as Knative words them, so a user can match what the
//! controller logged.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use serde::{Serialize, Serializer};

/// `retain-since-create-time`.
pub const KEY_RETAIN_CREATE: &str = "retain-since-create-time";
/// `retain-since-last-active-time`.
pub const KEY_RETAIN_ACTIVE: &str = "retain-since-last-active-time";
/// `min-non-active-revisions`.
pub const KEY_MIN: &str = "min-non-active-revisions";
/// `max-non-active-revisions`.
pub const KEY_MAX: &str = "max-non-active-revisions";
/// The four keys Knative reads (v2 GC, the only keys since release-0.20).
pub const KEYS: [&str; 4] = [KEY_RETAIN_CREATE, KEY_RETAIN_ACTIVE, KEY_MIN, KEY_MAX];

/// v1 GC keys, removed in release-0.20: Knative ignores them today, but users
/// following old blog posts still set them.
pub const LEGACY_KEYS: [&str; 5] = [
    "stale-revision-create-delay",
    "stale-revision-timeout",
    "stale-revision-lastpinned-debounce",
    "stale-revision-minimum-generations",
    "responsive-revision-gc",
];

/// The documentation block Knative ships; keys inside it have no effect.
pub const EXAMPLE_KEY: &str = "_example";

const DISABLED: &str = "disabled";
const DEFAULT_MIN: u64 = 20;
const DEFAULT_MAX: u64 = 1000;
const DEFAULT_RETAIN_CREATE: Duration = Duration::from_secs(48 * 3600);
const DEFAULT_RETAIN_ACTIVE: Duration = Duration::from_secs(15 * 3600);

/// A time-based retention knob: disabled, or a duration a Revision must exceed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retention {
    /// `"disabled"`: the check is off.
    Disabled,
    /// Keep Revisions younger than this.
    After(Duration),
}

impl Retention {
    /// The duration, unless disabled.
    pub fn duration(&self) -> Option<Duration> {
        match self {
            Retention::Disabled => None,
            Retention::After(d) => Some(*d),
        }
    }

    /// True when `"disabled"`.
    pub fn is_disabled(&self) -> bool {
        matches!(self, Retention::Disabled)
    }
}

impl fmt::Display for Retention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Retention::Disabled => f.write_str(DISABLED),
            Retention::After(d) => f.write_str(&format_duration(*d)),
        }
    }
}

impl Serialize for Retention {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// `max-non-active-revisions`: disabled, or a cap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxRevisions {
    /// `"disabled"`: no cap.
    Disabled,
    /// At most this many non-active Revisions per Configuration.
    Limit(u64),
}

impl MaxRevisions {
    /// The cap, unless disabled.
    pub fn limit(&self) -> Option<u64> {
        match self {
            MaxRevisions::Disabled => None,
            MaxRevisions::Limit(n) => Some(*n),
        }
    }
}

impl fmt::Display for MaxRevisions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxRevisions::Disabled => f.write_str(DISABLED),
            MaxRevisions::Limit(n) => write!(f, "{n}"),
        }
    }
}

impl Serialize for MaxRevisions {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Where an ignored setting sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IgnoredWhere {
    /// Inside the `_example` block, where edits do nothing.
    Example,
    /// A v1 GC key that Knative stopped reading in release-0.20.
    Legacy,
}

/// A setting present in the ConfigMap that Knative does not apply.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IgnoredSetting {
    pub key: String,
    pub value: String,
    #[serde(rename = "where")]
    pub place: IgnoredWhere,
}

/// The effective Revision GC settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GcConfig {
    pub retain_since_create_time: Retention,
    pub retain_since_last_active_time: Retention,
    pub min_non_active_revisions: u64,
    pub max_non_active_revisions: MaxRevisions,
    /// Keys set at the top level of `data` (the rest are Knative's defaults).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub explicit: Vec<String>,
    /// Settings present but not applied: edits inside `_example`, legacy keys.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ignored: Vec<IgnoredSetting>,
    /// Oddities Knative accepts silently (see [`GcConfig::from_data`]).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl Default for GcConfig {
    /// Knative's code defaults: 48h, 15h, min 20, max 1000.
    fn default() -> Self {
        GcConfig {
            retain_since_create_time: Retention::After(DEFAULT_RETAIN_CREATE),
            retain_since_last_active_time: Retention::After(DEFAULT_RETAIN_ACTIVE),
            min_non_active_revisions: DEFAULT_MIN,
            max_non_active_revisions: MaxRevisions::Limit(DEFAULT_MAX),
            explicit: Vec::new(),
            ignored: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// A `config-gc` Knative would reject. `Display` is Knative's own message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GcConfigError {
    /// A value that does not parse.
    #[error("{0}")]
    Parse(String),
    /// `min-non-active-revisions` negative.
    #[error("min-non-active-revisions must be non-negative, was: {0}")]
    NegativeMin(i64),
    /// `min > max` with max enabled.
    #[error("min-non-active-revisions({min}) must be <= max-non-active-revisions({max})")]
    MinAboveMax { min: i64, max: i64 },
    /// A `--set` that is not `key=value` or names a key Knative does not read.
    #[error("{0}")]
    BadOverride(String),
}

impl GcConfig {
    /// Reads a config-gc `data` map as Knative 1.12 does.
    ///
    /// Only top-level keys count. Empty strings keep the default for the
    /// duration keys and max (Knative reads those as strings first), but an
    /// empty `min-non-active-revisions` is an error, because Knative parses it
    /// straight with `strconv.ParseInt`. A max above 2^63-1 wraps like Go's
    /// `int64(uint64)`: 2^64-1 becomes "disabled", other such values delete
    /// every unprotected Revision (recorded in [`GcConfig::warnings`]).
    pub fn from_data(data: &BTreeMap<String, String>) -> Result<GcConfig, GcConfigError> {
        let mut c = GcConfig::default();
        // Knative's order: cm.Parse (min) first, then the string-read keys.
        let mut min: i64 = DEFAULT_MIN as i64;
        if let Some(raw) = data.get(KEY_MIN) {
            min = parse_go_int64(raw).map_err(|e| {
                GcConfigError::Parse(format!(
                    "failed to parse data: failed to parse \"{KEY_MIN}\": {e}"
                ))
            })?;
        }
        if let Some(r) = retention_key(data, KEY_RETAIN_CREATE)? {
            c.retain_since_create_time = r;
        }
        if let Some(r) = retention_key(data, KEY_RETAIN_ACTIVE)? {
            c.retain_since_last_active_time = r;
        }
        // Knative keeps max as int64; -1 means disabled.
        let max: i64 = match data.get(KEY_MAX).map(String::as_str) {
            None | Some("") => DEFAULT_MAX as i64,
            Some(raw) if raw.eq_ignore_ascii_case(DISABLED) => -1,
            Some(raw) => parse_go_uint64(raw)
                .map_err(|e| GcConfigError::Parse(format!("failed to parse {KEY_MAX}: {e}")))?
                as i64,
        };
        if min < 0 {
            return Err(GcConfigError::NegativeMin(min));
        }
        if max >= 0 && min > max {
            return Err(GcConfigError::MinAboveMax { min, max });
        }
        c.min_non_active_revisions = min as u64;
        c.max_non_active_revisions = match max {
            -1 => MaxRevisions::Disabled,
            m if m < 0 => {
                c.warnings.push(format!(
                    "{KEY_MAX} {:?} overflows Knative's int64 to {m}: every unprotected Revision is deleted, ignoring {KEY_MIN}",
                    data[KEY_MAX]
                ));
                MaxRevisions::Limit(0)
            }
            m => MaxRevisions::Limit(m as u64),
        };
        c.explicit = KEYS
            .iter()
            .filter(|k| data.contains_key(**k))
            .map(|k| (*k).to_owned())
            .collect();
        for k in LEGACY_KEYS {
            if let Some(v) = data.get(k) {
                c.ignored.push(IgnoredSetting {
                    key: k.to_owned(),
                    value: v.clone(),
                    place: IgnoredWhere::Legacy,
                });
            }
        }
        if let Some(example) = data.get(EXAMPLE_KEY) {
            c.ignored.extend(example_edits(example, data));
        }
        Ok(c)
    }

    /// [`GcConfig::from_data`] after applying `--set key=value` overrides to the top level.
    pub fn from_data_with_overrides(
        data: &BTreeMap<String, String>,
        overrides: &[(String, String)],
    ) -> Result<GcConfig, GcConfigError> {
        let mut merged = data.clone();
        for (k, v) in overrides {
            if !KEYS.contains(&k.as_str()) {
                return Err(unknown_key(k));
            }
            merged.insert(k.clone(), v.clone());
        }
        GcConfig::from_data(&merged)
    }

    /// The data of a `config-gc` ConfigMap.
    pub fn from_config_map(cm: &crate::evidence::ConfigMap) -> Result<GcConfig, GcConfigError> {
        GcConfig::from_data(&cm.data)
    }

    /// Whether GC does nothing at all (max and both time checks disabled).
    pub fn is_disabled(&self) -> bool {
        self.max_non_active_revisions == MaxRevisions::Disabled
            && self.retain_since_create_time.is_disabled()
            && self.retain_since_last_active_time.is_disabled()
    }

    /// Whether both time checks are disabled (no Revision is ever stale).
    pub fn time_checks_disabled(&self) -> bool {
        self.retain_since_create_time.is_disabled()
            && self.retain_since_last_active_time.is_disabled()
    }

    /// The four settings as ConfigMap data, in Knative's spelling.
    pub fn to_data(&self) -> Vec<(String, String)> {
        vec![
            (
                KEY_RETAIN_CREATE.to_owned(),
                self.retain_since_create_time.to_string(),
            ),
            (
                KEY_RETAIN_ACTIVE.to_owned(),
                self.retain_since_last_active_time.to_string(),
            ),
            (
                KEY_MIN.to_owned(),
                self.min_non_active_revisions.to_string(),
            ),
            (
                KEY_MAX.to_owned(),
                self.max_non_active_revisions.to_string(),
            ),
        ]
    }

    /// Whether a key was set at the top level.
    pub fn is_explicit(&self, key: &str) -> bool {
        self.explicit.iter().any(|k| k == key)
    }
}

fn unknown_key(k: &str) -> GcConfigError {
    GcConfigError::BadOverride(format!(
        "unknown config-gc key {k:?}: Knative reads only {}",
        KEYS.join(", ")
    ))
}

/// Parses one `--set key=value` argument.
pub fn parse_override(s: &str) -> Result<(String, String), GcConfigError> {
    let (k, v) = s
        .split_once('=')
        .ok_or_else(|| GcConfigError::BadOverride(format!("expected key=value, got {s:?}")))?;
    let k = k.trim();
    if !KEYS.contains(&k) {
        return Err(unknown_key(k));
    }
    Ok((k.to_owned(), v.to_owned()))
}

/// The value Knative ships for a key inside `_example`.
fn shipped_example_value(key: &str) -> Option<&'static str> {
    Some(match key {
        KEY_RETAIN_CREATE => "48h",
        KEY_RETAIN_ACTIVE => "15h",
        KEY_MIN => "20",
        KEY_MAX => "1000",
        _ => return None,
    })
}

/// Uncommented `key: value` lines inside `_example` whose value differs from
/// what Knative ships and from the top level: someone edited the example,
/// believing it applies.
fn example_edits(example: &str, data: &BTreeMap<String, String>) -> Vec<IgnoredSetting> {
    let mut out = Vec::new();
    for line in example.lines() {
        let t = line.trim();
        if t.starts_with('#') {
            continue;
        }
        let Some((k, v)) = t.split_once(':') else {
            continue;
        };
        let k = k.trim();
        let v = v
            .split(" #")
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches(['"', '\'']);
        let known = KEYS.contains(&k) || LEGACY_KEYS.contains(&k);
        if !known
            || shipped_example_value(k) == Some(v)
            || data.get(k).map(String::as_str) == Some(v)
        {
            continue;
        }
        if !out.iter().any(|o: &IgnoredSetting| o.key == k) {
            out.push(IgnoredSetting {
                key: k.to_owned(),
                value: v.to_owned(),
                place: IgnoredWhere::Example,
            });
        }
    }
    out
}

/// A duration key, with Knative's error prefix; `Ok(None)` keeps the default.
fn retention_key(
    data: &BTreeMap<String, String>,
    key: &str,
) -> Result<Option<Retention>, GcConfigError> {
    match data.get(key) {
        None => Ok(None),
        Some(raw) => parse_disabled_or_duration(raw)
            .map_err(|e| GcConfigError::Parse(format!("failed to parse {key}: {e}"))),
    }
}

/// `parseDisabledOrDuration`: `Ok(None)` keeps the default.
fn parse_disabled_or_duration(val: &str) -> Result<Option<Retention>, String> {
    if val.is_empty() {
        return Ok(None);
    }
    if val.eq_ignore_ascii_case(DISABLED) {
        return Ok(Some(Retention::Disabled));
    }
    match parse_go_duration(val)? {
        n if n < 0 => Err("must be non-negative".to_owned()),
        n => Ok(Some(Retention::After(Duration::from_nanos(n as u64)))),
    }
}

/// Go's `time.ParseDuration`, in nanoseconds, with Go's error texts.
pub fn parse_go_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {}", go_time_quote(orig));
    let mut s = orig.as_bytes();
    let mut neg = false;
    if let Some(&c @ (b'-' | b'+')) = s.first() {
        neg = c == b'-';
        s = &s[1..];
    }
    if s == b"0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut d: u64 = 0;
    while !s.is_empty() {
        if !(s[0] == b'.' || s[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let before = s.len();
        let (v, rest) = leading_int(s).ok_or_else(invalid)?;
        s = rest;
        let pre = before != s.len();
        let mut post = false;
        let (mut f, mut scale) = (0u64, 1f64);
        if s.first() == Some(&b'.') {
            s = &s[1..];
            let before = s.len();
            let (ff, sc, rest) = leading_fraction(s);
            (f, scale, s) = (ff, sc, rest);
            post = before != s.len();
        }
        if !pre && !post {
            return Err(invalid());
        }
        let i = s
            .iter()
            .position(|&c| c == b'.' || c.is_ascii_digit())
            .unwrap_or(s.len());
        if i == 0 {
            return Err(format!(
                "time: missing unit in duration {}",
                go_time_quote(orig)
            ));
        }
        let u = &s[..i];
        s = &s[i..];
        let unit: u64 = match u {
            b"ns" => 1,
            // `us`, `µs` (U+00B5) and `μs` (U+03BC), as Go accepts all three.
            b"us" | b"\xc2\xb5s" | b"\xce\xbcs" => 1_000,
            b"ms" => 1_000_000,
            b"s" => 1_000_000_000,
            b"m" => 60_000_000_000,
            b"h" => 3_600_000_000_000,
            _ => {
                let u = String::from_utf8_lossy(u);
                return Err(format!(
                    "time: unknown unit {} in duration {}",
                    go_time_quote(&u),
                    go_time_quote(orig)
                ));
            }
        };
        if v > (1u64 << 63) / unit {
            return Err(invalid());
        }
        let mut v = v * unit;
        if f > 0 {
            v += (f as f64 * (unit as f64 / scale)) as u64;
            if v > 1u64 << 63 {
                return Err(invalid());
            }
        }
        d = d.checked_add(v).ok_or_else(invalid)?;
        if d > 1u64 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((d as i64).wrapping_neg());
    }
    if d > (1u64 << 63) - 1 {
        return Err(invalid());
    }
    Ok(d as i64)
}

fn leading_int(s: &[u8]) -> Option<(u64, &[u8])> {
    let mut x: u64 = 0;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if x > (1u64 << 63) / 10 {
            return None;
        }
        x = x * 10 + u64::from(s[i] - b'0');
        if x > 1u64 << 63 {
            return None;
        }
        i += 1;
    }
    Some((x, &s[i..]))
}

fn leading_fraction(s: &[u8]) -> (u64, f64, &[u8]) {
    let mut x: u64 = 0;
    let mut scale = 1f64;
    let mut overflow = false;
    let mut i = 0;
    while i < s.len() && s[i].is_ascii_digit() {
        if !overflow {
            if x > ((1u64 << 63) - 1) / 10 {
                overflow = true;
            } else {
                let y = x * 10 + u64::from(s[i] - b'0');
                if y > 1u64 << 63 {
                    overflow = true;
                } else {
                    x = y;
                    scale *= 10.0;
                }
            }
        }
        i += 1;
    }
    (x, scale, &s[i..])
}

/// Go's `time.quote`: ASCII printable as is (`"` and `\` escaped), anything
/// else as `\x..` bytes.
fn go_time_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        if (c as u32) < 0x20 || (c as u32) >= 0x80 {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("\\x{b:02x}"));
            }
        } else {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.Quote`, close enough for error messages.
fn go_strconv_quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\x07' => out.push_str("\\a"),
            '\x08' => out.push_str("\\b"),
            '\x0c' => out.push_str("\\f"),
            '\x0b' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Go's `strconv.ParseUint(s, 10, 64)`, with Go's error text.
pub fn parse_go_uint64(s: &str) -> Result<u64, String> {
    parse_digits(s).map_err(|range| {
        let why = if range {
            "value out of range"
        } else {
            "invalid syntax"
        };
        format!("strconv.ParseUint: parsing {}: {why}", go_strconv_quote(s))
    })
}

/// Go's `strconv.ParseInt(s, 10, 64)`, with Go's error text.
pub fn parse_go_int64(s: &str) -> Result<i64, String> {
    let err = |range: bool| {
        let why = if range {
            "value out of range"
        } else {
            "invalid syntax"
        };
        format!("strconv.ParseInt: parsing {}: {why}", go_strconv_quote(s))
    };
    let (neg, digits) = match s.as_bytes().first() {
        Some(b'+') => (false, &s[1..]),
        Some(b'-') => (true, &s[1..]),
        _ => (false, s),
    };
    let un = parse_digits(digits).map_err(err)?;
    let cutoff = 1u64 << 63;
    if !neg && un >= cutoff {
        return Err(err(true));
    }
    if neg && un > cutoff {
        return Err(err(true));
    }
    Ok(if neg {
        (un as i64).wrapping_neg()
    } else {
        un as i64
    })
}

/// Base-10 digits only; `Err(true)` for overflow (reported as soon as it
/// happens, as Go does), `Err(false)` for bad syntax.
fn parse_digits(s: &str) -> Result<u64, bool> {
    if s.is_empty() {
        return Err(false);
    }
    let mut n: u64 = 0;
    for b in s.bytes() {
        if !b.is_ascii_digit() {
            return Err(false);
        }
        n = n
            .checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(true)?;
    }
    Ok(n)
}

/// A compact Go-style duration: `48h`, `1h30m`, `90s` → `1m30s`, `500ms`.
pub fn format_duration(d: Duration) -> String {
    if d.is_zero() {
        return "0s".to_owned();
    }
    let secs = d.as_secs();
    let nanos = d.subsec_nanos();
    if secs == 0 {
        return if nanos.is_multiple_of(1_000_000) {
            format!("{}ms", nanos / 1_000_000)
        } else {
            format!("{nanos}ns")
        };
    }
    let (h, m, s) = (secs / 3600, (secs / 60) % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || nanos > 0 {
        if nanos > 0 {
            let frac = format!("{nanos:09}");
            out.push_str(&format!("{s}.{}s", frac.trim_end_matches('0')));
        } else {
            out.push_str(&format!("{s}s"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn empty_data_gives_knative_defaults() {
        let c = GcConfig::from_data(&BTreeMap::new()).unwrap();
        assert_eq!(c, GcConfig::default());
        assert_eq!(c.retain_since_create_time.to_string(), "48h");
        assert_eq!(c.retain_since_last_active_time.to_string(), "15h");
        assert_eq!(c.min_non_active_revisions, 20);
        assert_eq!(c.max_non_active_revisions, MaxRevisions::Limit(1000));
        assert!(c.explicit.is_empty());
    }

    #[test]
    fn disabled_is_case_insensitive_and_empty_keeps_default() {
        let c = GcConfig::from_data(&data(&[
            (KEY_RETAIN_CREATE, "Disabled"),
            (KEY_RETAIN_ACTIVE, "DISABLED"),
            (KEY_MAX, ""),
            (KEY_MIN, "3"),
        ]))
        .unwrap();
        assert!(c.time_checks_disabled());
        assert_eq!(c.max_non_active_revisions, MaxRevisions::Limit(1000));
        assert_eq!(c.min_non_active_revisions, 3);
        assert!(!c.is_disabled());
        assert_eq!(c.explicit.len(), 4);
        let off = GcConfig::from_data(&data(&[
            (KEY_RETAIN_CREATE, "disabled"),
            (KEY_RETAIN_ACTIVE, "disabled"),
            (KEY_MAX, "disabled"),
        ]))
        .unwrap();
        assert!(off.is_disabled());
        assert_eq!(
            GcConfig::from_data(&data(&[(KEY_RETAIN_CREATE, "")])).unwrap(),
            GcConfig {
                explicit: vec![KEY_RETAIN_CREATE.to_owned()],
                ..GcConfig::default()
            }
        );
    }

    #[test]
    fn errors_read_as_knative_writes_them() {
        let cases: &[(&[(&str, &str)], &str)] = &[
            (
                &[(KEY_RETAIN_CREATE, "abc")],
                "failed to parse retain-since-create-time: time: invalid duration \"abc\"",
            ),
            (
                &[(KEY_RETAIN_ACTIVE, "10")],
                "failed to parse retain-since-last-active-time: time: missing unit in duration \"10\"",
            ),
            (
                &[(KEY_RETAIN_ACTIVE, "2d")],
                "failed to parse retain-since-last-active-time: time: unknown unit \"d\" in duration \"2d\"",
            ),
            (
                &[(KEY_RETAIN_CREATE, "-1h")],
                "failed to parse retain-since-create-time: must be non-negative",
            ),
            (
                &[(KEY_MIN, "two")],
                "failed to parse data: failed to parse \"min-non-active-revisions\": strconv.ParseInt: parsing \"two\": invalid syntax",
            ),
            (
                &[(KEY_MIN, "")],
                "failed to parse data: failed to parse \"min-non-active-revisions\": strconv.ParseInt: parsing \"\": invalid syntax",
            ),
            (
                &[(KEY_MIN, "-3")],
                "min-non-active-revisions must be non-negative, was: -3",
            ),
            (
                &[(KEY_MAX, "-1")],
                "failed to parse max-non-active-revisions: strconv.ParseUint: parsing \"-1\": invalid syntax",
            ),
            (
                &[(KEY_MAX, "99999999999999999999")],
                "failed to parse max-non-active-revisions: strconv.ParseUint: parsing \"99999999999999999999\": value out of range",
            ),
            (
                &[(KEY_MIN, "30"), (KEY_MAX, "5")],
                "min-non-active-revisions(30) must be <= max-non-active-revisions(5)",
            ),
        ];
        for (d, want) in cases {
            let got = GcConfig::from_data(&data(d));
            assert_eq!(got.unwrap_err().to_string(), *want, "{d:?}");
        }
        // min above the default max is an error too.
        let e = GcConfig::from_data(&data(&[(KEY_MIN, "1001")])).unwrap_err();
        assert_eq!(
            e.to_string(),
            "min-non-active-revisions(1001) must be <= max-non-active-revisions(1000)"
        );
        // min is parsed before the durations, as in Knative.
        let e =
            GcConfig::from_data(&data(&[(KEY_MIN, "x"), (KEY_RETAIN_CREATE, "y")])).unwrap_err();
        assert!(e.to_string().contains("min-non-active-revisions"), "{e}");
        // A disabled max lifts the min <= max rule.
        let c = GcConfig::from_data(&data(&[(KEY_MIN, "5000"), (KEY_MAX, "disabled")])).unwrap();
        assert_eq!(c.min_non_active_revisions, 5000);
    }

    #[test]
    fn max_wraps_like_go_int64() {
        let c = GcConfig::from_data(&data(&[(KEY_MAX, "18446744073709551615")])).unwrap();
        assert_eq!(c.max_non_active_revisions, MaxRevisions::Disabled);
        let c = GcConfig::from_data(&data(&[(KEY_MAX, "9223372036854775808")])).unwrap();
        assert_eq!(c.max_non_active_revisions, MaxRevisions::Limit(0));
        assert_eq!(c.warnings.len(), 1);
    }

    #[test]
    fn example_edits_and_legacy_keys_are_detected_not_applied() {
        let example = "# comment\n    # min-non-active-revisions: \"0\"\n    retain-since-create-time: \"48h\"\n    min-non-active-revisions: \"2\"\n    max-non-active-revisions: \"5\"\n";
        let c = GcConfig::from_data(&data(&[
            (EXAMPLE_KEY, example),
            ("stale-revision-create-delay", "1h"),
        ]))
        .unwrap();
        assert_eq!(c.min_non_active_revisions, 20);
        assert_eq!(c.max_non_active_revisions, MaxRevisions::Limit(1000));
        let ex: Vec<(&str, &str)> = c
            .ignored
            .iter()
            .filter(|i| i.place == IgnoredWhere::Example)
            .map(|i| (i.key.as_str(), i.value.as_str()))
            .collect();
        assert_eq!(ex, [(KEY_MIN, "2"), (KEY_MAX, "5")]);
        assert!(
            c.ignored
                .iter()
                .any(|i| i.place == IgnoredWhere::Legacy && i.key == "stale-revision-create-delay")
        );
        // The shipped example alone is no trap.
        let shipped = "retain-since-create-time: \"48h\"\nretain-since-last-active-time: \"15h\"\nmin-non-active-revisions: \"20\"\nmax-non-active-revisions: \"1000\"\n";
        assert!(
            GcConfig::from_data(&data(&[(EXAMPLE_KEY, shipped)]))
                .unwrap()
                .ignored
                .is_empty()
        );
        // The same value also set at the top level is applied, so not a trap.
        let both = GcConfig::from_data(&data(&[
            (EXAMPLE_KEY, "min-non-active-revisions: \"2\""),
            (KEY_MIN, "2"),
        ]))
        .unwrap();
        assert!(both.ignored.is_empty());
    }

    #[test]
    fn overrides_apply_on_top_and_reject_unknown_keys() {
        let base = data(&[(KEY_MIN, "10")]);
        let c = GcConfig::from_data_with_overrides(
            &base,
            &[parse_override("max-non-active-revisions=12").unwrap()],
        )
        .unwrap();
        assert_eq!(
            (c.min_non_active_revisions, c.max_non_active_revisions),
            (10, MaxRevisions::Limit(12))
        );
        assert!(parse_override("max-non-active-revisions").is_err());
        assert!(parse_override("stale-revision-timeout=1h").is_err());
        let e =
            GcConfig::from_data_with_overrides(&base, &[(KEY_MAX.into(), "3".into())]).unwrap_err();
        assert_eq!(
            e.to_string(),
            "min-non-active-revisions(10) must be <= max-non-active-revisions(3)"
        );
    }

    #[test]
    fn go_duration_parser_matches_go() {
        let ok: &[(&str, i64)] = &[
            ("0", 0),
            ("15m", 900_000_000_000),
            ("1h30m", 5_400_000_000_000),
            ("1.5h", 5_400_000_000_000),
            ("300ms", 300_000_000),
            ("+5s", 5_000_000_000),
            ("1µs", 1000),
            (".5s", 500_000_000),
            ("-2s", -2_000_000_000),
        ];
        for (s, n) in ok {
            assert_eq!(parse_go_duration(s), Ok(*n), "{s}");
        }
        let bad: &[(&str, &str)] = &[
            ("", "time: invalid duration \"\""),
            ("1..5s", "time: missing unit in duration \"1..5s\""),
            (".s", "time: invalid duration \".s\""),
            (
                "5µx",
                "time: unknown unit \"\\xc2\\xb5x\" in duration \"5\\xc2\\xb5x\"",
            ),
            (
                "9223372036854775808ns",
                "time: invalid duration \"9223372036854775808ns\"",
            ),
        ];
        for (s, e) in bad {
            assert_eq!(parse_go_duration(s).unwrap_err(), *e, "{s}");
        }
    }

    #[test]
    fn go_int_parsers_match_go() {
        assert_eq!(parse_go_int64("+7"), Ok(7));
        assert_eq!(parse_go_int64("-9223372036854775808"), Ok(i64::MIN));
        assert!(
            parse_go_int64("9223372036854775808")
                .unwrap_err()
                .ends_with("value out of range")
        );
        assert!(
            parse_go_int64(" 1")
                .unwrap_err()
                .ends_with("invalid syntax")
        );
        assert!(
            parse_go_uint64("+1")
                .unwrap_err()
                .ends_with("invalid syntax")
        );
        assert_eq!(parse_go_uint64("18446744073709551615"), Ok(u64::MAX));
    }

    #[test]
    fn durations_format_compactly() {
        assert_eq!(format_duration(Duration::from_secs(48 * 3600)), "48h");
        assert_eq!(format_duration(Duration::from_secs(5400)), "1h30m");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::ZERO), "0s");
    }
}
