//! TrackTrack's track lists: index lists over one arena (a track may sit in two lists, as the
//! original's shared objects), merged as `merge_track_pools`.

use std::collections::HashSet;

use super::track::TtTrack;
use crate::iou::Xyxy;
use crate::track::{duplicate_drops, retain_kept, TrackState};
use crate::track_pool::RemovedIds;

/// The tracks (an arena; `tracked` and `lost` index it in the original's list order) and the
/// removed-ID buffer.
#[derive(Debug, Clone, Default)]
pub(super) struct TtPool {
    pub arena: Vec<TtTrack>,
    pub tracked: Vec<usize>,
    pub lost: Vec<usize>,
    pub removed: RemovedIds,
}

impl TtPool {
    /// `merge_track_pools`, then drop the tracks no list holds any more.
    pub(super) fn merge(
        &mut self,
        activated: &[usize],
        refind: &[usize],
        lost_now: &[usize],
        removed: &[usize],
    ) {
        let arena = &self.arena;
        let mut tracked: Vec<usize> = self
            .tracked
            .iter()
            .copied()
            .filter(|&t| arena[t].state == TrackState::Tracked)
            .collect();
        joint(&mut tracked, activated, arena);
        joint(&mut tracked, refind, arena);
        let tids: HashSet<u64> = tracked.iter().map(|&t| arena[t].track_id).collect();
        let mut lost: Vec<usize> = self
            .lost
            .iter()
            .copied()
            .filter(|&t| !tids.contains(&arena[t].track_id))
            .collect();
        lost.extend_from_slice(lost_now);
        lost.retain(|&t| !self.removed.contains(arena[t].track_id));

        // remove_duplicate_stracks(tracked, lost).
        let ba: Vec<Xyxy> = tracked.iter().map(|&t| arena[t].xyxy()).collect();
        let bb: Vec<Xyxy> = lost.iter().map(|&t| arena[t].xyxy()).collect();
        let age = |&t: &usize| arena[t].frame_id as i64 - arena[t].start_frame as i64;
        let age_a: Vec<i64> = tracked.iter().map(age).collect();
        let age_b: Vec<i64> = lost.iter().map(age).collect();
        let (drop_a, drop_b) = duplicate_drops(&ba, &age_a, &bb, &age_b);
        retain_kept(&mut tracked, &drop_a);
        retain_kept(&mut lost, &drop_b);
        self.removed
            .extend(removed.iter().map(|&t| arena[t].track_id));

        // Compact the arena to the tracks still listed.
        let mut remap: Vec<Option<usize>> = vec![None; self.arena.len()];
        let mut arena: Vec<TtTrack> = Vec::new();
        let old = std::mem::take(&mut self.arena);
        let mut old: Vec<Option<TtTrack>> = old.into_iter().map(Some).collect();
        let mut map = |t: usize| -> usize {
            if let Some(n) = remap[t] {
                return n;
            }
            arena.push(old[t].take().expect("each track moved once"));
            remap[t] = Some(arena.len() - 1);
            arena.len() - 1
        };
        self.tracked = tracked.into_iter().map(&mut map).collect();
        self.lost = lost.into_iter().map(&mut map).collect();
        self.arena = arena;
    }
}

/// `joint_stracks(a, b)` in place: `b`'s tracks whose ID `a` lacks, appended in order.
pub(super) fn joint(a: &mut Vec<usize>, b: &[usize], arena: &[TtTrack]) {
    let ids: HashSet<u64> = a.iter().map(|&t| arena[t].track_id).collect();
    a.extend(
        b.iter()
            .copied()
            .filter(|&t| !ids.contains(&arena[t].track_id)),
    );
}
