//! Binding of the trackers: `TrackerCore(settings)` (every `MultiTracker`, built from one settings
//! dict by `tracker_settings`) and `clip_boxes`. Conversions only.

use numpy::{PyArray1, PyArray2, PyArrayMethods, PyReadonlyArray2, PyUntypedArrayMethods};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;

use super::convert::{det_rows, feats_of, setting_error, warp_of, DictSettings};
use crate::scale::clip_xyxy;
use crate::tracker::FrameExtras;
use crate::tracker_settings::{Tracker, TrackerKind, TrackerSettings};

/// The Rust trackers, one per `tracker_type` of the tracker YAML files.
#[pyclass(name = "TrackerCore", module = "numa_ultralytics._core")]
struct PyTracker {
    inner: Tracker,
    kind: TrackerKind,
    max_time_lost: u64,
}

#[pymethods]
impl PyTracker {
    /// `settings`: the validated tracker YAML (`load_tracker_config`) plus `frame_rate`; every
    /// key of the tracker type is required (the defaults live in the shipped YAML files).
    /// Raises ValueError (missing key, value out of range, unknown `tracker_type`) or TypeError
    /// (a value of the wrong type), naming the key.
    #[new]
    fn new(settings: &Bound<'_, PyDict>) -> PyResult<Self> {
        let s =
            TrackerSettings::from_source(&DictSettings::new(settings)?).map_err(setting_error)?;
        Ok(PyTracker {
            inner: s.build(),
            kind: s.kind(),
            max_time_lost: s.max_time_lost(),
        })
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
        let rows = det_rows("dets", &dets, true)?;
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
        let del = dets_del
            .as_ref()
            .map(|d| det_rows("dets_del", d, true))
            .transpose()?;
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
        let rows = det_rows("dets", &dets, false)?;
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

    /// The `tracker_type` this tracker runs.
    #[getter]
    fn kind(&self) -> &'static str {
        self.kind.name()
    }

    /// Frames a lost track lives (`int(frame_rate / 30 * track_buffer)`; TrackTrack:
    /// `track_buffer`).
    #[getter]
    fn max_time_lost(&self) -> u64 {
        self.max_time_lost
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

pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("MAX_TRACKER_COUNT", crate::tracker_settings::MAX_COUNT)?;
    m.add_class::<PyTracker>()?;
    m.add_function(wrap_pyfunction!(clip_boxes, m)?)?;
    Ok(())
}
