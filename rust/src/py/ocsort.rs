//! Bindings of OC-SORT's motion pieces (`ocsort.rs`) that the tests check against the original's
//! numpy formulas: the velocity direction, the OCM cost and the ORU replay.

use numpy::PyUntypedArrayMethods;
use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::{boxes_of, cov_of, mean_cov_to_py, mean_of, MeanCov};

use crate::iou::Xyxy;
use crate::ocsort::{oru_replay, velocity_direction, velocity_direction_cost};

/// `OCSortTrack._compute_velocity`: observations `frames` (int64, strictly increasing) with
/// float32 `(k, 4)` xyxy `boxes`; float32 `(2,)` or None.
#[pyfunction]
fn ocsort_velocity<'py>(
    py: Python<'py>,
    frames: PyReadonlyArray1<'py, i64>,
    boxes_: PyReadonlyArray2<'py, f32>,
    delta_t: u64,
) -> PyResult<Option<Bound<'py, PyArray1<f32>>>> {
    let b = boxes_of("boxes", &boxes_)?;
    let f = frames.as_array();
    if f.len() != b.len() {
        return Err(PyValueError::new_err(
            "frames and boxes must have the same length",
        ));
    }
    let mut obs = Vec::with_capacity(b.len());
    for (fr, bx) in f.iter().zip(b) {
        let fr = u64::try_from(*fr).map_err(|_| PyValueError::new_err("frames must be >= 0"))?;
        if obs.last().is_some_and(|&(p, _)| p >= fr) {
            return Err(PyValueError::new_err("frames must be strictly increasing"));
        }
        obs.push((fr, bx));
    }
    Ok(velocity_direction(&obs, delta_t).map(|v| PyArray1::from_vec(py, v.to_vec())))
}

/// `OCSORT._velocity_direction_cost`: tracks as float32 `(n, 4)` last observations and `(n, 2)`
/// velocities (a NaN row: no velocity), detections float32 `(m, 4)`; float32 `(n, m)`.
#[pyfunction]
fn ocsort_ocm_cost<'py>(
    py: Python<'py>,
    last_obs: PyReadonlyArray2<'py, f32>,
    velocity: PyReadonlyArray2<'py, f32>,
    dets: PyReadonlyArray2<'py, f32>,
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let lo = boxes_of("last_obs", &last_obs)?;
    let d = boxes_of("dets", &dets)?;
    if velocity.shape() != [lo.len(), 2] {
        return Err(PyValueError::new_err(format!(
            "velocity must have shape ({}, 2), got {:?}",
            lo.len(),
            velocity.shape()
        )));
    }
    let v = velocity.as_array();
    let tracks: Vec<(Xyxy, Option<[f32; 2]>)> = lo
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let vel = [v[[i, 0]], v[[i, 1]]];
            (*o, (!vel.iter().any(|x| x.is_nan())).then_some(vel))
        })
        .collect();
    let c = velocity_direction_cost(&tracks, &d);
    PyArray1::from_vec(py, c).reshape([lo.len(), d.len()])
}

/// `OCSortTrack.apply_oru`'s replay from the saved float64 `mean` `(8,)` / `covariance` `(8, 8)`
/// over `gap` frames from float32 xyxy `last_obs` to `new_obs`; returns `(mean, covariance)`.
#[pyfunction]
#[allow(clippy::type_complexity)]
fn ocsort_oru<'py>(
    py: Python<'py>,
    mean: PyReadonlyArray1<'py, f64>,
    covariance: PyReadonlyArray2<'py, f64>,
    last_obs: PyReadonlyArray1<'py, f32>,
    new_obs: PyReadonlyArray1<'py, f32>,
    gap: u64,
) -> PyResult<MeanCov<'py>> {
    let (mut mm, mut cc) = (mean_of(&mean)?, cov_of(&covariance)?);
    let (lo, no) = (last_obs.as_array(), new_obs.as_array());
    if lo.len() != 4 || no.len() != 4 {
        return Err(PyValueError::new_err("observations must be (4,) xyxy"));
    }
    let l: Xyxy = [lo[0], lo[1], lo[2], lo[3]];
    let n: Xyxy = [no[0], no[1], no[2], no[3]];
    oru_replay(&mut mm, &mut cc, &l, &n, gap);
    Ok(mean_cov_to_py(py, &mm, &cc))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(ocsort_velocity, m)?)?;
    m.add_function(wrap_pyfunction!(ocsort_ocm_cost, m)?)?;
    m.add_function(wrap_pyfunction!(ocsort_oru, m)?)?;
    Ok(())
}
