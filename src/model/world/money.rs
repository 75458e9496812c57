//! The buyer's money in the world: a ledger month closed at each month's
//! end, default and what it stops, and re-marketing afterwards.

use super::*;

impl World<'_> {
    /// Closes a contract month in the buyer's books (`finance::Buyer`):
    /// the inference it served, the month's length and the installment
    /// waived for late capacity, or paid for.
    pub(super) fn month_end(&mut self, now: SimTime) {
        let start = self.money.month_mark;
        let hour = Span::HOUR.secs() as f64;
        // The month's late capacity at the contract's prices: waived from
        // the payment, or paid for.
        let late = self.books.undelivered_usd - start.undelivered_usd;
        let inputs = MonthInputs {
            served_chip_hours: (self.books.served - start.served) / hour,
            length_months: (now - start.time).in_units(Span::MONTH),
            mid_years: (start.time.in_units(Span::YEAR) + now.in_units(Span::YEAR)) / 2.0,
            waiver: if self.scenario.contract.waive_undelivered {
                late
            } else {
                0.0
            },
            late_usd: late,
        };
        let buyers_month = self.money.defaulted_at.is_none();
        if self.money.buyer.close_month(&inputs, &mut self.streams.buyer) {
            self.buyer_defaults(now);
        }
        let end = self.books.snapshot(now);
        self.money.months.push(MonthFlows {
            idle_usd: if buyers_month {
                end.idle_usd - start.idle_usd
            } else {
                0.0
            },
            remarketed_chip_hours: metrics::hours(end.totals[Class::Remarketed] - start.totals[Class::Remarketed]),
            remarketing_usd: end.remarketed_usd - start.remarketed_usd,
            delivered_chip_hours: metrics::hours(end.totals.delivered - start.totals.delivered),
            capex_usd: std::mem::take(&mut self.money.capex_this_month),
        });
        self.money.month_mark = end;
        // The next month's market, from the AI-demand factor: the buyer's
        // demand growth over its expectation e^(drift · t).
        let demand = match (&self.inference.path, &self.scenario.inference) {
            (Some(path), Some(spec)) => path.growth() / (spec.drift_per_year * now.in_units(Span::YEAR)).exp(),
            _ => 1.0,
        };
        self.money.market_prices = market_prices(self.scenario, now, demand);
        if !buyers_month {
            self.money.months_since_default += 1;
            self.remarket_idle();
        }
        self.money.months_elapsed += 1;
        // A "year below threshold" counts the buyer's whole years only.
        if self.money.months_elapsed.is_multiple_of(12) && self.money.defaulted_at.is_none() {
            let year = self.books.totals.since(&self.money.year_mark);
            let utilization = ratio(year.busy() as f64, year.delivered as f64);
            self.money.min_year_utilization = Some(
                self.money
                    .min_year_utilization
                    .map_or(utilization, |m| m.min(utilization)),
            );
            self.money.year_mark = self.books.totals;
        }
    }

    /// The buyer stops paying: its workloads stop at once (training work
    /// since the last checkpoint is lost, research jobs are dropped, demand
    /// is no longer served) and the provider re-markets part of the capacity.
    pub(super) fn buyer_defaults(&mut self, now: SimTime) {
        self.money.defaulted_at = Some(now);
        for r in self.run_ids() {
            if self.training[r].is_running() {
                self.close_phase(now, r, true);
                let (g, held) = (self.training[r].generation.expect("running run"), self.training[r].held);
                self.cluster[g].transfer(Class::Training, Class::Idle, held);
                self.training[r].held = 0;
            }
            let run = &mut self.training[r];
            if matches!(
                run.phase,
                Phase::Queued | Phase::Restarting | Phase::Computing | Phase::WaitingForUnits
            ) {
                run.phase = Phase::Abandoned;
                run.token = run.token.wrapping_add(1);
            }
        }
        self.training.queue.clear();
        self.training.waiting.clear();
        let running: Vec<u32> = self.research.all_running().collect();
        for slot in running {
            self.preempt_research(now, slot);
        }
        self.research.drop_waiting();
        self.inference.demand = 0.0;
        self.inference.granted = 0.0;
        for p in &mut self.cluster.pools {
            p.transfer(Class::Inference, Class::Idle, p[Class::Inference]);
        }
        // The buyer's books close here, with the work its default lost.
        self.money.at_default = Some(self.books.snapshot(now));
        self.remarket_idle();
    }

    /// After a default, keeps `remarket_fraction` of each generation's up
    /// units re-marketed, taking idle units (e.g. repaired ones).
    pub(super) fn remarket_idle(&mut self) {
        let fraction = self.scenario.provider.remarket_share(self.money.months_since_default);
        for p in &mut self.cluster.pools {
            let target = (fraction * p.up() as f64).floor() as u64;
            let k = target.saturating_sub(p[Class::Remarketed]).min(p[Class::Idle]);
            p.transfer(Class::Idle, Class::Remarketed, k);
        }
    }
}
