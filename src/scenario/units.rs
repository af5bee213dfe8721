//! Durations and rates written with their units, as in `250ms` or `800/s`.
//!
//! Simulated time is an integer number of nanoseconds, so a duration parses to
//! nanoseconds and must be a whole number of them, at most [`MAX_DURATION`]; its number
//! is read as an exact decimal, never through a float. Rates stay floating point, in
//! events per second of simulated time, from [`MIN_RATE_PER_SEC`] to
//! [`MAX_RATE_PER_SEC`], so that the time between two events is a duration of at least
//! one nanosecond.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Serialize, Serializer};

use super::diagnostic::number as number_text;

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

/// The units a rate may use, as listed in the message for an unknown unit.
const RATE_UNITS_LISTED: &str = "/s, /sec, /second, /min, /minute, /h, /hour";

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

    /// Parses a duration such as `250ms`, `1.5s`, `40us`, `2m` or `1e3ms`.
    ///
    /// A bare `0` is accepted; any other number needs a unit, because a bare number
    /// in a scenario is more often a mistake than a count of nanoseconds.
    ///
    /// The number is read as a decimal, with integer arithmetic, so that the result is
    /// exact: it must be a whole number of nanoseconds and at most [`MAX_DURATION`].
    /// Reading it as a floating-point number would round `4611686018427387905ns` to
    /// 2^62 ns, and accept `1.0000001ns` as 1 ns.
    pub fn parse(text: &str) -> Result<Self, String> {
        let trimmed = text.trim();
        if trimmed == "0" {
            return Ok(Self::ZERO);
        }
        if let Some(problem) = unit_problem(trimmed) {
            return Err(problem);
        }
        let Some((number, nanos_per_unit)) = split_unit(trimmed) else {
            return Err(format!("expected {DURATION_UNITS_HELP}"));
        };
        let number = number.trim();
        let Some(decimal) = Decimal::parse(number) else {
            return Err(match number.parse::<f64>() {
                Ok(value) if !value.is_finite() => "must be finite".to_owned(),
                _ => format!("\"{number}\" is not a number; expected {DURATION_UNITS_HELP}"),
            });
        };
        if decimal.negative && !decimal.is_zero() {
            return Err("must not be negative".to_owned());
        }
        match decimal.times(nanos_per_unit, u128::from(MAX_DURATION.nanos)) {
            Ok(nanos) => Ok(Self {
                // At most 2^62, checked by `times`.
                nanos: nanos as u64,
            }),
            Err(Inexact::TooLarge) => Err(too_long()),
            Err(Inexact::Fraction) => Err("is not a whole number of nanoseconds".to_owned()),
        }
    }
}

/// The longest duration, 2^62 ns, about 146 years. Simulated time and every duration
/// are at most this long, so the sum of a time and a duration, at most 2^63 ns, never
/// overflows the `u64` of simulated time.
pub const MAX_DURATION: Duration = Duration::from_nanos(1 << 62);

fn too_long() -> String {
    format!(
        "is too long: the longest duration is {}ns (2^62 ns, about 146 years)",
        MAX_DURATION.nanos
    )
}

/// A decimal number as written, such as `-1.25e3`: its significant digits, without
/// leading or trailing zeros, and the power of ten they are multiplied by.
#[derive(Debug, PartialEq, Eq)]
struct Decimal {
    negative: bool,
    digits: String,
    exponent: i64,
}

/// Why a decimal is not a whole number within range.
#[derive(Debug, PartialEq, Eq)]
enum Inexact {
    /// Above the limit.
    TooLarge,
    /// It has a fractional part.
    Fraction,
}

