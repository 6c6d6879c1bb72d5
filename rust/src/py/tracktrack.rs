//! Binding of TrackTrack's pure pieces the tests compare with the original's formulas: HMIoU,
//! the iterative assignment and the track-aware NMS. Conversion only.

use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::boxes_of;

use crate::tracktrack::{hmiou_distance, iterative_associate, track_aware_nms};

type Pair<'py> = (Bound<'py, PyArray2<f32>>, Bound<'py, PyArray2<f32>>);

/// `_hmiou_distance` of float32 xyxy boxes `a (n, 4)`, `b (m, 4)`: `(iou, 1 - HIoU * IoU)`, both
/// float32 `(n, m)`.
#[pyfunction]
fn tracktrack_hmiou<'py>(
    py: Python<'py>,
    a: PyReadonlyArray2<'py, f32>,
    b: PyReadonlyArray2<'py, f32>,
) -> PyResult<Pair<'py>> {
    let (va, vb) = (boxes_of("a", &a)?, boxes_of("b", &b)?);
    let (iou, dist) = hmiou_distance(&va, &vb);
    let shape = [va.len(), vb.len()];
    Ok((
        PyArray1::from_vec(py, iou).reshape(shape)?,
        PyArray1::from_vec(py, dist).reshape(shape)?,
    ))
}

/// `_iterative_associate(cost, match_thr, reduce_step)` on a float32 `(n, m)` cost:
/// `(matches (k, 2), unmatched_rows, unmatched_cols)` as int64 arrays.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn tracktrack_iterative_associate<'py>(
    py: Python<'py>,
    cost: PyReadonlyArray2<'py, f32>,
    match_thr: f64,
    reduce_step: f64,
) -> PyResult<(
    Bound<'py, PyArray2<i64>>,
    Bound<'py, PyArray1<i64>>,
    Bound<'py, PyArray1<i64>>,
)> {
    let (r, c) = (cost.shape()[0], cost.shape()[1]);
    let flat: Vec<f32> = cost.as_array().iter().copied().collect();
    let a = iterative_associate(&flat, r, c, match_thr, reduce_step);
    let k = a.matches.len();
    let m: Vec<i64> = a
        .matches
        .iter()
        .flat_map(|&(i, j)| [i as i64, j as i64])
        .collect();
    let idx = |v: Vec<usize>| PyArray1::from_vec(py, v.into_iter().map(|x| x as i64).collect());
    Ok((
        PyArray1::from_vec(py, m).reshape([k, 2])?,
        idx(a.unmatched_rows),
        idx(a.unmatched_cols),
    ))
}

/// `_track_aware_nms`: which of the detections `dets (m, 4)` (scores `(m,)`) may start a track
/// next to the tracks `tracks (n, 4)` (float32 xyxy). Returns a bool list.
#[pyfunction]
fn tracktrack_tai(
    tracks: PyReadonlyArray2<'_, f32>,
    dets: PyReadonlyArray2<'_, f32>,
    scores: PyReadonlyArray1<'_, f32>,
    tai_thr: f32,
    new_track_thresh: f32,
) -> PyResult<Vec<bool>> {
    let (t, d) = (boxes_of("tracks", &tracks)?, boxes_of("dets", &dets)?);
    let s: Vec<f32> = scores.as_array().iter().copied().collect();
    if s.len() != d.len() {
        return Err(PyValueError::new_err(format!(
            "scores must have one value per detection ({}), got {}",
            d.len(),
            s.len()
        )));
    }
    Ok(track_aware_nms(&t, &d, &s, tai_thr, new_track_thresh))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(tracktrack_hmiou, m)?)?;
    m.add_function(wrap_pyfunction!(tracktrack_iterative_associate, m)?)?;
    m.add_function(wrap_pyfunction!(tracktrack_tai, m)?)?;
    Ok(())
}
