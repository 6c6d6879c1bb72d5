//! Binding of the trackers (every `MultiTracker`) and of the small pieces the tests check
//! (lapjv, IoU matrix, Kalman filters).

use numpy::ndarray::Array2;
use numpy::{
    PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray1, PyReadonlyArray2, PyUntypedArrayMethods,
};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;

use super::boxes_of;
use pyo3::types::PyDict;

use crate::assignment::{lapjv_limit, linear_assignment as linear_assignment_rs};
use crate::botsort::BotSort;
use crate::bytetrack::{ByteTracker, ReidGate, TrackerConfig, Warp};
use crate::deepocsort::{Appearance, DeepOcSort, DeepOcSortConfig};
use crate::fasttrack::{FastConfig, FastTracker};
use crate::iou::iou_matrix as iou_matrix_rs;
use crate::kalman::{Cov, KalmanKind, Mean};
use crate::ocsort::{OcSort, OcSortConfig};
use crate::scale::clip_xyxy;
use crate::tracker::{Feats, FrameExtras, MultiTracker};
use crate::tracktrack::{TrackTrack, TrackTrackConfig};

/// The trackers `TrackerCore` can run (the `tracker_type` of a tracker YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TrackerKind {
    ByteTrack,
    BotSort,
    OcSort,
    DeepOcSort,
    FastTrack,
    TrackTrack,
}

fn parse_tracker_kind(kind: &str) -> PyResult<TrackerKind> {
    match kind {
        "bytetrack" => Ok(TrackerKind::ByteTrack),
        "botsort" => Ok(TrackerKind::BotSort),
        "ocsort" => Ok(TrackerKind::OcSort),
        "deepocsort" => Ok(TrackerKind::DeepOcSort),
        "fasttrack" => Ok(TrackerKind::FastTrack),
        "tracktrack" => Ok(TrackerKind::TrackTrack),
        _ => Err(PyValueError::new_err(format!(
            "unknown tracker kind {kind:?}; allowed: 'bytetrack', 'botsort', 'ocsort', 'deepocsort', \
             'fasttrack', 'tracktrack'"
        ))),
    }
}

fn parse_filter_kind(kind: &str) -> PyResult<KalmanKind> {
    match kind {
        "xyah" => Ok(KalmanKind::Xyah),
        "xywh" => Ok(KalmanKind::Xywh),
        _ => Err(PyValueError::new_err(format!(
            "unknown Kalman filter kind {kind:?}; allowed: 'xyah' (ByteTrack), 'xywh' (BoT-SORT)"
        ))),
    }
}

/// Rows of a float32 `(n, 6)` detection array; with `finite`, NaN/inf values are refused.
fn det_rows(dets: &PyReadonlyArray2<'_, f32>, finite: bool) -> PyResult<Vec<[f32; 6]>> {
    let shape = dets.shape();
    if shape[1] != 6 {
        return Err(PyValueError::new_err(format!(
            "dets must have shape (n, 6), got {shape:?}"
        )));
    }
    let mut rows: Vec<[f32; 6]> = Vec::with_capacity(shape[0]);
    for r in dets.as_array().rows() {
        let row = [r[0], r[1], r[2], r[3], r[4], r[5]];
        if finite && row.iter().any(|v| !v.is_finite()) {
            return Err(PyValueError::new_err("dets contain NaN or infinite values"));
        }
        rows.push(row);
    }
    Ok(rows)
}

fn warp_of(h: &PyReadonlyArray2<'_, f64>) -> PyResult<Warp> {
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

/// One tracker of each kind `TrackerCore` can hold.
#[derive(Debug, Clone)]
enum Tracker {
    ByteTrack(ByteTracker),
    BotSort(BotSort),
    OcSort(OcSort),
    DeepOcSort(DeepOcSort),
    FastTrack(Box<FastTracker>),
    TrackTrack(Box<TrackTrack>),
}

impl Tracker {
    fn core(&self) -> &dyn MultiTracker {
        match self {
            Tracker::ByteTrack(t) => t,
            Tracker::BotSort(t) => t,
            Tracker::OcSort(t) => t,
            Tracker::DeepOcSort(t) => t,
            Tracker::FastTrack(t) => t.as_ref(),
            Tracker::TrackTrack(t) => t.as_ref(),
        }
    }

    fn core_mut(&mut self) -> &mut dyn MultiTracker {
        match self {
            Tracker::ByteTrack(t) => t,
            Tracker::BotSort(t) => t,
            Tracker::OcSort(t) => t,
            Tracker::DeepOcSort(t) => t,
            Tracker::FastTrack(t) => t.as_mut(),
            Tracker::TrackTrack(t) => t.as_mut(),
        }
    }
}

fn extra_item<'py>(extra: Option<&Bound<'py, PyDict>>, key: &str) -> PyResult<Bound<'py, PyAny>> {
    extra
        .and_then(|d| d.get_item(key).ok().flatten())
        .ok_or_else(|| PyValueError::new_err(format!("missing tracker setting {key:?}")))
}

