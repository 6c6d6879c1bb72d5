//! OC-SORT's observation-centric motion: the velocity direction of a track's observations, the
//! OCM angle cost, the ORU replay of the Kalman filter.

use crate::iou::{xyxy_center, Xyxy};
use crate::kalman::{Cov, KalmanKind, Mean};

/// OC-SORT's Kalman filter (`KalmanFilterXYAH`).
pub(super) const KIND: KalmanKind = KalmanKind::Xyah;

/// `np.linalg.norm` of a float32 2-vector (float32, products rounded before the sum).
#[inline]
fn norm2(v: [f32; 2]) -> f32 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
}

/// `OCSortTrack._compute_velocity` over `(frame, xyxy)` observations in ascending frames: the
/// unit direction (float32) from the centre of the newest observation at least `delta_t` frames
/// before the last one (else the earliest) to the last one's; zeros for no motion, None with fewer
/// than two observations.
pub fn velocity_direction(observations: &[(u64, Xyxy)], delta_t: u64) -> Option<[f32; 2]> {
    if observations.len() < 2 {
        return None;
    }
    let &(current_frame, current_obs) = observations.last()?;
    let cur = xyxy_center(&current_obs);
    let limit = current_frame as i128 - delta_t as i128 + 1;
    let prev = observations
        .iter()
        .rev()
        .find(|e| (e.0 as i128) < limit)
        .map(|e| e.1);
    let prev = match prev {
        Some(p) => p,
        None => {
            let &(earliest, obs) = observations.first()?;
            if earliest == current_frame {
                return None;
            }
            obs
        }
    };
    let pc = xyxy_center(&prev);
    let d = [cur[0] - pc[0], cur[1] - pc[1]];
    let n = norm2(d);
    if n < 1e-6f32 {
        return Some([0.0, 0.0]);
    }
    Some([d[0] / n, d[1] / n])
}

/// The replay of `apply_oru` from the Kalman state of the last observation `last_obs`, `gap`
/// frames before `new_obs`: for `t` in `1..gap`, predict and update with the float32 box
/// `(1 - t/gap) * last_obs + t/gap * new_obs` (as xyah), then predict once more. The predictions
/// are the single-track `KalmanFilterXYAH.predict`.
pub fn oru_replay(mean: &mut Mean, cov: &mut Cov, last_obs: &Xyxy, new_obs: &Xyxy, gap: u64) {
    for t in 1..gap {
        let alpha = t as f64 / gap as f64;
        let (wa, wb) = ((1.0 - alpha) as f32, alpha as f32);
        let v: [f32; 4] = std::array::from_fn(|k| wa * last_obs[k] + wb * new_obs[k]);
        // xyxy2ltwh, then tlwh_to_xyah (float32).
        let (w, h) = (v[2] - v[0], v[3] - v[1]);
        let z = [v[0] + w / 2.0, v[1] + h / 2.0, w / h, h];
        KIND.predict_single(mean, cov);
        KIND.update(mean, cov, z.map(f64::from));
    }
    KIND.predict_single(mean, cov);
}

/// `_velocity_direction_cost` for one track (last observation, velocity) against detection
/// centres, added into `row` as `inertia * cost` (float32): the angle between the velocity and the
/// direction to each centre, over pi. A track without velocity or whose last observation starts
/// left of 0 adds nothing, so does a centre on the last observation's.
pub(super) fn add_ocm_row(
    row: &mut [f32],
    last_obs: &Xyxy,
    velocity: Option<[f32; 2]>,
    det_centers: &[[f32; 2]],
    inertia: f32,
) {
    let Some(v) = velocity else {
        return;
    };
    if last_obs[0] < 0.0 {
        return;
    }
    let tc = xyxy_center(last_obs);
    for (c, dc) in row.iter_mut().zip(det_centers) {
        let d = [dc[0] - tc[0], dc[1] - tc[1]];
        let n = norm2(d);
        let cost = if n > 1e-6f32 {
            let u = [d[0] / n, d[1] / n];
            let dot = (u[0] * v[0] + u[1] * v[1]).clamp(-1.0, 1.0);
            dot.acos() / std::f32::consts::PI
        } else {
            0.0
        };
        *c += inertia * cost;
    }
}

