//! ByteTrack's frame in stages: the opening (split, pool, prediction), the appearance-gated
//! costs and the three associations. FastTrack and BoT-SORT run the same stages.

use super::config::{Tier, BOTRACK_ALPHA};
use super::tracker::{ByteTracker, FrameStart};
use crate::assignment::{linear_assignment, Assignment};
use crate::iou::{fuse_score, iou_distance_into};
use crate::kalman::KalmanKind;
use crate::reid::{absorb, embedding_distance, FeatureMath};
use crate::track::{Det, TrackState};
use crate::track_pool::Slot;

impl ByteTracker {
    /// IoU distance (optionally fused with detection scores) between tracks and detections,
    /// into `self.buf_cost`.
    /// Update matched tracks with their detections: tracked ones go to `activated`, lost ones are
    /// re-activated and go to `refind` (Ultralytics' loop after each association).
    pub(super) fn apply_matches(
        &mut self,
        matches: &[(usize, usize)],
        slots: &[Slot],
        dets: &[Det],
        activated: &mut Vec<Slot>,
        refind: &mut Vec<Slot>,
    ) {
        let (kind, frame_id) = (self.cfg.kind, self.frame_id);
        for &(it, id) in matches {
            let s = slots[it];
            let det = dets[id];
            let t = self.track_mut(s);
            let id = t.track_id;
            if t.state == TrackState::Tracked {
                t.update(&det, kind, frame_id);
                activated.push(s);
            } else {
                t.re_activate(&det, kind, frame_id);
                refind.push(s);
            }
            self.absorb_det_feat(id, &det);
        }
    }

    /// `BOTrack.update_features(det.curr_feat)` after a match (ReID on, the detection has one).
    pub(super) fn absorb_det_feat(&mut self, track_id: u64, det: &Det) {
        if self.reid.is_none() {
            return;
        }
        if let Some(Some(f)) = self.det_feats.get(det.idx) {
            let mut app = self.appearance.remove(&track_id);
            absorb(&mut app, f, BOTRACK_ALPHA);
            if let Some(a) = app {
                self.appearance.insert(track_id, a);
            }
        }
    }

    /// `get_dists` (with `appearance`, BoT-SORT's ReID gate when on) or plain IoU distance.
    pub(super) fn dists(&mut self, tracks: &[Slot], dets: &[&Det], fuse: bool, appearance: bool) {
        let kind = self.cfg.kind;
        let mut a = std::mem::take(&mut self.buf_a);
        let mut b = std::mem::take(&mut self.buf_b);
        a.clear();
        b.clear();
        a.extend(tracks.iter().map(|&s| self.track(s).xyxy(kind)));
        b.extend(dets.iter().map(|d| d.xyxy()));
        iou_distance_into(&a, &b, &mut self.buf_cost);
        let gate = if appearance { self.reid } else { None };
        // `dists > (1 - proximity_thresh)` on the IoU distance, before score fusion (float32).
        let far: Option<Vec<bool>> = gate.map(|g| {
            let t = (1.0 - g.proximity_thresh) as f32;
            self.buf_cost.iter().map(|&d| d > t).collect()
        });
        if fuse && !self.buf_cost.is_empty() {
            self.buf_s.clear();
            self.buf_s.extend(dets.iter().map(|d| d.score));
            fuse_score(&mut self.buf_cost, b.len(), &self.buf_s);
        }
        if let (Some(g), Some(far)) = (gate, far) {
            let tf: Vec<Option<&[f32]>> = tracks
                .iter()
                .map(|&s| {
                    self.appearance
                        .get(&self.track(s).track_id)
                        .map(|a| a.smooth.as_slice())
                })
                .collect();
            let df: Vec<Option<&[f32]>> = dets
                .iter()
                .map(|d| self.det_feats.get(d.idx).and_then(|f| f.as_deref()))
                .collect();
            let emb = embedding_distance(&tf, &df, FeatureMath::Float64);
            let thr = (1.0 - g.appearance_thresh) as f32;
            for ((c, e), far) in self.buf_cost.iter_mut().zip(emb).zip(far) {
                let mut e = e / 2.0;
                if e > thr || far {
                    e = 1.0;
                }
                *c = c.min(e);
            }
        }
        self.buf_a = a;
        self.buf_b = b;
    }

