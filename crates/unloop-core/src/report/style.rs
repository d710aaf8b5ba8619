//! Terminal styling and wrapping: ANSI colour only when asked for, and text
//! folded to a width so reports stay readable at 80 columns.

/// How to style terminal output.
#[derive(Debug, Clone, Copy)]
pub struct Style {
    /// Emit ANSI colour codes.
    pub color: bool,
    /// Fold lines to this many columns.
    pub width: usize,
}

impl Default for Style {
    fn default() -> Self {
        Style {
            color: false,
            width: 80,
        }
    }
}

/// ANSI SGR codes used by the reports.
#[derive(Debug, Clone, Copy)]
pub enum Tone {
    Bold,
    Dim,
    Red,
    Yellow,
    Green,
    Cyan,
}

impl Tone {
    fn code(&self) -> &'static str {
        match self {
            Tone::Bold => "1",
            Tone::Dim => "2",
            Tone::Red => "31",
            Tone::Yellow => "33",
            Tone::Green => "32",
            Tone::Cyan => "36",
        }
    }
}

impl Style {
    /// `s` in the given tone (unchanged without colour).
    pub fn paint(&self, tone: Tone, s: &str) -> String {
        if self.color {
            format!("\x1b[{}m{s}\x1b[0m", tone.code())
        } else {
            s.to_owned()
        }
    }

    /// Folds `text` to the width: the first line starts with `first`, the
    /// following ones with `rest` (both count towards the width).
    pub fn wrap(&self, text: &str, first: &str, rest: &str) -> String {
        wrap(text, self.width, first, rest)
    }
}

/// Folds `text` at spaces so no line exceeds `width` columns (a single word
/// longer than the width stays whole: paths and URLs must not be broken).
pub fn wrap(text: &str, width: usize, first: &str, rest: &str) -> String {
    let mut out = String::new();
    let mut line = String::from(first);
    let mut line_len = first.chars().count();
    let mut empty = true;
    for word in text.split_whitespace() {
        let wl = word.chars().count();
        if !empty && line_len + 1 + wl > width {
            out.push_str(line.trim_end());
            out.push('\n');
            line = String::from(rest);
            line_len = rest.chars().count();
            empty = true;
        }
        if !empty {
            line.push(' ');
            line_len += 1;
        }
        line.push_str(word);
        line_len += wl;
        empty = false;
    }
    out.push_str(line.trim_end());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_at_width_with_indents() {
        let s = wrap(
            "one two three four five six seven eight nine ten",
            20,
            "  - ",
            "    ",
        );
        for l in s.lines() {
            assert!(l.chars().count() <= 20, "{l:?}");
        }
        assert!(s.starts_with("  - one two"));
        assert!(s.lines().nth(1).unwrap().starts_with("    "));
        assert_eq!(s.split_whitespace().filter(|w| *w != "-").count(), 10);
    }

    #[test]
    fn long_words_stay_whole() {
        let url = "https://10.96.0.1:443/apis/serving.knative.dev/v1/revisions?limit=500";
        let s = wrap(&format!("GET {url} failed"), 30, "", "  ");
        assert!(s.contains(url));
    }

    #[test]
    fn no_colour_without_colour() {
        let st = Style::default();
        assert_eq!(st.paint(Tone::Red, "x"), "x");
        let st = Style {
            color: true,
            width: 80,
        };
        assert_eq!(st.paint(Tone::Red, "x"), "\x1b[31mx\x1b[0m");
    }
}
