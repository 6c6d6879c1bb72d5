"""Annotator and colors: drawn pixels on real images, in-place drawing, the palette and text-colour tables."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from numa_ultralytics.utils.plotting import Annotator, Colors, colors

PALETTE_HEX = [
    "042AFF",
    "0BDBEB",
    "F3F3F3",
    "00DFB7",
    "111F68",
    "FF6FDD",
    "FF444F",
    "CCED00",
    "00F344",
    "BD00FF",
    "00B4FF",
    "DD00BA",
    "00FFFF",
    "26C000",
    "01FFB3",
    "7D24FF",
    "7B0068",
    "FF1B6C",
    "FC6D2F",
    "A2FF0B",
]


@pytest.fixture()
def bus(bus_jpg) -> np.ndarray:
    im = cv2.imread(str(bus_jpg))
    assert im is not None
    return im


def test_colors_palette_rgb_bgr_and_wraparound():
    for i, h in enumerate(PALETTE_HEX):
        rgb = (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
        assert colors(i) == rgb
        assert colors(i, True) == rgb[::-1]
        assert colors(i + 20) == rgb
        assert colors(np.int64(i + 40), bgr=True) == rgb[::-1]
    assert colors(5, True) == (221, 111, 255)
    assert isinstance(colors, Colors) and colors.n == 20


def test_line_width_font_defaults(bus):
    a = Annotator(bus)
    # bus.jpg is 1080x810x3: round((1080 + 810 + 3) / 2 * 0.003) = round(2.8395) = 3
    assert a.lw == 3 and a.tf == 2 and a.sf == pytest.approx(1.0)
    a2 = Annotator(bus, line_width=2)
    assert a2.lw == 2 and a2.tf == 1 and a2.sf == pytest.approx(2 / 3)
    small = np.zeros((64, 64, 3), np.uint8)
    assert Annotator(small).lw == 2  # at least 2


def test_get_txt_color_table(bus):
    a = Annotator(bus)
    dark_text = (104, 31, 17)
    light_bg = [(235, 219, 11), (243, 243, 243), (183, 223, 0), (221, 111, 255), (0, 237, 204), (68, 243, 0)]
    light_bg += [(255, 255, 0), (179, 255, 1), (11, 255, 162)]
    for c in light_bg:
        assert a.get_txt_color(c) == dark_text
    dark_bg = [(255, 42, 4), (79, 68, 255), (255, 0, 189), (255, 180, 0), (186, 0, 221), (0, 192, 38)]
    dark_bg += [(255, 36, 125), (104, 0, 123), (108, 27, 255), (47, 109, 252), (104, 31, 17)]
    for c in dark_bg:
        assert a.get_txt_color(c) == (255, 255, 255)
    assert a.get_txt_color((1, 2, 3)) == (255, 255, 255)
    assert a.get_txt_color((1, 2, 3), (9, 9, 9)) == (9, 9, 9)
    assert a.get_txt_color([235, 219, 11]) == dark_text  # lists too
    # every palette colour in BGR (the seed's colors(i, True)) is in one of the two tables
    for i in range(20):
        assert colors(i, True) in a.dark_colors | a.light_colors


def test_seg_bbox_draws_in_place(bus):
    im = bus
    before = im.copy()
    a = Annotator(im, line_width=2)
    assert a.im is im
    poly = np.array([[100, 300], [400, 300], [400, 600], [100, 600]], np.float32)
    color = colors(3, True)
    a.seg_bbox(mask=poly, mask_color=color, label="person", txt_color=a.get_txt_color(color))
    assert a.result() is im
    # a pixel on the right edge of the polygon, well below the label box, has mask_color
    assert tuple(im[500, 400]) == color
    assert tuple(im[450, 100]) == color
    # the inside far from the outline and the label is untouched
    assert np.array_equal(im[450, 250], before[450, 250])
    # the label box is centred on the first point: filled with mask_color around (100, 300) minus the text
    tw, th = cv2.getTextSize("person", 0, a.sf, a.tf)[0]
    box = im[300 - th - 10 : 300 + 10, 100 - tw // 2 - 10 : 100 + tw // 2 + 10]
    frac = np.all(box == np.array(color, np.uint8), axis=-1).mean()
    assert 0.5 < frac < 1.0  # mostly fill, some text pixels
    text_px = np.all(box == np.array(a.get_txt_color(color), np.uint8), axis=-1).sum()
    assert text_px > 20
    assert not np.array_equal(im, before)


def test_seg_bbox_old_keywords_and_label_precedence(bus):
    poly = np.array([[200, 200], [300, 200], [300, 300]], np.float32)
    ims = {}
    for name, kw in {
        "track": {"track_label": "7", "det_label": "person"},
        "det": {"det_label": "person"},
        "label": {"label": "Track ID: 7"},
        "none": {},
    }.items():
        im = bus.copy()
        Annotator(im, line_width=2).seg_bbox(poly, mask_color=(0, 0, 255), **kw)
        ims[name] = im
    assert np.array_equal(ims["track"], ims["label"])  # track_label wins -> "Track ID: 7"
    assert not np.array_equal(ims["det"], ims["track"])

    # no label: only the outline, no filled box above the first point
    def red_above(im: np.ndarray) -> int:
        return int(np.all(im[180:199, 170:230] == (0, 0, 255), axis=-1).sum())

    assert red_above(ims["none"]) == 0
    assert red_above(ims["det"]) > 500


def test_seg_bbox_empty_and_degenerate_polygons(bus):
    im = bus.copy()
    a = Annotator(im)
    a.seg_bbox(np.zeros((0, 2), np.float32), label="x")
    a.seg_bbox([], label="x")
    a.seg_bbox(None, label="x")
    assert np.array_equal(im, bus)
    a.seg_bbox(np.array([[10.7, 20.2]], np.float32), mask_color=(1, 2, 3))  # one point: a dot
    assert tuple(im[20, 10]) == (1, 2, 3)
    a.seg_bbox(np.array([[-50, -50], [5000, 5000]], np.float32), label="far")  # off-image: no crash


def test_box_label(bus):
    im = bus
    a = Annotator(im, line_width=3)
    color = colors(0, True)  # (255, 42, 4): white text
    a.box_label([100, 200, 300, 500], "bus 0.91", color=color)
    assert tuple(im[350, 100]) == color  # left edge
    assert tuple(im[350, 300]) == color  # right edge
    assert tuple(im[500, 200]) == color  # bottom edge
    w, h = cv2.getTextSize("bus 0.91", 0, fontScale=a.sf, thickness=a.tf)[0]
    lab = im[200 - (h + 3) : 200, 100 : 100 + w]
    assert np.all(lab == np.array(color, np.uint8), axis=-1).mean() > 0.5
    assert np.all(lab == 255, axis=-1).sum() > 20  # white text
    # numpy box and a polygon box
    a.box_label(np.array([500.0, 50.0, 600.0, 150.0]), "", color=(0, 255, 0))
    assert tuple(im[100, 500]) == (0, 255, 0)
    a.box_label(np.array([[700, 700], [780, 700], [780, 780], [700, 780]]), "obb", color=(0, 0, 255))
    assert tuple(im[740, 780]) == (0, 0, 255)


def test_box_label_near_top_draws_label_inside(bus):
    im = bus
    a = Annotator(im, line_width=2)
    a.box_label([10, 0, 200, 100], "person", color=(0, 255, 255))
    w, h = cv2.getTextSize("person", 0, fontScale=a.sf, thickness=a.tf)[0]
    inside = im[1 : h + 3, 11 : 10 + w]
    assert np.all(inside == (0, 255, 255), axis=-1).mean() > 0.5


def test_grey_bgra_readonly_inputs():
    grey = np.full((100, 120), 50, np.uint8)
    a = Annotator(grey)
    assert a.im.shape == (100, 120, 3)
    a.seg_bbox(np.array([[10, 10], [90, 10], [90, 90]]), mask_color=(0, 0, 255))
    assert tuple(a.result()[50, 90]) == (0, 0, 255)
    bgra = np.zeros((50, 60, 4), np.uint8)
    assert Annotator(bgra).im.shape == (50, 60, 3)
    ro = np.zeros((50, 60, 3), np.uint8)
    ro.flags.writeable = False
    a = Annotator(ro)
    a.box_label([5, 5, 40, 40], color=(255, 0, 0))
    assert a.im is not ro and ro.sum() == 0 and a.im.sum() > 0
    with pytest.raises(ValueError, match="contiguous"):
        Annotator(np.zeros((50, 60, 3), np.uint8)[:, ::2])
    with pytest.raises(TypeError):
        Annotator("not an image")  # type: ignore[arg-type]


def test_pil_flag_falls_back_to_cv2():
    im = np.zeros((80, 80, 3), np.uint8)
    with pytest.warns(UserWarning, match="OpenCV"):
        a = Annotator(im, pil=True)
    a.box_label([10, 10, 60, 60], "a", color=(0, 0, 255))
    assert a.result() is im and tuple(im[30, 10]) == (0, 0, 255)


def test_masks_blend_in_place():
    im = np.full((40, 50, 3), 100, np.uint8)
    m = np.zeros((1, 40, 50), np.uint8)
    m[0, 10:20, 10:20] = 1
    a = Annotator(im)
    a.masks(m, [(0, 0, 200)], alpha=0.5)
    assert a.result() is im
    assert tuple(im[15, 15]) == (50, 50, 150)
    assert tuple(im[30, 30]) == (100, 100, 100)


def test_seed_loop_on_real_detections(bus, tmp_path):
    """The seed's drawing code on hand-made polygons (no model): frames come out annotated and writable."""
    polys = [np.array([[50, 400], [250, 400], [250, 900], [50, 900]], np.float32), np.zeros((0, 2), np.float32)]
    out = tmp_path / "x.avi"
    h, w = bus.shape[:2]
    vw = cv2.VideoWriter(str(out), cv2.VideoWriter_fourcc(*"MJPG"), 5, (w, h))
    im0 = bus.copy()
    annotator = Annotator(im0, line_width=2)
    for mask, track_id in zip(polys, [3, 4]):
        color = colors(int(track_id), True)
        annotator.seg_bbox(mask=mask, mask_color=color, label=str(track_id), txt_color=annotator.get_txt_color(color))
    vw.write(im0)
    vw.release()
    assert tuple(im0[600, 250]) == colors(3, True)
    assert out.stat().st_size > 0
