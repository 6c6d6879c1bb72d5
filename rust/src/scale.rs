//! Letterbox geometry, as Ultralytics: `LetterBox` (resize keeping the aspect ratio, centred
//! padding) and `scale_boxes` / `scale_coords` (gain from the rounded letterbox size, pads
//! `round(pad - 0.1)`). The rounding rule is written once here ([`resized_len`], [`split_pad`]);
//! [`Letterbox`] plans the network input, [`Geometry`] maps input pixels back to the original.

use std::fmt;

/// `max(round(len * gain), 1)`, with Python's `round` (ties to even).
pub fn resized_len(len: usize, gain: f64) -> usize {
    ((len as f64 * gain).round_ties_even() as usize).max(1)
}

/// Padding `d` (pixels, may be odd) split around the image as the original does:
/// `(round(d / 2 - 0.1), round(d / 2 + 0.1))` with Python's `round` (ties to even).
pub fn split_pad(d: f64) -> (f64, f64) {
    let half = d / 2.0;
    (
        (half - 0.1).round_ties_even(),
        (half + 0.1).round_ties_even(),
    )
}

/// A zero-sized image or target, or a zero stride.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShapeError {
    /// `name` has a zero side.
    Empty {
        name: &'static str,
        hw: (usize, usize),
    },
    /// `auto` letterbox with stride 0.
    ZeroStride,
}

impl fmt::Display for ShapeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ShapeError::Empty { name, hw } => write!(f, "{name} must be positive, got {hw:?}"),
            ShapeError::ZeroStride => f.write_str("stride must be positive"),
        }
    }
}

impl std::error::Error for ShapeError {}

/// `Err` when `hw` has a zero side.
pub fn check_hw(name: &'static str, hw: (usize, usize)) -> Result<(), ShapeError> {
    if hw.0 == 0 || hw.1 == 0 {
        return Err(ShapeError::Empty { name, hw });
    }
    Ok(())
}

/// The letterbox of one frame (Ultralytics `LetterBox(new_shape, auto, stride=stride)`): resize
/// the `(h0, w0)` image to `(new_h, new_w)`, then pad `top`/`bottom`/`left`/`right` pixels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Letterbox {
    pub new_h: usize,
    pub new_w: usize,
    pub top: usize,
    pub bottom: usize,
    pub left: usize,
    pub right: usize,
}

impl Letterbox {
    /// Plan the letterbox of an `orig_hw` image into a `target_hw` input; with `auto` the padding
    /// is only what makes each side a multiple of `stride` (a minimal rectangle).
    pub fn new(
        orig_hw: (usize, usize),
        target_hw: (usize, usize),
        auto: bool,
        stride: usize,
    ) -> Result<Self, ShapeError> {
        check_hw("orig_hw", orig_hw)?;
        check_hw("new_shape", target_hw)?;
        if auto && stride == 0 {
            return Err(ShapeError::ZeroStride);
        }
        let (h0, w0) = orig_hw;
        let (th, tw) = target_hw;
        let r = (th as f64 / h0 as f64).min(tw as f64 / w0 as f64);
        let (new_h, new_w) = (resized_len(h0, r), resized_len(w0, r));
        // `new <= target` (r is the smaller ratio), so the padding is never negative.
        let (mut dh, mut dw) = (th.saturating_sub(new_h), tw.saturating_sub(new_w));
        if auto {
            (dh, dw) = (dh % stride, dw % stride);
        }
        let (top, bottom) = split_pad(dh as f64);
        let (left, right) = split_pad(dw as f64);
        Ok(Letterbox {
            new_h,
            new_w,
            top: top as usize,
            bottom: bottom as usize,
            left: left as usize,
            right: right as usize,
        })
    }

    /// The network input size `(h, w)`: the resized image plus its padding.
    pub fn input_hw(&self) -> (usize, usize) {
        (
            self.new_h + self.top + self.bottom,
            self.new_w + self.left + self.right,
        )
    }
}

/// `clip_boxes`: `x` into `[0, w]`, `y` into `[0, h]` (NaN stays NaN, as numpy's `clip`).
pub fn clip_xyxy(b: [f32; 4], w: f32, h: f32) -> [f32; 4] {
    [
        b[0].clamp(0.0, w),
        b[1].clamp(0.0, h),
        b[2].clamp(0.0, w),
        b[3].clamp(0.0, h),
    ]
}

