//! Numbers for people, shared by `check` and the report: three significant
//! figures with a k/M/B/T suffix, dollars, percentages.

/// Removes trailing zeros after a decimal point ("1.50" → "1.5", "2.0" → "2").
pub(crate) fn trim(s: String) -> String {
    let t = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if t == "-0" { "0".into() } else { t }
}

/// Three significant figures with a k/M/B/T suffix: 1.5M, 12.3B, 940,
/// 0.0023; beyond a thousand trillion, scientific: 1.2e300.
pub fn human(x: f64) -> String {
    if !x.is_finite() {
        return "n/a".into();
    }
    if x.abs() >= 1e15 {
        let text = format!("{x:.2e}");
        let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
        return format!("{}e{exponent}", trim(mantissa.to_string()));
    }
    const SUFFIXES: [(f64, &str); 5] = [(1e12, "T"), (1e9, "B"), (1e6, "M"), (1e3, "k"), (1.0, "")];
    let a = x.abs();
    let mut k = SUFFIXES.iter().position(|(s, _)| a >= *s).unwrap_or(4);
    loop {
        let (scale, suffix) = SUFFIXES[k];
        let v = x / scale;
        let text = sig3(v);
        // 999.7k rounds to "1000k": move up a suffix.
        if text.trim_start_matches('-').len() >= 4 && !text.contains('.') && k > 0 && v.abs() >= 999.5 {
            k -= 1;
            continue;
        }
        return text + suffix;
    }
}

fn sig3(v: f64) -> String {
    let a = v.abs();
    let decimals = if a == 0.0 || a >= 100.0 {
        0
    } else {
        (2 - a.log10().floor() as i32).clamp(0, 12) as usize
    };
    trim(format!("{v:.decimals$}"))
}

/// A fraction as a percentage with one decimal: 0.941 → "94.1%".
pub(crate) fn percent(x: f64) -> String {
    if x.is_finite() {
        format!("{:.1}%", x * 100.0)
    } else {
        "n/a".into()
    }
}

/// A probability as a percentage: one decimal from 1% up, three
/// significant digits below (a rare default's 0.0626% must not read as
/// "0.1%"): 0.264 → "26.4%", 6.26e-4 → "0.0626%".
pub(crate) fn probability(x: f64) -> String {
    if x.is_finite() && x.abs() < 0.01 {
        format!("{}%", sig3(x * 100.0))
    } else {
        percent(x)
    }
}

/// Dollars, compact: 12.3e9 → "$12.3B".
pub(crate) fn usd(x: f64) -> String {
    if x < 0.0 {
        format!("-${}", human(-x))
    } else {
        format!("${}", human(x))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_like_a_person_wrote_them() {
        assert_eq!(probability(0.2641), "26.4%");
        assert_eq!(probability(6.2618e-4), "0.0626%");
        assert_eq!(probability(0.0), "0%");
        assert_eq!(human(1.5e6), "1.5M");
        assert_eq!(human(1_000_000.0), "1M");
        assert_eq!(human(999_700.0), "1M");
        assert_eq!(human(940.0), "940");
        assert_eq!(human(0.0023), "0.0023");
        assert_eq!(human(0.0), "0");
        assert_eq!(human(-2.5e3), "-2.5k");
        assert_eq!(human(1e300), "1e300");
        assert_eq!(human(-6.14e20), "-6.14e20");
        assert_eq!(usd(12.3e9), "$12.3B");
        assert_eq!(usd(-4.0e6), "-$4M");
        assert_eq!(usd(1e300), "$1e300");
        assert_eq!(percent(0.941), "94.1%");
        assert_eq!(human(f64::NAN), "n/a");
    }
}
