//! Validation matching (`model.val`): mask IoU of binary masks and Ultralytics 8.4.190's greedy
//! `BaseValidator.match_predictions`, in float32 as the original computes them.
//!
//! `mask_iou` counts pixels exactly (the original's float32 matmul of 0/1 masks is exact for
//! masks under 2^24 pixels) and only inside the overlap of each pair's nonzero bounding boxes;
//! the IoU itself is `inter / ((a1 + a2 - inter) + 1e-7)` in float32, bit-for-bit the original's.

/// The `eps` of Ultralytics' `mask_iou`, added to the float32 union.
pub const MASK_IOU_EPS: f32 = 1e-7;

/// Half-open `(y0, y1, x0, x1)` bounds of a mask's nonzero pixels.
type Bounds = (usize, usize, usize, usize);

/// Pixel count and nonzero bounds of one `(h, w)` mask; rows without a set pixel are only
/// tested (most rows of a detection's mask are empty).
fn mask_stat(mask: &[u8], h: usize, w: usize) -> (u32, Option<Bounds>) {
    let (mut y0, mut y1, mut x0, mut x1) = (usize::MAX, 0, usize::MAX, 0);
    let mut area = 0u32;
    for (y, row) in mask.chunks_exact(w).take(h).enumerate() {
        if row.iter().all(|&v| v == 0) {
            continue;
        }
        let f = row.iter().position(|&v| v != 0).unwrap_or(0);
        let l = row.iter().rposition(|&v| v != 0).unwrap_or(f);
        area += row[f..=l].iter().map(|&v| u32::from(v != 0)).sum::<u32>();
        y0 = y0.min(y);
        y1 = y + 1;
        x0 = x0.min(f);
        x1 = x1.max(l + 1);
    }
    (area, (y0 != usize::MAX).then_some((y0, y1, x0, x1)))
}

/// Pixel count and nonzero bounds of each of the `n` `(h, w)` masks stored back to back.
fn mask_stats(masks: &[u8], n: usize, h: usize, w: usize) -> Vec<(u32, Option<Bounds>)> {
    masks
        .chunks_exact(h * w)
        .take(n)
        .map(|m| mask_stat(m, h, w))
        .collect()
}

/// `(n1, n2)` row-major IoU of `n1` target masks against `n2` predicted masks, all `(h, w)` with
/// nonzero = set. Equal to Ultralytics' `mask_iou(m1.flatten(1), m2.flatten(1))` in float32.
///
/// # Panics
/// If a slice is shorter than its `n * h * w`.
pub fn mask_iou(m1: &[u8], n1: usize, m2: &[u8], n2: usize, h: usize, w: usize) -> Vec<f32> {
    let px = h * w;
    assert!(
        m1.len() >= n1 * px && m2.len() >= n2 * px,
        "mask buffers too short"
    );
    let mut out = vec![0.0f32; n1 * n2];
    if px == 0 {
        return out;
    }
    let s1 = mask_stats(m1, n1, h, w);
    let s2 = mask_stats(m2, n2, h, w);
    for (i, &(a1, b1)) in s1.iter().enumerate() {
        let g = &m1[i * px..(i + 1) * px];
        for (j, &(a2, b2)) in s2.iter().enumerate() {
            let mut inter = 0u32;
            if let (Some(p), Some(q)) = (b1, b2) {
                let (y0, y1, x0, x1) = (p.0.max(q.0), p.1.min(q.1), p.2.max(q.2), p.3.min(q.3));
                if y0 < y1 && x0 < x1 {
                    let d = &m2[j * px..(j + 1) * px];
                    for y in y0..y1 {
                        let r = y * w;
                        inter += g[r + x0..r + x1]
                            .iter()
                            .zip(&d[r + x0..r + x1])
                            .map(|(&a, &b)| u32::from(a != 0 && b != 0))
                            .sum::<u32>();
                    }
                }
            }
            let (inter, a1, a2) = (inter as f32, a1 as f32, a2 as f32);
            let union = (a1 + a2) - inter;
            out[i * n2 + j] = inter / (union + MASK_IOU_EPS);
        }
    }
    out
}

