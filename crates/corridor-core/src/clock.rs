//! Wall-clock instants for people: the scenario's start as a calendar date and UTC offset.
//!
//! Internally every time is whole seconds from the scenario's start; a [`Clock`]
//! turns those back into the dates an operations room reads. Pure arithmetic on
//! the proleptic Gregorian calendar: no time zone database, no system clock.

use crate::units::Seconds;

/// The scenario's start as a Unix time and the local UTC offset for display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Seconds since 1970-01-01T00:00:00Z at the scenario's start.
    pub unix_start: i64,
    /// Minutes east of UTC used for display (e.g. 120 for +02:00).
    pub utc_offset_minutes: i32,
}

impl Clock {
    /// Seconds from the scenario's start to the Unix time `unix`.
    pub fn since_start(&self, unix: i64) -> Seconds {
        Seconds(unix - self.unix_start)
    }

    /// `2016-12-15 05:00` (local time at the scenario's offset).
    pub fn format(&self, t: Seconds) -> String {
        let local = self
            .unix_start
            .saturating_add(t.0)
            .saturating_add(i64::from(self.utc_offset_minutes) * 60)
            .clamp(-(1 << 45), 1 << 45);
        let (days, secs) = (local.div_euclid(86_400), local.rem_euclid(86_400));
        let (y, m, d) = civil_from_days(days);
        format!(
            "{y:04}-{m:02}-{d:02} {:02}:{:02}",
            secs / 3600,
            secs / 60 % 60
        )
    }

    /// `2016-12-15 05:00:07`: to the second, for messages about a plan's event times.
    pub fn format_seconds(&self, t: Seconds) -> String {
        let mut s = self.format(t);
        let local = self
            .unix_start
            .saturating_add(t.0)
            .saturating_add(i64::from(self.utc_offset_minutes) * 60);
        s.push_str(&format!(":{:02}", local.rem_euclid(60)));
        s
    }

    /// The offset as `+02:00`.
    pub fn offset_text(&self) -> String {
        let m = self.utc_offset_minutes;
        let sign = if m < 0 { '-' } else { '+' };
        format!("{sign}{:02}:{:02}", m.abs() / 60, m.abs() % 60)
    }
}

/// Days since 1970-01-01 of a civil date (H. Hinnant's algorithm).
pub fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = i64::from((m + 9) % 12);
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The civil date of a count of days since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calendar_round_trips() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2016, 12, 15), 17_150);
        for z in [-1000, 0, 17_150, 20_000, 59] {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
    }

    #[test]
    fn formats_local_time() {
        // 2016-12-15T05:00:00+02:00 is 03:00Z.
        let clock = Clock {
            unix_start: 17_150 * 86_400 + 3 * 3600,
            utc_offset_minutes: 120,
        };
        assert_eq!(clock.format(Seconds(0)), "2016-12-15 05:00");
        assert_eq!(clock.format(Seconds::from_hours(20)), "2016-12-16 01:00");
        assert_eq!(clock.offset_text(), "+02:00");
    }
}
