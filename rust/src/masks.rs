//! Instance-mask decoding: `coeffs @ protos`, bilinear upsampling with PyTorch semantics
//! (`align_corners=False`), binarisation `> 0` and the crop to the box, as Ultralytics'
//! `process_mask(..., upsample=True)` and `process_mask_native` do.
//!
//! Outside its box every pixel of a mask is zero, so each mask is computed only over its box
//! region (`MaskRoi`): exact, and far cheaper than upsampling the whole frame per object.

use std::collections::TryReserveError;

/// Up to four (source index, weight) taps of one output coordinate along one axis.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Taps {
    pub idx: [u32; 4],
    pub w: [f32; 4],
    pub n: u8,
}

impl Taps {
    fn push(&mut self, idx: u32, w: f32) {
        for k in 0..self.n as usize {
            if self.idx[k] == idx {
                self.w[k] += w;
                return;
            }
        }
        let k = self.n as usize;
        debug_assert!(k < 4);
        self.idx[k] = idx;
        self.w[k] = w;
        self.n += 1;
    }
    fn lo(&self) -> u32 {
        self.idx[..self.n as usize]
            .iter()
            .copied()
            .min()
            .unwrap_or(0)
    }
    fn hi(&self) -> u32 {
        self.idx[..self.n as usize]
            .iter()
            .copied()
            .max()
            .unwrap_or(0)
    }
}

/// PyTorch `upsample_bilinear2d` (CPU, align_corners=False) taps for one axis: `out_len` outputs
/// sampling `in_len` inputs with `scale` (= in/out, or 1/scale_factor when one is given).
pub fn bilinear_taps(in_len: usize, out_len: usize, scale: f32) -> Vec<Taps> {
    (0..out_len)
        .map(|i| {
            let mut src = scale * (i as f32 + 0.5) - 0.5;
            if src < 0.0 {
                src = 0.0;
            }
            let i0 = (src.floor() as usize).min(in_len - 1);
            let lambda = (src - i0 as f32).clamp(0.0, 1.0);
            let i1 = if i0 < in_len - 1 { i0 + 1 } else { i0 };
            let mut t = Taps::default();
            t.push(i0 as u32, 1.0 - lambda);
            if i1 != i0 {
                t.push(i1 as u32, lambda);
            } else {
                t.w[0] = 1.0; // both weights land on the last input
            }
            t
        })
        .collect()
}

/// Compose `outer` (sampling an intermediate axis) with `inner` (intermediate -> source), where
/// the intermediate axis is offset by `offset` (a crop).
pub fn compose_taps(outer: &[Taps], inner: &[Taps], offset: usize) -> Vec<Taps> {
    outer
        .iter()
        .map(|o| {
            let mut t = Taps::default();
            for a in 0..o.n as usize {
                let mid = &inner[o.idx[a] as usize + offset];
                for b in 0..mid.n as usize {
                    t.push(mid.idx[b], o.w[a] * mid.w[b]);
                }
            }
            t
        })
        .collect()
}

/// A mask restricted to its box region: `h x w` bytes (0/1) whose top-left pixel is `(x0, y0)`
/// of the full mask.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct MaskRoi {
    pub x0: usize,
    pub y0: usize,
    pub w: usize,
    pub h: usize,
    pub data: Vec<u8>,
}

impl MaskRoi {
    pub fn is_empty(&self) -> bool {
        !self.data.iter().any(|&v| v != 0)
    }
}

/// The prototypes of one image: `nm x mh x mw`, row-major.
#[derive(Clone, Copy, Debug)]
pub struct Protos<'a> {
    pub data: &'a [f32],
    pub nm: usize,
    pub mh: usize,
    pub mw: usize,
}

/// Pixel range `[lo, hi)` of `0..len` with `a <= p < b` for float bounds (the original's crop).
pub fn crop_range(a: f32, b: f32, len: usize) -> (usize, usize) {
    let lo = if a.is_nan() || a <= 0.0 {
        0.0
    } else {
        a.ceil().min(len as f32)
    };
    let hi = if b.is_nan() || b <= 0.0 {
        0.0
    } else {
        b.ceil().min(len as f32)
    };
    let lo = lo as usize;
    let hi = (hi as usize).max(lo);
    (lo, hi)
}

