//! Appearance (ReID) features as the trackers use them: the detector's own features pooled per
//! box (`DetectionPredictor.get_obj_feats`), the L2-normalised exponential moving average a track
//! keeps (`utils/reid.py` `smooth_feature`) and the cosine distance between tracks and detections
//! (`matching.embedding_distance`).
//!
//! One `smooth_feature` and one `embedding_distance` serve every tracker; [`FeatureMath`] names
//! the arithmetic each original gets from numpy: [`FeatureMath::Float64`] (BoT-SORT, TrackTrack:
//! dot products and norms accumulate in float64 and round once, agreeing with BLAS to an ulp or
//! two) or [`FeatureMath::OpenBlas`] (Deep OC-SORT: OpenBLAS' own orders, see `deepocsort.rs`).
//! Deep OC-SORT's appearance settings and cost fusion (`Appearance`, `fuse_appearance`) live here
//! too, so that OC-SORT and Deep OC-SORT do not import each other.

use std::fmt;

use crate::numpy_sum::pairwise_sum;

/// A feature vector whose norm is below this carries no appearance (`smooth_feature`).
pub const MIN_FEATURE_NORM: f32 = 1e-12;

/// `np.finfo(np.float32).eps`, the floor of the cosine's denominator.
const COSINE_EPS: f32 = f32::EPSILON;

/// A missing feature on either side: the largest cosine distance.
pub const MISSING_DISTANCE: f32 = 2.0;

/// How a tracker's original computes norms and dot products of its float32 features. numpy reaches
/// different BLAS calls on the different trackers' arrays, and their last bits differ, so each
/// tracker names the arithmetic its original gets (the values agree to an ulp or two either way).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeatureMath {
    /// Products and sums in float64, rounded to float32 once (BoT-SORT, TrackTrack).
    Float64,
    /// numpy on OpenBLAS as Deep OC-SORT's arrays meet it: one vector's norm sums its float32
    /// squares in float64 (`sdot`), a matrix's row norms sum in numpy's pairwise float32 order,
    /// feature products are float32 fused multiply-add chains (`sgemm` / `sgemv` lanes).
    OpenBlas,
}

/// The appearance a BoT-SORT track keeps: the last normalised feature and the smoothed one.
#[derive(Debug, Clone, PartialEq)]
pub struct TrackFeatures {
    pub curr: Vec<f32>,
    pub smooth: Vec<f32>,
}

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

/// Dot product: float64 products and sum, rounded once.
pub fn dot64(a: &[f32], b: &[f32]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum()
}

