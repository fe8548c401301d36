"""Every user setting, once: the settings table.

One row per setting (``sitefinder.model.setting.Setting``) gives its type, unit, bounds, default, label,
help, URL key, command-line flag, where its control sits in the app, and what a profile change does to it.
Everything else is made from the table: the fields of ``Scenario``, ``DrawSettings`` and the programme's
``Rules`` (``settings_record``), the parsing of links, files and options, the command line's options, the
app's controls and the reference pages of the docs. A test checks that every row reaches every surface it
names. Adding a setting is one row here, the code that uses it, and the ``place`` of its control.

Bounds are closed intervals. ``default=None`` means "the profile's own value" (facility size, season, the
grid-distance limit, the voltage floor and the cost model's parameters come from the facility profile).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from sitefinder.model.profile_data import builtin_profile_names
from sitefinder.model.setting import Setting, suggest
from sitefinder.model.vocabulary import MAX_RESOLUTION, MIN_RESOLUTION, SEASONS

SHORTLIST = ("rank", "robustness", "programme")
TOP = ("rank", "robustness")
ROBUSTNESS = ("robustness",)
PROGRAMME = ("programme",)
PAGE_MAX_RESOLUTION = 8  # one server holding resolution 9 (about 8 million cells) for every user would not


def _profile_names() -> tuple[str, ...]:
    return tuple(builtin_profile_names())


def _economics(name: str, url_key: str, flag: str, label: str, unit: str, lo: float, hi: float, step: float,
               help: str, used_by: str = "") -> Setting:  # noqa: A002
    """A parameter of the cost model. Its default, range and source are the profile's (``economics_data`` and the
    profile's ``[economics]`` table), so the row's default is None."""
    return Setting(name, "float", label, help, unit=unit, lo=lo, hi=hi, step=step, url_key=url_key, flag=flag,
                   widget="number_input", place="economics", none_means="the profile's (sourced)", group="economics",
                   on_profile_change="keep_if_used", used_by=used_by)


SETTINGS: dict[str, Setting] = {s.name: s for s in (
    # -- the facility ------------------------------------------------------------------------------------------------
    Setting("profile", "choice", "Facility profile", "Which kind of facility: its criteria, weights and limits.",
            default="bitcoin_mine", url_key="profile", flag="--profile", widget="selectbox", place="sidebar",
            choices=_profile_names, group="facility"),
    Setting("mw", "float", "Facility size (MW)", "The facility's load; the region's surplus must cover it.", unit="MW",
            lo=0.1, hi=10_000.0, step=10.0, url_key="mw", flag="--mw", widget="number_input", place="sidebar",
            group="facility", on_profile_change="reset"),
    Setting("season", "choice", "Season whose surplus counts",
            "A mine can curtail in summer peaks (winter); a data centre needs the surplus all year.",
            url_key="season", flag="--season", widget="selectbox", place="sidebar", choices=SEASONS, group="facility",
            on_profile_change="reset"),
    Setting("weights", "weights", "Weights", "How much each criterion counts; they are scaled to add up to 100 %, "
            "and 0 ignores a criterion.", lo=0.0, hi=100.0, step=1.0, url_key="w.", flag="--weight", widget="slider",
            place="sidebar", group="facility", on_profile_change="reset"),
    # -- constraints -------------------------------------------------------------------------------------------------
    Setting("max_grid_km", "float", "Maximum distance to a grid node (km)",
            "Sites farther than this from an eligible grid node are left out.", unit="km", lo=1.0, hi=500.0, step=1.0,
            url_key="max_km", flag="--max-grid-km", widget="slider", place="constraints", group="constraints",
            on_profile_change="reset"),
    Setting("min_voltage_kv", "choice", "Minimum grid node voltage (kV)",
            "Nodes below this voltage are not connection points; plant switchyards whose voltage is not published stay "
            "eligible, flagged.", unit="kV", url_key="min_kv", flag="--min-voltage", widget="selectbox",
            place="constraints", choices=(132.0, 220.0, 500.0, 765.0), group="constraints", on_profile_change="reset"),
    Setting("land_exclusions", "bool", "Exclude protected areas and city cores",
            "Off keeps sites inside exclusion zones, flagged.", default=True, url_key="excl",
            flag="--allow-excluded-land", flag_sets=False, widget="checkbox", place="constraints", group="constraints"),
    Setting("town_setback", "bool", "Noise setback from towns", "Off drops the profile's setback from towns.",
            default=True, url_key="setback", flag="--no-town-setback", flag_sets=False, widget="checkbox",
            place="constraints", group="constraints"),
    # -- candidates and the shortlist --------------------------------------------------------------------------------
    Setting("resolution", "int", "Candidate cell resolution (H3)",
            "H3 resolution of the candidate cells: 5 is about 250 km² a cell, 8 about 0.7 km², 9 about 0.1 km² "
            "(9: the command line only, about 8 million cells).", lo=MIN_RESOLUTION, hi=MAX_RESOLUTION, step=1,
            default=6, url_key="res", flag="--resolution", widget="selectbox", place="candidates", group="candidates",
            page_hi=PAGE_MAX_RESOLUTION),
    Setting("top", "int", "Sites to show", "How many sites the shortlist lists (and the map draws).", lo=1, hi=1000,
            step=1, default=20, url_key="top", flag="--top", widget="number_input", place="candidates", commands=TOP,
            group="shortlist"),
    Setting("max_per_node", "int", "At most this many sites per grid node (0 = no limit)",
            "Keeps the shortlist to distinct places instead of neighbouring cells around one node.", lo=0, hi=20, step=1,
            default=2, url_key="per_node", flag="--max-per-node", widget="slider", place="candidates",
            commands=SHORTLIST, group="shortlist"),
    Setting("province", "text", "Province", "Keep sites in one province only.", url_key="province", flag="--province",
            widget="selectbox", place="candidates", max_length=80, none_means="all provinces", commands=SHORTLIST,
            group="shortlist"),
    # -- robustness: the ranking redone over many draws ---------------------------------------------------------------
    Setting("draws", "int", "Draws", "How many times the ranking is redone with the weights and the estimated "
            "figures drawn within their ranges.", lo=10, hi=20_000, step=100, default=1000, url_key="draws",
            flag="--draws", widget="number_input", place="robustness", commands=ROBUSTNESS, group="robustness"),
    Setting("seed", "int", "Random seed", "The same seed gives the same draws and the same answer.", lo=0,
            hi=2_147_483_647, step=1, default=7, url_key="seed", flag="--seed", widget="number_input",
            place="robustness", commands=ROBUSTNESS, group="robustness"),
    Setting("weight_spread", "float", "Weight spread (%)", "How far the weights may move: 0 keeps them as set; 20 lets a "
            "weight of average share vary by about 20 % of itself (a Dirichlet distribution centred on your weights).",
            unit="%", lo=0.0, hi=100.0, step=5.0, default=20.0, url_key="wspread", flag="--weight-spread",
            widget="slider", place="robustness", commands=ROBUSTNESS, group="robustness"),
    Setting("data_spread", "choice", "Estimated figures drawn as",
            "How each estimate is drawn within its low-high range: triangular (most often near the central value), "
            "uniform (anywhere in the range equally), or none (always the central value).", default="triangular",
            url_key="dspread", flag="--data-spread", widget="selectbox", place="robustness",
            choices=("triangular", "uniform", "none"), commands=ROBUSTNESS, group="robustness"),
    Setting("headroom_range", "range", "Unknown grid headroom (MW)",
            "Spare capacity no source publishes: blank leaves it unknown (counted as the profile says); LOW-HIGH draws "
            "it anywhere in that range, node by node.", unit="MW", lo=0.0, hi=10_000.0, url_key="headroom",
            flag="--headroom-range", widget="text_input", place="robustness", none_means="left unknown",
            commands=ROBUSTNESS, group="robustness"),
    # -- the programme: a MW target shared out over sites ---------------------------------------------------------------
    Setting("target_mw", "float", "Programme target (MW)", "How many MW to place in all (Pakistan announced 2,000 MW "
            "of surplus for mining and data centres in 2025).", unit="MW", lo=1.0, hi=100_000.0, step=100.0,
            default=2000.0, url_key="target", flag="--target-mw", widget="number_input", place="programme",
            commands=PROGRAMME, group="programme"),
    Setting("min_mw", "float", "Smallest site (MW)", "A site may take less than the facility size, down to this, to fit "
            "what a region or node has left.", unit="MW", lo=0.1, hi=10_000.0, step=10.0, url_key="min_mw",
            flag="--min-mw", widget="number_input", place="programme", none_means="the facility size",
            commands=PROGRAMME, group="programme"),
    Setting("min_spacing_km", "float", "Minimum spacing between sites (km)", "Sites of the programme stay at least this "
            "far apart (0 = no spacing).", unit="km", lo=0.0, hi=500.0, step=5.0, default=0.0, url_key="spacing",
            flag="--min-spacing-km", widget="number_input", place="programme", commands=PROGRAMME, group="programme"),
    Setting("assumed_headroom_mw", "float", "Assumed headroom where unknown (MW per node)",
            "No source publishes a node's spare capacity: blank lets unknown headroom not limit the programme "
            "(flagged); a number is assumed for every node whose headroom is unknown (labelled as an assumption).",
            unit="MW", lo=0.0, hi=10_000.0, step=50.0, url_key="assume_head", flag="--assumed-headroom-mw",
            widget="number_input", place="programme", none_means="not limiting (flagged)", commands=PROGRAMME,
            group="programme"),
    Setting("min_months", "int", "Months a site must run (interruptible load)",
            "Blank: every hour of every month of the profile's season. A number: at least that many months' worth "
            "of surplus, in any months and hour types (evening peak, midday, night) that have room (a mine that "
            "stops when the surplus does).", lo=1, hi=12, step=1, url_key="months",
            flag="--min-months", widget="number_input", place="programme", none_means="the season's months",
            commands=PROGRAMME, group="programme"),
    # -- economics: the cost model's parameters ---------------------------------------------------------------------
    _economics("tariff_pkr_per_kwh", "e_tariff", "--tariff", "Tariff for the new load (PKR/kWh)", "PKR/kWh", 0.1, 500.0,
               0.5, "Price of a kWh to the facility; a supply region's own tariff_pkr_per_kwh overrides it where the "
               "data gives one."),
    _economics("pkr_per_usd", "e_fx", "--pkr-per-usd", "Exchange rate (PKR per USD)", "PKR/USD", 1.0, 10_000.0, 1.0,
               "Turns the PKR tariff into USD."),
    _economics("line_cost_132_usd_per_km", "e_line132", "--line-cost-132", "132 kV line (USD per km)", "USD/km", 0.0,
               20_000_000.0, 10_000.0, "Building cost of a 132 kV connection line, per km."),
    _economics("line_cost_220_usd_per_km", "e_line220", "--line-cost-220", "220 kV line (USD per km)", "USD/km", 0.0,
               20_000_000.0, 10_000.0, "Building cost of a 220 kV connection line, per km."),
    _economics("line_cost_500_usd_per_km", "e_line500", "--line-cost-500", "500 kV line (USD per km)", "USD/km", 0.0,
               20_000_000.0, 10_000.0, "Building cost of a 500 kV connection line, per km (also used above 500 kV)."),
    _economics("bay_cost_usd", "e_bay", "--bay-cost", "Substation bay (USD)", "USD", 0.0, 500_000_000.0, 100_000.0,
               "Cost of the bay at the grid node that the line connects to."),
    _economics("capex_usd_per_mw", "e_capex", "--capex-per-mw", "Capital cost (USD per MW)", "USD/MW", 0.0,
               100_000_000.0, 50_000.0, "Building and equipment per MW of facility (IT) load, before the grid connection."),
    _economics("discount_rate_pct", "e_rate", "--discount-rate", "Discount rate (%)", "%", 0.0, 100.0, 0.5,
               "Annualises the connection cost in the cost criterion."),
    _economics("life_years", "e_life", "--life-years", "Life of the connection (years)", "years", 1.0, 100.0, 1.0,
               "Years over which the connection cost is annualised in the cost criterion."),
    _economics("pue_base", "e_pue0", "--pue-base", "PUE at a cool site", "", 1.0, 3.0, 0.01,
               "Power usage effectiveness with no cooling degree days and no hours above 35 °C."),
    _economics("pue_per_1000_cdd", "e_pue_cdd", "--pue-per-1000-cdd", "PUE added per 1,000 cooling degree days",
               "per 1,000 °C·day", 0.0, 1.0, 0.005,
               "How much a warmer climate adds to the PUE (cooling degree days, base 18 °C)."),
    _economics("pue_per_1000_hot_hours", "e_pue_hot", "--pue-per-1000-hot-hours", "PUE added per 1,000 hours above 35 °C",
               "per 1,000 h", 0.0, 1.0, 0.005, "How much extreme heat adds to the PUE (hours a year above 35 °C)."),
    _economics("efficiency_j_per_th", "e_jth", "--efficiency", "Miner efficiency (J/TH)", "J/TH", 1.0, 500.0, 0.5,
               "Energy per terahash of the mine's machines (a mine only).", used_by="hashprice"),
    _economics("hashprice_usd_per_ph_day", "e_hashprice", "--hashprice", "Hashprice (USD per PH/s per day)",
               "USD/PH/day", 0.0, 100_000.0, 1.0,
               "What a petahash a second earns in a day (a mine only); it moves with the bitcoin price and fees.",
               used_by="hashprice"),
    _economics("route_factor", "e_route", "--route-factor", "Fibre route factor", "", 1.0, 5.0, 0.05,
               "Fibre route length over straight-line distance (a data centre's latency only).", used_by="datacentre"),
    # -- the view: where the user looks, not what is ranked -----------------------------------------------------------
    Setting("focus", "text", "Open site card", "The site whose card is open.", url_key="site", view_only=True,
            max_length=64, none_means="the best site", commands=(), group="view", on_profile_change="reset"),
    Setting("selected", "list", "Sites compared", "Sites picked for side-by-side comparison.", url_key="cmp",
            view_only=True, max_length=64, max_items=5, default=(), commands=(), group="view",
            on_profile_change="reset"),
    Setting("show_programme", "bool", "Show the programme on the map",
            "Draw the programme's sites, each with its MW, over the ranked sites.", default=False, url_key="prog",
            view_only=True, widget="checkbox", place="programme", commands=(), group="view"),
    Setting("show_robustness", "bool", "Show how robust each site is (runs the draws)",
            "Redo the ranking for every draw, mark robust and fragile sites on the map, and list the figures to ask for "
            "first.", default=False, url_key="robust", view_only=True, widget="checkbox", place="robustness",
            commands=(), group="view"),
)}

SCENARIO_KEYS = ("sitefinder_scenario", *SETTINGS)
ECONOMICS = tuple(n for n, s in SETTINGS.items() if s.group == "economics")


def setting(name: str) -> Setting:
    """The row of ``name``; a KeyError names the known settings."""
    try:
        return SETTINGS[name]
    except KeyError:
        raise KeyError(f"'{name}' is not a setting.{suggest(name, SETTINGS)} Known: {', '.join(SETTINGS)}") from None


def settings_for(command: str) -> tuple[str, ...]:
    """The names of the settings subcommand ``command`` takes as options, in table order."""
    return tuple(s.name for s in SETTINGS.values() if command in s.commands and s.flag)


def in_group(group: str) -> tuple[str, ...]:
    """The names of the settings of ``group`` that change a result (not the view), in table order."""
    return tuple(n for n, s in SETTINGS.items() if s.group == group and not s.view_only)


def at_place(place: str) -> tuple[str, ...]:
    """The names of the settings whose control sits at ``place`` (a sidebar section or a tab), in table order."""
    return tuple(n for n, s in SETTINGS.items() if s.place == place)


class SettingsRecord:
    """The base of dataclasses whose fields are rows of the settings table (see ``settings_record``).

    The fields are added when the class is made, so a type checker cannot list them: for it, any attribute of a
    record is ``Any`` and its constructor takes keywords. The table is the one declaration."""

    if TYPE_CHECKING:
        __dataclass_fields__: ClassVar[dict[str, Field[Any]]]

        def __init__(self, **values: Any) -> None: ...

        def __getattr__(self, name: str) -> Any: ...


R = TypeVar("R", bound=type)


def settings_record(*names: str) -> Callable[[R], R]:
    """Make the decorated class a frozen dataclass with a field for each named setting (the table's type and
    default), after the fields the class declares itself (which therefore come first and may lack defaults)."""
    def build(cls: R) -> R:
        annotations = dict(cls.__dict__.get("__annotations__", {}))
        for name in names:
            row = SETTINGS[name]
            annotations[name] = row.annotation()
            setattr(cls, name, row.field())
        cls.__annotations__ = annotations
        dataclass(frozen=True)(cls)  # in place: the class gains its fields, __init__, __eq__ and __repr__
        return cls
    return build
