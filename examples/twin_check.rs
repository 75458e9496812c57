//! How closely the low-fidelity twin (`model::lowfi`) tracks the full
//! model: `cargo run --release --example twin_check -- CONFIG N` runs N
//! full replicas and their twins and prints the replicas whose default
//! months differ, the agreement on "defaulted", the mean losses and their
//! correlation, and the twin's cost per replica.

use mortgage_sim::{config, model, montecarlo};
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let s = config::load_file(std::path::Path::new(&args[1]), &[]).unwrap();
    let n: u32 = args[2].parse().unwrap();
    let outs = montecarlo::run_point(&s, n, &montecarlo::Silent);
    let t = std::time::Instant::now();
    let cheap: Vec<_> = (0..n)
        .map(|r| model::lowfi::simulate(&s, montecarlo::replica_seed(s.seed, r)))
        .collect();
    eprintln!("cheap {:.3} ms each", t.elapsed().as_secs_f64() * 1e3 / n as f64);
    let (mut agree, mut both) = (0, 0);
    let (mut sx, mut sy, mut sxx, mut syy, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for (o, c) in outs.iter().zip(&cheap) {
        let a = o.row.default_month;
        let b = c.default_month;
        if a.is_some() == b.is_some() {
            agree += 1;
        }
        if a.is_some() && b.is_some() {
            both += 1;
        }
        if a != b {
            println!(
                "r{} full {:?} cheap {:?} loss {:.3e} {:.3e}",
                o.row.replica, a, b, o.row.loss_usd, c.loss_usd
            );
        }
        let (x, y) = (o.row.loss_usd, c.loss_usd);
        sx += x;
        sy += y;
        sxx += x * x;
        syy += y * y;
        sxy += x * y;
    }
    let nn = n as f64;
    let cov = sxy / nn - sx * sy / nn / nn;
    let vx = sxx / nn - (sx / nn).powi(2);
    let vy = syy / nn - (sy / nn).powi(2);
    println!(
        "agree {agree}/{n} both-default {both}; loss means {:.4e} {:.4e} rho {:.4}",
        sx / nn,
        sy / nn,
        cov / (vx * vy).sqrt()
    );
}
