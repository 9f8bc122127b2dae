//! Reading CSV tables whose header may be followed by an HXL hashtag row.
//!
//! The Humanitarian Exchange Language (HXL) adds a row of hashtags under a CSV
//! header (`#loc+name`, `#geo+lat`, ...), so that data from different agencies
//! can be matched whatever their column titles. Corridor accepts such a row, maps
//! columns by hashtag where the title is not one of its own, and checks every
//! tag against the documented mapping. Columns holding personal data (household
//! references) must never carry a hashtag: a file that tags them is refused, so
//! that it is not passed on as shareable HXL data.

use std::collections::HashMap;

use crate::problem::{Problem, did_you_mean};

/// A column Corridor knows.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ColumnSpec {
    pub(crate) name: &'static str,
    pub(crate) hxl: Option<&'static str>,
    pub(crate) required: bool,
    pub(crate) personal: bool,
}

/// A table read from CSV: which known column sits at which position.
pub(crate) struct Table {
    pub(crate) file: String,
    columns: HashMap<&'static str, usize>,
    pub(crate) rows: Vec<Row>,
}

/// One data row, with the line it came from.
pub(crate) struct Row {
    pub(crate) line: usize,
    cells: Vec<String>,
}

impl Table {
    /// The trimmed cell of a known column, `None` when the column is absent or the cell empty.
    pub(crate) fn cell<'a>(&self, row: &'a Row, column: &str) -> Option<&'a str> {
        let i = *self.columns.get(column)?;
        row.cells.get(i).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A problem at a row's line, naming the column.
    pub(crate) fn problem(&self, row: &Row, column: &str, message: impl Into<String>) -> Problem {
        Problem::in_file(self.file.clone(), message)
            .at_line(row.line)
            .field(column.to_string())
    }
}

/// A hashtag in canonical form: lower case, attributes sorted, no spaces.
pub(crate) fn normalise(tag: &str) -> Result<String, String> {
    let t: String = tag
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let Some(body) = t.strip_prefix('#') else {
        return Err(format!(
            "`{tag}` is not an HXL hashtag (it must start with `#`)"
        ));
    };
    let mut parts = body.split('+');
    let hashtag = parts.next().unwrap_or("");
    let ok = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !ok(hashtag) {
        return Err(format!(
            "`{tag}` is not a well-formed HXL hashtag (expected e.g. `#geo+lat`)"
        ));
    }
    let mut attrs: Vec<&str> = parts.collect();
    if attrs.iter().any(|a| !ok(a)) {
        return Err(format!(
            "`{tag}` has an empty or malformed attribute (expected e.g. `#geo+lat`)"
        ));
    }
    attrs.sort_unstable();
    attrs.dedup();
    let mut out = format!("#{hashtag}");
    for a in attrs {
        out.push('+');
        out.push_str(a);
    }
    Ok(out)
}

/// Whether the row under the header is a hashtag row: at least half of its
/// non-empty cells are hashtags (as libhxl decides), so that a row with one
/// mistyped hashtag is reported as such rather than read as data.
fn is_hxl_row(record: &csv::StringRecord) -> bool {
    let cells: Vec<&str> = record
        .iter()
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .collect();
    let tags = cells.iter().filter(|c| c.starts_with('#')).count();
    tags > 0 && 2 * tags >= cells.len()
}

