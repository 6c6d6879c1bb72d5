//! One `TTSTrack`: a frame's detection before activation, a track's box history, corner
//! velocities and appearance, its Kalman state (XYWH with NSA-Kalman's noise).

use std::collections::VecDeque;

use crate::iou::Xyxy;
use crate::kalman::{Cov, KalmanKind, Mean};
use crate::reid::{smooth_feature, FeatureMath};
use crate::track::{Det, TrackState};

/// `TTSTrack._delta_t`: frames back for the corner velocity and the angle cost.
pub(super) const DELTA_T: u64 = 3;
/// `TTSTrack._alpha`: the feature EMA weight at confidence 1.
pub(super) const FEAT_ALPHA: f64 = 0.95;
/// TrackTrack's Kalman filter (`KalmanFilterXYWH`).
pub(super) const KIND: KalmanKind = KalmanKind::Xywh;

/// A box of a track's history: float64 when it came from the Kalman state, float32 (stored
/// exactly in the f64) when it came from a detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistBox {
    pub b: [f64; 4],
    pub is64: bool,
}

impl HistBox {
    pub(super) fn f32(b: Xyxy) -> Self {
        HistBox {
            b: b.map(f64::from),
            is64: false,
        }
    }
    pub(super) fn f64(b: [f64; 4]) -> Self {
        HistBox { b, is64: true }
    }
}

/// A detection of the frame as TrackTrack sees it (an unactivated `TTSTrack`).
#[derive(Debug, Clone)]
pub struct TtDet {
    pub det: Det,
    /// Row of the frame's detections, or -1 for a recovered (NMS-removed) one.
    pub idx: i64,
    pub curr_feat: Option<Vec<f32>>,
    pub smooth_feat: Option<Vec<f32>>,
}

impl TtDet {
    pub(super) fn new(row: &[f32; 6], idx: i64, feat: Option<&[f32]>) -> Self {
        let mut d = TtDet {
            det: Det::from_row(row, 0),
            idx,
            curr_feat: None,
            smooth_feat: None,
        };
        if let Some(f) = feat {
            let beta = feat_beta(d.det.score);
            if let Some((c, s)) = smooth_feature(f, None, beta, FeatureMath::Float64) {
                d.curr_feat = Some(c);
                d.smooth_feat = Some(s);
            }
        }
        d
    }

    pub(super) fn xyxy(&self) -> Xyxy {
        self.det.xyxy()
    }
}

/// `_alpha + (1 - _alpha) * (1 - score)` as numpy evaluates it (float32).
pub(super) fn feat_beta(score: f32) -> f32 {
    FEAT_ALPHA as f32 + (1.0 - FEAT_ALPHA) as f32 * (1.0f32 - score)
}

/// One `TTSTrack` after activation.
#[derive(Debug, Clone)]
pub struct TtTrack {
    pub track_id: u64,
    pub state: TrackState,
    pub is_activated: bool,
    pub score: f32,
    pub prev_score: f32,
    pub cls: f32,
    pub idx: i64,
    pub frame_id: u64,
    pub start_frame: u64,
    pub tracklet_len: u64,
    pub mean: Mean,
    pub cov: Cov,
    /// Per-corner (LT, LB, RT, RB) unit velocity, float32.
    pub velocity: [[f32; 2]; 4],
    pub history: VecDeque<(u64, HistBox)>,
    pub curr_feat: Option<Vec<f32>>,
    pub smooth_feat: Option<Vec<f32>>,
}

/// Corner index pairs `(x, y)` of an xyxy box: LT, LB, RT, RB.
pub(super) const CORNERS: [(usize, usize); 4] = [(0, 1), (0, 3), (2, 1), (2, 3)];

impl TtTrack {
    /// `activate`.
    pub(super) fn activate(d: TtDet, track_id: u64, frame_id: u64, min_track_len: u64) -> Self {
        let (mean, cov) = KIND.initiate(d.det.measurement(KIND));
        let state = if min_track_len <= 1 {
            TrackState::Tracked
        } else {
            TrackState::New
        };
        let mut t = TtTrack {
            track_id,
            state,
            is_activated: frame_id == 1 || state == TrackState::Tracked,
            score: d.det.score,
            prev_score: d.det.score,
            cls: d.det.cls,
            idx: d.idx,
            frame_id,
            start_frame: frame_id,
            tracklet_len: 0,
            mean,
            cov,
            velocity: [[0.0; 2]; 4],
            history: VecDeque::with_capacity(DELTA_T as usize + 1),
            curr_feat: d.curr_feat,
            smooth_feat: d.smooth_feat,
        };
        let b = t.xyxy64();
        t.push_history(frame_id, HistBox::f64(b));
        t
    }

