//! Constant-velocity Kalman filters of the trackers, in float64 like Ultralytics' numpy code.
//!
//! Two state layouts: `Xyah` (ByteTrack: centre x, y, aspect w/h, height, and their velocities)
//! and `Xywh` (BoT-SORT: centre x, y, width, height, and velocities). dt = 1, process noise
//! proportional to the height (Xyah) or to width/height (Xywh) with weights 1/20 (position) and
//! 1/160 (velocity); measurement noise with the position weight (aspect: 1e-1). The prediction
//! follows `multi_predict` (the vectorised form the trackers call); the correction follows
//! `update` (solve with the innovation covariance, LU with partial pivoting).

#![allow(clippy::needless_range_loop)] // index loops mirror the matrix formulas

use crate::iou::{xyxy_center, Xyxy};

/// Kalman state mean `(x, y, a|w, h, vx, vy, va|vw, vh)`.
pub type Mean = [f64; 8];
/// Kalman state covariance.
pub type Cov = [[f64; 8]; 8];
/// A measurement `(x, y, a|w, h)`.
pub type Measurement = [f64; 4];

/// `_std_weight_position`.
pub const STD_WEIGHT_POSITION: f64 = 1.0 / 20.0;
/// `_std_weight_velocity`.
pub const STD_WEIGHT_VELOCITY: f64 = 1.0 / 160.0;

/// Which filter: `KalmanFilterXYAH` or `KalmanFilterXYWH`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KalmanKind {
    Xyah,
    Xywh,
}

#[inline]
fn sq(x: f64) -> f64 {
    x * x
}

impl KalmanKind {
    /// `initiate`: mean = (measurement, 0), diagonal covariance.
    pub fn initiate(self, m: Measurement) -> (Mean, Cov) {
        let wp = STD_WEIGHT_POSITION;
        let wv = STD_WEIGHT_VELOCITY;
        let std: [f64; 8] = match self {
            KalmanKind::Xyah => {
                let h = m[3];
                [
                    2.0 * wp * h,
                    2.0 * wp * h,
                    1e-2,
                    2.0 * wp * h,
                    10.0 * wv * h,
                    10.0 * wv * h,
                    1e-5,
                    10.0 * wv * h,
                ]
            }
            KalmanKind::Xywh => {
                let (w, h) = (m[2], m[3]);
                [
                    2.0 * wp * w,
                    2.0 * wp * h,
                    2.0 * wp * w,
                    2.0 * wp * h,
                    10.0 * wv * w,
                    10.0 * wv * h,
                    10.0 * wv * w,
                    10.0 * wv * h,
                ]
            }
        };
        let mut mean = [0.0; 8];
        mean[..4].copy_from_slice(&m);
        let mut cov = [[0.0; 8]; 8];
        for i in 0..8 {
            cov[i][i] = sq(std[i]);
        }
        (mean, cov)
    }

    /// Process-noise standard deviations for a state mean (`predict` / `multi_predict`).
    fn motion_std(self, mean: &Mean) -> [f64; 8] {
        let wp = STD_WEIGHT_POSITION;
        let wv = STD_WEIGHT_VELOCITY;
        match self {
            KalmanKind::Xyah => {
                let h = mean[3];
                [wp * h, wp * h, 1e-2, wp * h, wv * h, wv * h, 1e-5, wv * h]
            }
            KalmanKind::Xywh => {
                let (w, h) = (mean[2], mean[3]);
                [
                    wp * w,
                    wp * h,
                    wp * w,
                    wp * h,
                    wv * w,
                    wv * h,
                    wv * w,
                    wv * h,
                ]
            }
        }
    }

    /// Measurement-noise standard deviations (`project`).
    fn measurement_std(self, mean: &Mean) -> [f64; 4] {
        let wp = STD_WEIGHT_POSITION;
        match self {
            KalmanKind::Xyah => {
                let h = mean[3];
                [wp * h, wp * h, 1e-1, wp * h]
            }
            KalmanKind::Xywh => {
                let (w, h) = (mean[2], mean[3]);
                [wp * w, wp * h, wp * w, wp * h]
            }
        }
    }

