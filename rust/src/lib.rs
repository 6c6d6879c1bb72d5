//! numa_ultralytics core: the hot paths of YOLO segmentation and tracking, in plain Rust.
//!
//! Every module here is pure Rust with its own tests; `py` (behind the `python` feature,
//! enabled by maturin) is the only place that knows about Python.

pub mod assignment;
pub mod botsort;
pub mod bytetrack;
pub mod contours;
pub mod deepocsort;
pub mod dets_del;
pub mod fasttrack;
pub mod iou;
pub mod kalman;
pub mod masks;
pub mod metrics;
pub mod nms;
pub mod numpy_sum;
pub mod ocsort;
pub mod postprocess;
pub mod preprocess;
pub mod reid;
pub mod scale;
pub mod track;
pub mod track_pool;
pub mod tracker;
pub mod tracker_settings;
pub mod trackeval;
pub mod tracktrack;

#[cfg(feature = "python")]
mod py;
