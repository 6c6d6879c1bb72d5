//! iou (to be written)
