//! A tranche's deliveries, checked: one step, or a ramp of steps
//! (`[cluster.tranches.ramp]`) whose delays are correlated.
//!
//! A ramp of n steps every Δ months delivers the tranche's units in n
//! steps as equal as whole units allow (the first `units mod n` steps get
//! one unit more), step j planned at `planned_month + j·Δ`. Step j of
//! tranche i arrives at its planned time + S_i + J_ij: S_i the tranche's
//! `delivery_delay_months`, drawn once and shared by its steps (a slipped
//! roadmap delays the whole ramp), J_ij the step's own
//! `step_jitter_months`, i.i.d. So two steps' delays have correlation
//! Var(S) / (Var(S) + Var(J)): 1 without jitter, 0 with a fixed shared
//! delay. Each step retires its generation's service life after its own
//! arrival.

use super::cluster::Tranche;
use super::dist::TimeDist;
use super::raw::RawRamp;
use super::scenario::{Gen, KeyError, months, positive, require, time_dist};
use crate::engine::{SimTime, Span};

/// The most steps a ramp may have: a step is an event and a window of the
/// low-fidelity twin, and monthly steps over a long term stay far below it.
pub const MAX_RAMP_STEPS: u32 = 1000;

/// The deliveries of the tranche at `key` (`cluster.tranches[i]`): `units`
/// failure units of `generation` planned at `planned_month` (already
/// checked to lie in the term of `term_months`), with the shared `delay`.
pub(super) fn steps(
    ramp: Option<&RawRamp>,
    key: &str,
    units: u64,
    generation: Gen,
    planned_month: f64,
    delay: TimeDist,
    term_months: f64,
) -> Result<Vec<Tranche>, KeyError> {
    let one = |units, month: f64, step, jitter| Tranche {
        units,
        generation,
        planned: SimTime::at(months(month)),
        delay: delay.clone(),
        step,
        jitter,
    };
    let Some(ramp) = ramp else {
        return Ok(vec![one(units, planned_month, 0, None)]);
    };
    let key = format!("{key}.ramp");
    let n = ramp.steps;
    require(
        (1..=MAX_RAMP_STEPS).contains(&n),
        format!("{key}.steps"),
        format!("is {n}; allowed: 1 to {MAX_RAMP_STEPS}"),
    )?;
    require(
        u64::from(n) <= units,
        format!("{key}.steps"),
        format!("is {n}, more than the tranche's {units} failure units; allowed: at most one step per unit"),
    )?;
    let interval = positive(ramp.interval_months, &format!("{key}.interval_months"))?;
    let last = planned_month + f64::from(n - 1) * interval;
    require(
        last < term_months,
        format!("{key}.interval_months"),
        format!(
            "is {}: the last of {n} steps would be planned at month {}, at or after the end of the \
             {term_months:.1}-month term; allowed: planned_month + (steps − 1) × interval_months < {term_months:.1}",
            super::rules::show(interval),
            super::rules::show(last)
        ),
    )?;
    let jitter = ramp
        .step_jitter_months
        .as_ref()
        .map(|j| time_dist(j, Span::MONTH, &format!("{key}.step_jitter_months")))
        .transpose()?;
    let (each, extra) = (units / u64::from(n), units % u64::from(n));
    Ok((0..n)
        .map(|j| {
            let step_units = each + u64::from(u64::from(j) < extra);
            one(step_units, planned_month + f64::from(j) * interval, j, jitter.clone())
        })
        .collect())
}
