//! OC-SORT's association steps, as methods of [`OcSort`] (the frame in `tracker.rs` runs them):
//! the detections' tiers with their embeddings (`split`), the first association's cost (IoU +
//! OCM, then the appearance fusion: `get_dists`), the matched tracks' update or re-activation
//! (`apply_matches`, with ORU for OCR) and OCR itself (`ocr_associate`).

use super::motion::{add_ocm_row, KIND};
use super::track::OcDet;
use super::tracker::OcSort;
use crate::assignment::linear_assignment;
use crate::bytetrack::Tier;
use crate::iou::{fuse_score, iou_distance_into, xyxy_center, Xyxy};
use crate::reid::{fuse_appearance, smooth_feature, FeatureMath};
use crate::track::{Det, TrackState};
use crate::track_pool::Slot;
use crate::tracker::FrameExtras;

impl OcSort {
    /// `get_dists`: IoU distance of the Kalman boxes (score-fused with `fuse_score`) plus
    /// `inertia` times the OCM cost, then the appearance fusion (Deep OC-SORT with ReID).
    pub(super) fn get_dists(&self, tracks: &[Slot], dets: &[&OcDet]) -> Vec<f32> {
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
    pub(super) fn apply_matches(
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
    pub(super) fn ocr_associate(
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
    pub(super) fn split(
        &self,
        dets: &[[f32; 6]],
        extras: &FrameExtras<'_>,
    ) -> (Vec<OcDet>, Vec<OcDet>) {
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
}