impl Decimal {
    /// Reads `[+-] digits [. digits] [(e|E) [+-] digits]`, where either the digits
    /// before the point or those after it may be missing, as in `.5` or `5.`: the
    /// forms of Rust's `f64` parser other than `inf` and `nan`.
    fn parse(text: &str) -> Option<Self> {
        let (negative, rest) = match text.as_bytes().first() {
            Some(b'-') => (true, &text[1..]),
            Some(b'+') => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() && fraction.is_empty() || !all_digits(whole) || !all_digits(fraction) {
            return None;
        }
        let mut exponent: i64 = match exponent {
            None => 0,
            Some(written) => {
                let (sign, digits) = match written.as_bytes().first() {
                    Some(b'-') => (-1, &written[1..]),
                    Some(b'+') => (1, &written[1..]),
                    _ => (1, written),
                };
                if digits.is_empty() || !all_digits(digits) {
                    return None;
                }
                // Past 10^12 the value is zero, too large or not whole whatever the
                // digits, so larger exponents can saturate.
                let magnitude = digits
                    .trim_start_matches('0')
                    .parse::<i64>()
                    .unwrap_or(i64::MAX)
                    .min(1_000_000_000_000);
                sign * magnitude
            }
        };
        // Lengths are below the 4 MiB of a file, far within i64.
        let length = |count: usize| i64::try_from(count).unwrap_or(i64::MAX);
        let mut digits = format!("{whole}{fraction}");
        exponent -= length(fraction.len());
        let significant = digits.trim_end_matches('0').len();
        exponent += length(digits.len() - significant);
        digits.truncate(significant);
        let digits = digits.trim_start_matches('0').to_owned();
        Some(Self {
            negative,
            digits,
            exponent,
        })
    }

    fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// The magnitude times `factor`, if it is a whole number of at most `max`; a number
    /// that is both too large and not whole is too large.
    fn times(&self, factor: u64, max: u128) -> Result<u128, Inexact> {
        /// Fraction digits kept: a fraction times a factor of at most 3.6e12 (10^12
        /// times 36) is whole only for at most 14 fraction digits, because the digits
        /// end in a non-zero one; and 10^24 times that factor fits in a u128.
        const KEPT: u64 = 24;
        debug_assert!(max < 10u128.pow(20), "limits are below 10^20");
        if self.is_zero() {
            return Ok(0);
        }
        let factor = u128::from(factor);
        // The number has `integer_digits` digits before the point; 10^20 is beyond
        // `max`, and a u128 can represent it times any factor here, about 3.6e32.
        let integer_digits = i64::try_from(self.digits.len())
            .unwrap_or(i64::MAX)
            .saturating_add(self.exponent);
        if integer_digits > 20 {
            return Err(Inexact::TooLarge);
        }
        let parse = |digits: &str| -> u128 { digits.parse().unwrap_or(0) };
        if self.exponent >= 0 {
            let whole = parse(&self.digits) * 10u128.pow(self.exponent as u32) * factor;
            return if whole > max {
                Err(Inexact::TooLarge)
            } else {
                Ok(whole)
            };
        }
        let split = usize::try_from(integer_digits.max(0)).unwrap_or(0);
        let (whole, fraction) = self.digits.split_at(split);
        // The fraction is `fraction` over 10^fraction_digits, with as many leading
        // zeros as `fraction` is shorter; keep its first KEPT decimals.
        let fraction_digits = self.exponent.unsigned_abs();
        let dropped = fraction_digits.saturating_sub(KEPT);
        let kept = fraction
            .len()
            .saturating_sub(usize::try_from(dropped).unwrap_or(usize::MAX));
        let scale = 10u128.pow(fraction_digits.min(KEPT) as u32);
        let scaled = parse(&fraction[..kept]) * factor;
        let floor = parse(whole) * factor + scaled / scale;
        // The digits end in a non-zero one, so dropped digits are never all zeros.
        let inexact = dropped > 0 || scaled % scale != 0;
        if floor > max || floor == max && inexact {
            Err(Inexact::TooLarge)
        } else if inexact {
            Err(Inexact::Fraction)
        } else {
            Ok(floor)
        }
    }
}

/// The units a duration may use, as listed in the message for an unknown unit.
const DURATION_UNITS_LISTED: &str = "ns, us, \u{b5}s, ms, s, m, h";

/// Explains a unit that is not one of [`DURATION_UNITS`], or a compound duration such
/// as `1m30s`. Both would otherwise lose their letters to the number and be reported
/// as "not a number": `5 parsecs` reads as the number `5 parsec` in seconds.
fn unit_problem(text: &str) -> Option<String> {
    let unit_start = text
        .char_indices()
        .rev()
        .take_while(|(_, c)| c.is_alphabetic())
        .last()
        .map_or(text.len(), |(at, _)| at);
    let (number, unit) = text.split_at(unit_start);
    // Text with no digits before its letters, such as `fast` or `infs`, is not a
    // number with a unit at all, and is reported as such by the caller.
    if unit.is_empty() || !number.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(single) = compound_total(text) {
        let suggestion = match single {
            Ok(total) => format!("write it with one unit, as {total}"),
            Err(_) => "write it with one unit".to_owned(),
        };
        return Some(format!(
            "compound durations such as \"{text}\" are not accepted; {suggestion}"
        ));
    }
    if DURATION_UNITS.iter().any(|(suffix, _)| *suffix == unit) {
        return None;
    }
    Some(format!(
        "unknown unit \"{unit}\"; allowed units: {DURATION_UNITS_LISTED} (e.g. 250ms, 1.5s)"
    ))
}

/// Reads text such as `1m30s` or `1h 30m` as two or more parts, each a decimal number
/// and a known unit. Returns `None` if it is not such a text, and an error if the sum
/// is not a valid duration.
fn compound_total(text: &str) -> Option<Result<Duration, Inexact>> {
    let mut rest = text.trim();
    let mut parts = 0;
    let mut total: Result<u128, Inexact> = Ok(0);
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let number = &rest[..number_end];
        let after_number = rest[number_end..].trim_start();
        let unit_end = after_number
            .find(|c: char| !c.is_alphabetic())
            .unwrap_or(after_number.len());
        let unit = &after_number[..unit_end];
        let nanos_per_unit = DURATION_UNITS
            .iter()
            .find(|(suffix, _)| *suffix == unit)
            .map(|(_, nanos)| *nanos)?;
        let decimal = Decimal::parse(number)?;
        total = total.and_then(|sum| {
            let part = decimal.times(nanos_per_unit, u128::from(MAX_DURATION.nanos))?;
            if sum + part > u128::from(MAX_DURATION.nanos) {
                return Err(Inexact::TooLarge);
            }
            Ok(sum + part)
        });
        parts += 1;
        rest = after_number[unit_end..].trim_start();
    }
    // At most 2^62, checked above.
    (parts >= 2).then(|| total.map(|nanos| Duration::from_nanos(nanos as u64)))
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
                // In integers, so that durations near the limit print exactly.
                let thousandths = (nanos % unit) / (unit / 1000);
                let decimals = format!("{thousandths:03}");
                let decimals = decimals.trim_end_matches('0');
                return write!(f, "{}.{decimals}{suffix}", nanos / unit);
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
            "pattern": "^\\s*(0|\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*(ns|us|\u{b5}s|\u{3bc}s|ms|s|m|h))\\s*$"
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
                    "unknown unit \"/{other}\"; allowed units: {RATE_UNITS_LISTED} (e.g. 800/s, 50/min)"
                ));
            }
        };
        let value: f64 = number
            .trim()
            .parse()
            .map_err(|_| format!("\"{number}\" is not a number; expected {RATE_UNITS_HELP}"))?;
        // A decimal such as 1e400 reads as infinite, and 1e-400 as zero: name the limit
        // it is beyond rather than call it infinite or zero.
        let decimal = Decimal::parse(number.trim());
        if value.is_nan() || value.is_infinite() && decimal.is_none() {
            return Err("must be finite".to_owned());
        }
        if value < 0.0 || decimal.as_ref().is_some_and(|d| d.negative && !d.is_zero()) {
            return Err("must not be negative".to_owned());
        }
        let per_sec = value / unit.seconds();
        if per_sec > MAX_RATE_PER_SEC {
            return Err(format!(
                "must be at most {}/s, one event per nanosecond, the resolution of simulated time",
                number_text(MAX_RATE_PER_SEC)
            ));
        }
        // Also catches a rate so small that it reads as zero, or becomes zero when
        // divided by the unit.
        if decimal.is_some_and(|d| !d.is_zero()) && per_sec < MIN_RATE_PER_SEC {
            return Err(
                "is too low: a rate other than zero must be at least one event per 2^62 ns (about 146 years), the longest duration, which is about 2.17e-10/s".to_owned(),
            );
        }
        Ok(Self { per_sec, unit })
    }
}

