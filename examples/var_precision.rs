//! Replicas a VaR needs for a relative precision, extrapolated from the
//! low-fidelity twins' loss distribution (which tracks the full model's:
//! BENCHMARKS.md, "Time to a target precision"):
//! `cargo run --release --example var_precision -- CONFIG N [Q] [REL]`
//! runs N twins, prints VaR_Q of the loss with its order-statistic 95%
//! interval, the twin's cost, and the replicas for a half-width of REL
//! (default 0.05) × VaR, scaling the half-width as 1/√n.

use mortgage_sim::{config, montecarlo, stats};

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let s = config::load_file(std::path::Path::new(&args[1]), &[]).expect("a config");
    let n: u32 = args[2].parse().expect("N");
    let q: f64 = args.get(3).map_or(0.95, |a| a.parse().expect("Q"));
    let rel: f64 = args.get(4).map_or(0.05, |a| a.parse().expect("REL"));
    let started = std::time::Instant::now();
    let twins = montecarlo::multifidelity::run_twins(&s, 0..n);
    let wall = started.elapsed().as_secs_f64();
    let losses: Vec<f64> = twins.iter().map(|c| c.loss_usd).collect();
    let sorted = stats::sorted(&losses);
    let var = stats::quantile_sorted(&sorted, q);
    let (lo, hi) = stats::quantile_interval(&sorted, q);
    let (lo, hi) = (lo.unwrap_or(f64::NAN), hi.unwrap_or(f64::NAN));
    let half = (hi - lo) / 2.0;
    let defaults = twins.iter().filter(|c| c.default_month.is_some()).count();
    let needed = n as f64 * (half / (rel * var)).powi(2);
    println!(
        "twins {n} in {wall:.1} s wall ({:.3} ms each per thread-second)",
        wall * 1e3 / n as f64
    );
    println!("P(default in term) {:.4}", defaults as f64 / n as f64);
    println!(
        "VaR{q} {var:.4e}, 95% interval [{lo:.4e}, {hi:.4e}], half-width {:.2}%",
        100.0 * half / var
    );
    println!("replicas for +-{:.0}%: {needed:.0}", rel * 100.0);
}
