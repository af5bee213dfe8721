//! Latency histograms with the bins of HDR histograms, cheap enough to record into on
//! every request.
//!
//! [`LatencyHistogram`] has the bins of `hdrhistogram::Histogram::<u64>::new(3)`
//! (hdrhistogram 7.6). Every value below 2 048 has a bin of its own. Each further power
//! of two is split into 1 024 bins of equal width, so a bin is narrower than 0.1 % of the
//! values in it. [`WindowHistogram`] has the bins of `new(2)`: values below 256 have a
//! bin each, and each further power of two has 128 bins, narrower than 1 %.
//!
//! Counts, the mean, percentiles and the maximum equal that crate's for the same values.
//! What differs is the cost. A record computes the bin and increments it, with no range
//! checks beyond one comparison. A bitmap keeps one bit per bin, set while the bin is in
//! use: 2.6 kB for a three-digit histogram of values up to a second. With it, a histogram
//! is read, added into another and cleared in time proportional to the bins it uses, not
//! to the range of values it covers.

/// Counts of values in bins, in nanoseconds for latencies. Each power of two above the
/// first `2^(HALF_BINS_LOG2 + 1)` values is split into `2^HALF_BINS_LOG2` bins: 10 gives
/// three significant digits, 7 gives two.
#[derive(Clone, Debug, Default)]
pub struct LatencyHistogram<const HALF_BINS_LOG2: u32 = 10> {
    /// The low 32 bits of the count of each bin, allocated on the first record and grown
    /// by whole buckets as larger values arrive, exactly as `hdrhistogram` resizes. Half
    /// the width of a full count keeps twice as many bins in each cache line, and a
    /// record touches a random bin, so that it misses the cache less often.
    counts: Vec<u32>,
    /// The rest of the count of each bin that went past `u32::MAX`, as (bin, multiple of
    /// 2^32), in increasing order of bin. It is empty in nearly every histogram.
    carries: Vec<(usize, u64)>,
    /// One bit per bin, set when the bin's count is not zero.
    used: Vec<u64>,
    /// Number of values counted.
    total: u64,
}

/// The histogram of one time-series window: two significant digits, in 1/8 of the
/// memory of three.
pub type WindowHistogram = LatencyHistogram<7>;

/// Returns the highest value of the bin of width `2^bucket` that contains `value`, the value
/// that HDR histograms report for a percentile or the maximum.
#[inline]
fn highest_in_bin(value: u64, bucket: u32) -> u64 {
    if value == u64::MAX {
        return u64::MAX;
    }
    let lowest = (value >> bucket) << bucket;
    lowest.saturating_add(1 << bucket) - 1
}

/// Returns the smallest count of values at or below the `quantile`, as `hdrhistogram` computes
/// it: the quantile times the count, rounded up, and at least 1.
fn rank_of(quantile: f64, count: u64) -> u64 {
    ((quantile * count as f64).ceil() as u64).max(1)
}

impl<const HALF_BINS_LOG2: u32> LatencyHistogram<HALF_BINS_LOG2> {
    /// Bins per half of a power of two.
    const HALF_BINS: usize = 1 << HALF_BINS_LOG2;
    /// Values up to this one have a bin each, and each further bucket doubles the range.
    const FIRST_BUCKET_MASK: u64 = (2 << HALF_BINS_LOG2) - 1;
    /// Leading zeros of the largest value of the first bucket.
    const FIRST_BUCKET_LEADING_ZEROS: u32 = Self::FIRST_BUCKET_MASK.leading_zeros();

    /// Returns an empty histogram, which allocates nothing until its first record.
    #[must_use]
    pub fn new() -> Self {
        Self {
            counts: Vec::new(),
            carries: Vec::new(),
            used: Vec::new(),
            total: 0,
        }
    }

    /// Returns the bucket of `value`: bins in bucket `b` are `2^b` wide.
    #[inline]
    fn bucket_of(value: u64) -> u32 {
        Self::FIRST_BUCKET_LEADING_ZEROS - (value | Self::FIRST_BUCKET_MASK).leading_zeros()
    }

    /// Returns the bin of `value`.
    #[inline]
    fn bin_of(value: u64) -> usize {
        let bucket = Self::bucket_of(value);
        // Bucket 0 uses every bin of its range. Each later bucket uses only its upper
        // half, because the bucket before it covers the lower half at finer width.
        (((bucket + 1) as usize) << HALF_BINS_LOG2) + (value >> bucket) as usize - Self::HALF_BINS
    }

