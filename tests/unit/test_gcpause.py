"""policyc/gcpause.py: the cyclic collector is paused inside, restored after, and never forced on."""

from __future__ import annotations

import gc
import threading

import pytest

from policyc.gcpause import gc_paused, paused_gc


@pytest.fixture(autouse=True)
def _restore_gc():
    was = gc.isenabled()
    yield
    if gc.get_freeze_count():
        gc.unfreeze()
    (gc.enable if was else gc.disable)()


def test_paused_inside_and_enabled_after() -> None:
    gc.enable()
    with paused_gc():
        assert not gc.isenabled()
        with paused_gc():
            assert not gc.isenabled()
        assert not gc.isenabled(), "the inner block must not re-enable under the outer one"
    assert gc.isenabled()


def test_a_disabled_collector_stays_disabled() -> None:
    gc.disable()
    with paused_gc():
        pass
    assert not gc.isenabled()


def test_restored_when_the_block_raises() -> None:
    gc.enable()
    with pytest.raises(RuntimeError), paused_gc():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_decorator_keeps_name_result_and_arguments() -> None:
    @gc_paused
    def add(a: int, b: int = 0) -> tuple[int, bool]:
        """Doc."""
        return a + b, gc.isenabled()

    gc.enable()
    assert add(2, b=3) == (5, False)
    assert add.__name__ == "add" and add.__doc__ == "Doc."
    assert gc.isenabled()


def test_objects_built_while_paused_end_in_the_oldest_generation() -> None:
    gc.enable()
    gc.collect()
    with paused_gc():
        built = [[i] for i in range(5000)]
    assert gc.get_count()[0] < 5000, "not left in the youngest generation for the next collection"
    assert built[-1] == [4999]


def test_cycles_made_while_paused_are_still_collected_later() -> None:
    gc.enable()

    class Node:
        pass

    with paused_gc():
        a, b = Node(), Node()
        a.other, b.other = b, a
        del a, b
    assert gc.collect() >= 2


def test_a_frozen_process_is_left_frozen() -> None:
    gc.enable()
    gc.freeze()
    frozen = gc.get_freeze_count()
    with paused_gc():
        pass
    assert gc.get_freeze_count() == frozen, "a pre-fork server's frozen objects stay frozen"


def test_threads_share_one_pause() -> None:
    gc.enable()
    inside = threading.Event()
    release = threading.Event()

    def worker() -> None:
        with paused_gc():
            inside.set()
            release.wait(5)

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(5)
    with paused_gc():
        pass
    assert not gc.isenabled(), "this thread's exit must not re-enable under the other thread's pause"
    release.set()
    t.join(5)
    assert gc.isenabled()
