//! The ByteTrack state and its frame (see the module doc of `bytetrack`).

use std::collections::HashMap;

use super::config::{ReidGate, TrackerConfig, BOTRACK_ALPHA};
use crate::iou::Xyxy;
use crate::kalman::apply_gmc;
use crate::reid::{absorb, normalized, TrackFeatures};
use crate::track::{Det, Track, TrackState};
use crate::track_pool::{Slot, TrackPool};
use crate::tracker::{Feats, FrameExtras, MultiTracker, TrackSummary, Warp};

/// The tracker state. `tracked` and `lost` hold the tracks in Ultralytics' list order.
#[derive(Debug, Clone)]
pub struct ByteTracker {
    pub cfg: TrackerConfig,
    pub frame_id: u64,
    /// The tracked and lost tracks, IDs and removed-ID buffer.
    pub pool: TrackPool<Track>,
    /// The appearance gate when ReID is on.
    pub reid: Option<ReidGate>,
    /// Appearance of each track (by ID) when ReID is on.
    pub(super) appearance: HashMap<u64, TrackFeatures>,
    /// This frame's normalised detection features, by detection row.
    pub(super) det_feats: Vec<Option<Vec<f32>>>,
    // Scratch buffers reused across frames.
    pub(super) buf_cost: Vec<f32>,
    pub(super) buf_a: Vec<Xyxy>,
    pub(super) buf_b: Vec<Xyxy>,
    pub(super) buf_s: Vec<f32>,
}

/// The detections and the track pools of a frame, after the prediction.
pub(crate) struct FrameStart {
    pub high: Vec<Det>,
    pub low: Vec<Det>,
    pub unconfirmed: Vec<Slot>,
    pub pool: Vec<Slot>,
}

