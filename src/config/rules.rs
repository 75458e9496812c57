//! The value rules every checked key shares, with one wording: each returns
//! the value or the problem ("is -5; allowed: a finite number > 0"), to which
//! the caller adds where it is (a key path, or a distribution parameter).

/// A number as a message shows it: plain when it reads well, in scientific
/// notation when it would take more than a handful of digits (`1e300`, not
/// 301 digits).
pub fn show(x: f64) -> String {
    let magnitude = x.abs();
    if x.is_finite() && magnitude != 0.0 && !(1e-6..1e15).contains(&magnitude) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A derived number as a message shows it: six significant digits
/// (`833.333`, `4e151`), since it is not a value the user wrote.
pub fn approx(x: f64) -> String {
    if !x.is_finite() || x == 0.0 {
        return format!("{x}");
    }
    if (1e-6..1e15).contains(&x.abs()) {
        let decimals = (5 - x.abs().log10().floor() as i32).max(0) as usize;
        let text = format!("{x:.decimals$}");
        return if text.contains('.') {
            text.trim_end_matches('0').trim_end_matches('.').to_string()
        } else {
            text
        };
    }
    let text = format!("{x:.5e}");
    let (mantissa, exponent) = text.split_once('e').unwrap_or((&text, "0"));
    let mantissa = mantissa.trim_end_matches('0').trim_end_matches('.');
    format!("{mantissa}e{exponent}")
}

/// A finite number > 0.
pub fn positive(x: f64) -> Result<f64, String> {
    if x.is_finite() && x > 0.0 {
        Ok(x)
    } else {
        Err(format!("is {}; allowed: a finite number > 0", show(x)))
    }
}

/// A finite number ≥ 0.
pub fn non_negative(x: f64) -> Result<f64, String> {
    if x.is_finite() && x >= 0.0 {
        Ok(x)
    } else {
        Err(format!("is {}; allowed: a finite number ≥ 0", show(x)))
    }
}

/// A probability, 0 to 1.
pub fn probability(x: f64) -> Result<f64, String> {
    if (0.0..=1.0).contains(&x) {
        Ok(x)
    } else {
        Err(format!("is {}; allowed: a probability from 0 to 1", show(x)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_shown_for_people() {
        assert_eq!(show(-5.0), "-5");
        assert_eq!(show(0.25), "0.25");
        assert_eq!(show(1e300), "1e300");
        assert_eq!(show(5e-324), "5e-324");
        assert_eq!(show(f64::NAN), "NaN");
        assert_eq!(approx(833.333_333_333_4), "833.333");
        assert_eq!(approx(4.000_000_000_000_000_7e151), "4e151");
        assert_eq!(approx(5.9e301), "5.9e301");
        assert_eq!(approx(0.000_123_456_78), "0.000123457");
        assert_eq!(approx(1_500_000.0), "1500000");
        assert_eq!(approx(2.5e-12), "2.5e-12");
        assert_eq!(positive(0.0).unwrap_err(), "is 0; allowed: a finite number > 0");
        assert_eq!(
            probability(1.5).unwrap_err(),
            "is 1.5; allowed: a probability from 0 to 1"
        );
    }
}
