//! FastTrack's occlusion pieces: a track's bookkeeping, coverage of unmatched tracks, the Kalman
//! roll-back at occlusion onset, and the boxes that suppress new tracks.

use std::collections::VecDeque;

use super::config::FastConfig;
use crate::iou::{iou, Xyxy, IOU_EPS};
use crate::kalman::{Cov, Mean};
use crate::track::Track;

/// The occlusion bookkeeping of one track (`FastSTrack`'s attributes beyond `STrack`'s).
#[derive(Debug, Clone)]
pub struct Occlusion {
    /// `mean_history`: `(mean, covariance)` after each activation / update, newest last.
    pub history: VecDeque<(Mean, Cov)>,
    pub not_matched: u64,
    pub is_occluded: bool,
    pub occluded_len: u64,
    /// -1 when never occluded.
    pub last_occluded_frame: i64,
    pub was_recently_occluded: bool,
}

impl Default for Occlusion {
    fn default() -> Self {
        Occlusion {
            history: VecDeque::new(),
            not_matched: 0,
            is_occluded: false,
            occluded_len: 0,
            last_occluded_frame: -1,
            was_recently_occluded: false,
        }
    }
}

impl Occlusion {
    /// `_push_history`, with the deque's `maxlen`.
    pub(super) fn push(&mut self, t: &Track, cap: usize) {
        self.history.push_back((t.mean, t.cov));
        while self.history.len() > cap {
            self.history.pop_front();
        }
    }
}

/// `bbox_ioa(box1, box2)` of one pair (intersection over the area of `b`, float32, numpy's
/// operation order).
#[inline]
pub fn ioa(a: &Xyxy, b: &Xyxy) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = (b[2] - b[0]) * (b[3] - b[1]);
    inter / (area + IOU_EPS)
}

/// `bbox_ioa(box1, box2, iou=True)` of one pair in float64 (`eps` 1e-7 as a double).
#[inline]
pub fn iou64(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area_b = (b[2] - b[0]) * (b[3] - b[1]);
    let area_a = (a[2] - a[0]) * (a[3] - a[1]);
    inter / (area_b + area_a - inter + 1e-7)
}

/// numpy's `max` of a sequence: NaN if any element is NaN; `None` when empty.
fn nan_max<T: PartialOrd + Copy>(v: impl IntoIterator<Item = T>) -> Option<T> {
    let mut best: Option<T> = None;
    for x in v {
        let is_nan = x.partial_cmp(&x).is_none();
        best = Some(match best {
            None => x,
            Some(_) if is_nan => return Some(x),
            Some(b) => {
                if x > b {
                    x
                } else {
                    b
                }
            }
        });
    }
    best
}

/// Per unmatched track, the largest fraction of its box covered by an active track (`cov.max(axis=0)`
/// after zeroing pairs with the same ID); zeros when there are no active tracks.
pub fn max_cover(active: &[(Xyxy, u64)], unmatched: &[(Xyxy, u64)]) -> Vec<f32> {
    unmatched
        .iter()
        .map(|(ub, uid)| {
            nan_max(
                active
                    .iter()
                    .map(|(ab, aid)| if aid == uid { 0.0 } else { ioa(ab, ub) }),
            )
            .unwrap_or(0.0)
        })
        .collect()
}

/// Index of `hist[-k]` in a history of `len` entries (`hist[-0]` is the oldest entry).
fn back(len: usize, k: usize) -> usize {
    if k == 0 {
        0
    } else {
        len - k
    }
}

/// The Kalman state change at occlusion onset: velocity from `hist[-reset_velocity_offset_occ]`
/// and position + covariance from `hist[-reset_pos_offset_occ]` (each when the history has that
/// many entries), then height times `enlarge_bbox_occ` and velocity times `dampen_motion_occ`.
/// Nothing changes with an empty history.
pub fn roll_back(mean: &mut Mean, cov: &mut Cov, hist: &VecDeque<(Mean, Cov)>, cfg: &FastConfig) {
    if hist.is_empty() {
        return;
    }
    let n = hist.len();
    if n >= cfg.reset_velocity_offset_occ {
        let prev = &hist[back(n, cfg.reset_velocity_offset_occ)].0;
        mean[4..8].copy_from_slice(&prev[4..8]);
    }
    if n >= cfg.reset_pos_offset_occ {
        let (prev, prev_cov) = &hist[back(n, cfg.reset_pos_offset_occ)];
        mean[0..4].copy_from_slice(&prev[0..4]);
        *cov = *prev_cov;
    }
    mean[3] *= cfg.enlarge_bbox_occ;
    for v in &mut mean[4..8] {
        *v *= cfg.dampen_motion_occ;
    }
}

/// The boxes a new detection is checked against (`active_stack`): float32 until the first new
/// track of the frame, float64 from then on.
#[derive(Debug, Clone)]
pub enum ActiveStack {
    F32(Vec<Xyxy>),
    F64(Vec<[f64; 4]>),
}

