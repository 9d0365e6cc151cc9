//! Value parsers for `cs` flags, for clap's `value_parser`.
//!
//! A bad value is a usage error: clap prints `error: invalid value 'X' for '--flag <V>':
//! REASON` and exits with status 2. The reasons below say what would have been accepted.
//!
//! # Shares: fraction or percentage
//!
//! Flags that take a share of a whole (`--service-level`, `--shrinkage`, `--abandon-max`)
//! accept it three ways: a fraction below 1 (`0.8`), a percentage above 1 (`80`), or a
//! percentage with its sign (`80%`). `1` alone is refused as ambiguous (write `100%`, or
//! `1%` / `0.01`).

/// Parses a finite number, naming what was expected.
fn number(s: &str) -> Result<f64, String> {
    let v: f64 = s.trim().parse().map_err(|_| format!("{s:?} is not a number"))?;
    if !v.is_finite() {
        return Err(format!("{s} is not a finite number"));
    }
    Ok(v)
}

/// A finite number above zero (rates, durations).
pub fn positive(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v <= 0.0 {
        return Err(format!("{v} must be above 0"));
    }
    Ok(v)
}

/// A finite number at least zero (a target time may be 0: answered at once).
pub fn non_negative(s: &str) -> Result<f64, String> {
    let v = number(s)?;
    if v < 0.0 {
        return Err(format!("{v} must be 0 or more"));
    }
    Ok(v)
}

/// A share of a whole as a fraction in `[0, 1]`: `0.8`, `80` or `80%` all give 0.8.
pub fn share(s: &str) -> Result<f64, String> {
    let t = s.trim();
    const HELP: &str = "give a fraction (0.8), a percentage (80) or a percentage with its sign (80%)";
    if let Some(p) = t.strip_suffix('%') {
        let v = number(p).map_err(|e| format!("{e}; {HELP}"))?;
        if !(0.0..=100.0).contains(&v) {
            return Err(format!("{t} is not between 0% and 100%"));
        }
        return Ok(v / 100.0);
    }
    let v = number(t).map_err(|e| format!("{e}; {HELP}"))?;
    if v == 1.0 {
        return Err("1 is ambiguous: write 100% for all, or 1% (0.01) for one percent".to_owned());
    }
    if (0.0..1.0).contains(&v) {
        Ok(v)
    } else if v > 1.0 && v <= 100.0 {
        Ok(v / 100.0)
    } else {
        Err(format!("{v} is not a share; {HELP}"))
    }
}

/// A service level to reach, strictly between 0 % and 100 % (no queue answers every
/// contact within a target for certain).
pub fn service_level(s: &str) -> Result<f64, String> {
    let v = share(s)?;
    if v <= 0.0 || v >= 1.0 {
        return Err(format!("{s} must be above 0% and below 100% (a queue can never guarantee 100%)"));
    }
    Ok(v)
}

/// Shrinkage: the share of paid time off the phones, from 0 % up to (not including) 100 %.
pub fn shrinkage(s: &str) -> Result<f64, String> {
    let v = share(s)?;
    if v >= 1.0 {
        return Err(format!("{s} must be below 100% (nobody would be on the phones)"));
    }
    Ok(v)
}

/// A probability cap above 0 % and at most 100 %.
pub fn probability_max(s: &str) -> Result<f64, String> {
    let v = share(s)?;
    if v <= 0.0 {
        return Err(format!("{s} must be above 0%"));
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shares_accept_fractions_and_percentages() {
        assert_eq!(share("0.8"), Ok(0.8));
        assert_eq!(share("80"), Ok(0.8));
        assert_eq!(share("80%"), Ok(0.8));
        assert_eq!(share(" 80 % ".trim()), Ok(0.8));
        assert_eq!(share("100%"), Ok(1.0));
        assert_eq!(share("0"), Ok(0.0));
        assert!(share("1").unwrap_err().contains("ambiguous"));
        assert!(share("150").is_err());
        assert!(share("-0.2").is_err());
        assert!(share("eighty").unwrap_err().contains("not a number"));
        assert!(share("NaN").is_err());
    }

    #[test]
    fn service_level_is_strictly_inside() {
        assert_eq!(service_level("95"), Ok(0.95));
        assert!(service_level("100%").is_err());
        assert!(service_level("0").is_err());
        assert_eq!(shrinkage("0"), Ok(0.0));
        assert_eq!(shrinkage("30"), Ok(0.3));
        assert!(shrinkage("100%").is_err());
        assert_eq!(probability_max("100%"), Ok(1.0));
        assert!(probability_max("0").is_err());
    }

    #[test]
    fn numbers_are_positive_and_finite() {
        assert_eq!(positive("180"), Ok(180.0));
        assert!(positive("0").is_err());
        assert!(positive("inf").is_err());
        assert_eq!(non_negative("0"), Ok(0.0));
        assert!(non_negative("-1").is_err());
    }
}
