//! The literature's Bus Evacuation Problem instance format (Goerigk, Grün &
//! Heßler 2013; the random instances of Loyola, Riff & Montero 2017), imported
//! as an ordinary scenario.
//!
//! ```text
//! B Q                      buses, bus capacity (people)
//! Y b_1 ... b_Y            yards, buses at each yard
//! P sumD D_1 ... D_P       collection points, total demand, demand per point
//! S sumC C_1 ... C_S       shelters, total capacity, capacity per shelter
//! Y rows:  y  t(y,1) ... t(y,P)        yard -> point
//! P rows:  p  t(p,1) ... t(p,S)        point <-> shelter (both directions)
//! ```
//!
//! In Corridor's terms: one depot per yard, one pickup site per point holding
//! `D_p / Q` households of `Q` people, one destination per shelter with its
//! capacity, buses of `Q` seats with no boarding, stop or unloading time and no
//! return, one time unit as one second. The format forbids moving between two
//! points or two shelters; the travel-time matrix keeps those moves unreachable.

use crate::problem::{Problem, Problems};

/// A scenario written as files: relative path and contents.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioFile {
    /// Relative path inside the scenario directory.
    pub path: String,
    /// The file's text.
    pub contents: String,
}

/// The longest travel time an instance may give (30 days, as in a scenario's matrix); one time
/// unit is one second.
const MAX_TRAVEL_SECONDS: i64 = 30 * 86_400;

struct Tokens<'a> {
    file: &'a str,
    items: Vec<(usize, &'a str)>,
    pos: usize,
}

impl<'a> Tokens<'a> {
    /// The next number, which must lie in 0..=1e9 (counts and travel times both).
    fn next(&mut self, what: &str) -> Result<i64, Problem> {
        let line = self.line();
        let n = self.next_any(what)?;
        if !(0..=1_000_000_000).contains(&n) {
            return Err(Problem::in_file(
                self.file,
                format!("{n} is out of range for {what}; expected 0 to 1000000000"),
            )
            .at_line(line));
        }
        Ok(n)
    }

    fn next_any(&mut self, what: &str) -> Result<i64, Problem> {
        let Some(&(line, tok)) = self.items.get(self.pos) else {
            let line = self.items.last().map_or(1, |(l, _)| *l);
            return Err(Problem::in_file(
                self.file,
                format!("the file ends where {what} was expected"),
            )
            .at_line(line));
        };
        self.pos += 1;
        tok.parse::<i64>().map_err(|_| {
            Problem::in_file(
                self.file,
                format!("`{tok}` is not a whole number; expected {what}"),
            )
            .at_line(line)
        })
    }

    /// The line of the next number (at the end of the file, of the last one; 1 in an empty file).
    fn line(&self) -> usize {
        self.items
            .get(self.pos)
            .or(self.items.last())
            .map_or(1, |(l, _)| *l)
    }

    /// The line of the number just read.
    fn line_read(&self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|i| self.items.get(i))
            .map_or(1, |(l, _)| *l)
    }
}

