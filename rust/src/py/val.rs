//! Binding of what validation (`engine/validator.py`) shares with predict: the greedy NMS of
//! `crate::nms` over detections it has already gathered (multi-label rows), and the half-open box
//! crop of `crate::masks` (`crop_mask`). Argument conversion and GIL release only.

use numpy::ndarray::Array1;
use numpy::{
    PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyReadwriteArray3, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::boxes_of;
use crate::masks::crop_mask;
use crate::nms::{nms, Detection, NmsOptions};

/// Indices (int64, kept order: descending score, ties by row) of the rows of `boxes` (float32
/// `(n, 4)` xyxy), `scores` (float32 `(n,)`) and `classes` (int64 `(n,)`) that `crate::nms::nms`
/// keeps: the top `max_nms` candidates of `NmsOptions::default()` (predict's), class-offset boxes
/// unless `agnostic`, suppress IoU `> iou`, at most `max_det`.
#[pyfunction]
#[pyo3(signature = (boxes, scores, classes, iou, max_det, agnostic=false))]
fn nms_indices<'py>(
    py: Python<'py>,
    boxes: PyReadonlyArray2<'py, f32>,
    scores: PyReadonlyArray1<'py, f32>,
    classes: PyReadonlyArray1<'py, i64>,
    iou: f32,
    max_det: usize,
    agnostic: bool,
) -> PyResult<Bound<'py, PyArray1<i64>>> {
    let xyxy = boxes_of("boxes", &boxes)?;
    let (s, c) = (scores.as_array(), classes.as_array());
    if s.len() != xyxy.len() || c.len() != xyxy.len() {
        return Err(PyValueError::new_err(format!(
            "boxes, scores and classes must have the same length, got {}, {} and {}",
            xyxy.len(),
            s.len(),
            c.len()
        )));
    }
    let mut dets = Vec::with_capacity(xyxy.len());
    for (i, ((b, &score), &class)) in xyxy.iter().zip(s.iter()).zip(c.iter()).enumerate() {
        let class = usize::try_from(class)
            .map_err(|_| PyValueError::new_err(format!("classes[{i}] is negative: {class}")))?;
        dets.push(Detection {
            xyxy: *b,
            score,
            class,
            anchor: i,
        });
    }
    let opts = NmsOptions {
        iou,
        agnostic,
        max_det,
        ..NmsOptions::default()
    };
    let keep = py.detach(|| nms(dets, &opts));
    let idx: Array1<i64> = keep.iter().map(|d| d.anchor as i64).collect();
    Ok(PyArray1::from_owned_array(py, idx))
}

/// Zero, in place, every pixel of `masks[i]` (uint8 `(n, h, w)`) outside its box `boxes[i]`
/// (float32 `(n, 4)` xyxy in mask pixels): the half-open crop `x1 <= c < x2`, `y1 <= r < y2` of
/// `crate::masks::crop_mask`.
#[pyfunction]
fn crop_masks<'py>(
    py: Python<'py>,
    mut masks: PyReadwriteArray3<'py, u8>,
    boxes: PyReadonlyArray2<'py, f32>,
) -> PyResult<()> {
    let xyxy = boxes_of("boxes", &boxes)?;
    let shape = masks.shape().to_vec();
    if shape[0] != xyxy.len() {
        return Err(PyValueError::new_err(format!(
            "masks and boxes must have the same length, got {} and {}",
            shape[0],
            xyxy.len()
        )));
    }
    let (h, w) = (shape[1], shape[2]);
    let Ok(data) = masks.as_slice_mut() else {
        return Err(PyValueError::new_err(
            "masks must be a C-contiguous uint8 (n, h, w) array",
        ));
    };
    py.detach(|| {
        for (m, b) in data.chunks_mut((h * w).max(1)).zip(&xyxy) {
            crop_mask(m, h, w, *b);
        }
    });
    Ok(())
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(nms_indices, m)?)?;
    m.add_function(wrap_pyfunction!(crop_masks, m)?)?;
    Ok(())
}
