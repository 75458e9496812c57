//! Failures that depend on a unit's age or on the unit, checked:
//! Weibull hazards over the age since delivery (`[[cluster.hazards]]`:
//! infant mortality with shape < 1, wear-out with shape > 1, added to the
//! constant `chip_mtbf_hours` rate) and lemon units (`[cluster.lemons]`: a
//! fraction of units failing at a multiple of the base rate until they are
//! found out and replaced). The model is in `model::world::hazards`.

use super::failures::unique_name;
use super::rules;
use super::scenario::{KeyError, limits, positive, require};
use crate::engine::Span;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[[cluster.hazards]]`: a Weibull hazard per chip over the age since its
/// delivery, h(a) = (k/η)(a/η)^(k−1), added to the constant rate.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawHazard {
    /// Name in messages and docs (unique).
    pub name: String,
    /// Weibull shape k: below 1 the hazard falls with age (infant
    /// mortality), above 1 it rises (wear-out), 1 is a constant rate.
    pub shape: f64,
    /// Weibull scale η, hours: one chip's cumulative hazard is (a/η)^k, so
    /// a chip has had on average one such failure by age η.
    pub scale_hours: f64,
}

/// `[cluster.lemons]`: units that fail far more often than the rest until
/// their failures give them away.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawLemons {
    /// Chance that a delivered failure unit is a lemon (each delivery's
    /// lemons are drawn binomially).
    pub fraction: f64,
    /// A lemon fails at this multiple (≥ 1) of a unit's constant rate.
    pub rate_multiple: f64,
    /// A lemon is found out and replaced by a good unit at its k-th
    /// failure of the lemon process (1: at its first).
    pub detect_after_failures: u32,
}

/// One Weibull hazard term, in seconds.
#[derive(Debug, Clone)]
pub struct Hazard {
    /// Name as in the file.
    pub name: String,
    /// Weibull shape k.
    pub shape: f64,
    /// Weibull scale η, seconds.
    pub scale: f64,
}

impl Hazard {
    /// One chip's cumulative hazard H(a) = (a/η)^k at age `age` seconds:
    /// its expected failures of this term by then.
    pub fn cumulative(&self, age: f64) -> f64 {
        (age.max(0.0) / self.scale).powf(self.shape)
    }

    /// The age at which one chip's cumulative hazard reaches `h`: H⁻¹(h) =
    /// η h^(1/k).
    pub fn age_at(&self, h: f64) -> f64 {
        self.scale * h.max(0.0).powf(1.0 / self.shape)
    }
}

/// Lemon units, checked.
#[derive(Debug, Clone)]
pub struct Lemons {
    /// Chance that a delivered unit is a lemon.
    pub fraction: f64,
    /// Multiple of the constant unit rate a lemon fails at.
    pub rate_multiple: f64,
    /// Failures of the lemon process after which a lemon is replaced.
    pub detect_after_failures: u32,
}

/// Shapes outside this range describe no fleet and make (a/η)^k overflow or
/// vanish in f64 over a term.
pub const SHAPE_RANGE: std::ops::RangeInclusive<f64> = 0.05..=20.0;
/// The most failures a lemon may take before it is found out.
pub const MAX_DETECT_AFTER: u32 = 100;

/// Failures the whole cluster may have over the term from one process:
/// more would come closer than the clock's resolution on average.
fn most_failures(term: Span) -> f64 {
    term.secs() as f64 / limits::MIN_MEAN_GAP.secs() as f64
}

pub(super) fn hazards(raw: &[RawHazard], total_chips: u64, term: Span) -> Result<Vec<Hazard>, KeyError> {
    let names: Vec<&str> = raw.iter().map(|h| h.name.as_str()).collect();
    let mut out = Vec::with_capacity(raw.len());
    for (i, h) in raw.iter().enumerate() {
        let key = format!("cluster.hazards[{i}]");
        unique_name(&names, i, &key)?;
        require(
            SHAPE_RANGE.contains(&h.shape),
            format!("{key}.shape"),
            format!(
                "is {}; allowed: {} to {} (below 1 infant mortality, above 1 wear-out)",
                rules::show(h.shape),
                SHAPE_RANGE.start(),
                SHAPE_RANGE.end()
            ),
        )?;
        let scale_hours = positive(h.scale_hours, &format!("{key}.scale_hours"))?;
        let hazard = Hazard {
            name: h.name.clone(),
            shape: h.shape,
            scale: scale_hours * Span::HOUR.secs() as f64,
        };
        // Every chip delivered at once and serving the whole term bounds
        // the term's failures of this hazard: total chips × H(term).
        let expected = total_chips as f64 * hazard.cumulative(term.secs() as f64);
        // The smallest scale keeping total chips × H(term) within bounds.
        let min_scale_hours = term.hours() * (total_chips as f64 / most_failures(term)).powf(1.0 / h.shape);
        require(
            expected <= most_failures(term),
            format!("{key}.scale_hours"),
            format!(
                "is {}: with {total_chips} chips this hazard could give {} failures in the term, one every {} s on \
                 average, below the simulator's resolution of whole seconds; allowed: at least {} hours at shape {}",
                rules::show(scale_hours),
                rules::approx(expected),
                rules::approx(term.secs() as f64 / expected),
                rules::approx(min_scale_hours),
                rules::show(h.shape)
            ),
        )?;
        out.push(hazard);
    }
    Ok(out)
}

pub(super) fn lemons(
    raw: Option<&RawLemons>,
    total_units: u64,
    unit_rate: f64,
    term: Span,
) -> Result<Option<Lemons>, KeyError> {
    let Some(l) = raw else { return Ok(None) };
    let key = "cluster.lemons";
    require(
        l.fraction.is_finite() && (0.0..=1.0).contains(&l.fraction),
        format!("{key}.fraction"),
        format!("is {}; allowed: 0 ≤ fraction ≤ 1", rules::show(l.fraction)),
    )?;
    require(
        l.rate_multiple.is_finite() && l.rate_multiple >= 1.0,
        format!("{key}.rate_multiple"),
        format!("is {}; allowed: at least 1", rules::show(l.rate_multiple)),
    )?;
    require(
        (1..=MAX_DETECT_AFTER).contains(&l.detect_after_failures),
        format!("{key}.detect_after_failures"),
        format!("is {}; allowed: 1 to {MAX_DETECT_AFTER}", l.detect_after_failures),
    )?;
    // All units lemons at most: the lemon process's rate is bounded by
    // units × (multiple − 1) × unit rate.
    let expected = total_units as f64 * l.fraction * (l.rate_multiple - 1.0) * unit_rate * term.secs() as f64;
    require(
        expected <= most_failures(term),
        format!("{key}.rate_multiple"),
        format!(
            "is {}: the lemons could fail {} times in the term, below the simulator's resolution of whole seconds \
             between failures; allowed: a smaller multiple or fraction",
            rules::show(l.rate_multiple),
            rules::approx(expected)
        ),
    )?;
    Ok(Some(Lemons {
        fraction: l.fraction,
        rate_multiple: l.rate_multiple,
        detect_after_failures: l.detect_after_failures,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cumulative_hazard_and_its_inverse_agree_and_match_weibull() {
        for shape in [0.3, 0.5, 1.0, 2.5] {
            let h = Hazard {
                name: "h".into(),
                shape,
                scale: 1000.0,
            };
            assert_eq!(h.cumulative(0.0), 0.0);
            assert!((h.cumulative(1000.0) - 1.0).abs() < 1e-12);
            // H(2η) = 2^k.
            assert!((h.cumulative(2000.0) - 2f64.powf(shape)).abs() < 1e-12);
            for a in [1.0, 37.0, 999.0, 12_345.0] {
                assert!((h.age_at(h.cumulative(a)) - a).abs() < 1e-9 * a);
            }
        }
    }
}
