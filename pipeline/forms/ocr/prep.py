"""Pre-processing a scanned or photographed page before Tesseract sees it (Pillow + numpy).

Order: find the page in a photo and undo its perspective (or refuse a photo taken too much at a
slant); scale to the working resolution (the page's own, within WORK_FLOOR_DPI..ocr_dpi); on a
100-dpi copy, find which way the lines run, their slant, and which way up the letters stand
(Tesseract's orientation detection only when that is in doubt); turn and straighten the page in one
resampling; even out the light and threshold once; then find the table rules, keep their geometry
and erase them, since rules touching text merge table rows in Tesseract's eyes.

Profiled on the fixture pages (cProfile, one page at a time), the old order spent as long around
Tesseract as in it: orientation detection on every page (0.8 s), a float division of the full
page for the light, two thresholds, a bicubic unwarp and turn, and every page read at 300 dpi
whatever its own resolution.

All of it is plain array work on a page of a few million pixels; OpenCV would add a 60 MB wheel
for contour finding that a seeded region grow and four extreme points do well enough here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image, ImageFilter, ImageOps

from pipeline import errors

A4_INCHES = (8.27, 11.69)
MIN_DPI = 100  # below this letters are 6-7 pixels high: OCR merges rows and invents letters
MAX_CORNER_DEVIATION = 25.0  # degrees off square at a page corner before a photo is too slanted
MIN_SIDE_RATIO = 0.6  # the far edge of the page at least this long against the near one
DESKEW_RANGE = 8.0  # degrees tried either way when straightening

TOO_SMALL_NO = (
    "Bildet av skjemaet har for lav oppløsning til at vi kan lese det. Skann det med minst 150 dpi, "
    "eller send det utfylte skjemaet som Word-fil (.docx)."
)
TOO_SKEWED_NO = (
    "Bildet av skjemaet er tatt for skrått til at vi kan lese det. Ta et nytt bilde rett ovenfra, "
    "med hele arket i bildet, eller send det utfylte skjemaet som Word-fil (.docx)."
)


@dataclass
class Rule:
    """A table rule found on the page (pixels of the prepared page)."""

    horizontal: bool
    pos: float  # y of a horizontal rule, x of a vertical one
    start: float
    end: float
    thickness: float = 2.0  # pixels across


@dataclass
class PreparedPage:
    image: Image.Image  # black text on white, rules erased: what Tesseract reads
    straight: Image.Image  # the same page in grey, before thresholding (what a person is shown)
    dpi: float  # pixels per inch of `image`
    rules: list[Rule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # what was done (for provenance and debugging)
    ink: float = 0.0  # share of dark pixels, rules excluded

    @property
    def size_pt(self) -> tuple[float, float]:
        return (round(self.image.width * 72 / self.dpi, 1), round(self.image.height * 72 / self.dpi, 1))


# -- small array helpers --------------------------------------------------------------------------
def otsu(values: np.ndarray) -> int:
    """Otsu's threshold of 8-bit values."""
    hist = np.bincount(values.ravel(), minlength=256).astype(np.float64)
    total = hist.sum()
    if total == 0:
        return 128
    levels = np.arange(256)
    w0 = np.cumsum(hist)
    m0 = np.cumsum(hist * levels)
    w1 = total - w0
    mean_all = m0[-1]
    with np.errstate(divide="ignore", invalid="ignore"):
        between = (mean_all * w0 - m0 * total) ** 2 / (w0 * w1)
    between[~np.isfinite(between)] = 0
    return int(np.argmax(between))


# -- the page in a photo ------------------------------------------------------------------------
def _grow(seed: np.ndarray, mask: np.ndarray, limit: int = 2000) -> np.ndarray:
    """The part of `mask` connected to `seed` (4-neighbour region growing, whole-array steps)."""
    region: np.ndarray = seed & mask
    for _ in range(limit):
        grown = region.copy()
        grown[1:, :] |= region[:-1, :]
        grown[:-1, :] |= region[1:, :]
        grown[:, 1:] |= region[:, :-1]
        grown[:, :-1] |= region[:, 1:]
        grown &= mask
        if np.array_equal(grown, region):
            break
        region = grown
    return region