/// A tracker-specific setting from `**extra` (the YAML key); every one is required, the defaults
/// live in the shipped YAML files.
fn extra_f64(extra: Option<&Bound<'_, PyDict>>, key: &str) -> PyResult<f64> {
    extra_item(extra, key)?
        .extract::<f64>()
        .map_err(|_| PyValueError::new_err(format!("tracker setting {key:?} must be a number")))
}

/// A fraction setting (`[0, 1]`) from `**extra`.
fn extra_unit(extra: Option<&Bound<'_, PyDict>>, key: &str) -> PyResult<f64> {
    let v = extra_f64(extra, key)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(PyValueError::new_err(format!(
            "{key} must be a number in [0, 1], got {v}"
        )));
    }
    Ok(v)
}

/// A count setting from `**extra`: an integer in `[0, MAX_COUNT]` (as the YAML validation allows).
fn extra_count(extra: Option<&Bound<'_, PyDict>>, key: &str) -> PyResult<u64> {
    const MAX_COUNT: u64 = 1_000_000;
    let err = || {
        PyValueError::new_err(format!(
            "tracker setting {key:?} must be an integer in [0, {MAX_COUNT}]"
        ))
    };
    let v = extra_item(extra, key)?;
    if v.is_instance_of::<pyo3::types::PyBool>() {
        return Err(err());
    }
    let n = v.extract::<u64>().map_err(|_| err())?;
    if n > MAX_COUNT {
        return Err(err());
    }
    Ok(n)
}

/// FastTrack's settings from `**extra`.
fn fast_config(extra: Option<&Bound<'_, PyDict>>) -> PyResult<FastConfig> {
    let f = FastConfig {
        reset_velocity_offset_occ: extra_count(extra, "reset_velocity_offset_occ")? as usize,
        reset_pos_offset_occ: extra_count(extra, "reset_pos_offset_occ")? as usize,
        enlarge_bbox_occ: extra_f64(extra, "enlarge_bbox_occ")?,
        dampen_motion_occ: extra_f64(extra, "dampen_motion_occ")?,
        active_occ_to_lost_thresh: extra_count(extra, "active_occ_to_lost_thresh")?,
        init_iou_suppress: extra_f64(extra, "init_iou_suppress")?,
        occ_cover_thresh: extra_f64(extra, "occ_cover_thresh")?,
        occ_reappear_window: extra_count(extra, "occ_reappear_window")?,
    };
    f.validate()
        .map_err(|e| PyValueError::new_err(e.to_string()))?;
    Ok(f)
}

/// A true/false setting from `**extra`.
fn extra_bool(extra: Option<&Bound<'_, PyDict>>, key: &str) -> PyResult<bool> {
    extra_item(extra, key)?.extract::<bool>().map_err(|_| {
        PyValueError::new_err(format!("tracker setting {key:?} must be true or false"))
    })
}

/// TrackTrack's settings: the common ones plus its `**extra` keys.
fn tracktrack_config(
    base: &TrackerConfig,
    extra: Option<&Bound<'_, PyDict>>,
) -> PyResult<TrackTrackConfig> {
    let cfg = TrackTrackConfig {
        track_high_thresh: base.track_high_thresh,
        track_low_thresh: base.track_low_thresh,
        new_track_thresh: base.new_track_thresh,
        match_thresh: base.match_thresh,
        lost_match_thr: extra_f64(extra, "lost_match_thr")?,
        penalty_p: extra_f64(extra, "penalty_p")?,
        penalty_q: extra_f64(extra, "penalty_q")?,
        reduce_step: extra_f64(extra, "reduce_step")?,
        iou_weight: extra_f64(extra, "iou_weight")?,
        reid_weight: extra_f64(extra, "reid_weight")?,
        conf_weight: extra_f64(extra, "conf_weight")?,
        angle_weight: extra_f64(extra, "angle_weight")?,
        tai_thr: extra_f64(extra, "tai_thr")?,
        min_track_len: extra_count(extra, "min_track_len")?,
        max_time_lost: base.max_time_lost,
        with_reid: extra_bool(extra, "with_reid")?,
    };
    cfg.validate().map_err(PyValueError::new_err)?;
    Ok(cfg)
}

