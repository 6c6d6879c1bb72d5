//! A tracker's settings, typed once: the (already validated) keys of a tracker YAML, read from any
//! [`SettingSource`] into [`TrackerSettings`], which knows the tracker kind and builds the
//! [`Tracker`]. The Python binding only turns its dict into [`Setting`] values.
//!
//! The defaults are not here: they are the shipped tracker YAML files. The one rule derived here is
//! how long a lost track lives ([`TrackerSettings::max_time_lost`]).

use std::fmt;

use crate::botsort::BotSort;
use crate::bytetrack::{ByteTracker, ReidGate, TrackerConfig};
use crate::deepocsort::{DeepOcSort, DeepOcSortConfig};
use crate::fasttrack::{FastConfig, FastTracker};
use crate::kalman::KalmanKind;
use crate::ocsort::{OcSort, OcSortConfig};
use crate::reid::Appearance;
use crate::tracker::MultiTracker;
use crate::tracktrack::{TrackTrack, TrackTrackConfig};

/// The largest count setting (frames, history lengths) accepted: keeps every frame count
/// representable. The one place it is written; Python's YAML check reads it as
/// `_core.MAX_TRACKER_COUNT`.
pub const MAX_COUNT: u64 = 1_000_000;

/// One setting's value, as the source holds it.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(String),
    /// YAML `null` / Python `None`.
    Null,
    /// Any other value; the text names its type.
    Other(String),
}

impl Setting {
    fn type_name(&self) -> String {
        match self {
            Setting::Bool(_) => "bool".into(),
            Setting::Int(_) => "int".into(),
            Setting::Float(_) => "float".into(),
            Setting::Text(_) => "str".into(),
            Setting::Null => "None".into(),
            Setting::Other(t) => t.clone(),
        }
    }
}

/// A mapping of setting names (the YAML keys) to values.
pub trait SettingSource {
    /// The value of `key`, or `None` when the key is absent.
    fn get(&self, key: &str) -> Option<Setting>;
}

impl SettingSource for std::collections::HashMap<&str, Setting> {
    fn get(&self, key: &str) -> Option<Setting> {
        std::collections::HashMap::get(self, key).cloned()
    }
}

/// Why settings could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum SettingError {
    /// A required key is absent.
    Missing(&'static str),
    /// A key holds a value of the wrong type.
    WrongType {
        key: &'static str,
        expected: &'static str,
        got: String,
    },
    /// A key holds a value of the right type out of its range (the message of the check).
    Invalid(String),
}

impl SettingError {
    fn range(key: &str, expected: &str, value: impl fmt::Display) -> Self {
        SettingError::Invalid(format!("{key} must be {expected}, got {value}"))
    }
}