    /// The opening of `update`: next frame, split the detections (indices refer to the full
    /// list), split the tracked list into unconfirmed and confirmed, pool = confirmed + lost
    /// (`joint_stracks`), predict the pool (velocity of the height zeroed for non-tracked ones).
    pub(crate) fn begin_frame(&mut self, dets: &[[f32; 6]]) -> FrameStart {
        self.frame_id += 1;
        let cfg = self.cfg;
        let kind = cfg.kind;

        let mut high: Vec<Det> = Vec::new();
        let mut low: Vec<Det> = Vec::new();
        for (i, row) in dets.iter().enumerate() {
            match cfg.tier(row) {
                Tier::High => high.push(Det::from_row(row, i)),
                Tier::Low => low.push(Det::from_row(row, i)),
                Tier::Dropped => {}
            }
        }

        let mut unconfirmed: Vec<Slot> = Vec::new();
        let mut pool: Vec<Slot> = Vec::new();
        for (i, t) in self.pool.tracked.iter().enumerate() {
            if t.is_activated {
                pool.push(Slot::Tracked(i));
            } else {
                unconfirmed.push(Slot::Tracked(i));
            }
        }
        for (i, t) in self.pool.lost.iter().enumerate() {
            let dup = pool.iter().any(|&s| self.track(s).track_id == t.track_id);
            if !dup {
                pool.push(Slot::Lost(i));
            }
        }

        for &s in &pool {
            let t = self.track_mut(s);
            if t.state != TrackState::Tracked {
                match kind {
                    KalmanKind::Xyah => t.mean[7] = 0.0,
                    KalmanKind::Xywh => {
                        t.mean[6] = 0.0;
                        t.mean[7] = 0.0;
                    }
                }
            }
            kind.predict(&mut t.mean, &mut t.cov);
        }
        FrameStart {
            high,
            low,
            unconfirmed,
            pool,
        }
    }

    /// First association: the pool vs the high detections (`get_dists`: fused cost if
    /// `fuse_score`, the ReID gate when on; limit `match_thresh`); matched tracks are updated
    /// (`activated`) or re-activated (`refind`).
    pub(crate) fn first_association(
        &mut self,
        pool: &[Slot],
        high: &[Det],
        activated: &mut Vec<Slot>,
        refind: &mut Vec<Slot>,
    ) -> Assignment {
        let high_refs: Vec<&Det> = high.iter().collect();
        self.dists(pool, &high_refs, self.cfg.fuse_score, true);
        let a = linear_assignment(
            &self.buf_cost,
            pool.len(),
            high.len(),
            self.cfg.match_thresh,
        );
        self.apply_matches(&a.matches, pool, high, activated, refind);
        a
    }

    /// Second association: the still tracked ones among the pool's unmatched rows `u_track` vs
    /// the low detections (`1 - IoU`, limit 0.5). Returns those tracks and the assignment over
    /// them (all unmatched when either side is empty); marking the rest lost is the caller's.
    pub(crate) fn second_association(
        &mut self,
        pool: &[Slot],
        u_track: &[usize],
        low: &[Det],
        activated: &mut Vec<Slot>,
        refind: &mut Vec<Slot>,
    ) -> (Vec<Slot>, Assignment) {
        let r_tracked: Vec<Slot> = u_track
            .iter()
            .map(|&i| pool[i])
            .filter(|&s| self.track(s).state == TrackState::Tracked)
            .collect();
        let a = if !r_tracked.is_empty() && !low.is_empty() {
            let low_refs: Vec<&Det> = low.iter().collect();
            self.dists(&r_tracked, &low_refs, false, false);
            let a = linear_assignment(&self.buf_cost, r_tracked.len(), low.len(), 0.5);
            self.apply_matches(&a.matches, &r_tracked, low, activated, refind);
            a
        } else {
            Assignment {
                matches: Vec::new(),
                unmatched_rows: (0..r_tracked.len()).collect(),
                unmatched_cols: (0..low.len()).collect(),
            }
        };
        (r_tracked, a)
    }

    /// Unconfirmed tracks vs the high detections left by the first association (`rest`;
    /// `get_dists`, limit 0.7): matched ones are updated (`activated`), the others removed (their
    /// IDs appended to `removed`). The assignment's unmatched columns index `rest`.
    pub(crate) fn unconfirmed_association(
        &mut self,
        unconfirmed: &[Slot],
        rest: &[&Det],
        activated: &mut Vec<Slot>,
        removed: &mut Vec<u64>,
    ) -> Assignment {
        if unconfirmed.is_empty() {
            return Assignment {
                matches: Vec::new(),
                unmatched_rows: Vec::new(),
                unmatched_cols: (0..rest.len()).collect(),
            };
        }
        let (kind, frame_id) = (self.cfg.kind, self.frame_id);
        self.dists(unconfirmed, rest, self.cfg.fuse_score, true);
        let a = linear_assignment(&self.buf_cost, unconfirmed.len(), rest.len(), 0.7);
        for &(it, id) in &a.matches {
            let s = unconfirmed[it];
            let det = *rest[id];
            let t = self.track_mut(s);
            let tid = t.track_id;
            t.update(&det, kind, frame_id);
            activated.push(s);
            self.absorb_det_feat(tid, &det);
        }
        for &it in &a.unmatched_rows {
            let t = self.track_mut(unconfirmed[it]);
            t.state = TrackState::Removed;
            removed.push(t.track_id);
        }
        a
    }
}
