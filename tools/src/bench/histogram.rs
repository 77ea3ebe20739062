//! Latency percentiles in bounded memory.
//!
//! A log-linear histogram: values below 128 ns are counted exactly, larger
//! ones in 128 sub-buckets per power of two, so every reported quantile is
//! within 1 % of a recorded value whatever the number of samples. About
//! 60 KiB per histogram.

const SUB_BITS: u32 = 7;
const SUB_COUNT: usize = 1 << SUB_BITS;
const BUCKETS: usize = (64 - SUB_BITS as usize + 1) * SUB_COUNT;

/// Counts of nanosecond values; see the module docs.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max: u64,
    sum: u128,
}

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max: 0,
            sum: 0,
        }
    }
}

fn index_of(value: u64) -> usize {
    if value < SUB_COUNT as u64 {
        return value as usize;
    }
    let exponent = 63 - value.leading_zeros();
    let shift = exponent - SUB_BITS;
    let mantissa = (value >> shift) as usize & (SUB_COUNT - 1);
    (shift as usize + 1) * SUB_COUNT + mantissa
}

/// The midpoint of the values counted in bucket `index`.
fn value_of(index: usize) -> u64 {
    if index < SUB_COUNT {
        return index as u64;
    }
    let shift = (index / SUB_COUNT - 1) as u32;
    let mantissa = (index % SUB_COUNT) as u64 | SUB_COUNT as u64;
    let low = mantissa << shift;
    low.saturating_add((1u64 << shift) / 2)
}

impl Histogram {
    pub fn record(&mut self, value: u64) {
        if let Some(c) = self.counts.get_mut(index_of(value)) {
            *c += 1;
        }
        self.total += 1;
        self.max = self.max.max(value);
        self.sum += u128::from(value);
    }

    pub fn count(&self) -> u64 {
        self.total
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> Option<u64> {
        (self.total > 0).then(|| (self.sum / u128::from(self.total)) as u64)
    }

    /// The value below which a fraction `q` (0..=1) of the samples lie;
    /// `None` without samples.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.total as f64).ceil() as u64).max(1);
        if rank >= self.total {
            return Some(self.max);
        }
        let mut seen = 0;
        for (i, c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                return Some(value_of(i).min(self.max));
            }
        }
        Some(self.max)
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(&other.counts) {
            *a += b;
        }
        self.total += other.total;
        self.max = self.max.max(other.max);
        self.sum += other.sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_within_one_percent() {
        let mut h = Histogram::default();
        assert_eq!(h.quantile(0.5), None);
        for v in 1..=100_000u64 {
            h.record(v * 1000);
        }
        let p50 = h.quantile(0.5).unwrap() as f64;
        let p99 = h.quantile(0.99).unwrap() as f64;
        assert!((p50 / 50_000_000.0 - 1.0).abs() < 0.01, "{p50}");
        assert!((p99 / 99_000_000.0 - 1.0).abs() < 0.01, "{p99}");
        assert_eq!(h.quantile(1.0), Some(100_000_000));
        assert_eq!(h.count(), 100_000);
        assert_eq!(h.max(), 100_000_000);
    }

    #[test]
    fn extremes_and_merge() {
        let mut a = Histogram::default();
        a.record(0);
        a.record(u64::MAX);
        let mut b = Histogram::default();
        b.record(5);
        a.merge(&b);
        assert_eq!(a.count(), 3);
        assert_eq!(a.quantile(0.0), Some(0));
        assert_eq!(a.quantile(0.5), Some(5));
        assert_eq!(a.quantile(1.0), Some(u64::MAX));
    }
}
