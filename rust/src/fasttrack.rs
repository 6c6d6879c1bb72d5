//! FastTrack (`FASTTracker` of Ultralytics 8.4.190): ByteTrack with occlusion handling.
//!
//! The frame runs ByteTrack's stages (`bytetrack.rs`) with these changes:
//! - every update, re-activation and activation appends the track's Kalman `(mean, covariance)`
//!   to a bounded history (`max(reset_velocity_offset_occ, reset_pos_offset_occ) + 4` entries,
//!   newest last); a match clears the occlusion bookkeeping;
//! - after the second association, an unmatched tracked track counts one more unmatched frame.
//!   When more than `occ_cover_thresh` of its box (`bbox_ioa`: intersection over its area,
//!   float32) is covered by a track updated this frame, and it is not occluded yet, it becomes
//!   occluded: its velocity is reset from `reset_velocity_offset_occ` entries back, its position
//!   and covariance from `reset_pos_offset_occ` entries back (each only when the history is that
//!   long), its height is scaled by `enlarge_bbox_occ` and its velocity by `dampen_motion_occ`.
//!   It is marked lost only after more than two unmatched frames, and while occluded only after
//!   more than `active_occ_to_lost_thresh` occluded frames;
//! - a new track is not started from a detection whose IoU with an active box (tracks updated,
//!   re-found or still tracked this frame, and the tracks started before it in this frame) is
//!   `>= init_iou_suppress` (off at 1.0). The boxes are float32 until the first new track of the
//!   frame joins them as float64 (numpy's `concatenate`), so the comparison runs in float32 before
//!   and in float64 after it;
//! - a lost track that went lost within `occ_reappear_window` frames of its occlusion onset is not
//!   removed after `track_buffer` frames;
//! - only tracks updated this frame are returned.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fmt;

use crate::bytetrack::{ByteTracker, FrameStart, Slot, TrackerConfig};
use crate::iou::{iou, Xyxy, IOU_EPS};
use crate::kalman::{Cov, Mean};
use crate::track::{Det, Track, TrackState};
use crate::tracker::{FrameExtras, MultiTracker, TrackSummary};

/// The FastTrack settings beyond ByteTrack's (the keys of `fasttrack.yaml`). No defaults here:
/// the shipped YAML holds them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FastConfig {
    pub reset_velocity_offset_occ: usize,
    pub reset_pos_offset_occ: usize,
    pub enlarge_bbox_occ: f64,
    pub dampen_motion_occ: f64,
    pub active_occ_to_lost_thresh: u64,
    pub init_iou_suppress: f64,
    pub occ_cover_thresh: f64,
    pub occ_reappear_window: u64,
}

/// A FastTrack setting out of its range.
#[derive(Debug, Clone, PartialEq)]
pub struct FastConfigError {
    pub name: &'static str,
    pub value: f64,
    pub expected: &'static str,
}

impl fmt::Display for FastConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be {}, got {}",
            self.name, self.expected, self.value
        )
    }
}

impl std::error::Error for FastConfigError {}

impl FastConfig {
    /// `Err` naming the first setting out of range: the fractions in `[0, 1]`, the height scale
    /// positive and finite.
    pub fn validate(&self) -> Result<(), FastConfigError> {
        let unit = [
            ("occ_cover_thresh", self.occ_cover_thresh),
            ("init_iou_suppress", self.init_iou_suppress),
            ("dampen_motion_occ", self.dampen_motion_occ),
        ];
        for (name, value) in unit {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(FastConfigError {
                    name,
                    value,
                    expected: "a number in [0, 1]",
                });
            }
        }
        let e = self.enlarge_bbox_occ;
        if !(e.is_finite() && e > 0.0) {
            return Err(FastConfigError {
                name: "enlarge_bbox_occ",
                value: e,
                expected: "a positive number",
            });
        }
        Ok(())
    }

    /// Entries of the Kalman history (`_history_len`).
    pub fn history_len(&self) -> usize {
        self.reset_velocity_offset_occ
            .max(self.reset_pos_offset_occ)
            .saturating_add(4)
    }
}

/// The occlusion bookkeeping of one track (`FastSTrack`'s attributes beyond `STrack`'s).
#[derive(Debug, Clone)]
pub struct Occlusion {
    /// `mean_history`: `(mean, covariance)` after each activation / update, newest last.
    pub history: VecDeque<(Mean, Cov)>,
    pub not_matched: u64,
    pub is_occluded: bool,
    pub occluded_len: u64,
    /// -1 when never occluded.
    pub last_occluded_frame: i64,
    pub was_recently_occluded: bool,
}

