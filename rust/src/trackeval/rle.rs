//! COCO run-length encoded masks as pycocotools stores them (`maskApi.c`): column-major runs starting with a run of
//! zeros, the compressed `counts` string (`rleFrString` / `rleToString`), area, union, and the IoU / IoA matrix of
//! `mask.iou` (`rleIou`: `intersection / union` in float64 from integer counts, 0 when they do not intersect).

/// One mask: `h x w`, alternating runs of 0s and 1s in column-major order (the first run counts 0s).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Rle {
    pub h: u32,
    pub w: u32,
    pub counts: Vec<u32>,
}

/// A `counts` string that is not COCO's compressed RLE.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RleError(pub String);

impl Rle {
    /// pycocotools `rleFrString`: the compressed `counts` string of an `h x w` mask. The runs must cover the mask.
    pub fn from_string(s: &str, h: u32, w: u32) -> Result<Self, RleError> {
        let b = s.as_bytes();
        let mut counts: Vec<u32> = Vec::with_capacity(b.len());
        let mut p = 0;
        while p < b.len() {
            let mut x: i64 = 0;
            let mut k = 0;
            loop {
                let c = i64::from(b[p]) - 48;
                if !(0..64).contains(&c) || k > 12 {
                    return Err(RleError(format!(
                        "invalid RLE character {:?}",
                        b[p] as char
                    )));
                }
                x |= (c & 0x1f) << (5 * k);
                let more = c & 0x20 != 0;
                p += 1;
                k += 1;
                if !more {
                    if c & 0x10 != 0 {
                        x |= -1i64 << (5 * k);
                    }
                    break;
                }
                if p >= b.len() {
                    return Err(RleError("RLE string ends inside a number".into()));
                }
            }
            let m = counts.len();
            if m > 2 {
                x += i64::from(counts[m - 2]);
            }
            if !(0..=i64::from(u32::MAX)).contains(&x) {
                return Err(RleError(format!("RLE run {x} out of range")));
            }
            counts.push(x as u32);
        }
        let total: u64 = counts.iter().map(|&c| u64::from(c)).sum();
        if total != u64::from(h) * u64::from(w) {
            return Err(RleError(format!(
                "RLE runs cover {total} pixels, the mask has {h} x {w} = {}",
                u64::from(h) * u64::from(w)
            )));
        }
        Ok(Self { h, w, counts })
    }

    /// pycocotools `rleToString`.
    pub fn to_coco_string(&self) -> String {
        let mut s = String::with_capacity(self.counts.len() * 2);
        for (i, &c) in self.counts.iter().enumerate() {
            let mut x = i64::from(c);
            if i > 2 {
                x -= i64::from(self.counts[i - 2]);
            }
            loop {
                let mut ch = (x & 0x1f) as u8;
                x >>= 5;
                let more = if ch & 0x10 != 0 { x != -1 } else { x != 0 };
                if more {
                    ch |= 0x20;
                }
                s.push((ch + 48) as char);
                if !more {
                    break;
                }
            }
        }
        s
    }

    /// pycocotools `rleEncode` of a column-major (Fortran order) `h x w` mask (nonzero = set).
    pub fn encode_column_major(mask: &[u8], h: u32, w: u32) -> Self {
        let mut counts = Vec::new();
        let mut prev = 0u8;
        let mut run = 0u32;
        for &v in mask {
            let v = u8::from(v != 0);
            if v != prev {
                counts.push(run);
                run = 0;
                prev = v;
            }
            run += 1;
        }
        counts.push(run);
        Self { h, w, counts }
    }

    /// The same, of a row-major (C order) `h x w` mask.
    pub fn encode_row_major(mask: &[u8], h: u32, w: u32) -> Self {
        let (hu, wu) = (h as usize, w as usize);
        let mut col = vec![0u8; hu * wu];
        for y in 0..hu {
            for x in 0..wu {
                col[x * hu + y] = mask[y * wu + x];
            }
        }
        Self::encode_column_major(&col, h, w)
    }

    /// Number of set pixels (`rleArea`).
    pub fn area(&self) -> u64 {
        self.counts
            .iter()
            .skip(1)
            .step_by(2)
            .map(|&c| u64::from(c))
            .sum()
    }

    /// `[x0, y0, x1, y1)` pixel bounds of the set pixels (column-major runs), `None` when empty.
    fn bounds(&self) -> Option<[u64; 4]> {
        let h = u64::from(self.h);
        if h == 0 {
            return None;
        }
        let (mut x0, mut y0, mut x1, mut y1) = (u64::MAX, u64::MAX, 0, 0);
        let mut pos = 0u64;
        for (i, &c) in self.counts.iter().enumerate() {
            let c = u64::from(c);
            if i % 2 == 1 && c > 0 {
                let (s, e) = (pos, pos + c - 1);
                let (xs, xe) = (s / h, e / h);
                x0 = x0.min(xs);
                x1 = x1.max(xe + 1);
                if xs == xe {
                    y0 = y0.min(s % h);
                    y1 = y1.max(e % h + 1);
                } else {
                    y0 = 0;
                    y1 = h;
                }
            }
            pos += c;
        }
        (x1 > 0).then_some([x0, y0, x1, y1])
    }
}

