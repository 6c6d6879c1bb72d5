#!/usr/bin/env bash
# Issue 14's checks on a machine with an NVIDIA GPU, in one run (6.5 minutes on an H200 with GPU_REPEATS=2), run from
# the repository root. Results (logs and JSON) go to /tmp/gpu_check; where $OUT is set (the device tool's folder, which
# brings back at most 8 files), each step also refreshes $OUT/gpu_check.tgz, so a run cut short keeps its finished steps.
#
#   bash bench/gpu_check.sh                 # on the GPU machine (after bench/gpu_prepare.sh's set-up, see there)
#   bash bench/gpu_check.sh --cpu-dry-run   # here: every step on the CPU with a few frames (proves the script)
#   GPU_REPEATS=2 GPU_FRAMES=60 bash bench/gpu_check.sh   # fewer rounds where the lease is short
#
# Steps: 1 info (versions, providers: CUDAExecutionProvider must be there), 2 floor (bare session.run vs
# AutoBackend with IO binding on / off, batch 1/4/16, fp32/fp16), 3 fp16 accuracy vs fp32 on CUDA, 4 parity.py
# with device=0 against the public references (through bench/parity_device.py), 5 seed loops 1 and 2 on the people
# video and the 1080p MOT17-04 clip vs bare session.run on the same GPU, with Ultralytics 8.4.190 in the same run
# when it is importable (the same ONNX, and the .pt with torch CUDA). Each step has its own time limit; a failing
# step is reported and the next one runs.
set -uo pipefail
DRY=0
[ "${1:-}" = "--cpu-dry-run" ] && DRY=1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
if [ -z "${NUMA_SHARED:-}" ]; then
  if [ -d "$ROOT/.gpushared/shared" ]; then NUMA_SHARED=$ROOT/.gpushared/shared; else NUMA_SHARED=$(cd ../shared && pwd); fi
fi
export NUMA_SHARED NUMA_SHARED_DIR=$NUMA_SHARED
RES=/tmp/gpu_check
rm -rf "$RES" && mkdir -p "$RES"
# the parity reference travels gzipped in the staged copy (bench/gpu_prepare.sh); ../shared itself is never written
if [ "$NUMA_SHARED" = "$ROOT/.gpushared/shared" ]; then
  for z in "$NUMA_SHARED"/reference/*.json.gz; do [ -f "$z" ] && gunzip -f "$z"; done
fi
PY=${PY:-python3}
export PYTHONPATH=$ROOT/python:$ROOT/bench${PYTHONPATH:+:$PYTHONPATH}
export PYTHONUNBUFFERED=1
export NUMA_ULTRALYTICS_CACHE_DIR=${NUMA_ULTRALYTICS_CACHE_DIR:-/tmp/numa-cache}
M=$NUMA_SHARED/models
DYN=$M/yolo11n-seg-dynamic.onnx
if [ $DRY = 1 ]; then
  DEV=cpu; FRAMES=3; ITERS=2; BATCHES="1 2"; REPEATS=1; PARITY_ONLY="--only images"
  export NUMA_BENCH_FLOOR_PROVIDERS=CPUExecutionProvider
else
  DEV=0; FRAMES=${GPU_FRAMES:-60}; ITERS=50; BATCHES="1 4 16"; REPEATS=${GPU_REPEATS:-3}; PARITY_ONLY=""
  export NUMA_BENCH_FLOOR_PROVIDERS=CUDAExecutionProvider,CPUExecutionProvider
fi
# The original (Ultralytics 8.4.190): ORIGINAL_PYTHON, else this python when it imports ultralytics.
ORIG=${ORIGINAL_PYTHON:-}
if [ -z "$ORIG" ]; then
  if [ $DRY = 1 ] && [ -x /tmp/ulvenv/bin/python ]; then ORIG=/tmp/ulvenv/bin/python
  elif $PY -c "import ultralytics" 2>/dev/null; then ORIG=$(command -v $PY); fi
fi
ORIG_ARGS="--no-original"
[ -n "$ORIG" ] && ORIG_ARGS="--original-python $ORIG"

step() {  # step NAME SECONDS CMD...
  local name=$1 limit=$2 t0 rc
  shift 2
  t0=$(date +%s)
  echo "== $name ($(date -u +%H:%M:%S))"
  timeout "$limit" "$@" > "$RES/$name.log" 2>&1
  rc=$?
  tail -n 40 "$RES/$name.log"
  echo "== $name: rc $rc in $(( $(date +%s) - t0 )) s"
  if [ -n "${OUT:-}" ]; then tar czf "$OUT/gpu_check.tgz" -C "$(dirname "$RES")" "$(basename "$RES")"; fi
}

echo "gpu_check: dry=$DRY device=$DEV shared=$NUMA_SHARED original=${ORIG:-none} out=$RES"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
step info 120 $PY bench/bench_gpu.py info
if [ $DRY = 0 ] && ! grep -q CUDAExecutionProvider "$RES/info.log"; then
  echo "CUDAExecutionProvider missing: install onnxruntime-gpu first (bench/gpu_prepare.sh)"; exit 1
fi
step floor 150 $PY bench/bench_gpu.py floor --device $DEV --batches $BATCHES --iters $ITERS --json "$RES/floor.json"
step fp16 90 $PY bench/bench_gpu.py fp16 --device $DEV --frames $FRAMES --json "$RES/fp16.json"
step parity 150 env NUMA_PARITY_DEVICE=$DEV bash -c "cd '$NUMA_SHARED/reference' && $PY '$NUMA_SHARED/tools/parity.py' \
  public_yolo11n-seg-dynamic.json '$DYN' --pkg parity_device --media '$NUMA_SHARED/media' $PARITY_ONLY"
$PY bench/bench_gpu.py mot17-clip /tmp/mot17-04_1080p.avi --frames $(( FRAMES + 5 )) > "$RES/clip.log" 2>&1
step loops_people 120 $PY bench/bench_pipeline.py --model "$DYN" --frames $FRAMES --repeats $REPEATS $ORIG_ARGS \
  --json "$RES/loops_people.json"
step loops_mot17 120 $PY bench/bench_pipeline.py --model "$DYN" --video /tmp/mot17-04_1080p.avi --frames $FRAMES \
  --repeats $REPEATS $ORIG_ARGS --json "$RES/loops_mot17.json"
step loops_people_pt 100 $PY bench/bench_pipeline.py --model "$M/yolo11n-seg.pt" --floor-model "$DYN" \
  --frames $FRAMES --repeats $REPEATS $ORIG_ARGS --json "$RES/loops_people_pt.json"
# batched streams (1 / 4 / 16 streams as one session.run) and the pipelined loop vs the serial one (save + save_txt);
# the device is auto (CUDA when usable)
step streams 150 $PY -m bench.bench_streams --model "$DYN" --frames $FRAMES --repeats $REPEATS --streams 1 4 16
echo "gpu_check: done; results in $RES"
