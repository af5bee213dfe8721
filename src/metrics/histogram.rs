//! A latency histogram with the bins of an HDR histogram of three significant digits,
//! cheap enough to record into on every request.
//!
//! The bins are those of `hdrhistogram::Histogram::<u64>::new(3)` (hdrhistogram 7.6).
//! Every value below 2 048 has a bin of its own. Each further power of two is split into
//! 1 024 bins of equal width, so a bin is narrower than 0.1 % of the values in it.
//! Counts, the mean, percentiles and the maximum equal that crate's for the same values.
//! What differs is the cost. A record computes the bin and increments it, with no range
//! checks beyond one comparison. A bitmap of the bins in use lets a window be read,
//! added into another histogram and cleared in time proportional to the bins it uses,
//! not to the range of values it covers.
//!
//! Windows of the time series report percentiles at two significant digits, the bins of
//! `hdrhistogram::Histogram::<u64>::new(2)`. Both layouts split each power of two into a
//! power-of-two number of equal bins, so every two-digit bin is a union of whole
//! three-digit bins, and [`LatencyHistogram::window_percentiles`] reads the two-digit
//! percentiles from these counts exactly.

/// Bins per half of a power of two, as a power of two: 1 024.
const HALF_BINS_LOG2: u32 = 10;
/// Bins per half of a power of two.
const HALF_BINS: usize = 1 << HALF_BINS_LOG2;
/// Values up to this one have a bin each, and each further bucket doubles the range.
const FIRST_BUCKET_MASK: u64 = (2 << HALF_BINS_LOG2) - 1;
/// Leading zeros of the largest value of the first bucket, `FIRST_BUCKET_MASK`.
const FIRST_BUCKET_LEADING_ZEROS: u32 = FIRST_BUCKET_MASK.leading_zeros();

/// The first bucket of the two-digit layout of windows: values below 256.
const WINDOW_FIRST_BUCKET_MASK: u64 = 255;
/// Leading zeros of `WINDOW_FIRST_BUCKET_MASK`.
const WINDOW_FIRST_BUCKET_LEADING_ZEROS: u32 = WINDOW_FIRST_BUCKET_MASK.leading_zeros();

/// The bin of a value, computed once to record the value into several histograms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Bin(usize);

impl Bin {
    /// The bin that contains `value`.
    #[inline]
    #[must_use]
    pub fn of(value: u64) -> Self {
        Self(bin_of(value))
    }
}

/// Counts of values in bins, in nanoseconds for latencies.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram {
    /// One count per bin, allocated on the first record and grown by whole buckets as
    /// larger values arrive, exactly as `hdrhistogram` resizes.
    counts: Vec<u64>,
    /// One bit per bin, set when the bin's count is not zero.
    used: Vec<u64>,
    /// Sum of `counts`.
    total: u64,
}

/// The bucket of `value`: bins in bucket `b` are `2^b` wide.
#[inline]
fn bucket_of(value: u64) -> u32 {
    FIRST_BUCKET_LEADING_ZEROS - (value | FIRST_BUCKET_MASK).leading_zeros()
}

/// The bin of `value`.
#[inline]
fn bin_of(value: u64) -> usize {
    let bucket = bucket_of(value);
    // Bucket 0 uses all 2 048 bins of its range. Each later bucket uses only its upper
    // half, because the bucket before it covers the lower half at finer width.
    (((bucket + 1) as usize) << HALF_BINS_LOG2) + (value >> bucket) as usize - HALF_BINS
}

/// The lowest value of `bin`.
#[inline]
fn lowest_value_of(bin: usize) -> u64 {
    if bin < HALF_BINS {
        return bin as u64;
    }
    let bucket = (bin >> HALF_BINS_LOG2) as u32 - 1;
    (((bin & (HALF_BINS - 1)) + HALF_BINS) as u64) << bucket
}

/// The highest value of the bin of width `2^bucket` that contains `value`, the value
/// that HDR histograms report for a percentile or the maximum.
#[inline]
fn highest_in_bin(value: u64, bucket: u32) -> u64 {
    if value == u64::MAX {
        return u64::MAX;
    }
    let lowest = (value >> bucket) << bucket;
    lowest.saturating_add(1 << bucket) - 1
}

