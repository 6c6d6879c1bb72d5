//! ByteTrack (`BYTETracker.update` of Ultralytics 8.4.190), also the engine of BoT-SORT.
//!
//! Per frame: split detections into high (`>= track_high_thresh`) and low
//! (`track_low_thresh < s < track_high_thresh`), dropping boxes with no width or height; predict
//! tracked + lost tracks (velocity zeroed for lost ones); (BoT-SORT: warp them and the unconfirmed
//! ones with the camera-motion affine); associate them with the high detections (fused cost
//! `1 - IoU * score`, lapjv limit `match_thresh`); associate the remaining *tracked* ones with the
//! low detections (`1 - IoU`, limit 0.5), the rest become lost; associate unconfirmed tracks with
//! the remaining high detections (limit 0.7), the rest are removed; start new tracks from the
//! remaining high detections with `score >= new_track_thresh` (activated at once only on frame 1);
//! remove tracks lost for more than `max_time_lost` frames; resolve tracked/lost duplicates (IoU
//! distance < 0.15) in favour of the longer track. Track lists keep Ultralytics' order, which
//! decides row order in the cost matrices (and so lapjv's tie-breaking) and the output order.

use std::collections::HashMap;
use std::fmt;

use crate::assignment::{linear_assignment, Assignment};
use crate::iou::{fuse_score, iou_distance_into, Xyxy};
use crate::kalman::{apply_gmc, KalmanKind};
use crate::reid::{absorb, embedding_distance, normalized, FeatureMath, TrackFeatures};
use crate::track::{Det, Track, TrackState};
pub(crate) use crate::track_pool::Slot;
use crate::track_pool::TrackPool;
pub use crate::tracker::Warp;
use crate::tracker::{Feats, FrameExtras, MultiTracker, TrackSummary};

/// Tracker settings (the keys of `bytetrack.yaml`; `max_time_lost` is derived from
/// `track_buffer` and the frame rate). There are no defaults here: the shipped YAML files hold them
/// and the caller passes a complete config.
#[derive(Debug, Clone, Copy)]
pub struct TrackerConfig {
    pub track_high_thresh: f32,
    pub track_low_thresh: f32,
    pub new_track_thresh: f32,
    pub match_thresh: f64,
    pub fuse_score: bool,
    pub max_time_lost: u64,
    pub kind: KalmanKind,
}

/// A threshold of [`TrackerConfig`] that is NaN or outside `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub name: &'static str,
    pub value: f64,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be a number in [0, 1], got {}",
            self.name, self.value
        )
    }
}

impl std::error::Error for ConfigError {}

/// Which association stage a detection enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// `score >= track_high_thresh`: first association, unconfirmed tracks, new tracks (and the
    /// boxes BoT-SORT's camera-motion estimate masks out).
    High,
    /// `track_low_thresh < score < track_high_thresh`: second association only.
    Low,
    /// Below both thresholds, or a box without width or height (NaN included).
    Dropped,
}

impl TrackerConfig {
    /// `Err` naming the first threshold that is NaN or outside `[0, 1]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let unit = [
            ("track_high_thresh", f64::from(self.track_high_thresh)),
            ("track_low_thresh", f64::from(self.track_low_thresh)),
            ("new_track_thresh", f64::from(self.new_track_thresh)),
            ("match_thresh", self.match_thresh),
        ];
        for (name, value) in unit {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(ConfigError { name, value });
            }
        }
        Ok(())
    }

    /// The stage a detection row `[x1, y1, x2, y2, conf, cls]` enters (float32 comparisons, as
    /// the original's numpy code).
    pub fn tier(&self, row: &[f32; 6]) -> Tier {
        let w = row[2] - row[0];
        let h = row[3] - row[1];
        if !(w > 0.0 && h > 0.0) {
            return Tier::Dropped;
        }
        let s = row[4];
        if s >= self.track_high_thresh {
            Tier::High
        } else if s > self.track_low_thresh && s < self.track_high_thresh {
            Tier::Low
        } else {
            Tier::Dropped
        }
    }

    /// Indices of the high detections, in order.
    pub fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        (0..dets.len())
            .filter(|&i| self.tier(&dets[i]) == Tier::High)
            .collect()
    }
}