/// Zero every pixel of one `h x w` row-major mask outside `xyxy` (mask pixels): the half-open crop
/// `x1 <= c < x2`, `y1 <= r < y2` of [`crop_range`] (validation's masks, as predict's).
pub fn crop_mask(mask: &mut [u8], h: usize, w: usize, xyxy: [f32; 4]) {
    let (c0, c1) = crop_range(xyxy[0], xyxy[2], w);
    let (r0, r1) = crop_range(xyxy[1], xyxy[3], h);
    for (r, row) in mask.chunks_mut(w.max(1)).take(h).enumerate() {
        if r < r0 || r >= r1 {
            row.fill(0);
        } else {
            row[..c0].fill(0);
            row[c1..].fill(0);
        }
    }
}

/// `n` default values, or the allocation failure (never an abort) when memory can't hold them.
fn zeroed<T: Clone + Default>(n: usize) -> Result<Vec<T>, TryReserveError> {
    let mut v = Vec::new();
    v.try_reserve_exact(n)?;
    v.resize(n, T::default());
    Ok(v)
}

/// Decode one mask over its box: `coeffs` (nm), `ytaps`/`xtaps` map each output row/column of the
/// full mask to prototype rows/columns, `xyxy` is the crop box in output pixels. `Err` when the
/// region's buffers can't be allocated (absurd sizes): the caller reports it, the process lives on.
pub fn decode_roi(
    coeffs: &[f32],
    protos: &Protos,
    ytaps: &[Taps],
    xtaps: &[Taps],
    xyxy: [f32; 4],
) -> Result<MaskRoi, TryReserveError> {
    let (c0, c1) = crop_range(xyxy[0], xyxy[2], xtaps.len());
    let (r0, r1) = crop_range(xyxy[1], xyxy[3], ytaps.len());
    let (w, h) = (c1 - c0, r1 - r0);
    let mut roi = MaskRoi {
        x0: c0,
        y0: r0,
        w,
        h,
        data: zeroed(w * h)?,
    };
    if w == 0 || h == 0 {
        return Ok(roi);
    }
    // Prototype sub-grid the region needs.
    let pc0 = xtaps[c0..c1].iter().map(Taps::lo).min().unwrap_or(0) as usize;
    let pc1 = xtaps[c0..c1].iter().map(Taps::hi).max().unwrap_or(0) as usize + 1;
    let pr0 = ytaps[r0..r1].iter().map(Taps::lo).min().unwrap_or(0) as usize;
    let pr1 = ytaps[r0..r1].iter().map(Taps::hi).max().unwrap_or(0) as usize + 1;
    let (pw, ph) = (pc1 - pc0, pr1 - pr0);
    // Logits on the sub-grid: sum_k coeff[k] * protos[k].
    let plane = protos.mh * protos.mw;
    let mut logits: Vec<f32> = zeroed(pw * ph)?;
    for (k, &ck) in coeffs.iter().enumerate().take(protos.nm) {
        let p = &protos.data[k * plane..(k + 1) * plane];
        for r in 0..ph {
            let src = &p[(pr0 + r) * protos.mw + pc0..(pr0 + r) * protos.mw + pc1];
            let dst = &mut logits[r * pw..(r + 1) * pw];
            for (d, &s) in dst.iter_mut().zip(src) {
                *d += ck * s;
            }
        }
    }
    // Horizontal pass for every needed prototype row, then vertical pass and threshold.
    let mut horiz: Vec<f32> = zeroed(ph * w)?;
    for r in 0..ph {
        let lrow = &logits[r * pw..(r + 1) * pw];
        let hrow = &mut horiz[r * w..(r + 1) * w];
        for (c, out) in hrow.iter_mut().enumerate() {
            let t = &xtaps[c0 + c];
            let mut v = 0f32;
            for k in 0..t.n as usize {
                v += t.w[k] * lrow[t.idx[k] as usize - pc0];
            }
            *out = v;
        }
    }
    for r in 0..h {
        let t = &ytaps[r0 + r];
        let out = &mut roi.data[r * w..(r + 1) * w];
        for (c, o) in out.iter_mut().enumerate() {
            let mut v = 0f32;
            for k in 0..t.n as usize {
                v += t.w[k] * horiz[(t.idx[k] as usize - pr0) * w + c];
            }
            *o = (v > 0.0) as u8;
        }
    }
    Ok(roi)
}

