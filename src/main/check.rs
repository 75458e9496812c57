//! `mortgage-sim check FILE`: tells the file's kind, validates it as the
//! command for that kind would before running anything (every point of an
//! experiment or study; a stress file's base scenario at both ends of its
//! input), and returns what `output` makes of it for people.

use super::{Failure, bad_input};
use mortgage_sim::config::kind::FileKind;
use mortgage_sim::config::{self, ConfigError, Scenario};
use mortgage_sim::sensitivity::{self, stress};
use mortgage_sim::{jobs, model, output, sweep};
use std::path::Path;

fn load(config: Option<&Path>, overrides: &[String]) -> Result<(Scenario, String), ConfigError> {
    match config {
        Some(path) => Ok((config::load_file(path, overrides)?, path.display().to_string())),
        None => Ok((config::load_baseline(overrides)?, config::BASELINE_SOURCE.to_string())),
    }
}

/// `check FILE`: validates the file as the command for its kind would
/// before running anything, and prints what it found.
pub fn check(config: Option<&Path>, overrides: &[String], allow_huge: bool) -> Result<String, Failure> {
    let kind = match config {
        Some(path) => FileKind::of(&config::read_toml(path)?),
        None => None,
    };
    let text = match (config, kind) {
        (Some(path), Some(FileKind::Experiment)) => {
            let plan = sweep::Plan::experiment(&sweep::load(path)?, overrides, None, None)?;
            let (id, cost) = jobs::check_plan(&plan, allow_huge)?;
            output::check_plan_report(&plan, "experiment", (id, &cost))
        }
        (Some(path), Some(FileKind::Study)) => {
            let study = sensitivity::load(path, None)?;
            let plan = sweep::Plan::experiment(&study.experiment(), overrides, None, Some(study.header.replicas))?;
            let (id, cost) = jobs::check_plan(&plan, allow_huge)?;
            output::check_plan_report(&plan, &format!("{} study", study.method.as_str()), (id, &cost))
        }
        (Some(path), Some(FileKind::Stress)) => check_stress(path, overrides, allow_huge)?,
        _ => check_scenario(config, overrides, allow_huge)?,
    };
    Ok(text)
}

/// `check` of a stress file: the base scenario is checked with the input at
/// both ends of its range.
fn check_stress(path: &Path, overrides: &[String], allow_huge: bool) -> Result<String, Failure> {
    let test = stress::load(path)?;
    let base = test.base_document()?;
    let mut costliest = None;
    for x in [test.input.low, test.input.high] {
        let x = if test.input.integer { x.round() } else { x };
        let (_, cost) = jobs::check_plan(&test.plan_at(&base, overrides, x)?, allow_huge)?;
        if costliest
            .as_ref()
            .is_none_or(|(_, c): &(f64, model::budget::Budget)| cost.events() > c.events())
        {
            costliest = Some((x, cost));
        }
    }
    let (x, cost) = costliest.expect("two ends were checked");
    let key = &test.input.key;
    Ok(output::check_listing(
        &format!("{}: OK — stress file `{}`", path.display(), test.header.name),
        &[
            (
                "input",
                format!(
                    "{key} from {} to {} (the base scenario checked at both ends)",
                    output::human(test.input.low),
                    output::human(test.input.high)
                ),
            ),
            (
                "target",
                format!(
                    "{} {} {}, until the bracket is narrower than {} (at most {} steps)",
                    test.metric.name(),
                    if test.at_most { "<=" } else { ">=" },
                    output::human(test.target),
                    output::human(test.tolerance),
                    test.max_steps
                ),
            ),
            ("replicas per evaluation", test.header.replicas.to_string()),
        ],
        &format!("{key} = {}", output::human(x)),
        &cost,
    ))
}

/// `check` of a scenario (or of the embedded baseline).
fn check_scenario(config: Option<&Path>, overrides: &[String], allow_huge: bool) -> Result<String, Failure> {
    let (scenario, source) = load(config, overrides)?;
    if !allow_huge {
        let held = u64::from(scenario.replicas).min(256);
        model::budget::estimate(&scenario)
            .check(held, "simulation.replicas")
            .map_err(|e| bad_input(format!("{source}: {e}")))?;
    }
    Ok(output::check_report(&scenario, &source))
}
