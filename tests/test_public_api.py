"""The public API is what `__all__` says, and every name in it exists."""

from __future__ import annotations

import hybridroute


def test_all_names_exist_and_are_sorted() -> None:
    for name in hybridroute.__all__:
        assert hasattr(hybridroute, name), name
    assert list(hybridroute.__all__) == sorted(hybridroute.__all__)


def test_core_entry_points() -> None:
    from hybridroute import Router, load_config

    assert callable(load_config) and hasattr(Router, "from_config")


def test_errors_form_one_tree() -> None:
    for name in hybridroute.__all__:
        obj = getattr(hybridroute, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, hybridroute.HybridRouteError), name
