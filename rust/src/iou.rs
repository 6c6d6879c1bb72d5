//! Box IoU for tracking, computed the way Ultralytics' `bbox_ioa(..., iou=True)` does on the
//! float32 arrays that `matching.iou_distance` builds: `inter / (a1 + a2 - inter + 1e-7)`, all in
//! float32 and in the same operation order, so thresholds and ties land where they land there.

/// An axis-aligned box `[x1, y1, x2, y2]`.
pub type Xyxy = [f32; 4];

/// The `eps` of `bbox_ioa` as numpy applies it to a float32 array.
pub const IOU_EPS: f32 = 1e-7;

/// IoU of two boxes, bit-for-bit like one element of `bbox_ioa(a, b, iou=True)` in float32.
#[inline]
pub fn iou(a: &Xyxy, b: &Xyxy) -> f32 {
    let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
    let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
    let inter = iw * ih;
    let area_b = (b[2] - b[0]) * (b[3] - b[1]);
    let area_a = (a[2] - a[0]) * (a[3] - a[1]);
    let union = area_b + area_a - inter;
    inter / (union + IOU_EPS)
}

/// Row-major `(a.len(), b.len())` IoU matrix written into `out` (cleared first).
pub fn iou_matrix_into(a: &[Xyxy], b: &[Xyxy], out: &mut Vec<f32>) {
    out.clear();
    out.reserve(a.len() * b.len());
    for ra in a {
        for rb in b {
            out.push(iou(ra, rb));
        }
    }
}

/// Row-major `(a.len(), b.len())` IoU matrix.
pub fn iou_matrix(a: &[Xyxy], b: &[Xyxy]) -> Vec<f32> {
    let mut out = Vec::new();
    iou_matrix_into(a, b, &mut out);
    out
}

/// `matching.iou_distance`: `1 - iou` in float32, row-major, into `out`.
pub fn iou_distance_into(a: &[Xyxy], b: &[Xyxy], out: &mut Vec<f32>) {
    iou_matrix_into(a, b, out);
    for v in out.iter_mut() {
        *v = 1.0 - *v;
    }
}

/// `matching.fuse_score`: `1 - (1 - cost) * score` per column, float32, in place.
pub fn fuse_score(cost: &mut [f32], cols: usize, scores: &[f32]) {
    if cols == 0 {
        return;
    }
    for row in cost.chunks_mut(cols) {
        for (c, s) in row.iter_mut().zip(scores) {
            let sim = 1.0 - *c;
            *c = 1.0 - sim * *s;
        }
    }
}

/// `OCSortTrack._xyxy_center` of a float32 box (float32).
#[inline]
pub fn xyxy_center(b: &Xyxy) -> [f32; 2] {
    [(b[0] + b[2]) / 2.0, (b[1] + b[3]) / 2.0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_boxes_are_one() {
        let b = [10.0, 20.0, 110.0, 220.0];
        assert!((iou(&b, &b) - 1.0).abs() < 1e-6);
    }

    #[test]
    fn disjoint_is_zero_and_zero_area_is_zero() {
        assert_eq!(iou(&[0.0, 0.0, 1.0, 1.0], &[2.0, 2.0, 3.0, 3.0]), 0.0);
        assert_eq!(iou(&[1.0, 1.0, 1.0, 1.0], &[1.0, 1.0, 1.0, 1.0]), 0.0);
    }

    #[test]
    fn half_overlap() {
        // inter 50, union 150.
        let v = iou(&[0.0, 0.0, 10.0, 10.0], &[5.0, 0.0, 15.0, 10.0]);
        assert!((v - 1.0 / 3.0).abs() < 1e-6, "{v}");
    }

    #[test]
    fn matrix_is_symmetric_in_shape_and_value() {
        let a = [[0.0, 0.0, 10.0, 10.0], [3.0, 4.0, 9.0, 30.0]];
        let b = [
            [1.0, 1.0, 12.0, 9.0],
            [0.0, 0.0, 10.0, 10.0],
            [50.0, 50.0, 60.0, 60.0],
        ];
        let m = iou_matrix(&a, &b);
        let t = iou_matrix(&b, &a);
        for i in 0..2 {
            for j in 0..3 {
                assert_eq!(m[i * 3 + j], t[j * 2 + i]);
                assert!((0.0..=1.0).contains(&m[i * 3 + j]));
            }
        }
    }

    #[test]
    fn fused_cost() {
        let mut c = vec![0.25f32, 1.0];
        fuse_score(&mut c, 2, &[0.5, 0.9]);
        assert_eq!(c, vec![1.0 - 0.75 * 0.5, 1.0]);
    }
}
