"""The Qt window of Knobs; it imports the engine, never the other way round."""

from desktop import import_hook

import_hook.install()  # before any worker thread imports anything: see import_hook
