"""Climate rasters (GeoTIFF) read without GDAL: the georeferencing tags are parsed here.

A climate raster is either
* **monthly**: 24 bands, mean daily maximum temperature for January..December then mean daily minimum
  for January..December (°C); all climate metrics are computed from them as for stations; or
* **one metric**: a single band holding one of the metrics (e.g. ``cooling_degree_days``), named by the user.

Only north-up rasters with an EPSG-coded CRS are accepted (what QGIS and GDAL write by default). A raster
without a CRS is an error, never a guess. Pixels are sampled at candidate points (nearest pixel); pixels
outside the raster or equal to its nodata value are unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tifffile
from numpy.typing import NDArray
from pyproj import CRS, Transformer

from sitefinder.data.io import check_file
from sitefinder.errors import FileTooLargeError, LayerError, Problem, UnsupportedFormatError
from sitefinder.model.vocabulary import METRIC_COLUMNS

MAX_RASTER_BYTES = 200 * 1024 * 1024
MAX_PIXELS = 60_000_000
TIFF_MAGIC = (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+")
MONTHLY_BANDS = 24
_GEO_KEY_GEOGRAPHIC = 2048
_GEO_KEY_PROJECTED = 3072


@dataclass(frozen=True)
class ClimateRaster:
    """Raster values (bands, rows, cols), the affine origin/pixel size in the raster CRS, and what the bands mean."""

    data: NDArray[np.float64]
    origin: tuple[float, float]  # x of the left edge, y of the top edge
    pixel: tuple[float, float]   # pixel width (>0), pixel height (>0; rows go down)
    crs: CRS
    meaning: str                 # "monthly" or a metric name
    source: str

    def sample(self, lon: NDArray[np.float64], lat: NDArray[np.float64]) -> NDArray[np.float64]:
        """(n, bands) values at WGS84 points; NaN outside the raster or at nodata."""
        x, y = Transformer.from_crs(4326, self.crs, always_xy=True).transform(np.asarray(lon), np.asarray(lat))
        col = np.floor((np.asarray(x) - self.origin[0]) / self.pixel[0]).astype(np.int64)
        row = np.floor((self.origin[1] - np.asarray(y)) / self.pixel[1]).astype(np.int64)
        bands, h, w = self.data.shape
        ok = (col >= 0) & (col < w) & (row >= 0) & (row < h)
        out = np.full((len(col), bands), np.nan)
        out[ok] = self.data[:, row[ok], col[ok]].T
        return out


def _problem(source: str, message: str, fix: str) -> LayerError:
    return LayerError(source, [Problem(source, message, fix)])


def read_climate_raster(path: str | Path, *, meaning: str = "monthly", display_name: str | None = None) -> ClimateRaster:
    """Read and check a GeoTIFF climate raster (see the module docstring for the band layout)."""
    p = Path(path)
    name = display_name or str(p)
    head = check_file(p, MAX_RASTER_BYTES, name=name)[:4]
    if head not in TIFF_MAGIC:
        raise UnsupportedFormatError(f"{name}: is not a TIFF file. A climate raster must be a GeoTIFF.")
    if meaning != "monthly" and meaning not in METRIC_COLUMNS:
        raise _problem(name, f"'{meaning}' is not a climate metric.", f"Use 'monthly' or one of: {', '.join(METRIC_COLUMNS)}.")
    try:
        with tifffile.TiffFile(p) as tif:
            page = tif.pages.first  # a TiffPage (the first page always is)
            tags = {t.name: t.value for t in page.tags.values()}
            shape = tif.series[0].shape
            if int(np.prod(shape)) > MAX_PIXELS:
                raise FileTooLargeError(f"{name}: has {int(np.prod(shape)):,} values; the limit is {MAX_PIXELS:,}. "
                                        "Coarsen or clip the raster.")
            data = tif.series[0].asarray().astype(float)
    except (tifffile.TiffFileError, ValueError, IndexError, KeyError, OSError) as exc:
        raise UnsupportedFormatError(f"{name}: could not be read as a GeoTIFF ({exc}).") from None

    if data.ndim == 2:
        data = data[None, :, :]
    elif data.ndim == 3 and data.shape[-1] in (MONTHLY_BANDS, 1) and data.shape[0] not in (MONTHLY_BANDS, 1):
        data = np.moveaxis(data, -1, 0)  # pixel-interleaved (rows, cols, bands)
    if data.ndim != 3:
        raise _problem(name, f"has an unexpected shape {data.shape}.", "Save it as a band-sequential GeoTIFF.")
    want = MONTHLY_BANDS if meaning == "monthly" else 1
    if data.shape[0] != want:
        raise _problem(name, f"has {data.shape[0]} band(s); a {'monthly' if want == 24 else meaning} raster needs {want}.",
                       "Monthly rasters hold tmax for Jan..Dec then tmin for Jan..Dec (24 bands, °C); "
                       "a one-metric raster has one band.")
    nodata = tags.get("GDAL_NODATA")
    if nodata not in (None, ""):
        try:
            data[data == float(str(nodata).strip("\x00 "))] = np.nan
        except ValueError:
            pass
    scale, tie, keys = tags.get("ModelPixelScaleTag"), tags.get("ModelTiepointTag"), tags.get("GeoKeyDirectoryTag")
    if "ModelTransformationTag" in tags and not scale:
        raise _problem(name, "is rotated or sheared.", "Warp it to a north-up grid (e.g. gdalwarp) and save again.")
    if not scale or not tie or len(tie) < 6:
        raise _problem(name, "has no georeferencing (no pixel scale or tie point).", "Save it as a GeoTIFF with its CRS.")
    epsg = None
    if keys:
        entries = np.asarray(keys, dtype=np.int64)[4:].reshape(-1, 4)
        for key, loc, _count, value in entries:
            if key in (_GEO_KEY_PROJECTED, _GEO_KEY_GEOGRAPHIC) and loc == 0 and 1024 <= value < 32767:
                epsg = int(value)
                if key == _GEO_KEY_PROJECTED:
                    break
    if epsg is None:
        raise _problem(name, "has no coordinate reference system (no EPSG code in its GeoKeys).",
                       "Assign the CRS (e.g. EPSG:4326) when saving; sitefinder never guesses a CRS.")
    ti, tj, _tk, tx, ty, _tz = (float(v) for v in tie[:6])
    sx, sy = float(scale[0]), float(scale[1])
    if sx <= 0 or sy <= 0:
        raise _problem(name, "has a pixel size of zero or less.", "Save it as a north-up GeoTIFF.")
    values = data[np.isfinite(data)]
    if meaning == "monthly" and len(values) and (values.min() < -80 or values.max() > 70):
        raise _problem(name, f"has temperatures from {values.min():g} to {values.max():g}, outside -80..70 °C.",
                       "Monthly bands must be °C (not Kelvin or tenths of a degree).")
    # the source an export records is the file's own name, not where it sits on this machine
    return ClimateRaster(data, (tx - ti * sx, ty + tj * sy), (sx, sy), CRS.from_epsg(epsg), meaning, display_name or p.name)
