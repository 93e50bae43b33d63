"""The environment's policy document and its versions (api.md §4)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from segmentr.api.deps import Environment, PoliciesDep, authenticate
from segmentr.api.idempotency import IdempotentRoute
from segmentr.api.openapi import errors as error_responses
from segmentr.api.schemas.workspace import PolicyObject, PolicyVersionList, PolicyVersionSummary
from segmentr.service import PolicySummary

__all__ = ["router"]

router = APIRouter(tags=["policy"], route_class=IdempotentRoute, dependencies=[Depends(authenticate)])


def policy_object(environment: str, version: Any) -> PolicyObject:
    return PolicyObject(
        environment=environment, version=version.version, created_at=version.created_at, document=version.document
    )


@router.get("/v1/{environment}/policy", operation_id="get_policy", response_model=PolicyObject,
            responses=error_responses(404))
def get_policy(environment: Environment, policies: PoliciesDep) -> PolicyObject:
    """The live policy document and its version (404 ``no_policy`` before the first)."""
    return policy_object(environment, policies.current(environment))


@router.put("/v1/{environment}/policy", operation_id="put_policy", response_model=PolicyObject,
            responses=error_responses(404))
def put_policy(environment: Environment, policies: PoliciesDep,
               document: dict[str, Any] = Body(description="a Limitr policy document")) -> PolicyObject:  # noqa: B008
    """Validate and save a new version; problems are named by JSON path (``param``, ``diagnostics``)."""
    return policy_object(environment, policies.put(environment, document))


@router.get("/v1/{environment}/policy/versions", operation_id="list_policy_versions",
            response_model=PolicyVersionList, responses=error_responses(404))
def list_versions(environment: Environment, policies: PoliciesDep) -> PolicyVersionList:
    """Every version, oldest first."""
    found: list[PolicySummary] = policies.versions(environment)
    return PolicyVersionList(
        data=[PolicyVersionSummary(version=v.version, created_at=v.created_at) for v in found], has_more=False
    )


@router.get("/v1/{environment}/policy/versions/{version}", operation_id="get_policy_version",
            response_model=PolicyObject, responses=error_responses(404))
def get_version(environment: Environment, version: int, policies: PoliciesDep) -> PolicyObject:
    return policy_object(environment, policies.version(environment, version))


@router.post("/v1/{environment}/policy/versions/{version}/restore", operation_id="restore_policy_version",
             response_model=PolicyObject, responses=error_responses(404))
def restore_version(environment: Environment, version: int, policies: PoliciesDep) -> PolicyObject:
    """Make an old version live again, as a new version."""
    return policy_object(environment, policies.restore(environment, version))
