//! Durations ("90s", "5 min", "1h30min") and instants (ISO 8601 with an offset, or a duration from the start).

use corridor_core::{Clock, Seconds, days_from_civil};
use toml::value::{Datetime, Offset};

/// Parses a duration with units: `90s`, `5min`, `1h30min`, `1.5h`, `2d`.
///
/// A bare number is refused: whether `30` meant seconds or minutes is exactly
/// the mix-up this format exists to prevent.
pub fn parse_duration(text: &str) -> Result<Seconds, String> {
    let expected = "expected a duration with a unit, e.g. \"90s\", \"5min\", \"1h30min\" or \"2d\"";
    let t = text.trim();
    if t.is_empty() {
        return Err(format!("empty duration; {expected}"));
    }
    let mut total = 0.0f64;
    let mut rest = t;
    while !rest.is_empty() {
        let num_len = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if num_len == 0 {
            return Err(format!("`{text}` is not a duration; {expected}"));
        }
        let n: f64 = rest[..num_len]
            .parse()
            .map_err(|_| format!("`{text}` is not a duration; {expected}"))?;
        rest = rest[num_len..].trim_start();
        let unit_len = rest
            .find(|c: char| !c.is_ascii_alphabetic())
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let factor = match unit {
            "s" | "sec" | "secs" | "second" | "seconds" => 1.0,
            "m" | "min" | "mins" | "minute" | "minutes" => 60.0,
            "h" | "hr" | "hrs" | "hour" | "hours" => 3600.0,
            "d" | "day" | "days" => 86_400.0,
            "" => return Err(format!("`{text}` has no unit; {expected}")),
            _ => return Err(format!("unknown unit `{unit}` in `{text}`; {expected}")),
        };
        total += n * factor;
        rest = rest[unit_len..].trim_start();
    }
    if !total.is_finite() || total > 1e15 {
        return Err(format!("`{text}` is too long a duration"));
    }
    Ok(Seconds(total.round() as i64))
}

/// A duration as the shortest text that parses back to it: `90s`, `5min`, `1h30min`.
pub fn format_duration(t: Seconds) -> String {
    let s = t.0;
    if s == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let (d, h, m, sec) = (s / 86_400, s / 3600 % 24, s / 60 % 60, s % 60);
    for (n, u) in [(d, "d"), (h, "h"), (m, "min"), (sec, "s")] {
        if n != 0 {
            out.push_str(&format!("{n}{u}"));
        }
    }
    out
}

/// Unix time of a TOML datetime that has a date, a time and an offset.
pub(crate) fn unix_of(dt: &Datetime) -> Result<(i64, i32), String> {
    let (Some(date), Some(time)) = (dt.date, dt.time) else {
        return Err(format!(
            "`{dt}` needs both a date and a time, e.g. 2016-12-15T05:00:00+02:00"
        ));
    };
    let offset = match dt.offset {
        Some(Offset::Z) => 0,
        Some(Offset::Custom { minutes }) => i32::from(minutes),
        None => {
            return Err(format!(
                "`{dt}` has no UTC offset; write it with one, e.g. {dt}+02:00, so the time is unambiguous"
            ));
        }
    };
    let days = days_from_civil(
        i64::from(date.year),
        u32::from(date.month),
        u32::from(date.day),
    );
    let secs = days * 86_400
        + i64::from(time.hour) * 3600
        + i64::from(time.minute) * 60
        + i64::from(time.second.unwrap_or(0))
        - i64::from(offset) * 60;
    Ok((secs, offset))
}

/// Whether a time given as text is meant as an absolute instant (`2016-12-15T05:00:00+02:00`)
/// rather than a duration from the start.
pub(crate) fn looks_like_instant(text: &str) -> bool {
    let t = text.trim();
    t.starts_with(|c: char| c.is_ascii_digit()) && t.contains('-') && t.len() >= 10
}

