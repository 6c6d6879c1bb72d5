//! A detection and a track as OC-SORT keeps them: observations, velocity, appearance.

use super::motion::{oru_replay, velocity_direction, KIND};
use crate::iou::Xyxy;
use crate::kalman::{Cov, Mean};
use crate::reid::{smooth_feature, Appearance, FeatureMath};
use crate::track::{Det, Track};
use crate::track_pool::PoolTrack;

/// A detection of the current frame with its appearance embedding (Deep OC-SORT with ReID):
/// `curr_feat`/`smooth_feat` as `DeepOCSortTrack.__init__` leaves them.
#[derive(Debug, Clone)]
pub struct OcDet {
    pub det: Det,
    pub curr_feat: Option<Vec<f32>>,
    pub smooth_feat: Option<Vec<f32>>,
}

impl OcDet {
    /// `xyxy` of the detection (float32).
    pub fn xyxy(&self) -> Xyxy {
        self.det.xyxy()
    }
}

/// A tracklet with its observation history (`OCSortTrack` / `DeepOCSortTrack`).
#[derive(Debug, Clone)]
pub struct OcTrack {
    pub t: Track,
    /// The last real observation (xyxy, float32); `[-1; 4]` before the first.
    pub last_observation: Xyxy,
    /// `(frame, xyxy)` observations, ascending frames, at most `delta_t + 2`.
    pub observations: Vec<(u64, Xyxy)>,
    /// Observation-centric velocity direction (float32 unit vector, zeros for no motion).
    pub velocity: Option<[f32; 2]>,
    /// Kalman state right after the last observation (the ORU replays from it).
    saved: Option<(Mean, Cov)>,
    pub smooth_feat: Option<Vec<f32>>,
    pub curr_feat: Option<Vec<f32>>,
}

impl PoolTrack for OcTrack {
    fn core(&self) -> &Track {
        &self.t
    }
    fn core_mut(&mut self) -> &mut Track {
        &mut self.t
    }
}

impl OcTrack {
    /// `activate`: a new track from a detection, with a fresh ID; its first observation is the
    /// Kalman box (float32).
    pub fn activate(det: &OcDet, track_id: u64, frame_id: u64, delta_t: u64) -> OcTrack {
        let t = Track::activate(&det.det, KIND, track_id, frame_id);
        let mut o = OcTrack {
            last_observation: [-1.0; 4],
            observations: Vec::new(),
            velocity: None,
            saved: None,
            smooth_feat: det.smooth_feat.clone(),
            curr_feat: det.curr_feat.clone(),
            t,
        };
        let obs = o.t.xyxy(KIND);
        o.record_observation(obs, frame_id, delta_t);
        o.saved = Some((o.t.mean, o.t.cov));
        o
    }

    /// `_record_observation`: keep the newest `delta_t + 2` frames.
    fn record_observation(&mut self, obs: Xyxy, frame_id: u64, delta_t: u64) {
        self.last_observation = obs;
        match self.observations.binary_search_by_key(&frame_id, |e| e.0) {
            Ok(i) => self.observations[i].1 = obs,
            Err(i) => self.observations.insert(i, (frame_id, obs)),
        }
        let max_keep = usize::try_from(delta_t.saturating_add(2)).unwrap_or(usize::MAX);
        if self.observations.len() > max_keep {
            let drop = self.observations.len() - max_keep;
            self.observations.drain(..drop);
        }
    }

    /// `_compute_velocity` of this track's observations.
    pub fn compute_velocity(&self, delta_t: u64) -> Option<[f32; 2]> {
        velocity_direction(&self.observations, delta_t)
    }

    /// `DeepOCSortTrack.update_features`: blend a detection's embedding into `smooth_feat` with
    /// the confidence-adaptive factor (`alpha = 1` at or below `det_thresh`).
    fn update_features(&mut self, feat: &[f32], score: f32, app: &Appearance) {
        // numpy float32 scalars meet Python floats: each Python float is rounded to float32.
        let alpha = if score > app.det_thresh as f32 {
            let trust = (score - app.det_thresh as f32) / (1.0 - app.det_thresh).max(1e-9) as f32;
            app.alpha_fixed_emb as f32 + (1.0 - app.alpha_fixed_emb) as f32 * (1.0 - trust)
        } else {
            1.0
        };
        let smooth = self.smooth_feat.as_deref();
        if let Some((curr, smooth)) = smooth_feature(feat, smooth, alpha, FeatureMath::OpenBlas) {
            self.curr_feat = Some(curr);
            self.smooth_feat = Some(smooth);
        }
    }

    /// `update`: correct with a matched detection (tracked or unconfirmed track).
    pub fn update(&mut self, det: &OcDet, frame_id: u64, delta_t: u64, app: Option<&Appearance>) {
        if let (Some(f), Some(app)) = (det.curr_feat.as_deref(), app) {
            self.update_features(f, det.det.score, app);
        }
        self.record_observation(det.xyxy(), frame_id, delta_t);
        self.t.update(&det.det, KIND, frame_id);
        self.saved = Some((self.t.mean, self.t.cov));
        self.velocity = self.compute_velocity(delta_t);
    }

    /// `re_activate(new_id=False)`: a lost track found again.
    pub fn re_activate(
        &mut self,
        det: &OcDet,
        frame_id: u64,
        delta_t: u64,
        app: Option<&Appearance>,
    ) {
        if let (Some(f), Some(app)) = (det.curr_feat.as_deref(), app) {
            self.update_features(f, det.det.score, app);
        }
        self.record_observation(det.xyxy(), frame_id, delta_t);
        self.t.re_activate(&det.det, KIND, frame_id);
        self.saved = Some((self.t.mean, self.t.cov));
        self.velocity = self.compute_velocity(delta_t);
    }

    /// `apply_oru`: restore the Kalman state of the last observation and replay it towards
    /// `new_obs` ([`oru_replay`]); nothing without a gap of more than one frame.
    pub fn apply_oru(&mut self, new_obs: &Xyxy, frame_id: u64) {
        let Some((mean, cov)) = self.saved else {
            return;
        };
        let Some(&(last_frame, last_obs)) = self.observations.last() else {
            return;
        };
        let gap = frame_id as i128 - last_frame as i128;
        if gap <= 1 {
            return;
        }
        self.t.mean = mean;
        self.t.cov = cov;
        oru_replay(
            &mut self.t.mean,
            &mut self.t.cov,
            &last_obs,
            new_obs,
            gap as u64,
        );
    }
}
