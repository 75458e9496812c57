//! Probability distributions as they appear in scenario files.
//!
//! A distribution is a TOML table tagged by `dist`, e.g.
//! `{ dist = "lognormal", median = 24, sigma = 1.0 }`. [`DistSpec`] is the
//! raw serde form; [`Dist`] is the validated, ready-to-sample form built once
//! at config load, so a bad parameter is an error naming its key rather than
//! a panic mid-run. The unit of the sampled value is the unit in the name of
//! the key that holds the table (`repair_hours`, `duration_hours`, ...).

use super::rules;
use crate::engine::{Span, seconds_from_f64};
use rand::Rng;
use rand_distr::{Distribution, Exp, Gamma, LogNormal, Weibull, weighted::WeightedAliasIndex};
use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};

/// The names accepted for `dist`, with their parameters (shown in errors and
/// `--help`).
pub const DIST_KINDS: &str = "fixed {value}, exp {mean}, uniform {low, high}, \
     lognormal {median, sigma}, gamma {shape, scale}, weibull {shape, scale}, \
     empirical {values, weights}";

/// A distribution as written in a scenario file.
///
/// Serialized as a table tagged by `dist`. Deserialization is hand-written
/// (see `DistVisitor`) rather than serde's internally tagged form, which
/// buffers the table and so loses the key of a bad parameter: here a wrong
/// type is reported at `….repair_hours.sigma`, and an unknown or missing
/// parameter is named with the parameters that kind takes.
#[derive(Debug, Clone, PartialEq, serde::Serialize, schemars::JsonSchema)]
#[serde(tag = "dist", rename_all = "lowercase")]
#[schemars(
    description = "A distribution: a table tagged by `dist`, e.g. { dist = \"lognormal\", median = 24, sigma = 1.0 }."
)]
pub enum DistSpec {
    /// Always `value`.
    Fixed {
        /// The value.
        value: f64,
    },
    /// Exponential with the given mean.
    Exp {
        /// Mean (> 0).
        mean: f64,
    },
    /// Uniform on `[low, high]`.
    Uniform {
        /// Lower bound.
        low: f64,
        /// Upper bound (≥ low).
        high: f64,
    },
    /// Lognormal: `ln X ~ Normal(ln median, sigma)`.
    Lognormal {
        /// Median (> 0).
        median: f64,
        /// Standard deviation of `ln X` (≥ 0).
        sigma: f64,
    },
    /// Gamma with shape k and scale θ (mean kθ).
    Gamma {
        /// Shape k (> 0).
        shape: f64,
        /// Scale θ (> 0).
        scale: f64,
    },
    /// Weibull with shape k and scale λ.
    Weibull {
        /// Shape k (> 0).
        shape: f64,
        /// Scale λ (> 0).
        scale: f64,
    },
    /// A discrete table: `values[i]` with probability `weights[i] / Σ weights`.
    Empirical {
        /// The values.
        values: Vec<f64>,
        /// Non-negative weights, same length, positive sum.
        weights: Vec<f64>,
    },
}

/// The `dist` tag.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    Fixed,
    Exp,
    Uniform,
    Lognormal,
    Gamma,
    Weibull,
    Empirical,
}

/// Numeric parameters, in the order of the slots in [`DistVisitor`].
const NUMBERS: [&str; 8] = ["value", "mean", "low", "high", "median", "sigma", "shape", "scale"];

impl Kind {
    /// Every key a table of this kind may hold.
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Fixed => &["dist", "value"],
            Kind::Exp => &["dist", "mean"],
            Kind::Uniform => &["dist", "low", "high"],
            Kind::Lognormal => &["dist", "median", "sigma"],
            Kind::Gamma | Kind::Weibull => &["dist", "shape", "scale"],
            Kind::Empirical => &["dist", "values", "weights"],
        }
    }
}

/// Reads a distribution table key by key, so that serde_path_to_error sees
/// every parameter's key.
struct DistVisitor;