    /// Prediction step in place: `mean = F mean`, `cov = F cov F^T + Q` with `Q` from the
    /// pre-prediction mean.
    pub fn predict(self, mean: &mut Mean, cov: &mut Cov) {
        let std = self.motion_std(mean);
        for i in 0..4 {
            mean[i] += mean[i + 4];
        }
        // left = F @ cov: rows i < 4 gain row i + 4.
        for i in 0..4 {
            for j in 0..8 {
                cov[i][j] += cov[i + 4][j];
            }
        }
        // left @ F^T: columns j < 4 gain column j + 4.
        for row in cov.iter_mut() {
            for j in 0..4 {
                row[j] += row[j + 4];
            }
        }
        for i in 0..8 {
            cov[i][i] += sq(std[i]);
        }
    }

    /// `KalmanFilterXYAH.predict` of one state (OC-SORT's observation-centric re-update calls it):
    /// `multi_dot((F, P, F^T))` evaluates `F @ (P @ F^T)`, so columns are folded before rows (the
    /// reverse of [`KalmanKind::predict`], which follows `multi_predict`); the sums round
    /// differently when `P` is not exactly symmetric.
    pub fn predict_single(self, mean: &mut Mean, cov: &mut Cov) {
        let std = self.motion_std(mean);
        for i in 0..4 {
            mean[i] += mean[i + 4];
        }
        for row in cov.iter_mut() {
            for j in 0..4 {
                row[j] += row[j + 4];
            }
        }
        for i in 0..4 {
            for j in 0..8 {
                cov[i][j] += cov[i + 4][j];
            }
        }
        for i in 0..8 {
            cov[i][i] += sq(std[i]);
        }
    }

    /// `project`: the measurement-space mean and innovation covariance.
    pub fn project(self, mean: &Mean, cov: &Cov) -> (Measurement, [[f64; 4]; 4]) {
        self.project_nsa(mean, cov, None)
    }

    /// `project(..., confidence)`: with a detection confidence the measurement noise is scaled by
    /// `max(1 - confidence, 0.05)` (NSA-Kalman, TrackTrack).
    pub fn project_nsa(
        self,
        mean: &Mean,
        cov: &Cov,
        confidence: Option<f64>,
    ) -> (Measurement, [[f64; 4]; 4]) {
        let std = self.measurement_std(mean);
        let scale = confidence.map(|c| (1.0 - c).max(0.05));
        let mut s = [[0.0; 4]; 4];
        for i in 0..4 {
            s[i].copy_from_slice(&cov[i][..4]);
            s[i][i] += match scale {
                Some(f) => sq(std[i]) * f,
                None => sq(std[i]),
            };
        }
        ([mean[0], mean[1], mean[2], mean[3]], s)
    }

    /// Correction step in place. Returns false (and leaves the state unchanged) when the
    /// innovation covariance is singular or the result is not finite.
    pub fn update(self, mean: &mut Mean, cov: &mut Cov, measurement: Measurement) -> bool {
        self.update_nsa(mean, cov, measurement, None)
    }

