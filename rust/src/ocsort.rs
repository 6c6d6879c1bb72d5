//! OC-SORT (`OCSORT` of Ultralytics 8.4.190), also the engine of Deep OC-SORT (`deepocsort.rs`).
//!
//! ByteTrack's frame (`bytetrack.rs`: high/low split, XYAH Kalman prediction of tracked + lost
//! tracks, unconfirmed association, new tracks, stale lost tracks, pool merge) with the
//! original's observation-centric pieces:
//! - every track keeps its real detector observations (xyxy, float32) of the last `delta_t + 2`
//!   frames and an observation-centric velocity direction (`velocity`, float32 unit vector from
//!   the observation `delta_t` frames back, or the earliest one kept);
//! - **OCM**: the first association's cost is `fuse_score(1 - IoU) + inertia * angle / pi`, the
//!   angle between a track's velocity and the direction from its last observation to each
//!   detection (`velocity_direction_cost`), also used for unconfirmed tracks;
//! - **OCR**: detections left after the first association are matched by IoU with the tracks'
//!   last observations, still-tracked tracks first, then lost ones;
//! - **ORU**: a lost track found again by OCR first replays its Kalman filter from its last
//!   observation over virtual observations interpolated to the new one (`apply_oru`);
//! - the ByteTrack low-score pass only with `use_byte`.
//!
//! Number formats as the original: observations, centres and the OCM cost are float32 (numpy
//! float32 arithmetic, no fused multiply-add), the Kalman state float64, and the ORU replay uses
//! the single-track `KalmanFilterXYAH.predict` ([`KalmanKind::predict_single`]).

use crate::assignment::linear_assignment;
use crate::bytetrack::{Tier, TrackerConfig};
use crate::iou::{fuse_score, iou_distance_into, xyxy_center, Xyxy};
use crate::kalman::{multi_gmc_xyah, Cov, KalmanKind, Mean};
use crate::reid::{fuse_appearance, smooth_feature, Appearance, FeatureMath};
use crate::track::{Det, Track, TrackState};
use crate::track_pool::{PoolTrack, Slot, TrackPool};
use crate::tracker::{FrameExtras, MultiTracker, TrackSummary};

/// OC-SORT's Kalman filter (`KalmanFilterXYAH`).
const KIND: KalmanKind = KalmanKind::Xyah;

/// OC-SORT settings: ByteTrack's plus the keys of `ocsort.yaml` (no defaults here).
#[derive(Debug, Clone, Copy)]
pub struct OcSortConfig {
    pub base: TrackerConfig,
    /// Frames back the velocity direction reaches.
    pub delta_t: u64,
    /// Weight of the OCM cost.
    pub inertia: f64,
    /// Run ByteTrack's low-score association.
    pub use_byte: bool,
}

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

