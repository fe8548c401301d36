"""The Register tab: what the programme has booked where, and, by role, the visitor's own applications (applicant)
or the queue of applications to decide and the roles table (staff).

- Everyone sees the MW booked by zone and by node, without names, and may download the public ledger.
- An applicant sees their own applications with their state and history, and may withdraw them.
- Staff see the queue (requested and held, oldest first), each with its node's and zone's capacity, what is booked
  there, what approving would leave and the limit that would bind, and decide with a reason; they record
  energisation, manage roles and download the full ledger.

Every button's callback is in ``webapp.register_actions``; the ledger checks every write on the server.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import streamlit as st

from sitefinder.data.dataset import Dataset
from sitefinder.model.ranges import number_text
from sitefinder.model.vocabulary import HOUR_TYPES, SEASON_LABELS
from sitefinder.register.booked import booked_text
from sitefinder.register.export import csv_text, geojson_text, node_points, records
from sitefinder.register.ledger import Application
from sitefinder.register.people import GRANTABLE, people, role_history
from sitefinder.register.standing import booked_by_area, booked_by_node, standing
from sitefinder.register.states import APPLICANT, APPROVED, CLOSED, HELD, REQUESTED, STAFF
from webapp import register_actions, state
from webapp.register_data import Ledger
from webapp.signin import Visitor
from webapp.text import md_escape

HOLD_DAYS = 90  # a hold's default length (staff change it)


def said() -> None:
    """The register's answer to the last action, once."""
    said = state.REGISTER_SAID.pop()
    if said:
        getattr(st, said[0])(md_escape(said[1]))


def who_line(who: Visitor) -> None:
    """Who the visitor is here, with sign-in and sign-out, or how to enable sign-in."""
    if not who.can_sign_in:
        st.info("The register is **read-only** in this app: sign-in is not configured on this server, and the app "
                "never writes for a visitor it cannot identify. To let applicants apply and staff decide here, add an "
                "`[auth]` section (your identity provider's OpenID Connect details) to `.streamlit/secrets.toml`: "
                "the Register guide in the docs shows how. Until then, staff change the register with "
                "`sitefinder ledger`.")
        return
    if not who.signed_in:
        c1, c2 = st.columns([3, 1])
        c1.markdown("You are not signed in: you see what is booked, without names. Sign in to apply for power at a "
                    "site, or, for staff, to decide applications.")
        c2.button("Sign in", on_click=st.login, key="sign_in", type="primary")
        return
    c1, c2 = st.columns([3, 1])
    c1.markdown(f"Signed in as **{md_escape(who.subject)}** · role: **{who.role}**")
    c2.button("Sign out", on_click=st.logout, key="sign_out")


def register_tab(led: Ledger, who: Visitor, built_in: Dataset, booked_ds: Dataset) -> None:
    """The tab (see the module's docstring)."""
    said()
    who_line(who)
    if led.problem or led.register is None:
        st.error(md_escape(led.problem or "The register is not available."))
        return
    names = dict(zip(built_in["grid_nodes"]["node_id"].astype(str), built_in["grid_nodes"]["name"].astype(str)))
    st.caption("Applications are checked against the built-in Pakistan data (its nodes, zones and network model), "
               "whatever layers you have uploaded in Your data.")
    _booked(led, built_in, booked_ds)
    _downloads(led, who, built_in)
    if who.role == APPLICANT:
        _mine(led, who, names)
    elif who.role == STAFF:
        _queue(led, names)
        _decided(led, names)
        _people(led)


def _booked(led: Ledger, built_in: Dataset, booked_ds: Dataset) -> None:
    st.markdown("#### What is booked")
    st.markdown(md_escape(booked_text(led.booked, where="in the register")))
    if not led.booked:
        return
    zones = built_in.get("zones")
    if zones is not None:
        after = booked_ds["zones"].set_index("zone")
        by_area = booked_by_area(led.booked)
        rows = []
        for _, z in zones.iterrows():
            mw = by_area.get(f"zone:{z['zone']}", 0.0)
            rows.append({"zone": z["name"], "booked MW": round(mw),
                         "winter surplus before, MW": number_text(z.get("surplus_winter_mw"), ",.0f"),
                         "winter surplus left, MW": number_text(after.loc[z["zone"]].get("surplus_winter_mw"), ",.0f"),
                         "summer surplus before, MW": number_text(z.get("surplus_summer_mw"), ",.0f"),
                         "summer surplus left, MW": number_text(after.loc[z["zone"]].get("surplus_summer_mw"), ",.0f")})
        st.markdown("**By network zone** (deliverable surplus, central estimate, re-solved on the network with every "
                    "booked load added)")
        st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
    nodes = built_in["grid_nodes"].drop_duplicates("node_id").set_index("node_id")
    by_node = booked_by_node(led.booked)
    st.markdown("**By grid node**")
    st.dataframe(pd.DataFrame([{
        "node": nodes.loc[n, "name"] if n in nodes.index else n, "booked MW": round(mw),
        "headroom, MW": number_text(nodes.loc[n].get("headroom_mw") if n in nodes.index else None, ",.0f",
                                    unknown="not published"),
        "left, MW": number_text((nodes.loc[n].get("headroom_mw") - mw) if n in nodes.index else None, ",.0f",
                                unknown="—"),
    } for n, mw in sorted(by_node.items(), key=lambda kv: -kv[1])]), hide_index=True, width="stretch")


