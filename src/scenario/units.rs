//! Durations and rates written with their units, as in `250ms` or `800/s`.
//!
//! Simulated time is an integer number of nanoseconds, so a duration parses to
//! nanoseconds and must be a whole number of them. Rates stay floating point, in events
//! per second of simulated time.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

/// Nanoseconds per unit suffix, longest suffixes first so that `ms` is not read as `m`.
/// Both the micro sign (U+00B5) and the Greek small letter mu (U+03BC) spell micro,
/// because keyboards and editors produce either.
const DURATION_UNITS: [(&str, u64); 8] = [
    ("ns", 1),
    ("us", 1_000),
    ("\u{b5}s", 1_000),
    ("\u{3bc}s", 1_000),
    ("ms", 1_000_000),
    ("s", 1_000_000_000),
    ("m", 60_000_000_000),
    ("h", 3_600_000_000_000),
];

/// The units a duration may use, for messages.
pub const DURATION_UNITS_HELP: &str =
    "a number with a unit: ns, us, ms, s, m or h (e.g. 250ms, 1.5s)";

/// The units a rate may use, for messages.
pub const RATE_UNITS_HELP: &str = "a number per unit of time: /s, /min or /h (e.g. 800/s, 50/min)";

/// A span of simulated time, in whole nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration {
    nanos: u64,
}

impl Duration {
    /// No time at all.
    pub const ZERO: Self = Self { nanos: 0 };

    /// A duration of `nanos` nanoseconds.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Self {
        Self { nanos }
    }

    /// A duration of `millis` milliseconds.
    #[must_use]
    pub const fn from_millis(millis: u64) -> Self {
        Self {
            nanos: millis * 1_000_000,
        }
    }

    /// A duration of `secs` seconds.
    #[must_use]
    pub const fn from_secs(secs: u64) -> Self {
        Self {
            nanos: secs * 1_000_000_000,
        }
    }

    /// The duration in nanoseconds.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// The duration in seconds.
    #[must_use]
    pub fn as_secs_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// Parses a duration such as `250ms`, `1.5s`, `40us` or `2m`.
    ///
    /// A bare `0` is accepted; any other number needs a unit, because a bare number
    /// in a scenario is more often a mistake than a count of nanoseconds.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed == "0" {
            return Ok(Self::ZERO);
        }
        let Some((number, nanos_per_unit)) = split_unit(trimmed) else {
            return Err(format!("expected {DURATION_UNITS_HELP}"));
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("\"{number}\" is not a number; expected {DURATION_UNITS_HELP}"))?;
        if !value.is_finite() {
            return Err("must be finite".to_owned());
        }
        if value < 0.0 {
            return Err("must not be negative".to_owned());
        }
        let nanos = value * nanos_per_unit as f64;
        // 2^62 ns, about 146 years, leaves room for adding two durations without
        // overflow, and f64 rounding near the limit cannot carry a value past it.
        if nanos > (1u64 << 62) as f64 {
            return Err(
                "is too long: durations are limited to 2^62 ns, about 146 years".to_owned(),
            );
        }
        let rounded = nanos.round();
        if (nanos - rounded).abs() > 1e-6 * nanos.max(1.0) {
            return Err("is not a whole number of nanoseconds".to_owned());
        }
        Ok(Self {
            nanos: rounded as u64,
        })
    }
}

fn split_unit(text: &str) -> Option<(&str, u64)> {
    // Try two-letter suffixes before one-letter ones.
    let mut units = DURATION_UNITS;
    units.sort_by_key(|(suffix, _)| std::cmp::Reverse(suffix.len()));
    units
        .iter()
        .find_map(|(suffix, nanos)| text.strip_suffix(suffix).map(|number| (number, *nanos)))
}

impl fmt::Display for Duration {
    /// Writes the duration with the largest unit that keeps it a short exact number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = self.nanos;
        if nanos == 0 {
            return f.write_str("0s");
        }
        for (suffix, unit) in [
            ("h", 3_600_000_000_000u64),
            ("m", 60_000_000_000),
            ("s", 1_000_000_000),
            ("ms", 1_000_000),
            ("us", 1_000),
        ] {
            if nanos.is_multiple_of(unit) {
                return write!(f, "{}{suffix}", nanos / unit);
            }
            // One to three decimals of seconds or milliseconds read better than a
            // smaller unit, e.g. 1.5s; minutes and hours are only used when whole, so
            // 90s stays 90s.
            if nanos >= unit
                && (u128::from(nanos) * 1000) % u128::from(unit) == 0
                && (1_000_000..=1_000_000_000).contains(&unit)
            {
                let value = nanos as f64 / unit as f64;
                return write!(f, "{value}{suffix}");
            }
        }
        write!(f, "{nanos}ns")
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Duration {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A span of simulated time: a number with a unit ns, us, ms, s, m or h, e.g. 250ms or 1.5s.",
            "type": "string",
            "pattern": "^\\s*(0|[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?\\s*(ns|us|\u{b5}s|\u{3bc}s|ms|s|m|h))\\s*$"
        })
    }
}

/// An event rate, in events per second of simulated time.
#[derive(Clone, Copy, Debug, PartialEq, PartialOrd)]
pub struct Rate {
    per_sec: f64,
    /// The unit it was written in, kept so that saving writes it back the same way.
    unit: RateUnit,
}

