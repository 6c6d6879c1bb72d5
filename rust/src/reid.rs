//! Appearance (ReID) features as the trackers use them: the detector's own features pooled per
//! box (`DetectionPredictor.get_obj_feats`), the L2-normalised exponential moving average a track
//! keeps (`utils/reid.py` `smooth_feature`) and the cosine distance between tracks and detections
//! (`matching.embedding_distance`).
//!
//! Float32 throughout like the original; dot products and norms accumulate in float64 and round
//! once (BLAS' own summation order is not reproducible), so values agree with the original's to an
//! ulp or two.

use std::fmt;

/// A feature vector whose norm is below this carries no appearance (`smooth_feature`).
pub const MIN_FEATURE_NORM: f32 = 1e-12;

/// `np.finfo(np.float32).eps`, the floor of the cosine's denominator.
const COSINE_EPS: f32 = f32::EPSILON;

/// A missing feature on either side: the largest cosine distance.
pub const MISSING_DISTANCE: f32 = 2.0;

/// The appearance a track keeps: the last normalised feature and the smoothed one.
#[derive(Debug, Clone, PartialEq)]
pub struct Appearance {
    pub curr: Vec<f32>,
    pub smooth: Vec<f32>,
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| f64::from(x) * f64::from(y))
        .sum::<f64>() as f32
}

fn norm(a: &[f32]) -> f32 {
    dot(a, a).sqrt()
}

/// `feat / ||feat||` in float32, or `None` when the norm is below [`MIN_FEATURE_NORM`].
pub fn normalized(feat: &[f32]) -> Option<Vec<f32>> {
    let n = norm(feat);
    if n < MIN_FEATURE_NORM || !n.is_finite() {
        return None;
    }
    Some(feat.iter().map(|&v| v / n).collect())
}

/// `smooth_feature(feat, smooth, alpha)` applied to a track's appearance: a zero-norm feature
/// leaves it as it is; the first feature sets both; later ones blend into the smoothed one
/// (`alpha * smooth + (1 - alpha) * feat`, renormalised).
pub fn absorb(app: &mut Option<Appearance>, feat: &[f32], alpha: f32) {
    let Some(curr) = normalized(feat) else {
        return;
    };
    match app {
        None => {
            *app = Some(Appearance {
                smooth: curr.clone(),
                curr,
            });
        }
        Some(a) if a.smooth.len() == curr.len() => {
            let beta = (1.0 - f64::from(alpha)) as f32;
            let blended: Vec<f32> = a
                .smooth
                .iter()
                .zip(&curr)
                .map(|(&s, &c)| alpha * s + beta * c)
                .collect();
            let n = norm(&blended);
            a.smooth = blended.iter().map(|&v| v / n).collect();
            a.curr = curr;
        }
        Some(a) => {
            // A feature of another length (a different model): start over.
            a.smooth = curr.clone();
            a.curr = curr;
        }
    }
}

/// `embedding_distance(tracks, detections)`: row-major `(tracks, dets)` cosine distances
/// `max(0, 1 - t.d / max(|t| |d|, eps))`, [`MISSING_DISTANCE`] where either side has no feature.
pub fn embedding_distance(tracks: &[Option<&[f32]>], dets: &[Option<&[f32]>]) -> Vec<f32> {
    let mut out = Vec::with_capacity(tracks.len() * dets.len());
    let dn: Vec<f32> = dets.iter().map(|d| d.map_or(0.0, norm)).collect();
    for t in tracks {
        let tn = t.map_or(0.0, norm);
        for (d, &dnj) in dets.iter().zip(&dn) {
            out.push(match (t, d) {
                (Some(t), Some(d)) if t.len() == d.len() => {
                    let c = 1.0 - dot(t, d) / (tn * dnj).max(COSINE_EPS);
                    c.max(0.0)
                }
                _ => MISSING_DISTANCE,
            });
        }
    }
    out
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
    /// A map's data length is not `c * h * w`, or `c` is not a multiple of the smallest `c`.
    BadMap {
        index: usize,
    },
    /// An anchor index past the last map position.
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
                "feature map {index} has a size that is not channels x height x width, or channels \
                 that are not a multiple of the smallest map's"
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

/// `get_obj_feats`: every map's channels at a position are averaged in groups down to the smallest
/// map's channel count `s` (`x.permute(0, 2, 3, 1).reshape(b, -1, s, c // s).mean(-1)`), the
/// maps' positions are concatenated level after level (row-major within a level), and the rows of
/// `anchors` are returned: `(anchors.len(), s)` row-major, and `s`.
pub fn pool_detector_features(
    maps: &[FeatureMap<'_>],
    anchors: &[usize],
) -> Result<(Vec<f32>, usize), PoolError> {
    let s = maps.iter().map(|m| m.c).min().ok_or(PoolError::NoMaps)?;
    for (index, m) in maps.iter().enumerate() {
        let n = m.c.checked_mul(m.h).and_then(|v| v.checked_mul(m.w));
        if s == 0 || m.c % s != 0 || n != Some(m.data.len()) {
            return Err(PoolError::BadMap { index });
        }
    }
    let total: usize = maps.iter().map(|m| m.h * m.w).sum();
    let mut out = Vec::with_capacity(anchors.len() * s);
    for &a in anchors {
        if a >= total {
            return Err(PoolError::Anchor {
                anchor: a,
                anchors: total,
            });
        }
        let mut p = a;
        let m = maps
            .iter()
            .find(|m| {
                if p < m.h * m.w {
                    true
                } else {
                    p -= m.h * m.w;
                    false
                }
            })
            .expect("anchor checked against the total");
        let (hw, g) = (m.h * m.w, m.c / s);
        for j in 0..s {
            let mut acc = 0.0f32;
            for k in 0..g {
                acc += m.data[(j * g + k) * hw + p];
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
        let m = embedding_distance(&[Some(&t), None], &[Some(&d1), Some(&d2)]);
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
}
