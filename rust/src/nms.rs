//! Candidate selection and greedy non-maximum suppression, as Ultralytics' `non_max_suppression`.
//!
//! The raw head output of one image is `pred[C][A]` (row-major, `C = 4 + nc + nm`): box centre and
//! size, `nc` class scores and `nm` mask coefficients for each of the `A` anchors. All arithmetic is
//! `f32`, like the original's torch tensors, so the kept boxes are the same.
//!
//! Non-finite model outputs (a NaN or infinite box coordinate or score) are dropped before NMS: the
//! original would keep a NaN box (its IoU with anything is never `> iou`) and fail later when drawing.
//! End-to-end rows whose class index is not one of the model's `nc` classes are dropped too.

/// Options of one NMS call (the defaults are Ultralytics' predict defaults).
#[derive(Clone, Debug)]
pub struct NmsOptions {
    pub conf: f32,
    pub iou: f32,
    pub classes: Option<Vec<i64>>,
    pub agnostic: bool,
    pub max_det: usize,
    pub max_nms: usize,
    pub max_wh: f32,
}

impl Default for NmsOptions {
    fn default() -> Self {
        Self {
            conf: 0.25,
            iou: 0.7,
            classes: None,
            agnostic: false,
            max_det: 300,
            max_nms: 30000,
            max_wh: 7680.0,
        }
    }
}

/// One kept detection: box (xyxy, input pixels), score, class and the anchor it came from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    pub xyxy: [f32; 4],
    pub score: f32,
    pub class: usize,
    pub anchor: usize,
}

fn class_allowed(classes: &Option<Vec<i64>>, class: usize) -> bool {
    match classes {
        None => true,
        Some(list) => list.contains(&(class as i64)),
    }
}

/// Anchors whose best class score is `> conf` (and whose class is allowed), as detections with the
/// box converted from xywh to xyxy; anchors with a non-finite box or score are dropped. `pred` is
/// `c x a` row-major with `c >= 4 + nc`.
pub fn candidates(
    pred: &[f32],
    c: usize,
    a: usize,
    nc: usize,
    opts: &NmsOptions,
) -> Vec<Detection> {
    assert!(
        pred.len() >= c * a && c >= 4 + nc,
        "prediction shape mismatch"
    );
    if nc == 0 || a == 0 {
        return Vec::new();
    }
    // Pass 1: branch-free running max over the class rows (sequential memory, vectorises).
    // `f32::max` ignores NaN, so this is an upper bound of the exact best score below.
    let mut upper = pred[4 * a..5 * a].to_vec();
    for k in 1..nc {
        let row = &pred[(4 + k) * a..(5 + k) * a];
        for (m, &s) in upper.iter_mut().zip(row) {
            *m = m.max(s);
        }
    }
    // Pass 2: the exact first-max class and score, only for anchors that can pass.
    let mut out = Vec::new();
    for (j, &ub) in upper.iter().enumerate() {
        if ub.is_nan() || ub <= opts.conf {
            continue;
        }
        let mut s = pred[4 * a + j];
        let mut cls = 0usize;
        for k in 1..nc {
            let v = pred[(4 + k) * a + j];
            if v > s {
                s = v;
                cls = k;
            }
        }
        // NaN scores are never above the threshold.
        if s.is_nan() || s <= opts.conf || !class_allowed(&opts.classes, cls) {
            continue;
        }
        let (cx, cy, w, h) = (pred[j], pred[a + j], pred[2 * a + j], pred[3 * a + j]);
        let (hw, hh) = (w / 2.0, h / 2.0);
        let xyxy = [cx - hw, cy - hh, cx + hw, cy + hh];
        if !finite(&xyxy, s) {
            continue;
        }
        out.push(Detection {
            xyxy,
            score: s,
            class: cls,
            anchor: j,
        });
    }
    out
}

/// A box and score a detection can be made of: every value finite.
fn finite(xyxy: &[f32; 4], score: f32) -> bool {
    score.is_finite() && xyxy.iter().all(|v| v.is_finite())
}

/// Sort by score, descending; ties keep anchor order (deterministic).
fn sort_by_score(dets: &mut [Detection]) {
    dets.sort_by(|x, y| y.score.total_cmp(&x.score).then(x.anchor.cmp(&y.anchor)));
}

