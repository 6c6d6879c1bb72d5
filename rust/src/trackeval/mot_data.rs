//! One MOTChallenge 2D box sequence as TrackEval's `MotChallenge2DBox` reads and preprocesses it.
//!
//! Reading (`parse_mot`): one detection per line, `frame, id, x, y, w, h, conf/flag, class, ...`,
//! comma- or whitespace-separated (the first line decides, as `csv.Sniffer` does for these
//! files); frames `1..=seq_len`; ground truth needs at least 8 columns, results at least 6.
//! Errors name the 1-based line.
//!
//! Preprocessing (`preprocess`), for MOT16/17/20 (none for MOT15): per frame, results are
//! matched to *all* ground-truth boxes (IoU >= 0.5, scipy assignment) and those matched to a
//! distractor (person on vehicle, static person, distractor, reflection; MOT20 also non-MOT
//! vehicle) are dropped; then only pedestrian (class 1) ground truth with a non-zero flag
//! (column 7, "consider") is kept. MOT15 keeps ground truth with a non-zero flag. TrackEval 1.3.0
//! does not use the visibility column. Ids are then renumbered `0..n` in sorted order.

use super::boxes::box_iou_xywh;
use super::lsap::max_score_assignment;
use super::{Mat, EPS};

/// Which MOTChallenge benchmark's rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Benchmark {
    Mot15,
    Mot16,
    Mot17,
    Mot20,
}

impl Benchmark {
    /// `"MOT15" | "MOT16" | "MOT17" | "MOT20"` (case-insensitive).
    pub fn parse(name: &str) -> Option<Self> {
        match name.to_ascii_uppercase().as_str() {
            "MOT15" => Some(Self::Mot15),
            "MOT16" => Some(Self::Mot16),
            "MOT17" => Some(Self::Mot17),
            "MOT20" => Some(Self::Mot20),
            _ => None,
        }
    }

    /// Ground-truth classes whose matched results are removed.
    pub fn distractor_classes(self) -> &'static [i64] {
        match self {
            Self::Mot20 => &[2, 7, 8, 12, 6],
            _ => &[2, 7, 8, 12],
        }
    }
}

/// MOTChallenge class ids (`pedestrian` = 1 ... `crowd` = 13).
pub const PEDESTRIAN: i64 = 1;
const MAX_CLASS: i64 = 13;

/// One line of a MOT file.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Row {
    pub id: i64,
    pub xywh: [f64; 4],
    /// Column 7: the confidence of a result, the "consider" flag of ground truth.
    pub flag: f64,
    /// Column 8, when present.
    pub class: Option<i64>,
}

/// A line that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line number.
    pub line: usize,
    pub msg: String,
}

/// The detections of each frame (`frames[t]` is frame `t + 1`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Frames {
    pub frames: Vec<Vec<Row>>,
}

fn number(field: &str, what: &str, line: usize) -> Result<f64, ParseError> {
    field.trim().parse::<f64>().map_err(|_| ParseError {
        line,
        msg: format!("{what} {:?} is not a number", field.trim()),
    })
}

/// numpy's `astype(int)` of a finite float (truncation); non-finite values are an error.
fn integer(x: f64, what: &str, line: usize) -> Result<i64, ParseError> {
    if !x.is_finite() || x.abs() >= 9.2e18 {
        return Err(ParseError {
            line,
            msg: format!("{what} {x} is not a finite integer"),
        });
    }
    Ok(x.trunc() as i64)
}

/// Reads a MOT text file into frames `1..=seq_len`.
pub fn parse_mot(text: &str, seq_len: usize, is_gt: bool) -> Result<Frames, ParseError> {
    let mut frames = vec![Vec::new(); seq_len];
    let comma = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .is_some_and(|l| l.contains(','));
    let min_cols = if is_gt { 8 } else { 6 };
    let mut fields: Vec<&str> = Vec::with_capacity(10);
    for (k, raw) in text.lines().enumerate() {
        let line = k + 1;
        if raw.trim().is_empty() {
            continue;
        }
        fields.clear();
        if comma {
            fields.extend(raw.split(','));
            if fields.last().is_some_and(|f| f.trim().is_empty()) {
                fields.pop();
            }
        } else {
            fields.extend(raw.split_whitespace());
        }
        if fields.len() < min_cols {
            return Err(ParseError {
                line,
                msg: format!(
                    "{} columns, {} needs at least {min_cols} (frame, id, x, y, w, h, {})",
                    fields.len(),
                    if is_gt { "ground truth" } else { "a result" },
                    if is_gt { "flag, class" } else { "[conf, ...]" }
                ),
            });
        }
        let frame = integer(number(fields[0], "frame", line)?, "frame", line)?;
        if frame < 1 || frame as u64 > seq_len as u64 {
            return Err(ParseError {
                line,
                msg: format!("frame {frame} outside the sequence's frames 1..{seq_len}"),
            });
        }
        let id = integer(number(fields[1], "id", line)?, "id", line)?;
        if id < 0 {
            return Err(ParseError {
                line,
                msg: format!("negative id {id}"),
            });
        }
        let mut xywh = [0.0; 4];
        for (c, v) in xywh.iter_mut().enumerate() {
            *v = number(fields[2 + c], "box value", line)?;
        }
        let flag = match fields.get(6) {
            Some(f) => number(f, "column 7", line)?,
            None => 1.0,
        };
        let class = match fields.get(7) {
            Some(f) => Some(integer(number(f, "class", line)?, "class", line)?),
            None => None,
        };
        frames[frame as usize - 1].push(Row {
            id,
            xywh,
            flag,
            class,
        });
    }
    Ok(Frames { frames })
}

