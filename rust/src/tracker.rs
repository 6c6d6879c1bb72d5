//! What every tracker offers the binding: one frame in, the activated tracks out, plus the state
//! the Python facade shows (`tracked_stracks`, `lost_stracks`, `frame_id`, ...).
//!
//! A tracker lives in its own file (`bytetrack.rs`, `botsort.rs`, ...) and implements
//! [`MultiTracker`], or [`WrapsTracker`] when it is built around another tracker;
//! `py/tracker.rs` only converts arguments and picks the variant.

/// A 2x3 affine camera-motion warp between the previous and the current frame.
pub type Warp = [[f64; 3]; 2];

/// Per-detection appearance embeddings: `data` is row-major `(n, dim)` float32, one row per
/// detection row of the frame.
#[derive(Debug, Clone, Copy)]
pub struct Feats<'a> {
    pub data: &'a [f32],
    pub dim: usize,
}

impl<'a> Feats<'a> {
    /// Row `i` (the embedding of detection `i`).
    pub fn row(&self, i: usize) -> &'a [f32] {
        &self.data[i * self.dim..(i + 1) * self.dim]
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.data.len().checked_div(self.dim).unwrap_or(0)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What a frame brings besides its detections.
#[derive(Debug, Clone, Copy, Default)]
pub struct FrameExtras<'a> {
    /// Camera motion between the previous and this frame (trackers with GMC).
    pub warp: Option<&'a Warp>,
    /// ReID embeddings of the detections (trackers with `with_reid`).
    pub feats: Option<Feats<'a>>,
    /// Detections a looser NMS kept that the frame's NMS removed (TrackTrack),
    /// rows `[x1, y1, x2, y2, conf, cls]`.
    pub dets_del: Option<&'a [[f32; 6]]>,
}

/// A read-only summary of one track, in the facade's tuple order.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TrackSummary {
    pub track_id: u64,
    /// 1 tracked, 2 lost, 3 removed this frame (still in the lost list for one frame).
    pub state: u8,
    pub is_activated: bool,
    pub frame_id: u64,
    pub start_frame: u64,
    pub score: f32,
    pub cls: f32,
    pub idx: usize,
}

/// A multi-object tracker.
pub trait MultiTracker {
    /// One frame. `dets` rows are `[x1, y1, x2, y2, conf, cls]` (float32, finite). Returns
    /// `[x1, y1, x2, y2, id, score, cls, idx]` for every track the original returns.
    fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]>;
    /// Forget all tracks; frame 0; IDs restart at 1.
    fn reset(&mut self);
    fn frame_id(&self) -> u64;
    /// The ID the next new track gets.
    fn next_id(&self) -> u64;
    /// True when some tracked track is not yet confirmed (the original then hides an empty
    /// frame's detections).
    fn has_unconfirmed(&self) -> bool;
    /// The tracked then the lost tracks, in the original's list order.
    fn summaries(&self) -> Vec<TrackSummary>;
    /// Rows of `dets` the camera-motion estimate leaves out (the high detections), in order.
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize>;
    /// Whether this tracker uses a camera-motion warp.
    fn uses_warp(&self) -> bool;
}

/// A tracker built around another one (BoT-SORT and FastTrack around ByteTrack, Deep OC-SORT
/// around OC-SORT): the frame step is its own, the state the facade reads (frame, IDs, summaries,
/// high detections) is the inner tracker's. Implementing this gives [`MultiTracker`] through the
/// forwarding implementation below; trackers with their own state implement [`MultiTracker`].
pub trait WrapsTracker {
    type Inner: MultiTracker;
    fn inner(&self) -> &Self::Inner;
    fn inner_mut(&mut self) -> &mut Self::Inner;
    /// One frame, as [`MultiTracker::update`].
    fn step(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]>;
    /// [`MultiTracker::reset`]: the inner tracker's, unless the wrapper keeps state of its own.
    fn clear(&mut self) {
        self.inner_mut().reset();
    }
    /// [`MultiTracker::uses_warp`]: the inner tracker's unless the wrapper says otherwise.
    fn needs_warp(&self) -> bool {
        self.inner().uses_warp()
    }
}