/// BoT-SORT's appearance gate, when `with_reid` is set.
fn reid_gate(extra: Option<&Bound<'_, PyDict>>) -> PyResult<Option<ReidGate>> {
    if !extra_bool(extra, "with_reid")? {
        return Ok(None);
    }
    Ok(Some(ReidGate {
        proximity_thresh: extra_unit(extra, "proximity_thresh")?,
        appearance_thresh: extra_unit(extra, "appearance_thresh")?,
    }))
}

/// A text setting from `**extra` (`None` reads as "None").
fn extra_str(extra: Option<&Bound<'_, PyDict>>, key: &str) -> PyResult<String> {
    let v = extra_item(extra, key)?;
    if v.is_none() {
        return Ok("None".to_string());
    }
    v.extract::<String>()
        .map_err(|_| PyValueError::new_err(format!("tracker setting {key:?} must be a string")))
}

/// OC-SORT's settings (`ocsort.yaml`) over ByteTrack's.
fn ocsort_config(base: TrackerConfig, extra: Option<&Bound<'_, PyDict>>) -> PyResult<OcSortConfig> {
    Ok(OcSortConfig {
        base,
        delta_t: extra_count(extra, "delta_t")?,
        inertia: extra_unit(extra, "inertia")?,
        use_byte: extra_bool(extra, "use_byte")?,
    })
}

/// Deep OC-SORT's settings (`deepocsort.yaml`).
fn deepocsort_config(
    base: TrackerConfig,
    extra: Option<&Bound<'_, PyDict>>,
) -> PyResult<DeepOcSortConfig> {
    let oc = ocsort_config(base, extra)?;
    let gmc = !matches!(extra_str(extra, "gmc_method")?.as_str(), "none" | "None");
    let appearance = if extra_bool(extra, "with_reid")? {
        Some(Appearance {
            proximity_thresh: extra_unit(extra, "proximity_thresh")?,
            appearance_thresh: extra_unit(extra, "appearance_thresh")?,
            alpha_fixed_emb: extra_unit(extra, "alpha_fixed_emb")?,
            det_thresh: f64::from(base.track_high_thresh),
        })
    } else {
        None
    };
    Ok(DeepOcSortConfig {
        oc,
        gmc,
        appearance,
    })
}