impl fmt::Display for SettingError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SettingError::Missing(key) => write!(f, "missing tracker setting {key:?}"),
            SettingError::WrongType { key, expected, got } => {
                write!(f, "tracker setting {key:?} must be {expected}, got {got}")
            }
            SettingError::Invalid(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for SettingError {}

const NUMBER: &str = "a number";
const UNIT: &str = "a number in [0, 1]";
const COUNT: &str = "an integer in [0, 1000000]";

fn item(src: &dyn SettingSource, key: &'static str) -> Result<Setting, SettingError> {
    src.get(key).ok_or(SettingError::Missing(key))
}

fn wrong(key: &'static str, expected: &'static str, got: &Setting) -> SettingError {
    SettingError::WrongType {
        key,
        expected,
        got: got.type_name(),
    }
}

/// A number (int or float, not bool).
fn number(src: &dyn SettingSource, key: &'static str) -> Result<f64, SettingError> {
    match item(src, key)? {
        Setting::Float(v) => Ok(v),
        Setting::Int(v) => Ok(v as f64),
        other => Err(wrong(key, NUMBER, &other)),
    }
}

/// A fraction: a finite number in `[0, 1]`.
fn unit(src: &dyn SettingSource, key: &'static str) -> Result<f64, SettingError> {
    let v = number(src, key)?;
    if !(0.0..=1.0).contains(&v) {
        return Err(SettingError::range(key, UNIT, v));
    }
    Ok(v)
}

/// A count: an integer (not bool) in `[0, MAX_COUNT]`.
fn count(src: &dyn SettingSource, key: &'static str) -> Result<u64, SettingError> {
    match item(src, key)? {
        Setting::Int(v) => match u64::try_from(v) {
            Ok(n) if n <= MAX_COUNT => Ok(n),
            _ => Err(SettingError::range(key, COUNT, v)),
        },
        other => Err(wrong(key, COUNT, &other)),
    }
}

/// True or false.
fn flag(src: &dyn SettingSource, key: &'static str) -> Result<bool, SettingError> {
    match item(src, key)? {
        Setting::Bool(v) => Ok(v),
        other => Err(wrong(key, "true or false", &other)),
    }
}

/// Text; `None` reads as `"None"` (as YAML's `gmc_method: None`).
fn text(src: &dyn SettingSource, key: &'static str) -> Result<String, SettingError> {
    match item(src, key)? {
        Setting::Text(v) => Ok(v),
        Setting::Null => Ok("None".to_string()),
        other => Err(wrong(key, "a string", &other)),
    }
}

/// The trackers (`tracker_type` of a tracker YAML).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrackerKind {
    ByteTrack,
    BotSort,
    OcSort,
    DeepOcSort,
    FastTrack,
    TrackTrack,
}

impl TrackerKind {
    /// Every kind, in the order of [`TrackerKind::name`]'s error message.
    pub const ALL: [TrackerKind; 6] = [
        TrackerKind::ByteTrack,
        TrackerKind::BotSort,
        TrackerKind::OcSort,
        TrackerKind::DeepOcSort,
        TrackerKind::FastTrack,
        TrackerKind::TrackTrack,
    ];

    /// The `tracker_type` naming this kind.
    pub fn name(self) -> &'static str {
        match self {
            TrackerKind::ByteTrack => "bytetrack",
            TrackerKind::BotSort => "botsort",
            TrackerKind::OcSort => "ocsort",
            TrackerKind::DeepOcSort => "deepocsort",
            TrackerKind::FastTrack => "fasttrack",
            TrackerKind::TrackTrack => "tracktrack",
        }
    }

    /// The kind a `tracker_type` names.
    pub fn parse(name: &str) -> Result<Self, SettingError> {
        Self::ALL
            .into_iter()
            .find(|k| k.name() == name)
            .ok_or_else(|| {
                let allowed: Vec<&str> = Self::ALL.iter().map(|k| k.name()).collect();
                SettingError::Invalid(format!(
                    "unknown tracker_type {name:?}; allowed: {allowed:?}"
                ))
            })
    }

    /// The Kalman filter of this kind's tracks.
    pub fn filter(self) -> KalmanKind {
        match self {
            TrackerKind::BotSort | TrackerKind::TrackTrack => KalmanKind::Xywh,
            _ => KalmanKind::Xyah,
        }
    }
}

/// A tracker's settings, typed, one variant per kind.
#[derive(Debug, Clone, Copy)]
pub enum TrackerSettings {
    ByteTrack(TrackerConfig),
    BotSort(TrackerConfig, Option<ReidGate>),
    OcSort(OcSortConfig),
    DeepOcSort(DeepOcSortConfig),
    FastTrack(TrackerConfig, FastConfig),
    TrackTrack(TrackTrackConfig),
}