def _downloads(led: Ledger, who: Visitor, built_in: Dataset) -> None:
    rows = records(led.apps, public=True, node_points=node_points(built_in))
    c1, c2, c3, c4 = st.columns(4)
    c1.download_button("Ledger, public (CSV)", csv_text(rows), file_name="sitefinder-ledger-public.csv",
                       mime="text/csv", width="stretch", key="dl_public_csv")
    c2.download_button("Ledger, public (GeoJSON)", geojson_text(rows), file_name="sitefinder-ledger-public.geojson",
                       mime="application/geo+json", width="stretch", key="dl_public_geojson")
    if who.role == STAFF:
        full = records(led.apps, public=False)
        c3.download_button("Ledger, staff (CSV)", csv_text(full), file_name="sitefinder-ledger-staff.csv",
                           mime="text/csv", width="stretch", key="dl_staff_csv")
        c4.download_button("Ledger, staff (GeoJSON)", geojson_text(full), file_name="sitefinder-ledger-staff.geojson",
                           mime="application/geo+json", width="stretch", key="dl_staff_geojson")
    st.caption("The public ledger has no applicant or site names, and places each application at its grid node.")


def _title(a: Application, nodes: dict[str, str], *, names: bool) -> str:
    """An application in one line; ``nodes``: node id -> name; ``names``: with the applicant's."""
    hold = f" until {a.hold_until}" if a.state == HELD and a.hold_until else ""
    who = f" · {a.applicant}" if names else ""
    node = nodes.get(a.grid_node_id, a.grid_node_id)
    return f"#{a.id} · {a.mw:,.0f} MW at {node} · {a.state}{hold} · version {a.version}{who}"


def _history(led: Ledger, a: Application) -> None:
    assert led.register is not None
    st.dataframe(pd.DataFrame([{
        "when (UTC)": f"{e['at']:%Y-%m-%d %H:%M}", "action": e["action"], "from": e["from_state"] or "—",
        "to": e["to_state"], "by": f"{e['actor']} ({e['role']})", "why": e["reason"]}
        for e in led.register.history(a.id)]), hide_index=True, width="stretch")


def _mine(led: Ledger, who: Visitor, nodes: dict[str, str]) -> None:
    st.markdown("#### Your applications")
    mine = [a for a in led.apps if a.applicant == who.subject]
    if not mine:
        st.markdown("None yet. Open a site's card on the map and apply there.")
        return
    names = led.register.capacity.names if led.register and led.register.capacity else {}
    st.dataframe(pd.DataFrame([{"id": a.id, "state": a.state, "MW": a.mw, "site": a.site,
                                "grid node": nodes.get(a.grid_node_id, a.grid_node_id),
                                "zone": names.get(a.zone, a.zone) if a.zone else "—",
                                "hold until": a.hold_until.isoformat() if a.hold_until else "—",
                                "start": a.start_date.isoformat() if a.start_date else "—",
                                "version": a.version} for a in mine]), hide_index=True, width="stretch")
    assert led.register is not None
    for a in mine:
        with st.expander(md_escape(_title(a, nodes, names=False))):
            _history(led, a)
            if a.state not in CLOSED:
                form = f"withdraw_{a.id}"
                with st.form(form):
                    st.text_input("Why (optional)", key=f"{form}_reason", max_chars=2000)
                    st.form_submit_button("Withdraw this application", on_click=register_actions.act,
                                          args=(led.register, a.id, "withdraw", a.version, form))


def _queue(led: Ledger, nodes: dict[str, str]) -> None:
    assert led.register is not None and led.register.capacity is not None
    waiting = [a for a in led.apps if a.state in (REQUESTED, HELD)]
    st.markdown(f"#### Queue: {len(waiting)} application(s) to decide")
    for a in waiting:
        s = standing(led.register.capacity, led.apps, a)
        with st.expander(md_escape(_title(a, nodes, names=True)), expanded=len(waiting) <= 3):
            st.markdown(md_escape(f"{a.site} · {a.profile} · runs {'when interruptible' if a.interruptible else 'firm'}"
                                  f" · start {a.start_date or 'not given'}"))
            left_node = None if s.node_left_mw is None else s.node_left_mw - a.mw
            st.table(pd.DataFrame({"": [
                number_text(s.node_headroom_mw, ",.0f", "MW", "not published (not limiting)"),
                f"{s.node_booked_mw:,.0f} MW",
                number_text(left_node, ",.0f", "MW", "—"),
                f"{s.area_name or 'off the network model'}" + (f", tightest in {s.tightest}" if s.tightest else ""),
                number_text(s.area_room_mw, ",.0f", "MW", "—"),
                f"{s.area_booked_mw:,.0f} MW",
                number_text(None if s.area_left_mw is None else s.area_left_mw - a.mw, ",.0f", "MW", "—"),
                s.binding or "none: it fits (approving also re-solves the network with every booked load)",
            ]}, index=["Node headroom", "Booked at the node (others)", "Node headroom left if approved", "Zone",
                       "Zone's deliverable surplus there", "Booked in the zone there (others)",
                       "Zone surplus left if approved", "Limit that would bind"]))
            _history(led, a)
            form = f"decide_{a.id}"
            with st.form(form):
                st.text_input("Reason (required)", key=f"{form}_reason", max_chars=2000)
                st.date_input("Hold until", value=dt.date.today() + dt.timedelta(days=HOLD_DAYS),
                              min_value=dt.date.today() + dt.timedelta(days=1), key=f"{form}_until")
                c1, c2, c3 = st.columns(3)
                for col, action in zip((c1, c2, c3), ("hold", "approve", "reject")):
                    col.form_submit_button(action.capitalize(), on_click=register_actions.act, width="stretch",
                                           args=(led.register, a.id, action, a.version, form))


