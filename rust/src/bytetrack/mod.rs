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
//!
//! One module per concept: `config` (settings, the high/low split, BoT-SORT's appearance gate),
//! `stages` (the frame's opening and its association stages, which FastTrack and BoT-SORT reuse),
//! `tracker` (the state and the frame). The track lists live in the shared
//! [`TrackPool`](crate::track_pool::TrackPool).

mod config;
mod stages;
mod tracker;

pub(crate) use crate::track_pool::Slot;
/// The warp's home is `tracker.rs`; this path stays for the binding.
pub use config::{ConfigError, ReidGate, Tier, TrackerConfig, BOTRACK_ALPHA};
pub use tracker::ByteTracker;
pub(crate) use tracker::FrameStart;
