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

use crate::bytetrack::Warp;
use crate::ocsort::{xyxy_center, OcSort, OcSortConfig, OcTrack};
use crate::tracker::{FrameExtras, MultiTracker, TrackSummary};

/// Deep OC-SORT's appearance settings (`with_reid: True`). The thresholds stay Python floats
/// (float64) here; the cost code rounds them where numpy does.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Appearance {
    pub proximity_thresh: f64,
    pub appearance_thresh: f64,
    pub alpha_fixed_emb: f64,
    /// `track_high_thresh`: at or below it a detection's embedding leaves the track's unchanged.
    pub det_thresh: f64,
}

/// Deep OC-SORT settings.
#[derive(Debug, Clone, Copy)]
pub struct DeepOcSortConfig {
    pub oc: OcSortConfig,
    /// `gmc_method` is not `none`: the caller passes the frame's warp.
    pub gmc: bool,
    /// `with_reid`: the caller passes one embedding per detection.
    pub appearance: Option<Appearance>,
}

/// `np.linalg.norm` of one float32 vector: `x.dot(x)` (OpenBLAS `sdot` accumulates the float32
/// products in float64 below 32 elements), rounded to float32, float32 square root.
pub fn vector_norm(x: &[f32]) -> f32 {
    let mut acc = 0.0f64;
    for &v in x {
        acc += f64::from(v * v);
    }
    (acc as f32).sqrt()
}

