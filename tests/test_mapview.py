"""The map builder (``webapp.mapview``) as pure functions: no browser, no Streamlit, no network."""

from __future__ import annotations

import base64
import html
import io
import re
from dataclasses import dataclass

import geopandas as gpd
import h3
import numpy as np
import pytest
from PIL import Image

from sitefinder.data.dataset import Dataset
from sitefinder.model.scenario import Scenario
from sitefinder.rank.shortlist import Shortlist, make_shortlist
from sitefinder.rank.study import Study
from sitefinder.report.colors import HEAT_RAMP, SCORE_RAMP, ramp_rgb
from sitefinder.report.zones import interface_label
from webapp import mapview
from webapp import raster as rasters

ASSET_BASE = "/app/static/leaflet"
LAYER_NAMES = ("Supply regions", "Grid nodes", "Exclusion zones", "Connectivity", "Ranked sites",
               "Network zones and interfaces")
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
PAYLOAD = f"Evil {SCRIPT} {IMG} & co"


@dataclass
class World:
    dataset: Dataset
    layers: mapview.DisplayLayers
    study: Study
    short: Shortlist
    raster: rasters.RasterGrid


@pytest.fixture(scope="module")
def world(pakistan_data: Dataset, h3_study: Study) -> World:
    dataset, study = pakistan_data, h3_study  # resolution 5: the map is the same at every resolution, only cheaper
    layers = mapview.prepare_layers(dataset)
    sc = Scenario(resolution=5)
    short = make_shortlist(study, sc, sc.apply())
    raster = rasters.candidate_raster(study.candidates, layers.bounds)
    return World(dataset, layers, study, short, raster)


def full_map(w: World, layers: mapview.DisplayLayers | None = None, shortlist: gpd.GeoDataFrame | None = None,
             **kwargs) -> mapview.folium.Map:
    """The map the app draws: both surfaces, the selection, the legend."""
    sl = w.short.frame if shortlist is None else shortlist
    score_png = rasters.raster_png(w.raster, w.short.result.score, 0, 100, SCORE_RAMP, alpha=190)
    climate = w.study.site["hours_above_35c"].to_numpy(float)
    climate_png = rasters.raster_png(w.raster, climate, 0, 2500, HEAT_RAMP, alpha=210)
    args = dict(asset_base=ASSET_BASE, season="winter", selected=str(sl["candidate_id"].iloc[0]) if len(sl) else None,
                score_png=score_png, climate_png=climate_png, zoom_to_selected=True)
    return mapview.build_map(layers or w.layers, sl, **{**args, **kwargs})


@pytest.fixture(scope="module")
def app_map(world: World) -> mapview.folium.Map:
    return full_map(world)


@pytest.fixture(scope="module")
def app_html(app_map: mapview.folium.Map) -> str:
    return mapview.map_html(app_map)


def overlay_names(html: str) -> list[str]:
    block = re.search(r"overlays\s*:\s*\{(.*?)\}", html, re.S)
    assert block, "no layer control in the map"
    return re.findall(r'"((?:[^"\\]|\\.)*)"\s*:\s*\w+', block.group(1))