/// The smallest count of values at or below the `quantile`, as `hdrhistogram` computes
/// it: the quantile times the count, rounded up, and at least 1.
fn rank_of(quantile: f64, count: u64) -> u64 {
    ((quantile * count as f64).ceil() as u64).max(1)
}

impl LatencyHistogram {
    /// An empty histogram, which allocates nothing until its first record.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Counts one `value`.
    #[inline]
    pub fn record(&mut self, value: u64) {
        self.record_bin(Bin::of(value));
    }

    /// Counts one value of the bin `bin`.
    #[inline]
    pub fn record_bin(&mut self, Bin(bin): Bin) {
        if bin >= self.counts.len() {
            self.grow(bin);
        }
        self.counts[bin] += 1;
        self.used[bin >> 6] |= 1 << (bin & 63);
        self.total += 1;
    }

    /// Makes room for the bin `bin` by allocating every bin of its bucket and below, as
    /// `hdrhistogram` does. Bucket 0 has twice as many bins as the others.
    #[cold]
    fn grow(&mut self, bin: usize) {
        let bins = ((bin >> HALF_BINS_LOG2).max(1) + 1) * HALF_BINS;
        if bins > self.counts.len() {
            self.counts.resize(bins, 0);
            self.used.resize(bins / 64, 0);
        }
    }

