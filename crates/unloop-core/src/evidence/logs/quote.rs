//! Go-quoted strings and `key=value` pairs, as klog, klogr, logrus and slog
//! print them (`strconv.Quote` / `%q` for strings, bare tokens for the rest).

/// Parses the Go double-quoted string at the start of `s` (which must start
/// with `"`). Returns the unescaped value and the bytes consumed, or `None`
/// when the string is not terminated (a truncated line).
pub(crate) fn unquote_prefix(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    if b.first() != Some(&b'"') {
        return None;
    }
    // Fast path: no escapes before the closing quote.
    let end = memchr::memchr2(b'"', b'\\', &b[1..])? + 1;
    if b[end] == b'"' {
        return Some((s[1..end].to_owned(), end + 1));
    }
    let mut out: Vec<u8> = Vec::with_capacity(s.len());
    out.extend_from_slice(&b[1..end]);
    let mut i = end;
    while i < b.len() {
        match b[i] {
            b'"' => return Some((into_string(out), i + 1)),
            b'\\' => {
                let &e = b.get(i + 1)?;
                i += 2;
                match e {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'a' => out.push(0x07),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'v' => out.push(0x0b),
                    b'\\' | b'"' | b'\'' => out.push(e),
                    b'x' => match hex(b, i, 2) {
                        Some(v) => {
                            out.push(v as u8);
                            i += 2;
                        }
                        None => out.extend_from_slice(b"\\x"),
                    },
                    b'u' | b'U' => {
                        let n = if e == b'u' { 4 } else { 8 };
                        match hex(b, i, n).and_then(char::from_u32) {
                            Some(c) => {
                                let mut buf = [0u8; 4];
                                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                                i += n;
                            }
                            None => out.extend_from_slice(&[b'\\', e]),
                        }
                    }
                    b'0'..=b'7' => match octal(b, i - 1) {
                        Some(v) => {
                            out.push(v);
                            i += 2;
                        }
                        None => out.extend_from_slice(&[b'\\', e]),
                    },
                    // Not an escape Go produces: keep it as written.
                    _ => {
                        out.push(b'\\');
                        i -= 1;
                    }
                }
            }
            _ => {
                let next = memchr::memchr2(b'"', b'\\', &b[i..]).map_or(b.len(), |n| i + n);
                out.extend_from_slice(&b[i..next]);
                i = next;
            }
        }
    }
    None
}

fn into_string(v: Vec<u8>) -> String {
    match String::from_utf8(v) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

fn hex(b: &[u8], at: usize, n: usize) -> Option<u32> {
    let s = b.get(at..at + n)?;
    let mut v = 0u32;
    for &c in s {
        v = v * 16 + (c as char).to_digit(16)?;
    }
    Some(v)
}

fn octal(b: &[u8], at: usize) -> Option<u8> {
    let s = b.get(at..at + 3)?;
    let mut v = 0u32;
    for &c in s {
        if !(b'0'..=b'7').contains(&c) {
            return None;
        }
        v = v * 8 + u32::from(c - b'0');
    }
    u8::try_from(v).ok()
}

/// How keys are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum KeyStyle {
    /// `key=value` (klog, logfmt).
    Bare,
    /// `"key"=value` (klogr before klog v2's text logger).
    Quoted,
}

/// How a run of pairs ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PairsEnd {
    /// At the end of the text.
    Done,
    /// At a klog multi-line value (`key=<` ending the line): the last pair's
    /// value continues on the following lines.
    Open,
}

