//! The OC-SORT tracker: settings, state and the frame (see the module doc of `ocsort`); the
//! association steps it runs are in `associate.rs`.

use super::motion::KIND;
use super::track::{OcDet, OcTrack};
use crate::assignment::linear_assignment;
use crate::bytetrack::TrackerConfig;
use crate::iou::{iou_distance_into, Xyxy};
use crate::kalman::multi_gmc_xyah;
use crate::reid::Appearance;
use crate::track::TrackState;
use crate::track_pool::{Slot, TrackPool};
use crate::tracker::{FrameExtras, MultiTracker, TrackSummary};

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

    pub(super) fn track(&self, s: Slot) -> &OcTrack {
        self.pool.track(s)
    }

    pub(super) fn track_mut(&mut self, s: Slot) -> &mut OcTrack {
        self.pool.track_mut(s)
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
    use crate::kalman::KalmanKind;
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