/// `np.linalg.norm` of a float32 2-vector (float32, products rounded before the sum).
#[inline]
fn norm2(v: [f32; 2]) -> f32 {
    (v[0] * v[0] + v[1] * v[1]).sqrt()
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
fn add_ocm_row(
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

/// The OC-SORT tracker state (also Deep OC-SORT's, with `appearance` and the XYAH warp).
#[derive(Debug, Clone)]
pub struct OcSort {
    pub cfg: OcSortConfig,
    /// Deep OC-SORT's appearance settings (ReID on).
    pub appearance: Option<Appearance>,
    /// Deep OC-SORT: warp the tracks with the camera motion.
    pub gmc: bool,
    pub frame_id: u64,
    /// The tracked and lost tracks, IDs and removed-ID buffer.
    pub pool: TrackPool<OcTrack>,
}

impl OcSort {
    pub fn new(cfg: OcSortConfig) -> Self {
        OcSort {
            cfg,
            appearance: None,
            gmc: false,
            frame_id: 0,
            pool: TrackPool::new(),
        }
    }

    /// `reset`: no tracks, frame 0, IDs restart at 1.
    pub fn reset(&mut self) {
        self.frame_id = 0;
        self.pool.reset();
    }

    pub fn next_id(&self) -> u64 {
        self.pool.next_id()
    }

    /// True when a tracked track is not yet confirmed.
    pub fn has_unconfirmed(&self) -> bool {
        self.pool.has_unconfirmed()
    }

    fn track(&self, s: Slot) -> &OcTrack {
        self.pool.track(s)
    }

    fn track_mut(&mut self, s: Slot) -> &mut OcTrack {
        self.pool.track_mut(s)
    }

    /// `get_dists`: IoU distance of the Kalman boxes (score-fused with `fuse_score`) plus
    /// `inertia` times the OCM cost, then the appearance fusion (Deep OC-SORT with ReID).
    fn get_dists(&self, tracks: &[Slot], dets: &[&OcDet]) -> Vec<f32> {
        let a: Vec<Xyxy> = tracks.iter().map(|&s| self.track(s).t.xyxy(KIND)).collect();
        let b: Vec<Xyxy> = dets.iter().map(|d| d.xyxy()).collect();
        let mut iou = Vec::new();
        iou_distance_into(&a, &b, &mut iou);
        let mut dists = iou.clone();
        if self.cfg.base.fuse_score && !dists.is_empty() {
            let s: Vec<f32> = dets.iter().map(|d| d.det.score).collect();
            fuse_score(&mut dists, b.len(), &s);
        }
        if !dists.is_empty() {
            let centers: Vec<[f32; 2]> = b.iter().map(xyxy_center).collect();
            let inertia = self.cfg.inertia as f32;
            for (row, &s) in dists.chunks_mut(b.len()).zip(tracks) {
                let t = self.track(s);
                add_ocm_row(row, &t.last_observation, t.velocity, &centers, inertia);
            }
        }
        self.fuse(dists, tracks, dets, &iou)
    }

    fn fuse(&self, dists: Vec<f32>, tracks: &[Slot], dets: &[&OcDet], iou: &[f32]) -> Vec<f32> {
        match &self.appearance {
            Some(app) if !tracks.is_empty() && !dets.is_empty() => {
                let tf: Vec<Option<&[f32]>> = tracks
                    .iter()
                    .map(|&s| self.track(s).smooth_feat.as_deref())
                    .collect();
                let df: Vec<Option<&[f32]>> = dets.iter().map(|d| d.curr_feat.as_deref()).collect();
                fuse_appearance(dists, &tf, &df, iou, app)
            }
            _ => dists,
        }
    }

    /// Update (tracked) or re-activate (lost) matched tracks; with `oru`, lost tracks first
    /// replay their Kalman filter (OCR).
    #[allow(clippy::too_many_arguments)]
    fn apply_matches(
        &mut self,
        matches: &[(usize, usize)],
        slots: &[Slot],
        dets: &[&OcDet],
        activated: &mut Vec<Slot>,
        refind: &mut Vec<Slot>,
        oru: bool,
    ) {
        let (frame_id, delta_t) = (self.frame_id, self.cfg.delta_t);
        let app = self.appearance;
        for &(it, id) in matches {
            let s = slots[it];
            let det = dets[id];
            let t = self.track_mut(s);
            if t.t.state == TrackState::Tracked {
                t.update(det, frame_id, delta_t, app.as_ref());
                activated.push(s);
            } else {
                if oru {
                    t.apply_oru(&det.xyxy(), frame_id);
                }
                t.re_activate(det, frame_id, delta_t, app.as_ref());
                refind.push(s);
            }
        }
    }

    /// `_ocr_associate`: match by IoU with the tracks' last observations. Returns the unmatched
    /// local track and detection indices.
    fn ocr_associate(
        &mut self,
        tracks: &[Slot],
        dets: &[&OcDet],
        activated: &mut Vec<Slot>,
        refind: &mut Vec<Slot>,
    ) -> (Vec<usize>, Vec<usize>) {
        if tracks.is_empty() || dets.is_empty() {
            return ((0..tracks.len()).collect(), (0..dets.len()).collect());
        }
        let a: Vec<Xyxy> = tracks
            .iter()
            .map(|&s| {
                let t = self.track(s);
                if t.last_observation[0] >= 0.0 {
                    t.last_observation
                } else {
                    t.t.xyxy(KIND)
                }
            })
            .collect();
        let b: Vec<Xyxy> = dets.iter().map(|d| d.xyxy()).collect();
        let mut iou = Vec::new();
        iou_distance_into(&a, &b, &mut iou);
        let mut dists = iou.clone();
        if self.cfg.base.fuse_score {
            let s: Vec<f32> = dets.iter().map(|d| d.det.score).collect();
            fuse_score(&mut dists, b.len(), &s);
        }
        let dists = self.fuse(dists, tracks, dets, &iou);
        let asg = linear_assignment(&dists, a.len(), b.len(), self.cfg.base.match_thresh);
        self.apply_matches(&asg.matches, tracks, dets, activated, refind, true);
        (asg.unmatched_rows, asg.unmatched_cols)
    }

    /// Detections of a frame: the high and low tiers with their embeddings (`with_reid`).
    fn split(&self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> (Vec<OcDet>, Vec<OcDet>) {
        let mut high = Vec::new();
        let mut low = Vec::new();
        let feats = match (&self.appearance, extras.feats) {
            (Some(_), Some(f)) if !f.is_empty() => Some(f),
            _ => None,
        };
        for (i, row) in dets.iter().enumerate() {
            let tier = self.cfg.base.tier(row);
            if tier == Tier::Dropped {
                continue;
            }
            let (curr_feat, smooth_feat) = match feats {
                Some(f) => match smooth_feature(f.row(i), None, 1.0, FeatureMath::OpenBlas) {
                    Some((c, s)) => (Some(c), Some(s)),
                    None => (None, None),
                },
                None => (None, None),
            };
            let d = OcDet {
                det: Det::from_row(row, i),
                curr_feat,
                smooth_feat,
            };
            if tier == Tier::High {
                high.push(d);
            } else {
                low.push(d);
            }
        }
        (high, low)
    }

    /// One frame (`BYTETracker.update` with OC-SORT's hooks). Returns
    /// `[x1, y1, x2, y2, id, score, cls, idx]` for every activated tracked track.
    pub fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        self.frame_id += 1;
        let frame_id = self.frame_id;
        let cfg = self.cfg;
        let delta_t = cfg.delta_t;
        let (high, low) = self.split(dets, extras);

        let mut unconfirmed: Vec<Slot> = Vec::new();
        let mut pool: Vec<Slot> = Vec::new();
        for (i, t) in self.pool.tracked.iter().enumerate() {
            if t.t.is_activated {
                pool.push(Slot::Tracked(i));
            } else {
                unconfirmed.push(Slot::Tracked(i));
            }
        }
        for (i, t) in self.pool.lost.iter().enumerate() {
            let dup = pool
                .iter()
                .any(|&s| self.track(s).t.track_id == t.t.track_id);
            if !dup {
                pool.push(Slot::Lost(i));
            }
        }

        // multi_predict (velocity of the height zeroed for lost tracks).
        for &s in &pool {
            let t = &mut self.track_mut(s).t;
            if t.state != TrackState::Tracked {
                t.mean[7] = 0.0;
            }
            KIND.predict(&mut t.mean, &mut t.cov);
        }

        // Deep OC-SORT: the XYAH camera-motion warp (tracks and their last observations).
        if self.gmc {
            if let Some(h) = extras.warp {
                for &s in pool.iter().chain(unconfirmed.iter()) {
                    let t = self.track_mut(s);
                    multi_gmc_xyah(&mut t.t.mean, &mut t.t.cov, &mut t.last_observation, h);
                }
            }
        }

        let mut activated: Vec<Slot> = Vec::new();
        let mut refind: Vec<Slot> = Vec::new();
        let mut lost_now: Vec<Slot> = Vec::new();
        let mut new_tracks: Vec<OcTrack> = Vec::new();
        let mut removed_now: Vec<u64> = Vec::new();

        // First association: pool vs high (IoU + OCM [+ appearance]).
        let high_refs: Vec<&OcDet> = high.iter().collect();
        let dists = self.get_dists(&pool, &high_refs);
        let a1 = linear_assignment(&dists, pool.len(), high.len(), cfg.base.match_thresh);
        self.apply_matches(
            &a1.matches,
            &pool,
            &high_refs,
            &mut activated,
            &mut refind,
            false,
        );
        let mut u_track: Vec<usize> = a1.unmatched_rows;
        let mut u_detection: Vec<usize> = a1.unmatched_cols;

        // OCR: still-tracked tracks first, then the others, on the remaining detections.
        if !u_detection.is_empty() {
            let ocr_dets: Vec<&OcDet> = u_detection.iter().map(|&i| &high[i]).collect();
            let (tracked_i, other_i): (Vec<usize>, Vec<usize>) = u_track
                .iter()
                .partition(|&&i| self.track(pool[i]).t.state == TrackState::Tracked);
            let ts: Vec<Slot> = tracked_i.iter().map(|&i| pool[i]).collect();
            let (u_t1, u_d1) = self.ocr_associate(&ts, &ocr_dets, &mut activated, &mut refind);
            let remaining: Vec<&OcDet> = u_d1.iter().map(|&j| ocr_dets[j]).collect();
            let os: Vec<Slot> = other_i.iter().map(|&i| pool[i]).collect();
            let (u_t2, u_d2) = self.ocr_associate(&os, &remaining, &mut activated, &mut refind);
            u_track = u_t1
                .iter()
                .map(|&i| tracked_i[i])
                .chain(u_t2.iter().map(|&i| other_i[i]))
                .collect();
            u_detection = u_d2.iter().map(|&j| u_detection[u_d1[j]]).collect();
        }

        // Second association (ByteTrack's low-score pass) only with use_byte.
        let r_tracked: Vec<Slot> = u_track
            .iter()
            .map(|&i| pool[i])
            .filter(|&s| self.track(s).t.state == TrackState::Tracked)
            .collect();
        let u_track2: Vec<usize> = if cfg.use_byte && !r_tracked.is_empty() && !low.is_empty() {
            let a: Vec<Xyxy> = r_tracked
                .iter()
                .map(|&s| self.track(s).t.xyxy(KIND))
                .collect();
            let b: Vec<Xyxy> = low.iter().map(OcDet::xyxy).collect();
            let mut cost = Vec::new();
            iou_distance_into(&a, &b, &mut cost);
            let a2 = linear_assignment(&cost, a.len(), b.len(), 0.5);
            let low_refs: Vec<&OcDet> = low.iter().collect();
            self.apply_matches(
                &a2.matches,
                &r_tracked,
                &low_refs,
                &mut activated,
                &mut refind,
                false,
            );
            a2.unmatched_rows
        } else {
            (0..r_tracked.len()).collect()
        };
        for it in u_track2 {
            let s = r_tracked[it];
            self.track_mut(s).t.state = TrackState::Lost;
            lost_now.push(s);
        }

        // Unconfirmed vs remaining high (the same cost as the first association).
        let rest: Vec<&OcDet> = u_detection.iter().map(|&i| &high[i]).collect();
        let u_det: Vec<usize> = if unconfirmed.is_empty() {
            (0..rest.len()).collect()
        } else {
            let dists = self.get_dists(&unconfirmed, &rest);
            let a3 = linear_assignment(&dists, unconfirmed.len(), rest.len(), 0.7);
            let app = self.appearance;
            for &(it, id) in &a3.matches {
                let s = unconfirmed[it];
                self.track_mut(s)
                    .update(rest[id], frame_id, delta_t, app.as_ref());
                activated.push(s);
            }
            for &it in &a3.unmatched_rows {
                let t = self.track_mut(unconfirmed[it]);
                t.t.state = TrackState::Removed;
                removed_now.push(t.t.track_id);
            }
            a3.unmatched_cols
        };

        // New tracks.
        for i in u_det {
            let det = rest[i];
            if det.det.score < cfg.base.new_track_thresh {
                continue;
            }
            let id = self.pool.new_id();
            new_tracks.push(OcTrack::activate(det, id, frame_id, delta_t));
        }

        // Stale lost tracks.
        for t in &mut self.pool.lost {
            if frame_id.saturating_sub(t.t.frame_id) > cfg.base.max_time_lost {
                t.t.state = TrackState::Removed;
                removed_now.push(t.t.track_id);
            }
        }

        self.pool.merge(
            &activated,
            &refind,
            &lost_now,
            removed_now,
            new_tracks,
            KIND,
        );

        self.pool
            .tracked
            .iter()
            .filter(|t| t.t.is_activated)
            .map(|t| t.t.result(KIND))
            .collect()
    }

    /// Summaries of the tracked then the lost tracks.
    pub fn track_summaries(&self) -> Vec<TrackSummary> {
        self.pool.summaries()
    }
}

impl MultiTracker for OcSort {
    fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        OcSort::update(self, dets, extras)
    }
    fn reset(&mut self) {
        OcSort::reset(self);
    }
    fn frame_id(&self) -> u64 {
        self.frame_id
    }
    fn next_id(&self) -> u64 {
        OcSort::next_id(self)
    }
    fn has_unconfirmed(&self) -> bool {
        OcSort::has_unconfirmed(self)
    }
    fn summaries(&self) -> Vec<TrackSummary> {
        self.track_summaries()
    }
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        self.cfg.base.high_indices(dets)
    }
    fn uses_warp(&self) -> bool {
        self.gmc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::FrameExtras;

    /// The shipped `ocsort.yaml` values.
    fn config() -> OcSortConfig {
        OcSortConfig {
            base: TrackerConfig {
                track_high_thresh: 0.25,
                track_low_thresh: 0.1,
                new_track_thresh: 0.25,
                match_thresh: 0.8,
                fuse_score: true,
                max_time_lost: 30,
                kind: KalmanKind::Xyah,
            },
            delta_t: 3,
            inertia: 0.2,
            use_byte: false,
        }
    }

    fn row(x: f32, y: f32, w: f32, h: f32, s: f32) -> [f32; 6] {
        [x, y, x + w, y + h, s, 0.0]
    }

    fn ids(out: &[[f32; 8]]) -> Vec<u64> {
        out.iter().map(|r| r[4] as u64).collect()
    }

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

    #[test]
    fn lost_track_comes_back_through_ocr() {
        let mut t = OcSort::new(config());
        let ex = FrameExtras::default();
        for f in 0..5 {
            t.update(&[row(100.0 + 5.0 * f as f32, 50.0, 40.0, 80.0, 0.9)], &ex);
        }
        for _ in 0..6 {
            assert!(t.update(&[], &ex).is_empty());
        }
        assert_eq!(t.pool.lost.len(), 1);
        // Reappears far from where the (stopped) Kalman prediction sits but on its last observation.
        let out = t.update(&[row(122.0, 50.0, 40.0, 80.0, 0.9)], &ex);
        assert_eq!(ids(&out), vec![1]);
        assert!(t.pool.lost.is_empty());
    }

    #[test]
    fn low_scores_only_with_use_byte() {
        for use_byte in [false, true] {
            let mut t = OcSort::new(OcSortConfig {
                use_byte,
                ..config()
            });
            let ex = FrameExtras::default();
            t.update(&[row(10.0, 10.0, 40.0, 80.0, 0.9)], &ex);
            let out = t.update(&[row(11.0, 10.0, 40.0, 80.0, 0.15)], &ex);
            assert_eq!(out.len(), usize::from(use_byte), "use_byte {use_byte}");
        }
    }

    #[test]
    fn removed_tracks_linger_one_frame_like_the_original() {
        let mut t = OcSort::new(OcSortConfig {
            base: TrackerConfig {
                max_time_lost: 2,
                ..config().base
            },
            ..config()
        });
        let ex = FrameExtras::default();
        t.update(&[row(10.0, 10.0, 40.0, 80.0, 0.9)], &ex);
        for _ in 0..3 {
            t.update(&[], &ex);
        }
        // Removed this frame, still listed (state Removed) until the next merge.
        assert_eq!(t.pool.lost.len(), 1);
        assert_eq!(t.pool.lost[0].t.state, TrackState::Removed);
        t.update(&[], &ex);
        assert!(t.pool.lost.is_empty());
        // IDs are never reused.
        t.update(&[row(10.0, 10.0, 40.0, 80.0, 0.9)], &ex);
        assert_eq!(t.pool.tracked[0].t.track_id, 2);
        t.reset();
        assert_eq!(t.next_id(), 1);
    }

    #[test]
    fn crowded_frames_keep_unique_ids() {
        let mut t = OcSort::new(config());
        let ex = FrameExtras::default();
        let mut max_id = 0;
        for f in 0..30 {
            let dets: Vec<[f32; 6]> = (0..40)
                .filter(|i| (i + f) % 7 != 0)
                .map(|i| {
                    let (x, y) = ((i % 8) as f32 * 45.0, (i / 8) as f32 * 90.0);
                    row(x + f as f32, y, 40.0, 80.0, 0.3 + (i % 5) as f32 * 0.15)
                })
                .collect();
            let out = t.update(&dets, &ex);
            let mut v = ids(&out);
            v.sort_unstable();
            v.dedup();
            assert_eq!(v.len(), out.len());
            max_id = max_id.max(v.last().copied().unwrap_or(0));
        }
        assert!(max_id < 60, "{max_id}");
    }
}
