from __future__ import annotations

import tomllib
from typing import Any

import pytest

from callcenter.tickets.rulefile import default_rules_path


@pytest.fixture
def rules_data() -> dict[str, Any]:
    """A fresh, mutable copy of the packaged rules.toml as parsed TOML."""
    return tomllib.loads(default_rules_path().read_text(encoding="utf-8"))