/// `np.linalg.norm` of one float32 vector under `math` (see [`FeatureMath`]).
pub fn feature_norm(x: &[f32], math: FeatureMath) -> f32 {
    match math {
        FeatureMath::Float64 => (dot64(x, x) as f32).sqrt(),
        FeatureMath::OpenBlas => vector_norm(x),
    }
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

/// `np.linalg.norm(x, axis=1)` of one float32 row: the squares summed pairwise (`numpy_sum.rs`)
/// from `-0.0`, as numpy reduces float32.
pub fn row_norm(x: &[f32]) -> f32 {
    let sq: Vec<f32> = x.iter().map(|v| v * v).collect();
    pairwise_sum(&sq, -0.0).sqrt()
}

/// `feat / ||feat||` in float32 (norm as [`FeatureMath::Float64`]), or `None` when the norm is
/// below [`MIN_FEATURE_NORM`] or not finite.
pub fn normalized(feat: &[f32]) -> Option<Vec<f32>> {
    let n = feature_norm(feat, FeatureMath::Float64);
    if n < MIN_FEATURE_NORM || !n.is_finite() {
        return None;
    }
    Some(feat.iter().map(|&v| v / n).collect())
}

/// `smooth_feature(feat, smooth, alpha)`, the one EMA of every tracker: `(curr, smooth)` with
/// `curr = feat / ||feat||` and `smooth` the renormalised `alpha * smooth + (1 - alpha) * curr`
/// (`curr` itself when there is no smoothed feature yet), all float32 with norms as `math` says.
/// `None` when `feat`'s norm is below [`MIN_FEATURE_NORM`] (the caller keeps its features).
pub fn smooth_feature(
    feat: &[f32],
    smooth: Option<&[f32]>,
    alpha: f32,
    math: FeatureMath,
) -> Option<(Vec<f32>, Vec<f32>)> {
    let norm = feature_norm(feat, math);
    if norm < MIN_FEATURE_NORM {
        return None;
    }
    let curr: Vec<f32> = feat.iter().map(|v| v / norm).collect();
    let Some(s) = smooth else {
        return Some((curr.clone(), curr));
    };
    // `1 - alpha` in float32 equals float64's rounded once (IEEE subtraction rounds the exact value).
    let beta = 1.0f32 - alpha;
    let mixed: Vec<f32> = s
        .iter()
        .zip(&curr)
        .map(|(&a, &b)| alpha * a + beta * b)
        .collect();
    let n = feature_norm(&mixed, math);
    Some((curr, mixed.iter().map(|v| v / n).collect()))
}

/// BoT-SORT's `update_features` on a track's appearance ([`smooth_feature`] with
/// [`FeatureMath::Float64`]): a feature with a zero or non-finite norm leaves it as it is; the
/// first feature sets both; a feature of another length (a different model) starts over.
pub fn absorb(app: &mut Option<TrackFeatures>, feat: &[f32], alpha: f32) {
    if !feature_norm(feat, FeatureMath::Float64).is_finite() {
        return;
    }
    let smooth = app
        .as_ref()
        .map(|a| a.smooth.as_slice())
        .filter(|s| s.len() == feat.len());
    if let Some((curr, smooth)) = smooth_feature(feat, smooth, alpha, FeatureMath::Float64) {
        *app = Some(TrackFeatures { curr, smooth });
    }
}

/// `matching.embedding_distance(tracks, detections)`: row-major `(tracks, dets)` cosine distances
/// `max(0, 1 - t.d / max(|t| |d|, eps))`, [`MISSING_DISTANCE`] where either side has no feature.
/// With [`FeatureMath::Float64`] a pair of different lengths is missing too; with
/// [`FeatureMath::OpenBlas`] missing features are zero rows of the original's matrices.
pub fn embedding_distance(
    tracks: &[Option<&[f32]>],
    dets: &[Option<&[f32]>],
    math: FeatureMath,
) -> Vec<f32> {
    match math {
        FeatureMath::Float64 => embedding_distance_f64(tracks, dets),
        FeatureMath::OpenBlas => embedding_distance_openblas(tracks, dets),
    }
}

fn embedding_distance_f64(tracks: &[Option<&[f32]>], dets: &[Option<&[f32]>]) -> Vec<f32> {
    let norm = |f: &[f32]| feature_norm(f, FeatureMath::Float64);
    let mut out = Vec::with_capacity(tracks.len() * dets.len());
    let dn: Vec<f32> = dets.iter().map(|d| d.map_or(0.0, norm)).collect();
    for t in tracks {
        let tn = t.map_or(0.0, norm);
        for (d, &dnj) in dets.iter().zip(&dn) {
            out.push(match (t, d) {
                (Some(t), Some(d)) if t.len() == d.len() => {
                    let c = 1.0 - dot64(t, d) as f32 / (tn * dnj).max(COSINE_EPS);
                    c.max(0.0)
                }
                _ => MISSING_DISTANCE,
            });
        }
    }
    out
}

fn embedding_distance_openblas(tracks: &[Option<&[f32]>], dets: &[Option<&[f32]>]) -> Vec<f32> {
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
                MISSING_DISTANCE
            } else {
                let c = 1.0 - dot / (tn[i] * dn[j]).max(COSINE_EPS);
                c.max(0.0)
            };
            out.push(c);
        }
    }
    out
}

/// `DeepOCSORT._fuse_appearance`: `min(dists, appearance)` with the gates of `app`
/// (embedding distances as [`FeatureMath::OpenBlas`]). `iou` is the unfused IoU distance of the
/// same pairs.
pub fn fuse_appearance(
    mut dists: Vec<f32>,
    tracks: &[Option<&[f32]>],
    dets: &[Option<&[f32]>],
    iou: &[f32],
    app: &Appearance,
) -> Vec<f32> {
    let emb = embedding_distance(tracks, dets, FeatureMath::OpenBlas);
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

/// One feature map of the detection head's input, `(c, h, w)` row-major float32 (one image).
#[derive(Debug, Clone, Copy)]
pub struct FeatureMap<'a> {
    pub data: &'a [f32],
    pub c: usize,
    pub h: usize,
    pub w: usize,
}

/// Why [`pool_detector_features`] refused its input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PoolError {
    NoMaps,
    /// A map's data length is not `c * h * w`, or its values do not split into whole rows of
    /// `s * (c / s)` (where Ultralytics' `reshape` raises).
    BadMap {
        index: usize,
    },
    /// An anchor index past the last row.
    Anchor {
        anchor: usize,
        anchors: usize,
    },
}

impl fmt::Display for PoolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PoolError::NoMaps => write!(f, "no feature maps"),
            PoolError::BadMap { index } => write!(
                f,
                "feature map {index} has a size that is not channels x height x width, or values that do not \
                 split into rows of the smallest map's channel count"
            ),
            PoolError::Anchor { anchor, anchors } => {
                write!(
                    f,
                    "anchor {anchor} is outside the {anchors} feature positions"
                )
            }
        }
    }
}

