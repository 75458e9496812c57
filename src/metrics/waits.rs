//! Queue-wait histograms: per replica, pooled per grid point, and written
//! to shard files as (value, count) pairs.

use crate::engine::Span;
use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};

/// A wait-time histogram in seconds (3 significant figures, up to ~100 years).
pub fn wait_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, (Span::YEAR * 100).secs(), 3).expect("static histogram bounds are valid")
}

/// Records a wait. A zero wait is recorded as 0 (the
/// histogram's first bucket holds it exactly), so means are not biased up by
/// jobs that never waited.
pub fn record_wait(h: &mut Histogram<u64>, wait: Span) {
    h.saturating_record(wait.secs());
}

/// Queue-wait histograms (seconds). They serialize (for shard files) as
/// their recorded (value, count) pairs, which rebuild them exactly, and add
/// exactly, so pooling them is independent of order.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Waits {
    /// Research jobs: arrival to first start.
    #[serde(with = "histogram_pairs")]
    pub research: Histogram<u64>,
    /// Training runs: ready to first start.
    #[serde(with = "histogram_pairs")]
    pub training: Histogram<u64>,
}

impl Default for Waits {
    fn default() -> Self {
        Waits {
            research: wait_histogram(),
            training: wait_histogram(),
        }
    }
}

impl Waits {
    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Waits) {
        self.research
            .add(&other.research)
            .expect("wait histograms share bounds");
        self.training
            .add(&other.training)
            .expect("wait histograms share bounds");
    }
}

/// Serde for a wait histogram as a list of (value, count) pairs.
mod histogram_pairs {
    use hdrhistogram::Histogram;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(h: &Histogram<u64>, s: S) -> Result<S::Ok, S::Error> {
        let pairs: Vec<(u64, u64)> = h
            .iter_recorded()
            .map(|v| (v.value_iterated_to(), v.count_at_value()))
            .collect();
        pairs.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Histogram<u64>, D::Error> {
        let pairs = Vec::<(u64, u64)>::deserialize(d)?;
        let mut h = super::wait_histogram();
        for (value, count) in pairs {
            h.record_n(value, count).map_err(serde::de::Error::custom)?;
        }
        Ok(h)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_waits_count_as_zero() {
        let mut h = wait_histogram();
        record_wait(&mut h, Span::ZERO);
        record_wait(&mut h, Span::ZERO);
        record_wait(&mut h, Span(7200));
        assert_eq!(h.len(), 3);
        assert_eq!(h.min(), 0);
        assert!((h.mean() - 2400.0).abs() < 2400.0 * 1e-3, "{}", h.mean());
    }
}
