//! Planned maintenance (`[[cluster.maintenance]]`), checked: windows at a
//! fixed cadence, each taking one block of the cluster down for a fixed
//! time — the next domain of a named failure-domain kind (rolling through
//! them in turn) or the next block of N chips. The schedule is
//! deterministic; the model side is `model::world::maintenance`.

use super::failures::FailureDomain;
use super::rules;
use super::scenario::{KeyError, bad, positive, require};
use crate::engine::Span;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// `[[cluster.maintenance]]`: one kind of planned maintenance window.
#[derive(Debug, Clone, Deserialize, Serialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RawMaintenance {
    /// Name in messages and docs (unique).
    pub name: String,
    /// Days between the starts of two windows (one window at a time rolls
    /// through the blocks).
    pub every_days: f64,
    /// Length of one window, hours: its block is down that long.
    pub hours: f64,
    /// A window takes one domain of this `[[cluster.failure_domains]]`
    /// kind down (the next one in turn). Give this or `chips`.
    pub domain: Option<String>,
    /// A window takes this many chips down (the next block of that size in
    /// turn; a multiple of `failure_unit_chips`). Give this or `domain`.
    pub chips: Option<u64>,
    /// Start of the first window, days into the term (absent: `every_days`).
    pub first_at_days: Option<f64>,
    /// Whether a training run hit saves a checkpoint just before the window
    /// (true, the default: it loses no work, and pays the checkpoint and
    /// its restart) or rolls back to its last checkpoint as on a failure.
    #[serde(default = "yes")]
    pub checkpointed: bool,
}

fn yes() -> bool {
    true
}

/// One kind of maintenance window, in simulation units.
#[derive(Debug, Clone, PartialEq)]
pub struct Maintenance {
    /// Name as in the file.
    pub name: String,
    /// Time between the starts of two windows.
    pub every: Span,
    /// Length of a window.
    pub length: Span,
    /// Start of the first window.
    pub first_at: Span,
    /// Failure units per block: a block is laid out as a domain is (see
    /// `model::world::domains`).
    pub units: u64,
    /// The failure-domain kind whose domains are the blocks (its index in
    /// `ClusterSpec::domains`, whose placement of runs applies), or None
    /// for blocks of `chips` (runs packed).
    pub domain: Option<usize>,
    /// Whether runs hit save a checkpoint just before the window.
    pub checkpointed: bool,
}

impl Maintenance {
    /// Windows that start before `term`: ⌈(term − first) / every⌉, 0 when
    /// the first starts at or after the term.
    pub fn windows_in(&self, term: Span) -> u64 {
        term.secs()
            .saturating_sub(self.first_at.secs())
            .div_ceil(self.every.secs())
    }
}

/// Shortest allowed time between windows: a minute (a rolling service of
/// a large cluster's racks comes every few minutes; a five-year term then
/// has at most 2.6 million windows, each costing two events).
pub const MIN_EVERY_DAYS: f64 = 1.0 / 1440.0;

pub(super) fn maintenance(
    raw: &[RawMaintenance],
    domains: &[FailureDomain],
    unit_chips: u64,
) -> Result<Vec<Maintenance>, KeyError> {
    let mut out: Vec<Maintenance> = Vec::with_capacity(raw.len());
    for (i, m) in raw.iter().enumerate() {
        let key = format!("cluster.maintenance[{i}]");
        require(
            !out.iter().any(|o| o.name == m.name),
            format!("{key}.name"),
            format!("{} is used twice; allowed: unique names", super::quote_value(&m.name)),
        )?;
        let every_days = positive(m.every_days, &format!("{key}.every_days"))?;
        require(
            every_days >= MIN_EVERY_DAYS,
            format!("{key}.every_days"),
            format!(
                "is {}; allowed: at least {} (one window a minute)",
                rules::show(every_days),
                rules::approx(MIN_EVERY_DAYS)
            ),
        )?;
        let hours = positive(m.hours, &format!("{key}.hours"))?;
        let first_at_days = match m.first_at_days {
            Some(d) => super::scenario::non_negative(d, &format!("{key}.first_at_days"))?,
            None => every_days,
        };
        let (units, domain) = block(m, &key, domains, unit_chips)?;
        let length = Span::of(hours, Span::HOUR);
        require(
            length.secs() > 0,
            format!("{key}.hours"),
            format!("is {}; allowed: at least one second", rules::show(hours)),
        )?;
        out.push(Maintenance {
            name: m.name.clone(),
            every: Span::of(every_days, Span::DAY),
            length,
            first_at: Span::of(first_at_days, Span::DAY),
            units,
            domain,
            checkpointed: m.checkpointed,
        });
    }
    Ok(out)
}

/// The block a window takes: a named domain kind's, or N chips.
fn block(
    m: &RawMaintenance,
    key: &str,
    domains: &[FailureDomain],
    unit_chips: u64,
) -> Result<(u64, Option<usize>), KeyError> {
    match (&m.domain, m.chips) {
        (Some(name), None) => {
            let names: Vec<String> = domains.iter().map(|d| super::quote_value(&d.name)).collect();
            let allowed = if names.is_empty() {
                "the name of a [[cluster.failure_domains]] entry (there is none)".to_string()
            } else {
                format!("one of the [[cluster.failure_domains]] names: {}", names.join(", "))
            };
            let d = domains.iter().position(|d| &d.name == name).ok_or_else(|| {
                bad(
                    format!("{key}.domain"),
                    format!("is {}; allowed: {allowed}", super::quote_value(name)),
                )
            })?;
            Ok((domains[d].units, Some(d)))
        }
        (None, Some(chips)) => {
            require(
                chips > 0 && chips % unit_chips == 0 && chips / unit_chips <= u32::MAX as u64,
                format!("{key}.chips"),
                format!(
                    "is {chips}; allowed: a positive multiple of cluster.failure_unit_chips ({unit_chips}), at most \
                     {} units",
                    u32::MAX
                ),
            )?;
            Ok((chips / unit_chips, None))
        }
        (Some(_), Some(_)) => Err(bad(
            key,
            "gives both `domain` and `chips`; allowed: exactly one of them",
        )),
        (None, None) => Err(bad(
            key,
            "gives neither `domain` nor `chips`; allowed: exactly one of them",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(first_days: u64, every_days: u64) -> Maintenance {
        Maintenance {
            name: "m".into(),
            every: Span::DAY * every_days,
            length: Span::HOUR,
            first_at: Span::DAY * first_days,
            units: 1,
            domain: None,
            checkpointed: true,
        }
    }

    #[test]
    fn windows_are_counted_from_the_first_at_the_cadence() {
        let term = Span::DAY * 100;
        // Days 10, 20, …, 90: the one at day 100 is not before the term.
        assert_eq!(window(10, 10).windows_in(term), 9);
        // Days 0, 7, …, 98.
        assert_eq!(window(0, 7).windows_in(term), 15);
        assert_eq!(window(100, 1).windows_in(term), 0);
        assert_eq!(window(150, 1).windows_in(term), 0);
    }
}
