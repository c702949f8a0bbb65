//! JSON text exactly as Go's `encoding/json` `MarshalIndent` writes it.
//!
//! serde_json's pretty printer already matches Go's layout (`"key": value`, `[]`/`{}` for
//! empty containers, struct fields in declaration order). Two differences remain and are
//! fixed on the output text: Go escapes `<`, `>`, `&`, U+2028 and U+2029 inside strings
//! (those characters can only occur inside strings), and the indent unit may be a tab.

use alloc::string::String;
use serde::Serialize;

/// The indent unit of the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Indent {
    /// Two spaces per level (`json.MarshalIndent(v, "", "  ")`, as `runc state` prints).
    TwoSpaces,
    /// One tab per level (`json.MarshalIndent(v, "", "\t")`, as `runc spec` writes).
    Tab,
}

/// Serializes `value` as Go's `json.MarshalIndent` would (no trailing newline).
pub fn to_go_json<T: Serialize>(value: &T, indent: Indent) -> String {
    // Serializing plain data structures to a String cannot fail (no maps with non-string
    // keys, no I/O); an empty string would only ever signal a programming error.
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    let mut out = String::with_capacity(text.len());
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let body = line.trim_start_matches(' ');
        let depth = (line.len() - body.len()) / 2;
        for _ in 0..depth {
            out.push_str(match indent {
                Indent::TwoSpaces => "  ",
                Indent::Tab => "\t",
            });
        }
        escape_html(body, &mut out);
    }
    out
}

/// Appends `text` with Go's HTML-safe escapes applied.
fn escape_html(text: &str, out: &mut String) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::collections::BTreeMap;
    use alloc::vec::Vec;

    #[derive(Serialize)]
    struct Sample {
        name: &'static str,
        list: Vec<u32>,
        empty: Vec<u32>,
        map: BTreeMap<&'static str, &'static str>,
    }

    #[test]
    fn matches_go_layout_and_escapes() {
        let mut map = BTreeMap::new();
        map.insert("b", "x");
        map.insert("a", "<&>\u{2028}\"\n");
        let v = Sample { name: "  two  spaces  ", list: alloc::vec![1, 2], empty: Vec::new(), map };
        let expected = "{\n  \"name\": \"  two  spaces  \",\n  \"list\": [\n    1,\n    2\n  ],\n  \"empty\": [],\n  \"map\": {\n    \"a\": \"\\u003c\\u0026\\u003e\\u2028\\\"\\n\",\n    \"b\": \"x\"\n  }\n}";
        assert_eq!(to_go_json(&v, Indent::TwoSpaces), expected);
        assert!(to_go_json(&v, Indent::Tab).starts_with("{\n\t\"name\": \"  two  spaces  \",\n\t\"list\": [\n\t\t1,"));
    }
}
