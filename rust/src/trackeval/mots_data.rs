//! One MOTS sequence as TrackEval's `MOTSChallenge` reads and preprocesses it.
//!
//! Lines `frame id class h w rle` (space-separated, `rle` pycocotools' compressed counts); ground-truth class 10 rows
//! are ignore regions (merged per frame). The masks of a frame may not overlap (ground truth with its ignore region,
//! results among themselves). Only pedestrians (class 2) are scored: per frame, results matched to no pedestrian
//! (IoU >= 0.5, scipy assignment) whose area lies more than half inside the ignore region are removed.

use super::lsap::max_score_assignment;
use super::mot_data::{DataError, ParseError, SeqData};
use super::rle::{iou_matrix, overlaps, union_all, Rle};
use super::{Mat, EPS};

/// MOTS pedestrian and ignore-region classes.
pub const PEDESTRIAN: i64 = 2;
pub const IGNORE: &str = "10";

/// One mask line.
#[derive(Debug, Clone, PartialEq)]
pub struct MaskRow {
    pub id: i64,
    pub class: i64,
    pub mask: Rle,
}

/// Per frame (`frames[t]` is frame `t + 1`): the objects and, for ground truth, the ignore-region masks.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MaskFrames {
    pub frames: Vec<Vec<MaskRow>>,
    pub ignore: Vec<Vec<Rle>>,
}

fn int(field: &str, what: &str, line: usize) -> Result<i64, ParseError> {
    field.parse::<i64>().map_err(|_| ParseError {
        line,
        msg: format!("{what} {field:?} is not an integer"),
    })
}

/// Reads a MOTS text file into frames `1..=seq_len`.
pub fn parse_mots(text: &str, seq_len: usize, is_gt: bool) -> Result<MaskFrames, ParseError> {
    let mut out = MaskFrames {
        frames: vec![Vec::new(); seq_len],
        ignore: vec![Vec::new(); seq_len],
    };
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        let f: Vec<&str> = raw.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        if f.len() < 6 {
            return Err(ParseError {
                line,
                msg: format!(
                    "{} columns, a MOTS line has 6 (frame id class h w rle)",
                    f.len()
                ),
            });
        }
        let frame = f[0]
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .map(f64::trunc)
            .ok_or_else(|| ParseError {
                line,
                msg: format!("frame {:?} is not a number", f[0]),
            })?;
        if frame < 1.0 || frame > seq_len as f64 {
            return Err(ParseError {
                line,
                msg: format!("frame {frame} outside the sequence's frames 1..{seq_len}"),
            });
        }
        let t = frame as usize - 1;
        let (h, w) = (int(f[3], "height", line)?, int(f[4], "width", line)?);
        let (Ok(h), Ok(w)) = (u32::try_from(h), u32::try_from(w)) else {
            return Err(ParseError {
                line,
                msg: format!("mask size {h} x {w} is not valid"),
            });
        };
        let mask = Rle::from_string(f[5], h, w).map_err(|e| ParseError { line, msg: e.0 })?;
        if is_gt && f[2].to_ascii_lowercase() == IGNORE {
            out.ignore[t].push(mask);
            continue;
        }
        let id = int(f[1], "id", line)?;
        if id < 0 {
            return Err(ParseError {
                line,
                msg: format!("negative id {id}"),
            });
        }
        let class = int(f[2], "class", line)?;
        out.frames[t].push(MaskRow { id, class, mask });
    }
    Ok(out)
}

fn check_frame(
    rows: &[MaskRow],
    ignore: Option<&Rle>,
    frame: usize,
    what: &str,
) -> Result<(), DataError> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(DataError(format!(
            "{what} has id {} more than once in frame {frame}",
            w[0]
        )));
    }
    let mut all: Vec<&Rle> = rows.iter().map(|r| &r.mask).collect();
    all.extend(ignore);
    let mut merged: Option<Rle> = None;
    for m in all {
        if let Some(u) = &merged {
            if overlaps(u, m) {
                return Err(DataError(format!(
                    "{what} has overlapping masks in frame {frame}"
                )));
            }
            merged = union_all(&[u, m]);
        } else {
            merged = Some(m.clone());
        }
    }
    Ok(())
}

