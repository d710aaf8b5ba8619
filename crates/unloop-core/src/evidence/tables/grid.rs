//! Cutting tabwriter-aligned rows into cells.
//!
//! kubectl renders every table through Go's `text/tabwriter`: each column starts
//! at the same character offset on every line of a block, so the header's word
//! offsets cut the rows exactly, even where a cell is empty or holds runs of
//! spaces. Pastes lose that alignment (chat clients collapse spaces, `-w` output
//! flushes row by row), so each reader falls back to reading a row token by
//! token, guided by what each column can hold.

/// A table header: column names and the character offset each column starts at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Columns {
    pub names: Vec<String>,
    /// Character (not byte) offsets: tabwriter pads by runes.
    pub starts: Vec<usize>,
}

impl Columns {
    /// Reads a header line. Names are whitespace-separated words, except the
    /// multi-word names in `phrases` (`LAST SEEN`, `NOMINATED NODE`), which are
    /// matched greedily so that a header whose spacing was collapsed still reads.
    pub fn parse(header: &str, phrases: &[&str]) -> Columns {
        let toks = char_tokens(header);
        let mut names = Vec::new();
        let mut starts = Vec::new();
        let mut i = 0;
        'outer: while i < toks.len() {
            for p in phrases {
                let words: Vec<&str> = p.split(' ').collect();
                if words.len() > 1
                    && i + words.len() <= toks.len()
                    && words.iter().zip(&toks[i..]).all(|(w, t)| *w == t.text)
                {
                    names.push((*p).to_owned());
                    starts.push(toks[i].start);
                    i += words.len();
                    continue 'outer;
                }
            }
            names.push(toks[i].text.to_owned());
            starts.push(toks[i].start);
            i += 1;
        }
        Columns { names, starts }
    }

    /// The index of a column.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }

    /// True when the header has this column.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    /// Cuts a row at the header's offsets. `None` when the row does not line up
    /// with the header (a cell boundary falls inside a word, or text sits where
    /// the header has none), which means the caller should read it token by token.
    pub fn cut<'a>(&self, line: &'a str) -> Option<Vec<&'a str>> {
        if self.starts.is_empty() {
            return None;
        }
        let line = line.trim_end();
        // Byte offset of each character, plus the end.
        let mut at: Vec<usize> = line.char_indices().map(|(b, _)| b).collect();
        let n = at.len();
        at.push(line.len());
        let chars: Vec<char> = line.chars().collect();
        let blank = |from: usize, to: usize| (from..to.min(n)).all(|i| chars[i].is_whitespace());

        let first = self.starts[0];
        if !blank(0, first) {
            return None;
        }
        let last = self.starts.len() - 1;
        let mut cells = Vec::with_capacity(self.starts.len());
        for (i, &s) in self.starts.iter().enumerate() {
            let end = if i == last { n } else { self.starts[i + 1] };
            if s >= n {
                cells.push("");
                continue;
            }
            if i > 0 && !chars[s - 1].is_whitespace() {
                return None;
            }
            if chars[s].is_whitespace() && !blank(s, end) {
                return None;
            }
            let end = end.min(n);
            cells.push(line[at[s]..at[end]].trim());
        }
        // A row that ends before the second-to-last column began is a row
        // from another layout, not a row with empty trailing cells.
        if self.starts.len() >= 2 && n <= self.starts[last - 1] {
            return None;
        }
        Some(cells)
    }
}

/// A whitespace-separated token: its text and where it starts (in characters).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CharToken<'a> {
    text: &'a str,
    start: usize,
}

fn char_tokens(line: &str) -> Vec<CharToken<'_>> {
    let mut out = Vec::new();
    let mut start: Option<(usize, usize)> = None; // (char index, byte index)
    for (ci, (bi, c)) in line.char_indices().enumerate() {
        if c.is_whitespace() {
            if let Some((cs, bs)) = start.take() {
                out.push(CharToken {
                    text: &line[bs..bi],
                    start: cs,
                });
            }
        } else if start.is_none() {
            start = Some((ci, bi));
        }
    }
    if let Some((cs, bs)) = start {
        out.push(CharToken {
            text: &line[bs..],
            start: cs,
        });
    }
    out
}