/// BoT-SORT's appearance gate (`with_reid: True`): an appearance distance counts only for pairs
/// with IoU distance `<= 1 - proximity_thresh` and cosine distance / 2 `<= 1 - appearance_thresh`;
/// the cost is then the smaller of the (fused) IoU cost and the appearance distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReidGate {
    pub proximity_thresh: f64,
    pub appearance_thresh: f64,
}

/// EMA weight of a BoT-SORT track's smoothed feature (`BOTrack.alpha`).
pub const BOTRACK_ALPHA: f32 = 0.9;

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
    appearance: HashMap<u64, TrackFeatures>,
    /// This frame's normalised detection features, by detection row.
    det_feats: Vec<Option<Vec<f32>>>,
    // Scratch buffers reused across frames.
    buf_cost: Vec<f32>,
    buf_a: Vec<Xyxy>,
    buf_b: Vec<Xyxy>,
    buf_s: Vec<f32>,
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

    /// IoU distance (optionally fused with detection scores) between tracks and detections,
    /// into `self.buf_cost`.
    /// Update matched tracks with their detections: tracked ones go to `activated`, lost ones are
    /// re-activated and go to `refind` (Ultralytics' loop after each association).
    fn apply_matches(
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
    fn absorb_det_feat(&mut self, track_id: u64, det: &Det) {
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
    fn dists(&mut self, tracks: &[Slot], dets: &[&Det], fuse: bool, appearance: bool) {
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
    use super::*;

    /// The shipped `bytetrack.yaml` values.
    fn config(kind: KalmanKind) -> TrackerConfig {
        TrackerConfig {
            track_high_thresh: 0.25,
            track_low_thresh: 0.1,
            new_track_thresh: 0.25,
            match_thresh: 0.8,
            fuse_score: true,
            max_time_lost: 30,
            kind,
        }
    }

    fn row(x: f32, y: f32, w: f32, h: f32, s: f32) -> [f32; 6] {
        [x, y, x + w, y + h, s, 0.0]
    }

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

    #[test]
    fn tiers_split_on_float32_scores_and_drop_empty_boxes() {
        let cfg = config(KalmanKind::Xyah);
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, 5.0, 0.25)), Tier::High);
        assert_eq!(
            cfg.tier(&row(
                0.0,
                0.0,
                5.0,
                5.0,
                f32::from_bits(0.25f32.to_bits() - 1)
            )),
            Tier::Low
        );
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, 5.0, 0.1)), Tier::Dropped);
        assert_eq!(cfg.tier(&row(0.0, 0.0, 0.0, 5.0, 0.9)), Tier::Dropped);
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, -1.0, 0.9)), Tier::Dropped);
        assert_eq!(
            cfg.tier(&[0.0, 0.0, f32::NAN, 5.0, 0.9, 0.0]),
            Tier::Dropped
        );
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, 5.0, f32::NAN)), Tier::Dropped);
        let dets = [
            row(0.0, 0.0, 5.0, 5.0, 0.3),
            row(0.0, 0.0, 5.0, 5.0, 0.2),
            row(0.0, 0.0, 0.0, 5.0, 0.9),
            row(9.0, 9.0, 5.0, 5.0, 0.9),
        ];
        assert_eq!(cfg.high_indices(&dets), vec![0, 3]);
    }

    #[test]
    fn config_validation_names_the_threshold() {
        assert!(config(KalmanKind::Xyah).validate().is_ok());
        let bad = TrackerConfig {
            match_thresh: 1.5,
            ..config(KalmanKind::Xyah)
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "match_thresh must be a number in [0, 1], got 1.5"
        );
        let bad = TrackerConfig {
            track_low_thresh: f32::NAN,
            ..config(KalmanKind::Xyah)
        };
        assert_eq!(bad.validate().unwrap_err().name, "track_low_thresh");
    }
}
