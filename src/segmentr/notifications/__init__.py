"""Notifications: typed events, which notifications an event fires, and the delivery of what they send.

Pure decisions (no storage): ``events`` (typed policy and segment events, the ``EventCollector`` a change binds
to the policy engine), ``model`` (notifications and their channel targets), ``matcher`` (``decide``: segment,
condition, re-arm → deliveries), ``rearm``, ``membership`` (segment-entered / -exited), ``alerts`` (in-app
alerts and their states). Delivery: ``channels`` (one seam, webhook / Slack / email / in-app / mock) and
``relay`` (due deliveries from an ``Outbox``, attempts, retries). The protocols ``ArmStates``, ``Memberships``,
``Outbox`` and ``AlertSink`` are what ``segmentr.store`` implements.
"""

from segmentr.notifications.alerts import (
    Alert,
    AlertDetail,
    AlertSink,
    AlertState,
    AlertTransitionInvalid,
    advance,
    alert_for_delivery,
    endpoint_disabled_alert,
)
from segmentr.notifications.deliveries import Delivery, SegmentRef, delivery_id, webhook_body, webhook_id
from segmentr.notifications.errors import (
    DeliveryError,
    DeliveryRejected,
    DeliveryTimeout,
    DeliveryUnreachable,
    EndpointGone,
    FieldProblem,
    NotificationError,
    NotificationInvalid,
    RetryLater,
    TargetRefused,
)
from segmentr.notifications.events import EVENT_TYPES, Event, EventCollector, from_policy, new_event_id
from segmentr.notifications.matcher import CompiledConditions, Decision, Problem, condition_bindings, decide
from segmentr.notifications.membership import (
    MembershipDecision,
    Memberships,
    membership_changes,
    watched_segments,
)
from segmentr.notifications.model import (
    ChannelTarget,
    EmailTarget,
    InAppTarget,
    Notification,
    SlackTarget,
    WebhookTarget,
    new_webhook_secret,
    parse_notification,
    rotate_secret,
)
from segmentr.notifications.rearm import ArmState, ArmStates, RearmKey, rearmed, step
from segmentr.notifications.relay import (
    MAX_ATTEMPTS,
    RETRY_SCHEDULE_S,
    Attempt,
    Claim,
    Outbox,
    Outcome,
    Relay,
    RelayReport,
    next_attempt_at,
)

__all__ = [
    "EVENT_TYPES",
    "MAX_ATTEMPTS",
    "RETRY_SCHEDULE_S",
    "Alert",
    "AlertDetail",
    "AlertSink",
    "AlertState",
    "AlertTransitionInvalid",
    "ArmState",
    "ArmStates",
    "Attempt",
    "ChannelTarget",
    "Claim",
    "CompiledConditions",
    "Decision",
    "Delivery",
    "DeliveryError",
    "DeliveryRejected",
    "DeliveryTimeout",
    "DeliveryUnreachable",
    "EmailTarget",
    "EndpointGone",
    "Event",
    "EventCollector",
    "FieldProblem",
    "InAppTarget",
    "MembershipDecision",
    "Memberships",
    "Notification",
    "NotificationError",
    "NotificationInvalid",
    "Outbox",
    "Outcome",
    "Problem",
    "RearmKey",
    "Relay",
    "RelayReport",
    "RetryLater",
    "SegmentRef",
    "SlackTarget",
    "TargetRefused",
    "WebhookTarget",
    "advance",
    "alert_for_delivery",
    "condition_bindings",
    "decide",
    "delivery_id",
    "endpoint_disabled_alert",
    "from_policy",
    "membership_changes",
    "new_event_id",
    "new_webhook_secret",
    "next_attempt_at",
    "parse_notification",
    "rearmed",
    "rotate_secret",
    "step",
    "watched_segments",
    "webhook_body",
    "webhook_id",
]
