//! Units as types where a mix-up would hurt: seconds vs minutes, people vs households.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Sub, SubAssign};

/// A duration, or an instant counted from the scenario's start, in whole seconds.
///
/// Instants and durations share one type because the arithmetic between them
/// (arrival = departure + travel) is what the whole model does; the unit is what
/// must never be confused, and it is always seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Seconds(pub i64);

impl Seconds {
    /// Zero seconds: the scenario's start, or no time at all.
    pub const ZERO: Seconds = Seconds(0);
    /// A time later than any event of any plan (about 292 billion years).
    pub const MAX: Seconds = Seconds(i64::MAX / 4);

    /// Whole minutes as seconds.
    pub const fn from_minutes(m: i64) -> Seconds {
        Seconds(m * 60)
    }

    /// Whole hours as seconds.
    pub const fn from_hours(h: i64) -> Seconds {
        Seconds(h * 3600)
    }

    /// `self` × `n`, for per-person times (boarding, unloading).
    pub const fn times(self, n: People) -> Seconds {
        Seconds(self.0.saturating_mul(n.0 as i64))
    }

    /// Hours as a float, for reports.
    pub fn as_hours(self) -> f64 {
        self.0 as f64 / 3600.0
    }
}

impl Add for Seconds {
    type Output = Seconds;
    fn add(self, o: Seconds) -> Seconds {
        Seconds(self.0.saturating_add(o.0))
    }
}
impl Sub for Seconds {
    type Output = Seconds;
    fn sub(self, o: Seconds) -> Seconds {
        Seconds(self.0.saturating_sub(o.0))
    }
}
impl AddAssign for Seconds {
    fn add_assign(&mut self, o: Seconds) {
        *self = *self + o;
    }
}
impl SubAssign for Seconds {
    fn sub_assign(&mut self, o: Seconds) {
        *self = *self - o;
    }
}
impl Sum for Seconds {
    fn sum<I: Iterator<Item = Seconds>>(iter: I) -> Seconds {
        iter.fold(Seconds::ZERO, Add::add)
    }
}

impl fmt::Display for Seconds {
    /// `1d 02:03:04`, `02:03:04` or `-00:00:05`: how an operations room reads times.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let s = self.0.unsigned_abs();
        let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
        if d > 0 {
            write!(f, "{sign}{d}d {h:02}:{m:02}:{sec:02}")
        } else {
            write!(f, "{sign}{h:02}:{m:02}:{sec:02}")
        }
    }
}

/// A number of people (not households, not seats).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct People(pub u32);

impl Add for People {
    type Output = People;
    fn add(self, o: People) -> People {
        People(self.0.saturating_add(o.0))
    }
}
impl Sub for People {
    type Output = People;
    fn sub(self, o: People) -> People {
        People(self.0.saturating_sub(o.0))
    }
}
impl AddAssign for People {
    fn add_assign(&mut self, o: People) {
        *self = *self + o;
    }
}
impl Mul<u32> for People {
    type Output = People;
    fn mul(self, k: u32) -> People {
        People(self.0.saturating_mul(k))
    }
}
impl Sum for People {
    fn sum<I: Iterator<Item = People>>(iter: I) -> People {
        iter.fold(People(0), Add::add)
    }
}
impl fmt::Display for People {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_display_reads_like_a_clock() {
        assert_eq!(Seconds(0).to_string(), "00:00:00");
        assert_eq!(Seconds(3723).to_string(), "01:02:03");
        assert_eq!(Seconds(86_400 + 60).to_string(), "1d 00:01:00");
        assert_eq!(Seconds(-5).to_string(), "-00:00:05");
    }

    #[test]
    fn arithmetic_saturates_instead_of_wrapping() {
        assert_eq!(Seconds(i64::MAX) + Seconds(1), Seconds(i64::MAX));
        assert_eq!(People(1) - People(2), People(0));
        assert_eq!(Seconds(7).times(People(3)), Seconds(21));
    }
}