    /// Returns the lowest value of `bin`.
    #[inline]
    fn lowest_value_of(bin: usize) -> u64 {
        if bin < Self::HALF_BINS {
            return bin as u64;
        }
        let bucket = (bin >> HALF_BINS_LOG2) as u32 - 1;
        (((bin & (Self::HALF_BINS - 1)) + Self::HALF_BINS) as u64) << bucket
    }

    /// Counts one `value`.
    #[inline]
    pub fn record(&mut self, value: u64) {
        let bin = Self::bin_of(value);
        if bin >= self.counts.len() {
            self.grow(bin);
        }
        // No bin contains more values than the whole histogram, so none can pass
        // `u32::MAX` before the total does. Testing the total, which is at hand, rather
        // than the bin, which is often not in the cache, keeps the record free of a
        // branch that waits for memory.
        if self.total < u64::from(u32::MAX) {
            self.counts[bin] += 1;
        } else {
            self.record_past_32_bits(bin);
        }
        self.used[bin >> 6] |= 1 << (bin & 63);
        self.total += 1;
    }

    /// Counts one value in `bin` once the total may have passed `u32::MAX`.
    #[cold]
    fn record_past_32_bits(&mut self, bin: usize) {
        let count = &mut self.counts[bin];
        *count = count.wrapping_add(1);
        if *count == 0 {
            self.carry(bin, 1 << 32);
        }
    }

    /// Adds `amount`, a multiple of 2^32, to the count of `bin`.
    #[cold]
    fn carry(&mut self, bin: usize, amount: u64) {
        match self.carries.binary_search_by_key(&bin, |&(b, _)| b) {
            Ok(i) => self.carries[i].1 += amount,
            Err(i) => self.carries.insert(i, (bin, amount)),
        }
    }

    /// Returns the count of `bin`, which must be allocated.
    #[inline]
    fn count(&self, bin: usize) -> u64 {
        let low = u64::from(self.counts[bin]);
        if self.carries.is_empty() {
            low
        } else {
            low + self.carried(bin)
        }
    }

    /// Returns the part of the count of `bin` past its low 32 bits.
    #[cold]
    fn carried(&self, bin: usize) -> u64 {
        self.carries
            .binary_search_by_key(&bin, |&(b, _)| b)
            .map_or(0, |i| self.carries[i].1)
    }

    /// Adds `amount` to the count of `bin`, which must be allocated.
    #[inline]
    fn add_to_bin(&mut self, bin: usize, amount: u64) {
        let low = u64::from(self.counts[bin]) + (amount & u64::from(u32::MAX));
        self.counts[bin] = low as u32;
        let high = (amount >> 32 << 32) + (low >> 32 << 32);
        if high > 0 {
            self.carry(bin, high);
        }
    }

    /// Makes room for the bin `bin` by allocating every bin of its bucket and below, as
    /// `hdrhistogram` does. Bucket 0 has twice as many bins as the others.
    #[cold]
    fn grow(&mut self, bin: usize) {
        let bins = ((bin >> HALF_BINS_LOG2).max(1) + 1) * Self::HALF_BINS;
        if bins > self.counts.len() {
            self.counts.resize(bins, 0);
            self.used.resize(bins.div_ceil(64), 0);
        }
    }

    /// Returns the number of values counted, named as in `hdrhistogram`.
    #[must_use]
    pub fn len(&self) -> u64 {
        self.total
    }