impl TrackerSettings {
    /// Reads the settings of the kind `tracker_type` names. Keys: the tracker YAML's (`fuse_score`
    /// not for TrackTrack, which has none) and `frame_rate` (frames per second of the stream; not
    /// for TrackTrack), every one required; other keys are ignored.
    pub fn from_source(src: &dyn SettingSource) -> Result<Self, SettingError> {
        let kind = TrackerKind::parse(&text(src, "tracker_type")?)?;
        let max_time_lost = Self::lost_frames(kind, src)?;
        let high = number(src, "track_high_thresh")?;
        let base = TrackerConfig {
            // The YAML floats are compared with float32 scores as numpy does (float32).
            track_high_thresh: high as f32,
            track_low_thresh: number(src, "track_low_thresh")? as f32,
            new_track_thresh: number(src, "new_track_thresh")? as f32,
            match_thresh: number(src, "match_thresh")?,
            fuse_score: kind != TrackerKind::TrackTrack && flag(src, "fuse_score")?,
            max_time_lost,
            kind: kind.filter(),
        };
        base.validate()
            .map_err(|e| SettingError::Invalid(e.to_string()))?;
        Ok(match kind {
            TrackerKind::ByteTrack => TrackerSettings::ByteTrack(base),
            TrackerKind::BotSort => {
                let gate = if flag(src, "with_reid")? {
                    Some(ReidGate {
                        proximity_thresh: unit(src, "proximity_thresh")?,
                        appearance_thresh: unit(src, "appearance_thresh")?,
                    })
                } else {
                    None
                };
                TrackerSettings::BotSort(base, gate)
            }
            TrackerKind::OcSort => TrackerSettings::OcSort(ocsort(base, src)?),
            TrackerKind::DeepOcSort => {
                let oc = ocsort(base, src)?;
                let gmc = !matches!(text(src, "gmc_method")?.as_str(), "none" | "None");
                let appearance = if flag(src, "with_reid")? {
                    Some(Appearance {
                        proximity_thresh: unit(src, "proximity_thresh")?,
                        appearance_thresh: unit(src, "appearance_thresh")?,
                        alpha_fixed_emb: unit(src, "alpha_fixed_emb")?,
                        // The ReID gate compares float32 scores with the YAML's float64 value.
                        det_thresh: high,
                    })
                } else {
                    None
                };
                TrackerSettings::DeepOcSort(DeepOcSortConfig {
                    oc,
                    gmc,
                    appearance,
                })
            }
            TrackerKind::FastTrack => {
                let f = FastConfig {
                    reset_velocity_offset_occ: count(src, "reset_velocity_offset_occ")? as usize,
                    reset_pos_offset_occ: count(src, "reset_pos_offset_occ")? as usize,
                    enlarge_bbox_occ: number(src, "enlarge_bbox_occ")?,
                    dampen_motion_occ: number(src, "dampen_motion_occ")?,
                    active_occ_to_lost_thresh: count(src, "active_occ_to_lost_thresh")?,
                    init_iou_suppress: number(src, "init_iou_suppress")?,
                    occ_cover_thresh: number(src, "occ_cover_thresh")?,
                    occ_reappear_window: count(src, "occ_reappear_window")?,
                };
                f.validate()
                    .map_err(|e| SettingError::Invalid(e.to_string()))?;
                TrackerSettings::FastTrack(base, f)
            }
            TrackerKind::TrackTrack => {
                let cfg = TrackTrackConfig {
                    track_high_thresh: base.track_high_thresh,
                    track_low_thresh: base.track_low_thresh,
                    new_track_thresh: base.new_track_thresh,
                    match_thresh: base.match_thresh,
                    lost_match_thr: number(src, "lost_match_thr")?,
                    penalty_p: number(src, "penalty_p")?,
                    penalty_q: number(src, "penalty_q")?,
                    reduce_step: number(src, "reduce_step")?,
                    iou_weight: number(src, "iou_weight")?,
                    reid_weight: number(src, "reid_weight")?,
                    conf_weight: number(src, "conf_weight")?,
                    angle_weight: number(src, "angle_weight")?,
                    tai_thr: number(src, "tai_thr")?,
                    min_track_len: count(src, "min_track_len")?,
                    max_time_lost,
                    with_reid: flag(src, "with_reid")?,
                };
                cfg.validate().map_err(SettingError::Invalid)?;
                TrackerSettings::TrackTrack(cfg)
            }
        })
    }

