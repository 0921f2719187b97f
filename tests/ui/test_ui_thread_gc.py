"""Python's cyclic collection on the UI thread only (ui.app.collect_on_ui_thread): what survives a full
collection is frozen, so later full collections only look at what came since; a thorough collection in a
quiet moment still frees cycles among frozen objects."""

from __future__ import annotations

import gc
import weakref


class Node:
    def __init__(self):
        self.other = self


def test_a_full_collection_freezes_what_survives_and_a_thorough_one_frees_frozen_cycles(qapp):
    from ui.app import collect_on_ui_thread

    collector = collect_on_ui_thread(qapp)
    try:
        assert not gc.isenabled()
        node = Node()
        alive = weakref.ref(node)
        gc.collect(1)                       # as if young collections had moved it to the old generation
        collector.OLDER_AFTER = 0           # a full collection is due: it runs, and freezes what survives
        collector.collect()
        assert gc.get_freeze_count() > 0
        del node                            # a cycle among frozen objects: no young or full collection frees it
        gc.collect()
        assert alive() is not None
        collector.thorough()                # the quiet moment's collection: thawed, collected, frozen again
        assert alive() is None and gc.get_freeze_count() > 0
    finally:
        collector.stop()
    assert gc.get_freeze_count() == 0 and gc.isenabled()


def test_the_collector_keeps_collecting_with_no_reference_kept_to_it(qapp, qtbot):
    """As ``ui.app.main`` does: the collector is made and not kept; its timer still collects."""
    from ui.app import collect_on_ui_thread

    gc.unfreeze()
    collector = weakref.ref(collect_on_ui_thread(qapp))   # no reference kept to it
    try:
        qtbot.waitUntil(lambda: gc.get_freeze_count() > 0, timeout=5_000)
        assert collector() is not None                    # its timer keeps it
    finally:
        if collector() is not None:
            collector().stop()
