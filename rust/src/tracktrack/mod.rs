//! TrackTrack (`TRACKTRACK` of Ultralytics 8.4.190, "Focusing on Tracks for Online Multi-Object
//! Tracking"): track-perspective association and track-aware initialisation.
//!
//! Per frame: detections split into high (`>= track_high_thresh`), low (`track_low_thresh < s <
//! track_high_thresh`) and recovered (the frame's NMS-removed detections with `conf >
//! track_high_thresh`); the tracked + lost pool is warped by the camera motion, then predicted
//! (XYWH filter); one iterative assignment (mutually nearest pairs under a threshold that shrinks
//! by `reduce_step` each round) matches the pool against all detections on a multi-cue cost
//! (HMIoU, cosine ReID, confidence, corner angle; `penalty_p` / `penalty_q` on low / recovered
//! detections); unconfirmed tracks then take the remaining high detections, an optional relaxed
//! pass rebinds still-lost tracks, and the rest start tracks after a track-aware NMS (TAI).
//!
//! Number formats follow the original's numpy code step by step: costs are float32; Kalman
//! states are float64 with NSA-Kalman's confidence-scaled measurement noise; a track's box
//! history holds float64 boxes (from the state) and float32 boxes (from detections), and the angle
//! cost and corner velocities are computed in float64 when a box involved is float64, in float32
//! otherwise (numpy's promotion). Track lists are index lists over one arena so that, as with the
//! original's shared Python objects, a track may sit in several lists at once.
//!
//! One module per concept: `config` (settings), `track` (one `TTSTrack` and a frame's
//! detections), `assign` (HMIoU, iterative assignment, track-aware NMS), `cost` (the multi-cue
//! cost), `tracker` (the per-frame update), `pool` (the track lists' merge).

mod assign;
mod config;
mod cost;
mod pool;
mod track;
mod tracker;

pub use assign::{hmiou_distance, iterative_associate, track_aware_nms, Association};
pub use config::TrackTrackConfig;
pub use track::{HistBox, TtDet, TtTrack};
pub use tracker::TrackTrack;
