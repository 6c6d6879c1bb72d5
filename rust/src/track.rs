//! One tracklet (`STrack` / `BOTrack`) and one detection as the trackers see them.
//!
//! Number formats follow Ultralytics exactly: a detection's `_tlwh` is float32 (computed in
//! float64 from the float32 `xywh`, then rounded), its Kalman measurement is computed in float32
//! from `_tlwh`, the Kalman state is float64, and boxes handed to the IoU are float32.

use crate::iou::{iou, Xyxy};
use crate::kalman::{Cov, KalmanKind, Mean, Measurement};

/// `merge_track_pools`' `removed_buffer`: how many removed track IDs a tracker remembers.
pub const REMOVED_BUFFER: usize = 1000;

/// `remove_duplicate_stracks`' `dup_thresh` (IoU distance, float32).
pub const DUP_THRESH: f32 = 0.15;

/// `remove_duplicate_stracks(a, b)`: for every pair closer than [`DUP_THRESH`] in IoU distance
/// (`1 - IoU`, float32), the track with the shorter life (`frame_id - start_frame`; `a`'s on a tie)
/// is dropped. Returns `(drop_a, drop_b)`.
pub fn duplicate_drops(
    a: &[Xyxy],
    age_a: &[i64],
    b: &[Xyxy],
    age_b: &[i64],
) -> (Vec<bool>, Vec<bool>) {
    let mut drop_a = vec![false; a.len()];
    let mut drop_b = vec![false; b.len()];
    for (p, ra) in a.iter().enumerate() {
        for (q, rb) in b.iter().enumerate() {
            if 1.0f32 - iou(ra, rb) < DUP_THRESH {
                if age_a[p] > age_b[q] {
                    drop_b[q] = true;
                } else {
                    drop_a[p] = true;
                }
            }
        }
    }
    (drop_a, drop_b)
}

/// Keep the items of `v` whose `drop` flag is false.
pub fn retain_kept<T>(v: &mut Vec<T>, drop: &[bool]) {
    let mut k = 0;
    v.retain(|_| {
        k += 1;
        !drop[k - 1]
    });
}

/// `TrackState`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackState {
    New = 0,
    Tracked = 1,
    Lost = 2,
    Removed = 3,
}

/// A detection of the current frame, as `STrack(xywh, score, cls)` holds it before activation.
#[derive(Debug, Clone, Copy)]
pub struct Det {
    /// `_tlwh` (float32).
    pub tlwh: [f32; 4],
    pub score: f32,
    pub cls: f32,
    /// Row of the frame's full detection list.
    pub idx: usize,
}

impl Det {
    /// From one `[x1, y1, x2, y2, conf, cls]` row (float32), like `Boxes.xywh` ->
    /// `parse_bboxes` (float64) -> `xywh2ltwh` -> float32.
    pub fn from_row(row: &[f32; 6], idx: usize) -> Det {
        let (cx, cy, w, h) = xyxy_to_xywh(row);
        let tlx = (cx as f64 - w as f64 / 2.0) as f32;
        let tly = (cy as f64 - h as f64 / 2.0) as f32;
        Det {
            tlwh: [tlx, tly, w, h],
            score: row[4],
            cls: row[5],
            idx,
        }
    }

    /// `xyxy` of a track without a Kalman state (float32: `tlwh[2:] += tlwh[:2]`).
    pub fn xyxy(&self) -> Xyxy {
        let t = self.tlwh;
        [t[0], t[1], t[2] + t[0], t[3] + t[1]]
    }

    /// `convert_coords(tlwh)` in float32, then float64 for the filter.
    pub fn measurement(&self, kind: KalmanKind) -> Measurement {
        let t = self.tlwh;
        let x = t[0] + t[2] / 2.0;
        let y = t[1] + t[3] / 2.0;
        match kind {
            KalmanKind::Xyah => [x as f64, y as f64, (t[2] / t[3]) as f64, t[3] as f64],
            KalmanKind::Xywh => [x as f64, y as f64, t[2] as f64, t[3] as f64],
        }
    }
}

/// `Boxes.xywh` of one float32 row: `((x1+x2)/2, (y1+y2)/2, x2-x1, y2-y1)` in float32.
#[inline]
pub fn xyxy_to_xywh(row: &[f32; 6]) -> (f32, f32, f32, f32) {
    (
        (row[0] + row[2]) / 2.0,
        (row[1] + row[3]) / 2.0,
        row[2] - row[0],
        row[3] - row[1],
    )
}

