//! Mask -> polygon, as Ultralytics' `masks.xy` computes it.
//!
//! [`find_external_contours`] reproduces `cv2.findContours(mask, RETR_EXTERNAL,
//! CHAIN_APPROX_SIMPLE)` of OpenCV 4.9+/5.x (`contours_new.cpp`) point for point: the
//! Suzuki-Abe border following on a copy of the mask padded with one zero pixel (so pixels on
//! the image edge are borders), 8-connected foreground, the raster scan that only follows outer
//! borders whose last met border pixel on the row is not an outer-border pixel, the same start
//! pixel and search directions, the same pixel marks (2 = visited, 0x82 = visited with its right
//! neighbour examined as background), and CHAIN_APPROX_SIMPLE (a point is kept where the chain
//! direction changes). OpenCV returns the contours in reverse order of discovery (each new one
//! becomes the root's first child), and so do we.
//!
//! [`merge_segments`] is Ultralytics 8.4.190's `masks2segments(strategy="all")` step after
//! findContours: one contour is returned as is, several are joined by `merge_multi_segment`
//! (`ultralytics/data/converter.py`), ported operation for operation.
//!
//! Everything is linear in the mask size plus the contour lengths (the merge is quadratic in the
//! points of consecutive contours, exactly like the original); no recursion, no panics.

/// Chain code directions of OpenCV (`chainCodeDeltas`): 0 = +x, 2 = -y (up), 4 = -x, 6 = +y.
const CHAIN_DELTAS: [[i32; 2]; 8] = [
    [1, 0],
    [1, -1],
    [0, -1],
    [-1, -1],
    [-1, 0],
    [-1, 1],
    [0, 1],
    [1, 1],
];

/// Mark of a traced border pixel (OpenCV `MASK8_NEW`).
const MARK_NEW: u8 = 0x02;
/// Mark of a traced border pixel whose right neighbour was examined as 0 (`nbd | MASK8_RIGHT`).
const MARK_RIGHT: u8 = 0x82;
/// Any mark (`MASK8_FLAGS`): the value is neither 0 nor the untouched foreground 1.
const MARK_FLAGS: u8 = 0xFE;

/// External contours of a row-major mask (`width * height` bytes, nonzero = foreground), as
/// `cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)[0]` returns them:
/// the same contours, in the same order, each with the same `(x, y)` points in the same order.
///
/// An empty mask (0 width or height) or a slice shorter than `width * height` gives no contours.
pub fn find_external_contours(mask: &[u8], width: usize, height: usize) -> Vec<Vec<[i32; 2]>> {
    find_external_contours_in(mask, width, width, height, [0, 0])
}

