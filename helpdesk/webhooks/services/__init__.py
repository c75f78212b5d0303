"""Every write of the webhooks (STYLE.md C3): subscriptions, fan-out, one-off deliveries (automation
and survey answers), delivery and redelivery."""

from __future__ import annotations

from helpdesk.webhooks.services.delivery import (
    CLAIM_LEASE,
    Claim,
    webhook_deliveries_claim_due,
    webhook_deliveries_dispatch_due,
    webhook_deliveries_purge,
    webhook_delivery_attempt,
    webhook_delivery_redeliver,
)
from helpdesk.webhooks.services.fanout import feed_cursors_ensure, webhooks_fan_out
from helpdesk.webhooks.services.one_off import (
    WebhookEndpointUnavailable,
    webhook_automation_call,
    webhook_deliveries_enqueue,
    webhook_survey_answered,
)
from helpdesk.webhooks.services.subscriptions import (
    secrets_in_use,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_enable,
    webhook_subscription_rotate_secret,
    webhook_subscription_update,
)

__all__ = [
    "CLAIM_LEASE",
    "Claim",
    "WebhookEndpointUnavailable",
    "feed_cursors_ensure",
    "secrets_in_use",
    "webhook_automation_call",
    "webhook_deliveries_claim_due",
    "webhook_deliveries_dispatch_due",
    "webhook_deliveries_enqueue",
    "webhook_deliveries_purge",
    "webhook_delivery_attempt",
    "webhook_delivery_redeliver",
    "webhook_subscription_create",
    "webhook_subscription_delete",
    "webhook_subscription_enable",
    "webhook_subscription_rotate_secret",
    "webhook_subscription_update",
    "webhook_survey_answered",
    "webhooks_fan_out",
]
