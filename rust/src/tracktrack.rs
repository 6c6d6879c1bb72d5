//! TrackTrack (`TRACKTRACK` of Ultralytics 8.4.190, "Focusing on Tracks for Online Multi-Object
//! Tracking"): track-perspective association and track-aware initialisation.
//!
//! Per frame: detections split into high (`>= track_high_thresh`), low (`track_low_thresh < s <
//! track_high_thresh`) and recovered (the frame's NMS-removed detections with `conf >
//! track_high_thresh`); the tracked + lost pool is warped by the camera motion, then predicted
//! (XYWH filter); one iterative assignment (mutually nearest pairs under a threshold that shrinks
//! by `reduce_step` each round) matches the pool against all detections on a multi-cue cost
//! (HMIoU, cosine ReID, confidence, corner angle; `penalty_p` / `penalty_q` on low / recovered
//! detections); unconfirmed tracks then take the remaining high detections, an optional relaxed
//! pass rebinds still-lost tracks, and the rest start tracks after a track-aware NMS (TAI).
//!
//! Number formats follow the original's numpy code step by step: costs are float32; Kalman
//! states are float64 with NSA-Kalman's confidence-scaled measurement noise; a track's box
//! history holds float64 boxes (from the state) and float32 boxes (from detections), and the angle
//! cost and corner velocities are computed in float64 when a box involved is float64, in float32
//! otherwise (numpy's promotion). Track lists are index lists over one arena so that, as with the
//! original's shared Python objects, a track may sit in several lists at once.

use std::collections::{HashSet, VecDeque};
use std::f32::consts::PI as PI32;
use std::f64::consts::PI as PI64;

use crate::iou::{iou, iou_matrix, Xyxy};
use crate::kalman::{apply_gmc, Cov, KalmanKind, Mean};
use crate::reid::{dot64, smooth_feature, FeatureMath};
use crate::track::{duplicate_drops, retain_kept, Det, TrackState, REMOVED_BUFFER};
use crate::tracker::{FrameExtras, MultiTracker, TrackSummary, Warp};

/// `TTSTrack._delta_t`: frames back for the corner velocity and the angle cost.
const DELTA_T: u64 = 3;
/// `TTSTrack._alpha`: the feature EMA weight at confidence 1.
const FEAT_ALPHA: f64 = 0.95;
/// `_cost_matrix`: pairs with IoU at or below this get cost 1 (and no angle cost).
const SUPPORT_IOU: f32 = 0.10;
const KIND: KalmanKind = KalmanKind::Xywh;

/// Settings (the keys of `tracktrack.yaml`; no defaults here, the shipped YAML holds them).
#[derive(Debug, Clone, Copy)]
pub struct TrackTrackConfig {
    pub track_high_thresh: f32,
    pub track_low_thresh: f32,
    pub new_track_thresh: f32,
    pub match_thresh: f64,
    pub lost_match_thr: f64,
    pub penalty_p: f64,
    pub penalty_q: f64,
    pub reduce_step: f64,
    pub iou_weight: f64,
    pub reid_weight: f64,
    pub conf_weight: f64,
    pub angle_weight: f64,
    pub tai_thr: f64,
    pub min_track_len: u64,
    /// `track_buffer` (TrackTrack does not scale it by the frame rate).
    pub max_time_lost: u64,
    /// `with_reid`: appearance embeddings enter the cost.
    pub with_reid: bool,
}

impl TrackTrackConfig {
    /// `Err` naming the first fraction that is NaN or outside `[0, 1]`.
    pub fn validate(&self) -> Result<(), String> {
        let unit = [
            ("track_high_thresh", f64::from(self.track_high_thresh)),
            ("track_low_thresh", f64::from(self.track_low_thresh)),
            ("new_track_thresh", f64::from(self.new_track_thresh)),
            ("match_thresh", self.match_thresh),
            ("lost_match_thr", self.lost_match_thr),
            ("penalty_p", self.penalty_p),
            ("penalty_q", self.penalty_q),
            ("reduce_step", self.reduce_step),
            ("iou_weight", self.iou_weight),
            ("reid_weight", self.reid_weight),
            ("conf_weight", self.conf_weight),
            ("angle_weight", self.angle_weight),
            ("tai_thr", self.tai_thr),
        ];
        for (name, v) in unit {
            if !v.is_finite() || !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be a number in [0, 1], got {v}"));
            }
        }
        Ok(())
    }
}

