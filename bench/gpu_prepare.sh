#!/usr/bin/env bash
# Stages what bench/gpu_check.sh needs on the GPU machine, which gets only the repository (not ../shared), has
# Python 3.12, torch (CUDA 13) and plain onnxruntime, and cannot download. Run here, from the repository root:
#   bash bench/gpu_prepare.sh
# It writes (all ignored by git through .git/info/exclude):
#   .gpushared/shared/  models (yolo11n-seg-dynamic.onnx, yolo11n-seg.pt), media (videos, images, coco8-seg images,
#                       MOT17-04 frames), reference/public_yolo11n-seg-dynamic.json.gz, tools/parity.py  (~31 MB)
#   .gpushared/whl/     Ultralytics 8.4.190, its two small pure-python needs and lap (for the original's loops)
#   .gpushared/_core.abi3.so  this project's extension from `maturin build` (the development build links
#                       libpython3.11 and does not load on 3.12)
#   .gpu/pN/partN       onnxruntime-gpu 1.31.1 for CUDA 13, repacked: its Python package without the C API library,
#                       the TensorRT provider, transformers/ and quantization/ (not used here), as tar.xz (~194 MB, from
#                       a 256 MB wheel), split so that each part plus the working tree fits one call (64 MiB)
# Measured on 4 Dec 2026 (H200): each part's call took under a second once the machine was warm; the first call
# started the machine in ~30 s; gpu_check.sh with GPU_REPEATS=2 ran 6.5 minutes.
#
# The working tree travels with every call: its tracked files are ~34 MB (tests/fixtures/zoo), which leaves ~30 MB a
# call for the parts (7 parts). For four calls, run the device calls from a slim commit of the tree and come back:
#   git switch -c gpu-slim && git rm -r -q tests rust docs && git commit -qm slim   (then this script: parts are sized from the tree)
#   ... the device calls ...
#   git switch main && git branch -D gpu-slim
set -euo pipefail
S=../shared
D=.gpushared/shared
EXCLUDE="$(git rev-parse --git-common-dir)/info/exclude"
for p in /.gpushared/ /.gpu/; do grep -qx "$p" "$EXCLUDE" 2>/dev/null || echo "$p" >> "$EXCLUDE"; done
rm -rf .gpushared && mkdir -p $D/models $D/media $D/reference $D/tools .gpushared/whl
cp $S/models/yolo11n-seg-dynamic.onnx $S/models/yolo11n-seg.pt $D/models/
cp -r $S/media/videos $S/media/images $D/media/
mkdir -p $D/media/coco8-seg $D/media/mot17-mini/train/MOT17-04-FRCNN
cp -r $S/media/coco8-seg/images $D/media/coco8-seg/
cp -r $S/media/mot17-mini/train/MOT17-04-FRCNN/img1 $D/media/mot17-mini/train/MOT17-04-FRCNN/
gzip -9 -c $S/reference/public_yolo11n-seg-dynamic.json > $D/reference/public_yolo11n-seg-dynamic.json.gz
cp $S/tools/parity.py $D/tools/
PIPDL=(python3 -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 --implementation cp
  --platform manylinux_2_28_x86_64 --platform manylinux_2_17_x86_64 --platform manylinux2014_x86_64)
"${PIPDL[@]}" -d .gpushared/whl ultralytics==8.4.190 ultralytics-thop==2.2.3 ultralytics-platform==0.1.99 lap==0.5.12
# the extension, as the wheel builds it (abi3, no libpython link)
W=$(mktemp -d)
maturin build --release -q -o "$W"
unzip -o -q -j "$W"/numa_ultralytics-*.whl 'numa_ultralytics/_core.abi3.so' -d .gpushared/
rm -rf "$W"
# onnxruntime-gpu, repacked and split
T=$(mktemp -d)
"${PIPDL[@]}" -d "$T" onnxruntime-gpu==1.31.1
mkdir "$T/x" && (cd "$T/x" && unzip -q ../onnxruntime_gpu-*.whl)
rm -rf "$T"/x/onnxruntime/capi/libonnxruntime.so.* "$T"/x/onnxruntime/capi/libonnxruntime_providers_tensorrt.so \
  "$T"/x/onnxruntime/transformers "$T"/x/onnxruntime/quantization
tree=$(git ls-files -z | xargs -0 du -cb | tail -1 | cut -f1)
size=$(( 67108864 - tree - 1000000 ))
tar -C "$T/x" -cf - onnxruntime onnxruntime_gpu-1.31.1.dist-info | xz -9 -T0 > "$T/ort.tar.xz"
rm -rf .gpu && mkdir .gpu
split -b "$size" -d -a 1 "$T/ort.tar.xz" .gpu/part
n=0
for f in .gpu/part*; do mkdir -p .gpu/p$n && mv "$f" .gpu/p$n/; n=$((n + 1)); done
rm -rf "$T"
du -sh .gpushared .gpu/p*
cat <<TXT
Device calls, back to back (the machine stays warm ~30 s between calls):
 1..$n. carry [".gpu/pN"] (one part per call), command:
      mkdir -p /tmp/ortparts && cp .gpu/p*/part* /tmp/ortparts/ && ls -la /tmp/ortparts
 last. carry [".gpushared"], timeout_s 570, command:
      mkdir -p /tmp/site && cat \$(ls /tmp/ortparts/part* | sort -V) | xz -dc -T0 | tar -x -C /tmp/site &&
      python3 -m pip install -q --no-index --no-deps --no-compile --target /tmp/site .gpushared/whl/*.whl &&
      cp .gpushared/_core.abi3.so python/numa_ultralytics/ && export PYTHONPATH=/tmp/site &&
      GPU_REPEATS=2 timeout 500 bash bench/gpu_check.sh
    (results: \$OUT/gpu_check.tgz; a carried path not named in a later call is removed there, so name .gpushared in
    every call that reads it)
TXT
