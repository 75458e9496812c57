//! Planned maintenance (`[[cluster.maintenance]]`): every `every` one
//! window takes one block down for its length — the blocks are a failure
//! domain kind's domains, or blocks of N chips, laid out as in `domains.rs`
//! (whose code takes them down) — rolling through the cluster's blocks in
//! turn: window k (counted from the first) takes block k mod (blocks now).
//!
//! Planned means warned: a training run hit saves a checkpoint just before
//! (`checkpointed`, losing no work) or rolls back as on a failure; research
//! jobs hit are preempted; idle, inference and re-marketed units go down.
//! The schedule draws nothing. What a window hits beyond the runs is drawn
//! from the maintenance stream, never from another component's, so adding
//! maintenance leaves every other draw where it was. Cost per window: the
//! runs on the generation and the research jobs hit, never the chip count.

use super::domains::Outage;
use super::training::PhaseEnd;
use super::*;
use crate::config::failures::Placement;

impl World<'_> {
    /// Schedules each kind of window's first, when it falls in the term.
    pub(super) fn schedule_first_windows(&mut self) {
        let term = self.scenario.contract.term;
        for (entry, m) in (0u32..).zip(&self.scenario.cluster.maintenance) {
            if m.first_at < term {
                self.queue
                    .schedule(SimTime::at(m.first_at), Event::MaintenanceStarts { entry });
            }
        }
    }

    /// A window of kind `entry` starts: its block goes down until `now` +
    /// its length, and the next window is scheduled.
    pub(super) fn maintenance_starts(&mut self, now: SimTime, entry: u32) {
        let scenario = self.scenario;
        let m = &scenario.cluster.maintenance[entry as usize];
        let end_of_term = SimTime::at(scenario.contract.term);
        if now.after(m.every) < end_of_term {
            self.queue.schedule_in(m.every, Event::MaintenanceStarts { entry });
        }
        self.counters.counts.maintenance_windows += 1;
        let blocks = self.blocks_of(m.units);
        if blocks == 0 {
            return;
        }
        let k = now.since(SimTime::at(m.first_at)).secs() / m.every.secs();
        let placement = m
            .domain
            .map_or(Placement::Packed, |d| scenario.cluster.domains[d].placement);
        let block = self.block_at(m.units, placement, k % blocks);
        let g = block.generation;
        let outage = Outage::Maintenance {
            checkpointed: m.checkpointed,
        };
        // What the window hits beyond the runs is drawn from the
        // maintenance stream (`Streams::victims_of`).
        let down = self.take_block_down(now, &block, outage);
        let counts = &mut self.counters.counts;
        counts.maintenance_units += down;
        let until = now.after(m.length).min(end_of_term);
        counts.maintenance_chip_seconds += self.cluster.chips(down) * until.since(now).secs();
        if down > 0 {
            let units = u32::try_from(down).expect("a block has at most u32::MAX units (checked at load)");
            self.queue
                .schedule_in(m.length, Event::MaintenanceEnds { generation: g, units });
        }
        self.dispatch(now);
    }

    /// `units` working units of run `r` go down for a window: it saves a
    /// checkpoint first when `checkpointed` (its compute is kept), else it
    /// rolls back to its last one; either way it restarts as after a
    /// failure (on its spares, on replacements, or after waiting for them).
    pub(super) fn stop_run_for_maintenance(&mut self, now: SimTime, r: RunId, units: u64, checkpointed: bool) {
        let end = if checkpointed {
            PhaseEnd::Checkpointed
        } else {
            PhaseEnd::Interrupted
        };
        self.end_phase(now, r, end);
        self.replace_lost_units(now, r, units);
    }
}