/// Gains and pads that take input-space coordinates to the original image.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Geometry {
    pub gain_x: f32,
    pub gain_y: f32,
    pub pad_x: f32,
    pub pad_y: f32,
    /// Original image size, for clipping.
    pub w0: f32,
    pub h0: f32,
}

impl Geometry {
    /// From the input size `(h1, w1)` and the original size `(h0, w0)`, as `scale_boxes` without
    /// `ratio_pad`: the gain and the letterbox size are recomputed from the two shapes.
    pub fn new(h1: usize, w1: usize, h0: usize, w0: usize) -> Self {
        let (h1f, w1f, h0f, w0f) = (h1 as f64, w1 as f64, h0 as f64, w0 as f64);
        let gain = (h1f / h0f).min(w1f / w0f);
        let new_h = resized_len(h0, gain) as f64;
        let new_w = resized_len(w0, gain) as f64;
        Self {
            gain_x: (new_w / w0f) as f32,
            gain_y: (new_h / h0f) as f32,
            pad_x: split_pad(w1f - new_w).0 as f32,
            pad_y: split_pad(h1f - new_h).0 as f32,
            w0: w0 as f32,
            h0: h0 as f32,
        }
    }

    /// The identity mapping for an image of size `(h0, w0)` (retina masks are already there).
    pub fn identity(h0: usize, w0: usize) -> Self {
        Self {
            gain_x: 1.0,
            gain_y: 1.0,
            pad_x: 0.0,
            pad_y: 0.0,
            w0: w0 as f32,
            h0: h0 as f32,
        }
    }

    /// `scale_boxes` then `clip_boxes`.
    pub fn box_to_original(&self, b: [f32; 4]) -> [f32; 4] {
        clip_xyxy(
            [
                (b[0] - self.pad_x) / self.gain_x,
                (b[1] - self.pad_y) / self.gain_y,
                (b[2] - self.pad_x) / self.gain_x,
                (b[3] - self.pad_y) / self.gain_y,
            ],
            self.w0,
            self.h0,
        )
    }

