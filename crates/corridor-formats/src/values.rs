//! Scenario-file values with their own parsing rules: times and durations.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, MapAccess, Visitor};
use toml::value::Datetime;

/// A time in a scenario file: a TOML datetime literal, or text (an instant or a duration from the start).
#[derive(Clone, Debug)]
pub(crate) enum TimeValue {
    Date(Datetime),
    Text(String),
}

impl<'de> Deserialize<'de> for TimeValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<TimeValue, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = TimeValue;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a time: an instant with an offset (2016-12-15T05:00:00+02:00) or a duration from the start (\"6h\")")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<TimeValue, E> {
                Ok(TimeValue::Text(s.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<TimeValue, E> {
                Err(E::custom(format!(
                    "a bare number ({n}) is not a time; write a duration from the start with its unit, e.g. \"{n}s\" or \"{n}min\", or an instant such as 2016-12-15T05:00:00+02:00"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<TimeValue, A::Error> {
                Datetime::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(TimeValue::Date)
            }
        }
        d.deserialize_any(V)
    }
}

/// A duration in a scenario file: text with a unit.
#[derive(Clone, Debug)]
pub(crate) struct DurationText(pub(crate) String);

impl<'de> Deserialize<'de> for DurationText {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<DurationText, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationText;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration with a unit, e.g. \"90s\" or \"5min\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DurationText, E> {
                Ok(DurationText(s.to_string()))
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<DurationText, E> {
                Err(E::custom(format!(
                    "a bare number ({n}) is not a duration; write it with its unit, e.g. \"{n}s\" or \"{n}min\""
                )))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<DurationText, E> {
                Err(E::custom(format!(
                    "a bare number ({n}) is not a duration; write it with its unit, e.g. \"{n}s\" or \"{n}min\""
                )))
            }
        }
        d.deserialize_any(V)
    }
}
