//! One image's post-processing, as Ultralytics' `SegmentationPredictor.postprocess`: candidates and
//! greedy NMS (or the end-to-end filter), mask decoding over each kept box (prototypes upsampled to
//! the network input, or to the original image with `retina_masks`), detections whose mask is empty
//! dropped, boxes scaled to the original image and clipped.

use std::collections::TryReserveError;
use std::fmt;

use crate::masks::{decode_roi, input_taps, native_taps, MaskRoi, Protos};
use crate::nms::{candidates, end2end, nms, Detection, NmsOptions};
use crate::scale::{check_hw, Geometry, ShapeError};

/// The head output of one image, row-major: `(4 + nc + nm, anchors)`, or `(rows, 6 + nm)` for
/// end-to-end models.
#[derive(Clone, Copy, Debug)]
pub struct Prediction<'a> {
    pub data: &'a [f32],
    pub rows: usize,
    pub cols: usize,
}

/// Options of one post-processing call (the defaults are Ultralytics' predict defaults): the
/// candidate / NMS options and what is done with the kept boxes.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `conf`, `iou`, `classes`, `agnostic`, `max_det`, `max_nms` (and the class offset `max_wh`).
    pub nms: NmsOptions,
    pub end_to_end: bool,
    pub retina_masks: bool,
    /// Keep detections whose mask is empty (the original skips that filter when a tracker reads
    /// the detector's own ReID features).
    pub keep_empty_masks: bool,
}

/// The kept detections of one image.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Output {
    /// `[x1, y1, x2, y2, conf, cls]` in original-image pixels, clipped to the image.
    pub boxes: Vec<[f32; 6]>,
    /// `None` without prototypes, else one non-empty mask region per box (in input pixels, or
    /// original pixels with `retina_masks`).
    pub rois: Option<Vec<MaskRoi>>,
    /// The prediction column (anchor) of each kept box (its row for end-to-end models), as NMS'
    /// `return_idxs` gives it.
    pub anchors: Vec<usize>,
}

/// The largest side of `input_hw` / `orig_hw` (2^20 pixels): mask sampling tables are sized by the
/// sides, so absurd sizes are refused before anything is allocated.
pub const MAX_SIDE: usize = 1 << 20;

/// Why the arguments of [`postprocess`] were refused.
#[derive(Clone, Debug, PartialEq)]
pub enum PostprocessError {
    /// `input_hw` or `orig_hw` has a zero side.
    Shape(ShapeError),
    /// `conf` or `iou` is NaN or outside `[0, 1]`.
    Threshold { name: &'static str, value: f32 },
    /// An end-to-end row is not `6 + nm` values (x1, y1, x2, y2, score, class, coefficients).
    EndToEndColumns { need: usize, got: usize },
    /// A side of `input_hw` or `orig_hw` above [`MAX_SIDE`].
    TooLarge {
        name: &'static str,
        hw: (usize, usize),
    },
    /// A mask region's buffers could not be allocated.
    OutOfMemory(TryReserveError),
    /// Fewer channels than `4 + nc + nm`.
    Channels { got: usize, nc: usize, nm: usize },
    /// Prototypes with a zero height or width.
    EmptyProtos,
    /// A slice shorter or longer than its stated shape.
    DataLength {
        name: &'static str,
        expected: usize,
        got: usize,
    },
}

impl fmt::Display for PostprocessError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PostprocessError::Shape(e) => e.fmt(f),
            PostprocessError::Threshold { name, value } => {
                write!(f, "{name} must be in [0, 1], got {value}")
            }
            PostprocessError::EndToEndColumns { need, got } => write!(
                f,
                "end-to-end output has {got} columns per row, expected {need} (x1, y1, x2, y2, score, \
                 class and the mask coefficients); is the model's end2end metadata right?"
            ),
            PostprocessError::TooLarge { name, hw } => write!(
                f,
                "{name} {hw:?} is too large: each side must be at most {MAX_SIDE} pixels"
            ),
            PostprocessError::OutOfMemory(e) => write!(f, "out of memory decoding a mask: {e}"),
            PostprocessError::Channels { got, nc, nm } => write!(
                f,
                "model output has {got} channels, expected 4 box + {nc} classes + {nm} mask coefficients"
            ),
            PostprocessError::EmptyProtos => {
                f.write_str("mask prototypes have an empty spatial size")
            }
            PostprocessError::DataLength {
                name,
                expected,
                got,
            } => write!(f, "{name} holds {got} values, its shape needs {expected}"),
        }
    }
}

impl std::error::Error for PostprocessError {}

