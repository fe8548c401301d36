"""Climate rasters: GeoTIFFs read without GDAL, checked, sampled at candidates, and used in the ranking."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import tifffile

from sitefinder.data.climate_raster import read_climate_raster
from sitefinder.data.dataset import Dataset
from sitefinder.errors import FileTooLargeError, LayerError, SitefinderError, UnsupportedFormatError
from sitefinder.measure.climate import metrics_from_monthly
from sitefinder.rank.study import Study

PX = 0.5
X0, Y0 = 60.0, 38.0
W, H = 36, 30


def geokeys(epsg: int | None) -> tuple[int, ...]:
    if epsg is None:
        return (1, 1, 0, 1, 1024, 0, 1, 2)
    return (1, 1, 0, 3, 1024, 0, 1, 2, 1025, 0, 1, 1, 2048, 0, 1, epsg)


def write_tif(path: Path, data: np.ndarray, *, epsg: int | None = 4326, georef: bool = True, nodata: str | None = None) -> Path:
    tags = []
    if georef:
        tags += [(33550, "d", 3, (PX, PX, 0.0), False), (33922, "d", 6, (0, 0, 0, X0, Y0, 0), False)]
    tags.append((34735, "H", len(geokeys(epsg)), geokeys(epsg), False))
    if nodata is not None:
        tags.append((42113, "s", 0, nodata, False))
    layout = {"planarconfig": "separate"} if data.ndim == 3 and data.shape[0] > 1 else {}
    tifffile.imwrite(path, data.astype(np.float32).squeeze(), extratags=tags, photometric="minisblack", **layout)
    return path


def monthly(hot: float = 44.0) -> np.ndarray:
    """24 bands: tmax rising southwards (rows go south), tmin 12 °C lower."""
    lat = Y0 - (np.arange(H) + 0.5) * PX
    base = hot - (lat - 24) * 1.2
    tmax = np.stack([np.tile((base - 10 + 10 * np.sin(np.pi * m / 11))[:, None], (1, W)) for m in range(12)])
    return np.concatenate([tmax, tmax - 12])


def test_monthly_raster_is_read_georeferenced_and_sampled(tmp_path: Path) -> None:
    data = monthly()
    r = read_climate_raster(write_tif(tmp_path / "m.tif", data))
    assert r.data.shape == (24, H, W) and r.crs.to_epsg() == 4326 and r.meaning == "monthly"
    lon, lat = np.array([67.02, 74.3, 10.0]), np.array([24.86, 31.55, 10.0])
    got = r.sample(lon, lat)
    col = np.floor((lon[:2] - X0) / PX).astype(int)
    row = np.floor((Y0 - lat[:2]) / PX).astype(int)
    np.testing.assert_allclose(got[:2], data[:, row, col].T.astype(np.float32), rtol=0, atol=1e-5)
    assert np.isnan(got[2]).all(), "a point outside the raster must be unknown, not zero"


def test_nodata_pixels_are_unknown(tmp_path: Path) -> None:
    data = monthly()
    data[:, 27, 14] = -9999
    r = read_climate_raster(write_tif(tmp_path / "n.tif", data, nodata="-9999"))
    lon, lat = X0 + 14.5 * PX, Y0 - 27.5 * PX
    assert np.isnan(r.sample(np.array([lon]), np.array([lat]))).all()


@pytest.mark.parametrize(("case", "error", "fragment"), [
    ("no_crs", LayerError, "no coordinate reference system"),
    ("no_georef", LayerError, "no georeferencing"),
    ("wrong_bands", LayerError, "needs 24"),
    ("kelvin", LayerError, "outside -80..70"),
    ("not_tiff", UnsupportedFormatError, "not a TIFF"),
    ("png_named_tif", UnsupportedFormatError, "not a TIFF"),
])
def test_bad_rasters_are_refused_with_a_fix(tmp_path: Path, case: str, error: type, fragment: str) -> None:
    path = tmp_path / f"{case}.tif"
    if case == "no_crs":
        write_tif(path, monthly(), epsg=None)
    elif case == "no_georef":
        write_tif(path, monthly(), georef=False)
    elif case == "wrong_bands":
        write_tif(path, monthly()[:12])
    elif case == "kelvin":
        write_tif(path, monthly() + 273.15)
    elif case == "not_tiff":
        path.write_text("<OGRVRTDataSource></OGRVRTDataSource>")
    else:
        path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 64)
    with pytest.raises(error) as info:
        read_climate_raster(path)
    assert isinstance(info.value, SitefinderError)
    assert fragment in str(info.value) and f"{case}.tif" in str(info.value)


def test_oversized_raster_is_refused_before_reading(tmp_path: Path) -> None:
    path = tmp_path / "huge.tif"
    with path.open("wb") as fh:
        fh.write(b"II*\x00")
        fh.truncate(300 * 1024**2)  # sparse: no disk used
    with pytest.raises(FileTooLargeError, match="limit is"):
        read_climate_raster(path)


def test_raster_replaces_station_climate_where_it_has_values(tmp_path: Path, pakistan_data: Dataset, h3_study: Study) -> None:
    ds = pakistan_data
    data = monthly(hot=50.0)
    raster = read_climate_raster(write_tif(tmp_path / "m.tif", data))
    base = h3_study.site
    used = Study.on_h3(ds.with_climate_raster(raster), 5).site
    assert (used["climate_source"].astype(str).str.startswith("raster")).mean() > 0.95
    # The metrics are exactly those of the sampled monthly values.
    sampled = raster.sample(used["lon"].to_numpy(), used["lat"].to_numpy())
    expect = metrics_from_monthly(sampled[:, :12], sampled[:, 12:])["cooling_degree_days"]
    have = np.isfinite(expect)
    np.testing.assert_allclose(used["cooling_degree_days"].to_numpy()[have], expect[have])
    assert not np.allclose(used["cooling_degree_days"], base["cooling_degree_days"])


def test_one_metric_raster_changes_only_that_metric(tmp_path: Path, pakistan_data: Dataset, h3_study: Study) -> None:
    ds = pakistan_data
    raster = read_climate_raster(write_tif(tmp_path / "h.tif", np.full((1, H, W), 123.0)), meaning="hours_above_35c")
    base = h3_study.site
    used = Study.on_h3(ds.with_climate_raster(raster), 5).site
    inside = used["climate_source"].astype(str).str.startswith("raster").to_numpy()
    assert inside.any()
    assert (used.loc[inside, "hours_above_35c"] == 123.0).all()
    np.testing.assert_array_equal(used["cooling_degree_days"], base["cooling_degree_days"])


def test_cli_ranks_with_a_climate_raster(tmp_path: Path) -> None:
    tif = write_tif(tmp_path / "m.tif", monthly())
    out = tmp_path / "s.csv"
    ok = subprocess.run([sys.executable, "-m", "sitefinder.cli", "rank", "--climate-raster", str(tif), "--top", "5",
                         "--csv", str(out)], capture_output=True, text=True, timeout=300)
    assert ok.returncode == 0, ok.stderr
    assert "climate from" in ok.stderr and "raster m.tif" in out.read_text()
    bad = tmp_path / "bad.tif"
    write_tif(bad, monthly(), epsg=None)
    fail = subprocess.run([sys.executable, "-m", "sitefinder.cli", "rank", "--climate-raster", str(bad)],
                          capture_output=True, text=True, timeout=300)
    assert fail.returncode == 2 and "no coordinate reference system" in fail.stderr and "Traceback" not in fail.stderr
