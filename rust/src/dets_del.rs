//! The detections a frame's NMS removed that a looser NMS keeps (`compute_dets_del` of
//! Ultralytics 8.4.190's TrackTrack): the same prediction post-processed again with IoU
//! [`LOOSE_NMS_IOU`] (everything else as the frame: candidates, scaling, clipping, and for
//! prototypes the empty-mask filter), minus the boxes that overlap one of the frame's kept boxes by
//! `>=` [`LOOSE_NMS_DEDUP_IOU`] (float32 `box_iou`). Computed only when a tracker asks for it.

use crate::iou::iou;
use crate::masks::Protos;
use crate::postprocess::{postprocess, Options, PostprocessError, Prediction};

/// `_LOOSE_NMS_IOU`: the NMS IoU of the second, looser pass.
pub const LOOSE_NMS_IOU: f32 = 0.95;
/// `_LOOSE_NMS_DEDUP_IOU`: a loose box this close to a kept box is the same detection.
pub const LOOSE_NMS_DEDUP_IOU: f32 = 0.97;

/// The loose-only detections `[x1, y1, x2, y2, conf, cls]` (original pixels) of one image whose
/// frame kept `tight`, or `None` where the original gives None (no loose or no kept box, or no
/// loose box left after the dedup). `opts` are the frame's options (its `iou` is replaced).
pub fn dets_del(
    pred: &Prediction,
    protos: Option<&Protos>,
    nc: usize,
    input_hw: (usize, usize),
    orig_hw: (usize, usize),
    opts: &Options,
    tight: &[[f32; 6]],
) -> Result<Option<Vec<[f32; 6]>>, PostprocessError> {
    let mut loose_opts = opts.clone();
    loose_opts.nms.iou = LOOSE_NMS_IOU;
    let loose = postprocess(pred, protos, nc, input_hw, orig_hw, &loose_opts)?.boxes;
    Ok(dedup(&loose, tight))
}

/// `box_iou(loose, tight).max(dim=1) < LOOSE_NMS_DEDUP_IOU`: the loose rows that are new, or None.
pub fn dedup(loose: &[[f32; 6]], tight: &[[f32; 6]]) -> Option<Vec<[f32; 6]>> {
    if loose.is_empty() || tight.is_empty() {
        return None;
    }
    let xyxy = |r: &[f32; 6]| [r[0], r[1], r[2], r[3]];
    let new: Vec<[f32; 6]> = loose
        .iter()
        .filter(|l| {
            let mut m = f32::NEG_INFINITY;
            for t in tight {
                let v = iou(&xyxy(l), &xyxy(t));
                if v.is_nan() || v > m {
                    m = v;
                    if v.is_nan() {
                        break;
                    }
                }
            }
            m < LOOSE_NMS_DEDUP_IOU
        })
        .copied()
        .collect();
    (!new.is_empty()).then_some(new)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nms::NmsOptions;

    /// A `(4 + nc) x a` detect prediction from per-anchor `(cx, cy, w, h)` and one class score.
    fn pred(anchors: &[([f32; 4], f32)]) -> Vec<f32> {
        let a = anchors.len();
        let mut p = vec![0.0; 5 * a];
        for (j, (b, s)) in anchors.iter().enumerate() {
            for k in 0..4 {
                p[k * a + j] = b[k];
            }
            p[4 * a + j] = *s;
        }
        p
    }

    #[test]
    fn loose_nms_recovers_the_overlapping_box() {
        // Two boxes with IoU ~0.82: the frame's NMS (0.7) keeps one, the loose one (0.95) both.
        let data = pred(&[
            ([100.0, 100.0, 50.0, 100.0], 0.9),
            ([105.0, 100.0, 50.0, 100.0], 0.8),
        ]);
        let p = Prediction {
            data: &data,
            rows: 5,
            cols: 2,
        };
        let opts = Options {
            nms: NmsOptions {
                conf: 0.1,
                iou: 0.7,
                ..Default::default()
            },
            ..Options::default()
        };
        let tight = postprocess(&p, None, 1, (640, 640), (640, 640), &opts)
            .unwrap()
            .boxes;
        assert_eq!(tight.len(), 1);
        let del = dets_del(&p, None, 1, (640, 640), (640, 640), &opts, &tight)
            .unwrap()
            .unwrap();
        assert_eq!(del, vec![[80.0, 50.0, 130.0, 150.0, 0.8, 0.0]]);
        // Nothing kept by the frame, or nothing new: None, as the original.
        assert_eq!(dedup(&del, &[]), None);
        assert_eq!(dedup(&tight, &tight), None);
    }
}