/// Byte ranges of the whitespace-separated tokens of a line.
pub(crate) fn tokens(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in line.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                out.push((s, i));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        out.push((s, line.len()));
    }
    out
}

/// Byte ranges of the cells of a line whose cells are separated by at least two
/// spaces (tabwriter's minimum padding), so that cells may hold single spaces.
pub(crate) fn gap_cells(line: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let bytes = line.as_bytes();
    let mut i = 0;
    let n = bytes.len();
    while i < n {
        while i < n && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= n {
            break;
        }
        let start = i;
        let mut end = i;
        while i < n {
            if bytes[i].is_ascii_whitespace() {
                let ws = i;
                while i < n && bytes[i].is_ascii_whitespace() {
                    i += 1;
                }
                if i - ws >= 2 || i >= n || bytes[ws] == b'\t' {
                    end = ws;
                    break;
                }
            } else {
                i += 1;
                end = i;
            }
        }
        if end > start {
            out.push((start, end));
        }
    }
    out
}

/// What one column can hold, for reading a row token by token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// One token.
    One,
    /// Zero or one token: a field path such as `spec.containers{controller}`.
    FieldPath,
    /// An age: `5m`, `3m1s (x19 over 12m)`, `<unknown>`, or Go's
    /// `2024-03-27 18:30:28 +0000 UTC` (old `get events -w`).
    Age,
    /// `7` or `7 (2m ago)`.
    Restarts,
    /// `kubelet` or `kubelet, node-1`.
    Source,
    /// Everything the other columns leave (at most one per row).
    Rest,
}

/// Reads a row token by token: columns before the `Rest` column take tokens from
/// the start, those after it from the end. Returns one cell per shape, or `None`
/// when the tokens do not fit the shapes.
pub(crate) fn by_shapes<'a>(line: &'a str, shapes: &[Shape]) -> Option<Vec<&'a str>> {
    let toks = tokens(line);
    let text = |t: &(usize, usize)| &line[t.0..t.1];
    let rest_at = shapes.iter().position(|s| *s == Shape::Rest);
    let lead = &shapes[..rest_at.unwrap_or(shapes.len())];
    let mut cells: Vec<&'a str> = Vec::with_capacity(shapes.len());
    let mut i = 0;
    for shape in lead {
        let take = match shape {
            Shape::One | Shape::Rest => usize::from(i < toks.len()),
            Shape::FieldPath => usize::from(toks.get(i).is_some_and(|t| is_field_path(text(t)))),
            Shape::Age => age_tokens(&toks[i.min(toks.len())..], line),
            Shape::Restarts => paren_tokens(&toks[i.min(toks.len())..], line, false),
            Shape::Source => {
                let first = toks.get(i).map(text);
                match first {
                    Some(f) if f.ends_with(',') && i + 1 < toks.len() => 2,
                    Some(_) => 1,
                    None => 0,
                }
            }
        };
        if take == 0 && *shape != Shape::FieldPath {
            return None;
        }
        if take == 0 {
            cells.push("");
        } else {
            cells.push(&line[toks[i].0..toks[i + take - 1].1]);
        }
        i += take;
    }
    let Some(rest_at) = rest_at else {
        return (i == toks.len()).then_some(cells);
    };
    let trail = &shapes[rest_at + 1..];
    // Trailing columns are single tokens in every kubectl table that has one.
    if trail.iter().any(|s| !matches!(s, Shape::One | Shape::Age)) {
        return None;
    }
    if toks.len() < i + trail.len() {
        return None;
    }
    let rest_end = toks.len() - trail.len();
    let rest = if rest_end > i {
        &line[toks[i].0..toks[rest_end - 1].1]
    } else {
        ""
    };
    cells.push(rest);
    for t in &toks[rest_end..] {
        cells.push(text(t));
    }
    Some(cells)
}

/// How many tokens an age takes at the start of `toks`.
fn age_tokens(toks: &[(usize, usize)], line: &str) -> usize {
    let Some(first) = toks.first() else { return 0 };
    let t0 = &line[first.0..first.1];
    if is_date(t0) {
        // `2024-03-27 18:30:28 +0000 UTC`: date, time, offset, zone name.
        return toks.len().min(4);
    }
    paren_tokens(toks, line, true)
}

