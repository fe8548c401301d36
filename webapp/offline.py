"""Leaflet's files for a map that works with no internet, taken from the ``xstatic-leaflet`` package.

The app copies them into its static folder at start-up (they are not committed to the repository). Where the app's
folder is read-only to the server (the Docker image), they are put there when the image is built:

    python -m webapp.offline            # installs them into ./static/leaflet
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

LEAFLET_FILES = ("leaflet.js", "leaflet.css")


def leaflet_source_dir() -> Path:
    """Where the installed xstatic-leaflet package keeps leaflet.js, leaflet.css and images/."""
    try:
        import xstatic.pkg.leaflet as xl  # noqa: PLC0415
    except ImportError as exc:  # pragma: no cover - the app extra installs it
        raise RuntimeError("xstatic-leaflet is not installed: run `make run` (pip install -e '.[app]').") from exc
    return Path(xl.BASE_DIR)


def install_leaflet(target: Path) -> Path:
    """Copy Leaflet into ``target`` (e.g. static/leaflet) unless it is already there and current."""
    src = leaflet_source_dir()
    target.mkdir(parents=True, exist_ok=True)
    for name in LEAFLET_FILES:
        s, d = src / name, target / name
        if not d.exists() or d.stat().st_size != s.stat().st_size:
            _copy_atomic(s, d)
    if (src / "images").is_dir():
        for image in (src / "images").iterdir():
            dest = target / "images" / image.name
            if not dest.exists():
                dest.parent.mkdir(parents=True, exist_ok=True)
                _copy_atomic(image, dest)
    return target


def _copy_atomic(source: Path, dest: Path) -> None:
    """Copy so that a reader (another app process, a browser) never sees a half-written file."""
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    shutil.copyfile(source, tmp)
    os.replace(tmp, dest)


if __name__ == "__main__":
    print(install_leaflet(Path("static") / "leaflet"))