/// A sequence ready for the metrics: per frame, the kept ids (renumbered `0..n`) and the
/// ground truth x result similarity.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SeqData {
    pub gt_ids: Vec<Vec<usize>>,
    pub tracker_ids: Vec<Vec<usize>>,
    pub similarity: Vec<Mat>,
    pub num_gt_ids: usize,
    pub num_tracker_ids: usize,
    pub num_gt_dets: usize,
    pub num_tracker_dets: usize,
}

impl SeqData {
    /// A sequence from its frames: per frame the similarity of the kept ground truth (rows) and
    /// results (columns) and their raw IDs, in the same order; IDs are relabelled
    /// ([`relabel`]) and detections counted.
    pub(crate) fn from_frames(
        similarity: Vec<Mat>,
        gt_raw_ids: &[Vec<i64>],
        tr_raw_ids: &[Vec<i64>],
    ) -> SeqData {
        let (gt_ids, num_gt_ids) = relabel(gt_raw_ids);
        let (tracker_ids, num_tracker_ids) = relabel(tr_raw_ids);
        SeqData {
            gt_ids,
            tracker_ids,
            similarity,
            num_gt_ids,
            num_tracker_ids,
            num_gt_dets: gt_raw_ids.iter().map(Vec::len).sum(),
            num_tracker_dets: tr_raw_ids.iter().map(Vec::len).sum(),
        }
    }

    pub fn num_timesteps(&self) -> usize {
        self.gt_ids.len()
    }
}

/// Ground truth or results that break TrackEval's rules (the message names the frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataError(pub String);

fn check_unique(rows: &[Row], frame: usize, what: &str) -> Result<(), DataError> {
    let mut ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    ids.sort_unstable();
    if let Some(w) = ids.windows(2).find(|w| w[0] == w[1]) {
        return Err(DataError(format!(
            "{what} has id {} more than once in frame {frame}",
            w[0]
        )));
    }
    Ok(())
}

/// Renumbers ids `0..n` in sorted order (TrackEval's id map); returns `n`.
pub(crate) fn relabel(ids: &[Vec<i64>]) -> (Vec<Vec<usize>>, usize) {
    let mut uniq: Vec<i64> = ids.iter().flatten().copied().collect();
    uniq.sort_unstable();
    uniq.dedup();
    let out = ids
        .iter()
        .map(|f| {
            f.iter()
                .map(|id| uniq.binary_search(id).unwrap_or_default())
                .collect()
        })
        .collect();
    (out, uniq.len())
}

