//! The end of the term: open phases closed into the books and the
//! replica's results.

use super::*;

impl World<'_> {
    pub(super) fn finish(mut self) -> ReplicaOutcome {
        let now = SimTime::at(self.scenario.contract.term);
        for r in self.run_ids() {
            if self.runs[r.index()].is_running() {
                self.close_phase(now, r, false);
            }
        }
        let running: Vec<u32> = self.research.all_running().collect();
        for slot in running {
            let job = self.research.job(slot);
            self.books.totals.research_useful += chip_seconds(self.chips(job.units), now - job.started);
        }
        self.snapshot(now);
        let row = self.row();
        let training_runs = self.run_records();
        ReplicaOutcome {
            row,
            series: self.series,
            waits: Some(metrics::Waits {
                research: self.research_waits,
                training: self.training_waits,
            }),
            chip_seconds: self.books.totals,
            ledger: self.ledger,
            events_by_kind: self.counters.by_kind.to_vec(),
            training_runs,
        }
    }

    /// One record per training run, at the end of the term.
    pub(super) fn run_records(&self) -> Vec<TrainingRunRecord> {
        let month = |t: SimTime| t.in_units(Span::MONTH);
        self.runs
            .iter()
            .enumerate()
            .map(|(i, r)| {
                // Failure-free compute: what earlier generations did (and,
                // once done, the last), plus what is left — on its current
                // generation, or at baseline speed while it is not on one.
                let failure_free = match (r.phase, r.generation) {
                    (Phase::Done, _) => r.compute_done,
                    (_, Some(_)) => r.compute_done + r.work,
                    (_, None) => r.compute_done + r.baseline_work,
                };
                let outcome = match r.phase {
                    Phase::Done => RunOutcome::Completed,
                    Phase::Restarting | Phase::Computing | Phase::WaitingForUnits => RunOutcome::RunningAtTermEnd,
                    // Ready times lie within the term, so a planned run has
                    // arrived; `Planned` cannot last to the end.
                    Phase::Queued | Phase::Planned => RunOutcome::QueuedAtTermEnd,
                    Phase::Cancelled => RunOutcome::Cancelled,
                    Phase::Infeasible => RunOutcome::Infeasible,
                    Phase::Abandoned => RunOutcome::AbandonedAtDefault,
                };
                TrainingRunRecord {
                    run: i as u32,
                    chips: self.chips(r.units),
                    generation: r
                        .last_generation
                        .map(|g| self.scenario.cluster.generations[g.index()].name.clone())
                        .unwrap_or_default(),
                    ready_month: month(r.ready),
                    start_month: r.started.map(month),
                    planned_finish_month: month(r.ready + failure_free),
                    finish_month: r.finished.map(month),
                    interruptions: r.interruptions,
                    outcome,
                }
            })
            .collect()
    }

    pub(super) fn row(&self) -> ReplicaRow {
        let t = &self.books.totals;
        let h = metrics::hours;
        let delivered = h(t.delivered);
        let completed: Vec<&Run> = self.runs.iter().filter(|r| r.finished.is_some()).collect();
        let exposure = self.ledger.exposure_at_default();
        let recovery = h(t[Class::Remarketed]) * self.scenario.provider.spot_price_per_chip_hour_usd;
        let mean_delay_days = (!completed.is_empty()).then(|| {
            completed
                .iter()
                .map(|r| (r.finished.unwrap_or(r.ready) - r.ready).secs() as f64 - r.compute_done.secs() as f64)
                .sum::<f64>()
                / Span::DAY.secs() as f64
                / completed.len() as f64
        });
        let demand = self.books.demand / Span::HOUR.secs() as f64;
        let served = self.books.served / Span::HOUR.secs() as f64;
        let w = &self.research_waits;
        let wait_hours = |q: f64| {
            if w.is_empty() {
                0.0
            } else {
                w.value_at_quantile(q) as f64 / Span::HOUR.secs() as f64
            }
        };
        ReplicaRow {
            replica: self.replica,
            seed: self.seed,
            events: self.counters.events,
            delivered_chip_hours: delivered,
            undelivered_chip_hours: h(t.undelivered),
            busy_chip_hours: h(t.busy()),
            down_chip_hours: h(t[Class::Down]),
            idle_chip_hours: h(t[Class::Idle]),
            training_useful_chip_hours: h(t.training_useful),
            training_rework_chip_hours: h(t.training_rework),
            training_overhead_chip_hours: h(t.training_overhead),
            inference_chip_hours: h(t[Class::Inference]),
            research_useful_chip_hours: h(t.research_useful),
            research_lost_chip_hours: h(t.research_lost),
            utilization: ratio(h(t.busy()), delivered),
            useful_utilization: ratio(h(t.useful()), delivered),
            idle_fraction: ratio(h(t[Class::Idle]), delivered),
            idle_cost_usd: h(t[Class::Idle]) * self.scenario.contract.price_per_chip_hour_usd,
            remarketed_chip_hours: h(t[Class::Remarketed]),
            min_year_utilization: self.min_year_utilization,
            unit_failures: self.counters.unit_failures,
            training_runs_planned: self.runs.len() as u32,
            training_runs_cancelled: self.counters.training_cancelled,
            training_runs_infeasible: self.counters.training_infeasible,
            training_runs_started: self.runs.iter().filter(|r| r.started.is_some()).count() as u32,
            training_runs_completed: completed.len() as u32,
            training_interruptions: self.counters.training_interruptions,
            training_mean_delay_days: mean_delay_days,
            training_goodput: ratio(t.training_useful as f64, t[Class::Training] as f64),
            inference_demand_chip_hours: demand,
            inference_served_chip_hours: served,
            inference_unserved_chip_hours: (demand - served).max(0.0),
            inference_served_fraction: if demand > 0.0 { served / demand } else { 1.0 },
            commercial_failure_month: self
                .demand_path
                .as_ref()
                .and_then(|p| p.failed_at())
                .map(|t| t.in_units(Span::MONTH)),
            research_jobs_arrived: self.counters.research_arrived,
            research_jobs_completed: self.counters.research_completed,
            research_preemptions: self.counters.research_preemptions,
            research_wait_mean_hours: if w.is_empty() {
                0.0
            } else {
                w.mean() / Span::HOUR.secs() as f64
            },
            research_wait_p50_hours: wait_hours(0.5),
            research_wait_p99_hours: wait_hours(0.99),
            payments_usd: self.ledger.payments,
            payments_waived_usd: self.ledger.waived,
            revenue_usd: self.ledger.revenue,
            other_costs_usd: self.ledger.costs,
            credit_drawn_usd: self.ledger.credit_drawn,
            ending_cash_usd: self.ledger.cash,
            default_month: self.ledger.default_month,
            exposure_at_default_usd: exposure,
            recovery_usd: recovery,
            loss_usd: exposure - recovery,
        }
    }
}