/// TrackEval's MOTS preprocessing for the pedestrian class with mask IoU.
pub fn preprocess_mots(gt: &MaskFrames, tr: &MaskFrames) -> Result<SeqData, DataError> {
    let n = gt.frames.len().max(tr.frames.len());
    let none: Vec<MaskRow> = Vec::new();
    let mut gt_raw_ids = Vec::with_capacity(n);
    let mut tr_raw_ids = Vec::with_capacity(n);
    let mut similarity = Vec::with_capacity(n);
    for t in 0..n {
        let g = gt.frames.get(t).unwrap_or(&none);
        let r = tr.frames.get(t).unwrap_or(&none);
        let ignore_list: Vec<&Rle> = gt
            .ignore
            .get(t)
            .map(|v| v.iter().collect())
            .unwrap_or_default();
        let ignore = union_all(&ignore_list);
        check_frame(r, None, t + 1, "the result")?;
        check_frame(g, ignore.as_ref(), t + 1, "the ground truth")?;
        let gi: Vec<usize> = (0..g.len()).filter(|&i| g[i].class == PEDESTRIAN).collect();
        let ri: Vec<usize> = (0..r.len()).filter(|&j| r[j].class == PEDESTRIAN).collect();
        let gm: Vec<&Rle> = gi.iter().map(|&i| &g[i].mask).collect();
        let rm: Vec<&Rle> = ri.iter().map(|&j| &r[j].mask).collect();
        let err = |e: super::rle::RleError| DataError(format!("{} in frame {}", e.0, t + 1));
        let sim = iou_matrix(&gm, &rm, false).map_err(err)?;
        let mut keep = vec![true; ri.len()];
        let mut unmatched = vec![true; ri.len()];
        if !gi.is_empty() && !ri.is_empty() {
            let scores: Vec<f64> = sim
                .iter()
                .map(|&s| if s < 0.5 - EPS { -10000.0 } else { s })
                .collect();
            let (rows, cols) = max_score_assignment(&scores, gi.len(), ri.len());
            for (&i, &j) in rows.iter().zip(&cols) {
                if scores[i * ri.len() + j] > EPS {
                    unmatched[j] = false;
                }
            }
        }
        if let Some(ig) = &ignore {
            let cand: Vec<usize> = (0..ri.len()).filter(|&j| unmatched[j]).collect();
            let cm: Vec<&Rle> = cand.iter().map(|&j| rm[j]).collect();
            let ioa = iou_matrix(&cm, &[ig], true).map_err(err)?;
            for (k, &j) in cand.iter().enumerate() {
                if ioa[k] > 0.5 + EPS {
                    keep[j] = false;
                }
            }
        }
        let kept: Vec<usize> = (0..ri.len()).filter(|&j| keep[j]).collect();
        let mut m = Mat::zeros(gi.len(), kept.len());
        for a in 0..gi.len() {
            for (b, &j) in kept.iter().enumerate() {
                m.data[a * kept.len() + b] = sim[a * ri.len() + j];
            }
        }
        similarity.push(m);
        gt_raw_ids.push(gi.iter().map(|&i| g[i].id).collect::<Vec<i64>>());
        tr_raw_ids.push(kept.iter().map(|&j| r[ri[j]].id).collect::<Vec<i64>>());
    }
    Ok(SeqData::from_frames(similarity, &gt_raw_ids, &tr_raw_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row_mask(h: u32, w: u32, x0: usize, x1: usize) -> String {
        // columns x0..x1 fully set
        let mut m = vec![0u8; (h * w) as usize];
        for x in x0..x1 {
            for y in 0..h as usize {
                m[x * h as usize + y] = 1;
            }
        }
        Rle::encode_column_major(&m, h, w).to_coco_string()
    }

    #[test]
    fn ignore_region_removes_unmatched_results() {
        let gt = format!(
            "1 2001 2 4 20 {}\n1 10000 10 4 20 {}\n",
            row_mask(4, 20, 0, 5),
            row_mask(4, 20, 10, 20)
        );
        let tr = format!(
            "1 1 2 4 20 {}\n1 2 2 4 20 {}\n1 3 1 4 20 {}\n",
            row_mask(4, 20, 0, 5),
            row_mask(4, 20, 12, 16),
            row_mask(4, 20, 6, 8)
        );
        let g = parse_mots(&gt, 1, true).unwrap();
        let r = parse_mots(&tr, 1, false).unwrap();
        assert_eq!(g.ignore[0].len(), 1);
        let d = preprocess_mots(&g, &r).unwrap();
        assert_eq!((d.num_gt_dets, d.num_tracker_dets), (1, 1)); // id 2 inside the ignore region, id 3 a car
        assert_eq!(d.similarity[0].data, vec![1.0]);
    }

    #[test]
    fn overlapping_masks_are_refused() {
        let tr = format!(
            "1 1 2 4 20 {}\n1 2 2 4 20 {}\n",
            row_mask(4, 20, 0, 5),
            row_mask(4, 20, 4, 8)
        );
        let r = parse_mots(&tr, 1, false).unwrap();
        let g = parse_mots("", 1, true).unwrap();
        let e = preprocess_mots(&g, &r).unwrap_err();
        assert!(e.0.contains("overlapping masks in frame 1"), "{e:?}");
        let bad = parse_mots("1 1 2 4 20 ##\n", 1, false).unwrap_err();
        assert_eq!(bad.line, 1);
    }
}
