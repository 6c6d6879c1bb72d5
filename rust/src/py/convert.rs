//! Every conversion between Python values and the crate's types: arrays to rows, boxes, warps and
//! Kalman states (each checking its shape, and finiteness where the core needs it), a settings
//! dict to [`Setting`] values, and the crate's errors to Python exceptions.

use std::collections::HashMap;

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyString};

use crate::iou::Xyxy;
use crate::tracker::Feats;
use crate::tracker::Warp;
use crate::tracker_settings::{Setting, SettingError, SettingSource};

/// A `ValueError` with the text of `e`.
pub(crate) fn value_error(e: impl std::fmt::Display) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Rows of a float32 `(n, 6)` detection array `[x1, y1, x2, y2, conf, cls]` (`name` goes into the
/// errors); with `finite`, NaN/inf values are refused.
pub(crate) fn det_rows(
    name: &str,
    dets: &PyReadonlyArray2<'_, f32>,
    finite: bool,
) -> PyResult<Vec<[f32; 6]>> {
    let shape = dets.shape();
    if shape[1] != 6 {
        return Err(PyValueError::new_err(format!(
            "{name} must have shape (n, 6), got {shape:?}"
        )));
    }
    let mut rows: Vec<[f32; 6]> = Vec::with_capacity(shape[0]);
    for r in dets.as_array().rows() {
        let row = [r[0], r[1], r[2], r[3], r[4], r[5]];
        if finite && row.iter().any(|v| !v.is_finite()) {
            return Err(PyValueError::new_err(format!(
                "{name} contain NaN or infinite values"
            )));
        }
        rows.push(row);
    }
    Ok(rows)
}

/// A float64 `(2, 3)` affine camera-motion warp, all finite.
pub(crate) fn warp_of(h: &PyReadonlyArray2<'_, f64>) -> PyResult<Warp> {
    if h.shape() != [2, 3] {
        return Err(PyValueError::new_err(format!(
            "warp must have shape (2, 3), got {:?}",
            h.shape()
        )));
    }
    let h = h.as_array();
    let m = [
        [h[[0, 0]], h[[0, 1]], h[[0, 2]]],
        [h[[1, 0]], h[[1, 1]], h[[1, 2]]],
    ];
    if m.iter().flatten().any(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(
            "warp contains NaN or infinite values",
        ));
    }
    Ok(m)
}

/// Float32 `(n, d)` embeddings, one row per detection, all finite.
pub(crate) fn feats_of<'a>(f: &'a PyReadonlyArray2<'_, f32>, n: usize) -> PyResult<Feats<'a>> {
    let shape = f.shape();
    if shape[0] != n {
        return Err(PyValueError::new_err(format!(
            "feats must have one row per detection ({n}), got shape {shape:?}"
        )));
    }
    let data = f
        .as_slice()
        .map_err(|_| PyValueError::new_err("feats must be a C-contiguous float32 array"))?;
    if data.iter().any(|v| !v.is_finite()) {
        return Err(PyValueError::new_err(
            "feats contain NaN or infinite values",
        ));
    }
    Ok(Feats {
        data,
        dim: shape[1],
    })
}

/// One Python value as a [`Setting`] (numpy scalars by their int / float / bool value).
fn setting_of(v: &Bound<'_, PyAny>) -> Setting {
    if v.is_none() {
        Setting::Null
    } else if v.is_instance_of::<PyBool>() {
        Setting::Bool(v.is_truthy().unwrap_or(false))
    } else if let Ok(s) = v.cast::<PyString>() {
        match s.extract::<String>() {
            Ok(s) => Setting::Text(s),
            Err(_) => Setting::Other("str (not valid UTF-8)".into()),
        }
    } else if v.is_instance_of::<PyInt>() {
        v.extract::<i64>()
            .map_or_else(|_| Setting::Other("int (too large)".into()), Setting::Int)
    } else if v.is_instance_of::<PyFloat>() {
        v.extract::<f64>()
            .map_or_else(|_| Setting::Other("float".into()), Setting::Float)
    } else if let Ok(b) = v.extract::<bool>() {
        Setting::Bool(b) // numpy.bool_ (before its __float__ makes it a number)
    } else if let Ok(i) = v.extract::<i64>() {
        Setting::Int(i)
    } else if let Ok(f) = v.extract::<f64>() {
        Setting::Float(f)
    } else {
        Setting::Other(
            v.get_type()
                .name()
                .map_or_else(|_| "object".to_string(), |n| n.to_string()),
        )
    }
}

/// A settings dict (string keys) as a [`SettingSource`].
#[derive(Debug)]
pub(crate) struct DictSettings(HashMap<String, Setting>);

