//! OC-SORT (`OCSORT` of Ultralytics 8.4.190), also the engine of Deep OC-SORT (`deepocsort.rs`).
//!
//! ByteTrack's frame (`bytetrack.rs`: high/low split, XYAH Kalman prediction of tracked + lost
//! tracks, unconfirmed association, new tracks, stale lost tracks, pool merge) with the
//! original's observation-centric pieces:
//! - every track keeps its real detector observations (xyxy, float32) of the last `delta_t + 2`
//!   frames and an observation-centric velocity direction (`velocity`, float32 unit vector from
//!   the observation `delta_t` frames back, or the earliest one kept);
//! - **OCM**: the first association's cost is `fuse_score(1 - IoU) + inertia * angle / pi`, the
//!   angle between a track's velocity and the direction from its last observation to each
//!   detection (`velocity_direction_cost`), also used for unconfirmed tracks;
//! - **OCR**: detections left after the first association are matched by IoU with the tracks'
//!   last observations, still-tracked tracks first, then lost ones;
//! - **ORU**: a lost track found again by OCR first replays its Kalman filter from its last
//!   observation over virtual observations interpolated to the new one (`apply_oru`);
//! - the ByteTrack low-score pass only with `use_byte`.
//!
//! Number formats as the original: observations, centres and the OCM cost are float32 (numpy
//! float32 arithmetic, no fused multiply-add), the Kalman state float64, and the ORU replay uses
//! the single-track `KalmanFilterXYAH.predict` ([`KalmanKind::predict_single`](crate::kalman::KalmanKind::predict_single)).
//!
//! One module per concept: `motion` (velocity direction, OCM cost, ORU replay), `track` (a
//! detection and a track with its observations), `associate` (the association steps: cost,
//! matched-track updates, OCR), `tracker` (settings, state and the frame).

mod associate;
mod motion;
mod track;
mod tracker;

pub use motion::{oru_replay, velocity_direction, velocity_direction_cost};
pub use track::{OcDet, OcTrack};
pub use tracker::{OcSort, OcSortConfig};