    /// Frames a lost track lives: `int(frame_rate / 30 * track_buffer)` (Ultralytics'
    /// `max_time_lost`); TrackTrack keeps `track_buffer` whatever the frame rate.
    fn lost_frames(kind: TrackerKind, src: &dyn SettingSource) -> Result<u64, SettingError> {
        let buffer = count(src, "track_buffer")?;
        if kind == TrackerKind::TrackTrack {
            return Ok(buffer);
        }
        let fps = number(src, "frame_rate")?;
        if !(fps.is_finite() && fps > 0.0) {
            return Err(SettingError::range("frame_rate", "a positive number", fps));
        }
        // Python's int() of the float64 product: truncation toward zero (the product is >= 0).
        Ok((fps / 30.0 * buffer as f64) as u64)
    }

    pub fn kind(&self) -> TrackerKind {
        match self {
            TrackerSettings::ByteTrack(_) => TrackerKind::ByteTrack,
            TrackerSettings::BotSort(..) => TrackerKind::BotSort,
            TrackerSettings::OcSort(_) => TrackerKind::OcSort,
            TrackerSettings::DeepOcSort(_) => TrackerKind::DeepOcSort,
            TrackerSettings::FastTrack(..) => TrackerKind::FastTrack,
            TrackerSettings::TrackTrack(_) => TrackerKind::TrackTrack,
        }
    }

    /// Frames a lost track lives before it is removed.
    pub fn max_time_lost(&self) -> u64 {
        match self {
            TrackerSettings::ByteTrack(c)
            | TrackerSettings::BotSort(c, _)
            | TrackerSettings::FastTrack(c, _) => c.max_time_lost,
            TrackerSettings::OcSort(c) => c.base.max_time_lost,
            TrackerSettings::DeepOcSort(c) => c.oc.base.max_time_lost,
            TrackerSettings::TrackTrack(c) => c.max_time_lost,
        }
    }

    /// A new tracker with these settings.
    pub fn build(&self) -> Tracker {
        match *self {
            TrackerSettings::ByteTrack(c) => Tracker::ByteTrack(ByteTracker::new(c)),
            TrackerSettings::BotSort(c, None) => Tracker::BotSort(BotSort::new(c)),
            TrackerSettings::BotSort(c, Some(gate)) => {
                Tracker::BotSort(BotSort::with_reid(c, gate))
            }
            TrackerSettings::OcSort(c) => Tracker::OcSort(OcSort::new(c)),
            TrackerSettings::DeepOcSort(c) => Tracker::DeepOcSort(DeepOcSort::new(c)),
            TrackerSettings::FastTrack(c, f) => {
                Tracker::FastTrack(Box::new(FastTracker::new(c, f)))
            }
            TrackerSettings::TrackTrack(c) => Tracker::TrackTrack(Box::new(TrackTrack::new(c))),
        }
    }
}

fn ocsort(base: TrackerConfig, src: &dyn SettingSource) -> Result<OcSortConfig, SettingError> {
    Ok(OcSortConfig {
        base,
        delta_t: count(src, "delta_t")?,
        inertia: unit(src, "inertia")?,
        use_byte: flag(src, "use_byte")?,
    })
}

/// One tracker of each kind.
#[derive(Debug, Clone)]
pub enum Tracker {
    ByteTrack(ByteTracker),
    BotSort(BotSort),
    OcSort(OcSort),
    DeepOcSort(DeepOcSort),
    FastTrack(Box<FastTracker>),
    TrackTrack(Box<TrackTrack>),
}

impl Tracker {
    pub fn core(&self) -> &dyn MultiTracker {
        match self {
            Tracker::ByteTrack(t) => t,
            Tracker::BotSort(t) => t,
            Tracker::OcSort(t) => t,
            Tracker::DeepOcSort(t) => t,
            Tracker::FastTrack(t) => t.as_ref(),
            Tracker::TrackTrack(t) => t.as_ref(),
        }
    }

