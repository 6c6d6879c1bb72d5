"""The YOLO model facade (to be written)."""


class YOLO:
    pass
