//! Binding of the predict steps: letterbox plan, blob, post-processing (`crate::postprocess`),
//! polygons. Argument conversion and GIL release only.

use numpy::ndarray::{Array2, CowArray, Ix2, Ix3};
use numpy::{
    PyArray1, PyArray2, PyArray4, PyArrayMethods, PyReadonlyArray2, PyReadonlyArray3,
    PyUntypedArrayMethods,
};
use pyo3::exceptions::{PyMemoryError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyList, PyTuple};

use super::convert::{det_rows, value_error};
use crate::contours::mask_to_polygon_in;
use crate::dets_del::dets_del as dets_del_rs;
use crate::masks::Protos;
use crate::nms::NmsOptions;
use crate::postprocess::{postprocess as postprocess_rs, Options, PostprocessError, Prediction};
use crate::preprocess::bgr_to_chw_rgb;
use crate::scale::{check_hw as check_hw_rs, Geometry, Letterbox};

/// `(boxes, rois)` (or `(boxes, rois, anchors)`) returned by [`postprocess`].
type PostprocessOut<'py> = Bound<'py, PyTuple>;

/// A refused argument is a `ValueError`; a mask region memory can't hold is a `MemoryError`.
fn postprocess_error(e: PostprocessError) -> PyErr {
    match e {
        PostprocessError::OutOfMemory(_) => PyMemoryError::new_err(e.to_string()),
        _ => value_error(e),
    }
}

/// The core's borrowed views of a standard-layout head output and prototypes.
fn views<'a>(
    pred: &'a CowArray<'_, f32, Ix2>,
    protos: Option<&'a CowArray<'_, f32, Ix3>>,
) -> (Prediction<'a>, Option<Protos<'a>>) {
    let pred_v = Prediction {
        data: pred.as_slice().expect("standard layout"),
        rows: pred.shape()[0],
        cols: pred.shape()[1],
    };
    let protos_v = protos.map(|p| Protos {
        data: p.as_slice().expect("standard layout"),
        nm: p.shape()[0],
        mh: p.shape()[1],
        mw: p.shape()[2],
    });
    (pred_v, protos_v)
}

fn check_hw(name: &'static str, hw: (usize, usize)) -> PyResult<()> {
    check_hw_rs(name, hw).map_err(value_error)
}

/// One image's post-processing. `pred` is the head output of one image: `(4+nc+nm, anchors)`,
/// or `(rows, 6+nm)` for end-to-end models. `protos` `(nm, mh, mw)` for segment models.
/// Returns `(boxes (n,6) float32 [x1,y1,x2,y2,conf,cls] in original pixels, rois)`, `rois` being
/// `None` without protos, else a list of `(x0, y0, mask (h,w) uint8)`; detections whose mask is
/// empty are dropped, as the original does, unless `keep_empty_masks`. With `return_anchors` a
/// third item, int64 `(n,)`: the prediction column (anchor) of each kept box.
#[pyfunction]
/// Options left at None take `Options::default()` (Ultralytics' predict defaults, written once in
/// `nms.rs`).
#[pyo3(signature = (pred, protos, nc, input_hw, orig_hw, conf=None, iou=None, classes=None, agnostic=false,
    max_det=None, max_nms=None, end_to_end=false, retina_masks=false, keep_empty_masks=false,
    return_anchors=false))]