/// Reads `key=value` pairs separated by whitespace into `out`. Values are
/// Go-quoted strings or bare tokens, where a bare token may hold spaces inside
/// brackets (`{Name:x Namespace:y}`, `[a b]`). Fails on text that is not pairs;
/// pairs read before the failure stay in `out`, so callers that need all or
/// nothing must truncate.
pub(crate) fn scan_pairs(
    s: &str,
    style: KeyStyle,
    out: &mut Vec<(String, String)>,
) -> Result<PairsEnd, ()> {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == b.len() {
            return Ok(PairsEnd::Done);
        }
        let key = match style {
            KeyStyle::Quoted => {
                let (k, n) = unquote_prefix(&s[i..]).ok_or(())?;
                i += n;
                k
            }
            KeyStyle::Bare => {
                let start = i;
                while i < b.len() && !matches!(b[i], b'=' | b'"') && !b[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i == start {
                    return Err(());
                }
                s[start..i].to_owned()
            }
        };
        if b.get(i) != Some(&b'=') {
            return Err(());
        }
        i += 1;
        match b.get(i) {
            None => {
                out.push((key, String::new()));
                return Ok(PairsEnd::Done);
            }
            Some(b'"') => {
                let (v, n) = unquote_prefix(&s[i..]).ok_or(())?;
                out.push((key, v));
                i += n;
                if i < b.len() && !b[i].is_ascii_whitespace() {
                    return Err(());
                }
            }
            Some(b'<') if s[i + 1..].trim_end().is_empty() => {
                out.push((key, String::new()));
                return Ok(PairsEnd::Open);
            }
            Some(c) if c.is_ascii_whitespace() => out.push((key, String::new())),
            Some(_) => {
                let start = i;
                let mut depth = 0u32;
                while i < b.len() {
                    match b[i] {
                        b'{' | b'[' | b'(' => depth += 1,
                        b'}' | b']' | b')' => depth = depth.saturating_sub(1),
                        c if c.is_ascii_whitespace() && depth == 0 => break,
                        _ => {}
                    }
                    i += 1;
                }
                out.push((key, s[start..i].to_owned()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unquotes_go_escapes() {
        let s = r#""a \"b\"\n\tc\\ \x41\u00e9\U0001F600\101" rest"#;
        let (v, n) = unquote_prefix(s).unwrap();
        assert_eq!(v, "a \"b\"\n\tc\\ Aé\u{1F600}A");
        assert_eq!(&s[n..], " rest");
        assert_eq!(unquote_prefix(r#""plain" x"#), Some(("plain".into(), 7)));
        assert_eq!(unquote_prefix(r#""unterminated"#), None);
        assert_eq!(unquote_prefix(r#""ends in \"#), None);
        assert_eq!(unquote_prefix(r#""odd \q \x4""#).unwrap().0, r"odd \q \x4");
        // A \x escape that is not UTF-8 is replaced, never a panic.
        assert_eq!(unquote_prefix(r#""\xff""#).unwrap().0, "\u{FFFD}");
    }

    #[test]
    fn scans_klog_and_klogr_pairs() {
        let mut out = Vec::new();
        let end = scan_pairs(
            r#" lock="kube-system/x" err="context deadline exceeded" n=3 obj={Name:a Namespace:b} e="#,
            KeyStyle::Bare,
            &mut out,
        );
        assert_eq!(end, Ok(PairsEnd::Done));
        assert_eq!(
            out,
            vec![
                ("lock".into(), "kube-system/x".into()),
                ("err".into(), "context deadline exceeded".into()),
                ("n".into(), "3".into()),
                ("obj".into(), "{Name:a Namespace:b}".into()),
                ("e".into(), String::new()),
            ]
        );
        out.clear();
        let end = scan_pairs(r#""msg"="x y" "level"=0"#, KeyStyle::Quoted, &mut out);
        assert_eq!(end, Ok(PairsEnd::Done));
        assert_eq!(out[1], ("level".into(), "0".into()));
        out.clear();
        assert_eq!(
            scan_pairs(r#"a=1 diff=<"#, KeyStyle::Bare, &mut out),
            Ok(PairsEnd::Open)
        );
        assert_eq!(out.len(), 2);
        out.clear();
        assert!(scan_pairs("not pairs", KeyStyle::Bare, &mut out).is_err());
        assert!(scan_pairs(r#"a="x"y"#, KeyStyle::Bare, &mut out).is_err());
    }
}