def find_page(grey: Image.Image) -> np.ndarray | None:
    """The page's four corners (TL, TR, BR, BL; pixels of `grey`) when the image shows a page on a
    darker background, or None when the page fills the image (a scan) or cannot be told apart."""
    scale = 400 / max(grey.size)
    small = grey.resize((max(1, round(grey.width * scale)), max(1, round(grey.height * scale))),
                        Image.Resampling.BOX).filter(ImageFilter.GaussianBlur(2))
    g = np.asarray(small)
    t = otsu(g)
    bright = g > t
    if bright.mean() > 0.97 or g[bright].mean() - g[~bright].mean() < 40:
        return None  # all paper, or no clear paper/background contrast: treat as a scan
    # An opening removes thin bright things (cables, reflections) touching the page.
    opened = Image.fromarray((bright * 255).astype(np.uint8)).filter(ImageFilter.MinFilter(5)) \
        .filter(ImageFilter.MaxFilter(5))
    mask = np.asarray(opened) > 127
    h, w = mask.shape
    seed = np.zeros_like(mask)
    seed[h // 2 - h // 8: h // 2 + h // 8, w // 2 - w // 8: w // 2 + w // 8] = True
    region = _grow(seed, mask)
    if region.mean() < 0.15:
        return None
    ys, xs = np.nonzero(region)
    s, d = xs + ys, xs - ys
    corners = np.array([
        (xs[np.argmin(s)], ys[np.argmin(s)]), (xs[np.argmax(d)], ys[np.argmax(d)]),
        (xs[np.argmax(s)], ys[np.argmax(s)]), (xs[np.argmin(d)], ys[np.argmin(d)]),
    ], dtype=np.float64)
    image_corners = np.array([(0, 0), (w - 1, 0), (w - 1, h - 1), (0, h - 1)], dtype=np.float64)
    if np.all(np.abs(corners - image_corners).max(axis=1) < 0.03 * max(w, h)):
        return None  # the page fills the frame
    return corners / scale


def corner_angles(quad: np.ndarray) -> list[float]:
    out = []
    for i in range(4):
        a, b, c = quad[i - 1], quad[i], quad[(i + 1) % 4]
        v1, v2 = a - b, c - b
        cos = float(np.dot(v1, v2) / (np.linalg.norm(v1) * np.linalg.norm(v2) + 1e-9))
        out.append(float(np.degrees(np.arccos(np.clip(cos, -1, 1)))))
    return out


def _perspective_coeffs(dst: np.ndarray, src: np.ndarray) -> list[float]:
    """Coefficients for PIL's PERSPECTIVE transform mapping output points `dst` to input points `src`."""
    rows = []
    rhs = []
    for (x, y), (u, v) in zip(dst, src, strict=True):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
        rhs += [u, v]
    return [float(c) for c in np.linalg.solve(np.array(rows, dtype=np.float64), np.array(rhs, dtype=np.float64))]


def page_dpi_in_photo(quad: np.ndarray) -> float:
    """The photo's own resolution of the page (pixels along its width per inch of A4); raises
    ScannedFile when the page is seen too much at a slant to be read however well it is unwarped."""
    angles = corner_angles(quad)
    top, bottom, left, right = _sides(quad)
    ratio = min(top / bottom, bottom / top, left / right, right / left)
    if max(abs(a - 90) for a in angles) > MAX_CORNER_DEVIATION or ratio < MIN_SIDE_RATIO:
        # The far end of the page has too few pixels to read, however well it is unwarped.
        raise errors.ScannedFile(f"the photo of the page is taken too much at a slant (corner angles "
                                 f"{', '.join(f'{a:.0f}' for a in angles)} degrees, sides {ratio:.2f})",
                                 message_no=TOO_SKEWED_NO)
    landscape = (top + bottom) > (left + right)
    short_in, long_in = A4_INCHES
    return float(max(top, bottom) / (long_in if landscape else short_in))


def _sides(quad: np.ndarray) -> tuple[float, float, float, float]:
    return (float(np.linalg.norm(quad[1] - quad[0])), float(np.linalg.norm(quad[2] - quad[3])),
            float(np.linalg.norm(quad[3] - quad[0])), float(np.linalg.norm(quad[2] - quad[1])))


def unwarp(grey: Image.Image, quad: np.ndarray, dpi: float) -> Image.Image:
    """The page cut out of a photo and straightened to A4 at `dpi`."""
    top, bottom, left, right = _sides(quad)
    landscape = (top + bottom) > (left + right)
    short_in, long_in = A4_INCHES
    w_in, h_in = (long_in, short_in) if landscape else (short_in, long_in)
    width, height = round(w_in * dpi), round(h_in * dpi)
    dst = np.array([(0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1)], dtype=np.float64)
    coeffs = _perspective_coeffs(dst, quad)
    # Bilinear: the page is thresholded afterwards, and bicubic costs twice the time for nothing seen.
    return grey.transform((width, height), Image.Transform.PERSPECTIVE, coeffs, Image.Resampling.BILINEAR,
                          fillcolor=255)


# -- straightening ------------------------------------------------------------------------------
def _profile_score(dark_small: Image.Image, angle: float) -> float:
    rotated = dark_small.rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    rows = np.asarray(rotated, dtype=np.float32).sum(axis=1)
    return float(np.square(np.diff(rows)).sum())


def skew_angle(dark: np.ndarray) -> float:
    """Degrees to rotate (counter-clockwise) so the text lines run level: the angle at which the
    row sums of the ink vary most sharply (lines of text and rules line up with pixel rows)."""
    img = Image.fromarray((dark * 255).astype(np.uint8))
    scale = 1000 / max(img.size)
    if scale < 1:
        img = img.resize((round(img.width * scale), round(img.height * scale)), Image.Resampling.BOX)
    best, best_score = 0.0, -1.0
    step = 0.5
    for a in np.arange(-DESKEW_RANGE, DESKEW_RANGE + 1e-9, step):
        score = _profile_score(img, float(a))
        if score > best_score:
            best, best_score = float(a), score
    centre = best
    for a in np.arange(centre - step, centre + step + 1e-9, 0.1):
        score = _profile_score(img, float(a))
        if score > best_score:
            best, best_score = float(a), score
    return round(best, 2)


# -- table rules --------------------------------------------------------------------------------
def _runs(dark: np.ndarray, length: int, axis: int) -> np.ndarray:
    """True on pixels that lie in a straight run of ink at least `length` long along `axis`."""
    a = dark if axis == 1 else dark.T
    h, w = a.shape
    if w < length:
        return np.zeros_like(dark)
    c = np.zeros((h, w + 1), dtype=np.int32)
    np.cumsum(a, axis=1, out=c[:, 1:])
    full = (c[:, length:] - c[:, :-length]) == length  # full[:, i]: pixels i .. i+length-1 all ink
    n = full.shape[1]
    s = np.zeros((h, n + 1), dtype=np.int32)
    np.cumsum(full, axis=1, out=s[:, 1:])
    # Pixel j lies in a run when a full window starts somewhere in [j-length+1, j].
    j = np.arange(w)
    lo = np.clip(j - length + 1, 0, n)
    hi = np.clip(j + 1, 0, n)
    out = (s[:, hi] - s[:, lo]) > 0
    return out if axis == 1 else out.T


def _segments(lines: np.ndarray, horizontal: bool, min_len: int, max_gap: int) -> list[Rule]:
    """Group rule pixels into rules: neighbouring rows (columns) that carry rule pixels. A rule may be
    broken (a 1-bit scan leaves it dashed): pieces in one band with gaps up to `max_gap` are one rule."""
    a = lines if horizontal else lines.T
    counts = a.sum(axis=1)
    rules: list[Rule] = []
    idx = np.nonzero(counts >= min_len)[0]
    if idx.size == 0:
        return rules
    groups: list[list[int]] = [[int(idx[0])]]
    for i in idx[1:]:
        if i - groups[-1][-1] <= 2:
            groups[-1].append(int(i))
        else:
            groups.append([int(i)])
    for g in groups:
        band = a[g[0]: g[-1] + 1].any(axis=0)
        xs = np.nonzero(band)[0]
        breaks = np.nonzero(np.diff(xs) > max_gap)[0]
        starts = np.concatenate(([0], breaks + 1))
        ends = np.concatenate((breaks, [xs.size - 1]))
        for s, e in zip(starts, ends, strict=True):
            if xs[e] - xs[s] >= min_len:
                rules.append(Rule(horizontal, (g[0] + g[-1]) / 2, float(xs[s]), float(xs[e]), float(g[-1] - g[0] + 1)))
    return rules


def find_rules(dark: np.ndarray, dpi: float) -> tuple[list[Rule], np.ndarray]:
    """The table rules and the mask of the ink to erase with them.

    Long runs are found at half resolution (a quarter of the work; a rule is still a run there).
    The erase mask is the ink in each rule's band from end to end, a pixel wider on each side, so
    that the dashes of a broken rule go too; a letter touching the rule loses a pixel row at most.
    """
    h, w = dark.shape
    half = dark[: h - h % 2, : w - w % 2]
    half = half[0::2, 0::2] | half[1::2, 0::2] | half[0::2, 1::2] | half[1::2, 1::2]
    h_len = max(10, int(0.6 * dpi))  # 1.2 inch at full resolution: longer than any word
    v_len = max(8, int(0.11 * dpi))  # taller than any letter
    rules = _segments(_runs(half, h_len, axis=1), True, h_len, int(0.2 * dpi)) + \
        _segments(_runs(half, v_len, axis=0), False, v_len, int(0.05 * dpi))
    erase = np.zeros_like(dark)
    for r in rules:
        r.pos, r.start, r.end, r.thickness = r.pos * 2 + 0.5, r.start * 2, r.end * 2 + 1, r.thickness * 2
        lo = max(0, int(r.pos - r.thickness / 2 - 2))
        hi = int(r.pos + r.thickness / 2 + 3)
        a, b = max(0, int(r.start) - 2), int(r.end) + 3
        if r.horizontal:
            erase[lo:hi, a:b] = True
        else:
            erase[a:b, lo:hi] = True
    return rules, erase & dark


# -- dust --------------------------------------------------------------------------------------
def _window_sums(c: np.ndarray, r: int, shape: tuple[int, int]) -> np.ndarray:
    """Sums over (2r+1)^2 windows from the integral image `c` (padded by r+1 above and left)."""
    h, w = shape
    k = 2 * r + 1
    sums: np.ndarray = c[k:k + h, k:k + w] - c[:h, k:k + w] - c[k:k + h, :w] + c[:h, :w]
    return sums


def despeckle(ink: np.ndarray, dpi: float) -> np.ndarray:
    """Ink without dust: tiny specks with no other ink near them. Left in, Tesseract reads a speck as
    "!" or "'" and stretches the box of the word next to it (which then leaves its line)."""
    r_small, r_big = max(1, round(0.012 * dpi)), max(2, round(0.03 * dpi))
    max_area = max(2, round((0.0115 * dpi) ** 2))
    h, w = ink.shape
    pad = r_big + 1
    padded = np.pad(ink, ((pad, r_big), (pad, r_big)))
    # uint16 wraps, but a window's sum is right modulo 2**16 and no window holds that many pixels.
    c = np.zeros((padded.shape[0] + 1, padded.shape[1] + 1), dtype=np.uint16)
    np.cumsum(np.cumsum(padded, axis=0, dtype=np.uint16), axis=1, dtype=np.uint16, out=c[1:, 1:])
    big = _window_sums(c, r_big, (h, w))
    off = r_big - r_small
    small = _window_sums(c[off:, off:], r_small, (h, w))
    speck = ink & (big == small) & (big <= max_area)
    clean: np.ndarray = ink & ~speck
    return clean


# -- orientation --------------------------------------------------------------------------------
def _line_bands(dark: np.ndarray) -> list[tuple[int, int]]:
    """Rows of text: runs of pixel rows with ink, split at the empty rows between lines."""
    rows = dark.sum(axis=1)
    inked = rows > max(2, 0.02 * dark.shape[1])
    bands: list[tuple[int, int]] = []
    start = None
    for y, on in enumerate(inked):
        if on and start is None:
            start = y
        elif not on and start is not None:
            bands.append((start, y))
            start = None
    if start is not None:
        bands.append((start, len(inked)))
    return bands


def upright_score(dark: np.ndarray) -> float:
    """Above 0 when Latin text stands upright, below 0 when it stands on its head: in each text line,
    ascenders and capitals (above the x-height band) carry more ink than descenders (below it)."""
    above = below = 0.0
    for top, bottom in _line_bands(dark):
        if not 4 <= bottom - top <= 60:
            continue
        profile = dark[top:bottom].sum(axis=1).astype(np.float64)
        core = np.nonzero(profile >= 0.45 * profile.max())[0]
        if core.size == 0:
            continue
        above += float(profile[: core[0]].sum())
        below += float(profile[core[-1] + 1:].sum())
    total = above + below
    return 0.0 if total == 0 else (above - below) / total


def _sharpest(dark: np.ndarray) -> tuple[float, float]:
    """The sharpest row profile of the page turned a few degrees either way, and at what angle (a
    tilted page's lines smear its level profile, and its rules and left-aligned text then make the
    columns look sharper)."""
    img = Image.fromarray((dark * 255).astype(np.uint8))
    return max((_profile_score(img, float(a)), float(a)) for a in np.arange(-DESKEW_RANGE, DESKEW_RANGE + 1e-9, 2.0))


def lines_run(dark: np.ndarray) -> tuple[int, float]:
    """(0 when the lines of text run across the picture, 90 when they run down it; their slant
    within two degrees, as seen in that direction): the profile, at the angle each looks best, is
    sharper along the lines than across them."""
    across, down = _sharpest(dark), _sharpest(np.rot90(dark))
    return (90, down[1]) if down[0] > 1.3 * across[0] else (0, across[1])


def is_sideways(dark: np.ndarray) -> bool:
    """True when the lines of text run down the picture, not across it."""
    return lines_run(dark)[0] == 90


def _rotated(dark: np.ndarray, angle: float) -> np.ndarray:
    img = Image.fromarray((dark * 255).astype(np.uint8)).rotate(angle, resample=Image.Resampling.NEAREST, fillcolor=0)
    return np.asarray(img) > 127


# -- the whole page -----------------------------------------------------------------------------
ANALYSIS_DPI = 100  # orientation and skew are measured on a page this fine (cheap, and enough)
WORK_FLOOR_DPI = 200  # a coarser page is scaled up to this before Tesseract reads it
SURE_UPRIGHT = 0.12  # upright_score at least this far from 0: no need to ask Tesseract


def working_dpi(dpi: float, target_dpi: int) -> float:
    """The resolution a page is read at: its own, scaled down to `target_dpi` when finer, and up to
    WORK_FLOOR_DPI when coarser. Tesseract scales every text line to one height before recognising
    it, so pixels beyond the page's own add time (layout analysis), not letters; a coarse page
    gains from smoothing before thresholding."""
    floor = min(WORK_FLOOR_DPI, target_dpi)
    if dpi > target_dpi * 1.05:
        return float(target_dpi)
    if dpi < floor * 0.95:
        return float(floor)
    return float(dpi)


def _flattened_dark(grey: Image.Image) -> np.ndarray:
    """Ink of a page under uneven light: the page divided by its background, then Otsu. The division
    is folded into the comparison (g * 255 < t * background), so no flattened page is made."""
    w, h = grey.size
    step = 8
    small = grey.resize((max(1, w // step), max(1, h // step)), Image.Resampling.BOX)
    background = small.filter(ImageFilter.MaxFilter(7)).filter(ImageFilter.GaussianBlur(6))
    back = np.maximum(np.asarray(background.resize((w, h), Image.Resampling.BILINEAR), dtype=np.uint16), 1)
    g = np.asarray(grey, dtype=np.uint16)
    sample = np.clip(g[::3, ::3].astype(np.float32) / back[::3, ::3] * 255.0, 0, 255).astype(np.uint8)
    t = min(otsu(sample), 200)  # paper after flattening sits near 255; above ~200 is noise in it
    ink: np.ndarray = g * 255 < back * t
    return ink


def prepare(grey: Image.Image, *, dpi: float | None, target_dpi: int, photo: bool,
            detect_orientation: Any = None) -> PreparedPage:
    """A page image (mode L) made ready for Tesseract.

    `dpi` is known for a rendered PDF page; for an image it is estimated from the page's size in
    pixels (phone JPEGs claim 72 dpi whatever they hold). `photo`: look for the page's corners.
    `detect_orientation(image) -> (degrees, confidence)` is Tesseract's OSD (passed in so this
    module needs no Tesseract), asked only when the page's own lines leave its orientation in doubt.
    The page is turned and straightened in one resampling, then thresholded once.
    """
    notes: list[str] = []
    grey, dpi = _page_at_working_resolution(grey, dpi, target_dpi, photo, notes)
    degrees, angle = _orientation_and_skew(grey, dpi, detect_orientation, notes)
    if degrees:
        # How far the page is turned clockwise; rot90 and ROTATE_n turn counter-clockwise.
        grey = grey.transpose({90: Image.Transpose.ROTATE_90, 180: Image.Transpose.ROTATE_180,
                               270: Image.Transpose.ROTATE_270}[degrees])
        notes.append(f"turned {degrees} degrees")
    if abs(angle) >= 0.1:
        grey = grey.rotate(angle, resample=Image.Resampling.BILINEAR, fillcolor=255)
        notes.append(f"straightened by {angle:+.2f} degrees")
    dark = _flattened_dark(grey)
    rules, rule_ink = find_rules(dark, dpi)
    text = despeckle(dark & ~rule_ink, dpi)
    image = Image.fromarray(np.where(text, 0, 255).astype(np.uint8))
    return PreparedPage(image=image, straight=grey, dpi=dpi, rules=rules, notes=notes, ink=float(text.mean()))


def _page_at_working_resolution(grey: Image.Image, dpi: float | None, target_dpi: int, photo: bool,
                                notes: list[str]) -> tuple[Image.Image, float]:
    """The page cut out of a photo (perspective corrected) and scaled to the resolution it is read at."""
    quad = find_page(grey) if photo else None
    if quad is not None:
        source_dpi = page_dpi_in_photo(quad)
        if source_dpi < MIN_DPI:
            raise errors.ScannedFile(f"the page in the photo is too small to read ({source_dpi:.0f} dpi)",
                                     message_no=TOO_SMALL_NO)
        dpi = working_dpi(source_dpi, target_dpi)
        grey = unwarp(grey, quad, dpi)
        notes.append(f"perspective corrected (page at ~{source_dpi:.0f} dpi in the photo, read at {dpi:.0f})")
    if dpi is None:
        # A scanned page fills the image: its long side is the page's (A4; Letter differs by 6%).
        dpi = max(grey.size) / A4_INCHES[1]
        notes.append(f"resolution estimated at {dpi:.0f} dpi from the page size")
    if dpi < MIN_DPI:
        raise errors.ScannedFile(f"the image has too few pixels for a page ({dpi:.0f} dpi)", message_no=TOO_SMALL_NO)
    work = working_dpi(dpi, target_dpi)
    if abs(work / dpi - 1) > 0.05:
        size = (round(grey.width * work / dpi), round(grey.height * work / dpi))
        grey = grey.resize(size, Image.Resampling.LANCZOS if work > dpi else Image.Resampling.BOX)
        dpi = work
    return grey, dpi


def _orientation_and_skew(grey: Image.Image, dpi: float, detect_orientation: Any,
                          notes: list[str]) -> tuple[int, float]:
    """How far the page is turned (0, 90, 180, 270) and its slant in degrees, from a small copy of the
    page: which way the lines run, their slant, and (with the lines level) which way up the letters stand."""
    k = ANALYSIS_DPI / dpi
    small = grey.resize((max(1, round(grey.width * k)), max(1, round(grey.height * k))), Image.Resampling.BOX)
    small_dark = _flattened_dark(small)
    # (The coarse angle lines_run finds is no start for the slant: the profile's peak is narrower
    # than its two-degree steps, and a search near it missed the slant of a fax page.)
    turn, _ = lines_run(small_dark)
    base = np.rot90(small_dark, turn // 90)
    angle = skew_angle(base)
    score = upright_score(_rotated(base, angle))
    degrees = turn + (180 if score < 0 else 0)
    if abs(score) < SURE_UPRIGHT and detect_orientation is not None:
        osd, conf = detect_orientation(Image.fromarray(np.where(_flattened_dark(grey), 0, 255).astype(np.uint8)))
        notes.append(f"orientation asked of Tesseract ({osd} degrees, confidence {conf:.1f})")
        if conf >= 1.0 and osd != degrees:
            if (osd - degrees) % 180:
                angle = skew_angle(np.rot90(small_dark, osd // 90))
            degrees = osd
    return degrees, angle


def exif_upright(image: Image.Image) -> Image.Image:
    """Apply the EXIF orientation a phone writes instead of turning the pixels."""
    try:
        return ImageOps.exif_transpose(image) or image
    except Exception:  # noqa: BLE001 - a broken EXIF block is no reason to refuse the picture
        return image
