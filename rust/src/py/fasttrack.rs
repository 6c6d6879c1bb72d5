//! Binding of FastTrack's occlusion math (`fasttrack.rs`), for tests against the original's
//! formulas: the coverage of unmatched tracks and the Kalman roll-back at occlusion onset.

use std::collections::VecDeque;

use numpy::{PyArray1, PyReadonlyArray1, PyReadonlyArray2, PyReadonlyArray3};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::convert::{boxes_ids, cov_of, mean_cov_to_py, mean_of, MeanCov};
use crate::fasttrack::{max_cover, roll_back, FastConfig};
use crate::kalman::{Cov, Mean};

/// Per unmatched track, the largest fraction of its area covered by an active track of another
/// ID (`bbox_ioa(active, unmatched)` in float32, same-ID pairs zeroed, `max(axis=0)`; zeros
/// without active tracks). Boxes are float32 `(n, 4)` xyxy, ids int64.
#[pyfunction]
fn fasttrack_max_cover<'py>(
    py: Python<'py>,
    active_boxes: PyReadonlyArray2<'py, f32>,
    active_ids: PyReadonlyArray1<'py, i64>,
    unmatched_boxes: PyReadonlyArray2<'py, f32>,
    unmatched_ids: PyReadonlyArray1<'py, i64>,
) -> PyResult<Bound<'py, PyArray1<f32>>> {
    let a = boxes_ids("active", &active_boxes, &active_ids)?;
    let u = boxes_ids("unmatched", &unmatched_boxes, &unmatched_ids)?;
    Ok(PyArray1::from_vec(py, max_cover(&a, &u)))
}

/// The Kalman state at occlusion onset: `mean` (8,) and `covariance` (8, 8) float64 rolled back
/// over the history `hist_means` (k, 8) / `hist_covs` (k, 8, 8) (oldest first), then height
/// scaled by `enlarge_bbox_occ` and velocity by `dampen_motion_occ`. Returns `(mean, covariance)`.
#[pyfunction]
#[allow(clippy::too_many_arguments)]
#[allow(clippy::type_complexity)]
fn fasttrack_roll_back<'py>(
    py: Python<'py>,
    mean: PyReadonlyArray1<'py, f64>,
    covariance: PyReadonlyArray2<'py, f64>,
    hist_means: PyReadonlyArray2<'py, f64>,
    hist_covs: PyReadonlyArray3<'py, f64>,
    reset_velocity_offset_occ: usize,
    reset_pos_offset_occ: usize,
    enlarge_bbox_occ: f64,
    dampen_motion_occ: f64,
) -> PyResult<MeanCov<'py>> {
    let (mut mean, mut cov) = (mean_of(&mean)?, cov_of(&covariance)?);
    let (hm, hc) = (hist_means.as_array(), hist_covs.as_array());
    let k = hm.nrows();
    if hm.ncols() != 8 || hc.shape() != [k, 8, 8] {
        return Err(PyValueError::new_err(format!(
            "hist_means must be (k, 8) and hist_covs (k, 8, 8), got {:?} and {:?}",
            hm.shape(),
            hc.shape()
        )));
    }
    let mut hist: VecDeque<(Mean, Cov)> = VecDeque::with_capacity(k);
    for e in 0..k {
        let mut hmean: Mean = [0.0; 8];
        let mut hcov: Cov = [[0.0; 8]; 8];
        for i in 0..8 {
            hmean[i] = hm[[e, i]];
            for j in 0..8 {
                hcov[i][j] = hc[[e, i, j]];
            }
        }
        hist.push_back((hmean, hcov));
    }
    let cfg = FastConfig {
        reset_velocity_offset_occ,
        reset_pos_offset_occ,
        enlarge_bbox_occ,
        dampen_motion_occ,
        // Not used by the roll-back.
        active_occ_to_lost_thresh: 0,
        init_iou_suppress: 1.0,
        occ_cover_thresh: 1.0,
        occ_reappear_window: 0,
    };
    roll_back(&mut mean, &mut cov, &hist, &cfg);
    Ok(mean_cov_to_py(py, &mean, &cov))
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(fasttrack_max_cover, m)?)?;
    m.add_function(wrap_pyfunction!(fasttrack_roll_back, m)?)?;
    Ok(())
}