def _decided(led: Ledger, nodes: dict[str, str]) -> None:
    approved = [a for a in led.apps if a.state == APPROVED]
    if not approved:
        return
    assert led.register is not None
    st.markdown(f"#### Approved, not yet energised: {len(approved)}")
    for a in approved:
        with st.expander(md_escape(_title(a, nodes, names=True))):
            _history(led, a)
            form = f"energise_{a.id}"
            with st.form(form):
                st.text_input("Reason (required)", key=f"{form}_reason", max_chars=2000)
                c1, c2 = st.columns(2)
                c1.form_submit_button("Record energised", on_click=register_actions.act,
                                      args=(led.register, a.id, "energise", a.version, form))
                c2.form_submit_button("Withdraw", on_click=register_actions.act,
                                      args=(led.register, a.id, "withdraw", a.version, form))


def _people(led: Ledger) -> None:
    assert led.register is not None
    st.markdown("#### Roles")
    st.caption("Anyone who signs in is an applicant unless named here. Staff may hold, approve, reject and record "
               "energisation; 'public' may only browse.")
    st.dataframe(pd.DataFrame([{"person": p.subject, "role": p.role, "granted by": p.granted_by,
                                "when (UTC)": f"{p.granted_at:%Y-%m-%d %H:%M}"} for p in people(led.register.engine)]),
                 hide_index=True, width="stretch")
    with st.form("roles"):
        c1, c2 = st.columns(2)
        c1.text_input("Person (the e-mail they sign in with)", key="roles_person", max_chars=200)
        c2.selectbox("Role", GRANTABLE, key="roles_role")
        st.text_input("Reason (required)", key="roles_reason", max_chars=2000)
        st.form_submit_button("Set role", on_click=register_actions.set_role, args=(led.register, "roles"))
    changes = role_history(led.register.engine)
    if changes:
        with st.expander(f"Every change of role ({len(changes)})"):
            st.dataframe(pd.DataFrame(changes).drop(columns=["id"]), hide_index=True, width="stretch")


def card_section(led: Ledger | None, who: Visitor, row: pd.Series, profile_name: str, facility_mw: float) -> None:
    """On a site's card: what is booked at its node and in its zone, and (for a signed-in applicant) a form to apply
    for power here."""
    if led is None or led.register is None:
        return
    node, zone = str(row.get("grid_node_id")), row.get("surplus_area")
    st.markdown("**Register**")
    st.markdown(md_escape(booked_text([a for a in led.apps if a.grid_node_id == node], where="at this node")))
    if isinstance(zone, str):
        st.markdown(md_escape(booked_text([a for a in led.apps if a.zone == zone], where="in its zone")))
    if who.role != APPLICANT:
        st.caption("Sign in (Register tab) to apply for power here." if not who.signed_in else
                   "Applications are made by applicants, in their own name.")
        return
    form = "apply_here"
    with st.expander("Apply for power at this site"):
        with st.form(form):
            st.number_input("MW to apply for", min_value=1.0, max_value=5000.0, value=float(facility_mw), step=10.0,
                            key=f"{form}_mw")
            c1, c2 = st.columns(2)
            c1.selectbox("Months", list(SEASON_LABELS), format_func=lambda s: SEASON_LABELS[s].split(" (the")[0],
                         key=f"{form}_season")
            c2.multiselect("Hours", list(HOUR_TYPES), default=list(HOUR_TYPES), key=f"{form}_hours",
                           help="All three: firm. Fewer: interruptible, running only in those hours.")
            st.date_input("Start", value=dt.date.today() + dt.timedelta(days=180), min_value=dt.date.today(),
                          key=f"{form}_start")
            st.text_input("Note for staff (optional)", key=f"{form}_note", max_chars=2000)
            site = {"site": str(row["candidate_id"]), "lon": float(row["lon"]), "lat": float(row["lat"]),
                    "grid_node_id": node, "profile": profile_name}
            st.form_submit_button("Apply", on_click=register_actions.apply, args=(led.register, site, form),
                                  type="primary")
