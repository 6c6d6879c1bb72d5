//! Binding of the appearance features (`crate::reid`): the detector's own features pooled per box.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::reid::{pool_detector_features as pool_rs, FeatureMap};

/// `get_obj_feats` for one image: `maps` the detection head's input feature maps, float32
/// `(c, h, w)` each (level order), `anchors` the kept boxes' prediction columns (int64). Returns
/// float32 `(len(anchors), s)`, `s` the smallest channel count.
#[pyfunction]
fn pool_features<'py>(
    py: Python<'py>,
    maps: Vec<PyReadonlyArray3<'py, f32>>,
    anchors: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let views: Vec<_> = maps.iter().map(|m| m.as_array()).collect();
    let owned: Vec<_> = views.iter().map(|v| v.as_standard_layout()).collect();
    let fmaps: Vec<FeatureMap<'_>> = owned
        .iter()
        .map(|v| FeatureMap {
            data: v.as_slice().expect("standard layout"),
            c: v.shape()[0],
            h: v.shape()[1],
            w: v.shape()[2],
        })
        .collect();
    let idx: Vec<usize> = anchors
        .as_array()
        .iter()
        .map(|&a| usize::try_from(a))
        .collect::<Result<_, _>>()
        .map_err(|_| PyValueError::new_err("anchors must be >= 0"))?;
    let n = idx.len();
    let (data, s) = py
        .detach(|| pool_rs(&fmaps, &idx))
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    PyArray1::from_vec(py, data).reshape([n, s])
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(pool_features, m)?)?;
    Ok(())
}