impl std::error::Error for PoolError {}

/// One map's rows in `get_obj_feats`: its values in (h, w, c) order cut into rows of `s * g`
/// values, `g = c / s` (floor), each row averaged in groups of `g` down to `s` values.
fn map_rows(m: &FeatureMap<'_>, s: usize) -> Option<usize> {
    let n = m.c.checked_mul(m.h)?.checked_mul(m.w)?;
    let g = m.c / s;
    if s == 0 || g == 0 || n != m.data.len() || n % (s * g) != 0 {
        return None;
    }
    Some(n / (s * g))
}

/// `get_obj_feats` of Ultralytics 8.4.190, `x.permute(0, 2, 3, 1).reshape(b, -1, s, c // s).mean(-1)`
/// per map, concatenated level after level, then the rows of `anchors`: `(anchors.len(), s)`
/// row-major, and `s` (the smallest map's channel count). Where every `c` is a multiple of `s`, a
/// row is one position, its channels averaged in groups of `c / s`. Where one is not (YOLOv9t:
/// 64, 96, 128), a row runs across positions, as the original's reshape makes it; the map then has
/// more rows than positions, and the original's anchor indices pick rows all the same.
pub fn pool_detector_features(
    maps: &[FeatureMap<'_>],
    anchors: &[usize],
) -> Result<(Vec<f32>, usize), PoolError> {
    let s = maps.iter().map(|m| m.c).min().ok_or(PoolError::NoMaps)?;
    let mut rows = Vec::with_capacity(maps.len());
    for (index, m) in maps.iter().enumerate() {
        rows.push(map_rows(m, s).ok_or(PoolError::BadMap { index })?);
    }
    let total: usize = rows.iter().sum();
    let mut out = Vec::with_capacity(anchors.len() * s);
    for &a in anchors {
        if a >= total {
            return Err(PoolError::Anchor {
                anchor: a,
                anchors: total,
            });
        }
        let (mut level, mut r) = (0, a);
        while r >= rows[level] {
            r -= rows[level];
            level += 1;
        }
        let m = &maps[level];
        let (hw, g) = (m.h * m.w, m.c / s);
        let first = r * s * g; // the row's first value in (h, w, c) order
        for j in 0..s {
            let mut acc = 0.0f32;
            for k in first + j * g..first + (j + 1) * g {
                acc += m.data[(k % m.c) * hw + k / m.c];
            }
            out.push(acc / g as f32);
        }
    }
    Ok((out, s))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalized_and_zero() {
        let v = normalized(&[3.0, 4.0]).unwrap();
        assert_eq!(v, vec![0.6, 0.8]);
        assert!(normalized(&[0.0, 0.0]).is_none());
    }

    #[test]
    fn absorb_blends_and_renormalises() {
        let mut app = None;
        absorb(&mut app, &[2.0, 0.0], 0.9);
        assert_eq!(app.as_ref().unwrap().smooth, vec![1.0, 0.0]);
        absorb(&mut app, &[0.0, 0.0], 0.9); // no appearance: unchanged
        assert_eq!(app.as_ref().unwrap().curr, vec![1.0, 0.0]);
        absorb(&mut app, &[0.0, 5.0], 0.9);
        let a = app.unwrap();
        assert_eq!(a.curr, vec![0.0, 1.0]);
        let (x, y) = (0.9f32, 0.1f32);
        let n = (x * x + y * y).sqrt();
        assert!((a.smooth[0] - x / n).abs() < 1e-6 && (a.smooth[1] - y / n).abs() < 1e-6);
    }

    #[test]
    fn cosine_distance_and_missing() {
        let t = [1.0f32, 0.0];
        let d1 = [0.0f32, 2.0];
        let d2 = [3.0f32, 0.0];
        let m = embedding_distance(
            &[Some(&t), None],
            &[Some(&d1), Some(&d2)],
            FeatureMath::Float64,
        );
        assert_eq!(m, vec![1.0, 0.0, MISSING_DISTANCE, MISSING_DISTANCE]);
    }

    #[test]
    fn pooling_averages_channel_groups_per_level() {
        // Level 0: c=2, 1x2 positions; level 1: c=4, 1x1 position; s = 2.
        let l0 = [1.0, 2.0, /* ch1 */ 3.0, 4.0];
        let l1 = [1.0, 3.0, 5.0, 7.0];
        let maps = [
            FeatureMap {
                data: &l0,
                c: 2,
                h: 1,
                w: 2,
            },
            FeatureMap {
                data: &l1,
                c: 4,
                h: 1,
                w: 1,
            },
        ];
        let (f, s) = pool_detector_features(&maps, &[1, 2, 0]).unwrap();
        assert_eq!(s, 2);
        assert_eq!(f, vec![2.0, 4.0, 2.0, 6.0, 1.0, 3.0]);
        assert_eq!(
            pool_detector_features(&maps, &[3]),
            Err(PoolError::Anchor {
                anchor: 3,
                anchors: 3
            })
        );
        let bad = [FeatureMap {
            data: &l0,
            c: 3,
            h: 1,
            w: 1,
        }];
        assert!(pool_detector_features(&bad, &[0]).is_err());
    }

    #[test]
    fn pooling_rows_across_positions_when_channels_are_not_multiples() {
        // Level 0: c=2, 1x3 positions (s = 2); level 1: c=3, 1x2 positions: g = 1, rows of 2 values
        // run across its (h, w, c) order [p0c0, p0c1, p0c2, p1c0, p1c1, p1c2] -> 3 rows.
        let l0 = [1.0, 2.0, 3.0, /* ch1 */ 4.0, 5.0, 6.0];
        let l1 = [
            10.0, 20.0, /* ch1 */ 11.0, 21.0, /* ch2 */ 12.0, 22.0,
        ];
        let maps = [
            FeatureMap {
                data: &l0,
                c: 2,
                h: 1,
                w: 3,
            },
            FeatureMap {
                data: &l1,
                c: 3,
                h: 1,
                w: 2,
            },
        ];
        let (f, s) = pool_detector_features(&maps, &[3, 4, 5, 2]).unwrap();
        assert_eq!(s, 2);
        assert_eq!(f, vec![10.0, 11.0, 12.0, 20.0, 21.0, 22.0, 3.0, 6.0]);
        assert_eq!(
            pool_detector_features(&maps, &[6]),
            Err(PoolError::Anchor {
                anchor: 6,
                anchors: 6
            })
        );
        // 1x1 positions of c=3 with s=2: 3 values do not make whole rows of 2 (the original's reshape raises)
        let odd = [
            FeatureMap {
                data: &l0[..2],
                c: 2,
                h: 1,
                w: 1,
            },
            FeatureMap {
                data: &l1[..3],
                c: 3,
                h: 1,
                w: 1,
            },
        ];
        assert_eq!(
            pool_detector_features(&odd, &[0]),
            Err(PoolError::BadMap { index: 1 })
        );
    }

    #[test]
    fn sums_and_norms() {
        let v: Vec<f32> = (0..300).map(|i| (i as f32 * 0.37).sin()).collect();
        let naive: f64 = v.iter().map(|&x| f64::from(x)).sum();
        assert!((f64::from(pairwise_sum(&v, -0.0)) - naive).abs() < 1e-4);
        assert_eq!(row_norm(&[3.0, 4.0]), 5.0);
        assert_eq!(vector_norm(&[3.0, 4.0]), 5.0);
    }

    #[test]
    fn smoothing_normalises_and_blends() {
        let ob = FeatureMath::OpenBlas;
        let (c, s) = smooth_feature(&[3.0, 4.0], None, 0.9, ob).unwrap();
        assert_eq!(c, vec![0.6, 0.8]);
        assert_eq!(s, vec![0.6, 0.8]);
        // A zero feature: nothing to smooth, the caller keeps its features.
        assert_eq!(
            smooth_feature(&[0.0, 0.0], Some(&[1.0, 0.0]), 0.9, ob),
            None
        );
        let (_, s) = smooth_feature(&[0.0, 2.0], Some(&[1.0, 0.0]), 0.5, ob).unwrap();
        assert!((s[0] - s[1]).abs() < 1e-6 && (row_norm(&s) - 1.0).abs() < 1e-6);
        // alpha 1 keeps the direction of the smoothed feature.
        let (_, s) = smooth_feature(&[0.0, 2.0], Some(&[1.0, 0.0]), 1.0, ob).unwrap();
        assert_eq!(s, vec![1.0, 0.0]);
    }

    #[test]
    fn appearance_cost_and_gates() {
        let a = [1.0f32, 0.0];
        let b = [0.0f32, 1.0];
        let d = embedding_distance(
            &[Some(&a), None],
            &[Some(&a), Some(&b)],
            FeatureMath::OpenBlas,
        );
        assert_eq!(d, vec![0.0, 1.0, 2.0, 2.0]);
        // min(motion, appearance / 2); appearance 1 beyond 1 - appearance_thresh or when far apart.
        let app = Appearance {
            appearance_thresh: 0.25,
            proximity_thresh: 0.5,
            alpha_fixed_emb: 0.95,
            det_thresh: 0.3,
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
}
