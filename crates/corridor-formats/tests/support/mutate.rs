//! Inputs for the readers' property tests: valid files mutated the way files get damaged or
//! mistyped (bits flipped, bytes replaced, inserted and deleted, cut short, lines deleted, doubled
//! and swapped, two values swapped), and fully random bytes and text.
//!
//! Shared by the property tests of the formats, roads and ops crates (`#[path]` includes it).

#![allow(dead_code, unreachable_pub)]

use std::time::{Duration, Instant};

use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, RngSeed};

/// Values that often break readers: quotes, brackets, separators, huge and negative numbers,
/// times, a byte-order mark, control characters.
const TOKENS: &[&str] = &[
    "\"",
    "'",
    "=",
    "[",
    "]",
    "{",
    "}",
    "[[",
    "\n",
    "#",
    ",",
    ";",
    ":",
    "0",
    "-1",
    "9",
    "999999999999999999999",
    "18446744073709551616",
    "-9223372036854775808",
    "4294967296",
    "1e400",
    "NaN",
    "inf",
    "-0",
    "0.0000001",
    "1e-320",
    "true",
    "null",
    "\"\"",
    "[]",
    "{}",
    " ",
    "\t",
    "\r",
    "\r\n",
    "\0",
    "\u{feff}",
    "é",
    "\u{202e}",
    "x",
    "0s",
    "30d",
    "99999999d",
    "2025-03-14T06:00:00+01:00",
    "9999-12-31T23:59:59+14:00",
    "1h",
    "-1h",
    "#loc+name",
    "#affected+ind",
    "#",
    "+",
    "pickup",
    "depot",
    "destination",
    "checkpoint",
];

/// One change to a file.
#[derive(Clone, Debug)]
pub enum Edit {
    /// Flip one bit of a byte.
    FlipBit(Index, u8),
    /// Replace a byte.
    SetByte(Index, u8),
    /// Insert a troublesome token.
    Insert(Index, Index),
    /// Insert random bytes.
    InsertBytes(Index, Vec<u8>),
    /// Delete up to this many bytes.
    Delete(Index, usize),
    /// Cut the file short.
    Truncate(Index),
    /// Delete a line.
    DeleteLine(Index),
    /// Write a line twice.
    DoubleLine(Index),
    /// Swap two lines.
    SwapLines(Index, Index),
    /// Swap two values (runs between separators such as `,` `=` `:` quotes and brackets).
    SwapValues(Index, Index),
    /// Repeat a stretch of bytes many times (a large, repetitive input).
    Repeat(Index, usize, usize),
}

fn edit() -> impl Strategy<Value = Edit> {
    let i = any::<Index>;
    prop_oneof![
        (i(), 0u8..8).prop_map(|(a, b)| Edit::FlipBit(a, b)),
        (i(), any::<u8>()).prop_map(|(a, b)| Edit::SetByte(a, b)),
        (i(), i()).prop_map(|(a, b)| Edit::Insert(a, b)),
        (i(), prop::collection::vec(any::<u8>(), 1..8)).prop_map(|(a, b)| Edit::InsertBytes(a, b)),
        (i(), 1usize..40).prop_map(|(a, n)| Edit::Delete(a, n)),
        i().prop_map(Edit::Truncate),
        i().prop_map(Edit::DeleteLine),
        i().prop_map(Edit::DoubleLine),
        (i(), i()).prop_map(|(a, b)| Edit::SwapLines(a, b)),
        (i(), i()).prop_map(|(a, b)| Edit::SwapValues(a, b)),
        (i(), 1usize..64, 2usize..200).prop_map(|(a, len, times)| Edit::Repeat(a, len, times)),
    ]
}

/// Byte ranges of the lines of `b`, each with its line end.
fn lines(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let mut start = 0;
    for (i, &c) in b.iter().enumerate() {
        if c == b'\n' {
            out.push(start..i + 1);
            start = i + 1;
        }
    }
    if start < b.len() {
        out.push(start..b.len());
    }
    out
}

