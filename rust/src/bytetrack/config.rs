//! ByteTrack's settings (`bytetrack.yaml`), the high/low split of a frame's detections and
//! BoT-SORT's appearance gate.

use std::fmt;

use crate::kalman::KalmanKind;

/// Tracker settings (the keys of `bytetrack.yaml`; `max_time_lost` is derived from
/// `track_buffer` and the frame rate). There are no defaults here: the shipped YAML files hold them
/// and the caller passes a complete config.
#[derive(Debug, Clone, Copy)]
pub struct TrackerConfig {
    pub track_high_thresh: f32,
    pub track_low_thresh: f32,
    pub new_track_thresh: f32,
    pub match_thresh: f64,
    pub fuse_score: bool,
    pub max_time_lost: u64,
    pub kind: KalmanKind,
}

/// A threshold of [`TrackerConfig`] that is NaN or outside `[0, 1]`.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    pub name: &'static str,
    pub value: f64,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be a number in [0, 1], got {}",
            self.name, self.value
        )
    }
}

impl std::error::Error for ConfigError {}

/// Which association stage a detection enters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tier {
    /// `score >= track_high_thresh`: first association, unconfirmed tracks, new tracks (and the
    /// boxes BoT-SORT's camera-motion estimate masks out).
    High,
    /// `track_low_thresh < score < track_high_thresh`: second association only.
    Low,
    /// Below both thresholds, or a box without width or height (NaN included).
    Dropped,
}

impl TrackerConfig {
    /// `Err` naming the first threshold that is NaN or outside `[0, 1]`.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let unit = [
            ("track_high_thresh", f64::from(self.track_high_thresh)),
            ("track_low_thresh", f64::from(self.track_low_thresh)),
            ("new_track_thresh", f64::from(self.new_track_thresh)),
            ("match_thresh", self.match_thresh),
        ];
        for (name, value) in unit {
            if !value.is_finite() || !(0.0..=1.0).contains(&value) {
                return Err(ConfigError { name, value });
            }
        }
        Ok(())
    }

    /// The stage a detection row `[x1, y1, x2, y2, conf, cls]` enters (float32 comparisons, as
    /// the original's numpy code).
    pub fn tier(&self, row: &[f32; 6]) -> Tier {
        let w = row[2] - row[0];
        let h = row[3] - row[1];
        if !(w > 0.0 && h > 0.0) {
            return Tier::Dropped;
        }
        let s = row[4];
        if s >= self.track_high_thresh {
            Tier::High
        } else if s > self.track_low_thresh && s < self.track_high_thresh {
            Tier::Low
        } else {
            Tier::Dropped
        }
    }

    /// Indices of the high detections, in order.
    pub fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        (0..dets.len())
            .filter(|&i| self.tier(&dets[i]) == Tier::High)
            .collect()
    }
}

/// BoT-SORT's appearance gate (`with_reid: True`): an appearance distance counts only for pairs
/// with IoU distance `<= 1 - proximity_thresh` and cosine distance / 2 `<= 1 - appearance_thresh`;
/// the cost is then the smaller of the (fused) IoU cost and the appearance distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReidGate {
    pub proximity_thresh: f64,
    pub appearance_thresh: f64,
}

/// EMA weight of a BoT-SORT track's smoothed feature (`BOTrack.alpha`).
pub const BOTRACK_ALPHA: f32 = 0.9;

/// The shipped `bytetrack.yaml` values, for the tests of this folder.
#[cfg(test)]
pub(super) fn config(kind: KalmanKind) -> TrackerConfig {
    TrackerConfig {
        track_high_thresh: 0.25,
        track_low_thresh: 0.1,
        new_track_thresh: 0.25,
        match_thresh: 0.8,
        fuse_score: true,
        max_time_lost: 30,
        kind,
    }
}

/// A detection row `[x, y, x + w, y + h, s, 0]`, for the tests of this folder.
#[cfg(test)]
pub(super) fn row(x: f32, y: f32, w: f32, h: f32, s: f32) -> [f32; 6] {
    [x, y, x + w, y + h, s, 0.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiers_split_on_float32_scores_and_drop_empty_boxes() {
        let cfg = config(KalmanKind::Xyah);
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, 5.0, 0.25)), Tier::High);
        assert_eq!(
            cfg.tier(&row(
                0.0,
                0.0,
                5.0,
                5.0,
                f32::from_bits(0.25f32.to_bits() - 1)
            )),
            Tier::Low
        );
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, 5.0, 0.1)), Tier::Dropped);
        assert_eq!(cfg.tier(&row(0.0, 0.0, 0.0, 5.0, 0.9)), Tier::Dropped);
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, -1.0, 0.9)), Tier::Dropped);
        assert_eq!(
            cfg.tier(&[0.0, 0.0, f32::NAN, 5.0, 0.9, 0.0]),
            Tier::Dropped
        );
        assert_eq!(cfg.tier(&row(0.0, 0.0, 5.0, 5.0, f32::NAN)), Tier::Dropped);
        let dets = [
            row(0.0, 0.0, 5.0, 5.0, 0.3),
            row(0.0, 0.0, 5.0, 5.0, 0.2),
            row(0.0, 0.0, 0.0, 5.0, 0.9),
            row(9.0, 9.0, 5.0, 5.0, 0.9),
        ];
        assert_eq!(cfg.high_indices(&dets), vec![0, 3]);
    }

    #[test]
    fn config_validation_names_the_threshold() {
        assert!(config(KalmanKind::Xyah).validate().is_ok());
        let bad = TrackerConfig {
            match_thresh: 1.5,
            ..config(KalmanKind::Xyah)
        };
        assert_eq!(
            bad.validate().unwrap_err().to_string(),
            "match_thresh must be a number in [0, 1], got 1.5"
        );
        let bad = TrackerConfig {
            track_low_thresh: f32::NAN,
            ..config(KalmanKind::Xyah)
        };
        assert_eq!(bad.validate().unwrap_err().name, "track_low_thresh");
    }
}
