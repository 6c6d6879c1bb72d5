//! PyO3 bindings: argument checking and array conversion only; the math is in the crate's modules.

use numpy::{PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use crate::iou::Xyxy;

mod contours;
mod fasttrack;
mod metrics;
mod ocsort;
mod predict;
mod reid;
mod tracker;
mod trackeval;
mod tracktrack;
mod val;

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

#[pymodule]
fn _core(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    contours::register(m)?;
    fasttrack::register(m)?;
    metrics::register(m)?;
    ocsort::register(m)?;
    predict::register(m)?;
    reid::register(m)?;
    trackeval::register(m)?;
    tracker::register(m)?;
    tracktrack::register(m)?;
    val::register(m)?;
    Ok(())
}