impl Default for Occlusion {
    fn default() -> Self {
        Occlusion {
            history: VecDeque::new(),
            not_matched: 0,
            is_occluded: false,
            occluded_len: 0,
            last_occluded_frame: -1,
            was_recently_occluded: false,
        }
    }
}

impl Occlusion {
    /// `_push_history`, with the deque's `maxlen`.
    fn push(&mut self, t: &Track, cap: usize) {
        self.history.push_back((t.mean, t.cov));
        while self.history.len() > cap {
            self.history.pop_front();
        }
    }
}

/// `bbox_ioa(box1, box2)` of one pair (intersection over the area of `b`, float32, numpy's
/// operation order).
#[inline]
pub fn ioa(a: &Xyxy, b: &Xyxy) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area = (b[2] - b[0]) * (b[3] - b[1]);
    inter / (area + IOU_EPS)
}

/// `bbox_ioa(box1, box2, iou=True)` of one pair in float64 (`eps` 1e-7 as a double).
#[inline]
pub fn iou64(a: &[f64; 4], b: &[f64; 4]) -> f64 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area_b = (b[2] - b[0]) * (b[3] - b[1]);
    let area_a = (a[2] - a[0]) * (a[3] - a[1]);
    inter / (area_b + area_a - inter + 1e-7)
}

/// numpy's `max` of a sequence: NaN if any element is NaN; `None` when empty.
fn nan_max<T: PartialOrd + Copy>(v: impl IntoIterator<Item = T>) -> Option<T> {
    let mut best: Option<T> = None;
    for x in v {
        let is_nan = x.partial_cmp(&x).is_none();
        best = Some(match best {
            None => x,
            Some(_) if is_nan => return Some(x),
            Some(b) => {
                if x > b {
                    x
                } else {
                    b
                }
            }
        });
    }
    best
}

/// Per unmatched track, the largest fraction of its box covered by an active track (`cov.max(axis=0)`
/// after zeroing pairs with the same ID); zeros when there are no active tracks.
pub fn max_cover(active: &[(Xyxy, u64)], unmatched: &[(Xyxy, u64)]) -> Vec<f32> {
    unmatched
        .iter()
        .map(|(ub, uid)| {
            nan_max(
                active
                    .iter()
                    .map(|(ab, aid)| if aid == uid { 0.0 } else { ioa(ab, ub) }),
            )
            .unwrap_or(0.0)
        })
        .collect()
}

/// Index of `hist[-k]` in a history of `len` entries (`hist[-0]` is the oldest entry).
fn back(len: usize, k: usize) -> usize {
    if k == 0 {
        0
    } else {
        len - k
    }
}

/// The Kalman state change at occlusion onset: velocity from `hist[-reset_velocity_offset_occ]`
/// and position + covariance from `hist[-reset_pos_offset_occ]` (each when the history has that
/// many entries), then height times `enlarge_bbox_occ` and velocity times `dampen_motion_occ`.
/// Nothing changes with an empty history.
pub fn roll_back(mean: &mut Mean, cov: &mut Cov, hist: &VecDeque<(Mean, Cov)>, cfg: &FastConfig) {
    if hist.is_empty() {
        return;
    }
    let n = hist.len();
    if n >= cfg.reset_velocity_offset_occ {
        let prev = &hist[back(n, cfg.reset_velocity_offset_occ)].0;
        mean[4..8].copy_from_slice(&prev[4..8]);
    }
    if n >= cfg.reset_pos_offset_occ {
        let (prev, prev_cov) = &hist[back(n, cfg.reset_pos_offset_occ)];
        mean[0..4].copy_from_slice(&prev[0..4]);
        *cov = *prev_cov;
    }
    mean[3] *= cfg.enlarge_bbox_occ;
    for v in &mut mean[4..8] {
        *v *= cfg.dampen_motion_occ;
    }
}

/// The boxes a new detection is checked against (`active_stack`): float32 until the first new
/// track of the frame, float64 from then on.
#[derive(Debug, Clone)]
pub enum ActiveStack {
    F32(Vec<Xyxy>),
    F64(Vec<[f64; 4]>),
}

