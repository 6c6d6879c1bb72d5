#!/usr/bin/env bash
# Stages what bench/gpu_check.sh needs on the GPU machine, which gets only the repository (not ../shared) and
# cannot download: run here, from the repository root, before the device calls.
#   .gpushared/shared/  models (yolo11n-seg-dynamic.onnx, yolo11n-seg.pt), media (videos, images, coco8-seg images,
#                       MOT17-04 frames), reference/public_yolo11n-seg-dynamic.json, tools/parity.py  (~35 MB)
#   .gpushared/whl/     Ultralytics 8.4.190 and its two small pure-python needs the GPU image lacks (for the
#                       original's loops; torch, torchvision, opencv, ... are in the image)
# onnxruntime-gpu itself: ../shared/tools/gpu/ort-gpu-parts.sh (four calls of ~61 MB each; the project wheel it
# tries to build is not needed: the compiled python/numa_ultralytics/_core.abi3.so is carried instead).
set -euo pipefail
S=../shared
D=.gpushared/shared
EXCLUDE="$(git rev-parse --git-common-dir)/info/exclude"
grep -qx '/.gpushared/' "$EXCLUDE" 2>/dev/null || echo '/.gpushared/' >> "$EXCLUDE"
rm -rf .gpushared && mkdir -p $D/models $D/media $D/reference $D/tools .gpushared/whl
cp $S/models/yolo11n-seg-dynamic.onnx $S/models/yolo11n-seg.pt $D/models/
cp -r $S/media/videos $S/media/images $D/media/
mkdir -p $D/media/coco8-seg $D/media/mot17-mini/train/MOT17-04-FRCNN
cp -r $S/media/coco8-seg/images $D/media/coco8-seg/
cp -r $S/media/mot17-mini/train/MOT17-04-FRCNN/img1 $D/media/mot17-mini/train/MOT17-04-FRCNN/
cp $S/reference/public_yolo11n-seg-dynamic.json $D/reference/
cp $S/tools/parity.py $D/tools/
python3 -m pip download -q --no-deps --only-binary=:all: -d .gpushared/whl \
  ultralytics==8.4.190 ultralytics-thop==2.2.3 ultralytics-platform==0.1.99
du -sh .gpushared
cat <<'TXT'
Device calls (the machine stays warm ~30 s between calls: have them ready):
 1-4. the onnxruntime-gpu parts, as ../shared/tools/gpu/ort-gpu-parts.sh says (carry .gpu/pN, one per call)
 5.   carry [".gpushared", "python/numa_ultralytics/_core.abi3.so"], timeout_s 560, command:
      mkdir -p /tmp/ortparts && cp .gpu/p*/* /tmp/ortparts/ 2>/dev/null; n=$(cat /tmp/ortparts/name);
      cat /tmp/ortparts/part[0-3] > /tmp/$n && python3 -m pip install -q --no-index --no-deps --no-compile
      --target /tmp/site /tmp/$n .gpushared/whl/*.whl && export PYTHONPATH=/tmp/site && bash bench/gpu_check.sh
TXT
