//! TrackTrack's multi-cue cost (`_cost_matrix`): HMIoU, cosine ReID, confidence and corner angle,
//! with the penalties of low and recovered detections.

use std::f32::consts::PI as PI32;
use std::f64::consts::PI as PI64;

use super::assign::hmiou_distance;
use super::config::TrackTrackConfig;
use super::track::{HistBox, TtDet, TtTrack, CORNERS, DELTA_T};
use crate::iou::Xyxy;
use crate::reid::dot64;

/// `_cost_matrix`: pairs with IoU at or below this get cost 1 (and no angle cost).
const SUPPORT_IOU: f32 = 0.10;

/// What the cost needs of the tracker: its tracks, settings and frame.
#[derive(Debug, Clone, Copy)]
pub(super) struct Costs<'a> {
    pub arena: &'a [TtTrack],
    pub cfg: &'a TrackTrackConfig,
    pub frame_id: u64,
}

impl Costs<'_> {
    /// `_cost_matrix(tracks, dets)`: row-major float32 `(tracks.len(), dets.len())`.
    pub(super) fn cost_matrix(&self, tracks: &[usize], dets: &[&TtDet]) -> Vec<f32> {
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
    pub(super) fn add_angle_cost(
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
    pub(super) fn cosine_distance(&self, tracks: &[usize], dets: &[&TtDet]) -> Vec<f32> {
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
}

#[inline]
pub(super) fn clip01(v: f32) -> f32 {
    // np.clip keeps NaN.
    if v.is_nan() {
        v
    } else {
        v.clamp(0.0, 1.0)
    }
}