impl From<ShapeError> for PostprocessError {
    fn from(e: ShapeError) -> Self {
        PostprocessError::Shape(e)
    }
}

fn check_unit(name: &'static str, value: f32) -> Result<(), PostprocessError> {
    if !value.is_finite() || !(0.0..=1.0).contains(&value) {
        return Err(PostprocessError::Threshold { name, value });
    }
    Ok(())
}

fn check_len(name: &'static str, expected: usize, got: usize) -> Result<(), PostprocessError> {
    if expected != got {
        return Err(PostprocessError::DataLength {
            name,
            expected,
            got,
        });
    }
    Ok(())
}

/// Every argument check, in the order the errors are reported.
fn validate(
    pred: &Prediction,
    protos: Option<&Protos>,
    nc: usize,
    input_hw: (usize, usize),
    orig_hw: (usize, usize),
    opts: &Options,
) -> Result<(), PostprocessError> {
    check_hw("input_hw", input_hw)?;
    check_hw("orig_hw", orig_hw)?;
    for (name, hw) in [("input_hw", input_hw), ("orig_hw", orig_hw)] {
        if hw.0 > MAX_SIDE || hw.1 > MAX_SIDE {
            return Err(PostprocessError::TooLarge { name, hw });
        }
    }
    check_unit("conf", opts.nms.conf)?;
    check_unit("iou", opts.nms.iou)?;
    let (c, a) = (pred.rows, pred.cols);
    let nm = protos.map_or(0, |p| p.nm);
    if opts.end_to_end {
        if a != 6 + nm {
            return Err(PostprocessError::EndToEndColumns {
                need: 6 + nm,
                got: a,
            });
        }
    } else if nc.checked_add(4 + nm).is_none_or(|need| c < need) {
        return Err(PostprocessError::Channels { got: c, nc, nm });
    }
    if let Some(p) = protos {
        if p.mh == 0 || p.mw == 0 {
            return Err(PostprocessError::EmptyProtos);
        }
        check_len("protos", p.nm * p.mh * p.mw, p.data.len())?;
    }
    check_len("pred", c * a, pred.data.len())
}

/// The mask coefficients of a kept detection.
fn coefficients(pred: &Prediction, d: &Detection, nc: usize, nm: usize, e2e: bool) -> Vec<f32> {
    let (s, a) = (pred.data, pred.cols);
    if e2e {
        s[d.anchor * a + 6..d.anchor * a + 6 + nm].to_vec()
    } else {
        (0..nm).map(|k| s[(4 + nc + k) * a + d.anchor]).collect()
    }
}