/// The OCM cost matrix (rows: tracks as `(last observation, velocity)`, columns: detection
/// boxes), row-major float32, unweighted.
pub fn velocity_direction_cost(tracks: &[(Xyxy, Option<[f32; 2]>)], dets: &[Xyxy]) -> Vec<f32> {
    let centers: Vec<[f32; 2]> = dets.iter().map(xyxy_center).collect();
    let mut out = vec![0.0f32; tracks.len() * dets.len()];
    if dets.is_empty() {
        return out;
    }
    for (row, (obs, vel)) in out.chunks_mut(dets.len()).zip(tracks) {
        add_ocm_row(row, obs, *vel, &centers, 1.0);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn velocity_reaches_delta_t_back() {
        let b = |x: f32| [x, 0.0, x + 10.0, 10.0];
        assert_eq!(velocity_direction(&[(1, b(0.0))], 3), None);
        // Frames 1..=5 moving right; delta_t 3 from frame 5 reaches frame 2.
        let obs: Vec<(u64, Xyxy)> = (1..=5).map(|f| (f, b(f as f32 * 4.0))).collect();
        assert_eq!(velocity_direction(&obs, 3), Some([1.0, 0.0]));
        // Nothing delta_t back: the earliest observation.
        let short = [(7, b(0.0)), (8, [0.0, 3.0, 10.0, 13.0])];
        assert_eq!(velocity_direction(&short, 3), Some([0.0, 1.0]));
        // No motion.
        assert_eq!(
            velocity_direction(&[(1, b(1.0)), (9, b(1.0))], 3),
            Some([0.0, 0.0])
        );
        // The pieces the window keeps only matter through the reached frame.
        let zigzag = [(1, b(0.0)), (2, b(100.0)), (3, b(0.0)), (4, b(3.0))];
        assert_eq!(velocity_direction(&zigzag, 3), Some([1.0, 0.0]));
    }

    #[test]
    fn ocm_cost_is_the_angle_over_pi() {
        let obs = [0.0, 0.0, 10.0, 10.0];
        let dets = [
            [10.0, 0.0, 20.0, 10.0], // along the velocity
            [-10.0, 0.0, 0.0, 10.0], // against it
            [0.0, 10.0, 10.0, 20.0], // perpendicular
            [0.0, 0.0, 10.0, 10.0],  // on the last observation: no direction
        ];
        let c = velocity_direction_cost(&[(obs, Some([1.0, 0.0])), (obs, None)], &dets);
        assert_eq!(&c[..4], &[0.0, 1.0, 0.5, 0.0]);
        assert_eq!(&c[4..], &[0.0; 4]);
        // A last observation left of the image (x1 < 0) adds nothing.
        let off = [-1.0, 0.0, 10.0, 10.0];
        assert_eq!(
            velocity_direction_cost(&[(off, Some([1.0, 0.0]))], &dets),
            vec![0.0; 4]
        );
    }

    #[test]
    fn oru_replay_lands_near_the_new_observation() {
        let last = [0.0, 0.0, 20.0, 40.0];
        let new = [50.0, 0.0, 70.0, 40.0];
        let (mut m, mut c) = KIND.initiate([10.0, 20.0, 0.5, 40.0]);
        oru_replay(&mut m, &mut c, &last, &new, 5);
        // Four virtual steps of 10 px and a final predict: the centre moved about 50 px at ~10 px/frame.
        assert!((m[0] - 60.0).abs() < 8.0, "{m:?}");
        assert!(m[4] > 5.0, "{m:?}");
        let (m0, c0) = KIND.initiate([10.0, 20.0, 0.5, 40.0]);
        let (mut m1, mut c1) = (m0, c0);
        oru_replay(&mut m1, &mut c1, &last, &new, 1); // no gap: only the predict
        let (mut m2, mut c2) = (m0, c0);
        KIND.predict_single(&mut m2, &mut c2);
        assert_eq!((m1, c1), (m2, c2));
    }
}
