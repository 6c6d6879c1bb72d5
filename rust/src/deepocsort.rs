//! Deep OC-SORT (`DeepOCSORT` of Ultralytics 8.4.190): OC-SORT (`ocsort.rs`) with
//! - camera-motion compensation for the XYAH state (`multi_gmc_xyah`: only the centre and its
//!   velocity rotate, the aspect ratio and height stay; the last observation's centre moves too);
//! - with ReID, appearance: each detection's embedding is L2-normalised, tracks keep an
//!   exponential moving average (`smooth_feature`, factor `alpha_fixed_emb` raised towards 1 for
//!   low-confidence detections, 1 at or below `track_high_thresh`), and every association cost
//!   (first, OCR, unconfirmed) becomes `min(cost, appearance)` where the appearance cost is the
//!   halved cosine distance, set to 1 beyond `1 - appearance_thresh` or where the IoU distance is
//!   beyond `1 - proximity_thresh` (`fuse_appearance`).
//!
//! Float32 arithmetic as numpy does it on the original's arrays (OpenBLAS, x86-64): row norms of a
//! matrix by numpy's pairwise summation, the feature products as a float32 fused multiply-add
//! chain (`sgemm`, exact up to 256 dimensions), the norm of one vector accumulated in float64
//! (`sdot`, exact below 32 dimensions). Where numpy picks `sgemv` (one track or one detection
//! against several) or `sdot` beyond 31 dimensions, OpenBLAS' lane-wise sums can differ in the last
//! bit from these; the motion-only path (no ReID) is exact.
//!
//! The pieces live below the trackers: the warp camera-motion compensation in `kalman.rs` (`Warp` in `tracker.rs`), appearance in `reid.rs` (its
//! `Appearance` settings).

use crate::ocsort::{OcSort, OcSortConfig};
use crate::reid::Appearance;
use crate::tracker::{FrameExtras, WrapsTracker};

/// Deep OC-SORT settings.
#[derive(Debug, Clone, Copy)]
pub struct DeepOcSortConfig {
    pub oc: OcSortConfig,
    /// `gmc_method` is not `none`: the caller passes the frame's warp.
    pub gmc: bool,
    /// `with_reid`: the caller passes one embedding per detection.
    pub appearance: Option<Appearance>,
}

/// A Deep OC-SORT tracker.
#[derive(Debug, Clone)]
pub struct DeepOcSort {
    pub inner: OcSort,
}

impl DeepOcSort {
    pub fn new(cfg: DeepOcSortConfig) -> Self {
        let mut inner = OcSort::new(cfg.oc);
        inner.appearance = cfg.appearance;
        inner.gmc = cfg.gmc;
        DeepOcSort { inner }
    }
}

impl WrapsTracker for DeepOcSort {
    type Inner = OcSort;
    fn inner(&self) -> &OcSort {
        &self.inner
    }
    fn inner_mut(&mut self) -> &mut OcSort {
        &mut self.inner
    }
    fn step(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        self.inner.update(dets, extras)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytetrack::TrackerConfig;
    use crate::kalman::multi_gmc_xyah;
    use crate::kalman::KalmanKind;
    use crate::ocsort::OcTrack;
    use crate::tracker::{Feats, MultiTracker, Warp};

    fn gmc(t: &mut OcTrack, h: &Warp) {
        multi_gmc_xyah(&mut t.t.mean, &mut t.t.cov, &mut t.last_observation, h);
    }

    fn config(appearance: Option<Appearance>) -> DeepOcSortConfig {
        DeepOcSortConfig {
            oc: OcSortConfig {
                base: TrackerConfig {
                    track_high_thresh: 0.3,
                    track_low_thresh: 0.1,
                    new_track_thresh: 0.3,
                    match_thresh: 0.8,
                    fuse_score: true,
                    max_time_lost: 30,
                    kind: KalmanKind::Xyah,
                },
                delta_t: 3,
                inertia: 0.2,
                use_byte: false,
            },
            gmc: true,
            appearance,
        }
    }

    const APP: Appearance = Appearance {
        proximity_thresh: 0.5,
        appearance_thresh: 0.9,
        alpha_fixed_emb: 0.95,
        det_thresh: 0.3,
    };

    #[test]
    fn gmc_moves_centre_and_last_observation_only() {
        let mut t = DeepOcSort::new(config(None));
        let ex = FrameExtras::default();
        t.update(&[[100.0, 100.0, 140.0, 180.0, 0.9, 0.0]], &ex);
        let before = t.inner.pool.tracked[0].clone();
        let mut tr = before.clone();
        gmc(&mut tr, &[[1.0, 0.0, 5.0], [0.0, 1.0, -3.0]]);
        assert_eq!(tr.t.mean[0], before.t.mean[0] + 5.0);
        assert_eq!(tr.t.mean[1], before.t.mean[1] - 3.0);
        assert_eq!(&tr.t.mean[2..4], &before.t.mean[2..4]);
        assert_eq!(tr.t.cov, before.t.cov);
        assert_eq!(tr.last_observation, [105.0, 97.0, 145.0, 177.0]);
        // A quarter turn rotates the centre but keeps aspect ratio and height.
        let mut r = before.clone();
        gmc(&mut r, &[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]);
        assert_eq!(
            &r.t.mean[..4],
            &[
                -before.t.mean[1],
                before.t.mean[0],
                before.t.mean[2],
                before.t.mean[3]
            ]
        );
    }

    #[test]
    fn camera_pan_is_compensated() {
        let mut t = DeepOcSort::new(config(None));
        let mut x = 0.0f32;
        for f in 0..10 {
            let warp = [[1.0, 0.0, if f == 0 { 0.0 } else { 40.0 }], [0.0, 1.0, 0.0]];
            let ex = FrameExtras {
                warp: Some(&warp),
                ..FrameExtras::default()
            };
            let out = t.update(&[[x, 0.0, x + 30.0, 60.0, 0.9, 0.0]], &ex);
            if f > 0 {
                assert_eq!(out.len(), 1);
                assert_eq!(out[0][4], 1.0);
            }
            x += 40.0;
        }
    }

    #[test]
    fn embeddings_follow_the_detections() {
        let mut t = DeepOcSort::new(config(Some(APP)));
        let feats = [1.0f32, 0.0, 0.0, 1.0];
        let dets = [
            [0.0, 0.0, 30.0, 60.0, 0.9, 0.0],
            [100.0, 0.0, 130.0, 60.0, 0.2, 0.0], // low: no track, no embedding kept
        ];
        let ex = FrameExtras {
            feats: Some(Feats {
                data: &feats,
                dim: 2,
            }),
            ..FrameExtras::default()
        };
        t.update(&dets, &ex);
        assert_eq!(t.inner.pool.tracked.len(), 1);
        assert_eq!(t.inner.pool.tracked[0].smooth_feat, Some(vec![1.0, 0.0]));
        // A frame without embeddings: motion only, the track's embedding stays.
        t.update(&dets[..1], &FrameExtras::default());
        assert_eq!(t.inner.pool.tracked[0].smooth_feat, Some(vec![1.0, 0.0]));
    }
}
