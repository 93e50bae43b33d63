"""``PricingService``: the pricing rules of an environment, customers' own price overrides, and a customer's
effective price of a target with the reasons (product.md §6).

Rules are validated on save against the environment's live policy (targets and price shapes, problems by JSON
path, an unknown credit or topup named) and against the workspace's segments (by id or name, stored as the id).
A rule whose segment was deleted since, or whose targets the policy dropped, stays and is flagged
(``segment_deleted``, ``missing_targets``) until an edit saves it again. Every change is a new entry of the rule's
history (who, what, when); priorities are unique per environment (``PriorityTaken``).

Where the engine prices (meter events, margins, topups), ``CustomerService`` prices through ``price_context``:
the rule book compiled per (rules revision, referenced segments' state) and shared by the process, segment
failures recorded on their segments once the action has committed, never breaking it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from segmentr import pricing
from segmentr.errors import InvalidInput, NotFound, Problem
from segmentr.policy import Policy
from segmentr.service.access import Action, require
from segmentr.service.context import Actor
from segmentr.store import Store, UnitOfWork, customers, policies
from segmentr.store import pricing as pricing_repo
from segmentr.store import segments as segment_repo

__all__ = ["PricingRuleDetail", "PricingService", "effective_for_customer", "price_context", "rule_references"]

EDITABLE = ("name", "segment", "priority", "overrides", "supersedes", "enabled")


@dataclass(frozen=True, slots=True)
class PricingRuleDetail:
    """A stored rule with what it has lost since its last save: its segment, targets the policy dropped."""

    rule: pricing_repo.PricingRuleRecord
    environment: str
    segment_deleted: bool
    missing_targets: tuple[str, ...]


def price_context(store: Store, uow: UnitOfWork) -> pricing_repo.PriceContext:
    """How a use case's unit of work prices: the store's rule books, and segment-condition failures met during
    resolutions recorded on their segments (error count, last error) after the commit, best effort."""
    failures: dict[str, tuple[int, str]] = {}

    def failed(segment: str, customer: str, message: str) -> None:
        count, _ = failures.get(segment, (0, ""))
        failures[segment] = (count + 1, f"pricing rule evaluation for customer {customer}: {message}")

    def record() -> None:
        for segment, (count, message) in failures.items():
            with contextlib.suppress(Exception):  # never fails the action that already committed
                store.record_segment_error(segment, message, count=count)

    uow.after_commit(record)
    return pricing_repo.PriceContext(store.rule_books, failed)


def effective_for_customer(
    uow: UnitOfWork, environment_id: int, customer_id: str, state: dict[str, Any], policy: Policy,
    context: pricing_repo.PriceContext,
) -> Policy:
    """`policy` over this one customer, priced with effective prices (its state, rules, own overrides now)."""
    session = uow.session
    key = pricing_repo.pricing_key(session, environment_id)
    own = pricing_repo.get_price_overrides(session=session, environment_id=environment_id, customer_id=customer_id)
    priced = pricing_repo.effective_policy(session, policy, environment_id, key, {customer_id: own}, context)
    return priced.with_customers({customer_id: state})


def rule_references(store: Store, workspace_id: str, segment_id: str, uow: UnitOfWork | None = None
                    ) -> list[dict[str, Any]]:
    """The pricing rules (both environments) whose segment is `segment_id`, as typed reference entries."""

    def read(unit: UnitOfWork) -> list[dict[str, Any]]:
        found = pricing_repo.rules_using_segment(session=unit.session, workspace_id=workspace_id, segment_id=segment_id)
        return [{"type": "pricing_rule", "environment": environment, "id": rule.id, "name": rule.name,
                 "priority": rule.priority} for environment, rule in found]

    return read(uow) if uow is not None else store.run(read)


def _invalid(exc: pricing.PricingInvalid) -> InvalidInput:
    return InvalidInput(problems=exc.problems, code="pricing_invalid")


class PricingService:
    """The pricing rules and prices of the actor's workspace, in the environment each call names."""

    def __init__(self, store: Store, actor: Actor) -> None:
        self._store = store
        self.actor = actor

    def _environment_id(self, environment: str, uow: UnitOfWork) -> int:
        self.actor.reach(environment)
        return uow.environment(self.actor.workspace_id, environment).id

    # ------------------------------------------------------------------ rules

    def list(self, environment: str) -> list[PricingRuleDetail]:
        """The environment's rules in priority order, each with its flags."""
        require(self.actor, Action.READ_PRICING)

        def read(uow: UnitOfWork) -> list[PricingRuleDetail]:
            environment_id = self._environment_id(environment, uow)
            rules = pricing_repo.list_rules(session=uow.session, environment_id=environment_id)
            return self._details(uow, environment, environment_id, rules)

        return self._store.run(read)

    def get(self, environment: str, rule_id: str) -> PricingRuleDetail:
        require(self.actor, Action.READ_PRICING)

        def read(uow: UnitOfWork) -> PricingRuleDetail:
            environment_id = self._environment_id(environment, uow)
            rule = pricing_repo.get_rule(session=uow.session, environment_id=environment_id, rule_id=rule_id)
            return self._details(uow, environment, environment_id, [rule])[0]

        return self._store.run(read)

    def create(self, environment: str, fields: Mapping[str, Any]) -> PricingRuleDetail:
        """A new rule, validated against the environment's policy and the workspace's segments."""
        require(self.actor, Action.EDIT_PRICING)
        if not isinstance(fields, Mapping):
            raise InvalidInput(problems=[Problem(field=None, message="expected an object")])

        def write(uow: UnitOfWork) -> PricingRuleDetail:
            environment_id = self._environment_id(environment, uow)
            rule = self._parse(uow, environment_id, dict(fields), rule_id=None)
            saved = pricing_repo.create_rule(
                session=uow.session, environment_id=environment_id, rule=rule, now=uow.now, by=self.actor.label
            )
            return self._details(uow, environment, environment_id, [saved])[0]

        return self._store.run(write, write=True)

    def edit(self, environment: str, rule_id: str, changes: Mapping[str, Any]) -> PricingRuleDetail:
        """Change some fields (``overrides`` is replaced whole); the whole rule is validated again, and saved as
        a new version when something changed."""
        require(self.actor, Action.EDIT_PRICING)
        if not isinstance(changes, Mapping):
            raise InvalidInput(problems=[Problem(field=None, message="expected an object")])
        unknown = sorted(set(changes) - set(EDITABLE))
        if unknown:
            raise InvalidInput(problems=[
                Problem(field=key, message=f"unknown or read-only field: use {', '.join(EDITABLE)}") for key in unknown
            ])

        def write(uow: UnitOfWork) -> PricingRuleDetail:
            environment_id = self._environment_id(environment, uow)
            current = pricing_repo.get_rule(session=uow.session, environment_id=environment_id, rule_id=rule_id)
            merged = {**current.fields(), **dict(changes)}
            rule = self._parse(uow, environment_id, merged, rule_id=current.id)
            saved = pricing_repo.update_rule(
                session=uow.session, environment_id=environment_id, rule=rule, now=uow.now, by=self.actor.label
            )
            return self._details(uow, environment, environment_id, [saved])[0]

        return self._store.run(write, write=True)

    def delete(self, environment: str, rule_id: str) -> None:
        """Remove the rule (its history stays, ending with the deletion)."""
        require(self.actor, Action.EDIT_PRICING)

        def write(uow: UnitOfWork) -> None:
            environment_id = self._environment_id(environment, uow)
            pricing_repo.delete_rule(
                session=uow.session, environment_id=environment_id, rule_id=rule_id, now=uow.now, by=self.actor.label
            )

        self._store.run(write, write=True)

    def history(self, environment: str, rule_id: str) -> list[pricing_repo.PricingRuleVersion]:
        """Every change of the rule, oldest first: who saved what when (a deleted rule's too)."""
        require(self.actor, Action.READ_PRICING)

        def read(uow: UnitOfWork) -> list[pricing_repo.PricingRuleVersion]:
            environment_id = self._environment_id(environment, uow)
            return pricing_repo.rule_history(session=uow.session, environment_id=environment_id, rule_id=rule_id)

        return self._store.run(read)

    def _parse(self, uow: UnitOfWork, environment_id: int, raw: dict[str, Any], *, rule_id: str | None
               ) -> pricing.PricingRule:
        segment_ref = raw.get("segment")
        if isinstance(segment_ref, str) and segment_ref:
            try:
                raw["segment"] = segment_repo.get_segment(
                    session=uow.session, workspace_id=self.actor.workspace_id, segment=segment_ref
                ).id
            except NotFound:
                problem = Problem(field="segment", message=f"no segment {segment_ref!r} in this workspace")
                try:
                    self._check_rule(uow, environment_id, raw, rule_id)
                except InvalidInput as other:
                    raise InvalidInput(problems=[problem, *other.problems], code="pricing_invalid") from None
                raise InvalidInput(problems=[problem], code="pricing_invalid") from None
        return self._check_rule(uow, environment_id, raw, rule_id)

    def _check_rule(self, uow: UnitOfWork, environment_id: int, raw: dict[str, Any], rule_id: str | None
                    ) -> pricing.PricingRule:
        policy = uow.live_policy(environment_id)
        try:
            return pricing.parse_rule(raw, policy, rule_id=rule_id)
        except pricing.PricingInvalid as exc:
            raise _invalid(exc) from None

    def _details(self, uow: UnitOfWork, environment: str, environment_id: int, rules: list[pricing_repo.PricingRuleRecord]
                 ) -> list[PricingRuleDetail]:
        policy = uow.live_policy(environment_id)
        present = pricing_repo.segments_of(
            session=uow.session, workspace_id=self.actor.workspace_id, ids=sorted({rule.segment for rule in rules})
        )
        details = []
        for record in rules:
            flags = pricing.rule_flags(record.to_rule(), policy, present)
            details.append(PricingRuleDetail(record, environment, flags.segment_deleted, flags.missing_targets))
        return details

    # ------------------------------------------------------------------ a customer's prices

    def price_overrides(self, environment: str, customer_id: str) -> dict[str, Any]:
        """The customer's own price overrides ``{target: price}``."""
        require(self.actor, Action.READ_PRICING)

        def read(uow: UnitOfWork) -> dict[str, Any]:
            environment_id = self._environment_id(environment, uow)
            return pricing_repo.get_price_overrides(
                session=uow.session, environment_id=environment_id, customer_id=customer_id
            )

        return self._store.run(read)

    def set_price_overrides(self, environment: str, customer_id: str, overrides: Any) -> dict[str, Any]:
        """Replace the customer's own price overrides (validated against the live policy; {} clears them)."""
        require(self.actor, Action.EDIT_PRICING)

        def write(uow: UnitOfWork) -> dict[str, Any]:
            environment_id = self._environment_id(environment, uow)
            if customers.load_customer(session=uow.session, environment_id=environment_id,
                                       customer_id=customer_id) is None:
                raise NotFound(f"no customer {customer_id!r} in {environment}")
            try:
                prices = pricing.parse_price_overrides(overrides, uow.live_policy(environment_id))
            except pricing.PricingInvalid as exc:
                raise _invalid(exc) from None
            return pricing_repo.set_price_overrides(
                session=uow.session, environment_id=environment_id, customer_id=customer_id,
                overrides={target: price.to_json() for target, price in prices.items()}, now=uow.now,
            )

        return self._store.run(write, write=True)

    def price(self, environment: str, customer_id: str, target: str) -> pricing.Resolution:
        """The customer's effective price of `target` now, and why (every rule considered)."""
        require(self.actor, Action.READ_PRICING)

        def read(uow: UnitOfWork) -> pricing.Resolution:
            environment_id = self._environment_id(environment, uow)
            state = customers.load_customer(session=uow.session, environment_id=environment_id,
                                            customer_id=customer_id)
            if state is None:
                raise NotFound(f"no customer {customer_id!r} in {environment}")
            version = policies.live_version(session=uow.session, environment_id=environment_id)
            policy = self._store.policy_at(uow.session, environment_id, version).with_customers({customer_id: state})
            context = price_context(self._store, uow)
            key = pricing_repo.pricing_key(uow.session, environment_id)
            book = pricing_repo.book_for(uow.session, environment_id, key, context.books)
            own = pricing_repo.parsed_overrides(pricing_repo.get_price_overrides(
                session=uow.session, environment_id=environment_id, customer_id=customer_id))
            prices = pricing.EffectivePrices(policy, book, {customer_id: own} if own else None,
                                             on_segment_error=context.on_segment_error)
            try:
                return prices.explain(state, target)
            except pricing.PricingInvalid as exc:
                raise _invalid(exc) from None

        return self._store.run(read)
