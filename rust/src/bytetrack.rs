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

use crate::assignment::linear_assignment;
use crate::iou::{fuse_score, iou_distance_into, Xyxy};
use crate::kalman::{apply_gmc, KalmanKind};
use crate::reid::{absorb, embedding_distance, normalized, Appearance};
use crate::track::{Det, Track, TrackState};
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

/// A 2x3 affine camera-motion warp.
pub type Warp = [[f64; 3]; 2];

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
    pub tracked: Vec<Track>,
    pub lost: Vec<Track>,
    next_id: u64,
    /// The appearance gate when ReID is on.
    pub reid: Option<ReidGate>,
    /// Appearance of each track (by ID) when ReID is on.
    appearance: HashMap<u64, Appearance>,
    /// This frame's normalised detection features, by detection row.
    det_feats: Vec<Option<Vec<f32>>>,
    // Scratch buffers reused across frames.
    buf_cost: Vec<f32>,
    buf_a: Vec<Xyxy>,
    buf_b: Vec<Xyxy>,
    buf_s: Vec<f32>,
}

/// Where a track of the pool lives while a frame is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Tracked(usize),
    Lost(usize),
}

impl ByteTracker {
    pub fn new(cfg: TrackerConfig) -> Self {
        ByteTracker {
            cfg,
            frame_id: 0,
            tracked: Vec::new(),
            lost: Vec::new(),
            next_id: 1,
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
        self.tracked.clear();
        self.lost.clear();
        self.next_id = 1;
        self.appearance.clear();
        self.det_feats.clear();
    }

    /// The ID the next new track will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// True when a tracked track is not yet confirmed (`not t.is_activated`).
    pub fn has_unconfirmed(&self) -> bool {
        self.tracked.iter().any(|t| !t.is_activated)
    }

    fn track(&self, s: Slot) -> &Track {
        match s {
            Slot::Tracked(i) => &self.tracked[i],
            Slot::Lost(i) => &self.lost[i],
        }
    }

    fn track_mut(&mut self, s: Slot) -> &mut Track {
        match s {
            Slot::Tracked(i) => &mut self.tracked[i],
            Slot::Lost(i) => &mut self.lost[i],
        }
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
            let emb = embedding_distance(&tf, &df);
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
        self.frame_id += 1;
        let frame_id = self.frame_id;
        let cfg = self.cfg;
        let kind = cfg.kind;

        // Split detections (indices refer to the full list).
        let mut high: Vec<Det> = Vec::new();
        let mut low: Vec<Det> = Vec::new();
        for (i, row) in dets.iter().enumerate() {
            match cfg.tier(row) {
                Tier::High => high.push(Det::from_row(row, i)),
                Tier::Low => low.push(Det::from_row(row, i)),
                Tier::Dropped => {}
            }
        }

        // Unconfirmed / confirmed split of the tracked list, and the pool = confirmed + lost.
        let mut unconfirmed: Vec<Slot> = Vec::new();
        let mut pool: Vec<Slot> = Vec::new();
        for (i, t) in self.tracked.iter().enumerate() {
            if t.is_activated {
                pool.push(Slot::Tracked(i));
            } else {
                unconfirmed.push(Slot::Tracked(i));
            }
        }
        for (i, t) in self.lost.iter().enumerate() {
            let dup = pool.iter().any(|&s| self.track(s).track_id == t.track_id);
            if !dup {
                pool.push(Slot::Lost(i));
            }
        }

        // Predict the pool.
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
        // Order of "activated" matters: existing ones and new ones interleave only through
        // joint_stracks, which keeps existing tracked ones in place; new tracks are appended in
        // the order created (after all updates), so they are kept separately.
        let mut new_tracks: Vec<Track> = Vec::new();

        // First association: pool vs high.
        let high_refs: Vec<&Det> = high.iter().collect();
        self.dists(&pool, &high_refs, cfg.fuse_score, true);
        let a1 = linear_assignment(&self.buf_cost, pool.len(), high.len(), cfg.match_thresh);
        self.apply_matches(&a1.matches, &pool, &high, &mut activated, &mut refind);

        // Second association: remaining tracked vs low.
        let r_tracked: Vec<Slot> = a1
            .unmatched_rows
            .iter()
            .map(|&i| pool[i])
            .filter(|&s| self.track(s).state == TrackState::Tracked)
            .collect();
        let u_track2: Vec<usize> = if !r_tracked.is_empty() && !low.is_empty() {
            let low_refs: Vec<&Det> = low.iter().collect();
            self.dists(&r_tracked, &low_refs, false, false);
            let a2 = linear_assignment(&self.buf_cost, r_tracked.len(), low.len(), 0.5);
            self.apply_matches(&a2.matches, &r_tracked, &low, &mut activated, &mut refind);
            a2.unmatched_rows
        } else {
            (0..r_tracked.len()).collect()
        };
        for it in u_track2 {
            let s = r_tracked[it];
            self.track_mut(s).state = TrackState::Lost;
            lost_now.push(s);
        }

        // Unconfirmed vs remaining high.
        let rest: Vec<&Det> = a1.unmatched_cols.iter().map(|&i| &high[i]).collect();
        let u_det: Vec<usize> = if unconfirmed.is_empty() {
            (0..rest.len()).collect()
        } else {
            self.dists(&unconfirmed, &rest, cfg.fuse_score, true);
            let a3 = linear_assignment(&self.buf_cost, unconfirmed.len(), rest.len(), 0.7);
            for &(it, id) in &a3.matches {
                let s = unconfirmed[it];
                let det = *rest[id];
                let t = self.track_mut(s);
                let tid = t.track_id;
                t.update(&det, kind, frame_id);
                activated.push(s);
                self.absorb_det_feat(tid, &det);
            }
            for &it in &a3.unmatched_rows {
                self.track_mut(unconfirmed[it]).state = TrackState::Removed;
            }
            a3.unmatched_cols
        };

        // New tracks.
        for i in u_det {
            let det = rest[i];
            if det.score < cfg.new_track_thresh {
                continue;
            }
            let id = self.next_id;
            self.next_id += 1;
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
        for t in &mut self.lost {
            if frame_id.saturating_sub(t.frame_id) > cfg.max_time_lost {
                t.state = TrackState::Removed;
            }
        }

        self.merge(activated, refind, lost_now, new_tracks);
        if !self.appearance.is_empty() {
            let live: std::collections::HashSet<u64> = self
                .tracked
                .iter()
                .chain(self.lost.iter())
                .map(|t| t.track_id)
                .collect();
            self.appearance.retain(|id, _| live.contains(id));
        }

        self.tracked
            .iter()
            .filter(|t| t.is_activated)
            .map(|t| t.result(kind))
            .collect()
    }

    /// `merge_track_pools`: rebuild `tracked` and `lost` in Ultralytics' order.
    fn merge(
        &mut self,
        activated: Vec<Slot>,
        refind: Vec<Slot>,
        lost_now: Vec<Slot>,
        new_tracks: Vec<Track>,
    ) {
        let old_tracked = std::mem::take(&mut self.tracked);
        let old_lost = std::mem::take(&mut self.lost);
        let take = |s: Slot, tr: &[Track], lo: &[Track]| match s {
            Slot::Tracked(i) => tr[i].clone(),
            Slot::Lost(i) => lo[i].clone(),
        };
        // tracked = [t for t in tracked if Tracked]; joint(., activated); joint(., refind).
        let mut tracked: Vec<Track> =
            Vec::with_capacity(old_tracked.len() + new_tracks.len() + refind.len());
        tracked.extend(
            old_tracked
                .iter()
                .filter(|t| t.state == TrackState::Tracked)
                .cloned(),
        );
        // `activated` (existing ones) are all already in `tracked` (same id): joint keeps them in
        // place. Lost tracks only enter through `refind`. New tracks are appended.
        for s in &activated {
            let t = take(*s, &old_tracked, &old_lost);
            if !tracked.iter().any(|x| x.track_id == t.track_id) {
                tracked.push(t);
            }
        }
        for t in new_tracks {
            if !tracked.iter().any(|x| x.track_id == t.track_id) {
                tracked.push(t);
            }
        }
        for s in &refind {
            let t = take(*s, &old_tracked, &old_lost);
            if !tracked.iter().any(|x| x.track_id == t.track_id) {
                tracked.push(t);
            }
        }
        // lost = sub(lost, tracked); lost += lost_now; lost = sub(lost, removed).
        let lost_now: Vec<Track> = lost_now
            .iter()
            .map(|&s| take(s, &old_tracked, &old_lost))
            .collect();
        let mut lost: Vec<Track> = old_lost
            .into_iter()
            .filter(|t| !tracked.iter().any(|x| x.track_id == t.track_id))
            .collect();
        lost.extend(lost_now);
        lost.retain(|t| t.state != TrackState::Removed);

        // remove_duplicate_stracks(tracked, lost).
        let kind = self.cfg.kind;
        self.buf_a.clear();
        self.buf_b.clear();
        self.buf_a.extend(tracked.iter().map(|t| t.xyxy(kind)));
        self.buf_b.extend(lost.iter().map(|t| t.xyxy(kind)));
        iou_distance_into(&self.buf_a, &self.buf_b, &mut self.buf_cost);
        let nb = lost.len();
        let mut drop_a = vec![false; tracked.len()];
        let mut drop_b = vec![false; nb];
        if nb > 0 {
            for (p, row) in self.buf_cost.chunks(nb).enumerate() {
                for (q, &d) in row.iter().enumerate() {
                    if d < 0.15f32 {
                        let timep = tracked[p].frame_id as i64 - tracked[p].start_frame as i64;
                        let timeq = lost[q].frame_id as i64 - lost[q].start_frame as i64;
                        if timep > timeq {
                            drop_b[q] = true;
                        } else {
                            drop_a[p] = true;
                        }
                    }
                }
            }
        }
        let mut k = 0;
        tracked.retain(|_| {
            k += 1;
            !drop_a[k - 1]
        });
        let mut k = 0;
        lost.retain(|_| {
            k += 1;
            !drop_b[k - 1]
        });
        self.tracked = tracked;
        self.lost = lost;
    }
}

impl ByteTracker {
    /// Summaries of the tracked then the lost tracks.
    pub fn track_summaries(&self) -> Vec<TrackSummary> {
        self.tracked
            .iter()
            .chain(self.lost.iter())
            .map(|t| TrackSummary {
                track_id: t.track_id,
                state: t.state as u8,
                is_activated: t.is_activated,
                frame_id: t.frame_id,
                start_frame: t.start_frame,
                score: t.score,
                cls: t.cls,
                idx: t.idx,
            })
            .collect()
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
            assert_eq!(t.lost.len(), 1);
        }
        t.update(&[], None);
        t.update(&[], None);
        assert!(t.lost.is_empty() && t.tracked.is_empty());
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
