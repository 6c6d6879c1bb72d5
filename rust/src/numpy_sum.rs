//! numpy's pairwise summation (`np.add.reduce` over a contiguous axis), bit for bit, for float32
//! and float64: blocks of up to 128 values summed with eight accumulators, longer arrays split in
//! two halves (the first a multiple of 8 long), arrays shorter than 8 summed left to right from a
//! starting value.
//!
//! The starting value is the caller's: it decides only the sign of a zero sum. `-0.0` keeps a
//! sum of negative zeros (and of nothing) at `-0.0`, as numpy's float32 reduction in `reid.rs`;
//! `0.0` turns it into `+0.0`, as `trackeval`'s float64 sums. Every other result is the same.

use std::ops::Add;

/// The pairwise sum of `a`; `start` is the first addend of a block shorter than 8.
pub fn pairwise_sum<T: Copy + Add<Output = T>>(a: &[T], start: T) -> T {
    let n = a.len();
    if n < 8 {
        let mut res = start;
        for &x in a {
            res = res + x;
        }
        res
    } else if n <= 128 {
        let mut r = [a[0]; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - (n % 8) {
            for (j, rj) in r.iter_mut().enumerate() {
                *rj = *rj + a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res = res + a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2], start) + pairwise_sum(&a[n2..], start)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_starting_value_decides_only_the_sign_of_a_zero_sum() {
        // float32 from -0.0 (reid): negative zeros and nothing stay -0.0.
        assert_eq!(
            pairwise_sum(&[-0.0f32, -0.0], -0.0).to_bits(),
            (-0.0f32).to_bits()
        );
        assert_eq!(
            pairwise_sum::<f32>(&[], -0.0).to_bits(),
            (-0.0f32).to_bits()
        );
        // float64 from 0.0 (trackeval): the same sums are +0.0.
        assert_eq!(
            pairwise_sum(&[-0.0f64, -0.0], 0.0).to_bits(),
            0.0f64.to_bits()
        );
        assert_eq!(pairwise_sum::<f64>(&[], 0.0).to_bits(), 0.0f64.to_bits());
        // Any other sum: the same bits from either start.
        let v: Vec<f32> = (0..7).map(|i| (i as f32 * 0.37).sin() - 0.5).collect();
        assert_eq!(
            pairwise_sum(&v, -0.0f32).to_bits(),
            pairwise_sum(&v, 0.0f32).to_bits()
        );
        let w: Vec<f64> = (0..7).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        assert_eq!(
            pairwise_sum(&w, -0.0).to_bits(),
            pairwise_sum(&w, 0.0).to_bits()
        );
    }

    #[test]
    fn blocks_of_eight_accumulators_then_halves() {
        // 20 values: 16 in the lanes, the last 4 added in turn.
        let w: Vec<f64> = (0..20).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let mut r = [0.0f64; 8];
        for (i, x) in w[..16].iter().enumerate() {
            r[i % 8] += x;
        }
        let mut seq = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for x in &w[16..] {
            seq += x;
        }
        assert_eq!(pairwise_sum(&w, 0.0).to_bits(), seq.to_bits());
        // Not the left-to-right order: float32 over 100 values differs from it in the last bits.
        let f: Vec<f32> = (0..100).map(|i| 1.0 / (i as f32 + 1.0)).collect();
        let naive = f.iter().fold(-0.0f32, |acc, &x| acc + x);
        assert_ne!(pairwise_sum(&f, -0.0).to_bits(), naive.to_bits());
        // Over 128: split at 144 (150 rounded down to a multiple of 8).
        let long: Vec<f64> = (0..300).map(|i| 1.0 / (i as f64 + 1.0)).collect();
        let halves = pairwise_sum(&long[..144], 0.0) + pairwise_sum(&long[144..], 0.0);
        assert_eq!(pairwise_sum(&long, 0.0).to_bits(), halves.to_bits());
    }
}