#[allow(clippy::too_many_arguments)]
fn postprocess<'py>(
    py: Python<'py>,
    pred: PyReadonlyArray2<'py, f32>,
    protos: Option<PyReadonlyArray3<'py, f32>>,
    nc: usize,
    input_hw: (usize, usize),
    orig_hw: (usize, usize),
    conf: Option<f32>,
    iou: Option<f32>,
    classes: Option<Vec<i64>>,
    agnostic: bool,
    max_det: Option<usize>,
    max_nms: Option<usize>,
    end_to_end: bool,
    retina_masks: bool,
    keep_empty_masks: bool,
    return_anchors: bool,
) -> PyResult<PostprocessOut<'py>> {
    // Borrow the arrays when C-contiguous (ONNX Runtime outputs are), copy otherwise.
    let pred_v = pred.as_array();
    let pred_c = pred_v.as_standard_layout();
    let protos_v = protos.as_ref().map(|p| p.as_array());
    let protos_c = protos_v.as_ref().map(|p| p.as_standard_layout());
    let d = NmsOptions::default();
    let opts = Options {
        nms: NmsOptions {
            conf: conf.unwrap_or(d.conf),
            iou: iou.unwrap_or(d.iou),
            classes,
            agnostic,
            max_det: max_det.unwrap_or(d.max_det),
            max_nms: max_nms.unwrap_or(d.max_nms),
            ..d
        },
        end_to_end,
        retina_masks,
        keep_empty_masks,
    };
    let out = py
        .detach(|| {
            let (pred, protos) = views(&pred_c, protos_c.as_ref());
            postprocess_rs(&pred, protos.as_ref(), nc, input_hw, orig_hw, &opts)
        })
        .map_err(postprocess_error)?;
    let n = out.boxes.len();
    let flat: Vec<f32> = out.boxes.into_iter().flatten().collect();
    let boxes = PyArray1::from_vec(py, flat).reshape([n, 6])?;
    let rois = match out.rois {
        None => None,
        Some(rois) => {
            let list = PyList::empty(py);
            for r in rois {
                let m = PyArray1::from_vec(py, r.data).reshape([r.h, r.w])?;
                list.append((r.x0, r.y0, m))?;
            }
            Some(list)
        }
    };
    if return_anchors {
        let anchors: Vec<i64> = out.anchors.iter().map(|&a| a as i64).collect();
        (boxes, rois, PyArray1::from_vec(py, anchors)).into_pyobject(py)
    } else {
        (boxes, rois).into_pyobject(py)
    }
}

/// TrackTrack's `dets_del` for one image: the detections a looser NMS (`LOOSE_NMS_IOU`) keeps
/// that the frame's NMS removed, deduplicated against the frame's kept boxes `tight` (float32
/// `(n, 6)`). Arguments as [`postprocess`] (the frame's options; `iou` is replaced). Returns float32
/// `(k, 6)` `[x1, y1, x2, y2, conf, cls]` in original pixels, or None where the original gives None.
#[pyfunction]
#[pyo3(signature = (pred, protos, nc, input_hw, orig_hw, tight, conf=None, classes=None, agnostic=false,
    max_det=None, max_nms=None, end_to_end=false, retina_masks=false))]
#[allow(clippy::too_many_arguments)]
fn dets_del<'py>(
    py: Python<'py>,
    pred: PyReadonlyArray2<'py, f32>,
    protos: Option<PyReadonlyArray3<'py, f32>>,
    nc: usize,
    input_hw: (usize, usize),
    orig_hw: (usize, usize),
    tight: PyReadonlyArray2<'py, f32>,
    conf: Option<f32>,
    classes: Option<Vec<i64>>,
    agnostic: bool,
    max_det: Option<usize>,
    max_nms: Option<usize>,
    end_to_end: bool,
    retina_masks: bool,
) -> PyResult<Option<Bound<'py, PyArray2<f32>>>> {
    let tight = det_rows("tight", &tight, false)?;
    let pred_v = pred.as_array();
    let pred_c = pred_v.as_standard_layout();
    let protos_v = protos.as_ref().map(|p| p.as_array());
    let protos_c = protos_v.as_ref().map(|p| p.as_standard_layout());
    let d = NmsOptions::default();
    let opts = Options {
        nms: NmsOptions {
            conf: conf.unwrap_or(d.conf),
            classes,
            agnostic,
            max_det: max_det.unwrap_or(d.max_det),
            max_nms: max_nms.unwrap_or(d.max_nms),
            ..d
        },
        end_to_end,
        retina_masks,
        ..Options::default()
    };
    let out = py
        .detach(|| {
            let (pred, protos) = views(&pred_c, protos_c.as_ref());
            dets_del_rs(&pred, protos.as_ref(), nc, input_hw, orig_hw, &opts, &tight)
        })
        .map_err(value_error)?;
    out.map(|rows| {
        let n = rows.len();
        let flat: Vec<f32> = rows.into_iter().flatten().collect();
        PyArray1::from_vec(py, flat).reshape([n, 6])
    })
    .transpose()
}