    /// `update(..., confidence)`: the correction with NSA-Kalman's confidence-scaled measurement
    /// noise (see [`KalmanKind::project_nsa`]); `None` is the plain [`KalmanKind::update`].
    pub fn update_nsa(
        self,
        mean: &mut Mean,
        cov: &mut Cov,
        measurement: Measurement,
        confidence: Option<f64>,
    ) -> bool {
        let (pm, s) = self.project_nsa(mean, cov, confidence);
        // B = cov[:, :4].T  (4 x 8); solve S X = B, kalman_gain = X^T (8 x 4).
        let mut b = [[0.0; 8]; 4];
        for r in 0..4 {
            for c in 0..8 {
                b[r][c] = cov[c][r];
            }
        }
        let Some(x) = solve4(s, b) else {
            return false;
        };
        let mut k = [[0.0; 4]; 8];
        for i in 0..8 {
            for j in 0..4 {
                k[i][j] = x[j][i];
            }
        }
        let innovation = [
            measurement[0] - pm[0],
            measurement[1] - pm[1],
            measurement[2] - pm[2],
            measurement[3] - pm[3],
        ];
        let mut new_mean = *mean;
        for i in 0..8 {
            let mut acc = 0.0;
            for j in 0..4 {
                acc += innovation[j] * k[i][j];
            }
            new_mean[i] += acc;
        }
        // multi_dot((K, S, K^T)) evaluates K @ (S @ K^T).
        let mut skt = [[0.0; 8]; 4];
        for r in 0..4 {
            for c in 0..8 {
                let mut acc = 0.0;
                for j in 0..4 {
                    acc += s[r][j] * k[c][j];
                }
                skt[r][c] = acc;
            }
        }
        let mut new_cov = *cov;
        for r in 0..8 {
            for c in 0..8 {
                let mut acc = 0.0;
                for j in 0..4 {
                    acc += k[r][j] * skt[j][c];
                }
                new_cov[r][c] -= acc;
            }
        }
        if new_mean
            .iter()
            .chain(new_cov.iter().flatten())
            .any(|v| !v.is_finite())
        {
            return false;
        }
        *mean = new_mean;
        *cov = new_cov;
        true
    }
}

/// Solve `a x = b` for a 4x4 `a` and 8 right-hand sides by LU with partial pivoting (LAPACK
/// `dgesv` style: first maximal pivot, scale by the pivot's reciprocal). `None` if singular.
fn solve4(mut a: [[f64; 4]; 4], mut b: [[f64; 8]; 4]) -> Option<[[f64; 8]; 4]> {
    for k in 0..4 {
        let mut p = k;
        let mut best = a[k][k].abs();
        for (i, row) in a.iter().enumerate().skip(k + 1) {
            if row[k].abs() > best {
                best = row[k].abs();
                p = i;
            }
        }
        if best == 0.0 || !best.is_finite() {
            return None;
        }
        if p != k {
            a.swap(p, k);
            b.swap(p, k);
        }
        let r = 1.0 / a[k][k];
        for i in k + 1..4 {
            a[i][k] *= r;
            let l = a[i][k];
            for j in k + 1..4 {
                a[i][j] -= l * a[k][j];
            }
        }
    }
    // Forward substitution with unit-lower L.
    for i in 1..4 {
        for j in 0..i {
            let l = a[i][j];
            for c in 0..8 {
                b[i][c] -= l * b[j][c];
            }
        }
    }
    // Back substitution with U.
    for i in (0..4).rev() {
        for c in 0..8 {
            b[i][c] /= a[i][i];
        }
        for r in 0..i {
            let u = a[r][i];
            for c in 0..8 {
                b[r][c] -= u * b[i][c];
            }
        }
    }
    Some(b)
}

/// `multi_gmc` for one XYWH track: warp the mean and covariance by a 2x3 affine `h`. Centres and
/// velocities follow the signed rotation, sizes follow `abs(R)`, the translation moves the centre.
pub fn apply_gmc(mean: &mut Mean, cov: &mut Cov, h: &[[f64; 3]; 2]) {
    let r = [[h[0][0], h[0][1]], [h[1][0], h[1][1]]];
    let ra = [
        [r[0][0].abs(), r[0][1].abs()],
        [r[1][0].abs(), r[1][1].abs()],
    ];
    // R8x8 = blockdiag(R, |R|, R, |R|).
    let mut r8 = [[0.0f64; 8]; 8];
    for blk in 0..4 {
        let m = if blk % 2 == 0 { &r } else { &ra };
        for i in 0..2 {
            for j in 0..2 {
                r8[2 * blk + i][2 * blk + j] = m[i][j];
            }
        }
    }
    let mut nm = [0.0; 8];
    for i in 0..8 {
        let b = i / 2 * 2;
        nm[i] = r8[i][b] * mean[b] + r8[i][b + 1] * mean[b + 1];
    }
    nm[0] += h[0][2];
    nm[1] += h[1][2];
    // (R8 @ cov) @ R8^T.
    let mut left = [[0.0; 8]; 8];
    for i in 0..8 {
        let b = i / 2 * 2;
        for j in 0..8 {
            left[i][j] = r8[i][b] * cov[b][j] + r8[i][b + 1] * cov[b + 1][j];
        }
    }
    let mut nc = [[0.0; 8]; 8];
    for i in 0..8 {
        for j in 0..8 {
            let b = j / 2 * 2;
            nc[i][j] = left[i][b] * r8[j][b] + left[i][b + 1] * r8[j][b + 1];
        }
    }
    *mean = nm;
    *cov = nc;
}

