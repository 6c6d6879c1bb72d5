//! Binding of the validation matching (`crate::metrics`): `mask_iou`, `match_predictions`.
//! Argument conversion and GIL release only.

use numpy::ndarray::Array2;
use numpy::{
    PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::metrics::{mask_iou as mask_iou_rs, match_predictions as match_predictions_rs};

/// `(n1, n2)` float32 IoU of `(n1, h, w)` target masks against `(n2, h, w)` predicted masks
/// (uint8, nonzero = set), as Ultralytics' `mask_iou` on the flattened masks.
#[pyfunction]
fn mask_iou<'py>(
    py: Python<'py>,
    masks1: PyReadonlyArray3<'py, u8>,
    masks2: PyReadonlyArray3<'py, u8>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (s1, s2) = (masks1.shape(), masks2.shape());
    if s1[1..] != s2[1..] {
        return Err(PyValueError::new_err(format!(
            "mask sizes differ: {:?} vs {:?}",
            &s1[1..],
            &s2[1..]
        )));
    }
    let (n1, n2, h, w) = (s1[0], s2[0], s1[1], s1[2]);
    let v1 = masks1.as_array();
    let v2 = masks2.as_array();
    let c1 = v1.as_standard_layout();
    let c2 = v2.as_standard_layout();
    let (a, b) = (
        c1.as_slice().unwrap_or_default(),
        c2.as_slice().unwrap_or_default(),
    );
    let out = py.detach(|| mask_iou_rs(a, n1, b, n2, h, w));
    let arr =
        Array2::from_shape_vec((n1, n2), out).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, arr))
}

/// `(n_pred, n_thresholds)` bool: Ultralytics' greedy `match_predictions` over an `(n_true, n_pred)`
/// float32 IoU matrix, predictions in descending confidence order.
#[pyfunction]
fn match_predictions<'py>(
    py: Python<'py>,
    pred_classes: PyReadonlyArray1<'py, f32>,
    true_classes: PyReadonlyArray1<'py, f32>,
    iou: PyReadonlyArray2<'py, f32>,
    thresholds: PyReadonlyArray1<'py, f32>,
) -> PyResult<Bound<'py, PyArray2<bool>>> {
    let pc = pred_classes.as_array().to_vec();
    let tc = true_classes.as_array().to_vec();
    let th = thresholds.as_array().to_vec();
    if iou.shape() != [tc.len(), pc.len()] {
        return Err(PyValueError::new_err(format!(
            "iou must be (n_true, n_pred) = ({}, {}), got {:?}",
            tc.len(),
            pc.len(),
            iou.shape()
        )));
    }
    let iv = iou.as_array();
    let ic = iv.as_standard_layout();
    let i = ic.as_slice().unwrap_or_default();
    let out = match_predictions_rs(&pc, &tc, i, &th);
    let arr = Array2::from_shape_vec((pc.len(), th.len()), out)
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, arr))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(mask_iou, m)?)?;
    m.add_function(wrap_pyfunction!(match_predictions, m)?)?;
    Ok(())
}
