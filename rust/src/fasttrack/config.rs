//! FastTrack's settings (`fasttrack.yaml`, beyond ByteTrack's).

use std::fmt;

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

/// The shipped `fasttrack.yaml` values, for the tests of this folder.
#[cfg(test)]
pub(super) fn configs() -> (crate::bytetrack::TrackerConfig, FastConfig) {
    use crate::bytetrack::TrackerConfig;
    use crate::kalman::KalmanKind;
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

#[cfg(test)]
mod tests {
    use super::*;

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
