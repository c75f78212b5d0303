"""The queries customers type, with the article each should find, over the demo help centre.

Used by tests/kb/test_search_quality.py (precision@1 and zero-result rate) and bench/kb_bench.py.
The articles and synonyms themselves are kb/demo.py (also what `seed_demo` publishes).
"""

from __future__ import annotations

from kb.demo import ARTICLES, SYNONYMS, CorpusArticle, body_for

__all__ = ["ARTICLES", "QUERIES", "SYNONYMS", "CorpusArticle", "body_for"]


QUERIES: tuple[tuple[str, str], ...] = (
    ("reset password", "reset-your-password"),
    ("pasword rest", "reset-your-password"),
    ("forgot my password", "reset-your-password"),
    ("how do I reset my password?", "reset-your-password"),
    ("i can't log in", "reset-your-password"),
    ("password reset email not arriving", "reset-your-password"),
    ("change password", "change-your-password"),
    ("how to change my pasword", "change-your-password"),
    ("password requirements", "password-requirements"),
    ("how long must a password be", "password-requirements"),
    ("sso", "set-up-single-sign-on"),
    ("set up saml", "set-up-single-sign-on"),
    ("okta integration", "set-up-single-sign-on"),
    ("singel sign on", "set-up-single-sign-on"),
    ("sso login error", "sso-login-errors"),
    ("saml certificate expired", "sso-login-errors"),
    ("2fa", "enable-two-factor-authentication"),
    ("enable mfa", "enable-two-factor-authentication"),
    ("two factor authentification", "enable-two-factor-authentication"),
    ("lost my phone", "lost-two-factor-device"),
    ("recovery codes", "lost-two-factor-device"),
    ("invoices", "download-invoices"),
    ("where can I download my invoice", "download-invoices"),
    ("download receipt", "download-invoices"),
    ("invoise pdf", "download-invoices"),
    ("update credit card", "update-payment-method"),
    ("my card was declined", "update-payment-method"),
    ("change payment method", "update-payment-method"),
    ("upgrade plan", "change-subscription-plan"),
    ("downgrading to free", "change-subscription-plan"),
    ("cancel subscription", "cancel-subscription"),
    ("how do I cancel", "cancel-subscription"),
    ("refund", "request-a-refund"),
    ("get my money back", "request-a-refund"),
    ("vat number on invoice", "add-vat-number"),
    ("tax id", "add-vat-number"),
    ("api key", "create-api-key"),
    ("generate api token", "create-api-key"),
    ("revoking tokens", "create-api-key"),
    ("rate limit", "api-rate-limits"),
    ("429 too many requests", "api-rate-limits"),
    ("webhooks", "configure-webhooks"),
    ("set up a webhook", "configure-webhooks"),
    ("webhok", "configure-webhooks"),
    ("webhook failed", "webhook-delivery-failures"),
    ("webhook retries", "webhook-delivery-failures"),
    ("export tickets", "export-tickets-csv"),
    ("export to excel", "export-tickets-csv"),
    ("backup all my data", "export-all-account-data"),
    ("delete account", "delete-your-account"),
    ("how do I delete my organization", "delete-your-account"),
    ("invite users", "invite-team-members"),
    ("add a colleague", "invite-team-members"),
    ("make someone admin", "change-user-roles"),
    ("change email address", "change-email-address"),
    ("stop email notifications", "notification-settings"),
    ("not getting emails", "emails-not-arriving"),
    ("emails going to spam", "emails-not-arriving"),
    ("forward gmail to helpdesk", "connect-support-email"),
    ("custom domain", "custom-domain-help-center"),
    ("cname", "custom-domain-help-center"),
    ("sla", "sla-policies"),
    ("response time targets", "sla-policies"),
    ("business hours", "business-hours-holidays"),
    ("public holidays", "business-hours-holidays"),
    ("canned responses", "canned-responses"),
    ("macros", "canned-responses"),
    ("merge tickets", "merge-duplicate-tickets"),
    ("import from zendesk", "import-from-zendesk"),
    ("migrating from freshdesk", "import-from-zendesk"),
    ("iphone app", "mobile-app"),
    ("csat survey", "satisfaction-surveys"),
)

# Admin-managed synonym rows the corpus relies on (customer words → the words articles use).
