//! Errors that say where and what: file, line, field, the bad value, what was expected.

use std::fmt;

/// One thing wrong with an input file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// The file, as the user named it (or as a scenario names it).
    pub file: String,
    /// 1-based line, when known.
    pub line: Option<usize>,
    /// 1-based column, when known.
    pub column: Option<usize>,
    /// The key, column or JSON path at fault.
    pub field: Option<String>,
    /// What is wrong, including the bad value and what was expected.
    pub message: String,
    /// How to fix it ("did you mean `seats`?").
    pub hint: Option<String>,
}

impl Problem {
    /// A problem with a file as a whole.
    pub fn in_file(file: impl Into<String>, message: impl Into<String>) -> Problem {
        Problem {
            file: file.into(),
            line: None,
            column: None,
            field: None,
            message: message.into(),
            hint: None,
        }
    }

    /// Sets the line.
    pub fn at_line(mut self, line: usize) -> Problem {
        self.line = Some(line);
        self
    }

    /// Sets the field.
    pub fn field(mut self, field: impl Into<String>) -> Problem {
        self.field = Some(field.into());
        self
    }

    /// Sets the hint.
    pub fn hint(mut self, hint: Option<String>) -> Problem {
        self.hint = hint;
        self
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(l) = self.line {
            write!(f, ":{l}")?;
            if let Some(c) = self.column {
                write!(f, ":{c}")?;
            }
        }
        write!(f, ": ")?;
        if let Some(field) = &self.field {
            write!(f, "`{field}`: ")?;
        }
        write!(f, "{}", self.message)?;
        if let Some(h) = &self.hint {
            write!(f, " ({h})")?;
        }
        Ok(())
    }
}

/// Everything wrong with an input, in the order found; never empty.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub struct Problems(pub Vec<Problem>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl From<Problem> for Problems {
    fn from(p: Problem) -> Problems {
        Problems(vec![p])
    }
}

/// The candidate closest to `word`, if one is close enough to be a likely misspelling.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let lower = word.to_lowercase();
    let mut best: Option<(f64, &str)> = None;
    for c in candidates {
        let cl = c.to_lowercase();
        let score = if cl == lower {
            2.0
        } else {
            let d = strsim::levenshtein(&lower, &cl);
            let allowed = (c.chars().count().max(word.chars().count()) / 3).max(1);
            if d > allowed && !(cl.contains(&lower) && lower.len() >= 3) {
                continue;
            }
            strsim::jaro_winkler(&lower, &cl)
        };
        if best.is_none_or(|(s, _)| score > s) {
            best = Some((score, c));
        }
    }
    best.map(|(_, c)| c)
}

/// "did you mean `x`?" when a candidate is close.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    suggest(word, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The largest char boundary at or before `byte` (`str::floor_char_boundary`
/// needs Rust 1.91, newer than the workspace's `rust-version`).
pub(crate) fn floor_boundary(text: &str, byte: usize) -> usize {
    let mut i = byte.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

/// Line and column (1-based) of a byte offset in `text`.
pub fn line_col(text: &str, byte: usize) -> (usize, usize) {
    let before = &text[..floor_boundary(text, byte)];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

/// Rewrites serde's "unknown field `x`, expected one of ..." into a message and a hint.
///
/// A JSON file that serde could not read, as a problem at its line and column.
pub(crate) fn json_problem(file: &str, e: &serde_json::Error) -> Problems {
    let (message, hint) = explain_serde_message(
        e.to_string().split(" at line ").next().unwrap_or_default(),
        "an object",
    );
    let mut p = Problem::in_file(file, message).hint(hint);
    if e.line() > 0 {
        p.line = Some(e.line());
        // serde_json says column 0 for an error at a line break: no column to show.
        p.column = (e.column() > 0).then(|| e.column());
    }
    Problems(vec![p])
}

/// `table` is what the file format calls a group of keys ("a table", "an object"):
/// serde names the Rust type there ("expected struct RouteDoc"), and `i64` or `f64`
/// for numbers, which mean nothing to the person editing the file.
pub(crate) fn explain_serde_message(msg: &str, table: &str) -> (String, Option<String>) {
    let msg = msg.trim();
    for (what, noun) in [("unknown field `", "key"), ("unknown variant `", "value")] {
        if let Some(rest) = msg.strip_prefix(what) {
            let Some(end) = rest.find('`') else { break };
            let bad = &rest[..end];
            // After the bad name: "`, expected `a` or `b`" or "`, expected one of `a`, `b`".
            let expected: Vec<&str> = rest[end + 1..]
                .split('`')
                .skip(1)
                .step_by(2)
                .filter(|s| !s.is_empty())
                .collect();
            let hint = did_you_mean(bad, expected.iter().copied());
            let list = expected
                .iter()
                .map(|e| format!("`{e}`"))
                .collect::<Vec<_>>()
                .join(", ");
            let message = if expected.is_empty() {
                format!("unknown {noun} `{bad}`")
            } else {
                format!("unknown {noun} `{bad}`; expected one of {list}")
            };
            return (message, hint);
        }
    }
    if let Some(rest) = msg.strip_prefix("missing field `") {
        let name = rest.split('`').next().unwrap_or(rest);
        return (format!("missing required key `{name}`"), None);
    }
    if (msg.starts_with("invalid type: ") || msg.starts_with("invalid value: "))
        && let Some((got, expected)) = msg.rsplit_once(", expected ")
    {
        let plain = match expected {
            "i8" | "i16" | "i32" | "i64" | "u8" | "u16" | "u32" | "u64" => "a whole number",
            "f32" | "f64" => "a number",
            "a sequence" => "a list",
            e if e.starts_with("struct ") => table,
            e => e,
        };
        return (format!("{got}, expected {plain}"), None);
    }
    (msg.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["seats", "stretchers", "stop_time"];
        assert_eq!(suggest("sats", names), Some("seats"));
        assert_eq!(suggest("Seats", names), Some("seats"));
        assert_eq!(suggest("completely", names), None);
    }

    #[test]
    fn explains_unknown_fields() {
        let (m, h) = explain_serde_message(
            "unknown field `sats`, expected `seats` or `name`",
            "a table",
        );
        assert_eq!(m, "unknown key `sats`; expected one of `seats`, `name`");
        assert_eq!(h.as_deref(), Some("did you mean `seats`?"));
        let (m, _) = explain_serde_message(
            "unknown field `x`, expected one of `a`, `b`, `c`",
            "a table",
        );
        assert_eq!(m, "unknown key `x`; expected one of `a`, `b`, `c`");
        let (m, _) =
            explain_serde_message("invalid type: string \"fifty\", expected i64", "a table");
        assert_eq!(m, "invalid type: string \"fifty\", expected a whole number");
    }

    #[test]
    fn finds_lines() {
        assert_eq!(line_col("a\nbc\nd", 3), (2, 2));
        assert_eq!(line_col("a\nbc\nd", 999), (3, 2));
    }
}