/// Byte ranges of the values of `b`: runs of bytes between separators.
fn values(b: &[u8]) -> Vec<std::ops::Range<usize>> {
    let sep = |c: u8| b",=:\"[]{}\n\t ;".contains(&c);
    let mut out = Vec::new();
    let mut start = None;
    for (i, &c) in b.iter().enumerate() {
        match (sep(c), start) {
            (false, None) => start = Some(i),
            (true, Some(s)) => {
                out.push(s..i);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        out.push(s..b.len());
    }
    out
}

/// `b` with ranges `x` and `y` (disjoint, `x` first) exchanged.
fn swap_ranges(b: &[u8], x: std::ops::Range<usize>, y: std::ops::Range<usize>) -> Vec<u8> {
    let (x, y) = if x.start <= y.start { (x, y) } else { (y, x) };
    if x.end > y.start {
        return b.to_vec();
    }
    [
        &b[..x.start],
        &b[y.clone()],
        &b[x.end..y.start],
        &b[x],
        &b[y.end..],
    ]
    .concat()
}

/// Applies one edit.
pub fn apply(b: &mut Vec<u8>, e: &Edit) {
    let at = |i: &Index, n: usize| if n == 0 { 0 } else { i.index(n) };
    match e {
        Edit::FlipBit(i, bit) if !b.is_empty() => {
            let k = at(i, b.len());
            b[k] ^= 1 << bit;
        }
        Edit::SetByte(i, v) if !b.is_empty() => {
            let k = at(i, b.len());
            b[k] = *v;
        }
        Edit::Insert(i, t) => {
            let k = at(i, b.len() + 1);
            let t = TOKENS[t.index(TOKENS.len())].as_bytes();
            b.splice(k..k, t.iter().copied());
        }
        Edit::InsertBytes(i, bytes) => {
            let k = at(i, b.len() + 1);
            b.splice(k..k, bytes.iter().copied());
        }
        Edit::Delete(i, n) if !b.is_empty() => {
            let k = at(i, b.len());
            let end = (k + n).min(b.len());
            b.drain(k..end);
        }
        Edit::Truncate(i) => {
            let k = at(i, b.len() + 1);
            b.truncate(k);
        }
        Edit::DeleteLine(i) => {
            let l = lines(b);
            if !l.is_empty() {
                let r = l[at(i, l.len())].clone();
                b.drain(r);
            }
        }
        Edit::DoubleLine(i) => {
            let l = lines(b);
            if !l.is_empty() {
                let r = l[at(i, l.len())].clone();
                let copy = b[r.clone()].to_vec();
                b.splice(r.start..r.start, copy);
            }
        }
        Edit::SwapLines(i, j) => {
            let l = lines(b);
            if l.len() > 1 {
                let (x, y) = (l[at(i, l.len())].clone(), l[at(j, l.len())].clone());
                *b = swap_ranges(b, x, y);
            }
        }
        Edit::SwapValues(i, j) => {
            let v = values(b);
            if v.len() > 1 {
                let (x, y) = (v[at(i, v.len())].clone(), v[at(j, v.len())].clone());
                *b = swap_ranges(b, x, y);
            }
        }
        Edit::Repeat(i, len, times) if !b.is_empty() => {
            let k = at(i, b.len());
            let end = (k + len).min(b.len());
            let piece = b[k..end].repeat(*times);
            b.splice(end..end, piece);
        }
        _ => {}
    }
}

/// A base from `bases` with one to four edits, or (one case in five) random bytes or text.
/// The value is (a description for failure reports, the bytes).
pub fn input(bases: Vec<(String, Vec<u8>)>) -> impl Strategy<Value = (String, Vec<u8>)> {
    assert!(!bases.is_empty(), "no base inputs");
    let n = bases.len();
    let mutated = (0..n, prop::collection::vec(edit(), 1..5)).prop_map(move |(k, edits)| {
        let (name, base) = &bases[k];
        let mut b = base.clone();
        for e in &edits {
            apply(&mut b, e);
        }
        (format!("{name} with {edits:?}"), b)
    });
    prop_oneof![
        8 => mutated,
        1 => prop::collection::vec(any::<u8>(), 0..600).prop_map(|b| ("random bytes".to_string(), b)),
        1 => "[ -~\n\t]{0,600}".prop_map(|s| ("random text".to_string(), s.into_bytes())),
    ]
}

/// `cases` cases (or `PROPTEST_CASES`) from a fixed seed (or `PROPTEST_RNG_SEED`); a failing
/// case is shrunk and printed whole, nothing is written into the source tree.
pub fn config(cases: u32) -> Config {
    let mut c = Config::default();
    if std::env::var_os("PROPTEST_CASES").is_none() {
        c.cases = cases;
    }
    if std::env::var_os("PROPTEST_RNG_SEED").is_none() {
        c.rng_seed = RngSeed::Fixed(18);
    }
    c.failure_persistence = None;
    c
}

/// The longest a reader may take on one of these small inputs before it counts as a hang.
pub const HANG: Duration = Duration::from_secs(5);

/// Runs `f`, failing the case if it takes longer than [`HANG`].
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> Result<T, TestCaseError> {
    let start = Instant::now();
    let out = f();
    let took = start.elapsed();
    if took > HANG {
        return Err(TestCaseError::fail(format!("{what} took {took:?}")));
    }
    Ok(out)
}