/// [`find_external_contours`] on a sub-region of a larger mask: pixel `(x, y)` of the region is
/// `mask[y * stride + x]` (`x < width <= stride`, `y < height`), and `offset` is added to every
/// point. With `mask` sliced at the region's top-left pixel and `offset` set to that pixel's
/// coordinates, the result equals the contours of the whole mask whenever the mask is zero
/// outside the region (as a mask cropped to its box is).
///
/// Returns no contours when the region does not fit in `mask` or `width > stride`.
pub fn find_external_contours_in(
    mask: &[u8],
    stride: usize,
    width: usize,
    height: usize,
    offset: [i32; 2],
) -> Vec<Vec<[i32; 2]>> {
    let mut out = Vec::new();
    if width == 0 || height == 0 || width > stride {
        return out;
    }
    let Some(needed) = (height - 1)
        .checked_mul(stride)
        .and_then(|n| n.checked_add(width))
    else {
        return out;
    };
    if mask.len() < needed || width > i32::MAX as usize - 2 || height > i32::MAX as usize - 2 {
        return out;
    }
    // Padded binary copy: one zero pixel around, foreground = 1 (`copyMakeBorder` + `threshold`).
    let step = width + 2;
    let Some(total) = step.checked_mul(height + 2) else {
        return out;
    };
    let mut img = vec![0u8; total];
    for y in 0..height {
        let src = &mask[y * stride..y * stride + width];
        let dst = &mut img[(y + 1) * step + 1..(y + 1) * step + 1 + width];
        for (d, &s) in dst.iter_mut().zip(src) {
            *d = (s != 0) as u8;
        }
    }

    let tracer = Tracer::new(step, total);
    // Offset of the padded image's points: OpenCV traces with offset (-1, -1).
    let ox = offset[0].wrapping_sub(1);
    let oy = offset[1].wrapping_sub(1);

    // The scan (`ContourScanner_::findNext` with `contourScan` for RETR_EXTERNAL, 8-bit image).
    let scan_width = step - 1; // `image.size().width - 1`
    for y in 1..height + 1 {
        let row = y * step;
        let line_end = row + scan_width;
        let mut last_pos = row; // lnbd: the last marked pixel met on this row (x = 0 at first)
        let mut prev = 0u8;
        let mut i = row + 1;
        while i < line_end {
            // findNextX: skip the run of pixels equal to `prev`.
            i = skip_run(&img, i, line_end, prev);
            if i >= line_end {
                break;
            }
            let p = img[i];
            if prev == 0 && p == 1 {
                // An outer border starts here; RETR_EXTERNAL follows it unless the last border
                // met on this row is an outer one without its right side on the background.
                if (img[last_pos] as i8) <= 0 {
                    last_pos = i;
                    let x = (i - row) as i32;
                    let origin = [x.wrapping_add(ox), (y as i32).wrapping_add(oy)];
                    let mut contour = Vec::new();
                    tracer.fetch(&mut img, i, origin, &mut contour);
                    out.push(contour);
                    // The scanner resumes after the start pixel with prev = its new mark.
                    prev = img[i];
                    i += 1;
                    continue;
                }
            } else if p == 0 && (prev as i8) >= 1 && prev & MARK_FLAGS != 0 {
                // A hole border starts at the previous pixel (not followed in RETR_EXTERNAL).
                last_pos = i - 1;
            }
            prev = p;
            if prev & MARK_FLAGS != 0 {
                last_pos = i;
            }
            i += 1;
        }
    }
    out.reverse();
    out
}