/// Ultralytics 8.4.190 `BaseValidator.match_predictions` (the greedy, non-scipy path).
///
/// `iou` is `(n_true, n_pred)` row-major, predictions in descending confidence order. A
/// prediction of the wrong class has IoU 0 with a target; at each threshold, each prediction
/// takes the unclaimed target of highest IoU (first on ties) and is correct when that IoU is
/// `>= threshold`, claiming it. Returns `(n_pred, thresholds.len())` row-major booleans.
///
/// # Panics
/// If `iou.len() != true_classes.len() * pred_classes.len()`.
pub fn match_predictions(
    pred_classes: &[f32],
    true_classes: &[f32],
    iou: &[f32],
    thresholds: &[f32],
) -> Vec<bool> {
    let (nt, np, nth) = (true_classes.len(), pred_classes.len(), thresholds.len());
    assert_eq!(iou.len(), nt * np, "iou must be (n_true, n_pred)");
    let mut correct = vec![false; np * nth];
    let Some(tmin) = thresholds.iter().copied().reduce(f32::min) else {
        return correct;
    };
    let masked = |i: usize, j: usize| {
        if true_classes[i] == pred_classes[j] {
            iou[i * np + j]
        } else {
            0.0
        }
    };
    let mut matched = vec![false; nt * nth];
    for j in 0..np {
        if !(0..nt).any(|i| masked(i, j) >= tmin) {
            continue;
        }
        for (t, &thr) in thresholds.iter().enumerate() {
            // argmax over targets of (claimed ? 0 : iou), first index on ties, as numpy's argmax
            let mut k = 0;
            let mut best = f32::NEG_INFINITY;
            for i in 0..nt {
                let v = if matched[i * nth + t] {
                    0.0
                } else {
                    masked(i, j)
                };
                if v > best {
                    best = v;
                    k = i;
                }
            }
            let ok = best >= thr;
            correct[j * nth + t] = ok;
            if ok {
                matched[k * nth + t] = true;
            }
        }
    }
    correct
}

#[cfg(test)]
mod tests {
    use super::*;

    const IOUV: [f32; 10] = [0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95];

    fn rect(h: usize, w: usize, y0: usize, y1: usize, x0: usize, x1: usize) -> Vec<u8> {
        let mut m = vec![0u8; h * w];
        for y in y0..y1 {
            for x in x0..x1 {
                m[y * w + x] = 1;
            }
        }
        m
    }

    #[test]
    fn mask_iou_counts_exactly() {
        let a = rect(8, 8, 0, 4, 0, 4); // 16 px
        let b = [
            rect(8, 8, 2, 6, 2, 6),
            rect(8, 8, 0, 4, 0, 4),
            vec![0; 64],
            rect(8, 8, 5, 8, 5, 8),
        ]
        .concat();
        let iou = mask_iou(&a, 1, &b, 4, 8, 8);
        assert_eq!(iou[0], 4.0f32 / (28.0f32 + MASK_IOU_EPS));
        assert_eq!(iou[1], 16.0f32 / (16.0f32 + MASK_IOU_EPS));
        assert_eq!(iou[2], 0.0);
        assert_eq!(iou[3], 0.0);
    }

    #[test]
    fn mask_iou_empty_shapes() {
        assert!(mask_iou(&[], 0, &[], 0, 4, 4).is_empty());
        let a = rect(4, 4, 0, 2, 0, 2);
        assert_eq!(mask_iou(&a, 1, &[], 0, 4, 4).len(), 0);
        assert_eq!(mask_iou(&[0; 16], 1, &a, 1, 4, 4), vec![0.0]);
    }

    #[test]
    fn greedy_matching_claims_targets_once() {
        // one target, two predictions of its class: only the first is correct
        let c = match_predictions(&[0.0, 0.0], &[0.0], &[0.96, 0.8], &IOUV);
        assert!(c[..10].iter().all(|&v| v));
        assert!(c[10..].iter().all(|&v| !v));
    }

    #[test]
    fn wrong_class_and_inclusive_thresholds() {
        let c = match_predictions(&[1.0, 0.0], &[0.0], &[0.99, 0.75], &IOUV);
        assert!(c[..10].iter().all(|&v| !v));
        assert_eq!(
            &c[10..],
            &[true, true, true, true, true, true, false, false, false, false]
        );
    }

    #[test]
    fn second_target_taken_when_first_claimed() {
        // two targets, two predictions: the second prediction takes the target the first left
        let iou = [0.9, 0.8, 0.6, 0.7]; // rows: targets, cols: predictions
        let c = match_predictions(&[0.0, 0.0], &[0.0, 0.0], &iou, &IOUV);
        // pred 0 claims target 0 up to 0.9; pred 1 then has target 1 (0.7) left, and target 0 (0.8) at 0.95
        assert_eq!(
            &c[..10],
            &[true, true, true, true, true, true, true, true, true, false]
        );
        assert_eq!(
            &c[10..],
            &[true, true, true, true, true, false, false, false, false, false]
        );
    }
}