impl ActiveStack {
    /// Whether `det`'s IoU with some box reaches `thresh` (`ioa(..., iou=True).max() >= thresh`,
    /// in the stack's precision; never with an empty stack or a NaN IoU).
    pub fn suppresses(&self, det: &Xyxy, thresh: f64) -> bool {
        match self {
            ActiveStack::F32(v) => {
                nan_max(v.iter().map(|b| iou(det, b))).is_some_and(|m| m >= thresh as f32)
            }
            ActiveStack::F64(v) => {
                let d = det.map(f64::from);
                nan_max(v.iter().map(|b| iou64(&d, b))).is_some_and(|m| m >= thresh)
            }
        }
    }

    /// Append a new track's float64 box (the stack becomes float64).
    pub fn push(&mut self, b: [f64; 4]) {
        if let ActiveStack::F32(v) = self {
            *self = ActiveStack::F64(v.iter().map(|x| x.map(f64::from)).collect());
        }
        if let ActiveStack::F64(v) = self {
            v.push(b);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::configs;
    use super::*;

    fn hist(n: usize) -> VecDeque<(Mean, Cov)> {
        (0..n)
            .map(|k| {
                let v = k as f64;
                let mut c = [[0.0; 8]; 8];
                c[0][0] = 100.0 + v;
                ([v, v + 0.5, 0.4, 50.0 + v, v, -v, 0.01, 2.0 * v], c)
            })
            .collect()
    }

    #[test]
    fn roll_back_takes_velocity_and_position_from_history() {
        let (_, f) = configs();
        let h = hist(7);
        let mut mean: Mean = [9.0, 9.0, 0.5, 80.0, 3.0, 3.0, 0.1, 1.0];
        let mut cov: Cov = [[1.0; 8]; 8];
        roll_back(&mut mean, &mut cov, &h, &f);
        // Velocity of hist[-5] (entry 2), position and covariance of hist[-3] (entry 4).
        assert_eq!(&mean[..3], &[4.0, 4.5, 0.4]);
        assert_eq!(mean[3], 54.0 * 1.1);
        assert_eq!(&mean[4..], &[1.0, -1.0, 0.005, 2.0]);
        assert_eq!(cov, h[4].1);
    }

    #[test]
    fn roll_back_with_a_short_or_empty_history() {
        let (_, f) = configs();
        let start: Mean = [9.0, 9.0, 0.5, 80.0, 3.0, 3.0, 0.1, 1.0];
        // Four entries: no velocity reset, position from hist[-3].
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &hist(4), &f);
        assert_eq!(&mean[..4], &[1.0, 1.5, 0.4, 51.0 * 1.1]);
        assert_eq!(&mean[4..], &[1.5, 1.5, 0.05, 0.5]);
        // Two entries: only the enlargement and the dampening.
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &hist(2), &f);
        assert_eq!(mean[3], 80.0 * 1.1);
        assert_eq!(cov, [[1.0; 8]; 8]);
        // Empty: nothing at all.
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &VecDeque::new(), &f);
        assert_eq!(mean, start);
        // Offset 0 is `hist[-0]`, the oldest entry.
        let f0 = FastConfig {
            reset_velocity_offset_occ: 0,
            reset_pos_offset_occ: 0,
            ..f
        };
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &hist(6), &f0);
        assert_eq!(&mean[..4], &[0.0, 0.5, 0.4, 50.0 * 1.1]);
    }

    #[test]
    fn cover_is_intersection_over_the_unmatched_area() {
        let active = [([0.0, 0.0, 10.0, 10.0], 1), ([0.0, 0.0, 100.0, 100.0], 2)];
        let unmatched = [([5.0, 0.0, 15.0, 10.0], 3), ([50.0, 50.0, 60.0, 60.0], 2)];
        let c = max_cover(&active, &unmatched);
        // Track 3: fully inside track 2's box; track 2 is not covered by itself, half by none.
        assert!((c[0] - 1.0).abs() < 1e-6, "{c:?}");
        assert_eq!(c[1], 0.0);
        assert_eq!(max_cover(&[], &unmatched), vec![0.0, 0.0]);
        assert!((ioa(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 15.0, 10.0]) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn active_stack_turns_float64_with_the_first_new_track() {
        let mut s = ActiveStack::F32(vec![]);
        assert!(!s.suppresses(&[0.0, 0.0, 10.0, 10.0], 0.7));
        s.push([0.0, 0.0, 10.0, 10.0]);
        assert!(matches!(s, ActiveStack::F64(_)));
        assert!(s.suppresses(&[0.0, 0.0, 10.0, 11.0], 0.7));
        assert!(!s.suppresses(&[0.0, 0.0, 10.0, 20.0], 0.7));
        let s = ActiveStack::F32(vec![[0.0, 0.0, 10.0, 10.0]]);
        assert!(s.suppresses(&[0.0, 0.0, 10.0, 10.0], 1.0 - 1e-9));
    }
}