impl ByteTracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        ByteTracker {
            cfg,
            frame_id: 0,
            pool: TrackPool::new(),
            reid: None,
            appearance: HashMap::new(),
            det_feats: Vec::new(),
            buf_cost: Vec::new(),
            buf_a: Vec::new(),
            buf_b: Vec::new(),
            buf_s: Vec::new(),
        }
    }

    /// `reset`: no tracks, frame 0, IDs restart at 1.
    pub fn reset(&mut self) {
        self.frame_id = 0;
        self.pool.reset();
        self.appearance.clear();
        self.det_feats.clear();
    }

    /// The ID the next new track will get.
    pub fn next_id(&self) -> u64 {
        self.pool.next_id()
    }

    /// True when a tracked track is not yet confirmed (`not t.is_activated`).
    pub fn has_unconfirmed(&self) -> bool {
        self.pool.has_unconfirmed()
    }

    pub(crate) fn track(&self, s: Slot) -> &Track {
        self.pool.track(s)
    }

    pub(crate) fn track_mut(&mut self, s: Slot) -> &mut Track {
        self.pool.track_mut(s)
    }

    /// One frame. `dets` rows are `[x1, y1, x2, y2, conf, cls]` (float32, finite); `warp` is the
    /// camera-motion affine (BoT-SORT) or `None`. Returns `[x1, y1, x2, y2, id, score, cls, idx]`
    /// for every activated tracked track.
    pub fn update(&mut self, dets: &[[f32; 6]], warp: Option<&Warp>) -> Vec<[f32; 8]> {
        self.update_with(dets, warp, None)
    }

    /// [`ByteTracker::update`] with the detections' ReID features (`(n, d)`, one row per
    /// detection row), used when [`ByteTracker::reid`] is set.
    pub fn update_with(
        &mut self,
        dets: &[[f32; 6]],
        warp: Option<&Warp>,
        raw_feats: Option<Feats<'_>>,
    ) -> Vec<[f32; 8]> {
        self.det_feats.clear();
        if let (Some(_), Some(f)) = (self.reid, raw_feats) {
            self.det_feats
                .extend((0..dets.len().min(f.len())).map(|i| normalized(f.row(i))));
        }
        let raw_feats = raw_feats.filter(|f| f.len() >= dets.len());
        let FrameStart {
            high,
            low,
            unconfirmed,
            pool,
        } = self.begin_frame(dets);
        let frame_id = self.frame_id;
        let cfg = self.cfg;
        let kind = cfg.kind;

        // Camera-motion compensation.
        if let Some(h) = warp {
            for &s in pool.iter().chain(unconfirmed.iter()) {
                let t = self.track_mut(s);
                apply_gmc(&mut t.mean, &mut t.cov, h);
            }
        }

        let mut activated: Vec<Slot> = Vec::new(); // existing tracks updated (Tracked before)
        let mut refind: Vec<Slot> = Vec::new();
        let mut lost_now: Vec<Slot> = Vec::new();
        let mut removed: Vec<u64> = Vec::new();
        // Order of "activated" matters: existing ones and new ones interleave only through
        // joint_stracks, which keeps existing tracked ones in place; new tracks are appended in
        // the order created (after all updates), so they are kept separately.
        let mut new_tracks: Vec<Track> = Vec::new();

        let a1 = self.first_association(&pool, &high, &mut activated, &mut refind);
        let (r_tracked, a2) =
            self.second_association(&pool, &a1.unmatched_rows, &low, &mut activated, &mut refind);
        for it in a2.unmatched_rows {
            let s = r_tracked[it];
            self.track_mut(s).state = TrackState::Lost;
            lost_now.push(s);
        }

        let rest: Vec<&Det> = a1.unmatched_cols.iter().map(|&i| &high[i]).collect();
        let a3 = self.unconfirmed_association(&unconfirmed, &rest, &mut activated, &mut removed);

        // New tracks.
        for i in a3.unmatched_cols {
            let det = rest[i];
            if det.score < cfg.new_track_thresh {
                continue;
            }
            let id = self.new_id();
            new_tracks.push(Track::activate(det, kind, id, frame_id));
            if self.reid.is_some() {
                // The detection's own `BOTrack(feat)`: its raw feature, normalised once.
                if let Some(f) = raw_feats.map(|f| f.row(det.idx)) {
                    let mut app = None;
                    absorb(&mut app, f, BOTRACK_ALPHA);
                    if let Some(a) = app {
                        self.appearance.insert(id, a);
                    }
                }
            }
        }

        // Stale lost tracks (of the lost list as it was at the start of the frame).
        for t in &mut self.pool.lost {
            if frame_id.saturating_sub(t.frame_id) > cfg.max_time_lost {
                t.state = TrackState::Removed;
                removed.push(t.track_id);
            }
        }

        self.pool
            .merge(&activated, &refind, &lost_now, removed, new_tracks, kind);
        if !self.appearance.is_empty() {
            let live: std::collections::HashSet<u64> = self
                .pool
                .tracked
                .iter()
                .chain(self.pool.lost.iter())
                .map(|t| t.track_id)
                .collect();
            self.appearance.retain(|id, _| live.contains(id));
        }

        self.pool
            .tracked
            .iter()
            .filter(|t| t.is_activated)
            .map(|t| t.result(kind))
            .collect()
    }

    /// A fresh track ID (IDs count per tracker from 1).
    pub(crate) fn new_id(&mut self) -> u64 {
        self.pool.new_id()
    }
}

impl ByteTracker {
    /// Summaries of the tracked then the lost tracks.
    pub fn track_summaries(&self) -> Vec<TrackSummary> {
        self.pool.summaries()
    }
}

