//! Mapping between letterboxed network-input pixels and original-image pixels, as Ultralytics'
//! `scale_boxes` / `scale_coords` (gain from the rounded letterbox size, pads `round(pad - 0.1)`).

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
    /// From the input size `(h1, w1)` and the original size `(h0, w0)`.
    pub fn new(h1: usize, w1: usize, h0: usize, w0: usize) -> Self {
        let (h1f, w1f, h0f, w0f) = (h1 as f64, w1 as f64, h0 as f64, w0 as f64);
        let gain = (h1f / h0f).min(w1f / w0f);
        let new_h = (h0f * gain).round_ties_even().max(1.0);
        let new_w = (w0f * gain).round_ties_even().max(1.0);
        Self {
            gain_x: (new_w / w0f) as f32,
            gain_y: (new_h / h0f) as f32,
            pad_x: ((w1f - new_w) / 2.0 - 0.1).round_ties_even() as f32,
            pad_y: ((h1f - new_h) / 2.0 - 0.1).round_ties_even() as f32,
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
        [
            ((b[0] - self.pad_x) / self.gain_x).clamp(0.0, self.w0),
            ((b[1] - self.pad_y) / self.gain_y).clamp(0.0, self.h0),
            ((b[2] - self.pad_x) / self.gain_x).clamp(0.0, self.w0),
            ((b[3] - self.pad_y) / self.gain_y).clamp(0.0, self.h0),
        ]
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
}