/// Greedy NMS over candidates: boxes offset by `class * max_wh` unless agnostic, suppress
/// `IoU > iou`, keep at most `max_det`. Returns the kept detections sorted by score.
pub fn nms(mut dets: Vec<Detection>, opts: &NmsOptions) -> Vec<Detection> {
    sort_by_score(&mut dets);
    dets.truncate(opts.max_nms);
    let n = dets.len();
    let boxes: Vec<[f32; 4]> = dets
        .iter()
        .map(|d| {
            let off = if opts.agnostic {
                0.0
            } else {
                d.class as f32 * opts.max_wh
            };
            [
                d.xyxy[0] + off,
                d.xyxy[1] + off,
                d.xyxy[2] + off,
                d.xyxy[3] + off,
            ]
        })
        .collect();
    // Structure of arrays and a branch-free inner loop (3.5x faster at 8k candidates). A pair
    // without overlap gives IoU 0 (or NaN for two empty boxes), never `> iou`; marking an already
    // suppressed box again changes nothing.
    let x1: Vec<f32> = boxes.iter().map(|b| b[0]).collect();
    let y1: Vec<f32> = boxes.iter().map(|b| b[1]).collect();
    let x2: Vec<f32> = boxes.iter().map(|b| b[2]).collect();
    let y2: Vec<f32> = boxes.iter().map(|b| b[3]).collect();
    let areas: Vec<f32> = boxes
        .iter()
        .map(|b| (b[2] - b[0]) * (b[3] - b[1]))
        .collect();
    let mut suppressed = vec![0u8; n];
    let mut keep = Vec::new();
    for i in 0..n {
        if suppressed[i] != 0 {
            continue;
        }
        keep.push(dets[i]);
        if keep.len() >= opts.max_det {
            break;
        }
        let (ax1, ay1, ax2, ay2, aa) = (x1[i], y1[i], x2[i], y2[i], areas[i]);
        let s = i + 1;
        for (((((sj, &bx1), &by1), &bx2), &by2), &ba) in suppressed[s..]
            .iter_mut()
            .zip(&x1[s..])
            .zip(&y1[s..])
            .zip(&x2[s..])
            .zip(&y2[s..])
            .zip(&areas[s..])
        {
            let w = (ax2.min(bx2) - ax1.max(bx1)).max(0.0);
            let h = (ay2.min(by2) - ay1.max(by1)).max(0.0);
            let inter = w * h;
            *sj |= (inter / (aa + ba - inter) > opts.iou) as u8;
        }
    }
    keep
}

