"""Outgoing webhooks: subscriptions, fan-out from the event logs, signed delivery with retries.

The event logs other apps already write in the same transaction as every change (TicketEvent,
SlaEvent) are the outbox: a beat sweep reads new rows past a per-source position, maps them to
webhook event types and inserts one WebhookDelivery per (subscription, source event) under a
unique constraint; deliveries are then claimed and POSTed by Celery tasks. See docs/webhooks.md.
"""
