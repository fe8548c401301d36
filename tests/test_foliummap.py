"""The app's map component (``webapp.foliummap``) sends the browser exactly what ``st_folium`` would send for the
same map, although it renders the base map once instead of on every run. Both are run with the component
function replaced by a recorder (no Streamlit server, no browser)."""

from __future__ import annotations

import os
import time
from typing import Any

import folium
import pytest
import streamlit_folium

from sitefinder.data.dataset import Dataset
from sitefinder.model.scenario import Scenario
from sitefinder.rank.shortlist import make_shortlist
from sitefinder.rank.study import Study
from sitefinder.report.colors import SCORE_RAMP
from webapp import foliummap, mapview
from webapp import raster as rasters

ASSET_BASE = "/app/static/leaflet"
RETURNED = ["last_object_clicked", "last_clicked"]


@pytest.fixture(scope="module")
def pieces(pakistan_data: Dataset, h3_study: Study) -> dict[str, Any]:
    layers = mapview.prepare_layers(pakistan_data)
    raster = rasters.candidate_raster(h3_study.candidates, layers.bounds)
    shorts = []
    for weight in (20.0, 80.0):  # two rankings: the base map is the same, the sites differ
        sc = Scenario(resolution=5, weights={"hours_above_35c": weight})
        shorts.append(make_shortlist(h3_study, sc, sc.apply()))
    return {"layers": layers, "raster": raster, "shorts": shorts}


def _base(p: dict[str, Any]) -> folium.Map:
    return mapview.base_map(p["layers"], asset_base=ASSET_BASE, season="winter")


def _groups(p: dict[str, Any], k: int, rings: bool = False) -> list[folium.FeatureGroup]:
    short = p["shorts"][k]
    png = rasters.raster_png(p["raster"], short.result.score, 0, 100, SCORE_RAMP, alpha=190)
    groups = mapview.site_layers(p["layers"], short.frame, selected=str(short.frame["candidate_id"].iloc[1]), score_png=png)
    if rings:
        f = short.frame.head(5)
        groups.append(mapview.ring_layer(f, name="Programme sites (MW)", colour="#1a9850",
                                         labels=[f"P{i}" for i in range(len(f))], tips=["tip"] * len(f)))
    return groups


class Recorder:
    """Stands in for streamlit-folium's component function and keeps the arguments of each call."""

    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.pop("on_change")  # a closure made per call: compared by what it does, below
        self.calls.append(kwargs)
        return kwargs["default"]


@pytest.mark.parametrize(("k", "rings", "view"), [(0, False, None), (1, True, ((27.0, 68.0), 9))])
def test_the_component_gets_what_st_folium_sends(pieces: dict[str, Any], monkeypatch: pytest.MonkeyPatch,
                                                 k: int, rings: bool, view: Any) -> None:
    recorder = Recorder()
    monkeypatch.setattr(streamlit_folium, "_component_func", recorder)
    center, zoom = view if view else (None, None)
    streamlit_folium.st_folium(_base(pieces), key="map", height=680, use_container_width=True, returned_objects=RETURNED,
                               feature_group_to_add=_groups(pieces, k, rings), layer_control=folium.LayerControl(collapsed=True),
                               center=center, zoom=zoom)
    text = foliummap.render_base(_base(pieces))  # a fresh base map each time: rendering uses one up
    names = [g.layer_name for g in _groups(pieces, k, rings)]
    control = foliummap.layer_control_text(_base(pieces), names, folium.LayerControl(collapsed=True))
    foliummap.show_map(text, _groups(pieces, k, rings), control, key="map", height=680, returned_objects=RETURNED,
                       center=center, zoom=zoom)
    sent_by_st_folium, sent_here = recorder.calls
    assert sent_here.keys() == sent_by_st_folium.keys()
    for name in sent_by_st_folium:
        assert sent_here[name] == sent_by_st_folium[name], name
    assert "feature_group_feature_group_0" in sent_here["feature_group"] and sent_here["layer_control"]


def test_the_base_text_does_not_depend_on_the_sites(pieces: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    """What is rendered once (and keyed on the base map only) must be the same whichever ranking is shown, or the
    browser would rebuild its map on every weight change."""
    recorder = Recorder()
    monkeypatch.setattr(streamlit_folium, "_component_func", recorder)
    for k in (0, 1):
        streamlit_folium.st_folium(_base(pieces), key="map", height=680, use_container_width=True,
                                   returned_objects=RETURNED, feature_group_to_add=_groups(pieces, k),
                                   layer_control=folium.LayerControl(collapsed=True))
    first, second = recorder.calls
    for name in ("script", "header", "html", "id", "key", "layer_control"):
        assert first[name] == second[name], name
    assert first["feature_group"] != second["feature_group"]  # the sites did change (so the test can fail)


def test_a_published_base_map_is_a_file_with_the_script_and_a_loader_for_it(pieces: dict[str, Any], tmp_path) -> None:
    text = foliummap.render_base(_base(pieces))
    published = foliummap.publish(text, tmp_path / "maps", "/app/static/maps/")
    files = list((tmp_path / "maps").iterdir())
    assert len(files) == 1 and files[0].suffix == ".js"
    assert files[0].read_text(encoding="utf-8") == text.script  # the browser evaluates exactly st_folium's script
    assert f"'/app/static/maps/{files[0].name}'".replace("'", '"') in published.script
    assert len(published.script) < 400 < len(text.script)  # what each run sends is now a few hundred bytes
    assert {f: getattr(published, f) for f in ("html", "header", "map_id", "bounds", "zoom", "css_links", "js_links")} \
        == {f: getattr(text, f) for f in ("html", "header", "map_id", "bounds", "zoom", "css_links", "js_links")}
    again = foliummap.publish(foliummap.render_base(_base(pieces)), tmp_path / "maps", "/app/static/maps")
    assert again.script == published.script and len(list((tmp_path / "maps").iterdir())) == 1  # same map, same file
    files[0].unlink()  # someone cleaned static/ while the server ran: the next run writes the file again
    foliummap.publish(text, tmp_path / "maps", "/app/static/maps")
    assert files[0].read_text(encoding="utf-8") == text.script


def test_publishing_prunes_base_maps_nobody_has_published_for_an_hour(pieces: dict[str, Any], tmp_path) -> None:
    """static/maps/ keeps what a running server can still serve: files published in the last hour (publishing a
    file in use refreshes its time), and nothing older once a new base map is written."""
    folder = tmp_path / "maps"
    folder.mkdir()
    old, recent, part = folder / "old.js", folder / "recent.js", folder / ".gone.js.1.2.part"
    for f in (old, recent, part):
        f.write_text("x", encoding="utf-8")
    hour_ago = time.time() - foliummap.KEEP_S - 60
    os.utime(old, (hour_ago, hour_ago))
    os.utime(part, (hour_ago, hour_ago))
    in_use = foliummap.render_base(_base(pieces))
    foliummap.publish(in_use, folder, "/m")  # a new file: the folder is pruned
    names = sorted(p.name for p in folder.iterdir())
    assert "old.js" not in names and ".gone.js.1.2.part" not in names and "recent.js" in names and len(names) == 2
    published = next(p for p in folder.iterdir() if p.name != "recent.js")
    stale = time.time() - foliummap.TOUCH_AFTER_S - 60
    os.utime(published, (stale, stale))
    foliummap.publish(in_use, folder, "/m")  # in use again: its time is refreshed, so a later prune keeps it
    assert time.time() - published.stat().st_mtime < 60
    os.utime(recent, (hour_ago, hour_ago))
    assert foliummap.prune(folder) == [recent] and published.exists()