    pub fn core_mut(&mut self) -> &mut dyn MultiTracker {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracker::FrameExtras;
    use std::collections::HashMap;

    type Src = HashMap<&'static str, Setting>;

    fn f(v: f64) -> Setting {
        Setting::Float(v)
    }

    /// The keys of the shipped `<kind>.yaml` (its values) and `frame_rate: 30`.
    fn shipped(kind: &str) -> Src {
        let mut m: Src = HashMap::new();
        let t = |s: &str| Setting::Text(s.to_string());
        m.insert("tracker_type", t(kind));
        m.insert("frame_rate", Setting::Int(30));
        m.insert("track_high_thresh", f(0.25));
        m.insert("track_low_thresh", f(0.1));
        m.insert("new_track_thresh", f(0.25));
        m.insert("track_buffer", Setting::Int(30));
        m.insert("match_thresh", f(0.8));
        m.insert("fuse_score", Setting::Bool(true));
        match kind {
            "botsort" => {
                m.insert("gmc_method", t("sparseOptFlow"));
                m.insert("proximity_thresh", f(0.5));
                m.insert("appearance_thresh", f(0.8));
                m.insert("with_reid", Setting::Bool(false));
                m.insert("model", t("auto"));
            }
            "ocsort" | "deepocsort" => {
                m.insert("delta_t", Setting::Int(3));
                m.insert("inertia", f(0.2));
                m.insert("use_byte", Setting::Bool(false));
                if kind == "deepocsort" {
                    m.insert("track_high_thresh", f(0.3));
                    m.insert("new_track_thresh", f(0.3));
                    m.insert("gmc_method", t("none"));
                    m.insert("with_reid", Setting::Bool(false));
                    m.insert("model", t("auto"));
                    m.insert("proximity_thresh", f(0.5));
                    m.insert("appearance_thresh", f(0.9));
                    m.insert("alpha_fixed_emb", f(0.95));
                }
            }
            "fasttrack" => {
                m.insert("reset_velocity_offset_occ", Setting::Int(5));
                m.insert("reset_pos_offset_occ", Setting::Int(3));
                m.insert("enlarge_bbox_occ", f(1.1));
                m.insert("dampen_motion_occ", f(0.5));
                m.insert("active_occ_to_lost_thresh", Setting::Int(10));
                m.insert("occ_cover_thresh", f(0.7));
                m.insert("occ_reappear_window", Setting::Int(40));
                m.insert("init_iou_suppress", f(0.7));
            }
            "tracktrack" => {
                m.remove("fuse_score");
                m.remove("frame_rate");
                for (k, v) in [
                    ("track_high_thresh", 0.6),
                    ("track_low_thresh", 0.25),
                    ("new_track_thresh", 0.7),
                    ("match_thresh", 0.7),
                    ("lost_match_thr", 0.0),
                    ("iou_weight", 0.5),
                    ("reid_weight", 0.5),
                    ("conf_weight", 0.1),
                    ("angle_weight", 0.05),
                    ("penalty_p", 0.2),
                    ("penalty_q", 0.4),
                    ("reduce_step", 0.05),
                    ("tai_thr", 0.55),
                ] {
                    m.insert(k, f(v));
                }
                m.insert("min_track_len", Setting::Int(3));
                m.insert("gmc_method", t("sparseOptFlow"));
                m.insert("with_reid", Setting::Bool(false));
                m.insert("model", t("auto"));
            }
            _ => {}
        }
        m
    }

    fn with(mut m: Src, key: &'static str, v: Setting) -> Src {
        m.insert(key, v);
        m
    }

    #[test]
    fn every_kind_builds_its_tracker() {
        for kind in TrackerKind::ALL {
            let s = TrackerSettings::from_source(&shipped(kind.name())).unwrap();
            assert_eq!(s.kind(), kind);
            assert_eq!(s.max_time_lost(), 30);
            let mut t = s.build();
            let dets = [[10.0, 10.0, 60.0, 110.0, 0.9, 0.0]];
            let out = t.core_mut().update(&dets, &FrameExtras::default());
            assert_eq!(out.len(), 1, "{kind:?}");
            assert_eq!(out[0][4], 1.0);
            assert_eq!(t.core().frame_id(), 1);
        }
    }

    #[test]
    fn typed_values_reach_the_configs() {
        let s = TrackerSettings::from_source(&shipped("botsort")).unwrap();
        let TrackerSettings::BotSort(c, gate) = s else {
            panic!("{s:?}")
        };
        assert_eq!(c.track_high_thresh, 0.25f32);
        assert_eq!(c.match_thresh, 0.8);
        assert!(c.fuse_score && gate.is_none() && c.kind == KalmanKind::Xywh);
        let src = with(shipped("botsort"), "with_reid", Setting::Bool(true));
        let TrackerSettings::BotSort(_, Some(g)) = TrackerSettings::from_source(&src).unwrap()
        else {
            panic!("no gate")
        };
        assert_eq!((g.proximity_thresh, g.appearance_thresh), (0.5, 0.8));

        let src = with(shipped("deepocsort"), "with_reid", Setting::Bool(true));
        let TrackerSettings::DeepOcSort(d) = TrackerSettings::from_source(&src).unwrap() else {
            panic!()
        };
        let a = d.appearance.unwrap();
        // det_thresh keeps the float64 of the YAML, the base threshold is its float32.
        assert_eq!(a.det_thresh, 0.3);
        assert_eq!(d.oc.base.track_high_thresh, 0.3f32);
        assert_eq!((d.oc.delta_t, d.oc.inertia, d.oc.use_byte), (3, 0.2, false));
        assert!(!d.gmc && d.oc.base.kind == KalmanKind::Xyah);
        let src = with(shipped("deepocsort"), "gmc_method", Setting::Null);
        let TrackerSettings::DeepOcSort(d) = TrackerSettings::from_source(&src).unwrap() else {
            panic!()
        };
        assert!(!d.gmc);
        let src = with(
            shipped("deepocsort"),
            "gmc_method",
            Setting::Text("orb".into()),
        );
        let TrackerSettings::DeepOcSort(d) = TrackerSettings::from_source(&src).unwrap() else {
            panic!()
        };
        assert!(d.gmc);

        let TrackerSettings::FastTrack(_, fc) =
            TrackerSettings::from_source(&shipped("fasttrack")).unwrap()
        else {
            panic!()
        };
        assert_eq!(fc.reset_velocity_offset_occ, 5);
        assert_eq!(fc.occ_reappear_window, 40);
        assert_eq!(fc.enlarge_bbox_occ, 1.1);

        let TrackerSettings::TrackTrack(tc) =
            TrackerSettings::from_source(&shipped("tracktrack")).unwrap()
        else {
            panic!()
        };
        assert_eq!(
            (tc.min_track_len, tc.tai_thr, tc.with_reid),
            (3, 0.55, false)
        );
    }

    #[test]
    fn max_time_lost_follows_the_frame_rate_except_for_tracktrack() {
        let src = with(shipped("bytetrack"), "frame_rate", Setting::Int(15));
        let src = with(src, "track_buffer", Setting::Int(60));
        assert_eq!(
            TrackerSettings::from_source(&src).unwrap().max_time_lost(),
            30
        );
        // int(25 / 30 * 30) is 25 in float64 (24.999... would truncate to 24).
        let src = with(shipped("ocsort"), "frame_rate", f(25.0));
        assert_eq!(
            TrackerSettings::from_source(&src).unwrap().max_time_lost(),
            25
        );
        let src = with(shipped("fasttrack"), "frame_rate", f(29.97));
        assert_eq!(
            TrackerSettings::from_source(&src).unwrap().max_time_lost(),
            29
        );
        let src = with(shipped("tracktrack"), "frame_rate", Setting::Int(10));
        let src = with(src, "track_buffer", Setting::Int(50));
        assert_eq!(
            TrackerSettings::from_source(&src).unwrap().max_time_lost(),
            50
        );
        for bad in [f(0.0), f(-1.0), f(f64::NAN), f(f64::INFINITY)] {
            let src = with(shipped("bytetrack"), "frame_rate", bad);
            let e = TrackerSettings::from_source(&src).unwrap_err().to_string();
            assert!(e.starts_with("frame_rate must be a positive number"), "{e}");
        }
    }

    #[test]
    fn missing_keys_and_wrong_types_name_the_key() {
        let mut src = shipped("fasttrack");
        src.remove("occ_reappear_window");
        let e = TrackerSettings::from_source(&src).unwrap_err();
        assert_eq!(e, SettingError::Missing("occ_reappear_window"));
        assert_eq!(
            e.to_string(),
            "missing tracker setting \"occ_reappear_window\""
        );
        let src = with(shipped("fasttrack"), "reset_pos_offset_occ", f(2.5));
        assert_eq!(
            TrackerSettings::from_source(&src).unwrap_err(),
            SettingError::WrongType {
                key: "reset_pos_offset_occ",
                expected: COUNT,
                got: "float".into()
            }
        );
        let src = with(
            shipped("bytetrack"),
            "track_low_thresh",
            Setting::Bool(true),
        );
        let e = TrackerSettings::from_source(&src).unwrap_err();
        assert_eq!(
            e.to_string(),
            "tracker setting \"track_low_thresh\" must be a number, got bool"
        );
        let src = with(shipped("ocsort"), "use_byte", Setting::Int(1));
        assert!(matches!(
            TrackerSettings::from_source(&src).unwrap_err(),
            SettingError::WrongType {
                key: "use_byte",
                ..
            }
        ));
        let src = with(
            shipped("bytetrack"),
            "fuse_score",
            Setting::Other("list".into()),
        );
        let e = TrackerSettings::from_source(&src).unwrap_err().to_string();
        assert_eq!(
            e,
            "tracker setting \"fuse_score\" must be true or false, got list"
        );
        let mut src = shipped("bytetrack");
        src.remove("tracker_type");
        assert_eq!(
            TrackerSettings::from_source(&src).unwrap_err(),
            SettingError::Missing("tracker_type")
        );
    }

    #[test]
    fn values_out_of_range_are_refused() {
        let cases: [(&str, &'static str, Setting, &str); 8] = [
            (
                "bytetrack",
                "match_thresh",
                f(1.5),
                "match_thresh must be a number in [0, 1]",
            ),
            (
                "bytetrack",
                "track_high_thresh",
                f(f64::NAN),
                "track_high_thresh must be",
            ),
            (
                "bytetrack",
                "track_buffer",
                Setting::Int(-1),
                "track_buffer must be an integer",
            ),
            (
                "ocsort",
                "delta_t",
                Setting::Int(1_000_001),
                "delta_t must be an integer",
            ),
            (
                "ocsort",
                "inertia",
                f(-0.1),
                "inertia must be a number in [0, 1]",
            ),
            (
                "fasttrack",
                "occ_cover_thresh",
                f(2.0),
                "occ_cover_thresh must be a number in",
            ),
            (
                "fasttrack",
                "enlarge_bbox_occ",
                f(0.0),
                "enlarge_bbox_occ must be a positive",
            ),
            (
                "tracktrack",
                "penalty_q",
                f(1.5),
                "penalty_q must be a number in [0, 1]",
            ),
        ];
        for (kind, key, v, msg) in cases {
            let e = TrackerSettings::from_source(&with(shipped(kind), key, v)).unwrap_err();
            assert!(matches!(e, SettingError::Invalid(_)), "{e:?}");
            assert!(e.to_string().starts_with(msg), "{kind} {key}: {e}");
        }
        let src = with(shipped("botsort"), "with_reid", Setting::Bool(true));
        let src = with(src, "appearance_thresh", f(1.01));
        let e = TrackerSettings::from_source(&src).unwrap_err().to_string();
        assert!(
            e.starts_with("appearance_thresh must be a number in [0, 1]"),
            "{e}"
        );
    }

    #[test]
    fn kinds_parse_by_name() {
        for k in TrackerKind::ALL {
            assert_eq!(TrackerKind::parse(k.name()).unwrap(), k);
        }
        let e = TrackerKind::parse("sort").unwrap_err().to_string();
        assert!(
            e.contains("\"sort\"") && e.contains("\"tracktrack\""),
            "{e}"
        );
        assert_eq!(TrackerKind::BotSort.filter(), KalmanKind::Xywh);
        assert_eq!(TrackerKind::DeepOcSort.filter(), KalmanKind::Xyah);
    }
}
