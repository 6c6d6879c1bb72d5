//! What every tracker offers the binding: one frame in, the activated tracks out, plus the state
//! the Python facade shows (`tracked_stracks`, `lost_stracks`, `frame_id`, ...).
//!
//! A tracker lives in its own file (`bytetrack.rs`, `botsort.rs`, ...) and implements
//! [`MultiTracker`]; `py/tracker.rs` only converts arguments and picks the variant.

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
}
