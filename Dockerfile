# sitefinder web app with the built-in Pakistan data, served on port 8501.
#   docker build -t sitefinder .
#   docker run --rm -p 8501:8501 sitefinder        -> http://localhost:8501
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    # GDAL's OGR VRT driver can read arbitrary local files named in an uploaded file: never load it.
    GDAL_SKIP=OGR_VRT \
    SITEFINDER_DATA=/app/data/pakistan \
    STREAMLIT_BROWSER_GATHER_USAGE_STATS=false

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin sitefinder

# The packages (the core and the app's shell), then the page and the data.
COPY pyproject.toml README.md ./
COPY sitefinder ./sitefinder
COPY webapp ./webapp
# EXTRAS=app,postgres adds psycopg for a register on PostgreSQL (compose.yaml does)
ARG EXTRAS=app
RUN pip install ".[${EXTRAS}]"

COPY app.py ./
COPY .streamlit ./.streamlit
COPY data/pakistan ./data/pakistan
# Leaflet for the offline map, from the xstatic-leaflet package (not from a CDN).
# /app stays root's: the server's user writes only what it must. Leaflet is put in place now; the base maps'
# folder is the one folder under /app it may write (without it the maps are sent whole with every run). The criteria
# cache and the SQLite register go under the user's home (~/.cache/sitefinder, ~/.local/share/sitefinder).
RUN python -m webapp.offline \
 && mkdir -p /app/static/maps && chown sitefinder:sitefinder /app/static/maps

USER sitefinder
EXPOSE 8501
HEALTHCHECK --interval=30s --timeout=5s --start-period=40s --retries=3 \
  CMD python -c "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8501/_stcore/health', timeout=4).read() == b'ok' else 1)"
CMD ["streamlit", "run", "app.py", "--server.port=8501", "--server.address=0.0.0.0"]