/// A box of a track's history: float64 when it came from the Kalman state, float32 (stored
/// exactly in the f64) when it came from a detection.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistBox {
    pub b: [f64; 4],
    pub is64: bool,
}

impl HistBox {
    fn f32(b: Xyxy) -> Self {
        HistBox {
            b: b.map(f64::from),
            is64: false,
        }
    }
    fn f64(b: [f64; 4]) -> Self {
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
    fn new(row: &[f32; 6], idx: i64, feat: Option<&[f32]>) -> Self {
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

    fn xyxy(&self) -> Xyxy {
        self.det.xyxy()
    }
}

/// `_alpha + (1 - _alpha) * (1 - score)` as numpy evaluates it (float32).
fn feat_beta(score: f32) -> f32 {
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
const CORNERS: [(usize, usize); 4] = [(0, 1), (0, 3), (2, 1), (2, 3)];

impl TtTrack {
    /// `activate`.
    fn activate(d: TtDet, track_id: u64, frame_id: u64, min_track_len: u64) -> Self {
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

    fn push_history(&mut self, frame_id: u64, b: HistBox) {
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
    fn history_box(&self, frame_id: u64, dt: u64) -> HistBox {
        let target = frame_id as i64 - dt as i64;
        if let Some((_, b)) = self.history.iter().find(|(f, _)| *f as i64 == target) {
            return *b;
        }
        match self.history.back() {
            Some((_, b)) => *b,
            None => HistBox::f64(self.xyxy64()),
        }
    }

    fn update_features(&mut self, feat: &[f32]) {
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
    fn re_activate(&mut self, d: &TtDet, frame_id: u64) {
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
    fn update(&mut self, d: &TtDet, frame_id: u64, min_track_len: u64) {
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

/// `_hmiou_distance` on float32 boxes: `(iou, 1 - HIoU * IoU)`, row-major `(a.len(), b.len())`.
pub fn hmiou_distance(a: &[Xyxy], b: &[Xyxy]) -> (Vec<f32>, Vec<f32>) {
    let iou_sim = iou_matrix(a, b);
    let mut dist = Vec::with_capacity(iou_sim.len());
    for (i, ba) in a.iter().enumerate() {
        for (j, bb) in b.iter().enumerate() {
            let over = ba[3].min(bb[3]) - ba[1].max(bb[1]);
            let union = ba[3].max(bb[3]) - ba[1].min(bb[1]);
            let h = (over / (union + 1e-9f32)).clamp(0.0, 1.0);
            dist.push(1.0f32 - h * iou_sim[i * b.len() + j]);
        }
    }
    (iou_sim, dist)
}

/// The result of [`iterative_associate`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Association {
    pub matches: Vec<(usize, usize)>,
    pub unmatched_rows: Vec<usize>,
    pub unmatched_cols: Vec<usize>,
}

/// First index of the minimum (`np.argmin`; NaN counts as the minimum).
fn argmin<I: Iterator<Item = f32>>(it: I) -> usize {
    let mut best = 0;
    let mut bv = f32::INFINITY;
    let mut first = true;
    for (i, v) in it.enumerate() {
        if first {
            best = i;
            bv = v;
            first = false;
            if v.is_nan() {
                return i;
            }
            continue;
        }
        if v.is_nan() {
            return i;
        }
        if v < bv {
            bv = v;
            best = i;
        }
    }
    best
}

/// `_iterative_associate`: mutually nearest pairs with cost `< thr`, then `thr -= reduce_step`,
/// until a round finds none. `cost` is row-major float32 `(rows, cols)`.
pub fn iterative_associate(
    cost: &[f32],
    rows: usize,
    cols: usize,
    match_thr: f64,
    reduce_step: f64,
) -> Association {
    let mut c = cost.to_vec();
    let mut thr = match_thr;
    let mut matches: Vec<(usize, usize)> = Vec::new();
    if rows > 0 && cols > 0 {
        loop {
            let nd: Vec<usize> = (0..rows)
                .map(|r| argmin(c[r * cols..(r + 1) * cols].iter().copied()))
                .collect();
            let nt: Vec<usize> = (0..cols)
                .map(|j| argmin((0..rows).map(|r| c[r * cols + j])))
                .collect();
            let t32 = thr as f32;
            let new: Vec<(usize, usize)> = (0..rows)
                .filter(|&r| nt[nd[r]] == r && c[r * cols + nd[r]] < t32)
                .map(|r| (r, nd[r]))
                .collect();
            if new.is_empty() {
                break;
            }
            for &(r, d) in &new {
                c[r * cols..(r + 1) * cols].fill(f32::INFINITY);
                for rr in 0..rows {
                    c[rr * cols + d] = f32::INFINITY;
                }
            }
            matches.extend(new);
            thr -= reduce_step;
        }
    }
    let mr: HashSet<usize> = matches.iter().map(|m| m.0).collect();
    let mc: HashSet<usize> = matches.iter().map(|m| m.1).collect();
    Association {
        unmatched_rows: (0..rows).filter(|r| !mr.contains(r)).collect(),
        unmatched_cols: (0..cols).filter(|j| !mc.contains(j)).collect(),
        matches,
    }
}

/// `_track_aware_nms`: which detections may start a track (score `> new_track_thresh`, IoU with
/// every track `<= tai_thr`, not suppressed by a stronger allowed detection with IoU `> tai_thr`).
pub fn track_aware_nms(
    tracks: &[Xyxy],
    dets: &[Xyxy],
    scores: &[f32],
    tai_thr: f32,
    new_track_thresh: f32,
) -> Vec<bool> {
    if dets.is_empty() {
        return Vec::new();
    }
    let mut allow: Vec<bool> = scores.iter().map(|&s| s > new_track_thresh).collect();
    let (nt, nd) = (tracks.len(), dets.len());
    if nt + nd < 2 {
        return allow;
    }
    if nt > 0 {
        for (i, d) in dets.iter().enumerate() {
            // `max` over the row (NaN-propagating like numpy).
            let mut m = f32::NEG_INFINITY;
            for t in tracks {
                let v = iou(d, t);
                if v.is_nan() || m.is_nan() {
                    m = f32::NAN;
                } else if v > m {
                    m = v;
                }
            }
            allow[i] &= m <= tai_thr;
        }
    }
    // scores.argsort()[::-1]: stable ascending, reversed.
    let mut order: Vec<usize> = (0..nd).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    order.reverse();
    for &i in &order {
        if !allow[i] {
            continue;
        }
        for j in 0..nd {
            if j != i && iou(&dets[i], &dets[j]) > tai_thr {
                allow[j] = false;
            }
        }
    }
    allow
}

/// The TrackTrack state. `tracked` and `lost` index `arena` in the original's list order.
#[derive(Debug, Clone)]
pub struct TrackTrack {
    pub cfg: TrackTrackConfig,
    pub frame_id: u64,
    arena: Vec<TtTrack>,
    tracked: Vec<usize>,
    lost: Vec<usize>,
    removed_ids: VecDeque<u64>,
    next_id: u64,
}

impl TrackTrack {
    pub fn new(cfg: TrackTrackConfig) -> Self {
        TrackTrack {
            cfg,
            frame_id: 0,
            arena: Vec::new(),
            tracked: Vec::new(),
            lost: Vec::new(),
            removed_ids: VecDeque::new(),
            next_id: 1,
        }
    }

    pub fn reset(&mut self) {
        *self = TrackTrack::new(self.cfg);
    }

    /// The tracked tracks, in order.
    pub fn tracked(&self) -> impl Iterator<Item = &TtTrack> {
        self.tracked.iter().map(|&i| &self.arena[i])
    }

    /// The lost tracks, in order.
    pub fn lost(&self) -> impl Iterator<Item = &TtTrack> {
        self.lost.iter().map(|&i| &self.arena[i])
    }

    /// `_cost_matrix(tracks, dets)`: row-major float32 `(tracks.len(), dets.len())`.
    fn cost_matrix(&self, tracks: &[usize], dets: &[&TtDet]) -> Vec<f32> {
        let (n, m) = (tracks.len(), dets.len());
        if n == 0 || m == 0 {
            return Vec::new();
        }
        let cfg = &self.cfg;
        let a: Vec<Xyxy> = tracks.iter().map(|&t| self.arena[t].xyxy()).collect();
        let b: Vec<Xyxy> = dets.iter().map(|d| d.xyxy()).collect();
        let (iou_sim, hm) = hmiou_distance(&a, &b);
        let mut cost = hm.clone();
        if cfg.with_reid {
            let cos = self.cosine_distance(tracks, dets);
            let (iw, rw) = (cfg.iou_weight as f32, cfg.reid_weight as f32);
            for ((c, &h), &cd) in cost.iter_mut().zip(&hm).zip(&cos) {
                *c = if cd.is_nan() { h } else { iw * h + rw * cd };
            }
        }
        // Confidence distance: |(2 score - prev_score) - det score|, float32.
        let cw = cfg.conf_weight as f32;
        for (r, &t) in tracks.iter().enumerate() {
            let tr = &self.arena[t];
            let proj = tr.score + (tr.score - tr.prev_score);
            for (j, d) in dets.iter().enumerate() {
                cost[r * m + j] += cw * (proj - d.det.score).abs();
            }
        }
        // Angle distance on the IoU-supported pairs (row-major, as np.nonzero).
        let pairs: Vec<(usize, usize)> = (0..n * m)
            .filter(|&k| iou_sim[k] > SUPPORT_IOU)
            .map(|k| (k / m, k % m))
            .collect();
        if !pairs.is_empty() {
            self.add_angle_cost(&mut cost, m, tracks, dets, &pairs);
        }
        for (c, &s) in cost.iter_mut().zip(&iou_sim) {
            let supported = s > SUPPORT_IOU;
            if !supported {
                *c = 1.0;
            }
            *c = clip01(*c);
        }
        cost
    }

    /// `cost[pairs] += angle_weight * _angle_distance(...)`.
    fn add_angle_cost(
        &self,
        cost: &mut [f32],
        m: usize,
        tracks: &[usize],
        dets: &[&TtDet],
        pairs: &[(usize, usize)],
    ) {
        let hist: Vec<HistBox> = pairs
            .iter()
            .map(|&(r, _)| self.arena[tracks[r]].history_box(self.frame_id, DELTA_T))
            .collect();
        let is64 = hist.iter().any(|h| h.is64);
        for (p, &(r, j)) in pairs.iter().enumerate() {
            let tr = &self.arena[tracks[r]];
            let db = dets[j].xyxy();
            let hb = &hist[p].b;
            let score = dets[j].det.score;
            let k = r * m + j;
            if is64 {
                let mut sum = 0.0f64;
                for (c, &(ix, iy)) in CORNERS.iter().enumerate() {
                    let dx = f64::from(db[ix]) - hb[ix];
                    let dy = f64::from(db[iy]) - hb[iy];
                    let norm = (dx * dx + dy * dy).sqrt() + 1e-5;
                    let v = tr.velocity[c];
                    let dot = f64::from(v[0]) * (dx / norm) + f64::from(v[1]) * (dy / norm);
                    sum += dot.clamp(-1.0, 1.0).acos().abs();
                }
                let dist = sum / 4.0 / PI64 * f64::from(score);
                cost[k] = (f64::from(cost[k]) + self.cfg.angle_weight * dist) as f32;
            } else {
                let mut sum = 0.0f32;
                for (c, &(ix, iy)) in CORNERS.iter().enumerate() {
                    let dx = db[ix] - hb[ix] as f32;
                    let dy = db[iy] - hb[iy] as f32;
                    let norm = (dx * dx + dy * dy).sqrt() + 1e-5f32;
                    let v = tr.velocity[c];
                    let dot = v[0] * (dx / norm) + v[1] * (dy / norm);
                    sum += dot.clamp(-1.0, 1.0).acos().abs();
                }
                let dist = sum / 4.0 / PI32 * score;
                cost[k] += self.cfg.angle_weight as f32 * dist;
            }
        }
    }

    /// `_cosine_distance`: `clip(1 - t . d, 0, 1)` (float32), NaN where a side has no feature.
    fn cosine_distance(&self, tracks: &[usize], dets: &[&TtDet]) -> Vec<f32> {
        let mut out = Vec::with_capacity(tracks.len() * dets.len());
        for &t in tracks {
            let tr = &self.arena[t];
            let tf = tr.smooth_feat.as_deref().or(tr.curr_feat.as_deref());
            for d in dets {
                out.push(match (tf, d.curr_feat.as_deref()) {
                    (Some(a), Some(b)) => clip01(1.0f32 - dot64(a, b) as f32),
                    _ => f32::NAN,
                });
            }
        }
        out
    }

    fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// One frame; see the module doc. Returns `[x1, y1, x2, y2, id, score, cls, idx]` of the
    /// activated tracks updated in this frame (`idx` -1: a recovered detection).
    pub fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        self.frame_id += 1;
        let frame_id = self.frame_id;
        let cfg = self.cfg;
        let mut activated: Vec<usize> = Vec::new();
        let mut refind: Vec<usize> = Vec::new();
        let mut lost_now: Vec<usize> = Vec::new();
        let mut removed: Vec<usize> = Vec::new();

        // Detections: high (with features when ReID is on), low, recovered.
        let feats = if cfg.with_reid {
            extras.feats.filter(|f| !f.is_empty())
        } else {
            None
        };
        let mut all: Vec<TtDet> = Vec::new();
        for (i, row) in dets.iter().enumerate() {
            if row[4] >= cfg.track_high_thresh {
                all.push(TtDet::new(row, i as i64, feats.map(|f| f.row(i))));
            }
        }
        let n_high = all.len();
        for (i, row) in dets.iter().enumerate() {
            let s = row[4];
            if s > cfg.track_low_thresh && s < cfg.track_high_thresh {
                all.push(TtDet::new(row, i as i64, None));
            }
        }
        let n_low = all.len() - n_high;
        if let Some(del) = extras.dets_del {
            for row in del.iter().filter(|r| r[4] > cfg.track_high_thresh) {
                all.push(TtDet::new(row, -1, None));
            }
        }
        let n_rec = all.len() - n_high - n_low;

        // Unconfirmed (New) vs tracked; pool = joint(tracked, lost).
        let mut unconfirmed: Vec<usize> = Vec::new();
        let mut pool: Vec<usize> = Vec::new();
        for &t in &self.tracked {
            if self.arena[t].state == TrackState::Tracked {
                pool.push(t);
            } else {
                unconfirmed.push(t);
            }
        }
        joint(&mut pool, &self.lost, &self.arena);

        // Camera motion, then prediction (each object once, like the vectorised numpy calls).
        if let Some(h) = extras.warp {
            self.warp_all(&pool, h);
            self.warp_all(&unconfirmed, h);
        }
        self.predict_all(&pool);
        self.predict_all(&unconfirmed);

        // Main association: pool vs high + low + recovered.
        let refs: Vec<&TtDet> = all.iter().collect();
        let mut cost = self.cost_matrix(&pool, &refs);
        let m = all.len();
        if !cost.is_empty() {
            let (pp, pq) = (cfg.penalty_p as f32, cfg.penalty_q as f32);
            for row in cost.chunks_mut(m) {
                for c in &mut row[n_high..n_high + n_low] {
                    *c += pp;
                }
                if n_rec > 0 {
                    for c in &mut row[n_high + n_low..] {
                        *c += pq;
                    }
                }
                for c in row.iter_mut() {
                    *c = clip01(*c);
                }
            }
        }
        let a = iterative_associate(&cost, pool.len(), m, cfg.match_thresh, cfg.reduce_step);
        for &(r, j) in &a.matches {
            let t = pool[r];
            if self.arena[t].state == TrackState::Tracked {
                self.arena[t].update(&all[j], frame_id, cfg.min_track_len);
                activated.push(t);
            } else {
                self.arena[t].re_activate(&all[j], frame_id);
                refind.push(t);
            }
        }
        for &r in &a.unmatched_rows {
            let t = pool[r];
            if self.arena[t].state != TrackState::Lost {
                self.arena[t].state = TrackState::Lost;
                lost_now.push(t);
            }
        }

        // Unconfirmed vs the remaining high detections.
        let mut leftover: Vec<usize> = a
            .unmatched_cols
            .iter()
            .copied()
            .filter(|&j| j < n_high)
            .collect();
        if !unconfirmed.is_empty() && !leftover.is_empty() {
            let lrefs: Vec<&TtDet> = leftover.iter().map(|&j| &all[j]).collect();
            let uc = self.cost_matrix(&unconfirmed, &lrefs);
            let ua = iterative_associate(
                &uc,
                unconfirmed.len(),
                leftover.len(),
                cfg.match_thresh,
                cfg.reduce_step,
            );
            for &(r, j) in &ua.matches {
                let t = unconfirmed[r];
                self.arena[t].update(&all[leftover[j]], frame_id, cfg.min_track_len);
                activated.push(t);
            }
            for &r in &ua.unmatched_rows {
                let t = unconfirmed[r];
                self.arena[t].state = TrackState::Removed;
                removed.push(t);
            }
            leftover = ua.unmatched_cols.iter().map(|&j| leftover[j]).collect();
        } else {
            for &t in &unconfirmed {
                self.arena[t].state = TrackState::Removed;
                removed.push(t);
            }
        }

        // Optional relaxed rebind of still-lost tracks.
        if cfg.lost_match_thr > 0.0 && !leftover.is_empty() {
            let unmatched_lost: Vec<usize> = pool
                .iter()
                .copied()
                .filter(|t| self.arena[*t].state == TrackState::Lost && !lost_now.contains(t))
                .collect();
            if !unmatched_lost.is_empty() {
                let lrefs: Vec<&TtDet> = leftover.iter().map(|&j| &all[j]).collect();
                let lc = self.cost_matrix(&unmatched_lost, &lrefs);
                let la = iterative_associate(
                    &lc,
                    unmatched_lost.len(),
                    leftover.len(),
                    cfg.lost_match_thr,
                    cfg.reduce_step,
                );
                for &(r, j) in &la.matches {
                    let t = unmatched_lost[r];
                    self.arena[t].re_activate(&all[leftover[j]], frame_id);
                    refind.push(t);
                }
                leftover = la.unmatched_cols.iter().map(|&j| leftover[j]).collect();
            }
        }

        // Track-aware initialisation.
        let active: Vec<Xyxy> = self
            .tracked
            .iter()
            .copied()
            .filter(|&t| self.arena[t].state == TrackState::Tracked)
            .chain(activated.iter().copied())
            .map(|t| self.arena[t].xyxy())
            .collect();
        let lboxes: Vec<Xyxy> = leftover.iter().map(|&j| all[j].xyxy()).collect();
        let lscores: Vec<f32> = leftover.iter().map(|&j| all[j].det.score).collect();
        let ok = track_aware_nms(
            &active,
            &lboxes,
            &lscores,
            cfg.tai_thr as f32,
            cfg.new_track_thresh,
        );
        for (&j, ok) in leftover.iter().zip(ok) {
            if ok {
                let id = self.new_id();
                let t = TtTrack::activate(all[j].clone(), id, frame_id, cfg.min_track_len);
                self.arena.push(t);
                activated.push(self.arena.len() - 1);
            }
        }

        // Lost too long.
        for &t in &self.lost {
            let tr = &mut self.arena[t];
            if frame_id as i64 - tr.frame_id as i64 > cfg.max_time_lost as i64 {
                tr.state = TrackState::Removed;
                removed.push(t);
            }
        }

        self.merge(&activated, &refind, &lost_now, &removed);

        self.tracked
            .iter()
            .map(|&t| &self.arena[t])
            .filter(|t| t.is_activated && t.frame_id == frame_id)
            .map(TtTrack::result)
            .collect()
    }

    fn warp_all(&mut self, list: &[usize], h: &Warp) {
        let mut seen = HashSet::new();
        for &t in list {
            if seen.insert(t) {
                let tr = &mut self.arena[t];
                apply_gmc(&mut tr.mean, &mut tr.cov, h);
            }
        }
    }

    fn predict_all(&mut self, list: &[usize]) {
        let mut seen = HashSet::new();
        for &t in list {
            if seen.insert(t) {
                let tr = &mut self.arena[t];
                if tr.state != TrackState::Tracked {
                    tr.mean[6] = 0.0;
                    tr.mean[7] = 0.0;
                }
                KIND.predict(&mut tr.mean, &mut tr.cov);
            }
        }
    }

    /// `merge_track_pools`, then drop the tracks no list holds any more.
    fn merge(
        &mut self,
        activated: &[usize],
        refind: &[usize],
        lost_now: &[usize],
        removed: &[usize],
    ) {
        let arena = &self.arena;
        let mut tracked: Vec<usize> = self
            .tracked
            .iter()
            .copied()
            .filter(|&t| arena[t].state == TrackState::Tracked)
            .collect();
        joint(&mut tracked, activated, arena);
        joint(&mut tracked, refind, arena);
        let tids: HashSet<u64> = tracked.iter().map(|&t| arena[t].track_id).collect();
        let mut lost: Vec<usize> = self
            .lost
            .iter()
            .copied()
            .filter(|&t| !tids.contains(&arena[t].track_id))
            .collect();
        lost.extend_from_slice(lost_now);
        let rids: HashSet<u64> = self.removed_ids.iter().copied().collect();
        lost.retain(|&t| !rids.contains(&arena[t].track_id));

        // remove_duplicate_stracks(tracked, lost).
        let ba: Vec<Xyxy> = tracked.iter().map(|&t| arena[t].xyxy()).collect();
        let bb: Vec<Xyxy> = lost.iter().map(|&t| arena[t].xyxy()).collect();
        let age = |&t: &usize| arena[t].frame_id as i64 - arena[t].start_frame as i64;
        let age_a: Vec<i64> = tracked.iter().map(age).collect();
        let age_b: Vec<i64> = lost.iter().map(age).collect();
        let (drop_a, drop_b) = duplicate_drops(&ba, &age_a, &bb, &age_b);
        retain_kept(&mut tracked, &drop_a);
        retain_kept(&mut lost, &drop_b);
        self.removed_ids
            .extend(removed.iter().map(|&t| arena[t].track_id));
        while self.removed_ids.len() > REMOVED_BUFFER {
            self.removed_ids.pop_front();
        }

        // Compact the arena to the tracks still listed.
        let mut remap: Vec<Option<usize>> = vec![None; self.arena.len()];
        let mut arena: Vec<TtTrack> = Vec::new();
        let old = std::mem::take(&mut self.arena);
        let mut old: Vec<Option<TtTrack>> = old.into_iter().map(Some).collect();
        let mut map = |t: usize| -> usize {
            if let Some(n) = remap[t] {
                return n;
            }
            arena.push(old[t].take().expect("each track moved once"));
            remap[t] = Some(arena.len() - 1);
            arena.len() - 1
        };
        self.tracked = tracked.into_iter().map(&mut map).collect();
        self.lost = lost.into_iter().map(&mut map).collect();
        self.arena = arena;
    }
}

/// `joint_stracks(a, b)` in place: `b`'s tracks whose ID `a` lacks, appended in order.
fn joint(a: &mut Vec<usize>, b: &[usize], arena: &[TtTrack]) {
    let ids: HashSet<u64> = a.iter().map(|&t| arena[t].track_id).collect();
    a.extend(
        b.iter()
            .copied()
            .filter(|&t| !ids.contains(&arena[t].track_id)),
    );
}

#[inline]
fn clip01(v: f32) -> f32 {
    // np.clip keeps NaN.
    if v.is_nan() {
        v
    } else {
        v.clamp(0.0, 1.0)
    }
}

impl MultiTracker for TrackTrack {
    fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        TrackTrack::update(self, dets, extras)
    }
    fn reset(&mut self) {
        TrackTrack::reset(self);
    }
    fn frame_id(&self) -> u64 {
        self.frame_id
    }
    fn next_id(&self) -> u64 {
        self.next_id
    }
    fn has_unconfirmed(&self) -> bool {
        self.tracked().any(|t| !t.is_activated)
    }
    fn summaries(&self) -> Vec<TrackSummary> {
        self.tracked()
            .chain(self.lost())
            .map(|t| TrackSummary {
                track_id: t.track_id,
                state: t.state as u8,
                is_activated: t.is_activated,
                frame_id: t.frame_id,
                start_frame: t.start_frame,
                score: t.score,
                cls: t.cls,
                idx: t.idx.max(0) as usize,
            })
            .collect()
    }
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        (0..dets.len())
            .filter(|&i| dets[i][4] >= self.cfg.track_high_thresh)
            .collect()
    }
    fn uses_warp(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The shipped `tracktrack.yaml` values.
    fn config() -> TrackTrackConfig {
        TrackTrackConfig {
            track_high_thresh: 0.6,
            track_low_thresh: 0.25,
            new_track_thresh: 0.7,
            match_thresh: 0.7,
            lost_match_thr: 0.0,
            penalty_p: 0.2,
            penalty_q: 0.4,
            reduce_step: 0.05,
            iou_weight: 0.5,
            reid_weight: 0.5,
            conf_weight: 0.1,
            angle_weight: 0.05,
            tai_thr: 0.55,
            min_track_len: 3,
            max_time_lost: 30,
            with_reid: false,
        }
    }

    #[test]
    fn hmiou_is_height_iou_times_iou() {
        let a = [[0.0, 0.0, 10.0, 10.0]];
        let b = [
            [0.0, 0.0, 10.0, 10.0],
            [0.0, 5.0, 10.0, 15.0],
            [20.0, 0.0, 30.0, 10.0],
        ];
        let (iou, d) = hmiou_distance(&a, &b);
        assert_eq!(d[0], 0.0);
        // IoU 50/150, height IoU 5/15.
        assert_eq!(d[1], 1.0 - (5.0f32 / (15.0 + 1e-9)) * iou[1]);
        assert_eq!((iou[2], d[2]), (0.0, 1.0));
    }

    #[test]
    fn iterative_assignment_shrinks_its_threshold() {
        // Round 1 (thr 0.5) takes (0, 0); round 2 (thr 0.45) takes nothing at 0.46, so it stops.
        let cost = [0.1, 0.3, 0.2, 0.46];
        let a = iterative_associate(&cost, 2, 2, 0.5, 0.05);
        assert_eq!(a.matches, vec![(0, 0)]);
        assert_eq!((a.unmatched_rows, a.unmatched_cols), (vec![1], vec![1]));
        // With a smaller step the second pair is taken in round 2.
        let a = iterative_associate(&cost, 2, 2, 0.5, 0.01);
        assert_eq!(a.matches, vec![(0, 0), (1, 1)]);
        assert_eq!(
            iterative_associate(&[], 0, 3, 0.5, 0.05).unmatched_cols,
            vec![0, 1, 2]
        );
    }

    #[test]
    fn tai_suppresses_overlaps_with_tracks_and_weaker_detections() {
        let tracks = [[0.0, 0.0, 10.0, 10.0]];
        let dets = [
            [0.0, 0.0, 10.0, 11.0],    // on the track
            [50.0, 0.0, 60.0, 10.0],   // free, weaker twin of the next
            [50.0, 0.0, 60.0, 10.5],   // free, strongest
            [100.0, 0.0, 110.0, 10.0], // free but below new_track_thresh
        ];
        let ok = track_aware_nms(&tracks, &dets, &[0.9, 0.8, 0.85, 0.5], 0.55, 0.7);
        assert_eq!(ok, vec![false, false, true, false]);
        assert_eq!(
            track_aware_nms(&[], &dets[..1], &[0.9], 0.55, 0.7),
            vec![true]
        );
    }

    #[test]
    fn nsa_kalman_without_confidence_is_the_plain_update() {
        let (mut m1, mut c1) = KIND.initiate([50.0, 60.0, 20.0, 40.0]);
        let (mut m2, mut c2) = (m1, c1);
        KIND.predict(&mut m1, &mut c1);
        KIND.predict(&mut m2, &mut c2);
        KIND.update(&mut m1, &mut c1, [52.0, 61.0, 21.0, 40.0]);
        KIND.update_nsa(&mut m2, &mut c2, [52.0, 61.0, 21.0, 40.0], None);
        assert_eq!((m1, c1), (m2, c2));
        // A confident detection pulls harder.
        let (mut m3, mut c3) = KIND.initiate([50.0, 60.0, 20.0, 40.0]);
        KIND.predict(&mut m3, &mut c3);
        KIND.update_nsa(&mut m3, &mut c3, [52.0, 61.0, 21.0, 40.0], Some(0.9));
        assert!((m3[0] - 52.0).abs() < (m1[0] - 52.0).abs());
    }

    #[test]
    fn life_cycle_confirmation_and_recovered_detections() {
        let mut t = TrackTrack::new(config());
        let row = |x: f32, s: f32| [x, 10.0, x + 40.0, 90.0, s, 0.0];
        // Frame 1: shown at once. Frame 2-3: New until min_track_len, but still shown (activated on
        // frame 1).
        for f in 0..3 {
            let out = t.update(&[row(10.0 + f as f32, 0.9)], &FrameExtras::default());
            assert_eq!(out.len(), 1);
            assert_eq!(out[0][4], 1.0);
        }
        assert!(t.tracked().all(|x| x.state == TrackState::Tracked));
        // The detection disappears but the loose NMS kept it: the track follows it (idx -1).
        let del = [row(13.0, 0.8)];
        let extras = FrameExtras {
            dets_del: Some(&del),
            ..FrameExtras::default()
        };
        let out = t.update(&[], &extras);
        assert_eq!(out.len(), 1);
        assert_eq!((out[0][4], out[0][7]), (1.0, -1.0));
        // A new object far away starts track 2, not confirmed until min_track_len frames.
        let out = t.update(&[row(14.0, 0.9), row(400.0, 0.95)], &FrameExtras::default());
        assert_eq!(out.iter().map(|r| r[4]).collect::<Vec<_>>(), vec![1.0]);
        assert!(t.has_unconfirmed());
        assert_eq!(t.next_id, 3);
        // Empty frames: everything goes lost, then removed after max_time_lost frames.
        for _ in 0..40 {
            assert!(t.update(&[], &FrameExtras::default()).is_empty());
        }
        assert_eq!(t.tracked().count() + t.lost().count(), 0);
        t.reset();
        assert_eq!((t.frame_id, t.next_id), (0, 1));
    }
}