impl<'de> Visitor<'de> for DistVisitor {
    type Value = DistSpec;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        write!(
            f,
            "a distribution table like {{ dist = \"lognormal\", median = 24, sigma = 1.0 }} (kinds: {DIST_KINDS})"
        )
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DistSpec, A::Error> {
        let mut kind = None;
        let mut numbers = [None; NUMBERS.len()];
        let (mut values, mut weights) = (None, None);
        let mut present: Vec<String> = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "dist" => kind = Some(map.next_value::<Kind>()?),
                "values" => values = Some(map.next_value::<Vec<f64>>()?),
                "weights" => weights = Some(map.next_value::<Vec<f64>>()?),
                k => match NUMBERS.iter().position(|n| *n == k) {
                    Some(i) => numbers[i] = Some(map.next_value::<f64>()?),
                    None => {
                        map.next_value::<IgnoredAny>()?;
                    }
                },
            }
            present.push(key);
        }
        let kind = kind.ok_or_else(|| de::Error::missing_field("dist"))?;
        let keys = kind.keys();
        if let Some(extra) = present.iter().find(|k| !keys.contains(&k.as_str())) {
            return Err(de::Error::unknown_field(extra, keys));
        }
        let number = |name: &'static str| {
            let i = NUMBERS.iter().position(|n| *n == name).expect("a numeric parameter");
            numbers[i].ok_or_else(|| de::Error::missing_field(name))
        };
        Ok(match kind {
            Kind::Fixed => DistSpec::Fixed {
                value: number("value")?,
            },
            Kind::Exp => DistSpec::Exp { mean: number("mean")? },
            Kind::Uniform => DistSpec::Uniform {
                low: number("low")?,
                high: number("high")?,
            },
            Kind::Lognormal => DistSpec::Lognormal {
                median: number("median")?,
                sigma: number("sigma")?,
            },
            Kind::Gamma => DistSpec::Gamma {
                shape: number("shape")?,
                scale: number("scale")?,
            },
            Kind::Weibull => DistSpec::Weibull {
                shape: number("shape")?,
                scale: number("scale")?,
            },
            Kind::Empirical => DistSpec::Empirical {
                values: values.ok_or_else(|| de::Error::missing_field("values"))?,
                weights: weights.ok_or_else(|| de::Error::missing_field("weights"))?,
            },
        })
    }
}

impl<'de> Deserialize<'de> for DistSpec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(DistVisitor)
    }
}

impl DistSpec {
    /// The distribution of `factor` × X for X of this one (a change of
    /// unit): every location and scale parameter multiplied, shapes kept.
    fn scaled(&self, factor: f64) -> DistSpec {
        match self.clone() {
            DistSpec::Fixed { value } => DistSpec::Fixed { value: value * factor },
            DistSpec::Exp { mean } => DistSpec::Exp { mean: mean * factor },
            DistSpec::Uniform { low, high } => DistSpec::Uniform {
                low: low * factor,
                high: high * factor,
            },
            DistSpec::Lognormal { median, sigma } => DistSpec::Lognormal {
                median: median * factor,
                sigma,
            },
            DistSpec::Gamma { shape, scale } => DistSpec::Gamma {
                shape,
                scale: scale * factor,
            },
            DistSpec::Weibull { shape, scale } => DistSpec::Weibull {
                shape,
                scale: scale * factor,
            },
            DistSpec::Empirical { values, weights } => DistSpec::Empirical {
                values: values.iter().map(|v| v * factor).collect(),
                weights,
            },
        }
    }
}

/// A distribution of durations, as a key like `repair_hours` gives it: the
/// table is checked in the key's unit (so messages show the values as
/// written) and converted to seconds once, here, at load. A draw is a
/// [`Span`] of whole seconds.
#[derive(Debug, Clone)]
pub struct TimeDist {
    seconds: Dist,
    unit: Span,
}

impl TimeDist {
    /// The distribution `spec` over `unit`s (e.g. hours).
    pub fn new(spec: &DistSpec, unit: Span) -> Result<TimeDist, DistError> {
        Dist::try_from(spec)?;
        let seconds = Dist::try_from(&spec.scaled(unit.secs() as f64))?;
        Ok(TimeDist { seconds, unit })
    }

    /// A distribution that always gives `span` (for tests and what-if
    /// studies); its unit for [`TimeDist::mean_in_units`] is the second.
    pub fn fixed(span: Span) -> TimeDist {
        TimeDist {
            seconds: Dist::fixed(span.secs() as f64),
            unit: Span(1),
        }
    }

    /// Draws one duration, rounded to whole seconds.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Span {
        Span(seconds_from_f64(self.seconds.sample(rng)))
    }

    /// The mean in the key's unit (for derived figures in `check`).
    pub fn mean_in_units(&self) -> f64 {
        self.seconds.mean() / self.unit.secs() as f64
    }
}

/// A validated distribution, ready to sample.
#[derive(Debug, Clone)]
pub struct Dist {
    kind: DistKind,
    mean: f64,
}