/// Taps for the default path: prototypes upsampled to the network input size `(in_h, in_w)`.
pub fn input_taps(mh: usize, mw: usize, in_h: usize, in_w: usize) -> (Vec<Taps>, Vec<Taps>) {
    (
        bilinear_taps(mh, in_h, mh as f32 / in_h as f32),
        bilinear_taps(mw, in_w, mw as f32 / in_w as f32),
    )
}

fn round_even(x: f64) -> f64 {
    x.round_ties_even()
}

/// Taps for `retina_masks=True` (Ultralytics `process_mask_native`): prototypes upsampled by the
/// smallest factor `f` that lands the letterbox padding on whole pixels, padding cropped, then
/// upsampled to the original image size `(h0, w0)`.
pub fn native_taps(mh: usize, mw: usize, h0: usize, w0: usize) -> (Vec<Taps>, Vec<Taps>) {
    let (mhf, mwf, h0f, w0f) = (mh as f64, mw as f64, h0 as f64, w0 as f64);
    let gain = (4.0 * mhf / h0f).min(4.0 * mwf / w0f);
    let ph = 4 * mh as i64 - (round_even(h0f * gain) as i64).max(1);
    let pw = 4 * mw as i64 - (round_even(w0f * gain) as i64).max(1);
    let pad = ph | pw;
    let g = gcd(4, pad | (pad / 2));
    let f = (4 / g.max(1)) as usize;
    let (ih, iw) = (mh * f, mw * f);
    let inner_y = bilinear_taps(mh, ih, 1.0 / f as f32);
    let inner_x = bilinear_taps(mw, iw, 1.0 / f as f32);
    // scale_masks on the (ih, iw) intermediate.
    let gain2 = (ih as f64 / h0f).min(iw as f64 / w0f);
    let nh = (round_even(h0f * gain2) as usize).max(1);
    let nw = (round_even(w0f * gain2) as usize).max(1);
    let pad_h = (ih as f64 - nh as f64) / 2.0;
    let pad_w = (iw as f64 - nw as f64) / 2.0;
    let top = round_even(pad_h - 0.1).max(0.0) as usize;
    let left = round_even(pad_w - 0.1).max(0.0) as usize;
    let ch = nh.min(ih - top);
    let cw = nw.min(iw - left);
    let outer_y = bilinear_taps(ch, h0, ch as f32 / h0 as f32);
    let outer_x = bilinear_taps(cw, w0, cw as f32 / w0 as f32);
    (
        compose_taps(&outer_y, &inner_y, top),
        compose_taps(&outer_x, &inner_x, left),
    )
}