/// A tracklet with a Kalman state.
#[derive(Debug, Clone)]
pub struct Track {
    pub track_id: u64,
    pub state: TrackState,
    pub is_activated: bool,
    pub score: f32,
    pub cls: f32,
    pub idx: usize,
    pub frame_id: u64,
    pub start_frame: u64,
    pub tracklet_len: u64,
    pub mean: Mean,
    pub cov: Cov,
}

impl Track {
    /// `activate`: a new track from a detection, with a fresh ID.
    pub fn activate(det: &Det, kind: KalmanKind, track_id: u64, frame_id: u64) -> Track {
        let (mean, cov) = kind.initiate(det.measurement(kind));
        Track {
            track_id,
            state: TrackState::Tracked,
            is_activated: frame_id == 1,
            score: det.score,
            cls: det.cls,
            idx: det.idx,
            frame_id,
            start_frame: frame_id,
            tracklet_len: 0,
            mean,
            cov,
        }
    }

    /// `update`: correct with a matched detection (track was Tracked or unconfirmed).
    pub fn update(&mut self, det: &Det, kind: KalmanKind, frame_id: u64) {
        self.frame_id = frame_id;
        self.tracklet_len += 1;
        kind.update(&mut self.mean, &mut self.cov, det.measurement(kind));
        self.state = TrackState::Tracked;
        self.is_activated = true;
        self.score = det.score;
        self.cls = det.cls;
        self.idx = det.idx;
    }

    /// `re_activate(new_id=False)`: a lost track found again.
    pub fn re_activate(&mut self, det: &Det, kind: KalmanKind, frame_id: u64) {
        kind.update(&mut self.mean, &mut self.cov, det.measurement(kind));
        self.tracklet_len = 0;
        self.state = TrackState::Tracked;
        self.is_activated = true;
        self.frame_id = frame_id;
        self.score = det.score;
        self.cls = det.cls;
        self.idx = det.idx;
    }

    /// `tlwh` from the Kalman state (float64).
    pub fn tlwh(&self, kind: KalmanKind) -> [f64; 4] {
        let m = &self.mean;
        let w = match kind {
            KalmanKind::Xyah => m[2] * m[3],
            KalmanKind::Xywh => m[2],
        };
        let h = m[3];
        [m[0] - w / 2.0, m[1] - h / 2.0, w, h]
    }

    /// `xyxy` from the Kalman state (float64).
    pub fn xyxy64(&self, kind: KalmanKind) -> [f64; 4] {
        let t = self.tlwh(kind);
        [t[0], t[1], t[2] + t[0], t[3] + t[1]]
    }

    /// `xyxy` as the IoU sees it (float32).
    pub fn xyxy(&self, kind: KalmanKind) -> Xyxy {
        let b = self.xyxy64(kind);
        [b[0] as f32, b[1] as f32, b[2] as f32, b[3] as f32]
    }

    /// `result`: `[x1, y1, x2, y2, id, score, cls, idx]` as float32.
    pub fn result(&self, kind: KalmanKind) -> [f32; 8] {
        let b = self.xyxy64(kind);
        [
            b[0] as f32,
            b[1] as f32,
            b[2] as f32,
            b[3] as f32,
            self.track_id as f32,
            self.score,
            self.cls,
            self.idx as f32,
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn det_conversion_is_float32_like_ultralytics() {
        let d = Det::from_row(&[10.5, 20.25, 30.0, 60.0, 0.9, 2.0], 3);
        assert_eq!(d.tlwh, [10.5, 20.25, 19.5, 39.75]);
        assert_eq!(d.xyxy(), [10.5, 20.25, 30.0, 60.0]);
        let m = d.measurement(KalmanKind::Xyah);
        assert_eq!(m[0], 20.25);
        assert_eq!(m[2], (19.5f32 / 39.75f32) as f64);
        assert_eq!(d.idx, 3);
    }

    #[test]
    fn activate_and_result_round_trip() {
        for kind in [KalmanKind::Xyah, KalmanKind::Xywh] {
            let d = Det::from_row(&[100.0, 50.0, 140.0, 130.0, 0.8, 0.0], 0);
            let t = Track::activate(&d, kind, 7, 1);
            assert!(t.is_activated);
            let r = t.result(kind);
            for (a, b) in r[..4].iter().zip([100.0, 50.0, 140.0, 130.0]) {
                assert!((a - b).abs() < 1e-3, "{kind:?} {r:?}");
            }
            assert_eq!(r[4], 7.0);
            assert!(!Track::activate(&d, kind, 8, 2).is_activated);
        }
    }
}
