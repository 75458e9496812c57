//! What `check` prints: a scenario's derived figures, formatted for people.

use crate::config::Scenario;

/// What `mortgage-sim check` prints for a valid scenario: its derived
/// figures (computed by `model::derived`), for people.
pub fn check_report(scenario: &Scenario, source: &str) -> String {
    let s = scenario;
    let d = crate::model::derived::derive(s);
    let f = &d.contract;
    let mut out = format!("{source}: OK — scenario `{}`\n", s.name);
    if !s.description.is_empty() {
        out += &format!("  {}\n", s.description);
    }
    out += &format!("\nContract\n  term                        {:.2} years\n", f.term_years);
    out += &format!("  committed                   ${:.3}B\n", f.committed_usd / 1e9);
    out += &format!(
        "  planned chip-hours          {:.4e} (tranche schedule, no delays)\n",
        f.planned_chip_hours
    );
    out += &format!(
        "  price per chip-hour         ${:.4} ({})\n",
        f.price_per_chip_hour_usd,
        if f.price_derived {
            "derived: committed / planned chip-hours"
        } else {
            "given"
        }
    );
    let (months, first, last) = d.payments;
    out += &format!(
        "  payments ({:?})      {months} months, first ${:.3}B, last ${:.3}B\n",
        s.contract.payment_schedule,
        first / 1e9,
        last / 1e9
    );
    out += &format!(
        "  late capacity               {}\n",
        if s.contract.waive_undelivered { "waived" } else { "owed" }
    );
    if let Some(b) = &d.buyer {
        out += &format!(
            "\nBuyer\n  initial funding             ${:.3}B\n",
            b.initial_funding_usd / 1e9
        );
        out += &format!("  credit line                 ${:.3}B\n", b.credit_line_usd / 1e9);
        out += &format!(
            "  breakeven inference demand  {:.0} chips served (average payment + costs at ${:.2}/chip-hour)\n",
            b.breakeven_chips, b.revenue_per_served_chip_hour_usd
        );
        out += &format!(
            "  runway with no revenue      {:.1} months of payments and costs\n",
            b.runway_months
        );
    } else {
        out += "  buyer                       not modelled: always pays\n";
    }
    out += &format!("\nCluster\n  peak planned chips          {}\n", d.peak_planned_chips);
    out += &format!("  failure unit                {} chips\n", s.cluster.unit_chips);
    out += &format!(
        "  unit failures per day       {:.1} (at the peak)\n",
        d.unit_failures_per_day
    );
    out += &format!("  mean repair time            {:.1} hours\n", d.mean_repair_hours);
    out += &format!("  policy                      {:?}\n", d.policy);
    if let Some(t) = &d.training {
        out += &format!("\nTraining ({} runs on the roadmap within the term)\n", t.runs);
        if t.too_big > 0 {
            out += &format!(
                "  WARNING                     {} run(s) need more than the largest generation's {} chips \
                 and will never start\n",
                t.too_big, t.largest_generation_chips
            );
        }
        if let Some(big) = &t.largest_run {
            out += &format!("  largest run                 {} chips\n", big.chips);
            out += &format!("  its MTBF                    {:.1} minutes\n", big.mtbf_minutes);
            out += &format!(
                "  checkpoint interval         {:.1} min (Young's optimum for it: {:.1} min)\n",
                big.interval_minutes, big.young_minutes
            );
            out += &format!(
                "  Daly efficiency             {:.1}% (failure-free time / expected wall time)\n",
                100.0 * big.daly_efficiency
            );
        }
    }
    if let Some((base, end)) = d.inference {
        out += &format!("\nInference\n  base demand                 {base:.0} chips (baseline equivalents)\n");
        out += &format!(
            "  mean demand at term end     {end:.0} chips (e^(drift x term), before seasonality and failure)\n"
        );
    }
    if let Some(r) = &d.research {
        out += &format!(
            "\nResearch\n  arrivals                    {:.2} per hour at the start\n",
            r.arrivals_per_hour
        );
        out += &format!(
            "  mean job                    {:.0} chips x {:.1} hours\n",
            r.mean_job_chips, r.mean_job_hours
        );
        out += &format!(
            "  offered load                {:.0} chips at the start ({:.1}% of the peak)\n",
            r.offered_load_chips,
            100.0 * r.offered_load_chips / d.peak_planned_chips as f64
        );
    }
    out
}