/// A time given as text: an ISO 8601 instant with offset, or a duration from the start (`6h`, `+6h`).
pub fn parse_instant(text: &str, clock: Option<&Clock>) -> Result<Seconds, String> {
    let t = text.trim();
    if looks_like_instant(t) {
        let dt: Datetime = t.parse().map_err(|_| {
            format!("`{t}` is not an ISO 8601 instant; expected e.g. 2016-12-15T05:00:00+02:00")
        })?;
        return instant_of_datetime(&dt, clock);
    }
    // `08/30/2008 8:00 AM` is a date in another notation, not a duration missing its unit.
    if t.starts_with(|c: char| c.is_ascii_digit()) && t.contains('/') {
        return Err(format!(
            "`{t}` is not a date Corridor reads; write instants in ISO 8601 with an offset, e.g. {}",
            example(clock)
        ));
    }
    parse_duration(t.strip_prefix('+').unwrap_or(t)).map_err(|e| {
        format!("{e}; or an ISO 8601 instant with an offset, e.g. {}", example(clock))
    })
}

/// An instant to show in messages: the scenario's own start when it has one, so the example
/// carries the offset the user's other times use.
fn example(clock: Option<&Clock>) -> String {
    match clock {
        Some(c) => format!("{}{}", c.format_seconds(Seconds::ZERO).replace(' ', "T"), c.offset_text()),
        None => "2016-12-15T05:00:00+02:00".to_string(),
    }
}

/// A TOML datetime as seconds from the scenario's start.
pub(crate) fn instant_of_datetime(dt: &Datetime, clock: Option<&Clock>) -> Result<Seconds, String> {
    if let (Some(c), None, Some(_)) = (clock, dt.offset, dt.time) {
        return Err(format!(
            "`{dt}` has no UTC offset; write it with the scenario's own, e.g. {dt}{}, so the time is unambiguous",
            c.offset_text()
        ));
    }
    let (unix, _) = unix_of(dt)?;
    match clock {
        Some(c) => Ok(c.since_start(unix)),
        None => Err(format!(
            "`{dt}` is an absolute time, but the scenario has no `start`; add `start = {dt}` (or earlier) under [scenario], or give a duration from the start such as \"6h\""
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("90s"), Ok(Seconds(90)));
        assert_eq!(parse_duration("5 min"), Ok(Seconds(300)));
        assert_eq!(parse_duration("1h30min"), Ok(Seconds(5400)));
        assert_eq!(parse_duration("1.5h"), Ok(Seconds(5400)));
        assert_eq!(parse_duration("2d"), Ok(Seconds(172_800)));
        assert!(parse_duration("30").unwrap_err().contains("has no unit"));
        let us = parse_instant("08/30/2008 8:00 AM", None).unwrap_err();
        assert!(us.contains("ISO 8601") && !us.contains("has no unit"), "{us}");
        assert!(
            parse_duration("3 weeks")
                .unwrap_err()
                .contains("unknown unit `weeks`")
        );
        assert!(parse_duration("-3s").is_err());
    }

    #[test]
    fn durations_format_back() {
        for s in [0, 59, 90, 3600, 5400, 86_400 + 61] {
            assert_eq!(parse_duration(&format_duration(Seconds(s))), Ok(Seconds(s)));
        }
    }

    #[test]
    fn instants_are_relative_to_the_start() {
        let start: Datetime = "2016-12-15T00:00:00+02:00".parse().unwrap();
        let (unix, off) = unix_of(&start).unwrap();
        let clock = Clock {
            unix_start: unix,
            utc_offset_minutes: off,
        };
        assert_eq!(
            parse_instant("2016-12-15T05:00:00+02:00", Some(&clock)),
            Ok(Seconds(5 * 3600))
        );
        assert_eq!(
            parse_instant("2016-12-15T03:00:00Z", Some(&clock)),
            Ok(Seconds(5 * 3600))
        );
        assert_eq!(parse_instant("+6h", Some(&clock)), Ok(Seconds(6 * 3600)));
        // Hints give the scenario's own offset and start, not a fixed one.
        let new_orleans = Clock {
            unix_start: unix,
            utc_offset_minutes: -300,
        };
        let e = parse_instant("2008-08-30T08:00:00", Some(&new_orleans)).unwrap_err();
        assert!(e.contains("2008-08-30T08:00:00-05:00"), "{e}");
        let e = parse_instant("08/30/2008 8:00 AM", Some(&new_orleans)).unwrap_err();
        assert!(e.contains("e.g. 2016-12-14T17:00:00-05:00"), "{e}");
        assert!(
            parse_instant("2016-12-15T05:00:00+02:00", None)
                .unwrap_err()
                .contains("no `start`")
        );
        assert!(
            parse_instant("2016-12-15T05:00:00", Some(&clock))
                .unwrap_err()
                .contains("no UTC offset")
        );
    }
}