/// `DeepOCSortTrack.multi_gmc` for one XYAH track: rotate the centre and its velocity by `R`,
/// move the centre by `t`, keep aspect ratio and height; move the centre of the track's last
/// observation (`[x1, y1, x2, y2]`, float32; none when `x1 < 0`) the same way.
pub fn multi_gmc_xyah(
    mean: &mut Mean,
    cov: &mut Cov,
    last_observation: &mut Xyxy,
    h: &[[f64; 3]; 2],
) {
    let r = [[h[0][0], h[0][1]], [h[1][0], h[1][1]]];
    let t = [h[0][2], h[1][2]];
    let m = *mean;
    let mut nm = m;
    for i in 0..2 {
        nm[i] = r[i][0] * m[0] + r[i][1] * m[1];
        nm[i + 4] = r[i][0] * m[4] + r[i][1] * m[5];
    }
    nm[0] += t[0];
    nm[1] += t[1];
    // (R8 @ C) @ R8^T, each product a fused multiply-add chain (OpenBLAS dgemm).
    let c = *cov;
    let mut l = c;
    for b in [0usize, 4] {
        for i in 0..2 {
            for j in 0..8 {
                l[b + i][j] = r[i][1].mul_add(c[b + 1][j], r[i][0] * c[b][j]);
            }
        }
    }
    let mut o = l;
    for row in &mut o {
        let lr = *row;
        for b in [0usize, 4] {
            for j in 0..2 {
                row[b + j] = lr[b + 1].mul_add(r[j][1], lr[b] * r[j][0]);
            }
        }
    }
    *mean = nm;
    *cov = o;
    let obs = *last_observation;
    if obs[0] >= 0.0 {
        let c = xyxy_center(&obs);
        let (w, hh) = (obs[2] - obs[0], obs[3] - obs[1]);
        let (cx, cy) = (f64::from(c[0]), f64::from(c[1]));
        let nc = [
            r[0][0].mul_add(cx, r[0][1] * cy) + t[0],
            r[1][0].mul_add(cx, r[1][1] * cy) + t[1],
        ];
        let (hw, hh) = (f64::from(w / 2.0), f64::from(hh / 2.0));
        *last_observation = [
            (nc[0] - hw) as f32,
            (nc[1] - hh) as f32,
            (nc[0] + hw) as f32,
            (nc[1] + hh) as f32,
        ];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_spd(c: &Cov) -> bool {
        for i in 0..8 {
            for j in 0..8 {
                let tol = 1e-9 * (c[i][j].abs() + c[j][i].abs()).max(1e-12);
                if (c[i][j] - c[j][i]).abs() > tol {
                    return false;
                }
            }
        }
        // Cholesky.
        let mut l = [[0.0f64; 8]; 8];
        for i in 0..8 {
            for j in 0..=i {
                let mut s = c[i][j];
                for k in 0..j {
                    s -= l[i][k] * l[j][k];
                }
                if i == j {
                    if s <= 0.0 {
                        return false;
                    }
                    l[i][i] = s.sqrt();
                } else {
                    l[i][j] = s / l[j][j];
                }
            }
        }
        true
    }

    #[test]
    fn initiate_values() {
        let (m, c) = KalmanKind::Xyah.initiate([100.0, 200.0, 0.5, 80.0]);
        assert_eq!(m, [100.0, 200.0, 0.5, 80.0, 0.0, 0.0, 0.0, 0.0]);
        assert_eq!(c[0][0], sq(2.0 * STD_WEIGHT_POSITION * 80.0));
        assert_eq!(c[2][2], sq(1e-2));
        assert_eq!(c[6][6], sq(1e-5));
        let (_, c) = KalmanKind::Xywh.initiate([100.0, 200.0, 40.0, 80.0]);
        assert_eq!(c[0][0], sq(2.0 * STD_WEIGHT_POSITION * 40.0));
        assert_eq!(c[5][5], sq(10.0 * STD_WEIGHT_VELOCITY * 80.0));
    }

    #[test]
    fn predict_moves_by_velocity() {
        let (mut m, mut c) = KalmanKind::Xywh.initiate([10.0, 20.0, 4.0, 8.0]);
        m[4] = 1.0;
        m[7] = -0.5;
        KalmanKind::Xywh.predict(&mut m, &mut c);
        assert_eq!(&m[..4], &[11.0, 20.0, 4.0, 7.5]);
        assert!(is_spd(&c));
    }

    #[test]
    fn update_pulls_towards_measurement_and_stays_spd() {
        for kind in [KalmanKind::Xyah, KalmanKind::Xywh] {
            let z0 = if kind == KalmanKind::Xyah {
                [50.0, 50.0, 0.5, 40.0]
            } else {
                [50.0, 50.0, 20.0, 40.0]
            };
            let (mut m, mut c) = kind.initiate(z0);
            for step in 0..200 {
                kind.predict(&mut m, &mut c);
                let t = step as f64;
                let mut z = z0;
                z[0] += 2.0 * t;
                z[1] += (t * 0.3).sin() * 5.0;
                assert!(kind.update(&mut m, &mut c, z));
                assert!(is_spd(&c), "{kind:?} step {step}");
            }
            assert!((m[4] - 2.0).abs() < 0.2, "{kind:?} vx {}", m[4]);
        }
    }

    #[test]
    fn solve_matches_known_system() {
        let a = [
            [4.0, 1.0, 0.0, 0.0],
            [1.0, 3.0, 0.0, 0.0],
            [0.0, 0.0, 2.0, 0.0],
            [0.0, 0.0, 0.0, 1.0],
        ];
        let mut b = [[0.0; 8]; 4];
        b[0][0] = 1.0;
        b[1][0] = 2.0;
        b[2][0] = 4.0;
        b[3][0] = 5.0;
        let x = solve4(a, b).unwrap();
        assert!((4.0 * x[0][0] + x[1][0] - 1.0).abs() < 1e-12);
        assert!((x[0][0] + 3.0 * x[1][0] - 2.0).abs() < 1e-12);
        assert_eq!(x[2][0], 2.0);
        assert_eq!(x[3][0], 5.0);
        assert!(solve4([[0.0; 4]; 4], b).is_none());
    }

    #[test]
    fn gmc_identity_and_translation() {
        let (mut m, mut c) = KalmanKind::Xywh.initiate([10.0, 20.0, 4.0, 8.0]);
        let (m0, c0) = (m, c);
        apply_gmc(&mut m, &mut c, &[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]);
        assert_eq!((m, c), (m0, c0));
        apply_gmc(&mut m, &mut c, &[[1.0, 0.0, 3.0], [0.0, 1.0, -2.0]]);
        assert_eq!(&m[..4], &[13.0, 18.0, 4.0, 8.0]);
        // 90 degree rotation: sizes take abs.
        apply_gmc(&mut m, &mut c, &[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]);
        assert_eq!(&m[..4], &[-18.0, 13.0, 8.0, 4.0]);
        assert!(is_spd(&c));
    }
}