    /// `scale_coords` then `clip_coords` for one point.
    pub fn point_to_original(&self, x: f32, y: f32) -> [f32; 2] {
        [
            ((x - self.pad_x) / self.gain_x).clamp(0.0, self.w0),
            ((y - self.pad_y) / self.gain_y).clamp(0.0, self.h0),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bus_dynamic_letterbox() {
        // 810x1080 (w x h) image in a 480x640 input: gain 640/1080, no padding.
        let g = Geometry::new(640, 480, 1080, 810);
        assert_eq!((g.pad_x, g.pad_y), (0.0, 0.0));
        let b = g.box_to_original([0.0, 0.0, 480.0, 640.0]);
        assert!((b[2] - 810.0).abs() < 1e-3 && (b[3] - 1080.0).abs() < 1e-3);
    }

    #[test]
    fn static_letterbox_pads_and_clips() {
        // 640x360 frame in a 640x640 input: 360 rows, pad 140 top.
        let g = Geometry::new(640, 640, 360, 640);
        assert_eq!((g.pad_x, g.pad_y), (0.0, 140.0));
        assert_eq!(g.point_to_original(10.0, 150.0), [10.0, 10.0]);
        assert_eq!(g.point_to_original(-5.0, 100.0), [0.0, 0.0]);
        assert_eq!(
            g.box_to_original([0.0, 130.0, 700.0, 600.0]),
            [0.0, 0.0, 640.0, 360.0]
        );
    }
    #[test]
    fn letterbox_static_and_auto() {
        // 810x1080 (w x h) bus in 640: minimal rectangle 480x640 with `auto`, padded 640x640 without.
        let lb = Letterbox::new((1080, 810), (640, 640), true, 32).unwrap();
        assert_eq!((lb.new_h, lb.new_w), (640, 480));
        assert_eq!((lb.top, lb.bottom, lb.left, lb.right), (0, 0, 0, 0));
        assert_eq!(lb.input_hw(), (640, 480));
        let lb = Letterbox::new((1080, 810), (640, 640), false, 32).unwrap();
        assert_eq!((lb.top, lb.bottom, lb.left, lb.right), (0, 0, 80, 80));
        assert_eq!(lb.input_hw(), (640, 640));
        let lb = Letterbox::new((360, 640), (640, 640), false, 32).unwrap();
        assert_eq!((lb.top, lb.bottom, lb.left, lb.right), (140, 140, 0, 0));
    }

    #[test]
    fn letterbox_odd_padding_goes_after() {
        // 97 rows * 0.32 = 31.04 -> 31; 33 rows of padding: round(16.4), round(16.6).
        let lb = Letterbox::new((97, 200), (64, 64), false, 32).unwrap();
        assert_eq!((lb.new_h, lb.new_w), (31, 64));
        assert_eq!((lb.top, lb.bottom), (16, 17));
        assert_eq!(lb.input_hw(), (64, 64));
        // With `auto` only 33 % 32 = 1 row is padded: round(0.4), round(0.6).
        let lb = Letterbox::new((97, 200), (64, 64), true, 32).unwrap();
        assert_eq!((lb.top, lb.bottom, lb.left, lb.right), (0, 1, 0, 0));
        assert_eq!(lb.input_hw(), (32, 64));
    }

    #[test]
    fn letterbox_rounds_ties_to_even() {
        // 3 * 0.5 = 1.5 -> 2 and 7 * 0.5 = 3.5 -> 4 (Python's round), 5 * 0.5 = 2.5 -> 2.
        assert_eq!(
            Letterbox::new((3, 10), (10, 5), false, 32).unwrap().new_h,
            2
        );
        assert_eq!(
            Letterbox::new((7, 10), (10, 5), false, 32).unwrap().new_h,
            4
        );
        let lb = Letterbox::new((5, 10), (5, 5), false, 32).unwrap();
        assert_eq!((lb.new_h, lb.new_w), (2, 5));
        assert_eq!((lb.top, lb.bottom), (1, 2));
        assert_eq!(resized_len(5, 0.5), 2);
        assert_eq!(split_pad(3.0), (1.0, 2.0));
        assert_eq!(split_pad(0.0), (0.0, 0.0));
        // A side never shrinks to nothing.
        assert_eq!(
            Letterbox::new((1, 1000), (64, 64), false, 32)
                .unwrap()
                .new_h,
            1
        );
    }

    #[test]
    fn letterbox_rejects_empty_shapes() {
        assert_eq!(
            Letterbox::new((0, 10), (64, 64), false, 32),
            Err(ShapeError::Empty {
                name: "orig_hw",
                hw: (0, 10)
            })
        );
        assert!(Letterbox::new((10, 10), (64, 0), false, 32).is_err());
        assert_eq!(
            Letterbox::new((10, 10), (64, 64), true, 0),
            Err(ShapeError::ZeroStride)
        );
        assert!(Letterbox::new((10, 10), (64, 64), false, 0).is_ok());
        assert_eq!(
            ShapeError::Empty {
                name: "input_hw",
                hw: (0, 640)
            }
            .to_string(),
            "input_hw must be positive, got (0, 640)"
        );
    }

    #[test]
    fn geometry_inverts_the_static_letterbox() {
        // Without `auto` the input is the target, and scale_boxes finds the letterbox's own pads.
        for h0 in (1..400).step_by(7) {
            for w0 in (1..400).step_by(11) {
                for (th, tw) in [(64, 64), (96, 160), (127, 33)] {
                    let lb = Letterbox::new((h0, w0), (th, tw), false, 32).unwrap();
                    assert_eq!(lb.input_hw(), (th, tw));
                    let g = Geometry::new(th, tw, h0, w0);
                    assert_eq!((g.pad_x, g.pad_y), (lb.left as f32, lb.top as f32));
                    assert_eq!(g.gain_x, (lb.new_w as f64 / w0 as f64) as f32);
                    assert_eq!(g.gain_y, (lb.new_h as f64 / h0 as f64) as f32);
                }
            }
        }
    }

    #[test]
    fn clip_keeps_nan() {
        let b = clip_xyxy([-1.0, f32::NAN, 20.0, 5.0], 10.0, 8.0);
        assert_eq!((b[0], b[2], b[3]), (0.0, 10.0, 5.0));
        assert!(b[1].is_nan());
    }
}
