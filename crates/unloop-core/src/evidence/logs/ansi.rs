//! Removing terminal escape sequences: console loggers colour their level column,
//! and a coloured `INFO` would otherwise not parse as a level.

use std::borrow::Cow;

const ESC: u8 = 0x1b;

/// `line` without ANSI escape sequences (CSI such as `ESC[31m`, OSC such as
/// window titles, and two-byte escapes). Borrows when there is nothing to strip,
/// which is nearly always.
pub(crate) fn strip(line: &str) -> Cow<'_, str> {
    let bytes = line.as_bytes();
    let Some(first) = memchr::memchr(ESC, bytes) else {
        return Cow::Borrowed(line);
    };
    let mut out = String::with_capacity(line.len());
    out.push_str(&line[..first]);
    let mut i = first;
    while i < bytes.len() {
        if bytes[i] != ESC {
            // Copy the run up to the next escape in one go; escapes are ASCII so
            // every cut lands on a char boundary.
            let next = memchr::memchr(ESC, &bytes[i..]).map_or(bytes.len(), |n| i + n);
            out.push_str(&line[i..next]);
            i = next;
            continue;
        }
        i = skip_escape(bytes, i);
    }
    Cow::Owned(out)
}

/// Index just past the escape sequence starting at `i` (`bytes[i] == ESC`).
fn skip_escape(bytes: &[u8], i: usize) -> usize {
    match bytes.get(i + 1) {
        // CSI: parameters and intermediates, then one final byte in 0x40..=0x7e.
        Some(b'[') => {
            let mut j = i + 2;
            while j < bytes.len() {
                let c = bytes[j];
                j += 1;
                if (0x40..=0x7e).contains(&c) {
                    return j;
                }
                if !(0x20..=0x3f).contains(&c) {
                    // Not a well-formed CSI: drop only the introducer.
                    return j - 1;
                }
            }
            j
        }
        // OSC: up to BEL or ST (`ESC \`).
        Some(b']') => {
            let mut j = i + 2;
            while j < bytes.len() {
                if bytes[j] == 0x07 {
                    return j + 1;
                }
                if bytes[j] == ESC && bytes.get(j + 1) == Some(&b'\\') {
                    return j + 2;
                }
                j += 1;
            }
            j
        }
        // Two-byte escape (`ESC c`, `ESC =`, ...), when the second byte is ASCII.
        Some(c) if c.is_ascii() => i + 2,
        _ => i + 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_colour_codes_from_console_levels() {
        let s = "2021-08-24T13:44:01.158Z\t\x1b[34mINFO\x1b[0m\tsetup\tstarting manager";
        assert_eq!(
            strip(s),
            "2021-08-24T13:44:01.158Z\tINFO\tsetup\tstarting manager"
        );
        assert_eq!(strip("\x1b[1;31mERROR\x1b[0m: x"), "ERROR: x");
    }

    #[test]
    fn borrows_clean_lines_and_survives_odd_input() {
        assert!(matches!(strip("plain"), Cow::Borrowed(_)));
        assert_eq!(strip("a\x1b]0;title\x07b"), "ab");
        assert_eq!(strip("a\x1b"), "a");
        assert_eq!(strip("a\x1b["), "a");
        assert_eq!(strip("é\x1bé"), "éé");
        assert_eq!(strip("x\x1b[\u{1F600}y"), "x\u{1F600}y");
    }
}
