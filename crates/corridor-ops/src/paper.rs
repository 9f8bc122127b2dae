//! Paper, the fallback when devices fail: a typed-up manifest or registration
//! sheet (CSV) read as events.
//!
//! Three layouts, told apart by their header:
//! - a **manifest**: `vehicle,trip,household,boarded` (a tick in `boarded`: `x`, `yes`,
//!   `1`; an empty cell skips the row; `no_show` ticks a no-show instead);
//! - a **registration sheet**: `site,household,people` (and `stretcher_cases`, `tier`);
//! - an **event sheet**: a `kind` column and the fields of each kind, as in the API.
//!
//! Any layout may add `at` (else the import's default time), `device` and `id`.
//! Without an `id`, a row's id is derived from what it says, so typing the same
//! sheet twice records it once.

use crate::event::EventIn;

/// A row the reader could not use: line (1-based, the header is line 1), field and what to fix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PaperProblem {
    /// Line in the file.
    pub line: usize,
    /// The column, when one is at fault.
    pub field: Option<String>,
    /// What is wrong and what to write instead.
    pub message: String,
}

/// Known columns.
const COLUMNS: [&str; 19] = [
    "id", "kind", "at", "device", "household", "vehicle", "trip", "site", "destination", "corridor",
    "people", "stretcher_cases", "tier", "headcount", "what", "until", "new_household", "boarded", "no_show",
];

fn ticked(v: &str) -> Result<bool, String> {
    match v.trim().to_lowercase().as_str() {
        "" | "no" | "n" | "0" | "-" => Ok(false),
        "x" | "yes" | "y" | "1" | "✓" | "✔" | "true" => Ok(true),
        o => Err(format!("`{o}` is not a tick; write x (or yes) for a tick, leave the cell empty otherwise")),
    }
}

/// A stable id from everything a row says but its device (FNV-1a, 64 bits): the same row typed twice gets the same id.
fn derived_id(e: &EventIn) -> String {
    let mut key = e.clone();
    key.id = String::new();
    key.device = String::new();
    let key = serde_json::to_string(&key).unwrap_or_default();
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in key.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("paper-{h:016x}")
}

/// Reads a paper sheet into events. `default_at` and `device` fill rows without them.
pub fn read_sheet(text: &str, default_at: Option<&str>, device: &str) -> Result<Vec<(usize, EventIn)>, Vec<PaperProblem>> {
    let mut rdr = csv::ReaderBuilder::new().flexible(false).from_reader(text.as_bytes());
    let headers: Vec<String> = match rdr.headers() {
        Ok(h) => h.iter().map(|x| x.trim().to_lowercase()).collect(),
        Err(e) => {
            return Err(vec![PaperProblem {
                line: 1,
                field: None,
                message: format!("cannot read the header row: {e}"),
            }]);
        }
    };
    let mut problems = Vec::new();
    for h in &headers {
        if !COLUMNS.contains(&h.as_str()) {
            problems.push(PaperProblem {
                line: 1,
                field: Some(h.clone()),
                message: format!(
                    "unknown column `{h}`{}; the columns are {}",
                    corridor_formats::did_you_mean(h, COLUMNS.iter().copied())
                        .map(|x| format!(" ({x})"))
                        .unwrap_or_default(),
                    COLUMNS.join(", ")
                ),
            });
        }
    }
    let has = |c: &str| headers.iter().any(|h| h == c);
    let layout = if has("kind") {
        "events"
    } else if has("vehicle") && has("household") && (has("boarded") || has("no_show")) {
        "manifest"
    } else if has("site") && has("household") && has("people") {
        "registration"
    } else {
        problems.push(PaperProblem {
            line: 1,
            field: None,
            message: "cannot tell the sheet's layout: a manifest has `vehicle,trip,household,boarded`, a registration sheet `site,household,people`, an event sheet a `kind` column".into(),
        });
        ""
    };
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut out = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let line = i + 2;
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                problems.push(PaperProblem {
                    line,
                    field: None,
                    message: format!("{e}"),
                });
                continue;
            }
        };
        let cell = |c: &str| -> Option<String> {
            headers
                .iter()
                .position(|h| h == c)
                .and_then(|j| rec.get(j))
                .map(|v| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let number = |c: &str, problems: &mut Vec<PaperProblem>| -> Option<u32> {
            let v = cell(c)?;
            match v.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    problems.push(PaperProblem {
                        line,
                        field: Some(c.to_string()),
                        message: format!("`{v}` is not a whole number"),
                    });
                    None
                }
            }
        };
        let mut e = EventIn {
            at: cell("at").or(default_at.map(str::to_string)).unwrap_or_default(),
            device: cell("device").unwrap_or_else(|| device.to_string()),
            household: cell("household"),
            vehicle: cell("vehicle"),
            site: cell("site"),
            destination: cell("destination"),
            corridor: cell("corridor"),
            what: cell("what"),
            until: cell("until"),
            new_household: cell("new_household"),
            ..EventIn::default()
        };
        e.trip = number("trip", &mut problems);
        e.people = number("people", &mut problems);
        e.stretcher_cases = number("stretcher_cases", &mut problems);
        e.headcount = number("headcount", &mut problems);
        e.tier = number("tier", &mut problems).map(|t| t.min(255) as u8);
        match layout {
            "events" => e.kind = cell("kind").unwrap_or_default(),
            "manifest" => {
                let tick = |c: &str, problems: &mut Vec<PaperProblem>| match ticked(&cell(c).unwrap_or_default()) {
                    Ok(b) => b,
                    Err(m) => {
                        problems.push(PaperProblem {
                            line,
                            field: Some(c.to_string()),
                            message: m,
                        });
                        false
                    }
                };
                let (b, n) = (tick("boarded", &mut problems), tick("no_show", &mut problems));
                match (b, n) {
                    (true, true) => {
                        problems.push(PaperProblem {
                            line,
                            field: Some("boarded".into()),
                            message: "both `boarded` and `no_show` are ticked; tick one".into(),
                        });
                        continue;
                    }
                    (true, false) => e.kind = "boarded".into(),
                    (false, true) => {
                        e.kind = "no_show".into();
                        e.vehicle = None;
                        e.trip = None;
                    }
                    (false, false) => continue,
                }
            }
            _ => e.kind = "registered".into(),
        }
        if e.at.is_empty() {
            problems.push(PaperProblem {
                line,
                field: Some("at".into()),
                message: "no time: add an `at` column, or give the sheet's time with --at".into(),
            });
            continue;
        }
        e.id = cell("id").unwrap_or_else(|| derived_id(&e));
        out.push((line, e));
    }
    if problems.is_empty() { Ok(out) } else { Err(problems) }
}