/// TrackEval's `get_preprocessed_seq_data` for the pedestrian class with box IoU.
pub fn preprocess(
    gt: &Frames,
    tr: &Frames,
    benchmark: Benchmark,
    do_preproc: bool,
) -> Result<SeqData, DataError> {
    let preproc = do_preproc && benchmark != Benchmark::Mot15;
    let distractors = benchmark.distractor_classes();
    let n = gt.frames.len().max(tr.frames.len());
    let empty: Vec<Row> = Vec::new();
    let mut gt_raw_ids: Vec<Vec<i64>> = Vec::with_capacity(n);
    let mut tr_raw_ids: Vec<Vec<i64>> = Vec::with_capacity(n);
    let mut similarity = Vec::with_capacity(n);
    for t in 0..n {
        let g = gt.frames.get(t).unwrap_or(&empty);
        let r = tr.frames.get(t).unwrap_or(&empty);
        check_unique(r, t + 1, "the result")?;
        check_unique(g, t + 1, "the ground truth")?;
        if let Some(c) = r.iter().filter_map(|x| x.class).max().filter(|&c| c > 1) {
            return Err(DataError(format!(
                "only the pedestrian class can be evaluated: class {c} in the result at frame {}",
                t + 1
            )));
        }
        let gb: Vec<[f64; 4]> = g.iter().map(|x| x.xywh).collect();
        let rb: Vec<[f64; 4]> = r.iter().map(|x| x.xywh).collect();
        let sim = box_iou_xywh(&gb, &rb);
        let mut keep_tr = vec![true; r.len()];
        if preproc && !g.is_empty() && !r.is_empty() {
            if let Some(c) = g
                .iter()
                .filter_map(|x| x.class)
                .find(|c| !(1..=MAX_CLASS).contains(c))
            {
                return Err(DataError(format!(
                    "invalid ground-truth class {c} at frame {} (MOTChallenge classes are 1..13)",
                    t + 1
                )));
            }
            let scores: Vec<f64> = sim
                .data
                .iter()
                .map(|&s| if s < 0.5 - EPS { 0.0 } else { s })
                .collect();
            let (rows, cols) = max_score_assignment(&scores, sim.rows, sim.cols);
            for (&i, &j) in rows.iter().zip(&cols) {
                let matched = scores[i * sim.cols + j] > EPS;
                if matched && g[i].class.is_some_and(|c| distractors.contains(&c)) {
                    keep_tr[j] = false;
                }
            }
        }
        let keep_gt: Vec<bool> = g
            .iter()
            .map(|x| {
                let flag = x.flag.trunc() != 0.0 || x.flag.is_nan();
                if preproc {
                    flag && x.class == Some(PEDESTRIAN)
                } else {
                    flag
                }
            })
            .collect();
        let gi: Vec<usize> = (0..g.len()).filter(|&i| keep_gt[i]).collect();
        let ri: Vec<usize> = (0..r.len()).filter(|&j| keep_tr[j]).collect();
        let mut m = Mat::zeros(gi.len(), ri.len());
        for (a, &i) in gi.iter().enumerate() {
            for (b, &j) in ri.iter().enumerate() {
                m.data[a * ri.len() + b] = sim.at(i, j);
            }
        }
        similarity.push(m);
        gt_raw_ids.push(gi.iter().map(|&i| g[i].id).collect());
        tr_raw_ids.push(ri.iter().map(|&j| r[j].id).collect());
    }
    Ok(SeqData::from_frames(similarity, &gt_raw_ids, &tr_raw_ids))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_comma_and_space_files() {
        let f = parse_mot("1,3,10,20,30,40,0.9,-1,-1,-1\n\n2,4,1,2,3,4,1\n", 2, false).unwrap();
        assert_eq!(f.frames[0][0].id, 3);
        assert_eq!(f.frames[0][0].xywh, [10.0, 20.0, 30.0, 40.0]);
        assert_eq!(f.frames[0][0].class, Some(-1));
        assert_eq!(f.frames[1][0].class, None);
        let s = parse_mot("1 1 0 0 5 5 1 1 1.0\n", 1, true).unwrap();
        assert_eq!(s.frames[0][0].class, Some(1));
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_mot("1,1,0,0,1,1,1,1\n1,x,0,0,1,1,1,1\n", 1, true).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.msg.contains("id"));
        let e = parse_mot("3,1,0,0,1,1,1,1\n", 2, true).unwrap_err();
        assert!(e.msg.contains("frame 3"));
        let e = parse_mot("1,1,0,0,1,1,1\n", 2, true).unwrap_err();
        assert!(e.msg.contains("at least 8"));
    }

    #[test]
    fn distractor_matches_are_removed_and_flags_respected() {
        // gt: pedestrian id 1, static person (7) id 2, zero-flagged pedestrian id 3
        let gt = parse_mot(
            "1,1,0,0,10,10,1,1,1\n1,2,100,0,10,10,1,7,1\n1,3,200,0,10,10,0,1,1\n",
            1,
            true,
        )
        .unwrap();
        let tr = parse_mot(
            "1,5,0,0,10,10,1\n1,6,100,0,10,10,1\n1,7,200,0,10,10,1\n",
            1,
            false,
        )
        .unwrap();
        let d = preprocess(&gt, &tr, Benchmark::Mot17, true).unwrap();
        assert_eq!(d.num_gt_dets, 1);
        assert_eq!(d.num_tracker_dets, 2); // the one on the static person is gone
        assert_eq!(d.tracker_ids[0], vec![0, 1]);
        let d15 = preprocess(&gt, &tr, Benchmark::Mot15, true).unwrap();
        assert_eq!((d15.num_gt_dets, d15.num_tracker_dets), (2, 3));
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let gt = parse_mot("1,1,0,0,10,10,1,1,1\n", 1, true).unwrap();
        let tr = parse_mot("1,5,0,0,10,10,1\n1,5,1,0,10,10,1\n", 1, false).unwrap();
        let e = preprocess(&gt, &tr, Benchmark::Mot17, true).unwrap_err();
        assert!(e.0.contains("id 5 more than once in frame 1"));
    }
}