/// One token, plus a parenthesised suffix (`(x19 over 12m)`, `(2m ago)`).
fn paren_tokens(toks: &[(usize, usize)], line: &str, interval: bool) -> usize {
    if toks.is_empty() {
        return 0;
    }
    let Some(next) = toks.get(1) else { return 1 };
    let t1 = &line[next.0..next.1];
    let opens = if interval {
        t1.starts_with("(x")
    } else {
        t1.starts_with('(')
    };
    if !opens {
        return 1;
    }
    for (k, t) in toks.iter().enumerate().skip(1).take(4) {
        if line[t.0..t.1].ends_with(')') {
            return k + 1;
        }
    }
    1
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

/// `spec.containers{controller}`, `spec.initContainers{x}`, `spec.containers[0]`.
pub(crate) fn is_field_path(s: &str) -> bool {
    (s.starts_with("spec.") || s.starts_with("status.") || s.starts_with("metadata."))
        && !s.contains(char::is_whitespace)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_offsets_and_phrases() {
        let h = "LAST SEEN              TYPE      REASON    OBJECT       MESSAGE";
        let c = Columns::parse(h, &["LAST SEEN"]);
        assert_eq!(
            c.names,
            ["LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"]
        );
        assert_eq!(c.starts, [0, 23, 33, 43, 56]);
        let collapsed = Columns::parse("LAST SEEN TYPE REASON OBJECT MESSAGE", &["LAST SEEN"]);
        assert_eq!(collapsed.names.len(), 5);
    }

    #[test]
    fn aligned_rows_cut_exactly_even_with_empty_cells() {
        let h = "  Type     Reason   Age   From     Message";
        let c = Columns::parse(h, &[]);
        let row = "  Normal   Pulled   5m             Container image  \"x\"  already present";
        let cells = c.cut(row).unwrap();
        assert_eq!(cells[3], "");
        assert_eq!(cells[4], "Container image  \"x\"  already present");
        // A collapsed row does not line up.
        assert!(
            c.cut("  Normal Pulled 5m kubelet Container image")
                .is_none()
        );
    }

    #[test]
    fn rune_offsets_not_bytes() {
        let c = Columns::parse("A     B     C", &[]);
        let cells = c.cut("é     ü     ok").unwrap();
        assert_eq!(cells, ["é", "ü", "ok"]);
    }

    #[test]
    fn gaps_keep_single_spaces_inside_cells() {
        let l = "  Warning  Unhealthy  3m1s (x19 over 12m)   kubelet  Liveness probe failed: x";
        let cells: Vec<&str> = gap_cells(l).iter().map(|&(a, b)| &l[a..b]).collect();
        assert_eq!(cells[2], "3m1s (x19 over 12m)");
        assert_eq!(cells[4], "Liveness probe failed: x");
    }

    #[test]
    fn shapes_read_collapsed_rows() {
        use Shape::*;
        let l = "2m (x40 over 10m) Warning BackOff Pod/p Back-off restarting failed container";
        let cells = by_shapes(l, &[Age, One, One, One, Rest]).unwrap();
        assert_eq!(cells[0], "2m (x40 over 10m)");
        assert_eq!(cells[3], "Pod/p");
        assert_eq!(cells[4], "Back-off restarting failed container");

        let wide = "5m Normal Killing pod/p spec.containers{c} kubelet, node-1 Stopping container c 12m 3 p.17c";
        let shapes = [Age, One, One, One, FieldPath, Source, Rest, Age, One, One];
        let cells = by_shapes(wide, &shapes).unwrap();
        assert_eq!(cells[4], "spec.containers{c}");
        assert_eq!(cells[5], "kubelet, node-1");
        assert_eq!(cells[6], "Stopping container c");
        assert_eq!(&cells[7..], ["12m", "3", "p.17c"]);

        let pods = "p 0/1 CrashLoopBackOff 7 (2m ago) 15m";
        let cells = by_shapes(pods, &[One, One, One, Restarts, One]).unwrap();
        assert_eq!(cells[3], "7 (2m ago)");
        assert!(by_shapes("p 0/1 Running", &[One, One, One, Restarts, One]).is_none());
    }
}