fn gcd(a: i64, b: i64) -> i64 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crop_mask_is_half_open_and_clamped() {
        let (h, w) = (4, 5);
        let mut m = vec![1u8; h * w];
        crop_mask(&mut m, h, w, [1.0, 0.5, 3.2, 9.0]);
        let rows: Vec<&[u8]> = m.chunks(w).collect();
        assert_eq!(rows[0], &[0, 0, 0, 0, 0]); // 0 < 0.5: outside
        for row in &rows[1..] {
            assert_eq!(*row, &[0, 1, 1, 1, 0]); // 1 <= c < ceil(3.2) = 4
        }
        let mut m = vec![1u8; h * w];
        crop_mask(&mut m, h, w, [f32::NAN, 1.0, 2.0, f32::NAN]);
        assert!(m.iter().all(|&v| v == 0));
    }

    #[test]
    fn taps_match_pytorch_upsample_by_four() {
        // torch: F.interpolate(x, scale 4) on 3 inputs -> source index 4*? pattern.
        let t = bilinear_taps(3, 12, 0.25);
        // i=0: src = 0.125-0.5 <0 -> 0 => all weight on 0.
        assert_eq!(t[0].idx[0], 0);
        assert!((t[0].w[0] - 1.0).abs() < 1e-6);
        // i=2: src = 0.625-0.5 = 0.125 -> 0.875*x0 + 0.125*x1.
        assert_eq!((t[2].idx[0], t[2].idx[1]), (0, 1));
        assert!((t[2].w[1] - 0.125).abs() < 1e-6);
        // last: src = 2.875-0.5 = 2.375 -> clamps to index 2 only.
        assert_eq!(t[11].n, 1);
        assert_eq!(t[11].idx[0], 2);
        assert!((t[11].w[0] - 1.0).abs() < 1e-6);
    }

    #[test]
    fn crop_is_half_open_on_float_box() {
        assert_eq!(crop_range(1.2, 4.0, 10), (2, 4));
        assert_eq!(crop_range(-3.0, 4.5, 10), (0, 5));
        assert_eq!(crop_range(2.0, 20.0, 10), (2, 10));
        assert_eq!(crop_range(5.0, 3.0, 10), (5, 5));
        assert_eq!(crop_range(f32::NAN, f32::NAN, 10), (0, 0));
    }

    fn full_decode(coeffs: &[f32], p: &Protos, yt: &[Taps], xt: &[Taps]) -> Vec<f32> {
        // Reference: whole-frame logits, upsampled, no crop.
        let (h, w) = (yt.len(), xt.len());
        let mut out = vec![0f32; h * w];
        for r in 0..h {
            for c in 0..w {
                let mut v = 0f32;
                for a in 0..yt[r].n as usize {
                    for b in 0..xt[c].n as usize {
                        let (pr, pc) = (yt[r].idx[a] as usize, xt[c].idx[b] as usize);
                        let mut l = 0f32;
                        for (k, ck) in coeffs.iter().enumerate().take(p.nm) {
                            l += ck * p.data[k * p.mh * p.mw + pr * p.mw + pc];
                        }
                        v += yt[r].w[a] * xt[c].w[b] * l;
                    }
                }
                out[r * w + c] = v;
            }
        }
        out
    }

    #[test]
    fn roi_equals_full_decode_inside_box() {
        let (nm, mh, mw) = (3, 6, 8);
        let data: Vec<f32> = (0..nm * mh * mw)
            .map(|i| ((i * 37 % 17) as f32 - 8.0) / 5.0)
            .collect();
        let p = Protos {
            data: &data,
            nm,
            mh,
            mw,
        };
        let coeffs = [0.7, -1.1, 0.4];
        let (yt, xt) = input_taps(mh, mw, 24, 32);
        let full = full_decode(&coeffs, &p, &yt, &xt);
        let roi = decode_roi(&coeffs, &p, &yt, &xt, [3.5, 2.0, 20.2, 17.9]).unwrap();
        assert_eq!((roi.x0, roi.y0, roi.w, roi.h), (4, 2, 17, 16));
        for r in 0..roi.h {
            for c in 0..roi.w {
                let v = full[(r + roi.y0) * 32 + c + roi.x0];
                // exact up to summation order: compare away from the zero crossing
                if v.abs() > 1e-4 {
                    assert_eq!(roi.data[r * roi.w + c], (v > 0.0) as u8, "at {r},{c}");
                }
            }
        }
    }

    #[test]
    fn empty_box_gives_empty_roi() {
        let data = vec![1f32; 2 * 4 * 4];
        let p = Protos {
            data: &data,
            nm: 2,
            mh: 4,
            mw: 4,
        };
        let (yt, xt) = input_taps(4, 4, 16, 16);
        let roi = decode_roi(&[1.0, 1.0], &p, &yt, &xt, [5.0, 5.0, 5.0, 9.0]).unwrap();
        assert!(roi.is_empty());
        assert_eq!(roi.w, 0);
    }

    #[test]
    fn native_taps_weights_sum_to_one() {
        let (yt, xt) = native_taps(120, 160, 360, 640);
        assert_eq!((yt.len(), xt.len()), (360, 640));
        for t in yt.iter().chain(xt.iter()) {
            let s: f32 = t.w[..t.n as usize].iter().sum();
            assert!((s - 1.0).abs() < 1e-5);
        }
    }
}
