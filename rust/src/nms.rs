//! nms (to be written)