impl DictSettings {
    pub(crate) fn new(d: &Bound<'_, PyDict>) -> PyResult<Self> {
        let mut m = HashMap::with_capacity(d.len());
        for (k, v) in d.iter() {
            let key = k.cast::<PyString>().map_err(|_| {
                PyTypeError::new_err(format!(
                    "tracker settings keys must be strings, got {}",
                    k.repr().map_or_else(|_| "?".to_string(), |r| r.to_string())
                ))
            })?;
            m.insert(key.extract::<String>()?, setting_of(&v));
        }
        Ok(DictSettings(m))
    }
}

impl SettingSource for DictSettings {
    fn get(&self, key: &str) -> Option<Setting> {
        self.0.get(key).cloned()
    }
}

/// A wrong type is a `TypeError`; a missing key or a value out of range a `ValueError`.
pub(crate) fn setting_error(e: SettingError) -> PyErr {
    match e {
        SettingError::WrongType { .. } => PyTypeError::new_err(e.to_string()),
        _ => PyValueError::new_err(e.to_string()),
    }
}

/// Rows of a float32 `(n, 4)` xyxy array (`name` goes into the error for any other shape).
pub(crate) fn boxes_of(name: &str, a: &PyReadonlyArray2<'_, f32>) -> PyResult<Vec<Xyxy>> {
    if a.shape()[1] != 4 {
        return Err(PyValueError::new_err(format!(
            "{name} must have shape (n, 4), got {:?}",
            a.shape()
        )));
    }
    Ok(a.as_array()
        .rows()
        .into_iter()
        .map(|r| [r[0], r[1], r[2], r[3]])
        .collect())
}

/// Conversions only the test probes use (feature `probes`).
#[cfg(feature = "probes")]
mod probe_args {
    use numpy::ndarray::Array2;
    use numpy::{PyArray1, PyArray2, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods};
    use pyo3::exceptions::PyValueError;
    use pyo3::prelude::*;

    use crate::iou::Xyxy;
    use crate::kalman::{Cov, Mean};

    /// Float32 `(n, 4)` xyxy boxes with one int64 id each (`name` goes into the error).
    pub(crate) fn boxes_ids(
        name: &str,
        boxes: &PyReadonlyArray2<'_, f32>,
        ids: &PyReadonlyArray1<'_, i64>,
    ) -> PyResult<Vec<(Xyxy, u64)>> {
        let (b, i) = (boxes.as_array(), ids.as_array());
        if boxes.shape()[1] != 4 || b.nrows() != i.len() {
            return Err(PyValueError::new_err(format!(
                "{name} boxes must have shape (n, 4) with one id each, got {:?} and {} ids",
                boxes.shape(),
                i.len()
            )));
        }
        Ok(b.rows()
            .into_iter()
            .zip(i.iter())
            .map(|(r, &id)| ([r[0], r[1], r[2], r[3]], id as u64))
            .collect())
    }

    /// A float64 Kalman mean `(8,)`.
    pub(crate) fn mean_of(a: &PyReadonlyArray1<'_, f64>) -> PyResult<Mean> {
        let v = a.as_array();
        if v.len() != 8 {
            return Err(PyValueError::new_err(format!(
                "mean must have 8 values, got {}",
                v.len()
            )));
        }
        let mut m = [0.0; 8];
        for (d, s) in m.iter_mut().zip(v.iter()) {
            *d = *s;
        }
        Ok(m)
    }

    /// A float64 Kalman covariance `(8, 8)`.
    pub(crate) fn cov_of(a: &PyReadonlyArray2<'_, f64>) -> PyResult<Cov> {
        if a.shape() != [8, 8] {
            return Err(PyValueError::new_err(format!(
                "covariance must be (8, 8), got {:?}",
                a.shape()
            )));
        }
        let v = a.as_array();
        let mut c = [[0.0; 8]; 8];
        for (i, row) in c.iter_mut().enumerate() {
            for (j, x) in row.iter_mut().enumerate() {
                *x = v[[i, j]];
            }
        }
        Ok(c)
    }

    /// A float64 measurement `(4,)`.
    pub(crate) fn meas_of(a: &PyReadonlyArray1<'_, f64>) -> PyResult<[f64; 4]> {
        let v = a.as_array();
        if v.len() != 4 {
            return Err(PyValueError::new_err(format!(
                "measurement must have 4 values, got {}",
                v.len()
            )));
        }
        Ok([v[0], v[1], v[2], v[3]])
    }

    /// A Kalman state as numpy arrays: float64 `(8,)` mean, `(8, 8)` covariance.
    pub(crate) type MeanCov<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>);

    pub(crate) fn mean_cov_to_py<'py>(py: Python<'py>, m: &Mean, c: &Cov) -> MeanCov<'py> {
        let cov = Array2::from_shape_fn((8, 8), |(i, j)| c[i][j]);
        (
            PyArray1::from_vec(py, m.to_vec()),
            PyArray2::from_owned_array(py, cov),
        )
    }
}

#[cfg(feature = "probes")]
pub(crate) use probe_args::{boxes_ids, cov_of, mean_cov_to_py, mean_of, meas_of, MeanCov};
