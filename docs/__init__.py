"""The user guide and its screenshots ship inside Knobs as ``knobs_resources.docs``.

Read it through engine/bundled.py; the other pages here are not installed.
"""
