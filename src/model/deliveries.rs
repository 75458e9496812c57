//! When each delivery of the tranche schedule arrives: its planned time +
//! its tranche's shared delay + its ramp step's own jitter (see
//! `config::tranche` for the model and the correlation it implies).
//!
//! The full model (`World::new`) and its low-fidelity twin (`lowfi`) both
//! call [`arrivals`], so the twin sees the very same deliveries.

use crate::config::scenario::ClusterSpec;
use crate::engine::{SimTime, Span};
use rand::Rng;

/// The arrival time of every delivery of `cluster.tranches`, in order,
/// drawn from `rng` (the `deliveries` stream). The shared delays come
/// first, one per tranche in file order (so a scenario without ramps
/// draws exactly what it drew before ramps existed, and a ramp leaves the
/// other tranches' delays unchanged), then each step's jitter.
pub fn arrivals<R: Rng + ?Sized>(cluster: &ClusterSpec, rng: &mut R) -> Vec<SimTime> {
    let mut shared = Span::ZERO;
    let mut times: Vec<SimTime> = cluster
        .tranches
        .iter()
        .map(|t| {
            if t.step == 0 {
                shared = t.delay.sample(rng);
            }
            t.planned + shared
        })
        .collect();
    for (at, t) in times.iter_mut().zip(&cluster.tranches) {
        if let Some(j) = &t.jitter {
            *at = *at + j.sample(rng);
        }
    }
    times
}