/// Ultralytics' `LetterBox` plan of an `orig_hw` image for a `new_shape` `(h, w)` input (`auto`:
/// pad only to a multiple of `stride`): `((new_h, new_w), (top, bottom, left, right))`.
#[pyfunction]
#[pyo3(signature = (orig_hw, new_shape, auto, stride=32))]
#[allow(clippy::type_complexity)]
fn letterbox_plan(
    orig_hw: (usize, usize),
    new_shape: (usize, usize),
    auto: bool,
    stride: usize,
) -> PyResult<((usize, usize), (usize, usize, usize, usize))> {
    let lb = Letterbox::new(orig_hw, new_shape, auto, stride).map_err(value_error)?;
    Ok(((lb.new_h, lb.new_w), (lb.top, lb.bottom, lb.left, lb.right)))
}

/// `masks.xy` (or `xyn` with `normalize`): for each `(x0, y0, mask)` region of a `mask_hw` mask,
/// the external contours merged as Ultralytics' "all" strategy, mapped to the original image
/// (`scale_coords`, clipped). Returns a list of `(k, 2)` float32 arrays.
#[pyfunction]
fn rois_to_polygons<'py>(
    py: Python<'py>,
    rois: Vec<(usize, usize, PyReadonlyArray2<'py, u8>)>,
    mask_hw: (usize, usize),
    orig_hw: (usize, usize),
    normalize: bool,
) -> PyResult<Vec<Bound<'py, PyArray2<f32>>>> {
    check_hw("mask_hw", mask_hw)?;
    check_hw("orig_hw", orig_hw)?;
    let owned: Vec<(usize, usize, Array2<u8>)> = rois
        .iter()
        .map(|(x0, y0, m)| (*x0, *y0, m.as_array().as_standard_layout().into_owned()))
        .collect();
    for (x0, y0, m) in &owned {
        let (h, w) = m.dim();
        if x0 + w > mask_hw.1 || y0 + h > mask_hw.0 {
            return Err(PyValueError::new_err(format!(
                "mask region {w}x{h} at ({x0}, {y0}) does not fit a {}x{} mask",
                mask_hw.1, mask_hw.0
            )));
        }
    }
    let g = Geometry::new(mask_hw.0, mask_hw.1, orig_hw.0, orig_hw.1);
    let polys: Vec<Vec<f32>> = py.detach(|| {
        owned
            .iter()
            .map(|(x0, y0, m)| {
                let (h, w) = m.dim();
                let pts = mask_to_polygon_in(
                    m.as_slice().expect("standard layout"),
                    w,
                    w,
                    h,
                    [*x0 as i32, *y0 as i32],
                );
                let mut flat = Vec::with_capacity(pts.len() * 2);
                for p in pts {
                    let mut q = g.point_to_original(p[0], p[1]);
                    if normalize {
                        q[0] /= g.w0;
                        q[1] /= g.h0;
                    }
                    flat.extend_from_slice(&q);
                }
                flat
            })
            .collect()
    });
    polys
        .into_iter()
        .map(|flat| {
            let k = flat.len() / 2;
            PyArray1::from_vec(py, flat).reshape([k, 2])
        })
        .collect()
}

/// Letterboxed HWC BGR uint8 frame -> `(1, 3, H, W)` float32 RGB in `[0, 1]`.
#[pyfunction]
fn to_blob<'py>(
    py: Python<'py>,
    img: PyReadonlyArray3<'py, u8>,
) -> PyResult<Bound<'py, PyArray4<f32>>> {
    let (h, w, c) = (img.shape()[0], img.shape()[1], img.shape()[2]);
    if c != 3 || h == 0 || w == 0 {
        return Err(PyValueError::new_err(format!(
            "expected a non-empty (H, W, 3) uint8 image, got shape ({h}, {w}, {c})"
        )));
    }
    let view = img.as_array();
    let data = view.as_standard_layout();
    let src = data.as_slice().expect("standard layout");
    let mut out = vec![0f32; 3 * h * w];
    py.detach(|| bgr_to_chw_rgb(src, h, w, &mut out));
    PyArray1::from_vec(py, out).reshape([1, 3, h, w])
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(to_blob, m)?)?;
    m.add_function(wrap_pyfunction!(postprocess, m)?)?;
    m.add_function(wrap_pyfunction!(dets_del, m)?)?;
    m.add_function(wrap_pyfunction!(letterbox_plan, m)?)?;
    m.add_function(wrap_pyfunction!(rois_to_polygons, m)?)?;
    Ok(())
}