/// numpy's pairwise float32 summation (`add.reduce` over a contiguous axis).
fn pairwise_sum(a: &[f32]) -> f32 {
    let n = a.len();
    if n < 8 {
        let mut r = -0.0f32;
        for &v in a {
            r += v;
        }
        r
    } else if n <= 128 {
        let mut r = [0.0f32; 8];
        r.copy_from_slice(&a[..8]);
        let mut i = 8;
        while i < n - n % 8 {
            for j in 0..8 {
                r[j] += a[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        while i < n {
            res += a[i];
            i += 1;
        }
        res
    } else {
        let mut n2 = n / 2;
        n2 -= n2 % 8;
        pairwise_sum(&a[..n2]) + pairwise_sum(&a[n2..])
    }
}

/// `np.linalg.norm(x, axis=1)` of one float32 row.
pub fn row_norm(x: &[f32]) -> f32 {
    let sq: Vec<f32> = x.iter().map(|v| v * v).collect();
    pairwise_sum(&sq).sqrt()
}

/// `smooth_feature(feat, smooth, alpha)`: `(curr, smooth)`; `curr` is None (and `smooth` kept)
/// when `feat` has (almost) no length.
pub fn smooth_feature(
    feat: &[f32],
    smooth: Option<&[f32]>,
    alpha: f32,
) -> (Option<Vec<f32>>, Option<Vec<f32>>) {
    let norm = vector_norm(feat);
    if norm < 1e-12f32 {
        return (None, smooth.map(<[f32]>::to_vec));
    }
    let f: Vec<f32> = feat.iter().map(|v| v / norm).collect();
    let Some(s) = smooth else {
        let c = f.clone();
        return (Some(f), Some(c));
    };
    let b = 1.0 - alpha;
    let mixed: Vec<f32> = s.iter().zip(&f).map(|(s, f)| alpha * s + b * f).collect();
    let n = vector_norm(&mixed);
    let mixed = mixed.iter().map(|v| v / n).collect();
    (Some(f), Some(mixed))
}

/// `matching.embedding_distance(tracks, detections)`: row-major float32 cosine distances of the
/// tracks' smoothed embeddings and the detections' current ones, 2 where one is missing.
pub fn embedding_distance(tracks: &[Option<&[f32]>], dets: &[Option<&[f32]>]) -> Vec<f32> {
    let (n, m) = (tracks.len(), dets.len());
    if n == 0 || m == 0 {
        return vec![0.0; n * m];
    }
    let dim = tracks
        .iter()
        .chain(dets)
        .find_map(|f| f.map(<[f32]>::len))
        .unwrap_or(0);
    let zeros = vec![0.0f32; dim];
    let tf: Vec<&[f32]> = tracks.iter().map(|f| f.unwrap_or(&zeros)).collect();
    let df: Vec<&[f32]> = dets.iter().map(|f| f.unwrap_or(&zeros)).collect();
    let tn: Vec<f32> = tf.iter().map(|f| row_norm(f)).collect();
    let dn: Vec<f32> = df.iter().map(|f| row_norm(f)).collect();
    let mut out = Vec::with_capacity(n * m);
    for (i, a) in tf.iter().enumerate() {
        for (j, b) in df.iter().enumerate() {
            let dot = if n == 1 && m == 1 {
                // numpy hands a 1x1 product to `sdot` (float64 accumulation below 32 elements).
                a.iter()
                    .zip(b.iter())
                    .map(|(x, y)| f64::from(x * y))
                    .sum::<f64>() as f32
            } else if m == 1 && n > 1 && a.len() % 8 == 0 {
                // One detection against several tracks: `sgemv` with eight fused multiply-add
                // lanes, folded as (l0+l4, l1+l5, l2+l6, l3+l7) then pairwise.
                let mut l = [0.0f32; 8];
                for (k, (x, y)) in a.iter().zip(b.iter()).enumerate() {
                    l[k % 8] = x.mul_add(*y, l[k % 8]);
                }
                let h = [l[0] + l[4], l[1] + l[5], l[2] + l[6], l[3] + l[7]];
                (h[0] + h[1]) + (h[2] + h[3])
            } else {
                // `sgemm`: one fused multiply-add chain per element. numpy sends a single track or a
                // single detection (n or m of 1) to `sgemv`, whose lane-wise sums round differently
                // (last-bit differences).
                let mut dot = 0.0f32;
                for (x, y) in a.iter().zip(b.iter()) {
                    dot = x.mul_add(*y, dot);
                }
                dot
            };
            let c = if tracks[i].is_none() || dets[j].is_none() {
                2.0
            } else {
                let c = 1.0 - dot / (tn[i] * dn[j]).max(f32::EPSILON);
                c.max(0.0)
            };
            out.push(c);
        }
    }
    out
}

/// `DeepOCSORT._fuse_appearance`: `min(dists, appearance)` with the gates of `app`.
/// `iou` is the unfused IoU distance of the same pairs.
pub fn fuse_appearance(
    mut dists: Vec<f32>,
    tracks: &[Option<&[f32]>],
    dets: &[Option<&[f32]>],
    iou: &[f32],
    app: &Appearance,
) -> Vec<f32> {
    let emb = embedding_distance(tracks, dets);
    let app_gate = (1.0 - app.appearance_thresh) as f32;
    let prox_gate = (1.0 - app.proximity_thresh) as f32;
    for ((d, e), i) in dists.iter_mut().zip(emb).zip(iou) {
        let mut e = e / 2.0;
        if e > app_gate {
            e = 1.0;
        }
        if *i > prox_gate {
            e = 1.0;
        }
        // np.minimum
        *d = if d.is_nan() || *d <= e { *d } else { e };
    }
    dists
}

/// `DeepOCSortTrack.multi_gmc` for one track: rotate the centre and its velocity by `R`, move the
/// centre by `t`, keep aspect ratio and height; move the last observation's centre the same way.
pub fn multi_gmc_xyah(track: &mut OcTrack, h: &Warp) {
    let r = [[h[0][0], h[0][1]], [h[1][0], h[1][1]]];
    let t = [h[0][2], h[1][2]];
    let m = track.t.mean;
    let mut nm = m;
    for i in 0..2 {
        nm[i] = r[i][0] * m[0] + r[i][1] * m[1];
        nm[i + 4] = r[i][0] * m[4] + r[i][1] * m[5];
    }
    nm[0] += t[0];
    nm[1] += t[1];
    // (R8 @ C) @ R8^T, each product a fused multiply-add chain (OpenBLAS dgemm).
    let c = track.t.cov;
    let mut l = c;
    for b in [0usize, 4] {
        for i in 0..2 {
            for j in 0..8 {
                l[b + i][j] = r[i][1].mul_add(c[b + 1][j], r[i][0] * c[b][j]);
            }
        }
    }
    let mut o = l;
    for row in &mut o {
        let lr = *row;
        for b in [0usize, 4] {
            for j in 0..2 {
                row[b + j] = lr[b + 1].mul_add(r[j][1], lr[b] * r[j][0]);
            }
        }
    }
    track.t.mean = nm;
    track.t.cov = o;
    let obs = track.last_observation;
    if obs[0] >= 0.0 {
        let c = xyxy_center(&obs);
        let (w, hh) = (obs[2] - obs[0], obs[3] - obs[1]);
        let (cx, cy) = (f64::from(c[0]), f64::from(c[1]));
        let nc = [
            r[0][0].mul_add(cx, r[0][1] * cy) + t[0],
            r[1][0].mul_add(cx, r[1][1] * cy) + t[1],
        ];
        let (hw, hh) = (f64::from(w / 2.0), f64::from(hh / 2.0));
        track.last_observation = [
            (nc[0] - hw) as f32,
            (nc[1] - hh) as f32,
            (nc[0] + hw) as f32,
            (nc[1] + hh) as f32,
        ];
    }
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

impl MultiTracker for DeepOcSort {
    fn update(&mut self, dets: &[[f32; 6]], extras: &FrameExtras<'_>) -> Vec<[f32; 8]> {
        self.inner.update(dets, extras)
    }
    fn reset(&mut self) {
        self.inner.reset();
    }
    fn frame_id(&self) -> u64 {
        self.inner.frame_id
    }
    fn next_id(&self) -> u64 {
        self.inner.next_id()
    }
    fn has_unconfirmed(&self) -> bool {
        self.inner.tracked.iter().any(|t| !t.t.is_activated)
    }
    fn summaries(&self) -> Vec<TrackSummary> {
        self.inner.track_summaries()
    }
    fn high_indices(&self, dets: &[[f32; 6]]) -> Vec<usize> {
        self.inner.cfg.base.high_indices(dets)
    }
    fn uses_warp(&self) -> bool {
        self.inner.gmc
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bytetrack::TrackerConfig;
    use crate::kalman::KalmanKind;
    use crate::tracker::Feats;

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
    fn sums_and_norms() {
        let v: Vec<f32> = (0..300).map(|i| (i as f32 * 0.37).sin()).collect();
        let naive: f64 = v.iter().map(|&x| f64::from(x)).sum();
        assert!((f64::from(pairwise_sum(&v)) - naive).abs() < 1e-4);
        assert_eq!(row_norm(&[3.0, 4.0]), 5.0);
        assert_eq!(vector_norm(&[3.0, 4.0]), 5.0);
    }

    #[test]
    fn smoothing_normalises_and_blends() {
        let (c, s) = smooth_feature(&[3.0, 4.0], None, 0.9);
        assert_eq!(c, Some(vec![0.6, 0.8]));
        assert_eq!(s, Some(vec![0.6, 0.8]));
        let (c, s) = smooth_feature(&[0.0, 0.0], Some(&[1.0, 0.0]), 0.9);
        assert_eq!((c, s), (None, Some(vec![1.0, 0.0])));
        let (_, s) = smooth_feature(&[0.0, 2.0], Some(&[1.0, 0.0]), 0.5);
        let s = s.unwrap();
        assert!((s[0] - s[1]).abs() < 1e-6 && (row_norm(&s) - 1.0).abs() < 1e-6);
        // alpha 1 keeps the direction of the smoothed feature.
        let (_, s) = smooth_feature(&[0.0, 2.0], Some(&[1.0, 0.0]), 1.0);
        assert_eq!(s, Some(vec![1.0, 0.0]));
    }

    #[test]
    fn appearance_cost_and_gates() {
        let a = [1.0f32, 0.0];
        let b = [0.0f32, 1.0];
        let d = embedding_distance(&[Some(&a), None], &[Some(&a), Some(&b)]);
        assert_eq!(d, vec![0.0, 1.0, 2.0, 2.0]);
        // min(motion, appearance / 2); appearance 1 beyond 1 - appearance_thresh or when far apart.
        let app = Appearance {
            appearance_thresh: 0.25,
            ..APP
        };
        let fused = fuse_appearance(
            vec![0.9, 0.9, 0.9, 0.9],
            &[Some(&a), Some(&a)],
            &[Some(&a), Some(&b)],
            &[0.2, 0.2, 0.9, 0.2],
            &app,
        );
        assert_eq!(fused, vec![0.0, 0.5, 0.9, 0.5]);
    }

    #[test]
    fn gmc_moves_centre_and_last_observation_only() {
        let mut t = DeepOcSort::new(config(None));
        let ex = FrameExtras::default();
        t.update(&[[100.0, 100.0, 140.0, 180.0, 0.9, 0.0]], &ex);
        let before = t.inner.tracked[0].clone();
        let mut tr = before.clone();
        multi_gmc_xyah(&mut tr, &[[1.0, 0.0, 5.0], [0.0, 1.0, -3.0]]);
        assert_eq!(tr.t.mean[0], before.t.mean[0] + 5.0);
        assert_eq!(tr.t.mean[1], before.t.mean[1] - 3.0);
        assert_eq!(&tr.t.mean[2..4], &before.t.mean[2..4]);
        assert_eq!(tr.t.cov, before.t.cov);
        assert_eq!(tr.last_observation, [105.0, 97.0, 145.0, 177.0]);
        // A quarter turn rotates the centre but keeps aspect ratio and height.
        let mut r = before.clone();
        multi_gmc_xyah(&mut r, &[[0.0, -1.0, 0.0], [1.0, 0.0, 0.0]]);
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
        assert_eq!(t.inner.tracked.len(), 1);
        assert_eq!(t.inner.tracked[0].smooth_feat, Some(vec![1.0, 0.0]));
        // A frame without embeddings: motion only, the track's embedding stays.
        t.update(&dets[..1], &FrameExtras::default());
        assert_eq!(t.inner.tracked[0].smooth_feat, Some(vec![1.0, 0.0]));
    }
}
