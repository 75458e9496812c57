//! Running one command of a fuzz case under its limits (a wall-clock
//! timeout, an address-space ceiling) and judging how it ended.

use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// How a command ended.
#[derive(Clone, Copy, Debug)]
pub(super) enum Ending {
    Exit(i32),
    Signal(i32),
    TimedOut,
}

/// Limits on every command.
pub(super) struct Limits {
    pub(super) timeout: Duration,
    pub(super) memory_mb: u64,
}

/// What is kept of a command's stderr.
const STDERR_KEPT: usize = 64 * 1024;

/// Runs `program` with `args` in `cwd` under `limits`: its ending, the
/// start of its stderr and how long it took.
pub(super) fn run_limited(
    program: &str,
    args: &[OsString],
    cwd: &Path,
    limits: &Limits,
) -> (Ending, Vec<u8>, Duration) {
    let started = Instant::now();
    // `exec` keeps the pid, so killing the child kills the program. Exit
    // 125 (a failure) if the ceiling cannot be set.
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {} || exit 125; exec \"$0\" \"$@\"",
            limits.memory_mb * 1024
        ))
        .arg(program)
        .args(args)
        .current_dir(cwd)
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sh starts");
    let mut pipe = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        let (mut kept, mut chunk) = (Vec::new(), [0u8; 8192]);
        while let Ok(n) = pipe.read(&mut chunk) {
            if n == 0 {
                break;
            }
            let room = STDERR_KEPT.saturating_sub(kept.len()).min(n);
            kept.extend_from_slice(&chunk[..room]);
        }
        kept
    });
    let ending = loop {
        if let Some(status) = child.try_wait().expect("wait for the binary") {
            break match (status.code(), status.signal()) {
                (Some(code), _) => Ending::Exit(code),
                (None, Some(signal)) => Ending::Signal(signal),
                (None, None) => unreachable!("a status is a code or a signal"),
            };
        }
        if started.elapsed() >= limits.timeout {
            child.kill().expect("kill the binary");
            child.wait().expect("reap the binary");
            break Ending::TimedOut;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    (ending, reader.join().unwrap(), started.elapsed())
}

/// `signal 6 (SIGABRT)`.
pub(super) fn signal(number: i32) -> String {
    let name = match number {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        _ => return format!("signal {number}"),
    };
    format!("signal {number} ({name})")
}

/// What is wrong with a command's ending, if anything.
pub(super) fn problem(ending: Ending, stderr: &str, limits: &Limits) -> Option<String> {
    let oom = stderr.contains("memory allocation of");
    match ending {
        Ending::TimedOut => Some(format!("timed out: killed after {} s", limits.timeout.as_secs())),
        Ending::Signal(s) if oom => Some(format!(
            "out of memory: killed by {} at the {} MB ceiling",
            signal(s),
            limits.memory_mb
        )),
        Ending::Signal(s) => Some(format!("killed by {}", signal(s))),
        Ending::Exit(101) => Some("exit 101 (panic)".into()),
        Ending::Exit(code) if code != 0 && code != 2 => Some(format!("exit {code}, want 0 or 2")),
        Ending::Exit(code) if stderr.contains("panicked") || stderr.contains("RUST_BACKTRACE") => {
            Some(format!("exit {code}, but stderr shows a panic"))
        }
        Ending::Exit(_) => None,
    }
}
