"""sitefinder: rank sites for Bitcoin mines and AI data centres on a country's surplus electricity.

The core package: pure functions over GeoDataFrames and numpy arrays. It never imports streamlit.
"""

from __future__ import annotations

import logging
import os

# GDAL's OGR VRT driver can make GDAL read arbitrary local files named inside an uploaded file.
# GDAL reads GDAL_SKIP when its drivers are registered, so this must happen before pyogrio loads.
os.environ.setdefault("GDAL_SKIP", "OGR_VRT")
if "OGR_VRT" not in os.environ["GDAL_SKIP"].replace(",", " ").split():
    os.environ["GDAL_SKIP"] = os.environ["GDAL_SKIP"] + " OGR_VRT"

# A library logs, and the program decides where to: the app sends these records to the server's log
# (webapp/signin.py); the command line prints its own one-line errors instead.
logging.getLogger("sitefinder").addHandler(logging.NullHandler())

__version__ = "0.1.0"
