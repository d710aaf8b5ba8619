//! A streaming JSON writer that produces exactly what Go's `json.MarshalIndent(v, "", "    ")`
//! produces (newline + 4-space indentation, `{}`/`[]` for empty containers, `<>&` escaped as
//! `\u003c` etc.), straight into a byte buffer.

/// Writes one JSON document into `out` as it is built: open a container, add keys or items,
/// close it; commas and indentation follow.
pub struct Json<'a> {
    out: &'a mut Vec<u8>,
    /// one entry per open container: has it received an element yet?
    stack: Vec<bool>,
    indent: usize,
}

const SPACES: &[u8] = &[b' '; 256];

impl<'a> Json<'a> {
    /// `indent` = spaces per level (4 for kubectl / cluster-info dump).
    pub fn new(out: &'a mut Vec<u8>, indent: usize) -> Self {
        Json {
            out,
            stack: Vec::with_capacity(16),
            indent,
        }
    }

    /// Continue inside an enclosing document whose open containers are already written
    /// (used to stream list items one at a time).
    pub fn nested(out: &'a mut Vec<u8>, indent: usize, depth: usize, first: bool) -> Self {
        let mut stack = vec![true; depth];
        if let Some(last) = stack.last_mut() {
            *last = !first;
        }
        Json { out, stack, indent }
    }

    #[inline]
    fn newline(&mut self) {
        self.out.push(b'\n');
        let mut n = self.stack.len() * self.indent;
        while n > 0 {
            let k = n.min(SPACES.len());
            self.out.extend_from_slice(&SPACES[..k]);
            n -= k;
        }
    }

    /// Separator before an element of the innermost container.
    #[inline]
    fn elem(&mut self) {
        if let Some(seen) = self.stack.last_mut() {
            if *seen {
                self.out.push(b',');
            }
            *seen = true;
            self.newline();
        }
    }

    /// `"k": ` in the innermost object; the value follows.
    #[inline]
    pub fn key(&mut self, k: &str) -> &mut Self {
        self.elem();
        self.out.push(b'"');
        self.out.extend_from_slice(k.as_bytes());
        self.out.extend_from_slice(b"\": ");
        self
    }

    /// Opens an object.
    pub fn obj(&mut self) -> &mut Self {
        self.out.push(b'{');
        self.stack.push(false);
        self
    }

    /// Opens an array.
    pub fn arr(&mut self) -> &mut Self {
        self.out.push(b'[');
        self.stack.push(false);
        self
    }

    /// Closes the innermost object.
    pub fn end_obj(&mut self) -> &mut Self {
        self.close(b'}')
    }

    /// Closes the innermost array.
    pub fn end_arr(&mut self) -> &mut Self {
        self.close(b']')
    }

    /// Closes the innermost container with `bracket`, on a line of its own unless it is empty.
    fn close(&mut self, bracket: u8) -> &mut Self {
        let seen = self.stack.pop().expect("an open object or array");
        if seen {
            self.newline();
        }
        self.out.push(bracket);
        self
    }

    /// Start an array element (call before writing a value inside an array).
    pub fn item(&mut self) -> &mut Self {
        self.elem();
        self
    }

    /// A string value, escaped as Go escapes it.
    pub fn str(&mut self, v: &str) -> &mut Self {
        escape(self.out, v.as_bytes());
        self
    }

    /// A string value from bytes (ASCII in practice).
    pub fn bytes_str(&mut self, v: &[u8]) -> &mut Self {
        escape(self.out, v);
        self
    }

    /// An integer value.
    pub fn num(&mut self, v: i64) -> &mut Self {
        crate::time::push_i64(self.out, v);
        self
    }

    /// A boolean value.
    pub fn bool(&mut self, v: bool) -> &mut Self {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        self
    }

    /// `null`.
    pub fn null(&mut self) -> &mut Self {
        self.out.extend_from_slice(b"null");
        self
    }

    /// `"k": "v"`
    pub fn kv(&mut self, k: &str, v: &str) -> &mut Self {
        self.key(k).str(v)
    }
    /// `"k": 1`
    pub fn kn(&mut self, k: &str, v: i64) -> &mut Self {
        self.key(k).num(v)
    }
    /// `"k": true`
    pub fn kb(&mut self, k: &str, v: bool) -> &mut Self {
        self.key(k).bool(v)
    }
    /// `"k": {`, an object to fill and close.
    pub fn ko(&mut self, k: &str) -> &mut Self {
        self.key(k).obj()
    }
    /// `"k": [`, an array to fill and close.
    pub fn ka(&mut self, k: &str) -> &mut Self {
        self.key(k).arr()
    }
    /// `"k": "<rfc3339>"`
    pub fn kt(&mut self, k: &str, us: i64) -> &mut Self {
        self.key(k);
        self.out.push(b'"');
        crate::time::rfc3339(self.out, us);
        self.out.push(b'"');
        self
    }
    /// A string item of the innermost array.
    pub fn is(&mut self, v: &str) -> &mut Self {
        self.item().str(v)
    }
}

/// JSON string with Go's escaping rules.
#[inline]
pub fn escape(out: &mut Vec<u8>, v: &[u8]) {
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in v.iter().enumerate() {
        let esc: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            b'<' => b"\\u003c",
            b'>' => b"\\u003e",
            b'&' => b"\\u0026",
            0..=0x1f => {
                out.extend_from_slice(&v[start..i]);
                const H: &[u8] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                out.push(H[(b >> 4) as usize]);
                out.push(H[(b & 15) as usize]);
                start = i + 1;
                continue;
            }
            _ => continue,
        };
        out.extend_from_slice(&v[start..i]);
        out.extend_from_slice(esc);
        start = i + 1;
    }
    out.extend_from_slice(&v[start..]);
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn marshal_indent_shape() {
        let mut v = Vec::new();
        {
            let mut j = Json::new(&mut v, 4);
            j.obj();
            j.kv("a", "x<y>&\"\n");
            j.ko("b").end_obj();
            j.ka("c");
            j.item().num(1);
            j.item().obj().kb("d", true).end_obj();
            j.end_arr();
            j.ka("e").end_arr();
            j.end_obj();
        }
        let s = String::from_utf8(v).unwrap();
        assert_eq!(
            s,
            "{\n    \"a\": \"x\\u003cy\\u003e\\u0026\\\"\\n\",\n    \"b\": {},\n    \"c\": [\n        1,\n        {\n            \"d\": true\n        }\n    ],\n    \"e\": []\n}"
        );
    }
}
