//! The track pool every tracker shares: the tracked and lost lists in Ultralytics' order, the
//! track IDs, the summaries the facade shows, and `merge_track_pools` with its removed-ID buffer.
//!
//! A tracker file holds only its association step: it predicts and matches the pool's tracks
//! (addressed by [`Slot`] during a frame), then hands the frame's outcome to
//! [`TrackPool::merge`]. TrackTrack keeps its tracks in an arena (a track may sit in two lists)
//! and uses [`RemovedIds`] and [`summary`] from here.

use std::collections::{HashMap, VecDeque};

use crate::iou::Xyxy;
use crate::kalman::KalmanKind;
use crate::track::{duplicate_drops, retain_kept, Track, TrackState, REMOVED_BUFFER};
use crate::tracker::TrackSummary;

/// A pool's track: a [`Track`] (Kalman state, ID, lifecycle), possibly with tracker-specific
/// state around it (OC-SORT's observations).
pub trait PoolTrack: Clone {
    fn core(&self) -> &Track;
    fn core_mut(&mut self) -> &mut Track;
}

impl PoolTrack for Track {
    fn core(&self) -> &Track {
        self
    }
    fn core_mut(&mut self) -> &mut Track {
        self
    }
}

/// One track's summary in the facade's tuple order; `idx` below 0 (a recovered detection) reads 0.
#[allow(clippy::too_many_arguments)]
pub fn summary(
    track_id: u64,
    state: TrackState,
    is_activated: bool,
    frame_id: u64,
    start_frame: u64,
    score: f32,
    cls: f32,
    idx: i64,
) -> TrackSummary {
    TrackSummary {
        track_id,
        state: state as u8,
        is_activated,
        frame_id,
        start_frame,
        score,
        cls,
        idx: idx.max(0) as usize,
    }
}

/// The summary of a [`Track`].
pub fn track_summary(t: &Track) -> TrackSummary {
    summary(
        t.track_id,
        t.state,
        t.is_activated,
        t.frame_id,
        t.start_frame,
        t.score,
        t.cls,
        t.idx as i64,
    )
}

/// `removed_stracks` as IDs: the last [`REMOVED_BUFFER`] removals (repeats included), with how
/// often each ID is in it.
#[derive(Debug, Clone, Default)]
pub struct RemovedIds {
    ids: VecDeque<u64>,
    count: HashMap<u64, u32>,
}

impl RemovedIds {
    pub fn new() -> Self {
        RemovedIds::default()
    }

    pub fn clear(&mut self) {
        self.ids.clear();
        self.count.clear();
    }

    /// Whether `id` is among the remembered removals.
    pub fn contains(&self, id: u64) -> bool {
        self.count.contains_key(&id)
    }

    /// `removed_stracks.extend(ids)`, keeping the last [`REMOVED_BUFFER`].
    pub fn extend(&mut self, ids: impl IntoIterator<Item = u64>) {
        for id in ids {
            self.ids.push_back(id);
            *self.count.entry(id).or_insert(0) += 1;
        }
        while self.ids.len() > REMOVED_BUFFER {
            if let Some(id) = self.ids.pop_front() {
                if let Some(c) = self.count.get_mut(&id) {
                    *c -= 1;
                    if *c == 0 {
                        self.count.remove(&id);
                    }
                }
            }
        }
    }

    pub fn len(&self) -> usize {
        self.ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ids.is_empty()
    }
}

/// Where a track of the pool lives while a frame is processed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slot {
    Tracked(usize),
    Lost(usize),
}

/// The tracked and lost lists (Ultralytics' order), the next ID and the removed-ID buffer.
#[derive(Debug, Clone)]
pub struct TrackPool<T> {
    pub tracked: Vec<T>,
    /// Lost tracks as the original lists them: a track removed this frame stays until the next.
    pub lost: Vec<T>,
    pub removed: RemovedIds,
    next_id: u64,
    // Scratch buffers reused across frames.
    buf_a: Vec<Xyxy>,
    buf_b: Vec<Xyxy>,
}

impl<T: PoolTrack> Default for TrackPool<T> {
    fn default() -> Self {
        TrackPool::new()
    }
}

impl<T: PoolTrack> TrackPool<T> {
    pub fn new() -> Self {
        TrackPool {
            tracked: Vec::new(),
            lost: Vec::new(),
            removed: RemovedIds::new(),
            next_id: 1,
            buf_a: Vec::new(),
            buf_b: Vec::new(),
        }
    }

    /// No tracks; IDs restart at 1.
    pub fn reset(&mut self) {
        self.tracked.clear();
        self.lost.clear();
        self.removed.clear();
        self.next_id = 1;
    }

    /// The ID the next new track will get.
    pub fn next_id(&self) -> u64 {
        self.next_id
    }

    /// A fresh track ID.
    pub fn new_id(&mut self) -> u64 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    pub fn track(&self, s: Slot) -> &T {
        match s {
            Slot::Tracked(i) => &self.tracked[i],
            Slot::Lost(i) => &self.lost[i],
        }
    }

    pub fn track_mut(&mut self, s: Slot) -> &mut T {
        match s {
            Slot::Tracked(i) => &mut self.tracked[i],
            Slot::Lost(i) => &mut self.lost[i],
        }
    }

    /// True when a tracked track is not yet confirmed (`not t.is_activated`).
    pub fn has_unconfirmed(&self) -> bool {
        self.tracked.iter().any(|t| !t.core().is_activated)
    }