    /// The number of values counted, named as in `hdrhistogram`.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Whether no value is counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The bins in use, in increasing order of value, with their counts.
    fn used_bins(&self) -> impl Iterator<Item = (usize, u64)> + '_ {
        self.used
            .iter()
            .enumerate()
            .flat_map(move |(word_index, &word)| {
                let mut bits = word;
                std::iter::from_fn(move || {
                    if bits == 0 {
                        return None;
                    }
                    let bin = word_index * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    Some((bin, self.counts[bin]))
                })
            })
    }

    /// The highest bin in use, if any.
    fn highest_bin(&self) -> Option<usize> {
        let (word_index, word) = self.used.iter().enumerate().rfind(|(_, w)| **w != 0)?;
        Some(word_index * 64 + 63 - word.leading_zeros() as usize)
    }

    /// The highest value equivalent to `value` at this resolution: the top of its bin.
    #[must_use]
    pub fn highest_equivalent(&self, value: u64) -> u64 {
        highest_in_bin(value, bucket_of(value))
    }

    /// The lowest value equivalent to `value` at this resolution: the bottom of its bin.
    #[must_use]
    pub fn lowest_equivalent(&self, value: u64) -> u64 {
        let bucket = bucket_of(value);
        (value >> bucket) << bucket
    }

    /// The largest value counted, as the top of its bin, or 0 when empty.
    #[must_use]
    pub fn max(&self) -> u64 {
        self.highest_bin()
            .map_or(0, |bin| self.highest_equivalent(lowest_value_of(bin)))
    }

    /// The mean of the values, each taken at the middle of its bin, summed in the same
    /// order and with the same floating-point operations as `hdrhistogram`, so that the
    /// result is equal to the last bit.
    #[must_use]
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let total = self.total as f64;
        self.used_bins().fold(0.0, |sum, (bin, count)| {
            let lowest = lowest_value_of(bin);
            let middle = lowest + ((1u64 << bucket_of(lowest)) >> 1);
            sum + middle as f64 * count as f64 / total
        })
    }

    /// The value at `quantile` (from 0 to 1) as `hdrhistogram` reports it: the top of the
    /// first bin at which the running count reaches the quantile's rank, or the bottom of
    /// that bin for quantile 0. Returns 0 when empty.
    #[must_use]
    pub fn value_at_quantile(&self, quantile: f64) -> u64 {
        let quantile = if quantile > 1.0 { 1.0 } else { quantile };
        let rank = rank_of(quantile, self.total);
        let mut running = 0;
        for (bin, count) in self.used_bins() {
            running += count;
            if running >= rank {
                let lowest = lowest_value_of(bin);
                return if quantile == 0.0 {
                    lowest
                } else {
                    self.highest_equivalent(lowest)
                };
            }
        }
        0
    }

    /// The number of values in the bins from that of `low` to that of `high`, both
    /// included. As in `hdrhistogram`, a bound above the allocated bins is read as the
    /// last allocated bin.
    #[must_use]
    pub fn count_between(&self, low: u64, high: u64) -> u64 {
        let Some(last) = self.counts.len().checked_sub(1) else {
            return 0;
        };
        let low_bin = bin_of(low).min(last);
        let high_bin = bin_of(high).min(last);
        self.counts
            .get(low_bin..=high_bin)
            .map_or(0, |counts| counts.iter().sum())
    }

    /// The p50, p95, p99 and maximum at two significant digits, as
    /// `hdrhistogram::Histogram::<u64>::new(2)` would report them for the same values, or
    /// zeros when empty.
    ///
    /// The p50 is found by counting up from the lowest bin in use, the others by counting
    /// down from the highest, so that about half of the bins in use are read.
    #[must_use]
    pub fn window_percentiles(&self) -> [u64; 4] {
        let Some(highest) = self.highest_bin() else {
            return [0; 4];
        };
        let two_digits = |bin: usize| {
            let value = lowest_value_of(bin);
            let bucket = WINDOW_FIRST_BUCKET_LEADING_ZEROS
                - (value | WINDOW_FIRST_BUCKET_MASK).leading_zeros();
            highest_in_bin(value, bucket)
        };
        [
            two_digits(self.bin_at_rank(rank_of(0.50, self.total))),
            two_digits(self.bin_at_rank(rank_of(0.95, self.total))),
            two_digits(self.bin_at_rank(rank_of(0.99, self.total))),
            two_digits(highest),
        ]
    }

    /// The first bin at which the running count from the lowest bin reaches `rank`, which
    /// must be from 1 to the number of values. Counts from whichever end is nearer.
    fn bin_at_rank(&self, rank: u64) -> usize {
        if rank <= self.total / 2 {
            let mut running = 0;
            for (word_index, &word) in self.used.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let bin = word_index * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    running += self.counts[bin];
                    if running >= rank {
                        return bin;
                    }
                }
            }
        } else {
            // The bin sought is the highest one with fewer than `rank` values below it,
            // that is with more than `total - rank` values at or above it.
            let above = self.total - rank;
            let mut running = 0;
            for (word_index, &word) in self.used.iter().enumerate().rev() {
                let mut bits = word;
                while bits != 0 {
                    let bin = word_index * 64 + 63 - bits.leading_zeros() as usize;
                    bits &= !(1 << (bin & 63));
                    running += self.counts[bin];
                    if running > above {
                        return bin;
                    }
                }
            }
        }
        unreachable!("the rank is at most the number of values counted")
    }

    /// Adds the counts of `other`.
    pub fn add(&mut self, other: &LatencyHistogram) {
        let Some(top) = other.highest_bin() else {
            return;
        };
        self.grow(top);
        for (word_index, &word) in other.used.iter().enumerate() {
            self.used[word_index] |= word;
            let mut bits = word;
            while bits != 0 {
                let bin = word_index * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.counts[bin] += other.counts[bin];
            }
        }
        self.total += other.total;
    }

    /// Empties the histogram, keeping its bins allocated. Takes time proportional to the
    /// bins in use.
    pub fn clear(&mut self) {
        if self.total == 0 {
            return;
        }
        for (word_index, word) in self.used.iter_mut().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                self.counts[word_index * 64 + bits.trailing_zeros() as usize] = 0;
                bits &= bits - 1;
            }
            *word = 0;
        }
        self.total = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::Histogram;
    use proptest::prelude::*;

    fn reference(significant_digits: u8, values: &[u64]) -> Histogram<u64> {
        let mut histogram =
            Histogram::<u64>::new(significant_digits).expect("a valid number of digits");
        for &value in values {
            histogram
                .record(value)
                .expect("auto-resizing histograms take any value");
        }
        histogram
    }

    fn ours(values: &[u64]) -> LatencyHistogram {
        let mut histogram = LatencyHistogram::new();
        for &value in values {
            histogram.record(value);
        }
        histogram
    }

    /// Latency-like values: mostly microseconds to seconds, with some extremes.
    fn values() -> impl Strategy<Value = Vec<u64>> {
        let value = prop_oneof![
            8 => 0u64..5_000_000_000,
            1 => 0u64..4_096,
            1 => any::<u64>(),
        ];
        proptest::collection::vec(value, 1..400)
    }

    proptest! {
        #[test]
        fn summary_statistics_match_hdrhistogram(values in values()) {
            let expected = reference(3, &values);
            let actual = ours(&values);
            prop_assert_eq!(actual.len(), expected.len());
            prop_assert_eq!(actual.max(), expected.max());
            prop_assert_eq!(actual.mean().to_bits(), expected.mean().to_bits());
            for quantile in [0.0, 0.25, 0.5, 0.95, 0.99, 0.999, 1.0] {
                prop_assert_eq!(
                    actual.value_at_quantile(quantile),
                    expected.value_at_quantile(quantile),
                    "quantile {}", quantile
                );
            }
        }

        #[test]
        fn equivalents_and_ranges_match_hdrhistogram(values in values(), probe in any::<u64>()) {
            let expected = reference(3, &values);
            let actual = ours(&values);
            prop_assert_eq!(actual.highest_equivalent(probe), expected.highest_equivalent(probe));
            prop_assert_eq!(actual.lowest_equivalent(probe), expected.lowest_equivalent(probe));
            for &value in &values {
                prop_assert_eq!(actual.count_between(0, value), expected.count_between(0, value));
                prop_assert_eq!(actual.count_between(value, probe), expected.count_between(value, probe));
            }
        }

        #[test]
        fn window_percentiles_match_two_digit_hdrhistogram(values in values()) {
            let expected = reference(2, &values);
            let actual = ours(&values).window_percentiles();
            prop_assert_eq!(actual[0], expected.value_at_quantile(0.50));
            prop_assert_eq!(actual[1], expected.value_at_quantile(0.95));
            prop_assert_eq!(actual[2], expected.value_at_quantile(0.99));
            prop_assert_eq!(actual[3], expected.max());
        }

        #[test]
        fn added_histogram_matches_recording(first in values(), second in values()) {
            let mut sum = ours(&first);
            sum.add(&ours(&second));
            let mut both = first.clone();
            both.extend_from_slice(&second);
            let expected = reference(3, &both);
            prop_assert_eq!(sum.len(), expected.len());
            prop_assert_eq!(sum.max(), expected.max());
            prop_assert_eq!(sum.mean().to_bits(), expected.mean().to_bits());
            prop_assert_eq!(sum.value_at_quantile(0.5), expected.value_at_quantile(0.5));
            prop_assert_eq!(sum.count_between(0, u64::MAX), expected.count_between(0, u64::MAX));
        }
    }

    #[test]
    fn cleared_histogram_is_empty() {
        let mut histogram = ours(&[1, 5_000, 70_000_000]);
        histogram.clear();
        assert!(histogram.is_empty());
        assert_eq!(histogram.max(), 0);
        assert_eq!(histogram.window_percentiles(), [0; 4]);
        assert_eq!(histogram.count_between(0, u64::MAX), 0);
        histogram.record(12);
        assert_eq!(histogram.value_at_quantile(1.0), 12);
    }

    #[test]
    fn empty_histogram_reports_zeros() {
        let histogram = LatencyHistogram::new();
        let expected = reference(3, &[]);
        assert_eq!(histogram.max(), expected.max());
        assert_eq!(histogram.mean(), expected.mean());
        assert_eq!(
            histogram.value_at_quantile(0.5),
            expected.value_at_quantile(0.5)
        );
        assert_eq!(
            histogram.count_between(0, 10),
            expected.count_between(0, 10)
        );
    }
}
