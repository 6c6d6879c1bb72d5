//! Scoring sequences: read, preprocess, every metric per sequence, then `COMBINED_SEQ`.
//! Sequences are scored in parallel threads; each result is independent of the thread count.

use std::thread;

use super::mot_data::{parse_mot, preprocess, Benchmark, DataError, ParseError, SeqData};
use super::mots_data::{parse_mots, preprocess_mots};
use super::{clear, count, hota, identity};

/// What the files hold and which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// MOTChallenge 2D boxes, with the benchmark's preprocessing when `do_preproc`.
    Boxes {
        benchmark: Benchmark,
        do_preproc: bool,
    },
    /// MOTS masks (RLE lines, ignore regions).
    Masks,
}

/// All metrics of one sequence (or of the combination).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Scores {
    pub hota: hota::Hota,
    pub clear: clear::Clear,
    pub identity: identity::Identity,
    pub count: count::Count,
}

/// One sequence to score: its name, the texts of both files and its length (`seqLength`).
#[derive(Debug, Clone)]
pub struct SequenceInput<'a> {
    pub name: &'a str,
    pub gt: &'a str,
    pub res: &'a str,
    pub seq_len: usize,
}

/// Which file of which sequence is wrong, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EvalError {
    /// A line of the ground truth (`is_gt`) or result file of `seq` cannot be read.
    Parse {
        seq: String,
        is_gt: bool,
        err: ParseError,
    },
    /// The files read but break TrackEval's rules (duplicate ids in a frame, invalid classes).
    Data { seq: String, err: DataError },
}

/// Scores of a preprocessed sequence.
pub fn score(d: &SeqData) -> Scores {
    Scores {
        hota: hota::eval_sequence(d),
        clear: clear::eval_sequence(d),
        identity: identity::eval_sequence(d),
        count: count::eval_sequence(d),
    }
}

/// Reads, preprocesses and scores one sequence.
pub fn score_sequence(input: &SequenceInput<'_>, kind: Kind) -> Result<Scores, EvalError> {
    let parse_err = |is_gt| {
        move |err| EvalError::Parse {
            seq: input.name.to_owned(),
            is_gt,
            err,
        }
    };
    let data_err = |err| EvalError::Data {
        seq: input.name.to_owned(),
        err,
    };
    let d = match kind {
        Kind::Boxes {
            benchmark,
            do_preproc,
        } => {
            let gt = parse_mot(input.gt, input.seq_len, true).map_err(parse_err(true))?;
            let tr = parse_mot(input.res, input.seq_len, false).map_err(parse_err(false))?;
            preprocess(&gt, &tr, benchmark, do_preproc).map_err(data_err)?
        }
        Kind::Masks => {
            let gt = parse_mots(input.gt, input.seq_len, true).map_err(parse_err(true))?;
            let tr = parse_mots(input.res, input.seq_len, false).map_err(parse_err(false))?;
            preprocess_mots(&gt, &tr).map_err(data_err)?
        }
    };
    Ok(score(&d))
}

/// `COMBINED_SEQ`: the sequences combined in the order given.
pub fn combine(all: &[&Scores]) -> Scores {
    Scores {
        hota: hota::combine(&all.iter().map(|s| &s.hota).collect::<Vec<_>>()),
        clear: clear::combine(&all.iter().map(|s| &s.clear).collect::<Vec<_>>()),
        identity: identity::combine(&all.iter().map(|s| &s.identity).collect::<Vec<_>>()),
        count: count::combine(&all.iter().map(|s| &s.count).collect::<Vec<_>>()),
    }
}

/// Scores every sequence (on up to `threads` threads) and their combination. The first error
/// in input order is returned.
pub fn evaluate(
    inputs: &[SequenceInput<'_>],
    kind: Kind,
    threads: usize,
) -> Result<(Vec<Scores>, Scores), EvalError> {
    let threads = threads.clamp(1, inputs.len().max(1));
    let mut slots: Vec<Option<Result<Scores, EvalError>>> = vec![None; inputs.len()];
    if threads == 1 {
        for (slot, input) in slots.iter_mut().zip(inputs) {
            *slot = Some(score_sequence(input, kind));
        }
    } else {
        let chunk = inputs.len().div_ceil(threads);
        thread::scope(|s| {
            for (slot_chunk, input_chunk) in slots.chunks_mut(chunk).zip(inputs.chunks(chunk)) {
                s.spawn(move || {
                    for (slot, input) in slot_chunk.iter_mut().zip(input_chunk) {
                        *slot = Some(score_sequence(input, kind));
                    }
                });
            }
        });
    }
    let mut per_seq = Vec::with_capacity(inputs.len());
    for slot in slots {
        per_seq.push(slot.unwrap_or_else(|| Ok(Scores::default()))?);
    }
    let combined = combine(&per_seq.iter().collect::<Vec<_>>());
    Ok((per_seq, combined))
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOXES: Kind = Kind::Boxes {
        benchmark: Benchmark::Mot17,
        do_preproc: true,
    };
    const GT: &str =
        "1,1,0,0,10,10,1,1,1\n1,2,50,0,10,10,1,1,1\n2,1,1,0,10,10,1,1,1\n2,2,51,0,10,10,1,1,1\n";

    #[test]
    fn perfect_and_permuted_ids() {
        let perfect = "1,7,0,0,10,10,1\n1,9,50,0,10,10,1\n2,7,1,0,10,10,1\n2,9,51,0,10,10,1\n";
        let inputs = [SequenceInput {
            name: "a",
            gt: GT,
            res: perfect,
            seq_len: 2,
        }];
        let (seqs, comb) = evaluate(&inputs, BOXES, 1).unwrap();
        assert_eq!(seqs[0].hota.hota, [1.0; 19]);
        assert_eq!(comb.clear.mota, 1.0);
        assert_eq!(comb.identity.idf1, 1.0);
    }

    #[test]
    fn errors_name_sequence_and_file() {
        let inputs = [SequenceInput {
            name: "b",
            gt: GT,
            res: "1,1,0,0\n",
            seq_len: 2,
        }];
        match evaluate(&inputs, BOXES, 2) {
            Err(EvalError::Parse { seq, is_gt, err }) => {
                assert_eq!((seq.as_str(), is_gt, err.line), ("b", false, 1));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn threads_do_not_change_results() {
        let res = "1,3,0,0,10,10,1\n2,4,1,0,10,10,1\n2,5,50,0,10,10,1\n";
        let inputs: Vec<SequenceInput<'_>> = (0..5)
            .map(|_| SequenceInput {
                name: "s",
                gt: GT,
                res,
                seq_len: 2,
            })
            .collect();
        let one = evaluate(&inputs, BOXES, 1).unwrap();
        let four = evaluate(&inputs, BOXES, 4).unwrap();
        assert_eq!(one, four);
    }
}
