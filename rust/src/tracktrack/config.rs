//! TrackTrack's settings (`tracktrack.yaml`).

/// Settings (the keys of `tracktrack.yaml`; no defaults here, the shipped YAML holds them).
#[derive(Debug, Clone, Copy)]
pub struct TrackTrackConfig {
    pub track_high_thresh: f32,
    pub track_low_thresh: f32,
    pub new_track_thresh: f32,
    pub match_thresh: f64,
    pub lost_match_thr: f64,
    pub penalty_p: f64,
    pub penalty_q: f64,
    pub reduce_step: f64,
    pub iou_weight: f64,
    pub reid_weight: f64,
    pub conf_weight: f64,
    pub angle_weight: f64,
    pub tai_thr: f64,
    pub min_track_len: u64,
    /// `track_buffer` (TrackTrack does not scale it by the frame rate).
    pub max_time_lost: u64,
    /// `with_reid`: appearance embeddings enter the cost.
    pub with_reid: bool,
}

impl TrackTrackConfig {
    /// `Err` naming the first fraction that is NaN or outside `[0, 1]`.
    pub fn validate(&self) -> Result<(), String> {
        let unit = [
            ("track_high_thresh", f64::from(self.track_high_thresh)),
            ("track_low_thresh", f64::from(self.track_low_thresh)),
            ("new_track_thresh", f64::from(self.new_track_thresh)),
            ("match_thresh", self.match_thresh),
            ("lost_match_thr", self.lost_match_thr),
            ("penalty_p", self.penalty_p),
            ("penalty_q", self.penalty_q),
            ("reduce_step", self.reduce_step),
            ("iou_weight", self.iou_weight),
            ("reid_weight", self.reid_weight),
            ("conf_weight", self.conf_weight),
            ("angle_weight", self.angle_weight),
            ("tai_thr", self.tai_thr),
        ];
        for (name, v) in unit {
            if !v.is_finite() || !(0.0..=1.0).contains(&v) {
                return Err(format!("{name} must be a number in [0, 1], got {v}"));
            }
        }
        Ok(())
    }
}
