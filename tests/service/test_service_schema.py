"""Schemathesis drives every endpoint from the service's OpenAPI schema (valid
and invalid inputs, a bounded budget): no server error, every status documented,
every response matching its schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from served import Served, served_world, simulated_lines

pytestmark = pytest.mark.xdist_group("service-schema")

#: Examples per operation and mode; processing a day renders a report, so fewer.
BUDGET = 10
BUDGET_PROCESS = 2


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory, donbas_mandate_path: Path) -> Iterator[Served]:
    tmp = tmp_path_factory.mktemp("schema")
    lines = simulated_lines(donbas_mandate_path, hours=2.0, seed=2)
    with served_world(str(tmp / "store.db"), tmp, donbas_mandate_path, lines) as w:
        yield w


def _drive(
    strategy: Any,
    budget: int,
    url: str,
    auth: dict[str, str],
    checks: list[Any],
    codes: set[int],
) -> None:
    """Call ``budget`` generated cases and validate each response."""

    @settings(
        max_examples=budget,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def run(case: Any) -> None:
        response = case.call(base_url=url, headers=auth, timeout=120)
        codes.add(response.status_code)
        case.validate_response(response, checks=checks, headers=auth)

    run()


def test_every_endpoint_from_the_openapi_schema(world: Served) -> None:
    schema = schemathesis.openapi.from_url(world.url + "/api/v1/openapi.json")
    auth = {"Authorization": f"Bearer {world.tokens['chief']}"}
    checks = [
        not_a_server_error,
        status_code_conformance,
        content_type_conformance,
        response_schema_conformance,
    ]
    seen: dict[str, set[int]] = {}
    operations = [r.ok() for r in schema.get_all_operations()]
    for op in operations:
        if op.path.endswith("/stream"):
            continue  # an endless response; tested in test_service_api
        budget = BUDGET_PROCESS if op.path.endswith("/process") else BUDGET
        codes = seen.setdefault(f"{op.method.upper()} {op.path}", set())
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            _drive(op.as_strategy(generation_mode=mode), budget, world.url, auth, checks, codes)
    # every operation but the stream was driven, with valid inputs answered 200
    names = {f"{op.method.upper()} {op.path}" for op in operations}
    assert {k for k, v in seen.items() if v} == names - {"GET /api/v1/stream"}
    assert 200 in seen["GET /api/v1/violations"] and 200 in seen["POST /api/v1/observations"]
    assert any(code in (400, 422) for code in seen["GET /api/v1/violations"])
