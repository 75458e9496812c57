//! What `check` prints: a scenario's derived figures and the estimated cost
//! of a replica, formatted for people (three significant figures with
//! k/M/B/T, dollars, the config's own names).

use super::numbers::{human, percent, usd};
use crate::config::raw::RawPaymentSchedule;
use crate::config::{PolicyKind, Scenario};
use crate::engine::Span;
use crate::model::budget::{self, Budget, MAX_BYTES, MAX_EVENTS_PER_REPLICA};
use crate::model::derived::{self, ProviderFigures};
use crate::sweep::Plan;

/// `trn2 $1.4486, trn3 $2.0136`.
fn per_generation(names: &[&str], prices: &[f64]) -> String {
    let price = |p: f64| if p < 1e4 { format!("${p:.4}") } else { usd(p) };
    let each: Vec<String> = names
        .iter()
        .zip(prices)
        .map(|(n, &p)| format!("{n} {}", price(p)))
        .collect();
    each.join(", ")
}

/// The provider's lines: what it recovers after a default, and its own
/// economics when modelled.
fn provider_section(s: &Scenario, f: &ProviderFigures, names: &[&str]) -> String {
    let p = &s.provider;
    let mut out = "\nProvider\n".to_string();
    if p.remarket_fraction == 0.0 {
        out += &line("re-marketing", "none after a default");
    } else {
        out += &line(
            "re-marketing",
            format!(
                "{} of up capacity after a default, reached over {} months",
                percent(p.remarket_fraction),
                p.remarket_ramp_months
            ),
        );
        match &f.market_prices {
            Some((start, end)) => {
                out += &line("market price at signing", per_generation(names, start));
                out += &line(
                    "at the term's end",
                    format!("{} (with demand as expected)", per_generation(names, end)),
                );
            }
            None => {
                out += &line(
                    "spot price",
                    format!("${:.2} per chip-hour", p.spot_price_per_chip_hour_usd),
                )
            }
        }
    }
    out += &line(
        "bankruptcy claim",
        format!(
            "{} recovered {} months after the default",
            percent(p.claim_recovery_fraction),
            human(p.claim_delay_months)
        ),
    );
    match (&p.economics, f.planned_capex_usd, f.discount_rate_per_year) {
        (Some(e), Some(capex), Some(rate)) => {
            out += &line("capex", format!("{} on the planned deliveries", usd(capex)));
            out += &line(
                "opex",
                format!("${:.3} per delivered chip-hour", e.opex_per_chip_hour_usd),
            );
            out += &line(
                "depreciation",
                format!("{} years, straight line", human(e.depreciation.in_units(Span::YEAR))),
            );
            out += &line(
                "discount rate",
                format!("{} a year (the contract's + spread)", percent(rate)),
            );
        }
        _ => out += &line("economics", "not modelled (no capex_per_chip_usd)"),
    }
    out
}

/// The buyer's rules, one line each (nothing for a buyer that does not act).
fn buyer_behaviour(b: &crate::config::scenario::BuyerSpec) -> String {
    let mut out = String::new();
    if !b.funding_rounds.is_empty() {
        let rounds: Vec<String> = (b.funding_rounds.iter())
            .map(|(m, a)| format!("{} at month {m}", usd(*a)))
            .collect();
        out += &line("funding rounds", rounds.join(", "));
    }
    if let Some(f) = &b.fundraising {
        out += &line(
            "fundraising",
            format!(
                "when the runway is under {} months, every {}+ months; success {} at flat revenue; \
                 size {} of {}x run-rate revenue (mean)",
                human(f.runway_threshold_months),
                f.min_months_between_rounds,
                percent(f.success_probability),
                percent(f.dilution),
                human(f.revenue_multiple.mean())
            ),
        );
    }
    if let Some(c) = &b.cost_cuts {
        out += &line(
            "cost cut",
            format!(
                "{} of fixed costs when the runway is under {} months, {} months later",
                percent(c.fraction),
                human(c.runway_threshold_months),
                c.lag_months
            ),
        );
    }
    if let Some(r) = &b.restructuring {
        let what = match r.kind {
            crate::config::buyer::Restructuring::Deferral { months } => {
                format!("deferral of {months} installment(s) to the last month")
            }
            crate::config::buyer::Restructuring::StepDown { haircut } => {
                format!("step-down of the remaining installments by {}", percent(haircut))
            }
        };
        out += &line(
            "restructuring",
            format!("{what}, agreed with chance {}", percent(r.success_probability)),
        );
    }
    if b.revenue_decline_per_year > 0.0 {
        out += &line(
            "revenue decline",
            format!("{} a year per served chip-hour", percent(b.revenue_decline_per_year)),
        );
    }
    out
}

/// A line of the report: a label padded to a column, then the text.
fn line(label: &str, text: impl std::fmt::Display) -> String {
    format!("  {label:<28}{text}\n")
}

