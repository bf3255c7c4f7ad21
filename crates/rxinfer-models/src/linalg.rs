//! The little linear algebra the distributions' moments and cached fields
//! need: small dense matrices, row-major, and `log Γ`. Results agree with
//! Julia's to rounding, not to the bit.

/// `ln Γ(x)` for `x > 0`, by Lanczos' approximation (g = 7, 9 terms):
/// about 15 significant digits.
pub(crate) fn ln_gamma(x: f64) -> f64 {
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
        // Reflection: Γ(x)Γ(1−x) = π / sin(πx).
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).abs().ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + G + 0.5;
    let series = C
        .iter()
        .enumerate()
        .skip(1)
        .fold(C[0], |sum, (i, c)| sum + c / (x + i as f64));
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + series.ln()
}

/// The lower Cholesky factor of the `n`×`n` symmetric positive definite
/// `a`, or `None` when it is not.
fn cholesky(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            let value = a.get(i * n + j)? - dot;
            if i == j {
                if value <= 0.0 || value.is_nan() {
                    return None;
                }
                l[i * n + i] = value.sqrt();
            } else {
                l[i * n + j] = value / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// `log det a` of a positive definite `a`.
pub(crate) fn log_det(a: &[f64], n: usize) -> Option<f64> {
    let l = cholesky(a, n)?;
    Some((0..n).map(|i| 2.0 * l[i * n + i].ln()).sum())
}

/// The inverse of the positive definite `a`.
pub(crate) fn inverse(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let l = cholesky(a, n)?;
    // Solve L Lᵀ X = I column by column.
    let mut inv = vec![0.0; n * n];
    for column in 0..n {
        let mut y = vec![0.0; n];
        for i in 0..n {
            let e = if i == column { 1.0 } else { 0.0 };
            let dot: f64 = (0..i).map(|k| l[i * n + k] * y[k]).sum();
            y[i] = (e - dot) / l[i * n + i];
        }
        for i in (0..n).rev() {
            let dot: f64 = (i + 1..n).map(|k| l[k * n + i] * inv[k * n + column]).sum();
            inv[i * n + column] = (y[i] - dot) / l[i * n + i];
        }
    }
    // Rounding leaves the two triangles a bit apart; a covariance is
    // symmetric, so keep the upper one.
    for i in 0..n {
        for j in 0..i {
            inv[i * n + j] = inv[j * n + i];
        }
    }
    Some(inv)
}

/// `a · x` for the `n`×`n` `a`.
pub(crate) fn times(a: &[f64], x: &[f64]) -> Vec<f64> {
    let n = x.len();
    (0..n)
        .map(|i| {
            (0..n)
                .map(|j| a.get(i * n + j).copied().unwrap_or(0.0) * x[j])
                .sum()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ln_gamma_matches_known_values() {
        for (x, expected) in [
            (1.0, 0.0),
            (2.0, 0.0),
            (0.5, 0.5 * std::f64::consts::PI.ln()),
            (10.0, 362_880.0_f64.ln()),
            (0.1, 2.252_712_651_734_206),
        ] {
            assert!((ln_gamma(x) - expected).abs() < 1e-13, "{x}");
        }
    }

    #[test]
    fn inverse_and_log_det_of_a_positive_definite_matrix() {
        let a = [4.0, 2.0, 2.0, 3.0];
        let inv = inverse(&a, 2).unwrap();
        let expected = [3.0 / 8.0, -2.0 / 8.0, -2.0 / 8.0, 4.0 / 8.0];
        for (x, y) in inv.iter().zip(expected) {
            assert!((x - y).abs() < 1e-15);
        }
        assert!((log_det(&a, 2).unwrap() - 8.0_f64.ln()).abs() < 1e-14);
        assert_eq!(inverse(&[1.0, 2.0, 2.0, 1.0], 2), None);
        assert_eq!(times(&a, &[1.0, 1.0]), [6.0, 5.0]);
    }
}