impl ActiveStack {
    /// Whether `det`'s IoU with some box reaches `thresh` (`ioa(..., iou=True).max() >= thresh`,
    /// in the stack's precision; never with an empty stack or a NaN IoU).
    pub fn suppresses(&self, det: &Xyxy, thresh: f64) -> bool {
        match self {
            ActiveStack::F32(v) => {
                nan_max(v.iter().map(|b| iou(det, b))).is_some_and(|m| m >= thresh as f32)
            }
            ActiveStack::F64(v) => {
                let d = det.map(f64::from);
                nan_max(v.iter().map(|b| iou64(&d, b))).is_some_and(|m| m >= thresh)
            }
        }
    }

    /// Append a new track's float64 box (the stack becomes float64).
    pub fn push(&mut self, b: [f64; 4]) {
        if let ActiveStack::F32(v) = self {
            *self = ActiveStack::F64(v.iter().map(|x| x.map(f64::from)).collect());
        }
        if let ActiveStack::F64(v) = self {
            v.push(b);
        }
    }
}

/// A FastTrack tracker: ByteTrack's state plus each track's occlusion bookkeeping (by ID).
#[derive(Debug, Clone)]
pub struct FastTracker {
    pub inner: ByteTracker,
    pub fast: FastConfig,
    occ: HashMap<u64, Occlusion>,
}

impl FastTracker {
    pub fn new(cfg: TrackerConfig, fast: FastConfig) -> Self {
        FastTracker {
            inner: ByteTracker::new(cfg),
            fast,
            occ: HashMap::new(),
        }
    }

    /// `reset`: no tracks, frame 0, IDs restart at 1.
    pub fn reset(&mut self) {
        self.inner.reset();
        self.occ.clear();
    }

    /// The occlusion bookkeeping of a track (tracked or lost) by ID.
    pub fn occlusion(&self, track_id: u64) -> Option<&Occlusion> {
        self.occ.get(&track_id)
    }

    /// FastTrack's `_apply_match` after ByteTrack's: history push (and, for a re-activated track,
    /// `re_activate`'s reset of the occlusion state), occlusion state cleared.
    fn after_match(&mut self, s: Slot, reactivated: bool) {
        let cap = self.fast.history_len();
        let t = self.inner.track(s);
        let o = self.occ.entry(t.track_id).or_default();
        if reactivated {
            o.was_recently_occluded = false;
            o.last_occluded_frame = -1;
        }
        o.push(t, cap);
        o.is_occluded = false;
        o.not_matched = 0;
        o.occluded_len = 0;
    }

    /// One frame. `dets` rows are `[x1, y1, x2, y2, conf, cls]` (float32, finite). Returns
    /// `[x1, y1, x2, y2, id, score, cls, idx]` for every confirmed track updated this frame.
    pub fn update(&mut self, dets: &[[f32; 6]]) -> Vec<[f32; 8]> {
        let FrameStart {
            high,
            low,
            unconfirmed,
            pool,
        } = self.inner.begin_frame(dets);
        let frame_id = self.inner.frame_id;
        let cfg = self.inner.cfg;
        let kind = cfg.kind;
        let cap = self.fast.history_len();

        let mut activated: Vec<Slot> = Vec::new();
        let mut refind: Vec<Slot> = Vec::new();
        let mut lost_now: Vec<Slot> = Vec::new();
        let mut removed: Vec<u64> = Vec::new();
        let mut new_tracks: Vec<Track> = Vec::new();

        let a1 = self
            .inner
            .first_association(&pool, &high, &mut activated, &mut refind);
        for &(it, _) in &a1.matches {
            let s = pool[it];
            self.after_match(s, refind.contains(&s));
        }
        let (r_tracked, a2) = self.inner.second_association(
            &pool,
            &a1.unmatched_rows,
            &low,
            &mut activated,
            &mut refind,
        );
        for &(it, _) in &a2.matches {
            let s = r_tracked[it];
            self.after_match(s, refind.contains(&s));
        }
        self.handle_occlusions(&r_tracked, &a2.unmatched_rows, &activated, &mut lost_now);

        let rest: Vec<&Det> = a1.unmatched_cols.iter().map(|&i| &high[i]).collect();
        let a3 =
            self.inner
                .unconfirmed_association(&unconfirmed, &rest, &mut activated, &mut removed);
        for &(it, _) in &a3.matches {
            let t = self.inner.track(unconfirmed[it]);
            self.occ.entry(t.track_id).or_default().push(t, cap);
        }

        // New tracks, suppressed over active boxes.
        let mut stack = ActiveStack::F32(
            activated
                .iter()
                .chain(refind.iter())
                .map(|&s| self.inner.track(s))
                .filter(|t| t.is_activated)
                .chain(
                    self.inner
                        .pool
                        .tracked
                        .iter()
                        .filter(|t| t.state == TrackState::Tracked),
                )
                .map(|t| t.xyxy(kind))
                .collect(),
        );
        let suppress_on = self.fast.init_iou_suppress < 1.0;
        for &i in &a3.unmatched_cols {
            let det = rest[i];
            if det.score < cfg.new_track_thresh {
                continue;
            }
            if suppress_on && stack.suppresses(&det.xyxy(), self.fast.init_iou_suppress) {
                continue;
            }
            let id = self.inner.new_id();
            let t = Track::activate(det, kind, id, frame_id);
            stack.push(t.xyxy64(kind));
            let mut o = Occlusion::default();
            o.push(&t, cap);
            self.occ.insert(id, o);
            new_tracks.push(t);
        }

        // Stale lost tracks, with the grace window of recently occluded ones.
        let window = self.fast.occ_reappear_window as i64;
        for t in &mut self.inner.pool.lost {
            let recently = self.occ.get(&t.track_id).is_some_and(|o| {
                o.was_recently_occluded && frame_id as i64 - o.last_occluded_frame <= window
            });
            if !recently && frame_id.saturating_sub(t.frame_id) > cfg.max_time_lost {
                t.state = TrackState::Removed;
                removed.push(t.track_id);
            }
        }

        self.inner
            .pool
            .merge(&activated, &refind, &lost_now, removed, new_tracks, kind);
        let live: HashSet<u64> = self
            .inner
            .pool
            .tracked
            .iter()
            .chain(self.inner.pool.lost.iter())
            .map(|t| t.track_id)
            .collect();
        self.occ.retain(|id, _| live.contains(id));

        self.inner
            .pool
            .tracked
            .iter()
            .filter(|t| t.is_activated && t.frame_id == frame_id)
            .map(|t| t.result(kind))
            .collect()
    }