/// What `mortgage-sim check` prints for a valid scenario: its derived
/// figures (computed by `model::derived`) and the cost of one replica
/// (`model::budget`).
pub fn check_report(scenario: &Scenario, source: &str) -> String {
    let s = scenario;
    let d = derived::derive(s);
    let f = &d.contract;
    let mut out = format!("{source}: OK — scenario `{}`\n", s.name);
    if !s.description.is_empty() {
        out += &format!("  {}\n", s.description);
    }
    out += "\nContract\n";
    out += &line("term", format!("{:.2} years", f.term_years));
    out += &line("committed", usd(f.committed_usd));
    out += &line(
        "planned chip-hours",
        format!("{} (tranche schedule, no delays)", human(f.planned_chip_hours)),
    );
    let names: Vec<&str> = s.cluster.generations.iter().map(|g| g.name.as_str()).collect();
    out += &line(
        "price per chip-hour",
        format!(
            "{} ({})",
            per_generation(&names, &s.contract.prices),
            if f.price_derived {
                "derived: the commitment split by planned capacity x speed"
            } else {
                "given"
            }
        ),
    );
    let (months, first, last) = d.payments;
    let schedule = match s.contract.payment_schedule {
        RawPaymentSchedule::FlatMonthly => "flat_monthly",
        RawPaymentSchedule::PlannedCapacity => "planned_capacity",
    };
    out += &line(
        "payments",
        format!(
            "{months} monthly ({schedule}), first {}, last {}",
            usd(first),
            usd(last)
        ),
    );
    out += &line(
        "late capacity",
        if s.contract.waive_undelivered { "waived" } else { "owed" },
    );
    if let Some(b) = &d.buyer {
        out += "\nBuyer\n";
        out += &line("initial funding", usd(b.initial_funding_usd));
        out += &line("credit line", usd(b.credit_line_usd));
        out += &line(
            "breakeven inference demand",
            format!(
                "{} chips served (average payment + costs at ${:.2}/chip-hour)",
                human(b.breakeven_chips),
                b.revenue_per_served_chip_hour_usd
            ),
        );
        out += &line(
            "runway with no revenue",
            format!("{} months of payments and costs", human(b.runway_months)),
        );
        if let Some(spec) = &s.buyer {
            out += &buyer_behaviour(spec);
        }
    } else {
        out += &line("buyer", "not modelled: always pays");
    }
    out += &provider_section(s, &d.provider, &names);
    out += "\nCluster\n";
    out += &line("peak planned chips", human(d.peak_planned_chips as f64));
    out += &line("failure unit", format!("{} chips", s.cluster.unit_chips));
    out += &line(
        "unit failures per day",
        format!("{} (at the peak, constant rate)", human(d.unit_failures_per_day)),
    );
    if !s.cluster.hazards.is_empty() {
        out += &line(
            "  + hazards over age",
            format!(
                "{} per day (averaged over the term, chips delivered at its start)",
                human(d.hazard_failures_per_day)
            ),
        );
    }
    if let Some(l) = &s.cluster.lemons {
        let lemons = (d.peak_planned_chips / s.cluster.unit_chips) as f64 * l.fraction;
        out += &line(
            "  + lemons",
            format!(
                "{} per day while none is found out; at most {} in the term ({} lemons at the peak, each \
                 replaced at its failure {})",
                human(d.lemon_failures_per_day),
                human(lemons * f64::from(l.detect_after_failures)),
                human(lemons),
                l.detect_after_failures
            ),
        );
    }
    out += &line("mean repair time", format!("{} hours", human(d.mean_repair_hours)));
    for m in &s.cluster.maintenance {
        let block_chips = m.units * s.cluster.unit_chips;
        let down =
            block_chips as f64 * m.length.secs() as f64 / (m.every.secs() as f64 * d.peak_planned_chips.max(1) as f64);
        out += &line(
            &format!("maintenance {}", m.name),
            format!(
                "{} windows in the term, {} chips down for {} hours each ({} of the peak down on average)",
                human(m.windows_in(s.contract.term) as f64),
                human(block_chips as f64),
                human(m.length.hours()),
                percent(down.min(1.0))
            ),
        );
    }
    out += &line(
        "policy",
        match d.policy {
            PolicyKind::Priority => "priority".to_string(),
            PolicyKind::InferenceFirst => "inference_first".to_string(),
            PolicyKind::Partitioned { training_fraction } => {
                format!("partitioned (training_fraction {})", percent(training_fraction))
            }
        },
    );
    if let Some(t) = &d.training {
        out += &format!("\nTraining ({} runs on the roadmap within the term)\n", t.runs);
        if t.too_big > 0 {
            out += &line(
                "WARNING",
                format!(
                    "{} run(s) need more than the largest generation's {} chips and will never start",
                    t.too_big,
                    human(t.largest_generation_chips as f64)
                ),
            );
        }
        if let Some(big) = &t.largest_run {
            out += &line("largest run", format!("{} chips", human(big.chips as f64)));
            out += &line("its MTBF", format!("{} minutes", human(big.mtbf_minutes)));
            out += &line(
                "checkpoint interval",
                format!(
                    "{} min (Young's optimum for it: {} min)",
                    human(big.interval_minutes),
                    human(big.young_minutes)
                ),
            );
            out += &line(
                "Daly efficiency",
                format!(
                    "{} (failure-free time / expected wall time{})",
                    percent(big.daly_efficiency),
                    if s.cluster.hazards.is_empty() && s.cluster.lemons.is_none() {
                        ""
                    } else {
                        ", at the constant rate: hazards and lemons lower it"
                    }
                ),
            );
        }
    }
    if let Some((base, end)) = d.inference {
        out += "\nInference\n";
        out += &line("base demand", format!("{} chips (baseline equivalents)", human(base)));
        out += &line(
            "mean demand at term end",
            format!(
                "{} chips (e^(drift x term), before seasonality and failure)",
                human(end)
            ),
        );
    }
    if let Some(r) = &d.research {
        out += "\nResearch\n";
        out += &line(
            "arrivals",
            if r.never_empty {
                "none: a backlog that never runs dry (elastic)".to_string()
            } else {
                format!("{} per hour at the start", human(r.arrivals_per_hour))
            },
        );
        if let Some(cap) = r.elastic_cap_chips {
            out += &line(
                "elastic cap",
                format!(
                    "{} chips at the start ({} of the peak)",
                    human(cap),
                    percent(cap / d.peak_planned_chips as f64)
                ),
            );
        }
        out += &line(
            "mean job",
            format!("{} chips x {} hours", human(r.mean_job_chips), human(r.mean_job_hours)),
        );
        if !r.never_empty {
            out += &line(
                "offered load",
                format!(
                    "{} chips at the start ({} of the peak)",
                    human(r.offered_load_chips),
                    percent(r.offered_load_chips / d.peak_planned_chips as f64)
                ),
            );
        }
    }
    out += "\nCost of a replica (estimate)\n";
    out += &cost_lines(&budget::estimate(s));
    out
}

