//! Progress over replicas on stderr: indicatif's bar when stderr is a
//! terminal; otherwise (Jupyter's `!`, a subprocess, a Slurm log) a plain
//! line every ~10 s with the replicas done, the rate and the ETA, since a
//! redrawn bar shows nothing in a log. indicatif has no such mode (its
//! issue #530), so the bar stays hidden and keeps the counts and the rate,
//! and a timer thread prints them.

use indicatif::{HumanDuration, ProgressBar, ProgressDrawTarget, ProgressStyle};
use mortgage_sim::montecarlo;
use std::io::IsTerminal;
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Seconds between the plain progress lines; tests and impatient users set
/// it shorter.
pub const INTERVAL_VARIABLE: &str = "MORTGAGE_SIM_PROGRESS_SECONDS";

/// Progress over replicas; [`Bar::finish`] it when the work is done.
pub struct Bar {
    bar: ProgressBar,
    /// The timer printing plain lines (stderr not a terminal).
    lines: Option<(mpsc::Sender<()>, JoinHandle<()>)>,
}

impl montecarlo::Progress for Bar {
    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }

    fn extend(&self, n: u64) {
        self.bar.inc_length(n);
    }
}

impl Bar {
    /// Progress over `total` replicas (more may be added); shown only when
    /// `visible` (not `--quiet`).
    pub fn new(total: u64, visible: bool) -> Result<Bar, String> {
        let terminal = std::io::stderr().is_terminal();
        let target = if visible && terminal {
            ProgressDrawTarget::stderr()
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(total), target);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} replicas  {per_sec}  ETA {eta}")
                .expect("static progress template is valid"),
        );
        let lines = if visible && !terminal {
            let every = interval()?;
            let (stop, stopped) = mpsc::channel();
            let watched = bar.clone();
            let timer = std::thread::spawn(move || {
                while let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(every) {
                    say(&line(&watched));
                }
            });
            Some((stop, timer))
        } else {
            None
        };
        Ok(Bar { bar, lines })
    }

    /// Clears the bar, or stops the plain lines.
    pub fn finish(self) {
        self.bar.finish_and_clear();
        if let Some((stop, timer)) = self.lines {
            let _ = stop.send(());
            let _ = timer.join();
        }
    }
}

/// `progress: 120/400 replicas (30%), 4.1 replicas/s, ETA 1 minute`.
fn line(bar: &ProgressBar) -> String {
    let done = bar.position();
    let rate = bar.per_sec();
    let of = match bar.length() {
        Some(total) if total > 0 => format!("/{total} replicas ({:.0}%)", 100.0 * done as f64 / total as f64),
        _ => " replicas".into(),
    };
    let eta = if done > 0 && rate > 0.0 {
        format!("ETA {}", HumanDuration(bar.eta()))
    } else {
        "ETA unknown".into()
    };
    format!("progress: {done}{of}, {rate:.2} replicas/s, {eta}")
}

/// The interval between plain lines: 10 s, or [`INTERVAL_VARIABLE`].
fn interval() -> Result<Duration, String> {
    let Ok(text) = std::env::var(INTERVAL_VARIABLE) else {
        return Ok(Duration::from_secs(10));
    };
    text.trim()
        .parse::<f64>()
        .ok()
        .filter(|s| s.is_finite() && *s > 0.0 && *s < 1e9)
        .map(Duration::from_secs_f64)
        .ok_or_else(|| format!("{INTERVAL_VARIABLE} is {text:?}; allowed: a number of seconds > 0"))
}

/// Writes a line to stderr, ignoring a closed stderr.
fn say(text: &str) {
    use std::io::Write as _;
    let _ = writeln!(std::io::stderr(), "{text}");
}