    /// `_handle_occlusions`: the tracks `r_tracked[u_track]` stayed unmatched; `activated` are the
    /// tracks updated so far this frame (the possible occluders).
    fn handle_occlusions(
        &mut self,
        r_tracked: &[Slot],
        u_track: &[usize],
        activated: &[Slot],
        lost_now: &mut Vec<Slot>,
    ) {
        if u_track.is_empty() {
            return;
        }
        let kind = self.inner.cfg.kind;
        let frame_id = self.inner.frame_id as i64;
        let fast = self.fast;
        let active: Vec<(Xyxy, u64)> = activated
            .iter()
            .map(|&s| self.inner.track(s))
            .filter(|t| t.is_activated && !self.occ.get(&t.track_id).is_some_and(|o| o.is_occluded))
            .map(|t| (t.xyxy(kind), t.track_id))
            .collect();
        let unmatched: Vec<Slot> = u_track.iter().map(|&i| r_tracked[i]).collect();
        let boxes: Vec<(Xyxy, u64)> = unmatched
            .iter()
            .map(|&s| {
                let t = self.inner.track(s);
                (t.xyxy(kind), t.track_id)
            })
            .collect();
        let cover = max_cover(&active, &boxes);
        let thresh = fast.occ_cover_thresh as f32;

        for (&s, &c) in unmatched.iter().zip(&cover) {
            let t = self.inner.track_mut(s);
            let o = self.occ.entry(t.track_id).or_default();
            o.not_matched += 1;
            if c > thresh && !o.is_occluded && t.state == TrackState::Tracked {
                o.is_occluded = true;
                o.occluded_len = 1;
                o.last_occluded_frame = frame_id;
                o.was_recently_occluded = true;
                roll_back(&mut t.mean, &mut t.cov, &o.history, &fast);
            } else if o.is_occluded {
                o.occluded_len += 1;
            }
            if o.was_recently_occluded
                && frame_id - o.last_occluded_frame > fast.occ_reappear_window as i64
            {
                o.was_recently_occluded = false;
            }
            if o.not_matched > 2
                && (!o.is_occluded || o.occluded_len > fast.active_occ_to_lost_thresh)
            {
                t.state = TrackState::Lost;
                lost_now.push(s);
            }
        }
    }
}

