"""``python -m numa_ultralytics segment predict model=... source=...`` (the same as ``numa-yolo``)."""

import sys

from numa_ultralytics.cfg import entrypoint

if __name__ == "__main__":
    sys.exit(entrypoint())
