//! BoT-SORT (`BOTSORT` of Ultralytics 8.4.190): ByteTrack's association with the
//! XYWH Kalman filter, plus global motion compensation. The caller (Python, OpenCV
//! `sparseOptFlow`) estimates the 2x3 affine between the previous and the current frame; it is
//! applied to the predicted tracked + lost tracks and to the unconfirmed ones before matching.

use crate::bytetrack::{ByteTracker, ReidGate, TrackerConfig};
use crate::kalman::KalmanKind;
use crate::tracker::Warp;
use crate::tracker::{FrameExtras, WrapsTracker};

/// BoT-SORT settings: ByteTrack's, with the XYWH filter. `proximity_thresh` gates appearance
/// matching only, which needs ReID, so it does not enter here.
pub fn botsort_config(base: TrackerConfig) -> TrackerConfig {
    TrackerConfig {
        kind: KalmanKind::Xywh,
        ..base
    }
}

/// A BoT-SORT tracker.
#[derive(Debug, Clone)]
pub struct BotSort {
    pub inner: ByteTracker,
}

impl BotSort {
    pub fn new(base: TrackerConfig) -> Self {
        BotSort {
            inner: ByteTracker::new(botsort_config(base)),
        }
    }

    /// BoT-SORT with ReID (`with_reid: True`): `update` takes the detections' features.
    pub fn with_reid(base: TrackerConfig, gate: ReidGate) -> Self {
        let mut t = BotSort::new(base);
        t.inner.reid = Some(gate);
        t
    }

    /// One frame; `warp` is the camera motion (identity or `None` when unknown).
    pub fn update(&mut self, dets: &[[f32; 6]], warp: Option<&Warp>) -> Vec<[f32; 8]> {
        self.inner.update(dets, warp)
    }

    pub fn reset(&mut self) {
        self.inner.reset();
    }
}

impl WrapsTracker for BotSort {
    type Inner = ByteTracker;
    fn inner(&self) -> &ByteTracker {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut ByteTracker {
        &mut self.inner
    }
    fn step(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        self.inner.update_with(dets, extras.warp, extras.feats)
    }
    fn needs_warp(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::{Feats, MultiTracker};

    /// The shipped `botsort.yaml` values (the filter kind is set by `BotSort::new`).
    fn config() -> TrackerConfig {
        TrackerConfig {
            track_high_thresh: 0.25,
            track_low_thresh: 0.1,
            new_track_thresh: 0.25,
            match_thresh: 0.8,
            fuse_score: true,
            max_time_lost: 30,
            kind: KalmanKind::Xyah,
        }
    }

    #[test]
    fn camera_pan_is_compensated() {
        // The scene pans 40 px per frame; the warp says so, and the box keeps its ID even though
        // consecutive boxes no longer overlap enough without compensation.
        let mut t = BotSort::new(config());
        let mut x = 0.0f32;
        for f in 0..10 {
            let warp = [[1.0, 0.0, if f == 0 { 0.0 } else { 40.0 }], [0.0, 1.0, 0.0]];
            let out = t.update(&[[x, 0.0, x + 30.0, 60.0, 0.9, 0.0]], Some(&warp));
            if f > 0 {
                assert_eq!(out.len(), 1);
                assert_eq!(out[0][4], 1.0);
            }
            x += 40.0;
        }
        // Without the warp the same stream loses the track after the first frame.
        let mut t = BotSort::new(config());
        let mut x = 0.0f32;
        let mut ids = Vec::new();
        for _ in 0..10 {
            let out = t.update(&[[x, 0.0, x + 30.0, 60.0, 0.9, 0.0]], None);
            ids.extend(out.iter().map(|r| r[4] as u64));
            x += 40.0;
        }
        assert_eq!(ids, vec![1]);
        assert!(t.inner.next_id() > 2);
    }

    #[test]
    fn appearance_decides_between_two_overlapping_detections() {
        // Frame 1: one person, feature "red". Frame 2: two detections overlap the track; the one
        // that overlaps more has another feature ("blue"), the other has the track's feature.
        // Without ReID the track follows the larger overlap; with ReID, its appearance.
        let gate = ReidGate {
            proximity_thresh: 0.5,
            appearance_thresh: 0.8,
        };
        let red = [1.0f32, 0.0, 0.0];
        let blue = [0.0f32, 0.0, 1.0];
        let f1 = [[100.0, 100.0, 150.0, 200.0, 0.9, 0.0]];
        let f2 = [
            [104.0, 100.0, 154.0, 200.0, 0.9, 0.0], // blue, IoU ~0.85
            [112.0, 100.0, 162.0, 200.0, 0.9, 0.0], // red, IoU ~0.61
        ];
        let feats2: Vec<f32> = blue.iter().chain(red.iter()).copied().collect();
        let run = |reid: bool| {
            let mut t = if reid {
                BotSort::with_reid(config(), gate)
            } else {
                BotSort::new(config())
            };
            let e1 = FrameExtras {
                feats: Some(Feats { data: &red, dim: 3 }),
                ..Default::default()
            };
            MultiTracker::update(&mut t, &f1, &e1);
            let e2 = FrameExtras {
                feats: Some(Feats {
                    data: &feats2,
                    dim: 3,
                }),
                ..Default::default()
            };
            let out = MultiTracker::update(&mut t, &f2, &e2);
            out.iter()
                .find(|r| r[4] == 1.0)
                .map(|r| r[7] as usize)
                .expect("track 1 continues")
        };
        assert_eq!(run(false), 0);
        assert_eq!(run(true), 1);
    }
}