    /// Summaries of the tracked then the lost tracks.
    pub fn summaries(&self) -> Vec<TrackSummary> {
        self.tracked
            .iter()
            .chain(self.lost.iter())
            .map(|t| track_summary(t.core()))
            .collect()
    }

    /// `merge_track_pools`: rebuild `tracked` and `lost` in Ultralytics' order from the frame's
    /// outcome (`activated`: existing tracked ones updated; `refind`: lost ones found again;
    /// `lost_now`: tracked ones lost this frame; `new_tracks` in creation order); `removed` are the
    /// IDs removed this frame, in order. Lost tracks are dropped by the IDs removed in earlier
    /// frames only: a track removed now stays in `lost` (as removed) for one more frame, where the
    /// first association can still find it again. Tracked/lost duplicates (IoU distance < 0.15 on
    /// the `kind` boxes) go to the longer track.
    pub fn merge(
        &mut self,
        activated: &[Slot],
        refind: &[Slot],
        lost_now: &[Slot],
        removed: Vec<u64>,
        new_tracks: Vec<T>,
        kind: KalmanKind,
    ) {
        let old_tracked = std::mem::take(&mut self.tracked);
        let old_lost = std::mem::take(&mut self.lost);
        let take = |s: Slot| match s {
            Slot::Tracked(i) => old_tracked[i].clone(),
            Slot::Lost(i) => old_lost[i].clone(),
        };
        let id = |t: &T| t.core().track_id;
        let has = |v: &[T], tid: u64| v.iter().any(|x| id(x) == tid);
        // tracked = [t for t in tracked if Tracked]; joint(., activated); joint(., refind).
        let mut tracked: Vec<T> =
            Vec::with_capacity(old_tracked.len() + new_tracks.len() + refind.len());
        tracked.extend(
            old_tracked
                .iter()
                .filter(|t| t.core().state == TrackState::Tracked)
                .cloned(),
        );
        // `activated` (existing ones) are all already in `tracked` (same id): joint keeps them in
        // place. Lost tracks only enter through `refind`. New tracks are appended.
        for &s in activated {
            let t = take(s);
            if !has(&tracked, id(&t)) {
                tracked.push(t);
            }
        }
        for t in new_tracks {
            if !has(&tracked, id(&t)) {
                tracked.push(t);
            }
        }
        for &s in refind {
            let t = take(s);
            if !has(&tracked, id(&t)) {
                tracked.push(t);
            }
        }
        // lost = sub(lost, tracked); lost += lost_now; lost = sub(lost, removed).
        let lost_now: Vec<T> = lost_now.iter().map(|&s| take(s)).collect();
        let mut lost: Vec<T> = old_lost
            .iter()
            .filter(|t| !has(&tracked, id(t)))
            .cloned()
            .collect();
        lost.extend(lost_now);
        lost.retain(|t| !self.removed.contains(id(t)));

        // remove_duplicate_stracks(tracked, lost).
        self.buf_a.clear();
        self.buf_b.clear();
        self.buf_a
            .extend(tracked.iter().map(|t| t.core().xyxy(kind)));
        self.buf_b.extend(lost.iter().map(|t| t.core().xyxy(kind)));
        let age = |t: &T| t.core().frame_id as i64 - t.core().start_frame as i64;
        let age_a: Vec<i64> = tracked.iter().map(age).collect();
        let age_b: Vec<i64> = lost.iter().map(age).collect();
        let (drop_a, drop_b) = duplicate_drops(&self.buf_a, &age_a, &self.buf_b, &age_b);
        retain_kept(&mut tracked, &drop_a);
        retain_kept(&mut lost, &drop_b);
        self.tracked = tracked;
        self.lost = lost;

        self.removed.extend(removed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn removed_ids_keep_the_last_buffer_with_repeats() {
        let mut r = RemovedIds::new();
        r.extend([7, 7]);
        assert!(r.contains(7) && r.len() == 2);
        r.extend(100..100 + REMOVED_BUFFER as u64 - 1);
        // One 7 fell out of the buffer, the other is still in it.
        assert!(r.contains(7));
        assert_eq!(r.len(), REMOVED_BUFFER);
        r.extend([1]);
        assert!(!r.contains(7) && r.contains(1) && r.contains(100));
        r.clear();
        assert!(r.is_empty() && !r.contains(1));
    }

    #[test]
    fn ids_and_summaries() {
        let mut p: TrackPool<Track> = TrackPool::new();
        assert_eq!((p.new_id(), p.new_id(), p.next_id()), (1, 2, 3));
        let det = crate::track::Det::from_row(&[0.0, 0.0, 10.0, 20.0, 0.9, 3.0], 4);
        let t = Track::activate(&det, KalmanKind::Xyah, 2, 5);
        p.merge(&[], &[], &[], vec![9], vec![t], KalmanKind::Xyah);
        assert!(p.has_unconfirmed());
        let s = p.summaries();
        assert_eq!(s.len(), 1);
        assert_eq!(
            (
                s[0].track_id,
                s[0].state,
                s[0].is_activated,
                s[0].start_frame
            ),
            (2, 1, false, 5)
        );
        assert_eq!((s[0].score, s[0].cls, s[0].idx), (0.9, 3.0, 4));
        assert!(p.removed.contains(9));
        p.reset();
        assert!(p.summaries().is_empty() && p.removed.is_empty());
        assert_eq!(p.next_id(), 1);
    }
}