impl<T: WrapsTracker> MultiTracker for T {
    fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        self.step(dets, extras)
    }
    fn reset(&mut self) {
        self.clear();
    }
    fn frame_id(&self) -> u64 {
        self.inner().frame_id()
    }
    fn next_id(&self) -> u64 {
        self.inner().next_id()
    }
    fn has_unconfirmed(&self) -> bool {
        self.inner().has_unconfirmed()
    }
    fn summaries(&self) -> Vec<TrackSummary> {
        self.inner().summaries()
    }
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        self.inner().high_indices(dets)
    }
    fn uses_warp(&self) -> bool {
        self.needs_warp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn feats_rows() {
        let data = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0];
        let f = Feats {
            data: &data,
            dim: 3,
        };
        assert_eq!(f.len(), 2);
        assert_eq!(f.row(1), &[4.0, 5.0, 6.0]);
        let e = Feats { data: &[], dim: 0 };
        assert!(e.is_empty());
    }

    /// A stand-in tracker: counts frames, one new ID per detection, one tracked track per ID.
    #[derive(Default)]
    struct Counter {
        frame: u64,
        ids: u64,
    }

    impl MultiTracker for Counter {
        fn update(&mut self, dets: &[[f32; 6]], _: &FrameExtras<'_>) -> Vec<[f32; 8]> {
            self.frame += 1;
            self.ids += dets.len() as u64;
            Vec::new()
        }
        fn reset(&mut self) {
            *self = Counter::default();
        }
        fn frame_id(&self) -> u64 {
            self.frame
        }
        fn next_id(&self) -> u64 {
            self.ids + 1
        }
        fn has_unconfirmed(&self) -> bool {
            self.ids % 2 == 1
        }
        fn summaries(&self) -> Vec<TrackSummary> {
            (1..=self.ids)
                .map(|id| TrackSummary {
                    track_id: id,
                    state: 1,
                    is_activated: true,
                    frame_id: self.frame,
                    start_frame: id,
                    score: 0.5,
                    cls: 0.0,
                    idx: 0,
                })
                .collect()
        }
        fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
            (0..dets.len()).filter(|&i| dets[i][4] >= 0.5).collect()
        }
        fn uses_warp(&self) -> bool {
            false
        }
    }

    /// Wraps a [`Counter`]; its own step adds every detection twice and counts its resets.
    #[derive(Default)]
    struct Twice {
        inner: Counter,
        resets: u32,
    }

    impl WrapsTracker for Twice {
        type Inner = Counter;
        fn inner(&self) -> &Counter {
            &self.inner
        }
        fn inner_mut(&mut self) -> &mut Counter {
            &mut self.inner
        }
        fn step(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
            let both: Vec<[f32; 6]> = dets.iter().chain(dets).copied().collect();
            self.inner.update(&both, extras)
        }
        fn clear(&mut self) {
            self.inner.reset();
            self.resets += 1;
        }
        fn needs_warp(&self) -> bool {
            true
        }
    }

    #[test]
    fn wrapper_forwards_state_to_inner() {
        let dets = [
            [0.0, 0.0, 1.0, 1.0, 0.9, 0.0],
            [0.0, 0.0, 1.0, 1.0, 0.2, 0.0],
        ];
        let mut t = Twice::default();
        let m: &mut dyn MultiTracker = &mut t;
        m.update(&dets, &FrameExtras::default());
        m.update(&dets[..1], &FrameExtras::default());
        assert_eq!(m.frame_id(), 2);
        assert_eq!(m.next_id(), 7);
        assert!(!m.has_unconfirmed());
        let ids: Vec<u64> = m.summaries().iter().map(|s| s.track_id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 6]);
        assert_eq!(m.high_indices(&dets), vec![0]);
        assert!(m.uses_warp());
        m.reset();
        assert_eq!((m.frame_id(), m.next_id()), (0, 1));
        assert_eq!(t.resets, 1);
    }
}
