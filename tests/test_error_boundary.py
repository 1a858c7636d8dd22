"""The last-resort net for errors no code turned into an ES error (errors.unexpected_error):
a 400 only for what was raised while reading the request, never for an engine or I/O error."""

from __future__ import annotations

import importlib
from collections.abc import Callable

import pytest

from loghaven.errors import unexpected_error


def _raised_in(module: str, make: Callable[[], BaseException]) -> BaseException:
    """An exception whose innermost Loghaven frame is in ``module``."""
    namespace = vars(importlib.import_module(module)).copy()
    namespace["make"] = make
    exec("def fail():\n    raise make()\n", namespace)  # a frame with that module's name
    try:
        namespace["fail"]()
    except BaseException as exc:
        return exc
    raise AssertionError("did not raise")


@pytest.mark.parametrize("module", ["loghaven.params", "loghaven.api.documents",
                                    "loghaven.search.request", "loghaven.engine.settings"])
@pytest.mark.parametrize("make", [lambda: TypeError("x"), lambda: ValueError("x"),
                                  lambda: KeyError("x"), lambda: AttributeError("x")])
def test_confusion_while_parsing_is_400(module: str, make: Callable[[], BaseException]) -> None:
    error = unexpected_error(_raised_in(module, make))
    assert (error.status, error.type) == (400, "illegal_argument_exception")


@pytest.mark.parametrize("module", ["loghaven.engine.index", "loghaven.engine.wal",
                                    "loghaven.storage.metastore", "loghaven.search.leaf"])
def test_engine_errors_stay_500(module: str) -> None:
    error = unexpected_error(_raised_in(module, lambda: ValueError("tantivy said no")))
    assert error.status == 500


@pytest.mark.parametrize("module", ["loghaven.params", "loghaven.engine.index"])
def test_io_errors_stay_500(module: str) -> None:
    assert unexpected_error(_raised_in(module, lambda: OSError(28, "No space"))).status == 500