/// Reads a BEP instance and writes it as a scenario (`scenario.toml` and `travel-times.csv`).
pub fn import_bep(file: &str, text: &str, name: &str) -> Result<Vec<ScenarioFile>, Problems> {
    let items = text
        .lines()
        .enumerate()
        .flat_map(|(i, l)| l.split_whitespace().map(move |t| (i + 1, t)))
        .collect();
    let mut t = Tokens {
        file,
        items,
        pos: 0,
    };
    let bad = |line: usize, m: String| Problems::from(Problem::in_file(file, m).at_line(line));
    let buses = t.next("the number of buses B")?;
    let q = t.next("the bus capacity Q")?;
    if buses < 1 || q < 1 {
        return Err(bad(
            1,
            format!("B and Q must be at least 1, got B = {buses}, Q = {q}"),
        ));
    }
    let y = t.next("the number of yards Y")?;
    let counts_ok = |n: i64, what: &str, line: usize| -> Result<(), Problems> {
        if n > 100_000 {
            Err(bad(
                line,
                format!("{n} {what} is more than this importer handles (100000)"),
            ))
        } else {
            Ok(())
        }
    };
    counts_ok(y, "yards", t.line_read())?;
    let mut per_yard = Vec::new();
    for i in 0..y.max(0) {
        per_yard.push(t.next(&format!("the number of buses at yard {}", i + 1))?);
    }
    if per_yard.iter().sum::<i64>() != buses {
        return Err(bad(
            t.line().saturating_sub(1).max(1),
            format!(
                "the yards hold {} buses, but B = {buses}",
                per_yard.iter().sum::<i64>()
            ),
        ));
    }
    let p = t.next("the number of collection points P")?;
    counts_ok(p, "collection points", t.line_read())?;
    let sum_d = t.next("the total demand")?;
    let mut demand = Vec::new();
    for i in 0..p.max(0) {
        let line = t.line();
        let d = t.next(&format!("the demand of point {}", i + 1))?;
        if d < 0 || d % q != 0 {
            return Err(bad(
                line,
                format!(
                    "point {}'s demand {d} is not a multiple of the bus capacity {q}",
                    i + 1
                ),
            ));
        }
        demand.push(d);
    }
    if demand.iter().sum::<i64>() != sum_d {
        return Err(bad(
            1,
            format!(
                "the demands add up to {}, but the file says {sum_d}",
                demand.iter().sum::<i64>()
            ),
        ));
    }
    let s = t.next("the number of shelters S")?;
    counts_ok(s, "shelters", t.line_read())?;
    let sum_c = t.next("the total shelter capacity")?;
    let mut capacity = Vec::new();
    for i in 0..s.max(0) {
        capacity.push(t.next(&format!("the capacity of shelter {}", i + 1))?);
    }
    if capacity.iter().sum::<i64>() != sum_c {
        return Err(bad(
            1,
            format!(
                "the capacities add up to {}, but the file says {sum_c}",
                capacity.iter().sum::<i64>()
            ),
        ));
    }
    if y < 1 || p < 1 || s < 1 {
        return Err(bad(
            1,
            format!(
                "an instance needs at least one yard, point and shelter (Y = {y}, P = {p}, S = {s})"
            ),
        ));
    }
    let (y, p, s) = (y as usize, p as usize, s as usize);
    // A scenario's matrix holds legs of at most 30 days: refuse longer ones here, where they are.
    let travel = |t: &mut Tokens<'_>, what: String| -> Result<i64, Problems> {
        let line = t.line();
        let x = t.next(&what)?;
        if x > MAX_TRAVEL_SECONDS {
            return Err(bad(
                line,
                format!(
                    "{what} is {x}, more than 30 days ({MAX_TRAVEL_SECONDS} s), the longest leg a scenario may have"
                ),
            ));
        }
        Ok(x)
    };
    let mut yard_point = vec![vec![0i64; p]; y];
    for (i, row) in yard_point.iter_mut().enumerate() {
        let line = t.line();
        let label = t.next(&format!("the row label of yard {}", i + 1))?;
        if label != i as i64 + 1 {
            return Err(bad(
                line,
                format!("expected the row of yard {}, found label {label}", i + 1),
            ));
        }
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = travel(
                &mut t,
                format!("the travel time from yard {} to point {}", i + 1, j + 1),
            )?;
        }
    }
    let mut point_shelter = vec![vec![0i64; s]; p];
    for (i, row) in point_shelter.iter_mut().enumerate() {
        let line = t.line();
        let label = t.next(&format!("the row label of point {}", i + 1))?;
        if label != i as i64 + 1 {
            return Err(bad(
                line,
                format!("expected the row of point {}, found label {label}", i + 1),
            ));
        }
        for (j, cell) in row.iter_mut().enumerate() {
            *cell = travel(
                &mut t,
                format!(
                    "the travel time between point {} and shelter {}",
                    i + 1,
                    j + 1
                ),
            )?;
        }
    }
    if t.pos < t.items.len() {
        return Err(bad(
            t.line(),
            "unexpected data after the travel-time rows".into(),
        ));
    }
    if yard_point
        .iter()
        .chain(point_shelter.iter())
        .flatten()
        .any(|&x| x < 0)
    {
        return Err(bad(1, "travel times must not be negative".into()));
    }

    let yards: Vec<String> = (1..=y).map(|i| format!("Yard {i}")).collect();
    let points: Vec<String> = (1..=p).map(|i| format!("Point {i}")).collect();
    let shelters: Vec<String> = (1..=s).map(|i| format!("Shelter {i}")).collect();
    let mut toml = format!(
        "# Imported from the Bus Evacuation Problem instance {file}\n\
         # (format of Goerigk, Grün & Heßler 2013). One time unit is one second.\n\
         # Moves between two points or two shelters are forbidden: unreachable in the matrix.\n\n\
         [scenario]\nname = \"{name}\"\nformat_version = 1\n\n\
         [network]\nmatrix = \"travel-times.csv\"\n\n\
         [[vehicle_type]]\nname = \"bus\"\nseats = {q}\n\n"
    );
    for (i, &n) in per_yard.iter().enumerate() {
        if n > 0 {
            toml.push_str(&format!(
                "[[vehicle]]\nname = \"bus-y{}\"\ncount = {n}\ntype = \"bus\"\ndepot = \"{}\"\n\n",
                i + 1,
                yards[i]
            ));
        }
    }
    // The instances have no coordinates; every site sits at (0, 0).
    for n in &yards {
        toml.push_str(&format!(
            "[[site]]\nname = \"{n}\"\nkind = \"depot\"\nlat = 0.0\nlon = 0.0\n\n"
        ));
    }
    for (i, n) in points.iter().enumerate() {
        toml.push_str(&format!(
            "[[site]]\nname = \"{n}\"\nkind = \"pickup\"\nlat = 0.0\nlon = 0.0\n\n"
        ));
        if demand[i] > 0 {
            toml.push_str(&format!(
                "[[population]]\nsite = \"{n}\"\npeople = {}\nhousehold_size = {q}\nreference_prefix = \"P{}\"\n\n",
                demand[i],
                i + 1
            ));
        }
    }
    for (i, n) in shelters.iter().enumerate() {
        toml.push_str(&format!("[[site]]\nname = \"{n}\"\nkind = \"destination\"\nlat = 0.0\nlon = 0.0\ncapacity = {}\n\n", capacity[i].max(1)));
    }
    let names: Vec<&String> = yards.iter().chain(&points).chain(&shelters).collect();
    let n = names.len();
    let mut m = vec![vec![None::<i64>; n]; n];
    for (i, row) in m.iter_mut().enumerate() {
        row[i] = Some(0);
    }
    for a in 0..y {
        for b in 0..p {
            m[a][y + b] = Some(yard_point[a][b]);
        }
    }
    for a in 0..p {
        for b in 0..s {
            m[y + a][y + p + b] = Some(point_shelter[a][b]);
            m[y + p + b][y + a] = Some(point_shelter[a][b]);
        }
    }
    let mut csv = String::from("from");
    for nm in &names {
        csv.push(',');
        csv.push_str(nm);
    }
    csv.push('\n');
    for (i, nm) in names.iter().enumerate() {
        csv.push_str(nm);
        for cell in &m[i] {
            csv.push(',');
            if let Some(x) = cell {
                csv.push_str(&x.to_string());
            }
        }
        csv.push('\n');
    }
    Ok(vec![
        ScenarioFile {
            path: "scenario.toml".into(),
            contents: toml,
        },
        ScenarioFile {
            path: "travel-times.csv".into(),
            contents: csv,
        },
    ])
}