/// The time unit a rate is written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd)]
pub enum RateUnit {
    /// Per second.
    Second,
    /// Per minute.
    Minute,
    /// Per hour.
    Hour,
}

impl RateUnit {
    fn seconds(self) -> f64 {
        match self {
            RateUnit::Second => 1.0,
            RateUnit::Minute => 60.0,
            RateUnit::Hour => 3600.0,
        }
    }

    fn suffix(self) -> &'static str {
        match self {
            RateUnit::Second => "/s",
            RateUnit::Minute => "/min",
            RateUnit::Hour => "/h",
        }
    }
}

impl Rate {
    /// A rate of `per_sec` events per second.
    #[must_use]
    pub fn per_sec(per_sec: f64) -> Self {
        Self {
            per_sec,
            unit: RateUnit::Second,
        }
    }

    /// The rate in events per second.
    #[must_use]
    pub fn as_per_sec(self) -> f64 {
        self.per_sec
    }

    /// The same rate multiplied by `factor`, written in the same unit.
    #[must_use]
    pub fn scaled(self, factor: f64) -> Self {
        Self {
            per_sec: self.per_sec * factor,
            unit: self.unit,
        }
    }

    /// Parses a rate such as `800/s`, `50/min` or `3/h`. Zero is allowed here; callers
    /// that need a positive rate check it, so that the message can name the field.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        let Some((number, unit_text)) = trimmed.split_once('/') else {
            return Err(format!("expected {RATE_UNITS_HELP}"));
        };
        let unit = match unit_text.trim() {
            "s" | "sec" | "second" => RateUnit::Second,
            "min" | "minute" => RateUnit::Minute,
            "h" | "hour" => RateUnit::Hour,
            other => {
                return Err(format!(
                    "has an unknown unit \"/{other}\"; expected {RATE_UNITS_HELP}"
                ));
            }
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("\"{number}\" is not a number; expected {RATE_UNITS_HELP}"))?;
        if !value.is_finite() {
            return Err("must be finite".to_owned());
        }
        if value < 0.0 {
            return Err("must not be negative".to_owned());
        }
        Ok(Self {
            per_sec: value / unit.seconds(),
            unit,
        })
    }
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let value = self.per_sec * self.unit.seconds();
        // Round away the error of the unit conversion, e.g. 50/min stored as 0.8333/s,
        // where the scaled value stays finite.
        let scaled = (value * 1e9).round() / 1e9;
        let rounded = if scaled.is_finite() { scaled } else { value };
        write!(f, "{rounded}{}", self.unit.suffix())
    }
}

impl Serialize for Rate {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl JsonSchema for Rate {
    fn schema_name() -> Cow<'static, str> {
        "Rate".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "Events per unit of simulated time: a number followed by /s, /min or /h, e.g. 800/s or 50/min.",
            "type": "string",
            "pattern": "^\\s*[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?\\s*/\\s*(s|sec|second|min|minute|h|hour)\\s*$"
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duration_parses_every_unit() {
        let cases = [
            ("250ms", 250_000_000),
            ("1.5s", 1_500_000_000),
            ("40us", 40_000),
            ("40µs", 40_000),
            ("40\u{3bc}s", 40_000),
            ("2m", 120_000_000_000),
            ("1h", 3_600_000_000_000),
            ("7ns", 7),
            ("0", 0),
            (" 3 s ", 3_000_000_000),
        ];
        for (text, nanos) in cases {
            assert_eq!(
                Duration::parse(text),
                Ok(Duration::from_nanos(nanos)),
                "{text}"
            );
        }
    }

    #[test]
    fn duration_rejects_bad_text() {
        for text in ["", "5", "fast", "-1s", "1.5ns", "nans", "1e30h", "1x"] {
            assert!(Duration::parse(text).is_err(), "{text} should be rejected");
        }
    }

    #[test]
    fn duration_display_round_trips() {
        for text in [
            "250ms", "1.5s", "40us", "2m", "1h", "7ns", "0s", "1.25ms", "90s",
        ] {
            let parsed = Duration::parse(text).expect("valid duration");
            let shown = parsed.to_string();
            assert_eq!(
                Duration::parse(&shown),
                Ok(parsed),
                "{text} shown as {shown}"
            );
        }
        assert_eq!(Duration::from_millis(1500).to_string(), "1.5s");
        assert_eq!(Duration::from_secs(120).to_string(), "2m");
    }

    #[test]
    fn rate_parses_units() {
        assert_eq!(Rate::parse("800/s").map(Rate::as_per_sec), Ok(800.0));
        assert_eq!(Rate::parse("60/min").map(Rate::as_per_sec), Ok(1.0));
        assert_eq!(Rate::parse("7200/h").map(Rate::as_per_sec), Ok(2.0));
        assert!(Rate::parse("800").is_err());
        assert!(Rate::parse("800/day").is_err());
        assert!(Rate::parse("-1/s").is_err());
        assert!(Rate::parse("inf/s").is_err());
    }

    #[test]
    fn rate_display_keeps_unit() {
        let rate = Rate::parse("50/min").expect("valid rate");
        assert_eq!(rate.to_string(), "50/min");
        assert_eq!(
            Rate::parse("0.5/s").expect("valid rate").to_string(),
            "0.5/s"
        );
    }
}