def unescape_js(text: str) -> str:
    """What a browser's JSON/JS parser makes of ``\\uXXXX`` escapes (folium writes ``<`` as ``\\u003c``)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


# ------------------------------------------------------------------------------------------------
# Offline and complete


def test_no_external_urls(app_map: mapview.folium.Map, world: World) -> None:
    assert mapview.external_urls(app_map) == []
    assert mapview.external_urls(full_map(world, season="year_round", zoom_to_selected=False)) == []


def test_external_url_check_can_fail(world: World) -> None:
    """The check above is not vacuous: a CDN-backed plugin on the same map is reported."""
    from folium.plugins import Fullscreen  # noqa: PLC0415

    m = full_map(world)
    Fullscreen().add_to(m)
    urls = mapview.external_urls(m)
    assert urls and all(u.startswith(("http://", "https://", "//")) for u in urls)


def test_no_tiles_unless_asked(world: World, app_html: str) -> None:
    """Offline by default: no tile layer at all; the optional street map is the only online part."""
    assert "L.tileLayer" not in app_html
    online = mapview.map_html(full_map(world, online_tiles=True))
    assert "L.tileLayer" in online and "openstreetmap" in online.lower()


def test_html_loads_only_local_assets(app_html: str) -> None:
    tags = re.findall(r"<(?:script|link)\b[^>]*>", app_html, re.I)
    refs = [m for t in tags for m in re.findall(r"""(?:src|href)\s*=\s*["']?([^"'\s>]+)""", t, re.I)]
    assert sorted(refs) == [f"{ASSET_BASE}/leaflet.css", f"{ASSET_BASE}/leaflet.js"]
    for tag in tags:
        assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", tag, re.I), tag
    assert "$(" not in app_html  # jQuery is not loaded, so nothing may call it
    assert "jquery" not in app_html.lower()


def test_html_names_layers_and_has_legend(app_html: str) -> None:
    names = overlay_names(app_html)
    for wanted in LAYER_NAMES:
        assert any(n.startswith(wanted) for n in names), (wanted, names)
    legend = re.search(r'<details id="sf-legend".*?</details>', app_html, re.S)
    assert legend, "no legend"
    for wanted in ("Legend", "Ranked sites", "Grid nodes", "Supply regions", "Climate", "exclusion zone"):
        assert wanted in legend.group(0), wanted


def test_html_is_small(app_html: str) -> None:
    assert len(app_html.encode("utf-8")) < 5 * 1024 * 1024


def test_year_round_map_uses_the_leaner_season(world: World) -> None:
    html = mapview.map_html(full_map(world, season="year_round"))
    assert any(n.startswith("Supply regions: year-round") for n in overlay_names(html))


# ------------------------------------------------------------------------------------------------
# Data never becomes markup


def _poison(frame: gpd.GeoDataFrame, column: str, rows: int = 1) -> gpd.GeoDataFrame:
    out = frame.copy()
    out[column] = out[column].astype(object)
    out.iloc[:rows, out.columns.get_loc(column)] = PAYLOAD
    return out


POISONED_LAYERS = [("grid_nodes", "name"), ("supply_regions", "name"), ("exclusions", "reason"),
                   ("exclusions", "name"), ("connectivity", "name"), ("supply_regions", "surplus_winter_binding"),
                   ("zones", "name"), ("zones", "surplus_summer_binding"), ("interfaces", "name"), ("interfaces", "basis")]
POISONED_SHORTLIST = ["grid_node", "region", "district", "data_gaps", "surplus_area_name", "surplus_binding"]


def assert_only_escaped(html: str, where: str) -> None:
    seen = unescape_js(html)  # the strings as JavaScript will hand them to innerHTML
    for raw in (SCRIPT, IMG, "<script>alert", "onerror=alert(2)>"):
        assert raw not in seen, f"{where}: {raw!r} reaches the page unescaped"
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in seen, f"{where}: the payload is not on the map at all"
    assert "&lt;img src=x onerror=alert(2)&gt;" in seen
    # every alert() is inside escaped text
    for m in re.finditer(r"alert\([12]\)", seen):
        before = seen[max(0, m.start() - 30):m.start()]
        assert "&lt;script&gt;" in before or "&lt;img src=x onerror=" in before, (where, seen[m.start() - 60:m.end() + 20])
    assert "&amp;lt;" not in seen, f"{where}: escaped twice (users would see '&lt;')"


@pytest.mark.parametrize(("kind", "column"), POISONED_LAYERS, ids=[f"{k}.{c}" for k, c in POISONED_LAYERS])
def test_layer_text_is_escaped(world: World, kind: str, column: str) -> None:
    dataset = world.dataset.with_layer(kind, _poison(world.dataset[kind], column))
    layers = mapview.prepare_layers(dataset)
    assert_only_escaped(mapview.map_html(full_map(world, layers=layers)), f"{kind}.{column}")


@pytest.mark.parametrize("column", POISONED_SHORTLIST)
def test_shortlist_text_is_escaped(world: World, column: str) -> None:
    shortlist = _poison(world.short.frame, column, rows=3)
    assert_only_escaped(mapview.map_html(full_map(world, shortlist=shortlist)), f"shortlist.{column}")


def test_everything_poisoned_at_once(world: World) -> None:
    dataset = world.dataset
    for kind, column in POISONED_LAYERS:
        dataset = dataset.with_layer(kind, _poison(dataset[kind], column, rows=3))
    layers = mapview.prepare_layers(dataset)
    html = mapview.map_html(full_map(world, layers=layers, shortlist=_poison(world.short.frame, "grid_node", rows=5)))
    assert_only_escaped(html, "all layers")
    assert mapview.external_urls(full_map(world, layers=layers)) == []


# ------------------------------------------------------------------------------------------------
# Raster surfaces


def decode_png(url: str) -> Image.Image:
    prefix = "data:image/png;base64,"
    assert url.startswith(prefix)
    img = Image.open(io.BytesIO(base64.b64decode(url[len(prefix):], validate=True)))
    img.load()
    assert img.format == "PNG"
    return img


def test_raster_shape_follows_web_mercator(world: World) -> None:
    x0, y0, x1, y1 = world.layers.bounds
    merc = np.log(np.tan(np.pi / 4 + np.radians([y0, y1]) / 2))
    expected_height = round(560 * (merc[1] - merc[0]) / np.radians(x1 - x0))
    assert world.raster.index.shape == (expected_height, 560)
    assert world.raster.bounds == world.layers.bounds


def test_raster_pixels_fall_in_their_cells(world: World) -> None:
    """Independent check: the centre of a pixel lies in the H3 cell the raster says (or in none)."""
    idx = world.raster.index
    h, w = idx.shape
    x0, y0, x1, y1 = world.layers.bounds
    my0, my1 = np.log(np.tan(np.pi / 4 + np.radians([y0, y1]) / 2))
    ids = world.study.candidates.ids
    known = set(ids)
    rng = np.random.default_rng(7)
    inside = np.argwhere(idx >= 0)
    outside = np.argwhere(idx < 0)
    assert len(inside) and len(outside)
    picks = np.concatenate([inside[rng.choice(len(inside), 150, replace=False)],
                            outside[rng.choice(len(outside), 150, replace=False)]])
    for r, c in picks:
        lon = x0 + (c + 0.5) * (x1 - x0) / w
        lat = np.degrees(2 * np.arctan(np.exp(my1 - (r + 0.5) * (my1 - my0) / h)) - np.pi / 2)
        cell = h3.latlng_to_cell(lat, lon, 5)
        if idx[r, c] >= 0:
            assert ids[idx[r, c]] == cell, (r, c)
        else:
            assert cell not in known, (r, c)


def test_raster_png_colours_and_transparency(world: World) -> None:
    grid = world.raster
    n = len(world.study.candidates)
    values = np.linspace(0, 100, n)
    values[::7] = np.nan  # unknown values are transparent
    url = rasters.raster_png(grid, values, 0, 100, SCORE_RAMP, alpha=190)
    img = decode_png(url)
    h, w = grid.index.shape
    assert img.size == (w, h) and img.mode == "RGBA"
    px = np.asarray(img)
    idx = grid.index
    outside = idx < 0
    assert outside.any() and (px[outside, 3] == 0).all()
    vals = np.where(idx >= 0, values[np.clip(idx, 0, None)], np.nan)
    unknown = (idx >= 0) & np.isnan(vals)
    known = (idx >= 0) & ~np.isnan(vals)
    assert unknown.any() and (px[unknown, 3] == 0).all()
    assert known.any() and (px[known, 3] == 190).all()
    assert (px[known, :3] == ramp_rgb(vals[known], 0, 100, SCORE_RAMP)).all()

    shown = np.asarray(decode_png(rasters.raster_png(grid, values, 0, 100, SCORE_RAMP, alpha=120, show_nan=True)))
    assert (shown[idx >= 0, 3] == 120).all() and (shown[outside, 3] == 0).all()
    assert (shown[unknown, :3] == 160).all()  # NaN drawn grey when asked


def test_score_png_from_real_scores(world: World) -> None:
    score = world.short.result.score
    img = np.asarray(decode_png(rasters.raster_png(world.raster, score, 0, 100, SCORE_RAMP, alpha=190)))
    idx = world.raster.index
    covered = np.unique(idx[idx >= 0])
    assert len(covered) > 0.8 * len(world.study.candidates)  # nearly every cell shows up at 560 px
    feasible = np.isfinite(score)
    visible = img[..., 3] > 0
    assert visible.any()
    assert not visible[idx < 0].any()
    assert (visible[idx >= 0] == feasible[idx[idx >= 0]]).all()


# ------------------------------------------------------------------------------------------------
# The network model: zones, interfaces, and the zone a site or region draws on


def _features(html: str, marker: str) -> list[str]:
    """The popup texts (as JavaScript hands them to the page) of the features whose popup contains ``marker``."""
    seen = unescape_js(html)
    return [p for p in re.findall(r'"popup": "((?:[^"\\]|\\.)*)"', seen) if marker in p]


def test_network_layer_draws_every_interface_with_its_limit_and_flow(world: World, app_html: str) -> None:
    interfaces = world.dataset["interfaces"]
    assert world.layers.interfaces is not None and len(world.layers.interfaces) == len(interfaces)
    assert world.layers.zones is not None and len(world.layers.zones) == len(world.dataset["zones"])
    labels = re.findall(r"class='sf-ifc'[^>]*>([^<]*)</div>", unescape_js(app_html))
    assert sorted(labels) == sorted(html.escape(interface_label(r)) for _, r in interfaces.iterrows())
    hvdc = interfaces[interfaces["interface"] == "hvdc"].iloc[0]
    flow = max(hvdc["flow_max_forward_mw"], hvdc["flow_max_backward_mw"])
    assert f"{hvdc['limit_mw']:,.0f} ({hvdc['limit_mw_low']:,.0f}-{hvdc['limit_mw_high']:,.0f}) MW · flow {flow:,.0f}" in labels
    popups = _features(app_html, "Largest modelled flow")
    assert len(popups) == len(interfaces)
    hvdc_popup = next(p for p in popups if html.escape(hvdc["name"]) in p)
    assert f"{hvdc['flow_max_forward_mw']:,.0f} MW south -&gt; central_punjab" in hvdc_popup
    assert f"in {hvdc['hours_at_limit_share']:.0%} of the modelled cases" in hvdc_popup


def test_network_layer_is_off_until_asked_for(app_html: str) -> None:
    name = next(n for n in overlay_names(app_html) if n.startswith("Network zones and interfaces"))
    group = re.search(r'"' + re.escape(name) + r'"\s*:\s*(\w+)', app_html)
    assert group, name
    assert not re.search(re.escape(group.group(1)) + r"\.addTo\(", app_html), "the network layer is drawn at first"
    legend = re.search(r'<details id="sf-legend".*?</details>', app_html, re.S)
    assert legend and "Network zones" in legend.group(0) and "limit estimated" in legend.group(0)


def test_zone_popups_give_both_seasons_with_range_binding_and_cost(world: World, app_html: str) -> None:
    zones = world.dataset["zones"]
    popups = _features(app_html, ": network zone</b>")
    assert len(popups) == len(zones)
    ke = zones[zones["zone"] == "ke"].iloc[0]
    text = next(p for p in popups if "[ke]" in p)
    for season in ("winter", "summer"):
        col = f"surplus_{season}_mw"
        assert f"{ke[col]:,.0f} MW (estimate, {ke[col + '_low']:,.0f}-{ke[col + '_high']:,.0f})" in text
        assert html.escape(ke[f"surplus_{season}_binding"]) in text
        c, lo, hi = (ke[f"surplus_{season}_cost_pkr_per_kwh{end}"] for end in ("", "_low", "_high"))
        assert f"about {c:.1f} PKR/kWh ({lo:.1f}-{hi:.1f}; estimate" in text


def test_region_popups_name_their_zone_and_its_surplus(world: World, app_html: str) -> None:
    regions = world.dataset["supply_regions"]
    names = dict(zip(world.dataset["zones"]["zone"], world.dataset["zones"]["name"]))
    popups = _features(app_html, "supply region</b>")
    assert len(popups) == len(regions)
    for _, r in regions.iterrows():
        text = next(p for p in popups if f"<b>{html.escape(r['name'])} supply region</b>" in p)
        if isinstance(r["zone"], str):
            assert f"<th>Network zone</th><td>{html.escape(names[r['zone']])} [{r['zone']}]</td>" in text
            assert f"<th>Winter surplus (its zone&#x27;s, deliverable)</th><td>{r['surplus_winter_mw']:,.0f} MW" in text
            assert html.escape(r["surplus_winter_binding"]) in text
        else:
            assert "none: the region&#x27;s own figures" in text


def test_site_popups_give_zone_surplus_binding_and_price(world: World, app_html: str) -> None:
    table = world.short.table
    popups = _features(app_html, "<th>What limits it</th>")
    assert len(popups) == len(table)
    for _, r in table.iterrows():
        text = next(p for p in popups if f"<b>#{int(r['rank'])}: score" in p)
        assert f"<th>Network zone</th><td>{html.escape(r['surplus_area_name'])} [{r['zone']}]</td>" in text
        assert (f"<th>Surplus (the zone&#x27;s, deliverable)</th><td>{r['region_surplus_mw']:,.0f} MW (estimate, "
                f"{r['region_surplus_mw_low']:,.0f}-{r['region_surplus_mw_high']:,.0f})</td>") in text
        assert f"<th>What limits it</th><td>{html.escape(r['surplus_binding'])}</td>" in text
        c, lo, hi = (r[f"surplus_cost_pkr_per_kwh{end}"] for end in ("", "_low", "_high"))
        assert f"about {c:.1f} PKR/kWh ({lo:.1f}-{hi:.1f}; estimate" in text


def test_a_dataset_without_zones_or_interfaces_still_draws(world: World) -> None:
    layers = {k: v for k, v in world.dataset.layers.items() if k not in ("zones", "interfaces")}
    plain = Dataset(world.dataset.name, layers, version="no-network")
    display = mapview.prepare_layers(plain)
    assert display.zones is None and display.interfaces is None
    page = mapview.map_html(full_map(world, layers=display))
    assert not any(n.startswith("Network zones") for n in overlay_names(page))
    assert "sf-ifc" not in page and "Network zones" not in page
    only_zones = mapview.prepare_layers(plain.with_layer("zones", world.dataset["zones"]))
    assert only_zones.interfaces is None and only_zones.zones is not None
    assert any(n.startswith("Network zones") for n in overlay_names(mapview.map_html(full_map(world, layers=only_zones))))


def test_raster_png_with_more_candidates_than_pixels_colours_what_the_pixels_show() -> None:
    """At resolution 8 a million candidates fall on ~300,000 pixels: only the candidates a pixel shows are coloured,
    and every pixel is what colouring it alone would give."""
    rng = np.random.default_rng(8)
    n = 5_000
    index = rng.integers(-1, n, size=(40, 30))  # 1,200 pixels, some outside every candidate
    grid = rasters.RasterGrid(index, (60.0, 23.0, 78.0, 37.0))
    values = rng.uniform(0, 100, n)
    values[rng.random(n) < 0.3] = np.nan
    for show_nan in (False, True):
        px = np.asarray(decode_png(rasters.raster_png(grid, values, 0, 100, SCORE_RAMP, alpha=190, show_nan=show_nan)))
        vals = np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)
        drawn = (index >= 0) & (~np.isnan(vals) | show_nan)
        assert (px[~drawn, 3] == 0).all() and (px[drawn, 3] == 190).all()
        assert (px[drawn, :3] == ramp_rgb(vals[drawn], 0, 100, SCORE_RAMP)).all()