    pub(super) fn push_history(&mut self, frame_id: u64, b: HistBox) {
        if self.history.len() == DELTA_T as usize + 1 {
            self.history.pop_front();
        }
        self.history.push_back((frame_id, b));
    }

    /// `xyxy` from the state (float64).
    pub fn xyxy64(&self) -> [f64; 4] {
        let m = &self.mean;
        let (w, h) = (m[2], m[3]);
        let (x, y) = (m[0] - w / 2.0, m[1] - h / 2.0);
        [x, y, w + x, h + y]
    }

    /// `xyxy` as the cost matrices see it (float32).
    pub fn xyxy(&self) -> Xyxy {
        self.xyxy64().map(|v| v as f32)
    }

    /// `get_history_box(frame_id, dt)`.
    pub(super) fn history_box(&self, frame_id: u64, dt: u64) -> HistBox {
        let target = frame_id as i64 - dt as i64;
        if let Some((_, b)) = self.history.iter().find(|(f, _)| *f as i64 == target) {
            return *b;
        }
        match self.history.back() {
            Some((_, b)) => *b,
            None => HistBox::f64(self.xyxy64()),
        }
    }

    pub(super) fn update_features(&mut self, feat: &[f32]) {
        let beta = feat_beta(self.score);
        if let Some((c, s)) = smooth_feature(
            feat,
            self.smooth_feat.as_deref(),
            beta,
            FeatureMath::Float64,
        ) {
            self.curr_feat = Some(c);
            self.smooth_feat = Some(s);
        }
    }

    /// `re_activate(new_id=False)`.
    pub(super) fn re_activate(&mut self, d: &TtDet, frame_id: u64) {
        self.prev_score = self.score;
        KIND.update_nsa(
            &mut self.mean,
            &mut self.cov,
            d.det.measurement(KIND),
            Some(f64::from(d.det.score)),
        );
        let b = self.xyxy64();
        self.push_history(frame_id, HistBox::f64(b));
        self.score = d.det.score;
        if let Some(f) = &d.curr_feat {
            self.update_features(f);
        }
        self.tracklet_len = 0;
        self.state = TrackState::Tracked;
        self.is_activated = true;
        self.frame_id = frame_id;
        self.cls = d.det.cls;
        self.idx = d.idx;
    }

    /// `update`: a matched detection; corner velocity over the last `DELTA_T` frames.
    pub(super) fn update(&mut self, d: &TtDet, frame_id: u64, min_track_len: u64) {
        self.frame_id = frame_id;
        self.tracklet_len += 1;
        self.prev_score = self.score;
        KIND.update_nsa(
            &mut self.mean,
            &mut self.cov,
            d.det.measurement(KIND),
            Some(f64::from(d.det.score)),
        );
        let curr = d.xyxy();
        self.push_history(frame_id, HistBox::f32(curr));
        let mut vel = [[0.0f32; 2]; 4];
        for dt in 1..=DELTA_T {
            let h = self.history_box(frame_id, dt);
            for (k, &(ix, iy)) in CORNERS.iter().enumerate() {
                if h.is64 {
                    let dx = f64::from(curr[ix]) - h.b[ix];
                    let dy = f64::from(curr[iy]) - h.b[iy];
                    let norm = (dx * dx + dy * dy).sqrt() + 1e-5;
                    let c = [dx / norm / dt as f64, dy / norm / dt as f64];
                    for j in 0..2 {
                        vel[k][j] = (f64::from(vel[k][j]) + c[j]) as f32;
                    }
                } else {
                    let dx = curr[ix] - h.b[ix] as f32;
                    let dy = curr[iy] - h.b[iy] as f32;
                    let norm = (dx * dx + dy * dy).sqrt() + 1e-5f32;
                    vel[k][0] += dx / norm / dt as f32;
                    vel[k][1] += dy / norm / dt as f32;
                }
            }
        }
        for v in vel.iter_mut().flatten() {
            *v /= DELTA_T as f32;
        }
        self.velocity = vel;
        self.score = d.det.score;
        if let Some(f) = &d.curr_feat {
            self.update_features(f);
        }
        if self.state == TrackState::Tracked || self.tracklet_len + 1 >= min_track_len {
            self.state = TrackState::Tracked;
            self.is_activated = true;
        }
        self.cls = d.det.cls;
        self.idx = d.idx;
    }

    /// `result`: `[x1, y1, x2, y2, id, score, cls, idx]` (float32).
    pub fn result(&self) -> [f32; 8] {
        let b = self.xyxy64();
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