/// Reads a CSV table: header row, optional HXL row, data rows.
///
/// Pushes every problem found and returns `None` when the table cannot be used.
pub(crate) fn read_table(
    file: &str,
    text: &str,
    spec: &[ColumnSpec],
    problems: &mut Vec<Problem>,
) -> Option<Table> {
    let before = problems.len();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for rec in reader.records() {
        match rec {
            Ok(r) => records.push(r),
            Err(e) => {
                let line = e.position().map_or(0, |p| p.line() as usize);
                problems.push(Problem::in_file(file, format!("unreadable CSV: {e}")).at_line(line));
                return None;
            }
        }
    }
    let line_of = |r: &csv::StringRecord| r.position().map_or(0, |p| p.line() as usize);
    let mut iter = records
        .into_iter()
        .filter(|r| !(r.len() == 1 && r[0].trim().is_empty()));
    let Some(header) = iter.next() else {
        problems.push(Problem::in_file(
            file,
            "the file is empty; expected a header row",
        ));
        return None;
    };
    // A spreadsheet saved with semicolons (or tabs) reads as one long column title.
    if header.len() == 1
        && let Some((sep, name)) = [(';', "semicolons"), ('\t', "tabs")]
            .into_iter()
            .find(|(c, _)| header[0].contains(*c))
    {
        let known = spec
            .iter()
            .filter(|c| {
                header[0]
                    .split(sep)
                    .any(|t| t.trim().eq_ignore_ascii_case(c.name))
            })
            .count();
        if known > 0 || header[0].split(sep).count() > 2 {
            problems.push(
                Problem::in_file(file, format!("the columns are separated by {name}; Corridor reads comma-separated files"))
                    .at_line(line_of(&header))
                    .hint(Some("use commas between columns (in a spreadsheet, save as \"CSV UTF-8 (comma delimited)\")".into())),
            );
            return None;
        }
    }
    let mut rest: Vec<csv::StringRecord> = iter.collect();
    let hxl = if rest.first().is_some_and(is_hxl_row) {
        Some(rest.remove(0))
    } else {
        None
    };

    let known: Vec<&str> = spec.iter().map(|c| c.name).collect();
    let mut columns: HashMap<&'static str, usize> = HashMap::new();
    for (i, title) in header.iter().enumerate() {
        let title = title.trim().trim_start_matches('\u{feff}');
        let tag = hxl
            .as_ref()
            .and_then(|r| r.get(i))
            .map(str::trim)
            .filter(|t| !t.is_empty());
        let tag_norm = match tag.map(normalise) {
            Some(Err(msg)) => {
                let p = Problem::in_file(file, format!("bad HXL row: {msg}"))
                    .at_line(hxl.as_ref().map_or(0, line_of));
                // An untitled column has no name to give as the field: say which one it is.
                problems.push(if title.is_empty() {
                    Problem {
                        message: format!(
                            "bad HXL row: {msg} (under column {}, which has no title)",
                            i + 1
                        ),
                        ..p
                    }
                } else {
                    p.field(title.to_string())
                });
                continue;
            }
            Some(Ok(t)) => Some(t),
            None => None,
        };
        let by_title = spec.iter().find(|c| c.name.eq_ignore_ascii_case(title));
        let by_tag = tag_norm.as_ref().and_then(|t| {
            spec.iter()
                .find(|c| c.hxl.is_some_and(|h| normalise(h).is_ok_and(|h| &h == t)))
        });
        let hxl_line = hxl.as_ref().map_or(0, line_of);
        let col = match (by_title, by_tag) {
            (Some(c), _) if c.personal && tag.is_some() => {
                problems.push(
                    Problem::in_file(
                        file,
                        format!(
                            "bad HXL row: column `{}` holds personal data and must not carry an HXL hashtag (found `{}`)",
                            c.name,
                            tag.unwrap_or_default()
                        ),
                    )
                    .at_line(hxl_line)
                    .field(c.name)
                    .hint(Some("leave its cell in the hashtag row empty".into())),
                );
                continue;
            }
            (Some(c), _) => {
                if let (Some(t), Some(expected)) = (&tag_norm, c.hxl)
                    && normalise(expected).ok().as_ref() != Some(t)
                {
                    problems.push(
                        Problem::in_file(
                            file,
                            format!(
                                "bad HXL row: column `{}` is tagged `{}`, expected `{expected}`",
                                c.name,
                                tag.unwrap_or_default()
                            ),
                        )
                        .at_line(hxl_line)
                        .field(c.name),
                    );
                    continue;
                }
                c
            }
            (None, Some(c)) => c,
            (None, None) => {
                let hint = did_you_mean(title, known.iter().copied()).or_else(|| {
                    title
                        .to_lowercase()
                        .contains("name")
                        .then(|| "personal names do not belong in a scenario; refer to households by a pseudonymous `reference`".to_string())
                });
                if title.is_empty() {
                    // A stray comma in the header, or a column left untitled: there is no name to show.
                    let what = match tag {
                        Some(t) => format!(
                            "column {} has no title, and an unknown hashtag `{t}`",
                            i + 1
                        ),
                        None => format!("column {} has no title", i + 1),
                    };
                    problems.push(
                        Problem::in_file(
                            file,
                            format!("{what}; expected columns {}", list(&known)),
                        )
                        .at_line(line_of(&header))
                        .hint(Some(
                            "give it a title, or delete the column if it is not needed".into(),
                        )),
                    );
                    continue;
                }
                let what = match tag {
                    Some(t) => format!("unknown column `{title}` with unknown hashtag `{t}`"),
                    None => format!("unknown column `{title}`"),
                };
                problems.push(
                    Problem::in_file(file, format!("{what}; expected columns {}", list(&known)))
                        .at_line(line_of(&header))
                        .field(title.to_string())
                        .hint(hint),
                );
                continue;
            }
        };
        if columns.insert(col.name, i).is_some() {
            problems.push(
                Problem::in_file(file, format!("column `{}` appears twice", col.name))
                    .at_line(line_of(&header))
                    .field(col.name),
            );
        }
    }
    for c in spec.iter().filter(|c| c.required) {
        if !columns.contains_key(c.name) && problems.len() == before {
            problems.push(
                Problem::in_file(file, format!("missing column `{}`", c.name))
                    .at_line(line_of(&header))
                    .hint(
                        c.hxl
                            .map(|h| format!("a column titled `{}` or tagged `{h}`", c.name)),
                    ),
            );
        }
    }
    if problems.len() > before {
        return None;
    }
    let width = header.len();
    let rows = rest
        .into_iter()
        .filter(|r| r.iter().any(|c| !c.trim().is_empty()))
        .filter_map(|r| {
            let line = line_of(&r);
            if r.len() != width {
                problems.push(
                    Problem::in_file(
                        file,
                        format!("this row has {} cells; the header has {width}", r.len()),
                    )
                    .at_line(line)
                    .hint((r.len() > width).then(|| {
                        "a value that contains a comma must be in double quotes".to_string()
                    })),
                );
                return None;
            }
            Some(Row {
                line,
                cells: r.iter().map(str::to_string).collect(),
            })
        })
        .collect();
    Some(Table {
        file: file.to_string(),
        columns,
        rows,
    })
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashtags_normalise() {
        assert_eq!(normalise("#GEO +lat").as_deref(), Ok("#geo+lat"));
        assert_eq!(
            normalise("#affected+stretcher+ind").as_deref(),
            Ok("#affected+ind+stretcher")
        );
        assert!(normalise("geo+lat").is_err());
        assert!(normalise("#geo+").is_err());
    }

    #[test]
    fn a_hashtag_row_may_hold_a_mistyped_tag() {
        let row = |cells: &[&str]| csv::StringRecord::from(cells.to_vec());
        assert!(is_hxl_row(&row(&[
            "",
            "#loc+name",
            "affected+ind",
            "#priority"
        ])));
        assert!(!is_hxl_row(&row(&["RF-001", "Market square", "4", "#3"])));
        assert!(!is_hxl_row(&row(&["", "", ""])));
    }
}
