//! The command line as a user meets it (issue 21's "CLI polish"): a file of
//! the wrong kind names the command for it; `check` takes every kind and
//! `--set`; `run` ends with its headline figures; progress reaches a log;
//! `report` refuses shards and files; a merged manifest says what the
//! merge did; `--metric` repeats; the justfile keeps arguments whole.

use super::support::{binary, binary_path, repo};
use std::fs;
use std::path::Path;
use std::process::{Command, Output};

fn data(file: &str) -> String {
    repo().join("tests/data").join(file).display().to_string()
}

fn run(args: &[&str]) -> Output {
    binary().args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Asserts exit code 2 and that stderr holds `expected`; returns stderr.
fn fails_with(out: &Output, expected: &str) -> String {
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains(expected), "expected {expected:?} in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

#[test]
fn a_file_of_the_wrong_kind_names_its_command() {
    let (scenario, experiment) = (data("golden.toml"), data("sweep_small.toml"));
    let (study, stress) = (data("study_small.toml"), data("stress_small.toml"));
    let variant = repo().join("configs/stress/funding_winter.toml").display().to_string();
    let cases = [
        (
            "run",
            &experiment,
            format!("{experiment} is an experiment; use `mortgage-sim sweep {experiment}`"),
        ),
        (
            "sweep",
            &scenario,
            format!("{scenario} is a scenario; use `mortgage-sim run {scenario}`"),
        ),
        (
            "sweep",
            &study,
            format!("is a sensitivity study; use `mortgage-sim sensitivity {study}`"),
        ),
        (
            "sensitivity",
            &stress,
            format!("is a stress file; use `mortgage-sim stress {stress}`"),
        ),
        (
            "stress",
            &experiment,
            format!("is an experiment; use `mortgage-sim sweep {experiment}`"),
        ),
        ("run", &study, "is a sensitivity study".to_string()),
        // A scenario variant (a base and a [set] table) is a scenario.
        (
            "sweep",
            &variant,
            format!("{variant} is a scenario; use `mortgage-sim run {variant}`"),
        ),
    ];
    for (command, file, expected) in cases {
        let stderr = fails_with(&run(&[command, file.as_str()]), &expected);
        // Not the loader's confusing complaint about a key of another kind.
        assert!(!stderr.contains("unknown") && !stderr.contains("--set"), "{stderr}");
    }
}

#[test]
fn check_validates_every_kind_and_takes_set() {
    let experiment = data("sweep_small.toml");
    let out = run(&["check", &experiment, "--set", "buyer.initial_funding_usd=5e7"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(stdout.contains("OK — experiment `sweep_small`"), "{stdout}");
    assert!(stdout.contains("every point checked"), "{stdout}");
    // A bad --set is caught at check time, on every kind.
    fails_with(
        &run(&["check", &experiment, "--set", "buyer.initial_funding_usd=-1"]),
        "buyer.initial_funding_usd",
    );
    let out = run(&["check", &data("study_small.toml")]);
    assert!(
        text(&out.stdout).contains("OK — tornado study `study_small`"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&["check", &data("stress_small.toml")]);
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("OK — stress file `stress_small`"),
        "{}",
        text(&out.stderr)
    );
    assert!(stdout.contains("from 10M to 400M"), "{stdout}");
    fails_with(
        &run(&["check", &data("stress_small.toml"), "--set", "simulation.nope=1"]),
        "nope",
    );
}

#[test]
fn check_prints_numbers_for_people() {
    for config in [
        "configs/baseline.toml",
        "configs/partitioned.toml",
        "configs/fifteen_year.toml",
    ] {
        let out = run(&["check", &repo().join(config).display().to_string()]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        let stdout = text(&out.stdout);
        for word in stdout.split(|c: char| c.is_whitespace() || "(),;:".contains(c)) {
            // Scientific notation, as 6.1362e10.
            let bytes = word.as_bytes();
            let scientific = bytes
                .windows(3)
                .any(|w| w[0].is_ascii_digit() && w[1] == b'e' && w[2].is_ascii_digit());
            // A Rust Debug name, as FlatMonthly: capitalised, with an
            // upper-case letter after a lower-case one (a unit as kB is not).
            let debug = bytes.first().is_some_and(u8::is_ascii_uppercase)
                && bytes
                    .windows(2)
                    .any(|w| w[0].is_ascii_lowercase() && w[1].is_ascii_uppercase());
            assert!(
                !scientific && !debug,
                "{config}: `{word}` is not for people in:\n{stdout}"
            );
        }
        assert!(stdout.contains("$100B"), "{stdout}");
    }
    // Hazards and lemons get their own failure lines, and the constant
    // rate's line and Daly efficiency say they leave them out.
    let out = run(&["check", &repo().join("configs/realistic.toml").display().to_string()]);
    let stdout = text(&out.stdout);
    for phrase in [
        "(at the peak, constant rate)",
        "+ hazards over age",
        "+ lemons",
        "at the constant rate: hazards and lemons lower it",
    ] {
        assert!(stdout.contains(phrase), "`{phrase}` missing in:\n{stdout}");
    }
}

/// The figure on the headline line starting with `label`, as printed.
fn headline_value<'a>(stdout: &'a str, label: &str) -> &'a str {
    let line = stdout
        .lines()
        .find(|l| l.starts_with(label))
        .unwrap_or_else(|| panic!("no {label} line in:\n{stdout}"));
    line[label.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()
        .unwrap()
}

#[test]
fn run_prints_the_headline_figures_of_its_files_unless_quiet() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("g");
    let out = run(&[
        "run",
        &data("golden.toml"),
        "--replicas",
        "5",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    // Four figures, and the note that 5 replicas leave P(default) mostly
    // noise (Wilson 0/5 is 0% to 43%).
    assert_eq!(stdout.lines().count(), 5, "{stdout}");
    let note = stdout.lines().last().unwrap();
    assert!(note.starts_with("note: the risk figures are mostly noise"), "{stdout}");
    assert!(note.contains("--target-ci p_default_by_year_1=0.005"), "{note}");
    // The same figures as the files: P(default by year 1) and its Wilson
    // interval from risk.csv, mean utilization from summary.csv.
    let risk = fs::read_to_string(dir.join("risk.csv")).unwrap();
    let row: Vec<&str> = risk
        .lines()
        .find(|l| l.starts_with("0,p_default_by_year,1,"))
        .unwrap()
        .split(',')
        .collect();
    let percent = |v: &str| format!("{:.1}%", v.parse::<f64>().unwrap() * 100.0);
    assert_eq!(headline_value(&stdout, "P(default by year 1)"), percent(row[5]));
    let default_line = stdout.lines().find(|l| l.starts_with("P(default")).unwrap();
    assert!(
        default_line.contains(&format!(
            "95% interval {} to {}, Wilson",
            percent(row[7]),
            percent(row[8])
        )),
        "{default_line} vs {row:?}"
    );
    let summary = fs::read_to_string(dir.join("summary.csv")).unwrap();
    let mean = summary
        .lines()
        .find(|l| l.starts_with("0,utilization,"))
        .unwrap()
        .split(',')
        .nth(3)
        .unwrap();
    assert_eq!(headline_value(&stdout, "mean utilization"), percent(mean));
    assert!(headline_value(&stdout, "expected loss").starts_with('$'), "{stdout}");
    assert!(headline_value(&stdout, "mean idle cost").starts_with('$'), "{stdout}");

    let quiet = run(&[
        "run",
        &data("golden.toml"),
        "--quiet",
        "--force",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(quiet.status.success());
    assert_eq!(text(&quiet.stdout), "", "--quiet prints nothing on stdout");
}

#[test]
fn progress_reaches_a_log_when_stderr_is_not_a_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("p");
    let run_logged = |extra: &[&str], seconds: &str| {
        let mut command = Command::new(binary_path());
        command
            .args([
                "run",
                &data("golden.toml"),
                "--replicas",
                "60",
                "--threads",
                "1",
                "--force",
            ])
            .args(["--out", dir.to_str().unwrap()])
            .args(extra)
            .env("MORTGAGE_SIM_PROGRESS_SECONDS", seconds);
        command.output().unwrap()
    };
    // Captured stderr is not a terminal: plain lines, here every 10 ms.
    let out = run_logged(&[], "0.01");
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let lines: Vec<&str> = stderr.lines().filter(|l| l.starts_with("progress: ")).collect();
    assert!(!lines.is_empty(), "no progress line in: {stderr}");
    for line in &lines {
        assert!(
            line.contains("/60 replicas (") && line.contains("replicas/s") && line.contains("ETA"),
            "{line}"
        );
        assert!(
            !line.contains('\r') && !line.contains('\u{1b}'),
            "no terminal codes: {line:?}"
        );
    }
    // --quiet: none.
    let out = run_logged(&["--quiet"], "0.01");
    assert!(!text(&out.stderr).contains("progress: "), "{}", text(&out.stderr));
    // A bad interval is bad input.
    fails_with(&run_logged(&[], "soon"), "MORTGAGE_SIM_PROGRESS_SECONDS is \"soon\"");
}

#[test]
fn report_refuses_shards_and_files_and_a_merge_records_itself() {
    let tmp = tempfile::tempdir().unwrap();
    let shards = tmp.path().join("shards");
    let sweep = data("sweep_small.toml");
    let parts: Vec<String> = (0..2)
        .map(|i| shards.join(format!("shard-{i}")).display().to_string())
        .collect();
    for (i, part) in parts.iter().enumerate() {
        let out = run(&["sweep", &sweep, "--shard", &format!("{i}/2"), "--quiet", "--out", part]);
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let stderr = fails_with(&run(&["report", &parts[0]]), "merge them first: mortgage-sim merge");
    assert!(stderr.contains("--out results/sweep_small"), "{stderr}");
    let stderr = fails_with(&run(&["report", shards.to_str().unwrap()]), "merge them first");
    assert!(
        stderr.contains(&format!("merge {} {} --out", parts[0], parts[1])),
        "{stderr}"
    );
    fails_with(&run(&["report", &sweep]), "is a file; `report` wants a results folder");

    let merged = tmp.path().join("merged");
    let out = run(&["merge", &parts[0], &parts[1], "--out", merged.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(merged.join("manifest.json")).unwrap()).unwrap();
    assert_eq!(manifest["threads"], 1, "a merge runs on one thread");
    assert!(manifest["wall_time_seconds"].as_f64().unwrap() > 0.0);
    let merge = &manifest["merge"];
    assert_eq!(merge["shards"], 2);
    let at = merge["finished_at"].as_str().unwrap();
    assert!(at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T', "{at}");
    // Each shard recorded its own run time: the sum is there, and positive.
    assert!(merge["shards_wall_time_seconds"].as_f64().unwrap() > 0.0, "{merge}");

    // A run's manifest has no merge entry.
    let single = tmp.path().join("single");
    run(&[
        "run",
        &data("golden.toml"),
        "--quiet",
        "--out",
        single.to_str().unwrap(),
    ]);
    let manifest: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(single.join("manifest.json")).unwrap()).unwrap();
    assert!(manifest.get("merge").is_none());
}

#[test]
fn metric_repeats_as_well_as_taking_a_comma_list() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("s");
    let out = run(&[
        "sweep",
        &data("sweep_small.toml"),
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let d = dir.to_str().unwrap();
    // The second --metric is used, not dropped: a bad one fails...
    fails_with(
        &run(&["report", d, "--metric", "utilization", "--metric", "no_such_metric"]),
        "--metric no_such_metric",
    );
    // ...and two good ones give the same report as the comma list.
    let charts = |args: &[&str]| {
        let out = run(&[&["report", d][..], args].concat());
        assert!(out.status.success(), "{}", text(&out.stderr));
        fs::read_to_string(dir.join("charts/sweep_small_multiples.svg")).unwrap()
    };
    let repeated = charts(&["--metric", "utilization", "--metric", "idle_cost_usd"]);
    let listed = charts(&["--metric", "utilization,idle_cost_usd"]);
    let single = charts(&["--metric", "utilization"]);
    assert_eq!(repeated, listed);
    assert_ne!(repeated, single, "the second metric adds a row of panels");
}

/// `just run --set 'scheduler={policy="partitioned", training_fraction=0.4}'`
/// (README's example) reaches the binary as one argument. Runs when `just`
/// is installed (CI installs it); `cargo` is replaced by a stand-in that
/// runs the built binary, so nothing is rebuilt.
#[test]
fn the_justfile_passes_arguments_whole() {
    if Command::new("just").arg("--version").output().is_err() {
        eprintln!("skipped: `just` is not on PATH");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let shim = tmp.path().join("cargo");
    // `cargo run --release -- ARGS…` → `mortgage-sim ARGS…`.
    fs::write(
        &shim,
        format!(
            "#!/bin/sh\n[ \"$1 $2 $3\" = \"run --release --\" ] || exit 99\nshift 3\nexec '{}' \"$@\"\n",
            binary_path()
        ),
    )
    .unwrap();
    fs::set_permissions(&shim, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    let path = format!("{}:{}", tmp.path().display(), std::env::var("PATH").unwrap_or_default());
    let just = |args: &[&str]| {
        Command::new("just")
            .arg("--justfile")
            .arg(repo().join("justfile"))
            .arg("--working-directory")
            .arg(repo())
            .args(args)
            .env("PATH", &path)
            .output()
            .unwrap()
    };
    let set = r#"scheduler={policy="partitioned", training_fraction=0.4}"#;
    let out = just(&["check", "--set", set]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("partitioned (training_fraction 40.0%)"),
        "{}",
        text(&out.stdout)
    );
    let dir = tmp.path().join("run");
    let out = just(&[
        "run",
        &data("golden.toml"),
        "--quiet",
        "--out",
        dir.to_str().unwrap(),
        "--set",
        set,
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"partitioned\""), "the override reached the run");
    // A path with a space stays one argument too.
    let spaced = tmp.path().join("with space");
    fs::create_dir(&spaced).unwrap();
    let config = spaced.join("golden.toml");
    fs::copy(data("golden.toml"), &config).unwrap();
    let out = just(&["check", config.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(Path::new(&config).exists());
}
