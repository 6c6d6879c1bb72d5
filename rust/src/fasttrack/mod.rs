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
//!
//! One module per concept: `config` (the settings beyond ByteTrack's), `occlusion` (a track's
//! occlusion bookkeeping, coverage, the Kalman roll-back, new-track suppression), `tracker` (the
//! frame).

mod config;
mod occlusion;
mod tracker;

pub use config::{FastConfig, FastConfigError};
pub use occlusion::{ioa, iou64, max_cover, roll_back, ActiveStack, Occlusion};
pub use tracker::FastTracker;
