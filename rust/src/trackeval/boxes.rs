//! Box IoU of MOTChallenge `(x, y, w, h)` boxes, as TrackEval's `_calculate_box_ious`
//! (float64, corners `x + w` first, degenerate boxes and unions give 0).

use super::{Mat, EPS};

/// `(gt.len(), tr.len())` IoU matrix of two lists of `[x, y, w, h]` boxes.
pub fn box_iou_xywh(gt: &[[f64; 4]], tr: &[[f64; 4]]) -> Mat {
    let to_xyxy = |b: &[f64; 4]| [b[0], b[1], b[0] + b[2], b[1] + b[3]];
    let g: Vec<[f64; 4]> = gt.iter().map(to_xyxy).collect();
    let t: Vec<[f64; 4]> = tr.iter().map(to_xyxy).collect();
    let area = |b: &[f64; 4]| (b[2] - b[0]) * (b[3] - b[1]);
    let area_t: Vec<f64> = t.iter().map(area).collect();
    let mut out = Mat::zeros(g.len(), t.len());
    for (i, a) in g.iter().enumerate() {
        let area_a = area(a);
        for (j, b) in t.iter().enumerate() {
            let iw = (a[2].min(b[2]) - a[0].max(b[0])).max(0.0);
            let ih = (a[3].min(b[3]) - a[1].max(b[1])).max(0.0);
            let mut inter = iw * ih;
            let mut union = area_a + area_t[j] - inter;
            if area_a <= EPS || area_t[j] <= EPS || union <= EPS {
                inter = 0.0;
            }
            if union <= EPS {
                union = 1.0;
            }
            out.data[i * t.len() + j] = inter / union;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iou_values() {
        let m = box_iou_xywh(
            &[[0.0, 0.0, 10.0, 10.0]],
            &[
                [5.0, 0.0, 10.0, 10.0],
                [0.0, 0.0, 10.0, 10.0],
                [20.0, 20.0, 1.0, 1.0],
            ],
        );
        assert_eq!(m.rows, 1);
        assert!((m.at(0, 0) - 50.0 / 150.0).abs() < 1e-15);
        assert_eq!(m.at(0, 1), 1.0);
        assert_eq!(m.at(0, 2), 0.0);
    }

    #[test]
    fn degenerate_boxes_give_zero() {
        let m = box_iou_xywh(&[[0.0, 0.0, 0.0, 10.0]], &[[0.0, 0.0, 0.0, 10.0]]);
        assert_eq!(m.at(0, 0), 0.0);
        let e = box_iou_xywh(&[], &[[0.0, 0.0, 1.0, 1.0]]);
        assert_eq!((e.rows, e.cols), (0, 1));
    }
}