/// The first index in `i..end` whose byte differs from `value` (`end` if none), 8 bytes at a time.
#[inline(always)]
fn skip_run(img: &[u8], mut i: usize, end: usize, value: u8) -> usize {
    let pattern = u64::from_ne_bytes([value; 8]);
    while i + 8 <= end {
        let mut word = [0u8; 8];
        word.copy_from_slice(&img[i..i + 8]);
        let diff = u64::from_le_bytes(word) ^ pattern;
        if diff != 0 {
            return i + (diff.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < end && img[i] == value {
        i += 1;
    }
    i
}

/// Border follower on the padded image (`icvFetchContourEx` for an outer border,
/// CHAIN_APPROX_SIMPLE).
struct Tracer {
    deltas: [isize; 8],
    /// Upper bound on the steps of one border (each (pixel, direction) state is met once).
    max_steps: usize,
}

impl Tracer {
    fn new(step: usize, total: usize) -> Self {
        let s = step as isize;
        Tracer {
            deltas: [1, 1 - s, -s, -1 - s, -1, s - 1, s, s + 1],
            max_steps: total.saturating_mul(8).saturating_add(16),
        }
    }

    #[inline(always)]
    fn at(&self, i: usize, s: usize) -> usize {
        (i as isize + self.deltas[s & 7]) as usize
    }

    /// Follows the outer border that starts at padded index `i0` (its point is `origin`), marks
    /// its pixels and appends its CHAIN_APPROX_SIMPLE points to `pts`.
    fn fetch(&self, img: &mut [u8], i0: usize, origin: [i32; 2], pts: &mut Vec<[i32; 2]>) {
        const S_END: usize = 4; // outer border: the search starts after direction 4 (left)
        let mut s = S_END;
        let mut i1;
        loop {
            s = (s + 7) & 7;
            i1 = self.at(i0, s);
            if img[i1] != 0 || s == S_END {
                break;
            }
        }
        if s == S_END {
            // Single pixel (no 8-neighbour).
            img[i0] = MARK_RIGHT;
            pts.push(origin);
            return;
        }
        let mut i3 = i0;
        let mut prev_s = s ^ 4;
        let mut pt = origin;
        for _ in 0..self.max_steps {
            let s_end = s;
            let mut i4 = i3;
            // Counter-clockwise search for the next border pixel, starting after `s`.
            while s < 15 {
                s += 1;
                i4 = self.at(i3, s);
                if img[i4] != 0 {
                    break;
                }
            }
            s &= 7;
            // The right neighbour was examined (as 0) iff the search wrapped past direction 0.
            if s.wrapping_sub(1) < s_end {
                img[i3] = MARK_RIGHT;
            } else if img[i3] == 1 {
                img[i3] = MARK_NEW;
            }
            if s != prev_s {
                pts.push(pt);
            }
            prev_s = s;
            pt[0] = pt[0].wrapping_add(CHAIN_DELTAS[s][0]);
            pt[1] = pt[1].wrapping_add(CHAIN_DELTAS[s][1]);
            if i4 == i0 && i3 == i1 {
                break;
            }
            i3 = i4;
            s = (s + 4) & 7;
        }
    }
}

/// Ultralytics 8.4.190 `masks2segments(..., strategy="all")` after findContours: no contour
/// gives no points, one contour its points, several are merged by [`merge_multi_segment`] and
/// concatenated. Points are converted to `f32` as `astype("float32")` does.
pub fn merge_segments(contours: &[Vec<[i32; 2]>]) -> Vec<[f32; 2]> {
    let to_f32 = |p: &[i32; 2]| [p[0] as f32, p[1] as f32];
    match contours.len() {
        0 => Vec::new(),
        1 => contours[0].iter().map(to_f32).collect(),
        _ => merge_multi_segment(contours)
            .iter()
            .flatten()
            .map(to_f32)
            .collect(),
    }
}

/// The contours of a mask merged into one polygon: [`find_external_contours`] followed by
/// [`merge_segments`] (Ultralytics' `masks2segments(mask[None])[0]`).
pub fn mask_to_polygon(mask: &[u8], width: usize, height: usize) -> Vec<[f32; 2]> {
    merge_segments(&find_external_contours(mask, width, height))
}

/// [`mask_to_polygon`] on a sub-region (see [`find_external_contours_in`]); `offset` is added
/// before merging, which leaves the merge unchanged (it only compares distances).
pub fn mask_to_polygon_in(
    mask: &[u8],
    stride: usize,
    width: usize,
    height: usize,
    offset: [i32; 2],
) -> Vec<[f32; 2]> {
    merge_segments(&find_external_contours_in(
        mask, stride, width, height, offset,
    ))
}

/// Ultralytics `min_index`: the pair `(i, j)` minimising the squared distance between `a[i]`
/// and `b[j]`, the first one in row-major order on ties (`np.argmin` of the distance matrix).
fn min_index(a: &[[i32; 2]], b: &[[i32; 2]]) -> (usize, usize) {
    let mut best = (0, 0);
    let mut best_d = i64::MAX;
    for (i, p) in a.iter().enumerate() {
        for (j, q) in b.iter().enumerate() {
            let dx = p[0] as i64 - q[0] as i64;
            let dy = p[1] as i64 - q[1] as i64;
            let d = dx * dx + dy * dy;
            if d < best_d {
                best_d = d;
                best = (i, j);
            }
        }
    }
    best
}

/// Ultralytics `merge_multi_segment` (`ultralytics/data/converter.py`): joins the segments at
/// the closest points of consecutive ones, going forward through the first part of each middle
/// segment and back through the rest. Returns the pieces that Ultralytics concatenates.
/// Segments must be non-empty (findContours never returns an empty contour); empty ones are
/// dropped.
pub fn merge_multi_segment(segments: &[Vec<[i32; 2]>]) -> Vec<Vec<[i32; 2]>> {
    let mut segs: Vec<Vec<[i32; 2]>> = segments.iter().filter(|s| !s.is_empty()).cloned().collect();
    let n = segs.len();
    if n < 2 {
        return segs;
    }
    let mut idx_list: Vec<Vec<usize>> = vec![Vec::with_capacity(2); n];
    for i in 1..n {
        let (a, b) = min_index(&segs[i - 1], &segs[i]);
        idx_list[i - 1].push(a);
        idx_list[i].push(b);
    }
    let mut s: Vec<Vec<[i32; 2]>> = Vec::with_capacity(2 * n);
    // Forward pass.
    for (i, seg) in segs.iter_mut().enumerate() {
        let mut idx = idx_list[i].clone();
        let len = seg.len();
        if idx.len() == 2 && idx[0] > idx[1] {
            for x in &mut idx {
                *x = len - 1 - *x;
            }
            seg.reverse();
        }
        seg.rotate_left(idx[0] % len); // np.roll(seg, -idx[0])
        let first = seg[0];
        seg.push(first);
        if i == 0 || i == n - 1 {
            s.push(seg.clone());
        } else {
            let end = idx[1] - idx[0];
            s.push(seg[..=end].to_vec());
        }
    }
    // Backward pass over the middle segments.
    for i in (1..n - 1).rev() {
        let idx = &idx_list[i];
        let nidx = idx[1].abs_diff(idx[0]);
        s.push(segs[i][nidx..].to_vec());
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mask(rows: &[&str]) -> (Vec<u8>, usize, usize) {
        let h = rows.len();
        let w = rows.first().map_or(0, |r| r.len());
        let mut m = Vec::with_capacity(w * h);
        for r in rows {
            assert_eq!(r.len(), w);
            m.extend(r.bytes().map(|b| (b == b'#') as u8));
        }
        (m, w, h)
    }

    fn contours(rows: &[&str]) -> Vec<Vec<[i32; 2]>> {
        let (m, w, h) = mask(rows);
        find_external_contours(&m, w, h)
    }

    // Expected values below are what cv2.findContours(m, RETR_EXTERNAL, CHAIN_APPROX_SIMPLE)
    // returns (OpenCV 5.0.0).

    #[test]
    fn empty_inputs() {
        assert!(find_external_contours(&[], 0, 0).is_empty());
        assert!(find_external_contours(&[], 0, 5).is_empty());
        assert!(find_external_contours(&[1, 1], 3, 1).is_empty()); // slice too short
        assert!(contours(&["....", "...."]).is_empty());
        assert!(find_external_contours_in(&[1; 10], 2, 3, 2, [0, 0]).is_empty()); // width > stride
        assert!(merge_segments(&[]).is_empty());
        assert!(mask_to_polygon(&[0; 4], 2, 2).is_empty());
    }

    #[test]
    fn single_pixel() {
        assert_eq!(contours(&["#"]), vec![vec![[0, 0]]]);
        assert_eq!(contours(&["...", ".#.", "..."]), vec![vec![[1, 1]]]);
    }

    #[test]
    fn square_2x2() {
        assert_eq!(
            contours(&["....", ".##.", ".##.", "...."]),
            vec![vec![[1, 1], [1, 2], [2, 2], [2, 1]]]
        );
    }

    #[test]
    fn full_image() {
        assert_eq!(
            contours(&["###", "###"]),
            vec![vec![[0, 0], [0, 1], [2, 1], [2, 0]]]
        );
        assert_eq!(contours(&["####"]), vec![vec![[0, 0], [3, 0]]]);
        assert_eq!(contours(&["#", "#", "#"]), vec![vec![[0, 0], [0, 2]]]);
    }

    #[test]
    fn l_shape() {
        let c = contours(&["#..", "#..", "###"]);
        assert_eq!(c, vec![vec![[0, 0], [0, 2], [2, 2], [1, 2], [0, 1]]]);
    }

    #[test]
    fn diagonal_line() {
        assert_eq!(contours(&["#..", ".#.", "..#"]), vec![vec![[0, 0], [2, 2]]]);
        assert_eq!(contours(&["..#", ".#.", "#.."]), vec![vec![[2, 0], [0, 2]]]);
    }

    #[test]
    fn ring_gives_only_the_outer_border() {
        let c = contours(&["#####", "#...#", "#.#.#", "#...#", "#####"]);
        assert_eq!(c, vec![vec![[0, 0], [0, 4], [4, 4], [4, 0]]]);
    }

    #[test]
    fn two_blobs_come_in_reverse_scan_order() {
        let c = contours(&["##...", "##...", ".....", "...#.", "...##"]);
        assert_eq!(
            c,
            vec![
                vec![[3, 3], [3, 4], [4, 4]],
                vec![[0, 0], [0, 1], [1, 1], [1, 0]]
            ]
        );
        // Side by side on one row: the right one is found after the left one, so comes first.
        let c = contours(&["#.#"]);
        assert_eq!(c, vec![vec![[2, 0]], vec![[0, 0]]]);
    }

    #[test]
    fn region_with_offset_equals_whole_mask() {
        let rows = [
            "........", "..##....", "..#.#...", "..###...", "........", "......#.",
        ];
        let (m, w, h) = mask(&rows);
        let whole = find_external_contours(&m, w, h);
        let region = find_external_contours_in(&m[8 + 2..], w, 5, 5, [2, 1]);
        assert_eq!(whole, region);
        assert_eq!(
            mask_to_polygon(&m, w, h),
            mask_to_polygon_in(&m[8 + 2..], w, 5, 5, [2, 1])
        );
    }

    #[test]
    fn merge_two_segments() {
        // Both rolled to their closest points and closed.
        let a = vec![[0, 0], [0, 2], [2, 2], [2, 0]];
        let b = vec![[5, 5], [5, 6], [6, 6]];
        let m = merge_multi_segment(&[a, b]);
        assert_eq!(
            m,
            vec![
                vec![[2, 2], [2, 0], [0, 0], [0, 2], [2, 2]],
                vec![[5, 5], [5, 6], [6, 6], [5, 5]]
            ]
        );
    }

    #[test]
    fn merge_three_segments_reverses_the_middle_one() {
        // Middle segment: closest to the first at index 2, to the last at index 0 -> reversed.
        let a = vec![[0, 0]];
        let b = vec![[10, 0], [10, 5], [5, 0]];
        let c = vec![[10, -3]];
        let m = merge_multi_segment(&[a, b, c]);
        assert_eq!(
            m,
            vec![
                vec![[0, 0], [0, 0]],
                vec![[5, 0], [10, 5], [10, 0]],
                vec![[10, -3], [10, -3]],
                vec![[10, 0], [5, 0]],
            ]
        );
        let flat = merge_segments(&[vec![[0, 0]], vec![[10, 0], [10, 5], [5, 0]], vec![[10, -3]]]);
        assert_eq!(flat.len(), 9);
        assert_eq!(flat[0], [0.0, 0.0]);
    }

    #[test]
    fn pathological_masks_do_not_panic() {
        // Checkerboard: many single-pixel and diagonal components.
        let (w, h) = (37, 23);
        let m: Vec<u8> = (0..w * h)
            .map(|i| (((i % w) + (i / w)) % 2) as u8)
            .collect();
        let c = find_external_contours(&m, w, h);
        assert_eq!(c.len(), 1); // 8-connected: one component
        let m: Vec<u8> = (0..w * h)
            .map(|i| ((i % w) % 2 == 0 && (i / w) % 2 == 0) as u8)
            .collect();
        let c = find_external_contours(&m, w, h);
        assert_eq!(c.len(), 19 * 12);
        assert!(!merge_segments(&c).is_empty());
        let full = vec![255u8; 300 * 200];
        assert_eq!(
            find_external_contours(&full, 300, 200),
            vec![vec![[0, 0], [0, 199], [299, 199], [299, 0]]]
        );
    }
}