/// End-to-end head output `rows x cols` (cols >= 6: x1, y1, x2, y2, score, class, ...): no NMS,
/// keep rows with score `> conf`, a finite box, a class index below `nc` and an allowed class, in
/// order, at most `max_det`.
pub fn end2end(
    pred: &[f32],
    rows: usize,
    cols: usize,
    nc: usize,
    opts: &NmsOptions,
) -> Vec<Detection> {
    assert!(
        cols >= 6 && pred.len() >= rows * cols,
        "end-to-end output shape mismatch"
    );
    let mut out = Vec::new();
    for r in 0..rows {
        let row = &pred[r * cols..(r + 1) * cols];
        let score = row[4];
        let cls = row[5];
        if score.is_nan() || score <= opts.conf || !cls.is_finite() || cls < 0.0 {
            continue;
        }
        let class = cls as usize; // saturating: a huge index stays >= nc
        let xyxy = [row[0], row[1], row[2], row[3]];
        if class >= nc || !finite(&xyxy, score) || !class_allowed(&opts.classes, class) {
            continue;
        }
        out.push(Detection {
            xyxy,
            score,
            class,
            anchor: r,
        });
        if out.len() >= opts.max_det {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Build a `c x a` prediction from per-anchor (cx, cy, w, h, scores).
    fn pred(anchors: &[([f32; 4], Vec<f32>)]) -> (Vec<f32>, usize, usize) {
        let a = anchors.len();
        let nc = anchors[0].1.len();
        let c = 4 + nc;
        let mut p = vec![0.0; c * a];
        for (j, (b, s)) in anchors.iter().enumerate() {
            for k in 0..4 {
                p[k * a + j] = b[k];
            }
            for k in 0..nc {
                p[(4 + k) * a + j] = s[k];
            }
        }
        (p, c, a)
    }

    #[test]
    fn candidates_strict_threshold_and_best_class() {
        let (p, c, a) = pred(&[
            ([10.0, 10.0, 4.0, 2.0], vec![0.25, 0.1]),
            ([20.0, 20.0, 2.0, 2.0], vec![0.2, 0.9]),
            ([30.0, 30.0, 2.0, 2.0], vec![f32::NAN, 0.0]),
        ]);
        let d = candidates(&p, c, a, 2, &NmsOptions::default());
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].class, 1);
        assert_eq!(d[0].anchor, 1);
        assert_eq!(d[0].xyxy, [19.0, 19.0, 21.0, 21.0]);
    }

    #[test]
    fn class_filter() {
        let (p, c, a) = pred(&[
            ([10.0, 10.0, 4.0, 2.0], vec![0.9, 0.1]),
            ([20.0, 20.0, 2.0, 2.0], vec![0.2, 0.9]),
        ]);
        let opts = NmsOptions {
            classes: Some(vec![0]),
            ..Default::default()
        };
        let d = candidates(&p, c, a, 2, &opts);
        assert_eq!(d.len(), 1);
        assert_eq!(d[0].class, 0);
    }

    #[test]
    fn nms_suppresses_overlaps_within_class_only() {
        let det = |x: f32, s: f32, c: usize, i: usize| Detection {
            xyxy: [x, 0.0, x + 10.0, 10.0],
            score: s,
            class: c,
            anchor: i,
        };
        // 0 and 1 overlap with IoU 9/11 > 0.7; 2 overlaps 0 but is another class.
        let d = vec![
            det(0.0, 0.8, 0, 0),
            det(1.0, 0.9, 0, 1),
            det(0.0, 0.5, 1, 2),
            det(50.0, 0.3, 0, 3),
        ];
        let k = nms(d.clone(), &NmsOptions::default());
        let anchors: Vec<usize> = k.iter().map(|d| d.anchor).collect();
        assert_eq!(anchors, vec![1, 2, 3]);
        let agn = nms(
            d,
            &NmsOptions {
                agnostic: true,
                ..Default::default()
            },
        );
        let anchors: Vec<usize> = agn.iter().map(|d| d.anchor).collect();
        assert_eq!(anchors, vec![1, 3]);
    }

    #[test]
    fn nms_iou_equal_to_threshold_is_kept() {
        // IoU exactly 0.5: kept (suppress only IoU > iou).
        let a = Detection {
            xyxy: [0.0, 0.0, 4.0, 3.0],
            score: 0.9,
            class: 0,
            anchor: 0,
        };
        let b = Detection {
            xyxy: [0.0, 1.0, 4.0, 4.0],
            score: 0.8,
            class: 0,
            anchor: 1,
        };
        let k = nms(
            vec![a, b],
            &NmsOptions {
                iou: 0.5,
                ..Default::default()
            },
        );
        assert_eq!(k.len(), 2);
        let k = nms(
            vec![a, b],
            &NmsOptions {
                iou: 0.49,
                ..Default::default()
            },
        );
        assert_eq!(k.len(), 1);
    }

    #[test]
    fn max_det_and_empty() {
        let d: Vec<Detection> = (0..10)
            .map(|i| Detection {
                xyxy: [i as f32 * 20.0, 0.0, i as f32 * 20.0 + 5.0, 5.0],
                score: 0.5,
                class: 0,
                anchor: i,
            })
            .collect();
        assert_eq!(
            nms(
                d,
                &NmsOptions {
                    max_det: 3,
                    ..Default::default()
                }
            )
            .len(),
            3
        );
        assert!(nms(Vec::new(), &NmsOptions::default()).is_empty());
        assert!(candidates(&[], 84, 0, 80, &NmsOptions::default()).is_empty());
    }

    #[test]
    fn end2end_filters_in_order() {
        let p = vec![
            0.0, 0.0, 5.0, 5.0, 0.9, 2.0, //
            1.0, 1.0, 6.0, 6.0, 0.1, 0.0, //
            2.0, 2.0, 7.0, 7.0, 0.5, 1.0,
        ];
        let d = end2end(&p, 3, 6, 80, &NmsOptions::default());
        assert_eq!(d.iter().map(|d| d.class).collect::<Vec<_>>(), vec![2, 1]);
        let d = end2end(
            &p,
            3,
            6,
            80,
            &NmsOptions {
                classes: Some(vec![1]),
                ..Default::default()
            },
        );
        assert_eq!(d.len(), 1);
    }

    #[test]
    fn end2end_drops_unknown_classes_and_non_finite_rows() {
        let p = vec![
            0.0,
            0.0,
            5.0,
            5.0,
            0.9,
            999.0, // class 999 of 80: dropped
            f32::NAN,
            1.0,
            6.0,
            6.0,
            0.8,
            0.0, // NaN box: dropped
            1.0,
            1.0,
            6.0,
            f32::INFINITY,
            0.8,
            0.0, // infinite box: dropped
            1.0,
            1.0,
            6.0,
            6.0,
            f32::INFINITY,
            0.0, // infinite score: dropped
            1.0,
            1.0,
            6.0,
            6.0,
            0.7,
            1e30, // saturating cast, still >= nc: dropped
            2.0,
            2.0,
            7.0,
            7.0,
            0.5,
            79.0, // the last class: kept
        ];
        let d = end2end(&p, 6, 6, 80, &NmsOptions::default());
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].class, d[0].anchor), (79, 5));
    }

    #[test]
    fn candidates_drop_non_finite_boxes_and_scores() {
        let (p, c, a) = pred(&[
            ([f32::NAN, 10.0, 4.0, 2.0], vec![0.9, 0.1]),
            ([20.0, 20.0, f32::INFINITY, 2.0], vec![0.9, 0.1]),
            ([20.0, 20.0, 2.0, 2.0], vec![f32::INFINITY, 0.1]),
            ([3e38, 20.0, 3e38, 2.0], vec![0.9, 0.1]), // cx + w / 2 overflows to infinity
            ([40.0, 40.0, 2.0, 2.0], vec![0.3, 0.8]),
        ]);
        let d = candidates(&p, c, a, 2, &NmsOptions::default());
        assert_eq!(d.len(), 1);
        assert_eq!((d[0].anchor, d[0].class), (4, 1));
        assert_eq!(d[0].xyxy, [39.0, 39.0, 41.0, 41.0]);
    }

    /// The textbook greedy NMS, to check the vectorised one against.
    fn naive(mut dets: Vec<Detection>, opts: &NmsOptions) -> Vec<usize> {
        sort_by_score(&mut dets);
        let mut keep: Vec<Detection> = Vec::new();
        for d in dets {
            let off = |x: &Detection| {
                if opts.agnostic {
                    0.0
                } else {
                    x.class as f32 * opts.max_wh
                }
            };
            let ok = keep.iter().all(|k| {
                let (a, b) = (k.xyxy.map(|v| v + off(k)), d.xyxy.map(|v| v + off(&d)));
                let w = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
                let h = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
                let inter = w * h;
                let union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
                inter == 0.0 || inter / union <= opts.iou
            });
            if ok && keep.len() < opts.max_det {
                keep.push(d);
            }
        }
        keep.iter().map(|d| d.anchor).collect()
    }

    #[test]
    fn vectorised_nms_equals_textbook_on_random_boxes() {
        let mut seed = 12345u64;
        let mut rnd = move || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((seed >> 33) as f32) / (1u64 << 31) as f32
        };
        for round in 0..50 {
            let n = 1 + round * 7;
            let dets: Vec<Detection> = (0..n)
                .map(|i| {
                    let (x, y) = (rnd() * 200.0, rnd() * 200.0);
                    let (w, h) = (rnd() * 60.0, rnd() * 60.0);
                    Detection {
                        xyxy: [x, y, x + w, y + h],
                        score: (rnd() * 20.0).round() / 20.0,
                        class: (rnd() * 3.0) as usize,
                        anchor: i,
                    }
                })
                .collect();
            for agnostic in [false, true] {
                let opts = NmsOptions {
                    iou: 0.3 + rnd() * 0.5,
                    agnostic,
                    max_det: 1 + (rnd() * 40.0) as usize,
                    ..Default::default()
                };
                let got: Vec<usize> = nms(dets.clone(), &opts).iter().map(|d| d.anchor).collect();
                assert_eq!(got, naive(dets.clone(), &opts), "round {round}");
            }
        }
    }
}