/// Highest rate, in events per second: one event per nanosecond, the resolution of
/// simulated time.
pub const MAX_RATE_PER_SEC: f64 = 1e9;

/// Lowest rate other than zero, in events per second: one event per [`MAX_DURATION`],
/// about 2.17e-10/s, so that the time between two events is a duration.
pub const MIN_RATE_PER_SEC: f64 = 1e9 / MAX_DURATION.nanos as f64;

impl fmt::Display for Rate {
    /// Writes the shortest number in the rate's unit that reads back as the same rate,
    /// or within a few units in the last place of it, so that `50/min`, stored as
    /// 0.8333… per second, is written `50/min`, and 100/s scaled by 1.1 is `110/s`
    /// rather than `110.00000000000001/s`. Large and small numbers take an exponent,
    /// as in `1e-7/s`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let seconds = self.unit.seconds();
        let value = self.per_sec * seconds;
        let close = |candidate: f64, digits: usize| {
            let per_sec = candidate / seconds;
            per_sec == self.per_sec
                || digits <= 15
                    && (per_sec - self.per_sec).abs() <= 4.0 * f64::EPSILON * self.per_sec.abs()
        };
        let shortest = (1..=17)
            .find_map(|digits| {
                let decimals = digits - 1;
                let candidate = format!("{value:.decimals$e}").parse::<f64>().ok()?;
                close(candidate, digits).then_some(candidate)
            })
            .unwrap_or(value);
        write!(f, "{}{}", number_text(shortest), self.unit.suffix())
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
            "pattern": "^\\s*\\+?([0-9]+(\\.[0-9]*)?|\\.[0-9]+)([eE][-+]?[0-9]+)?\\s*/\\s*(s|sec|second|min|minute|h|hour)\\s*$"
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
    fn duration_fractions_and_exponents_are_exact() {
        let cases = [
            ("0.1ms", 100_000),
            ("250us", 250_000),
            ("1e3ms", 1_000_000_000),
            ("1E3ms", 1_000_000_000),
            ("1.5e-3s", 1_500_000),
            (".5s", 500_000_000),
            ("5.s", 5_000_000_000),
            ("+2s", 2_000_000_000),
            ("1e-9s", 1),
            ("0.000000001s", 1),
            ("0.0s", 0),
            ("0e99s", 0),
            ("-0s", 0),
            ("00012.50ms", 12_500_000),
            ("1.5us", 1_500),
            ("0.25m", 15_000_000_000),
            ("0.001h", 3_600_000_000),
            ("4611686018427387904ns", 1 << 62),
            ("4611686018.427387904s", 1 << 62),
            ("4611686018427387903ns", (1 << 62) - 1),
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
    fn duration_beyond_limit_or_inexact_rejected() {
        let too_long = Err(
            "is too long: the longest duration is 4611686018427387904ns (2^62 ns, about 146 years)"
                .to_owned(),
        );
        for text in [
            "4611686018427387905ns",
            "4611686018.427387905s",
            "4611686018427387904.5ns",
            "1e300s",
            "1e400s",
            "99999999999999999999999h",
            "1e1000000000000000000000s",
            "76861433640.5m",
            "4611686018.4273879045s",
            "4611686018.427387904000000000000000000000000001s",
            "1281023.894285385529h",
        ] {
            assert_eq!(Duration::parse(text), too_long, "{text}");
        }
        let fraction = Err("is not a whole number of nanoseconds".to_owned());
        for text in [
            "1.5ns",
            "1.0000001ns",
            "1000000.5ns",
            "0.1234567891s",
            "1e-10s",
            "1e-1000000000000s",
            "0.00000000000000000000000000000001h",
            "4611686018.427387903999999999999999999999999999s",
            "4611686018427387903.9ns",
        ] {
            assert_eq!(Duration::parse(text), fraction, "{text}");
        }
        assert_eq!(Duration::parse("infs"), Err("must be finite".to_owned()));
        assert_eq!(
            Duration::parse("-1e-3s"),
            Err("must not be negative".to_owned())
        );
        for text in ["1e s", "1.2.3s", "e3s", ".s", "1_000ms", "0x10ns", "--1s"] {
            assert!(
                Duration::parse(text).is_err_and(|e| e.contains("is not a number")),
                "{text}"
            );
        }
    }

    #[test]
    fn duration_unknown_or_compound_unit_named() {
        let allowed = "allowed units: ns, us, \u{b5}s, ms, s, m, h (e.g. 250ms, 1.5s)";
        for (text, unit) in [("5 parsecs", "parsecs"), ("5min", "min"), ("1x", "x")] {
            assert_eq!(
                Duration::parse(text),
                Err(format!("unknown unit \"{unit}\"; {allowed}")),
                "{text}"
            );
        }
        for (text, single) in [("1m30s", "90s"), ("1h 30m", "90m"), ("1s500ms", "1.5s")] {
            assert_eq!(
                Duration::parse(text),
                Err(format!(
                    "compound durations such as \"{text}\" are not accepted; write it with one unit, as {single}"
                )),
                "{text}"
            );
        }
    }

    #[test]
    fn duration_display_is_exact_near_the_limit() {
        assert_eq!(MAX_DURATION.to_string(), "4611686018427387904ns");
        let near = Duration::from_nanos(4_611_686_018_427_000_000);
        assert_eq!(near.to_string(), "4611686018.427s");
        assert_eq!(Duration::parse(&near.to_string()), Ok(near));
        assert_eq!(Duration::from_nanos(1_001_000_000).to_string(), "1.001s");
        assert_eq!(Duration::from_nanos(1_250_000).to_string(), "1.25ms");
        assert_eq!(Duration::from_nanos(1_500).to_string(), "1500ns");
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
    fn rate_limits() {
        assert_eq!(Rate::parse("1e9/s").map(Rate::as_per_sec), Ok(1e9));
        assert_eq!(Rate::parse("6e10/min").map(Rate::as_per_sec), Ok(1e9));
        assert_eq!(Rate::parse("0/s").map(Rate::as_per_sec), Ok(0.0));
        let too_high = Err(
            "must be at most 1000000000/s, one event per nanosecond, the resolution of simulated time"
                .to_owned(),
        );
        for text in [
            "1e300/s",
            "1000000001/s",
            "6.1e10/min",
            "1.7976931348623157e308/h",
            "1e400/s",
        ] {
            assert_eq!(Rate::parse(text), too_high, "{text}");
        }
        let too_low = Err(
            "is too low: a rate other than zero must be at least one event per 2^62 ns (about 146 years), the longest duration, which is about 2.17e-10/s"
                .to_owned(),
        );
        for text in [
            "1e-300/s", "1e-320/h", "5e-324/s", "2e-10/s", "1e-8/min", "1e-400/s",
        ] {
            assert_eq!(Rate::parse(text), too_low, "{text}");
        }
        assert!(Rate::parse("2.17e-10/s").is_ok());
        assert_eq!(
            Rate::parse("-1e-400/s"),
            Err("must not be negative".to_owned())
        );
        assert_eq!(Rate::parse("-0/s").map(Rate::as_per_sec), Ok(0.0));
        for text in ["inf/s", "-inf/s", "nan/s", "infinity/min"] {
            assert_eq!(
                Rate::parse(text),
                Err("must be finite".to_owned()),
                "{text}"
            );
        }
    }

    #[test]
    fn rate_display_is_short_and_faithful() {
        for text in [
            "800/s",
            "50/min",
            "3/h",
            "0.5/s",
            "1e-7/s",
            "3.3e-10/s",
            "1000000000/s",
            "0.0001/min",
            "123.456789/h",
            "0.1/min",
            "7/min",
        ] {
            let rate = Rate::parse(text).expect("valid rate");
            assert_eq!(rate.to_string(), text);
            assert_eq!(Rate::parse(&rate.to_string()), Ok(rate));
        }
        assert_eq!(Rate::parse("1e3/s").expect("valid").to_string(), "1000/s");
        let scaled = Rate::parse("100/s").expect("valid").scaled(1.1);
        assert_eq!(scaled.to_string(), "110/s");
        assert_eq!(Rate::per_sec(1e300).to_string(), "1e300/s");
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
