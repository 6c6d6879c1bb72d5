//! The TrackTrack state and its per-frame update (see the module doc of `tracktrack`).

use std::collections::HashSet;

use super::assign::{iterative_associate, track_aware_nms};
use super::config::TrackTrackConfig;
use super::cost::{clip01, Costs};
use super::pool::{joint, TtPool};
use super::track::{TtDet, TtTrack, KIND};
use crate::iou::Xyxy;
use crate::kalman::apply_gmc;
use crate::track::TrackState;
use crate::track_pool::summary;
use crate::tracker::{FrameExtras, MultiTracker, TrackSummary, Warp};

/// The TrackTrack state. `tracked` and `lost` index `arena` in the original's list order.
#[derive(Debug, Clone)]
pub struct TrackTrack {
    pub cfg: TrackTrackConfig,
    pub frame_id: u64,
    pool: TtPool,
    pub(super) next_id: u64,
}

impl TrackTrack {
    pub fn new(cfg: TrackTrackConfig) -> Self {
        TrackTrack {
            cfg,
            frame_id: 0,
            pool: TtPool::default(),
            next_id: 1,
        }
    }

    fn costs(&self) -> Costs<'_> {
        Costs {
            arena: &self.pool.arena,
            cfg: &self.cfg,
            frame_id: self.frame_id,
        }
    }

    pub fn reset(&mut self) {
        *self = TrackTrack::new(self.cfg);
    }

    /// The tracked tracks, in order.
    pub fn tracked(&self) -> impl Iterator<Item = &TtTrack> {
        self.pool.tracked.iter().map(|&i| &self.pool.arena[i])
    }

    /// The lost tracks, in order.
    pub fn lost(&self) -> impl Iterator<Item = &TtTrack> {
        self.pool.lost.iter().map(|&i| &self.pool.arena[i])
    }

    pub(super) fn new_id(&mut self) -> u64 {
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
        for &t in &self.pool.tracked {
            if self.pool.arena[t].state == TrackState::Tracked {
                pool.push(t);
            } else {
                unconfirmed.push(t);
            }
        }
        joint(&mut pool, &self.pool.lost, &self.pool.arena);

        // Camera motion, then prediction (each object once, like the vectorised numpy calls).
        if let Some(h) = extras.warp {
            self.warp_all(&pool, h);
            self.warp_all(&unconfirmed, h);
        }
        self.predict_all(&pool);
        self.predict_all(&unconfirmed);

        // Main association: pool vs high + low + recovered.
        let refs: Vec<&TtDet> = all.iter().collect();
        let mut cost = self.costs().cost_matrix(&pool, &refs);
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
            if self.pool.arena[t].state == TrackState::Tracked {
                self.pool.arena[t].update(&all[j], frame_id, cfg.min_track_len);
                activated.push(t);
            } else {
                self.pool.arena[t].re_activate(&all[j], frame_id);
                refind.push(t);
            }
        }
        for &r in &a.unmatched_rows {
            let t = pool[r];
            if self.pool.arena[t].state != TrackState::Lost {
                self.pool.arena[t].state = TrackState::Lost;
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
            let uc = self.costs().cost_matrix(&unconfirmed, &lrefs);
            let ua = iterative_associate(
                &uc,
                unconfirmed.len(),
                leftover.len(),
                cfg.match_thresh,
                cfg.reduce_step,
            );
            for &(r, j) in &ua.matches {
                let t = unconfirmed[r];
                self.pool.arena[t].update(&all[leftover[j]], frame_id, cfg.min_track_len);
                activated.push(t);
            }
            for &r in &ua.unmatched_rows {
                let t = unconfirmed[r];
                self.pool.arena[t].state = TrackState::Removed;
                removed.push(t);
            }
            leftover = ua.unmatched_cols.iter().map(|&j| leftover[j]).collect();
        } else {
            for &t in &unconfirmed {
                self.pool.arena[t].state = TrackState::Removed;
                removed.push(t);
            }
        }

        // Optional relaxed rebind of still-lost tracks.
        if cfg.lost_match_thr > 0.0 && !leftover.is_empty() {
            let unmatched_lost: Vec<usize> = pool
                .iter()
                .copied()
                .filter(|t| self.pool.arena[*t].state == TrackState::Lost && !lost_now.contains(t))
                .collect();
            if !unmatched_lost.is_empty() {
                let lrefs: Vec<&TtDet> = leftover.iter().map(|&j| &all[j]).collect();
                let lc = self.costs().cost_matrix(&unmatched_lost, &lrefs);
                let la = iterative_associate(
                    &lc,
                    unmatched_lost.len(),
                    leftover.len(),
                    cfg.lost_match_thr,
                    cfg.reduce_step,
                );
                for &(r, j) in &la.matches {
                    let t = unmatched_lost[r];
                    self.pool.arena[t].re_activate(&all[leftover[j]], frame_id);
                    refind.push(t);
                }
                leftover = la.unmatched_cols.iter().map(|&j| leftover[j]).collect();
            }
        }

        // Track-aware initialisation.
        let active: Vec<Xyxy> = self
            .pool
            .tracked
            .iter()
            .copied()
            .filter(|&t| self.pool.arena[t].state == TrackState::Tracked)
            .chain(activated.iter().copied())
            .map(|t| self.pool.arena[t].xyxy())
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
                self.pool.arena.push(t);
                activated.push(self.pool.arena.len() - 1);
            }
        }

        // Lost too long.
        for &t in &self.pool.lost {
            let tr = &mut self.pool.arena[t];
            if frame_id as i64 - tr.frame_id as i64 > cfg.max_time_lost as i64 {
                tr.state = TrackState::Removed;
                removed.push(t);
            }
        }

        self.pool.merge(&activated, &refind, &lost_now, &removed);

        self.pool
            .tracked
            .iter()
            .map(|&t| &self.pool.arena[t])
            .filter(|t| t.is_activated && t.frame_id == frame_id)
            .map(TtTrack::result)
            .collect()
    }

    pub(super) fn warp_all(&mut self, list: &[usize], h: &Warp) {
        let mut seen = HashSet::new();
        for &t in list {
            if seen.insert(t) {
                let tr = &mut self.pool.arena[t];
                apply_gmc(&mut tr.mean, &mut tr.cov, h);
            }
        }
    }

    pub(super) fn predict_all(&mut self, list: &[usize]) {
        let mut seen = HashSet::new();
        for &t in list {
            if seen.insert(t) {
                let tr = &mut self.pool.arena[t];
                if tr.state != TrackState::Tracked {
                    tr.mean[6] = 0.0;
                    tr.mean[7] = 0.0;
                }
                KIND.predict(&mut tr.mean, &mut tr.cov);
            }
        }
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
            .map(|t| {
                summary(
                    t.track_id,
                    t.state,
                    t.is_activated,
                    t.frame_id,
                    t.start_frame,
                    t.score,
                    t.cls,
                    t.idx,
                )
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
