//! Test-only probes (cargo feature `probes`; the wheel leaves them out): the pieces of the trackers
//! the tests check one by one against the original's formulas (lapjv, linear assignment, the IoU
//! matrix, the Kalman filters).

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::{boxes_of, cov_of, mean_cov_to_py, mean_of, meas_of, MeanCov};
use crate::assignment::{lapjv_limit, linear_assignment as linear_assignment_rs};
use crate::iou::iou_matrix as iou_matrix_rs;
use crate::kalman::KalmanKind;

fn parse_filter_kind(kind: &str) -> PyResult<KalmanKind> {
    match kind {
        "xyah" => Ok(KalmanKind::Xyah),
        "xywh" => Ok(KalmanKind::Xywh),
        _ => Err(PyValueError::new_err(format!(
            "unknown Kalman filter kind {kind:?}; allowed: 'xyah' (ByteTrack), 'xywh' (BoT-SORT)"
        ))),
    }
}

/// `lap.lapjv(cost, extend_cost=True, cost_limit=cost_limit)`: returns `(x, y)` (int64, -1 for
/// unmatched). `cost_limit=inf` zero-pads to square like lap.
#[pyfunction]
#[pyo3(signature = (cost, cost_limit=f64::INFINITY))]
#[allow(clippy::type_complexity)]
fn lapjv<'py>(
    py: Python<'py>,
    cost: PyReadonlyArray2<'py, f64>,
    cost_limit: f64,
) -> PyResult<(Bound<'py, PyArray1<i64>>, Bound<'py, PyArray1<i64>>)> {
    if cost_limit.is_nan() {
        return Err(PyValueError::new_err("cost_limit must not be NaN"));
    }
    let (r, c) = (cost.shape()[0], cost.shape()[1]);
    let flat: Vec<f64> = cost.as_array().iter().copied().collect();
    let (x, y) = py.detach(|| lapjv_limit(&flat, r, c, cost_limit));
    Ok((PyArray1::from_vec(py, x), PyArray1::from_vec(py, y)))
}

/// `matching.linear_assignment(cost, thresh)` on a float32 cost: `(matches (k, 2), unmatched_a,
/// unmatched_b)` as int64 arrays.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn linear_assignment<'py>(
    py: Python<'py>,
    cost: PyReadonlyArray2<'py, f32>,
    thresh: f64,
) -> PyResult<(
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
)> {
    if thresh.is_nan() {
        return Err(PyValueError::new_err("thresh must not be NaN"));
    }
    let (r, c) = (cost.shape()[0], cost.shape()[1]);
    let flat: Vec<f32> = cost.as_array().iter().copied().collect();
    let a = linear_assignment_rs(&flat, r, c, thresh);
    let k = a.matches.len();
    let m: Vec<i64> = a
        .matches
        .iter()
        .flat_map(|&(i, j)| [i as i64, j as i64])
        .collect();
    Ok((
        PyArray1::from_vec(py, m).reshape([k, 2])?,
        PyArray1::from_vec(py, a.unmatched_rows.into_iter().map(|v| v as i64).collect()),
        PyArray1::from_vec(py, a.unmatched_cols.into_iter().map(|v| v as i64).collect()),
    ))
}

/// IoU matrix of float32 `(n, 4)` and `(m, 4)` xyxy boxes, as `bbox_ioa(iou=True)` (float32).
#[pyfunction]
fn iou_matrix<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f32>,
    b: PyReadonlyArray2<'py, f32>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (va, vb) = (boxes_of("a", &a)?, boxes_of("b", &b)?);
    let m = iou_matrix_rs(&va, &vb);
    PyArray1::from_vec(py, m).reshape([va.len(), vb.len()])
}

/// The Kalman filter of a tracker: `KalmanFilter("xyah")` (ByteTrack) or `KalmanFilter("xywh")`
/// (BoT-SORT); float64 means `(8,)` and covariances `(8, 8)`.
#[pyclass(name = "KalmanFilter", module = "numa_ultralytics._core")]
struct PyKalman {
    kind: KalmanKind,
}

#[pymethods]
impl PyKalman {
    #[new]
    fn new(kind: &str) -> PyResult<Self> {
        Ok(PyKalman {
            kind: parse_filter_kind(kind)?,
        })
    }

    fn initiate<'py>(
        &self,
        py: Python<'py>,
        measurement: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<MeanCov<'py>> {
        let (m, c) = self.kind.initiate(meas_of(&measurement)?);
        Ok(mean_cov_to_py(py, &m, &c))
    }

    fn predict<'py>(
        &self,
        py: Python<'py>,
        mean: PyReadonlyArray1<'py, f64>,
        covariance: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<MeanCov<'py>> {
        let (mut m, mut c) = (mean_of(&mean)?, cov_of(&covariance)?);
        self.kind.predict(&mut m, &mut c);
        Ok(mean_cov_to_py(py, &m, &c))
    }

    /// Correction step. Raises ValueError if the innovation covariance is singular.
    fn update<'py>(
        &self,
        py: Python<'py>,
        mean: PyReadonlyArray1<'py, f64>,
        covariance: PyReadonlyArray2<'py, f64>,
        measurement: PyReadonlyArray1<'py, f64>,
    ) -> PyResult<MeanCov<'py>> {
        let (mut m, mut c) = (mean_of(&mean)?, cov_of(&covariance)?);
        if !self.kind.update(&mut m, &mut c, meas_of(&measurement)?) {
            return Err(PyValueError::new_err(
                "Kalman update failed: singular or non-finite innovation covariance",
            ));
        }
        Ok(mean_cov_to_py(py, &m, &c))
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyKalman>()?;
    m.add_function(wrap_pyfunction!(lapjv, m)?)?;
    m.add_function(wrap_pyfunction!(linear_assignment, m)?)?;
    m.add_function(wrap_pyfunction!(iou_matrix, m)?)?;
    Ok(())
}