impl MultiTracker for FastTracker {
    fn update(&mut self, dets: &[[f32; 6]], _extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        FastTracker::update(self, dets)
    }
    fn reset(&mut self) {
        FastTracker::reset(self);
    }
    fn frame_id(&self) -> u64 {
        self.inner.frame_id
    }
    fn next_id(&self) -> u64 {
        self.inner.next_id()
    }
    fn has_unconfirmed(&self) -> bool {
        self.inner.has_unconfirmed()
    }
    fn summaries(&self) -> Vec<TrackSummary> {
        self.inner.track_summaries()
    }
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        self.inner.cfg.high_indices(dets)
    }
    fn uses_warp(&self) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kalman::KalmanKind;

    /// The shipped `fasttrack.yaml` values.
    fn configs() -> (TrackerConfig, FastConfig) {
        (
            TrackerConfig {
                track_high_thresh: 0.25,
                track_low_thresh: 0.1,
                new_track_thresh: 0.25,
                match_thresh: 0.8,
                fuse_score: true,
                max_time_lost: 30,
                kind: KalmanKind::Xyah,
            },
            FastConfig {
                reset_velocity_offset_occ: 5,
                reset_pos_offset_occ: 3,
                enlarge_bbox_occ: 1.1,
                dampen_motion_occ: 0.5,
                active_occ_to_lost_thresh: 10,
                init_iou_suppress: 0.7,
                occ_cover_thresh: 0.7,
                occ_reappear_window: 40,
            },
        )
    }

    fn tracker() -> FastTracker {
        let (c, f) = configs();
        FastTracker::new(c, f)
    }

    fn row(x: f32, y: f32, w: f32, h: f32, s: f32) -> [f32; 6] {
        [x, y, x + w, y + h, s, 0.0]
    }

    fn hist(n: usize) -> VecDeque<(Mean, Cov)> {
        (0..n)
            .map(|k| {
                let v = k as f64;
                let mut c = [[0.0; 8]; 8];
                c[0][0] = 100.0 + v;
                ([v, v + 0.5, 0.4, 50.0 + v, v, -v, 0.01, 2.0 * v], c)
            })
            .collect()
    }

    #[test]
    fn roll_back_takes_velocity_and_position_from_history() {
        let (_, f) = configs();
        let h = hist(7);
        let mut mean: Mean = [9.0, 9.0, 0.5, 80.0, 3.0, 3.0, 0.1, 1.0];
        let mut cov: Cov = [[1.0; 8]; 8];
        roll_back(&mut mean, &mut cov, &h, &f);
        // Velocity of hist[-5] (entry 2), position and covariance of hist[-3] (entry 4).
        assert_eq!(&mean[..3], &[4.0, 4.5, 0.4]);
        assert_eq!(mean[3], 54.0 * 1.1);
        assert_eq!(&mean[4..], &[1.0, -1.0, 0.005, 2.0]);
        assert_eq!(cov, h[4].1);
    }

    #[test]
    fn roll_back_with_a_short_or_empty_history() {
        let (_, f) = configs();
        let start: Mean = [9.0, 9.0, 0.5, 80.0, 3.0, 3.0, 0.1, 1.0];
        // Four entries: no velocity reset, position from hist[-3].
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &hist(4), &f);
        assert_eq!(&mean[..4], &[1.0, 1.5, 0.4, 51.0 * 1.1]);
        assert_eq!(&mean[4..], &[1.5, 1.5, 0.05, 0.5]);
        // Two entries: only the enlargement and the dampening.
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &hist(2), &f);
        assert_eq!(mean[3], 80.0 * 1.1);
        assert_eq!(cov, [[1.0; 8]; 8]);
        // Empty: nothing at all.
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &VecDeque::new(), &f);
        assert_eq!(mean, start);
        // Offset 0 is `hist[-0]`, the oldest entry.
        let f0 = FastConfig {
            reset_velocity_offset_occ: 0,
            reset_pos_offset_occ: 0,
            ..f
        };
        let (mut mean, mut cov) = (start, [[1.0; 8]; 8]);
        roll_back(&mut mean, &mut cov, &hist(6), &f0);
        assert_eq!(&mean[..4], &[0.0, 0.5, 0.4, 50.0 * 1.1]);
    }

    #[test]
    fn cover_is_intersection_over_the_unmatched_area() {
        let active = [([0.0, 0.0, 10.0, 10.0], 1), ([0.0, 0.0, 100.0, 100.0], 2)];
        let unmatched = [([5.0, 0.0, 15.0, 10.0], 3), ([50.0, 50.0, 60.0, 60.0], 2)];
        let c = max_cover(&active, &unmatched);
        // Track 3: fully inside track 2's box; track 2 is not covered by itself, half by none.
        assert!((c[0] - 1.0).abs() < 1e-6, "{c:?}");
        assert_eq!(c[1], 0.0);
        assert_eq!(max_cover(&[], &unmatched), vec![0.0, 0.0]);
        assert!((ioa(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 15.0, 10.0]) - 0.5).abs() < 1e-6);
    }

    #[test]
    fn active_stack_turns_float64_with_the_first_new_track() {
        let mut s = ActiveStack::F32(vec![]);
        assert!(!s.suppresses(&[0.0, 0.0, 10.0, 10.0], 0.7));
        s.push([0.0, 0.0, 10.0, 10.0]);
        assert!(matches!(s, ActiveStack::F64(_)));
        assert!(s.suppresses(&[0.0, 0.0, 10.0, 11.0], 0.7));
        assert!(!s.suppresses(&[0.0, 0.0, 10.0, 20.0], 0.7));
        let s = ActiveStack::F32(vec![[0.0, 0.0, 10.0, 10.0]]);
        assert!(s.suppresses(&[0.0, 0.0, 10.0, 10.0], 1.0 - 1e-9));
    }

    #[test]
    fn overlapping_new_detections_start_one_track() {
        let mut t = tracker();
        let out = t.update(&[
            row(10.0, 10.0, 50.0, 100.0, 0.9),
            row(12.0, 10.0, 50.0, 100.0, 0.8),
            row(300.0, 10.0, 50.0, 100.0, 0.8),
        ]);
        let ids: Vec<f32> = out.iter().map(|r| r[4]).collect();
        assert_eq!(ids, vec![1.0, 2.0]);
        assert_eq!(out[1][7], 2.0);
        assert_eq!(t.next_id(), 3);
    }

    #[test]
    fn covered_track_is_kept_through_the_occlusion_and_refound() {
        let mut t = tracker();
        let small = |x: f32| row(x, 100.0, 40.0, 80.0, 0.9);
        let big = |x: f32| row(x, 80.0, 150.0, 150.0, 0.9);
        // Frames 1-8: both visible; the big box comes closer at 40 px a frame.
        for f in 0..8 {
            let out = t.update(&[small(400.0 + f as f32), big(10.0 + 40.0 * f as f32)]);
            assert_eq!(out.len(), 2);
        }
        // The big box now covers the small one, which is not detected for 6 frames.
        let mut last = Vec::new();
        for f in 8..14 {
            last = t.update(&[big(10.0 + 40.0 * f as f32)]);
            assert_eq!(last.len(), 1, "frame {f}");
        }
        let o = t.occlusion(1).expect("track 1 exists");
        assert!(o.was_recently_occluded && o.is_occluded, "{o:?}");
        assert!(o.not_matched > 2 && o.occluded_len > 2);
        // Still tracked (not lost) inside the grace period, and not returned.
        assert!(t.inner.pool.tracked.iter().any(|x| x.track_id == 1));
        assert!(last.iter().all(|r| r[4] != 1.0));
        // It reappears: same ID.
        let out = t.update(&[small(414.0), big(570.0)]);
        assert!(out.iter().any(|r| r[4] == 1.0 && r[7] == 0.0), "{out:?}");
        assert!(!t.occlusion(1).unwrap().is_occluded);
    }

    #[test]
    fn unmatched_track_goes_lost_after_three_frames_and_recent_occlusion_extends_its_life() {
        let (c, f) = configs();
        let mut t = FastTracker::new(
            TrackerConfig {
                max_time_lost: 2,
                ..c
            },
            f,
        );
        t.update(&[row(10.0, 10.0, 50.0, 100.0, 0.9)]);
        for _ in 0..2 {
            assert!(t.update(&[]).is_empty());
            assert_eq!(t.inner.pool.tracked.len(), 1);
        }
        t.update(&[]);
        assert_eq!(t.inner.pool.lost.len(), 1);
        for _ in 0..3 {
            t.update(&[]);
        }
        assert!(t.inner.pool.lost.is_empty() && t.occ.is_empty());
        t.reset();
        assert_eq!(t.update(&[row(0.0, 0.0, 10.0, 10.0, 0.9)])[0][4], 1.0);
    }

    #[test]
    fn config_validation_names_the_setting() {
        let (_, f) = configs();
        assert!(f.validate().is_ok());
        assert_eq!(f.history_len(), 9);
        let bad = FastConfig {
            occ_cover_thresh: 1.5,
            ..f
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "occ_cover_thresh must be a number in [0, 1], got 1.5"
        );
        let bad = FastConfig {
            enlarge_bbox_occ: 0.0,
            ..f
        };
        assert_eq!(bad.validate().unwrap_err().name, "enlarge_bbox_occ");
    }
}