/// Walks two masks' runs together: `(intersection, union)` pixel counts.
fn inter_union(a: &Rle, b: &Rle) -> (u64, u64) {
    let (mut ia, mut ib) = (0usize, 0usize);
    let (mut ca, mut cb) = (
        a.counts.first().copied().unwrap_or(0),
        b.counts.first().copied().unwrap_or(0),
    );
    let (mut va, mut vb) = (false, false);
    let (mut inter, mut union) = (0u64, 0u64);
    loop {
        while ca == 0 && ia + 1 < a.counts.len() {
            ia += 1;
            ca = a.counts[ia];
            va = !va;
        }
        while cb == 0 && ib + 1 < b.counts.len() {
            ib += 1;
            cb = b.counts[ib];
            vb = !vb;
        }
        if ca == 0 || cb == 0 {
            break;
        }
        let c = ca.min(cb);
        if va || vb {
            union += u64::from(c);
            if va && vb {
                inter += u64::from(c);
            }
        }
        ca -= c;
        cb -= c;
    }
    (inter, union)
}

/// The union of masks of one size (`mask.merge(..., intersect=False)`); `None` for an empty list.
pub fn union_all(masks: &[&Rle]) -> Option<Rle> {
    let first = masks.first()?;
    let (h, w) = (first.h as usize, first.w as usize);
    let mut bits = vec![0u8; h * w];
    for m in masks {
        let mut pos = 0usize;
        for (i, &c) in m.counts.iter().enumerate() {
            let c = c as usize;
            if i % 2 == 1 {
                bits[pos..(pos + c).min(h * w)].fill(1);
            }
            pos += c;
        }
    }
    Some(Rle::encode_column_major(&bits, first.h, first.w))
}

/// `mask.iou(a, b, [crowd] * len(b))` as an `(a.len(), b.len())` row-major matrix: `i / u` with `u` the union, or the
/// area of `a[i]` when `crowd` (intersection over area); 0 when they do not intersect. Masks of different sizes are an
/// error (pycocotools gives -1, which TrackEval refuses).
pub fn iou_matrix(a: &[&Rle], b: &[&Rle], crowd: bool) -> Result<Vec<f64>, RleError> {
    let ba: Vec<Option<[u64; 4]>> = a.iter().map(|m| m.bounds()).collect();
    let bb: Vec<Option<[u64; 4]>> = b.iter().map(|m| m.bounds()).collect();
    let mut out = vec![0.0; a.len() * b.len()];
    for (i, ma) in a.iter().enumerate() {
        for (j, mb) in b.iter().enumerate() {
            if (ma.h, ma.w) != (mb.h, mb.w) {
                return Err(RleError(format!(
                    "masks of different sizes: {} x {} and {} x {}",
                    ma.h, ma.w, mb.h, mb.w
                )));
            }
            let (Some(p), Some(q)) = (ba[i], bb[j]) else {
                continue;
            };
            if p[0] >= q[2] || q[0] >= p[2] || p[1] >= q[3] || q[1] >= p[3] {
                continue;
            }
            let (inter, union) = inter_union(ma, mb);
            if inter > 0 {
                let u = if crowd { ma.area() } else { union };
                out[i * b.len() + j] = inter as f64 / u as f64;
            }
        }
    }
    Ok(out)
}

/// Whether two masks share a pixel.
pub fn overlaps(a: &Rle, b: &Rle) -> bool {
    (a.h, a.w) == (b.h, b.w) && inter_union(a, b).0 > 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_round_trip_and_pycocotools_values() {
        // pycocotools 2.0: encode of a 4x4 mask with a 2x2 block at rows 1-2, cols 1-2 is b'52203'
        let mut m = vec![0u8; 16];
        for y in 1..3 {
            for x in 1..3 {
                m[y * 4 + x] = 1;
            }
        }
        let r = Rle::encode_row_major(&m, 4, 4);
        assert_eq!(r.counts, vec![5, 2, 2, 2, 5]);
        let s = r.to_coco_string();
        assert_eq!(s, "52203");
        assert_eq!(Rle::from_string(&s, 4, 4).unwrap(), r);
        assert_eq!(r.area(), 4);
        assert_eq!(r.bounds(), Some([1, 1, 3, 3]));
        // large runs and negative deltas survive the round trip
        let big = Rle {
            h: 1000,
            w: 1000,
            counts: vec![0, 500_000, 10, 499_990],
        };
        assert_eq!(
            Rle::from_string(&big.to_coco_string(), 1000, 1000).unwrap(),
            big
        );
    }

    #[test]
    fn iou_and_ioa() {
        let a = Rle {
            h: 1,
            w: 10,
            counts: vec![0, 4, 6],
        };
        let b = Rle {
            h: 1,
            w: 10,
            counts: vec![2, 4, 4],
        };
        let m = iou_matrix(&[&a], &[&b], false).unwrap();
        assert_eq!(m, vec![2.0 / 6.0]);
        let ioa = iou_matrix(&[&a], &[&b], true).unwrap();
        assert_eq!(ioa, vec![0.5]);
        assert!(overlaps(&a, &b));
        let u = union_all(&[&a, &b]).unwrap();
        assert_eq!(u.counts, vec![0, 6, 4]);
    }

    #[test]
    fn bad_strings() {
        assert!(Rle::from_string("5112O1", 3, 3).is_err()); // wrong pixel total
        assert!(Rle::from_string("\u{7f}", 1, 1).is_err());
    }
}