impl MultiTracker for ByteTracker {
    fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        ByteTracker::update(self, dets, extras.warp)
    }
    fn reset(&mut self) {
        ByteTracker::reset(self);
    }
    fn frame_id(&self) -> u64 {
        self.frame_id
    }
    fn next_id(&self) -> u64 {
        ByteTracker::next_id(self)
    }
    fn has_unconfirmed(&self) -> bool {
        ByteTracker::has_unconfirmed(self)
    }
    fn summaries(&self) -> Vec<TrackSummary> {
        self.track_summaries()
    }
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        self.cfg.high_indices(dets)
    }
    fn uses_warp(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::{config, row};
    use super::*;
    use crate::kalman::KalmanKind;

    #[test]
    fn ids_start_at_one_and_follow_a_moving_box() {
        let mut t = ByteTracker::new(config(KalmanKind::Xyah));
        let out = t.update(
            &[
                row(10.0, 10.0, 50.0, 100.0, 0.9),
                row(200.0, 10.0, 50.0, 100.0, 0.8),
            ],
            None,
        );
        assert_eq!(out.len(), 2);
        assert_eq!((out[0][4], out[1][4]), (1.0, 2.0));
        for f in 1..20 {
            let dx = 3.0 * f as f32;
            let out = t.update(
                &[
                    row(200.0 + dx, 10.0, 50.0, 100.0, 0.8),
                    row(10.0 + dx, 10.0, 50.0, 100.0, 0.9),
                ],
                None,
            );
            assert_eq!(out.len(), 2);
            let ids: Vec<(f32, f32)> = out.iter().map(|r| (r[4], r[7])).collect();
            assert!(
                ids.contains(&(1.0, 1.0)) && ids.contains(&(2.0, 0.0)),
                "{ids:?}"
            );
        }
        t.reset();
        let out = t.update(&[row(0.0, 0.0, 10.0, 10.0, 0.9)], None);
        assert_eq!(out[0][4], 1.0);
    }

    #[test]
    fn new_tracks_need_a_second_frame_after_frame_one() {
        let mut t = ByteTracker::new(config(KalmanKind::Xyah));
        assert!(t.update(&[], None).is_empty());
        assert!(t
            .update(&[row(10.0, 10.0, 50.0, 100.0, 0.9)], None)
            .is_empty());
        assert!(t.has_unconfirmed());
        let out = t.update(&[row(11.0, 10.0, 50.0, 100.0, 0.9)], None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][4], 1.0);
    }

    #[test]
    fn lost_then_removed_after_buffer() {
        let cfg = TrackerConfig {
            max_time_lost: 3,
            ..config(KalmanKind::Xyah)
        };
        let mut t = ByteTracker::new(cfg);
        t.update(&[row(10.0, 10.0, 50.0, 100.0, 0.9)], None);
        for _ in 0..3 {
            assert!(t.update(&[], None).is_empty());
            assert_eq!(t.pool.lost.len(), 1);
        }
        t.update(&[], None);
        t.update(&[], None);
        assert!(t.pool.lost.is_empty() && t.pool.tracked.is_empty());
    }

    #[test]
    fn removed_track_lingers_one_frame_and_is_forgotten_when_lost_again() {
        // As `merge_track_pools` (checked against the original): a track removed on frame 5
        // stays in the lost list for frame 6, where it is found again with its ID; lost again on
        // frame 7, its ID is in the removed buffer and it leaves the lost list at once.
        let cfg = TrackerConfig {
            max_time_lost: 3,
            ..config(KalmanKind::Xyah)
        };
        let mut t = ByteTracker::new(cfg);
        let r = row(10.0, 10.0, 50.0, 100.0, 0.9);
        t.update(&[r], None);
        for _ in 0..4 {
            assert!(t.update(&[], None).is_empty());
        }
        assert_eq!(t.pool.lost.len(), 1);
        assert_eq!(t.pool.lost[0].state, TrackState::Removed);
        let out = t.update(&[r], None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][4], 1.0);
        assert!(t.pool.lost.is_empty());
        t.update(&[], None);
        assert!(t.pool.lost.is_empty() && t.pool.tracked.is_empty());
    }

    #[test]
    fn lost_track_is_refound_with_its_id() {
        let mut t = ByteTracker::new(config(KalmanKind::Xyah));
        t.update(&[row(10.0, 10.0, 50.0, 100.0, 0.9)], None);
        t.update(&[], None);
        let out = t.update(&[row(10.0, 10.0, 50.0, 100.0, 0.9)], None);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0][4], 1.0);
    }

    #[test]
    fn degenerate_inputs_survive() {
        let mut t = ByteTracker::new(config(KalmanKind::Xywh));
        let same = vec![row(5.0, 5.0, 10.0, 10.0, 0.9); 50];
        let zero = vec![[3.0, 3.0, 3.0, 3.0, 0.9, 0.0]; 5];
        for f in 0..10 {
            let out = if f % 2 == 0 {
                t.update(&same, None)
            } else {
                t.update(&zero, None)
            };
            let mut ids: Vec<u64> = out.iter().map(|r| r[4] as u64).collect();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), out.len());
        }
        let big: Vec<[f32; 6]> = (0..500)
            .map(|i| {
                row(
                    (i % 25) as f32 * 40.0,
                    (i / 25) as f32 * 40.0,
                    30.0,
                    30.0,
                    0.5,
                )
            })
            .collect();
        t.update(&big, Some(&[[1.0, 0.0, 2.0], [0.0, 1.0, 1.0]]));
        let out = t.update(&big, Some(&[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]));
        assert!(out.len() >= 490);
    }
}