/// Float32 `(n, d)` embeddings, one row per detection.
fn feats_of<'a>(f: &'a PyReadonlyArray2<'_, f32>, n: usize) -> PyResult<Feats<'a>> {
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

/// The Rust trackers: ByteTrack (`kind="bytetrack"`, XYAH filter), BoT-SORT (`kind="botsort"`,
/// XYWH filter, camera-motion warp accepted by `update`) and the ones listed in `kind`'s error.
#[pyclass(name = "TrackerCore", module = "numa_ultralytics._core")]
struct PyTracker {
    inner: Tracker,
}

#[pymethods]
impl PyTracker {
    /// Every setting is required: the defaults live in the shipped tracker YAML files. Settings
    /// of one tracker kind only come as keywords in `**extra` (named as in the YAML).
    #[new]
    #[pyo3(signature = (kind, track_high_thresh, track_low_thresh, new_track_thresh, match_thresh,
        fuse_score, max_time_lost, **extra))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        kind: &str,
        track_high_thresh: f64,
        track_low_thresh: f64,
        new_track_thresh: f64,
        match_thresh: f64,
        fuse_score: bool,
        max_time_lost: i64,
        extra: Option<&Bound<'_, PyDict>>,
    ) -> PyResult<Self> {
        let k = parse_tracker_kind(kind)?;
        let mut cfg = TrackerConfig {
            // The YAML floats are compared with float32 scores as numpy does (float32).
            track_high_thresh: track_high_thresh as f32,
            track_low_thresh: track_low_thresh as f32,
            new_track_thresh: new_track_thresh as f32,
            match_thresh,
            fuse_score,
            max_time_lost: 0,
            kind: match k {
                TrackerKind::BotSort | TrackerKind::TrackTrack => KalmanKind::Xywh,
                _ => KalmanKind::Xyah,
            },
        };
        cfg.validate()
            .map_err(|e| PyValueError::new_err(e.to_string()))?;
        cfg.max_time_lost = u64::try_from(max_time_lost).map_err(|_| {
            PyValueError::new_err(format!("max_time_lost must be >= 0, got {max_time_lost}"))
        })?;
        let inner = match k {
            TrackerKind::ByteTrack => Tracker::ByteTrack(ByteTracker::new(cfg)),
            TrackerKind::BotSort => match reid_gate(extra)? {
                Some(gate) => Tracker::BotSort(BotSort::with_reid(cfg, gate)),
                None => Tracker::BotSort(BotSort::new(cfg)),
            },
            TrackerKind::FastTrack => {
                Tracker::FastTrack(Box::new(FastTracker::new(cfg, fast_config(extra)?)))
            }
            TrackerKind::OcSort => Tracker::OcSort(OcSort::new(ocsort_config(cfg, extra)?)),
            TrackerKind::DeepOcSort => {
                let mut c = deepocsort_config(cfg, extra)?;
                // The ReID gate compares float32 scores with the YAML's track_high_thresh.
                if let Some(a) = c.appearance.as_mut() {
                    a.det_thresh = track_high_thresh;
                }
                Tracker::DeepOcSort(DeepOcSort::new(c))
            }
            TrackerKind::TrackTrack => {
                Tracker::TrackTrack(Box::new(TrackTrack::new(tracktrack_config(&cfg, extra)?)))
            }
        };
        Ok(PyTracker { inner })
    }

    /// One frame. `dets`: float32 `(n, 6)` `[x1, y1, x2, y2, conf, cls]`, all finite. `warp`:
    /// float64 `(2, 3)` affine (trackers with camera-motion compensation) or None. `feats`:
    /// float32 `(n, d)` embeddings (ReID) or None. `dets_del`: float32 `(k, 6)` detections the
    /// frame's NMS removed (TrackTrack) or None. Returns float32 `(m, 8)`
    /// `[x1, y1, x2, y2, id, score, cls, idx]` (the box is the Kalman state, not clipped).
    #[pyo3(signature = (dets, warp=None, feats=None, dets_del=None))]
    fn update<'py>(
        &mut self,
        py: Python<'py>,
        dets: PyReadonlyArray2<'py, f32>,
        warp: Option<PyReadonlyArray2<'py, f64>>,
        feats: Option<PyReadonlyArray2<'py, f32>>,
        dets_del: Option<PyReadonlyArray2<'py, f32>>,
    ) -> PyResult<Bound<'py, PyArray2<f32>>> {
        let rows = det_rows(&dets, true)?;
        let core = self.inner.core_mut();
        let warp =
            match warp {
                Some(_) if !core.uses_warp() => return Err(PyValueError::new_err(
                    "a camera-motion warp is only used by trackers with camera-motion compensation",
                )),
                Some(h) => Some(warp_of(&h)?),
                None => None,
            };
        let feats = feats
            .as_ref()
            .map(|f| feats_of(f, rows.len()))
            .transpose()?;
        let del = dets_del.as_ref().map(|d| det_rows(d, true)).transpose()?;
        let extras = FrameExtras {
            warp: warp.as_ref(),
            feats,
            dets_del: del.as_deref(),
        };
        let out = core.update(&rows, &extras);
        let n = out.len();
        let flat: Vec<f32> = out.into_iter().flatten().collect();
        PyArray1::from_vec(py, flat).reshape([n, 8])
    }

    /// Rows of `dets` (float32 `(n, 6)`) that are high detections for this tracker (score
    /// `>= track_high_thresh` in float32, positive width and height), as int64 indices in order:
    /// the boxes the camera-motion estimate leaves out. NaN rows are simply not high.
    fn high_indices<'py>(
        &self,
        py: Python<'py>,
        dets: PyReadonlyArray2<'py, f32>,
    ) -> PyResult<Bound<'py, PyArray1<i64>>> {
        let rows = det_rows(&dets, false)?;
        let idx = self.inner.core().high_indices(&rows);
        Ok(PyArray1::from_vec(
            py,
            idx.into_iter().map(|i| i as i64).collect(),
        ))
    }

    /// Forget all tracks; frame 0; IDs restart at 1.
    fn reset(&mut self) {
        self.inner.core_mut().reset();
    }

    #[getter]
    fn frame_id(&self) -> u64 {
        self.inner.core().frame_id()
    }

    /// The ID the next new track gets.
    #[getter]
    fn next_id(&self) -> u64 {
        self.inner.core().next_id()
    }

    /// True when some tracked track is not yet confirmed (Ultralytics hides the frame's
    /// detections then).
    #[getter]
    fn has_unconfirmed(&self) -> bool {
        self.inner.core().has_unconfirmed()
    }

    /// `(track_id, state, is_activated, frame_id, start_frame, score, cls, idx)` of the tracked
    /// then the lost tracks (state: 1 tracked, 2 lost, 3 removed this frame).
    #[allow(clippy::type_complexity)]
    fn tracks(&self) -> Vec<(u64, u8, bool, u64, u64, f32, f32, usize)> {
        self.inner
            .core()
            .summaries()
            .into_iter()
            .map(|t| {
                (
                    t.track_id,
                    t.state,
                    t.is_activated,
                    t.frame_id,
                    t.start_frame,
                    t.score,
                    t.cls,
                    t.idx,
                )
            })
            .collect()
    }
}