/// Post-process one image: `pred` the head output, `protos` the mask prototypes of segment models,
/// `nc` the class count, `input_hw` the letterboxed network input and `orig_hw` the original image.
pub fn postprocess(
    pred: &Prediction,
    protos: Option<&Protos>,
    nc: usize,
    input_hw: (usize, usize),
    orig_hw: (usize, usize),
    opts: &Options,
) -> Result<Output, PostprocessError> {
    validate(pred, protos, nc, input_hw, orig_hw, opts)?;
    let nms_opts = &opts.nms;
    let dets = if opts.end_to_end {
        end2end(pred.data, pred.rows, pred.cols, nc, nms_opts)
    } else {
        nms(
            candidates(pred.data, pred.rows, pred.cols, nc, nms_opts),
            nms_opts,
        )
    };
    let g = Geometry::new(input_hw.0, input_hw.1, orig_hw.0, orig_hw.1);
    let row = |d: &Detection| {
        let b = g.box_to_original(d.xyxy);
        [b[0], b[1], b[2], b[3], d.score, d.class as f32]
    };
    let Some(protos) = protos else {
        return Ok(Output {
            boxes: dets.iter().map(row).collect(),
            rois: None,
            anchors: dets.iter().map(|d| d.anchor).collect(),
        });
    };
    let (yt, xt) = if opts.retina_masks {
        native_taps(protos.mh, protos.mw, orig_hw.0, orig_hw.1)
    } else {
        input_taps(protos.mh, protos.mw, input_hw.0, input_hw.1)
    };
    let mut boxes = Vec::with_capacity(dets.len());
    let mut rois = Vec::with_capacity(dets.len());
    let mut anchors = Vec::with_capacity(dets.len());
    for d in &dets {
        let k = coefficients(pred, d, nc, protos.nm, opts.end_to_end);
        let crop = if opts.retina_masks {
            g.box_to_original(d.xyxy)
        } else {
            d.xyxy
        };
        let roi = decode_roi(&k, protos, &yt, &xt, crop).map_err(PostprocessError::OutOfMemory)?;
        if roi.is_empty() && !opts.keep_empty_masks {
            continue; // the original drops detections whose mask is empty
        }
        boxes.push(row(d));
        rois.push(roi);
        anchors.push(d.anchor);
    }
    Ok(Output {
        boxes,
        rois: Some(rois),
        anchors,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A `(4 + nc + nm) x a` prediction from per-anchor (cx, cy, w, h), class scores, coefficients.
    fn pred(anchors: &[([f32; 4], Vec<f32>, Vec<f32>)]) -> (Vec<f32>, usize, usize) {
        let a = anchors.len();
        let (nc, nm) = (anchors[0].1.len(), anchors[0].2.len());
        let c = 4 + nc + nm;
        let mut p = vec![0.0; c * a];
        for (j, (b, s, m)) in anchors.iter().enumerate() {
            for k in 0..4 {
                p[k * a + j] = b[k];
            }
            for k in 0..nc {
                p[(4 + k) * a + j] = s[k];
            }
            for k in 0..nm {
                p[(4 + nc + k) * a + j] = m[k];
            }
        }
        (p, c, a)
    }

    /// One prototype, `mh x mw`, positive inside rows/columns `[r0, r1) x [c0, c1)`, else negative.
    fn proto(mh: usize, mw: usize, r0: usize, r1: usize, c0: usize, c1: usize) -> Vec<f32> {
        let mut v = vec![-1.0; mh * mw];
        for r in r0..r1 {
            for c in c0..c1 {
                v[r * mw + c] = 1.0;
            }
        }
        v
    }

    fn run(
        p: &[f32],
        c: usize,
        a: usize,
        protos: Option<&Protos>,
        nc: usize,
        opts: &Options,
    ) -> Result<Output, PostprocessError> {
        let pred = Prediction {
            data: p,
            rows: c,
            cols: a,
        };
        postprocess(&pred, protos, nc, (64, 64), (64, 64), opts)
    }

    #[test]
    fn nms_keeps_the_best_of_overlaps_in_score_order() {
        let (p, c, a) = pred(&[
            ([20.0, 20.0, 10.0, 10.0], vec![0.6, 0.0], vec![]),
            ([21.0, 20.0, 10.0, 10.0], vec![0.9, 0.0], vec![]), // suppresses anchor 0
            ([50.0, 50.0, 10.0, 10.0], vec![0.0, 0.7], vec![]),
            ([20.0, 20.0, 10.0, 10.0], vec![0.0, 0.5], vec![]), // other class: kept
            ([5.0, 5.0, 4.0, 4.0], vec![0.2, 0.1], vec![]),     // below conf
        ]);
        let out = run(&p, c, a, None, 2, &Options::default()).unwrap();
        assert!(out.rois.is_none());
        let got: Vec<(f32, f32)> = out.boxes.iter().map(|b| (b[4], b[5])).collect();
        assert_eq!(got, vec![(0.9, 0.0), (0.7, 1.0), (0.5, 1.0)]);
        assert_eq!(out.boxes[0][..4], [16.0, 15.0, 26.0, 25.0]);
        // Agnostic NMS also suppresses the other class's overlapping box.
        let opts = Options {
            nms: NmsOptions {
                agnostic: true,
                ..Default::default()
            },
            ..Default::default()
        };
        let out = run(&p, c, a, None, 2, &opts).unwrap();
        assert_eq!(out.boxes.len(), 2);
        // max_det keeps the best ones.
        let opts = Options {
            nms: NmsOptions {
                max_det: 1,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(run(&p, c, a, None, 2, &opts).unwrap().boxes.len(), 1);
    }

    #[test]
    fn classes_filter() {
        let (p, c, a) = pred(&[
            ([20.0, 20.0, 10.0, 10.0], vec![0.9, 0.0], vec![]),
            ([50.0, 50.0, 10.0, 10.0], vec![0.0, 0.7], vec![]),
        ]);
        let opts = Options {
            nms: NmsOptions {
                classes: Some(vec![1]),
                ..Default::default()
            },
            ..Default::default()
        };
        let out = run(&p, c, a, None, 2, &opts).unwrap();
        assert_eq!(out.boxes.len(), 1);
        assert_eq!(out.boxes[0][5], 1.0);
    }

    #[test]
    fn boxes_are_scaled_and_clipped_to_the_original() {
        // 64x32 (w x h) image letterboxed into 64x64: 16 rows of padding on top.
        let (p, c, a) = pred(&[([10.0, 20.0, 40.0, 20.0], vec![0.9], vec![])]);
        let pred = Prediction {
            data: &p,
            rows: c,
            cols: a,
        };
        let out = postprocess(&pred, None, 1, (64, 64), (32, 64), &Options::default()).unwrap();
        assert_eq!(out.boxes, vec![[0.0, 0.0, 30.0, 14.0, 0.9, 0.0]]);
    }

    #[test]
    fn end_to_end_rows_in_order_with_coefficients() {
        // rows x (6 + nm): x1, y1, x2, y2, score, class, coefficient.
        let p = vec![
            8.0, 8.0, 24.0, 24.0, 0.9, 2.0, 1.0, // kept
            0.0, 0.0, 4.0, 4.0, 0.1, 0.0, 1.0, // below conf
            40.0, 40.0, 56.0, 56.0, 0.8, 1.0, -1.0, // mask empty: dropped
            32.0, 8.0, 48.0, 24.0, 0.7, 0.0, 1.0, // kept
        ];
        let pr = proto(16, 16, 0, 16, 0, 16);
        let protos = Protos {
            data: &pr,
            nm: 1,
            mh: 16,
            mw: 16,
        };
        let opts = Options {
            end_to_end: true,
            ..Default::default()
        };
        let out = run(&p, 4, 7, Some(&protos), 3, &opts).unwrap();
        let got: Vec<[f32; 6]> = out.boxes.clone();
        assert_eq!(
            got,
            vec![
                [8.0, 8.0, 24.0, 24.0, 0.9, 2.0],
                [32.0, 8.0, 48.0, 24.0, 0.7, 0.0]
            ]
        );
        let rois = out.rois.unwrap();
        assert_eq!(rois.len(), 2);
        assert_eq!(
            (rois[0].x0, rois[0].y0, rois[0].w, rois[0].h),
            (8, 8, 16, 16)
        );
        assert!(rois[0].data.iter().all(|&v| v == 1));
        // Without protos the third row stays.
        let p6: Vec<f32> = p
            .chunks(7)
            .flat_map(|r| r[..6].to_vec())
            .collect::<Vec<f32>>();
        assert_eq!(run(&p6, 4, 6, None, 3, &opts).unwrap().boxes.len(), 3);
    }

    #[test]
    fn detections_with_empty_masks_are_dropped() {
        // Mask positive only in the top-left quarter of a 16x16 prototype (input 64x64).
        let pr = proto(16, 16, 0, 8, 0, 8);
        let protos = Protos {
            data: &pr,
            nm: 1,
            mh: 16,
            mw: 16,
        };
        let (p, c, a) = pred(&[
            ([16.0, 16.0, 16.0, 16.0], vec![0.9, 0.0], vec![1.0]),
            ([48.0, 48.0, 16.0, 16.0], vec![0.8, 0.0], vec![1.0]), // outside the positive quarter
            ([16.0, 16.0, 16.0, 16.0], vec![0.0, 0.7], vec![-1.0]), // coefficient flips the sign
        ]);
        let out = run(&p, c, a, Some(&protos), 2, &Options::default()).unwrap();
        assert_eq!(out.boxes.len(), 1);
        assert_eq!(out.boxes[0][4], 0.9);
        let rois = out.rois.unwrap();
        assert_eq!(
            (rois[0].x0, rois[0].y0, rois[0].w, rois[0].h),
            (8, 8, 16, 16)
        );
    }

    #[test]
    fn retina_masks_are_in_original_pixels() {
        // 128x64 (w x h) original letterboxed into 64x64: gain 0.5, 16 rows of padding on top.
        let pr = proto(16, 16, 0, 16, 0, 16);
        let protos = Protos {
            data: &pr,
            nm: 1,
            mh: 16,
            mw: 16,
        };
        let (p, c, a) = pred(&[([32.0, 32.0, 16.0, 16.0], vec![0.9], vec![1.0])]);
        let pred = Prediction {
            data: &p,
            rows: c,
            cols: a,
        };
        let input = postprocess(
            &pred,
            Some(&protos),
            1,
            (64, 64),
            (64, 128),
            &Options::default(),
        )
        .unwrap();
        let opts = Options {
            retina_masks: true,
            ..Default::default()
        };
        let retina = postprocess(&pred, Some(&protos), 1, (64, 64), (64, 128), &opts).unwrap();
        assert_eq!(input.boxes, retina.boxes);
        assert_eq!(input.boxes[0][..4], [48.0, 16.0, 80.0, 48.0]);
        let (ri, rr) = (&input.rois.unwrap()[0], &retina.rois.unwrap()[0]);
        assert_eq!((ri.x0, ri.y0, ri.w, ri.h), (24, 24, 16, 16));
        assert_eq!((rr.x0, rr.y0, rr.w, rr.h), (48, 16, 32, 32));
    }

    #[test]
    fn every_bad_argument_is_an_error() {
        let (p, c, a) = pred(&[([20.0, 20.0, 10.0, 10.0], vec![0.9, 0.0], vec![0.5])]);
        let pr = vec![0.0f32; 16];
        let protos = Protos {
            data: &pr,
            nm: 1,
            mh: 4,
            mw: 4,
        };
        let pred_ok = Prediction {
            data: &p,
            rows: c,
            cols: a,
        };
        let o = Options::default();
        let err = |r: Result<Output, PostprocessError>| r.unwrap_err().to_string();
        assert_eq!(
            err(postprocess(&pred_ok, None, 2, (0, 64), (64, 64), &o)),
            "input_hw must be positive, got (0, 64)"
        );
        assert_eq!(
            err(postprocess(&pred_ok, None, 2, (64, 64), (64, 0), &o)),
            "orig_hw must be positive, got (64, 0)"
        );
        for (conf, iou, msg) in [
            (f32::NAN, 0.5, "conf must be in [0, 1], got NaN"),
            (1.5, 0.5, "conf must be in [0, 1], got 1.5"),
            (0.5, -0.1, "iou must be in [0, 1], got -0.1"),
            (0.5, f32::INFINITY, "iou must be in [0, 1], got inf"),
        ] {
            let o = Options {
                nms: NmsOptions {
                    conf,
                    iou,
                    ..Default::default()
                },
                ..Default::default()
            };
            assert_eq!(
                err(postprocess(&pred_ok, None, 2, (64, 64), (64, 64), &o)),
                msg
            );
        }
        assert_eq!(
            err(postprocess(
                &pred_ok,
                Some(&protos),
                3,
                (64, 64),
                (64, 64),
                &o
            )),
            "model output has 7 channels, expected 4 box + 3 classes + 1 mask coefficients"
        );
        let e2e = Options {
            end_to_end: true,
            ..Default::default()
        };
        let rows = Prediction {
            data: &p[..6],
            rows: 1,
            cols: 6,
        };
        assert_eq!(
            err(postprocess(
                &rows,
                Some(&protos),
                2,
                (64, 64),
                (64, 64),
                &e2e
            )),
            "end-to-end output has 6 columns per row, expected 7 (x1, y1, x2, y2, score, class and \
             the mask coefficients); is the model's end2end metadata right?"
        );
        // A normal (4 + nc + nm, anchors) output read as end-to-end: refused, not decoded as rows.
        assert!(matches!(
            postprocess(&pred_ok, Some(&protos), 2, (64, 64), (64, 64), &e2e),
            Err(PostprocessError::EndToEndColumns { need: 7, got: 1 })
        ));
        // A class count whose 4 + nc + nm overflows: refused, not wrapped.
        assert!(matches!(
            postprocess(&pred_ok, None, usize::MAX, (64, 64), (64, 64), &o),
            Err(PostprocessError::Channels { .. })
        ));
        // Absurd image sizes: refused before any table is sized by them.
        for (ihw, ohw, name) in [
            ((64, MAX_SIDE + 1), (64, 64), "input_hw"),
            ((64, 64), (usize::MAX, 64), "orig_hw"),
        ] {
            assert!(matches!(
                postprocess(&pred_ok, Some(&protos), 2, ihw, ohw, &o),
                Err(PostprocessError::TooLarge { name: n, .. }) if n == name
            ));
        }
        let flat = Protos {
            data: &[],
            nm: 1,
            mh: 0,
            mw: 4,
        };
        assert_eq!(
            err(postprocess(
                &pred_ok,
                Some(&flat),
                2,
                (64, 64),
                (64, 64),
                &o
            )),
            "mask prototypes have an empty spatial size"
        );
        let short = Protos {
            data: &pr[..8],
            ..protos
        };
        assert_eq!(
            postprocess(&pred_ok, Some(&short), 2, (64, 64), (64, 64), &o),
            Err(PostprocessError::DataLength {
                name: "protos",
                expected: 16,
                got: 8
            })
        );
        let bad = Prediction {
            data: &p[..3],
            ..pred_ok
        };
        assert!(matches!(
            postprocess(&bad, None, 2, (64, 64), (64, 64), &o),
            Err(PostprocessError::DataLength { name: "pred", .. })
        ));
        // No anchors and no classes are fine: nothing is found.
        let empty = Prediction {
            data: &[],
            rows: 4,
            cols: 0,
        };
        assert_eq!(
            postprocess(&empty, None, 0, (64, 64), (64, 64), &o).unwrap(),
            Output::default()
        );
    }
}
