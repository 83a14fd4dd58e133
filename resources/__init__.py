"""Knobs' bundled files: the window's style and icon, and the example studies.

This folder installs as the package ``knobs_resources``; read it through engine/bundled.py.
"""