/// `Results.update`'s `clip_boxes` on tracker output: a float32 copy of `boxes` (`(n, k)`,
/// `k >= 4`, xyxy first) with x clipped to `[0, w]` and y to `[0, h]` of `orig_hw`.
#[pyfunction]
fn clip_boxes<'py>(
    py: Python<'py>,
    boxes: PyReadonlyArray2<'py, f32>,
    orig_hw: (usize, usize),
) -> PyResult<Bound<'py, PyArray2<f32>>> {
    let (n, k) = (boxes.shape()[0], boxes.shape()[1]);
    if k < 4 {
        return Err(PyValueError::new_err(format!(
            "boxes must have at least 4 columns (x1, y1, x2, y2), got {k}"
        )));
    }
    let (h, w) = (orig_hw.0 as f32, orig_hw.1 as f32);
    let mut flat: Vec<f32> = boxes.as_array().iter().copied().collect();
    for row in flat.chunks_exact_mut(k) {
        let b = clip_xyxy([row[0], row[1], row[2], row[3]], w, h);
        row[..4].copy_from_slice(&b);
    }
    PyArray1::from_vec(py, flat).reshape([n, k])
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

fn mean_of(a: &PyReadonlyArray1<'_, f64>) -> PyResult<Mean> {
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

fn cov_of(a: &PyReadonlyArray2<'_, f64>) -> PyResult<Cov> {
    if a.shape() != [8, 8] {
        return Err(PyValueError::new_err(format!(
            "covariance must be (8, 8), got {:?}",
            a.shape()
        )));
    }
    let v = a.as_array();
    let mut c = [[0.0; 8]; 8];
    for i in 0..8 {
        for j in 0..8 {
            c[i][j] = v[[i, j]];
        }
    }
    Ok(c)
}

fn meas_of(a: &PyReadonlyArray1<'_, f64>) -> PyResult<[f64; 4]> {
    let v = a.as_array();
    if v.len() != 4 {
        return Err(PyValueError::new_err(format!(
            "measurement must have 4 values, got {}",
            v.len()
        )));
    }
    Ok([v[0], v[1], v[2], v[3]])
}

type MeanCov<'py> = (Bound<'py, PyArray1<f64>>, Bound<'py, PyArray2<f64>>);

fn to_py<'py>(py: Python<'py>, m: &Mean, c: &Cov) -> PyResult<MeanCov<'py>> {
    let cov = Array2::from_shape_fn((8, 8), |(i, j)| c[i][j]);
    Ok((
        PyArray1::from_vec(py, m.to_vec()),
        PyArray2::from_owned_array(py, cov),
    ))
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
        to_py(py, &m, &c)
    }

    fn predict<'py>(
        &self,
        py: Python<'py>,
        mean: PyReadonlyArray1<'py, f64>,
        covariance: PyReadonlyArray2<'py, f64>,
    ) -> PyResult<MeanCov<'py>> {
        let (mut m, mut c) = (mean_of(&mean)?, cov_of(&covariance)?);
        self.kind.predict(&mut m, &mut c);
        to_py(py, &m, &c)
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
        to_py(py, &m, &c)
    }
}

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyTracker>()?;
    m.add_class::<PyKalman>()?;
    m.add_function(wrap_pyfunction!(lapjv, m)?)?;
    m.add_function(wrap_pyfunction!(linear_assignment, m)?)?;
    m.add_function(wrap_pyfunction!(iou_matrix, m)?)?;
    m.add_function(wrap_pyfunction!(clip_boxes, m)?)?;
    Ok(())
}
