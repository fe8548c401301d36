"""App-side helpers for app.py (these may import streamlit; the core package `sitefinder` never does)."""
