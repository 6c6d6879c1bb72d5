//! Network input from a letterboxed frame: HWC BGR `u8` -> CHW RGB `f32` in `[0, 1]`, one pass.
//!
//! Divides by 255 (not a multiply by 1/255), as the original's `im.float().div_(255)`, so the
//! network sees bit-identical inputs.

/// Fill `out` (`3 * h * w`, planes R, G, B) from `bgr` (`h * w * 3`).
pub fn bgr_to_chw_rgb(bgr: &[u8], h: usize, w: usize, out: &mut [f32]) {
    let plane = h * w;
    assert!(
        bgr.len() >= plane * 3 && out.len() >= plane * 3,
        "buffer sizes do not match the image"
    );
    let (r, rest) = out.split_at_mut(plane);
    let (g, b) = rest.split_at_mut(plane);
    let lut: [f32; 256] = std::array::from_fn(|v| v as f32 / 255.0);
    for (i, px) in bgr[..plane * 3].chunks_exact(3).enumerate() {
        b[i] = lut[px[0] as usize];
        g[i] = lut[px[1] as usize];
        r[i] = lut[px[2] as usize];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn planes_are_rgb_and_divided() {
        let bgr = [0u8, 128, 255, 10, 20, 30];
        let mut out = [0f32; 6];
        bgr_to_chw_rgb(&bgr, 1, 2, &mut out);
        assert_eq!(
            out,
            [
                255.0 / 255.0,
                30.0 / 255.0,
                128.0 / 255.0,
                20.0 / 255.0,
                0.0,
                10.0 / 255.0
            ]
        );
    }
}
