//! Tracking evaluation equal to TrackEval 1.3.0: HOTA, CLEAR, Identity and Count over
//! MOTChallenge 2D box sequences.
//!
//! `mot_data` reads and preprocesses one sequence (TrackEval's `MotChallenge2DBox`), `boxes` is
//! its box IoU, `lsap` is scipy's `linear_sum_assignment`, `hota` / `clear` / `identity` /
//! `count` are the metrics (one sequence, and the combination of sequences), `evaluate` runs
//! them all. Sums follow numpy's order (`numpy_sum`) where TrackEval sums arrays with numpy.

pub mod boxes;
pub mod clear;
pub mod count;
pub mod evaluate;
pub mod hota;
pub mod identity;
pub mod lsap;
pub mod mot_data;
pub mod mots_data;
pub mod rle;

use crate::numpy_sum::pairwise_sum;

/// `np.finfo('float').eps`, TrackEval's slack on thresholds.
pub const EPS: f64 = f64::EPSILON;

/// Number of HOTA alpha thresholds: `np.arange(0.05, 0.99, 0.05)`.
pub const N_ALPHAS: usize = 19;

/// The alpha thresholds exactly as `np.arange(0.05, 0.99, 0.05)` computes them
/// (`start + i * delta` with `delta = (start + step) - start`).
pub fn alphas() -> [f64; N_ALPHAS] {
    let start = 0.05_f64;
    let delta = (start + 0.05) - start;
    let mut a = [0.0; N_ALPHAS];
    for (i, x) in a.iter_mut().enumerate() {
        *x = if i == 0 {
            start
        } else {
            start + i as f64 * delta
        };
    }
    a
}

/// A row-major `rows x cols` float64 matrix (one timestep's similarities).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Mat {
    pub rows: usize,
    pub cols: usize,
    pub data: Vec<f64>,
}

impl Mat {
    pub fn zeros(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            data: vec![0.0; rows * cols],
        }
    }

    #[inline]
    pub fn at(&self, i: usize, j: usize) -> f64 {
        self.data[i * self.cols + j]
    }
}

/// `np.sum` of a contiguous float64 array: numpy's pairwise summation (`numpy_sum.rs`) from
/// `0.0`, bit for bit.
pub fn numpy_sum(a: &[f64]) -> f64 {
    pairwise_sum(a, 0.0)
}

/// Python's builtin `sum` of float64 values (left to right from 0).
pub fn python_sum(a: impl IntoIterator<Item = f64>) -> f64 {
    a.into_iter().fold(0.0, |acc, x| acc + x)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphas_match_numpy_arange() {
        let a = alphas();
        assert_eq!(a[0], 0.05);
        assert_eq!(a[1], 0.1);
        assert_eq!(a[18].to_bits(), 0.9500000000000001_f64.to_bits());
    }

    #[test]
    fn numpy_sum_is_pairwise() {
        let v: Vec<f64> = (0..300).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        // pairwise split at 144 (150 rounded down to a multiple of 8)
        let expect = numpy_sum(&v[..144]) + numpy_sum(&v[144..]);
        assert_eq!(numpy_sum(&v), expect);
        assert_eq!(numpy_sum(&[1.0, 2.0, 3.0]), 6.0);
        assert_eq!(numpy_sum(&[]), 0.0);
    }
}