#[derive(Debug, Clone)]
enum DistKind {
    Fixed(f64),
    Exp(Exp<f64>),
    Uniform {
        low: f64,
        width: f64,
    },
    Lognormal(LogNormal<f64>),
    Gamma(Gamma<f64>),
    Weibull(Weibull<f64>),
    Empirical {
        values: Vec<f64>,
        index: WeightedAliasIndex<f64>,
    },
}

/// Why a distribution's parameters were rejected: the parameter name and
/// what is allowed. The caller adds the key path.
#[derive(Debug, Clone, PartialEq)]
pub struct DistError {
    /// The parameter within the table, e.g. `sigma`.
    pub param: &'static str,
    /// What was wrong and what is allowed.
    pub problem: String,
}

fn check(ok: bool, param: &'static str, problem: impl Into<String>) -> Result<(), DistError> {
    if ok {
        Ok(())
    } else {
        Err(DistError {
            param,
            problem: problem.into(),
        })
    }
}

/// `param` must be a finite number > 0.
fn check_positive(x: f64, param: &'static str) -> Result<(), DistError> {
    rules::positive(x)
        .map(drop)
        .map_err(|problem| DistError { param, problem })
}

/// `param` must be a finite number ≥ 0.
fn check_non_negative(x: f64, param: &'static str) -> Result<(), DistError> {
    rules::non_negative(x)
        .map(drop)
        .map_err(|problem| DistError { param, problem })
}

impl TryFrom<&DistSpec> for Dist {
    type Error = DistError;

    fn try_from(spec: &DistSpec) -> Result<Self, DistError> {
        let finite = |x: f64| x.is_finite();
        let (kind, mean) = match *spec {
            DistSpec::Fixed { value } => {
                check_non_negative(value, "value")?;
                (DistKind::Fixed(value), value)
            }
            DistSpec::Exp { mean } => {
                check_positive(mean, "mean")?;
                (DistKind::Exp(Exp::new(1.0 / mean).expect("checked rate")), mean)
            }
            DistSpec::Uniform { low, high } => {
                check_non_negative(low, "low")?;
                check(
                    finite(high) && high >= low,
                    "high",
                    format!("is {high}; allowed: a finite number ≥ low ({low})"),
                )?;
                (DistKind::Uniform { low, width: high - low }, 0.5 * (low + high))
            }
            DistSpec::Lognormal { median, sigma } => {
                check_positive(median, "median")?;
                check_non_negative(sigma, "sigma")?;
                let d = LogNormal::new(median.ln(), sigma).expect("checked parameters");
                (DistKind::Lognormal(d), median * (0.5 * sigma * sigma).exp())
            }
            DistSpec::Gamma { shape, scale } => {
                check_positive(shape, "shape")?;
                check_positive(scale, "scale")?;
                let d = Gamma::new(shape, scale).expect("checked parameters");
                (DistKind::Gamma(d), shape * scale)
            }
            DistSpec::Weibull { shape, scale } => {
                check_positive(shape, "shape")?;
                check_positive(scale, "scale")?;
                let d = Weibull::new(scale, shape).expect("checked parameters");
                (DistKind::Weibull(d), scale * gamma_fn(1.0 + 1.0 / shape))
            }
            DistSpec::Empirical {
                ref values,
                ref weights,
            } => {
                check(
                    !values.is_empty(),
                    "values",
                    "is empty; allowed: an array of at least one value",
                )?;
                check(
                    values.iter().all(|&v| finite(v) && v >= 0.0),
                    "values",
                    format!("is {values:?}; allowed: finite numbers ≥ 0"),
                )?;
                check(
                    weights.len() == values.len(),
                    "weights",
                    format!(
                        "has {} weights for {} values; allowed: one weight per value",
                        weights.len(),
                        values.len()
                    ),
                )?;
                check(
                    weights.iter().all(|&w| finite(w) && w >= 0.0),
                    "weights",
                    format!("is {weights:?}; allowed: finite numbers ≥ 0"),
                )?;
                let total: f64 = weights.iter().sum();
                check(
                    total > 0.0,
                    "weights",
                    format!("is {weights:?}, which sums to 0; allowed: numbers ≥ 0 with a positive sum"),
                )?;
                let mean = values.iter().zip(weights).map(|(v, w)| v * w).sum::<f64>() / total;
                let index = WeightedAliasIndex::new(weights.clone()).map_err(|e| DistError {
                    param: "weights",
                    problem: e.to_string(),
                })?;
                (
                    DistKind::Empirical {
                        values: values.clone(),
                        index,
                    },
                    mean,
                )
            }
        };
        Ok(Dist { kind, mean })
    }
}