    /// Returns whether no value is counted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// Returns the bins in use, in increasing order of value, with their counts.
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
                    Some((bin, self.count(bin)))
                })
            })
    }

    /// Returns the highest bin in use, if any.
    fn highest_bin(&self) -> Option<usize> {
        let (word_index, word) = self.used.iter().enumerate().rfind(|(_, w)| **w != 0)?;
        Some(word_index * 64 + 63 - word.leading_zeros() as usize)
    }

    /// Returns the highest value equivalent to `value` at this resolution: the top of its bin.
    #[must_use]
    pub fn highest_equivalent(&self, value: u64) -> u64 {
        highest_in_bin(value, Self::bucket_of(value))
    }

    /// Returns the lowest value equivalent to `value` at this resolution: the bottom of its bin.
    #[must_use]
    pub fn lowest_equivalent(&self, value: u64) -> u64 {
        let bucket = Self::bucket_of(value);
        (value >> bucket) << bucket
    }

    /// Returns the largest value counted, as the top of its bin, or 0 when empty.
    #[must_use]
    pub fn max(&self) -> u64 {
        self.highest_bin()
            .map_or(0, |bin| self.highest_equivalent(Self::lowest_value_of(bin)))
    }

    /// Returns the mean of the values, each taken at the middle of its bin, summed in the same
    /// order and with the same floating-point operations as `hdrhistogram`, so that the
    /// result is equal to the last bit.
    #[must_use]
    pub fn mean(&self) -> f64 {
        if self.total == 0 {
            return 0.0;
        }
        let total = self.total as f64;
        self.used_bins().fold(0.0, |sum, (bin, count)| {
            let lowest = Self::lowest_value_of(bin);
            let middle = lowest + ((1u64 << Self::bucket_of(lowest)) >> 1);
            sum + middle as f64 * count as f64 / total
        })
    }

    /// Returns the value at `quantile` (from 0 to 1) as `hdrhistogram` reports it: the top of the
    /// first bin at which the running count reaches the quantile's rank, or the bottom of
    /// that bin for quantile 0. Returns 0 when empty.
    #[must_use]
    pub fn value_at_quantile(&self, quantile: f64) -> u64 {
        let quantile = if quantile > 1.0 { 1.0 } else { quantile };
        if self.total == 0 {
            return 0;
        }
        let lowest = Self::lowest_value_of(self.bin_at_rank(rank_of(quantile, self.total)));
        if quantile == 0.0 {
            lowest
        } else {
            self.highest_equivalent(lowest)
        }
    }

    /// Returns the number of values in the bins from that of `low` to that of `high`, both
    /// included. As in `hdrhistogram`, a bound above the allocated bins is read as the
    /// last allocated bin.
    #[must_use]
    pub fn count_between(&self, low: u64, high: u64) -> u64 {
        let Some(last) = self.counts.len().checked_sub(1) else {
            return 0;
        };
        let low_bin = Self::bin_of(low).min(last);
        let high_bin = Self::bin_of(high).min(last);
        let Some(counts) = self.counts.get(low_bin..=high_bin) else {
            return 0;
        };
        let carried: u64 = self
            .carries
            .iter()
            .filter(|(bin, _)| (low_bin..=high_bin).contains(bin))
            .map(|(_, amount)| amount)
            .sum();
        counts.iter().map(|&count| u64::from(count)).sum::<u64>() + carried
    }

    /// Returns the p50, p95, p99 and maximum, or zeros when empty, as
    /// [`LatencyHistogram::value_at_quantile`] and [`LatencyHistogram::max`] return them.
    /// The p99 and p95 are read in one pass down from the highest bin in use.
    #[must_use]
    pub fn percentiles(&self) -> [u64; 4] {
        let Some(highest) = self.highest_bin() else {
            return [0; 4];
        };
        let top_of = |bin: usize| self.highest_equivalent(Self::lowest_value_of(bin));
        let p50 = self.bin_at_rank(rank_of(0.50, self.total));
        // As in `bin_at_rank`: the bin of rank r is the highest with more than
        // `total - r` values at or above it.
        let above = [0.99, 0.95].map(|q| self.total - rank_of(q, self.total));
        let mut found = [highest; 2];
        let mut next = 0;
        let mut running = 0;
        'words: for (word_index, &word) in self.used.iter().enumerate().rev() {
            let mut bits = word;
            while bits != 0 {
                let bin = word_index * 64 + 63 - bits.leading_zeros() as usize;
                bits &= !(1 << (bin & 63));
                running += self.count(bin);
                while running > above[next] {
                    found[next] = bin;
                    next += 1;
                    if next == above.len() {
                        break 'words;
                    }
                }
            }
        }
        [
            top_of(p50),
            top_of(found[1]),
            top_of(found[0]),
            top_of(highest),
        ]
    }

    /// Returns the first bin at which the running count from the lowest bin reaches `rank`, which
    /// must be from 1 to the number of values. Counts from whichever end is nearer, so
    /// that a p99 reads only the top 1 % of the values.
    fn bin_at_rank(&self, rank: u64) -> usize {
        if rank <= self.total / 2 {
            let mut running = 0;
            for (word_index, &word) in self.used.iter().enumerate() {
                let mut bits = word;
                while bits != 0 {
                    let bin = word_index * 64 + bits.trailing_zeros() as usize;
                    bits &= bits - 1;
                    running += self.count(bin);
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
                    running += self.count(bin);
                    if running > above {
                        return bin;
                    }
                }
            }
        }
        unreachable!("the rank is at most the number of values counted")
    }

    /// Adds the counts of `other`.
    pub fn add(&mut self, other: &Self) {
        let Some(top) = other.highest_bin() else {
            return;
        };
        self.grow(top);
        // `other` may have more bins allocated than `self`, all empty above `top`.
        for (word_index, &word) in other.used[..=top >> 6].iter().enumerate() {
            self.used[word_index] |= word;
            let mut bits = word;
            while bits != 0 {
                let bin = word_index * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                self.add_to_bin(bin, other.count(bin));
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
        self.carries.clear();
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

    fn ours<const HALF_BINS_LOG2: u32>(values: &[u64]) -> LatencyHistogram<HALF_BINS_LOG2> {
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
            let actual = ours::<10>(&values);
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
            let actual = ours::<10>(&values);
            prop_assert_eq!(actual.highest_equivalent(probe), expected.highest_equivalent(probe));
            prop_assert_eq!(actual.lowest_equivalent(probe), expected.lowest_equivalent(probe));
            for &value in &values {
                prop_assert_eq!(actual.count_between(0, value), expected.count_between(0, value));
                prop_assert_eq!(actual.count_between(value, probe), expected.count_between(value, probe));
            }
        }

        #[test]
        fn two_digit_statistics_match_hdrhistogram(values in values()) {
            let expected = reference(2, &values);
            let histogram = ours::<7>(&values);
            let actual = histogram.percentiles();
            prop_assert_eq!(actual[0], expected.value_at_quantile(0.50));
            prop_assert_eq!(actual[1], expected.value_at_quantile(0.95));
            prop_assert_eq!(actual[2], expected.value_at_quantile(0.99));
            prop_assert_eq!(actual[3], expected.max());
            prop_assert_eq!(histogram.mean().to_bits(), expected.mean().to_bits());
            for &value in &values {
                prop_assert_eq!(histogram.count_between(0, value), expected.count_between(0, value));
            }
        }

        #[test]
        fn added_histogram_may_have_more_bins_allocated(first in values(), second in values()) {
            let mut larger = ours::<10>(&[u64::MAX]);
            larger.clear();
            for &value in &second {
                larger.record(value);
            }
            let mut sum = ours::<10>(&first);
            sum.add(&larger);
            let mut both = first.clone();
            both.extend_from_slice(&second);
            prop_assert_eq!(sum.percentiles(), ours::<10>(&both).percentiles());
        }

        #[test]
        fn added_histogram_matches_recording(first in values(), second in values()) {
            let mut sum = ours::<10>(&first);
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
    fn counts_past_32_bits_are_kept() {
        let mut histogram = ours::<10>(&[7, 7, 5_000]);
        let seven = LatencyHistogram::<10>::bin_of(7);
        // As if 2^32 - 2 more values of 7 had been recorded.
        histogram.counts[seven] = u32::MAX;
        histogram.total += u64::from(u32::MAX) - 2;
        histogram.record(7);
        histogram.record(7);
        let sevens = (1u64 << 32) + 1;
        assert_eq!(histogram.count_between(0, 7), sevens);
        assert_eq!(histogram.count_between(7, u64::MAX), sevens + 1);
        assert_eq!(histogram.value_at_quantile(0.999_999), 7);
        let top = histogram.highest_equivalent(5_000);
        assert_eq!(histogram.max(), top);
        let mut sum = histogram.clone();
        sum.add(&histogram);
        assert_eq!(sum.count_between(0, 7), 2 * sevens);
        assert_eq!(sum.len(), 2 * (sevens + 1));
        assert_eq!(sum.value_at_quantile(1.0), top);
        sum.clear();
        assert_eq!(sum.count_between(0, u64::MAX), 0);
        sum.record(7);
        assert_eq!(sum.count_between(0, 7), 1);
    }

    #[test]
    fn cleared_histogram_is_empty() {
        let mut histogram = ours::<7>(&[1, 5_000, 70_000_000]);
        histogram.clear();
        assert!(histogram.is_empty());
        assert_eq!(histogram.max(), 0);
        assert_eq!(histogram.percentiles(), [0; 4]);
        assert_eq!(histogram.count_between(0, u64::MAX), 0);
        histogram.record(12);
        assert_eq!(histogram.value_at_quantile(1.0), 12);
    }

    #[test]
    fn empty_histogram_reports_zeros() {
        let histogram = LatencyHistogram::<10>::new();
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
