//! Binding of the mask -> polygon step (`crate::contours`): `find_contours` (= cv2.findContours
//! with RETR_EXTERNAL, CHAIN_APPROX_SIMPLE) and `mask_to_polygon` (+ Ultralytics' "all" merge).

use numpy::ndarray::Array2;
use numpy::{PyArray2, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;

use crate::contours::{find_external_contours_in, merge_segments};

/// Masks at least this large are processed with the GIL released.
const DETACH_PIXELS: usize = 1 << 16;

fn bad_mask(obj: &Bound<'_, PyAny>) -> PyErr {
    let ndim = obj
        .getattr("ndim")
        .map_or_else(|_| "?".into(), |v| v.to_string());
    let dtype = obj
        .getattr("dtype")
        .map_or_else(|_| obj.get_type().to_string(), |v| v.to_string());
    PyValueError::new_err(format!(
        "mask must be a 2-D numpy array of uint8 or bool, got ndim={ndim}, dtype={dtype}"
    ))
}

/// Runs `f(bytes, stride, width, height)` on the mask: directly on the array's memory when it is
/// C-contiguous, on a C-ordered copy otherwise; without the GIL for large masks.
fn with_mask<T: Send>(
    py: Python<'_>,
    obj: &Bound<'_, PyAny>,
    f: impl FnOnce(&[u8], usize, usize, usize) -> T + Send,
) -> PyResult<T> {
    let run = |data: &[u8], h: usize, w: usize| {
        if h * w >= DETACH_PIXELS {
            py.detach(|| f(data, w, w, h))
        } else {
            f(data, w, w, h)
        }
    };
    if let Ok(arr) = obj.extract::<PyReadonlyArray2<'_, u8>>() {
        let (h, w) = (arr.shape()[0], arr.shape()[1]);
        // `as_slice` also accepts Fortran order: only a C-ordered array can be used in place.
        if arr.is_c_contiguous() {
            if let Ok(s) = arr.as_slice() {
                return Ok(run(s, h, w));
            }
        }
        let copy: Vec<u8> = arr.as_array().iter().copied().collect();
        return Ok(run(&copy, h, w));
    }
    if let Ok(arr) = obj.extract::<PyReadonlyArray2<'_, bool>>() {
        let (h, w) = (arr.shape()[0], arr.shape()[1]);
        let copy: Vec<u8> = arr.as_array().iter().map(|&b| b as u8).collect();
        return Ok(run(&copy, h, w));
    }
    Err(bad_mask(obj))
}

/// External contours of a binary mask, as `cv2.findContours(mask, cv2.RETR_EXTERNAL,
/// cv2.CHAIN_APPROX_SIMPLE)[0]` returns them (same contours, order and points), each an int32
/// `(k, 2)` array of `(x, y)`; `offset` is added to every point.
#[pyfunction]
#[pyo3(signature = (mask, offset=(0, 0)))]
fn find_contours<'py>(
    py: Python<'py>,
    mask: &Bound<'py, PyAny>,
    offset: (i32, i32),
) -> PyResult<Bound<'py, PyList>> {
    let contours = with_mask(py, mask, |m, stride, w, h| {
        find_external_contours_in(m, stride, w, h, [offset.0, offset.1])
    })?;
    let arrays = contours
        .into_iter()
        .map(|c| points_array(py, c))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, arrays)
}

/// The mask's polygon as Ultralytics' `masks2segments(mask[None], strategy="all")[0]` computes
/// it: the external contours, merged at their closest points when there are several; a float32
/// `(k, 2)` array, `(0, 2)` for an empty mask. `offset` is added to every point.
#[pyfunction]
#[pyo3(signature = (mask, offset=(0, 0)))]
fn mask_to_polygon<'py>(
    py: Python<'py>,
    mask: &Bound<'py, PyAny>,
    offset: (i32, i32),
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let poly = with_mask(py, mask, |m, stride, w, h| {
        merge_segments(&find_external_contours_in(
            m,
            stride,
            w,
            h,
            [offset.0, offset.1],
        ))
    })?;
    points_array(py, poly)
}

/// `(k, 2)` array of points.
fn points_array<T: numpy::Element>(
    py: Python<'_>,
    pts: Vec<[T; 2]>,
) -> PyResult<Bound<'_, PyArray2<T>>> {
    let k = pts.len();
    let flat: Vec<T> = pts.into_iter().flatten().collect();
    let arr =
        Array2::from_shape_vec((k, 2), flat).map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(PyArray2::from_owned_array(py, arr))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(find_contours, m)?)?;
    m.add_function(wrap_pyfunction!(mask_to_polygon, m)?)?;
    Ok(())
}
