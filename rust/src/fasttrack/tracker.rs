//! The FastTrack tracker: ByteTrack's stages with occlusion handling (see the module doc of
//! `fasttrack`).

use std::collections::{HashMap, HashSet};

use super::config::FastConfig;
use super::occlusion::{max_cover, roll_back, ActiveStack, Occlusion};
use crate::bytetrack::{ByteTracker, FrameStart, Slot, TrackerConfig};
use crate::iou::Xyxy;
use crate::track::{Det, Track, TrackState};
use crate::tracker::{FrameExtras, WrapsTracker};

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

impl WrapsTracker for FastTracker {
    type Inner = ByteTracker;
    fn inner(&self) -> &ByteTracker {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut ByteTracker {
        &mut self.inner
    }
    fn step(&mut self, dets: &[[f32; 6]], _extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        FastTracker::update(self, dets)
    }
    /// Also forgets the occlusion bookkeeping.
    fn clear(&mut self) {
        FastTracker::reset(self);
    }
}

#[cfg(test)]
mod tests {
    use super::super::config::configs;
    use super::*;
    use crate::tracker::MultiTracker;

    fn tracker() -> FastTracker {
        let (c, f) = configs();
        FastTracker::new(c, f)
    }

    fn row(x: f32, y: f32, w: f32, h: f32, s: f32) -> [f32; 6] {
        [x, y, x + w, y + h, s, 0.0]
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
}