impl Dist {
    /// A distribution that always returns `value`.
    pub fn fixed(value: f64) -> Dist {
        Dist {
            kind: DistKind::Fixed(value),
            mean: value,
        }
    }

    /// Draws one value. Always finite and ≥ 0.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match &self.kind {
            DistKind::Fixed(v) => *v,
            DistKind::Exp(d) => d.sample(rng),
            DistKind::Uniform { low, width } => low + width * rng.random::<f64>(),
            DistKind::Lognormal(d) => d.sample(rng),
            DistKind::Gamma(d) => d.sample(rng),
            DistKind::Weibull(d) => d.sample(rng),
            DistKind::Empirical { values, index } => values[index.sample(rng)],
        }
    }

    /// The distribution's mean (used for derived figures in `check`).
    pub fn mean(&self) -> f64 {
        self.mean
    }
}

/// The gamma function Γ(x) for x > 0 (Lanczos approximation, g = 7, n = 9;
/// relative error below 1e-13), needed for the Weibull mean.
fn gamma_fn(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        std::f64::consts::PI / ((std::f64::consts::PI * x).sin() * gamma_fn(1.0 - x))
    } else {
        let x = x - 1.0;
        let t = x + G + 0.5;
        let series = C[1..]
            .iter()
            .enumerate()
            .fold(C[0], |acc, (i, c)| acc + c / (x + i as f64 + 1.0));
        (2.0 * std::f64::consts::PI).sqrt() * t.powf(x + 0.5) * (-t).exp() * series
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    fn sample_mean(spec: DistSpec, n: usize) -> (f64, f64) {
        let d = Dist::try_from(&spec).unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
        let xs: Vec<f64> = (0..n).map(|_| d.sample(&mut rng)).collect();
        let m = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1) as f64;
        assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0));
        (m - d.mean(), (var / n as f64).sqrt())
    }

    #[test]
    fn sample_means_match_closed_form_means_within_5_stderr() {
        let specs = [
            DistSpec::Exp { mean: 3.0 },
            DistSpec::Uniform { low: 1.0, high: 5.0 },
            DistSpec::Lognormal {
                median: 2.0,
                sigma: 0.7,
            },
            DistSpec::Gamma { shape: 2.5, scale: 1.5 },
            DistSpec::Weibull { shape: 1.7, scale: 4.0 },
            DistSpec::Empirical {
                values: vec![1.0, 10.0],
                weights: vec![3.0, 1.0],
            },
        ];
        for spec in specs {
            let (err, se) = sample_mean(spec.clone(), 200_000);
            assert!(err.abs() < 5.0 * se, "{spec:?}: error {err} vs stderr {se}");
        }
    }

    #[test]
    fn gamma_function_known_values() {
        assert!((gamma_fn(5.0) - 24.0).abs() < 1e-10);
        assert!((gamma_fn(0.5) - std::f64::consts::PI.sqrt()).abs() < 1e-12);
    }

    #[test]
    fn bad_parameters_name_the_parameter() {
        let e = Dist::try_from(&DistSpec::Lognormal {
            median: 1.0,
            sigma: -1.0,
        })
        .unwrap_err();
        assert_eq!(e.param, "sigma");
        let e = Dist::try_from(&DistSpec::Empirical {
            values: vec![1.0],
            weights: vec![0.0],
        })
        .unwrap_err();
        assert_eq!(e.param, "weights");
        assert!(e.problem.contains("positive"));
        let e = Dist::try_from(&DistSpec::Uniform { low: 2.0, high: 1.0 }).unwrap_err();
        assert_eq!(e.param, "high");
    }

    #[test]
    fn parses_from_toml_table() {
        let spec: DistSpec = toml::from_str("dist = \"lognormal\"\nmedian = 24\nsigma = 1.0").unwrap();
        assert_eq!(
            spec,
            DistSpec::Lognormal {
                median: 24.0,
                sigma: 1.0
            }
        );
        assert!(toml::from_str::<DistSpec>("dist = \"pareto\"\nalpha = 1").is_err());
        assert!(toml::from_str::<DistSpec>("dist = \"exp\"\nmean = 1\nextra = 2").is_err());
    }
}
