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
        assert_eq!(positive(0.0).unwrap_err(), "is 0; allowed: a finite number > 0");
        assert_eq!(
            probability(1.5).unwrap_err(),
            "is 1.5; allowed: a probability from 0 to 1"
        );
    }
}
