"""API v1 for webhooks under /api/v1/webhooks/: subscriptions, the delivery log, redelivery."""