/// What `check` prints for an experiment or a sensitivity study (`kind`,
/// "an experiment", …) whose every point `jobs::check_plan` checked: its
/// size and the estimated cost of a replica of its costliest point.
pub fn check_plan_report(plan: &Plan, kind: &str, costliest: (u64, &Budget)) -> String {
    let (n, r) = (plan.len(), plan.replicas());
    let keys: Vec<&str> = plan.keys().collect();
    let axes = if keys.is_empty() {
        "no axis".into()
    } else {
        keys.join(", ")
    };
    check_listing(
        &format!("{}: OK — {kind} `{}`", plan.source, plan.name),
        &[
            ("points", format!("{n} (every point checked), over {axes}")),
            ("replicas per point", r.to_string()),
            ("replicas in all", human(n as f64 * f64::from(r))),
        ],
        &format!("point {}, the costliest", costliest.0),
        costliest.1,
    )
}

/// A `check` listing of a file that is not a scenario: the heading, its
/// lines, then the estimated cost of a replica of `which` (e.g. "point 3").
pub fn check_listing(heading: &str, lines: &[(&str, String)], which: &str, budget: &Budget) -> String {
    let mut out = format!("{heading}\n");
    for (label, text) in lines {
        out += &line(label, text);
    }
    out += &format!("\nCost of a replica of {which} (estimate)\n");
    out + &cost_lines(budget)
}

/// The "Cost of a replica" lines of a budget: events and their main
/// drivers, memory, and the ceilings.
fn cost_lines(b: &Budget) -> String {
    let mut out = String::new();
    let events = b.events();
    let mut drivers: Vec<&budget::Driver> = b.drivers.iter().filter(|d| d.events > 0.0).collect();
    drivers.sort_by(|a, b| b.events.total_cmp(&a.events));
    let shares: Vec<String> = drivers
        .iter()
        .take(3)
        .map(|d| format!("{} {}", d.what, percent(d.events / events)))
        .collect();
    out += &line("events", format!("{} ({})", human(events), shares.join(", ")));
    out += &line(
        "memory",
        format!(
            "{} while simulating, {} per finished replica",
            budget::bytes(b.bytes()),
            budget::bytes(b.result_bytes)
        ),
    );
    out += &line(
        "ceilings",
        format!(
            "{} events, {} (run, sweep and merge refuse more without --allow-huge)",
            human(MAX_EVENTS_PER_REPLICA),
            budget::bytes(MAX_BYTES)
        ),
    );
    out
}
