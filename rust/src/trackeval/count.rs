//! TrackEval's `Count` metric: detections and ids after preprocessing.

use super::mot_data::SeqData;

/// `Dets`, `GT_Dets`, `IDs`, `GT_IDs`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Count {
    pub dets: f64,
    pub gt_dets: f64,
    pub ids: f64,
    pub gt_ids: f64,
}

impl Count {
    pub fn fields(&self) -> [(&'static str, f64); 4] {
        [
            ("Dets", self.dets),
            ("GT_Dets", self.gt_dets),
            ("IDs", self.ids),
            ("GT_IDs", self.gt_ids),
        ]
    }
}

pub fn eval_sequence(d: &SeqData) -> Count {
    Count {
        dets: d.num_tracker_dets as f64,
        gt_dets: d.num_gt_dets as f64,
        ids: d.num_tracker_ids as f64,
        gt_ids: d.num_gt_ids as f64,
    }
}

/// Summed over sequences.
pub fn combine(all: &[&Count]) -> Count {
    Count {
        dets: all.iter().map(|c| c.dets).sum(),
        gt_dets: all.iter().map(|c| c.gt_dets).sum(),
        ids: all.iter().map(|c| c.ids).sum(),
        gt_ids: all.iter().map(|c| c.gt_ids).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_sums() {
        let d = SeqData {
            num_gt_dets: 3,
            num_tracker_dets: 2,
            num_gt_ids: 1,
            num_tracker_ids: 2,
            ..SeqData::default()
        };
        let c = eval_sequence(&d);
        assert_eq!(combine(&[&c, &c]).dets, 4.0);
    }
}
