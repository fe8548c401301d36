import time, functools, collections
import streamlit as st
import streamlit_folium, sitefinder.mapview as mv, sitefinder.export as ex
T = st.session_state.setdefault("_T", collections.defaultdict(list))
def wrap(mod, name):
    f = getattr(mod, name)
    if getattr(f, "_wrapped", False): return
    @functools.wraps(f)
    def g(*a, **k):
        t = time.perf_counter()
        try: return f(*a, **k)
        finally: __import__("streamlit").session_state["_T"][name].append(time.perf_counter() - t)
    g._wrapped = True
    setattr(mod, name, g)
for m, n in [(streamlit_folium, "st_folium"), (mv, "base_map"), (mv, "site_layers"), (mv, "raster_png"), (ex, "shortlist_geojson"), (ex, "shortlist_csv")]:
    wrap(m, n)
t0 = time.perf_counter()
exec(compile(open("app.py").read(), "app.py", "exec"))
st.session_state["_T"]["TOTAL"].append(time.perf_counter() - t0)
