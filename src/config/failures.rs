//! Failures beyond the single unit, checked: correlated failure domains
//! (`[[cluster.failure_domains]]`: racks, power or cooling rows, network
//! switches, whole datacenters, each failing at its own rate and taking all
//! its units down at once) and the taxonomy of unit failures
//! (`[[cluster.failure_kinds]]`: each kind with its share, its repair and
//! whether it takes the unit down).

use super::dist::TimeDist;
use super::raw::{RawFailureDomain, RawFailureKind};
use super::rules;
use super::scenario::{KeyError, bad, limits, positive, require, time_dist};
use crate::engine::Span;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A kind of domain: every `units` consecutive failure units of a
/// generation's pool form one domain, which fails as a whole.
#[derive(Debug, Clone)]
pub struct FailureDomain {
    /// Name as in the file.
    pub name: String,
    /// Failure units per domain (≥ 1, at most `u32::MAX`).
    pub units: u64,
    /// Failure rate of one domain, per second.
    pub rate: f64,
    /// Time until a failed domain's units are back.
    pub repair: TimeDist,
    /// Where training runs sit in these domains.
    pub placement: Placement,
}

/// Where the training runs on a generation sit in the domains of a kind
/// (`cluster.failure_domains[].placement`); the rest of the pool is mixed
/// over what the runs leave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Placement {
    /// Runs back to back at the start of the pool: a run of n units spans
    /// ⌈n / domain units⌉ domains (one more at most).
    #[default]
    Packed,
    /// Each run's units dealt out over the pool's domains in turn: a run of
    /// n units spans min(domains, n) of them.
    Spread,
}

impl Placement {
    /// Whether this is the default (for serialization).
    pub fn is_packed(&self) -> bool {
        *self == Placement::Packed
    }
}

impl FailureDomain {
    /// Domains of this kind over a pool of `delivered` units: ⌈delivered /
    /// units⌉ (the last one may be partly filled).
    pub fn count(&self, delivered: u64) -> u64 {
        delivered.div_ceil(self.units)
    }
}

/// One kind of unit failure.
#[derive(Debug, Clone)]
pub struct FailureKind {
    /// Name as in the file.
    pub name: String,
    /// Chance that a unit failure is of this kind.
    pub share: f64,
    /// Its repair time.
    pub repair: TimeDist,
    /// Whether the unit goes down for `repair` (a run continues on a spare
    /// or a replacement), or the work on it is only interrupted.
    pub replaces_unit: bool,
}

/// Allowed gap between the sum of the shares and 1 (shares are often
/// copied from a table rounded to 0.1%).
const SHARE_SUM_TOLERANCE: f64 = 1e-3;

/// Fails unless `names[i]` is the first of its name (`key` is the entry's).
pub(super) fn unique_name(names: &[&str], i: usize, key: &str) -> Result<(), KeyError> {
    require(
        !names[..i].contains(&names[i]),
        format!("{key}.name"),
        format!("{} is used twice; allowed: unique names", super::quote_value(names[i])),
    )
}

pub(super) fn domains(
    raw: &[RawFailureDomain],
    unit_chips: u64,
    total_chips: u64,
    generations: usize,
) -> Result<Vec<FailureDomain>, KeyError> {
    let names: Vec<&str> = raw.iter().map(|d| d.name.as_str()).collect();
    let mut out = Vec::with_capacity(raw.len());
    for (i, d) in raw.iter().enumerate() {
        let key = format!("cluster.failure_domains[{i}]");
        unique_name(&names, i, &key)?;
        require(
            d.chips > 0 && d.chips % unit_chips == 0 && d.chips / unit_chips <= u32::MAX as u64,
            format!("{key}.chips"),
            format!(
                "is {}; allowed: a positive multiple of cluster.failure_unit_chips ({unit_chips}), at most {} units",
                d.chips,
                u32::MAX
            ),
        )?;
        let units = d.chips / unit_chips;
        let mtbf = positive(d.mtbf_hours, &format!("{key}.mtbf_hours"))?;
        // As for unit failures: the whole cluster's domains must fail less
        // often than the clock's resolution (each generation adds at most
        // one partly filled domain).
        let most_domains = (total_chips / unit_chips).div_ceil(units) + generations as u64;
        let min_mtbf = most_domains as f64 * limits::MIN_MEAN_GAP.secs() as f64 / Span::HOUR.secs() as f64;
        require(
            mtbf >= min_mtbf,
            format!("{key}.mtbf_hours"),
            format!(
                "is {}: with up to {most_domains} such domains one would fail every {:.3} s on average, below the \
                 simulator's resolution of whole seconds; allowed: at least {} hours",
                rules::show(mtbf),
                mtbf * Span::HOUR.secs() as f64 / most_domains as f64,
                rules::approx(min_mtbf)
            ),
        )?;
        out.push(FailureDomain {
            name: d.name.clone(),
            units,
            rate: 1.0 / (mtbf * Span::HOUR.secs() as f64),
            repair: time_dist(&d.repair_hours, Span::HOUR, &format!("{key}.repair_hours"))?,
            placement: d.placement,
        });
    }
    Ok(out)
}

pub(super) fn kinds(raw: &[RawFailureKind], default_repair: &TimeDist) -> Result<Vec<FailureKind>, KeyError> {
    let names: Vec<&str> = raw.iter().map(|k| k.name.as_str()).collect();
    let mut out = Vec::with_capacity(raw.len());
    for (i, k) in raw.iter().enumerate() {
        let key = format!("cluster.failure_kinds[{i}]");
        unique_name(&names, i, &key)?;
        require(
            k.share.is_finite() && k.share > 0.0 && k.share <= 1.0,
            format!("{key}.share"),
            format!("is {}; allowed: 0 < share ≤ 1", rules::show(k.share)),
        )?;
        let repair = match &k.repair_hours {
            Some(spec) => time_dist(spec, Span::HOUR, &format!("{key}.repair_hours"))?,
            None => default_repair.clone(),
        };
        out.push(FailureKind {
            name: k.name.clone(),
            share: k.share,
            repair,
            replaces_unit: k.replaces_unit,
        });
    }
    let sum: f64 = out.iter().map(|k| k.share).sum();
    if !out.is_empty() && (sum - 1.0).abs() > SHARE_SUM_TOLERANCE {
        return Err(bad(
            "cluster.failure_kinds",
            format!(
                "has shares summing to {}; allowed: shares summing to 1 (within {SHARE_SUM_TOLERANCE})",
                rules::approx(sum)
            ),
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pool_is_covered_by_whole_domains_with_the_last_partly_filled() {
        let d = FailureDomain {
            name: "rack".into(),
            units: 4,
            rate: 1e-6,
            repair: TimeDist::new(&crate::config::DistSpec::Fixed { value: 1.0 }, Span::HOUR).unwrap(),
            placement: Placement::Packed,
        };
        assert_eq!(d.count(0), 0);
        assert_eq!(d.count(4), 1);
        assert_eq!(d.count(9), 3);
    }
}
