//! The end of the term: open phases closed into the books, and the
//! replica's tally in the model's own terms (integers, instants, spans).
//! `metrics` turns the tally into rows and owns unit conversion.

use super::*;

impl World<'_> {
    pub(super) fn finish(mut self) -> ReplicaTally {
        let now = SimTime::at(self.scenario.contract.term);
        for r in self.run_ids() {
            if self.training[r].is_running() {
                self.close_phase(now, r, false);
            }
        }
        let running: Vec<u32> = self.research.all_running().collect();
        for slot in running {
            let job = self.research.job(slot);
            self.books.totals.research_useful += chip_seconds(self.chips(job.units), now - job.started);
        }
        self.snapshot(now);
        let buyer = self.money.at_default.unwrap_or_else(|| self.books.snapshot(now));
        let runs = self.run_tallies();
        let mut counts = self.counters.counts;
        // A backlog that never runs dry has no arrival events: its jobs
        // arrive when drawn.
        counts.research_arrived += self.research.backlog_draws();
        let commercial_failure = self.inference.path.as_ref().and_then(|p| p.failed_at());
        if let Some(at) = commercial_failure.filter(|&at| at < now) {
            let decay = self
                .scenario
                .inference
                .as_ref()
                .map_or(0.0, |i| i.failure_decay_per_year);
            let detail = format!("demand decays at {:.0}% a year from here", 100.0 * decay);
            self.story
                .push(ReplicaEvent::at(at, EventKind::CommercialFailure, None, detail));
        }
        let buyer_record = self.money.buyer.record;
        let story = metrics::story(self.story, self.money.buyer.events);
        ReplicaTally {
            replica: self.replica,
            seed: self.seed,
            events: self.counters.events,
            events_by_kind: self.counters.by_kind.to_vec(),
            chip_seconds: self.books.totals,
            buyer,
            demand_chip_seconds: self.books.demand,
            served_chip_seconds: self.books.served,
            inference_capacity_chip_seconds: self.books.inference_capacity,
            counts,
            failures_by_kind: self.counters.failures_by_kind,
            hazard_failures_by_month: self.age.by_month,
            runs,
            min_year_utilization: self.money.min_year_utilization,
            commercial_failure,
            waits: metrics::Waits {
                research: self.research_waits,
                training: self.training.waits,
            },
            ledger: self.money.buyer.ledger,
            buyer_record,
            story,
            months: self.money.months,
            residual_usd: self.money.residual_usd,
            series: self.series,
        }
    }

    /// Each training run at the end of the term.
    fn run_tallies(&self) -> Vec<RunTally> {
        let term_end = SimTime::at(self.scenario.contract.term);
        self.training
            .runs
            .iter()
            .map(|r| RunTally {
                // Its ETTR's wall time: from its first start to its end (its
                // completion, the buyer's default, or the end of the term).
                wall: r.started.map(|start| {
                    let end = match (r.finished, r.phase) {
                        (Some(done), _) => done,
                        (None, Phase::Abandoned) => self.money.defaulted_at.unwrap_or(term_end),
                        (None, _) => term_end,
                    };
                    end - start
                }),
                useful: r.useful_time,
                chips: self.chips(r.units),
                generation: r
                    .last_generation
                    .map(|g| self.scenario.cluster.generations[g.index()].name.clone())
                    .unwrap_or_default(),
                ready: r.ready,
                started: r.started,
                finished: r.finished,
                compute_done: r.compute_done,
                // Failure-free compute: what earlier generations did (and,
                // once done, the last), plus what is left — on its current
                // generation, or at baseline speed while it is not on one.
                failure_free: match (r.phase, r.generation) {
                    (Phase::Done, _) => r.compute_done,
                    (_, Some(_)) => r.compute_done + r.work,
                    (_, None) => r.compute_done + r.baseline_work,
                },
                interruptions: r.interruptions,
                outcome: match r.phase {
                    Phase::Done => RunOutcome::Completed,
                    Phase::Restarting | Phase::Computing | Phase::WaitingForUnits => RunOutcome::RunningAtTermEnd,
                    // Ready times lie within the term, so a planned run has
                    // arrived; `Planned` cannot last to the end.
                    Phase::Queued | Phase::Planned => RunOutcome::QueuedAtTermEnd,
                    Phase::Cancelled => RunOutcome::Cancelled,
                    Phase::Infeasible => RunOutcome::Infeasible,
                    Phase::Abandoned => RunOutcome::AbandonedAtDefault,
                },
            })
            .collect()
    }
}
