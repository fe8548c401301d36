"""sitefinder's web app: the Streamlit shell over the core package (``app.py`` at the repository root runs it).

Modules: ``state`` (session keys, the controls kept across reruns, scenario <-> controls), ``caches`` (every cache
and its key), ``patches`` (the two library patches), ``controls`` (controls from the settings table), ``sidebar``,
``page`` (one run: data, ranking, open card), ``tabs/`` (one module per tab), and the map: ``mapview``, ``popups``,
``raster``, ``foliummap`` (the component), ``offline`` (Leaflet's files), ``charts`` (small Vega-Lite charts),
``rows`` (rows read as asked); the register: ``signin`` (who is looking), ``register_data`` (what the app reads),
``register_actions`` (what its buttons do); ``failure`` (an unexpected error: a reference, not a traceback),
``admission`` (a few runs at once) and ``serve`` (several processes behind HAProxy).
"""
