"""Demo help-centre content: realistic articles and synonyms, published by `manage.py seed_demo`.

The same articles are the search-quality corpus of tests/kb (with the queries customers type).
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction

from helpdesk.models import User
from kb import search, services
from kb.models import Article, DeflectionAttempt, SearchLog, Synonym
from tickets.models import Category as TicketCategory


@dataclass(frozen=True)
class CorpusArticle:
    slug: str
    title: str
    summary: str
    steps: tuple[str, ...]
    troubleshooting: str = ""
    keywords: str = ""


def body_for(article: CorpusArticle) -> str:
    """Render a corpus article in the help-centre template."""
    steps = "\n\n".join(
        f"### Step {n}: {step.split('.')[0]}\n{step}" for n, step in enumerate(article.steps, 1)
    )
    trouble = article.troubleshooting or "If the steps above do not work, contact support."
    return (
        f"{article.summary}\n\n## Quick Answer\n{article.steps[0]}\n\n"
        f"## Step-by-Step Instructions\n{steps}\n\n## Troubleshooting\n{trouble}\n\n"
        "## Still Need Help?\nOpen a ticket from the portal and we will get back to you."
    )


ARTICLES: tuple[CorpusArticle, ...] = (
    CorpusArticle(
        "reset-your-password",
        "Reset your password",
        "Forgot your password? Request a reset link by email and choose a new one.",
        (
            "Open the sign-in page and click Forgot password.",
            "Enter the email address of your account and submit the form.",
            "Open the reset link we email you within 15 minutes and choose a new password.",
        ),
        "**Problem:** The reset email never arrives. **Solution:** Check your spam folder and make sure "
        "the address matches your account.",
        keywords="forgot lost password recover account locked out",
    ),
    CorpusArticle(
        "change-your-password",
        "Change your password while signed in",
        "Update the password of your account from your profile settings.",
        (
            "Open Profile settings from the account menu.",
            "Enter your current password and the new one twice.",
            "Save; other devices are signed out.",
        ),
    ),
    CorpusArticle(
        "password-requirements",
        "Password rules and requirements",
        "What a valid password looks like: length, characters and reuse rules.",
        (
            "Use at least 12 characters.",
            "Avoid passwords you have used before; the last five are refused.",
        ),
        keywords="strength complexity policy",
    ),
    CorpusArticle(
        "set-up-single-sign-on",
        "Set up single sign-on (SSO) with SAML",
        "Let your team sign in with your identity provider such as Okta, Azure AD or Google Workspace.",
        (
            "Open Admin, then Security, then Single sign-on.",
            "Copy the ACS URL and entity ID into your identity provider.",
            "Upload the identity provider metadata XML and test the connection.",
            "Turn on Enforce SSO when the test succeeds.",
        ),
        keywords="saml okta azure entra google workspace idp",
    ),
    CorpusArticle(
        "sso-login-errors",
        "Fix SSO sign-in errors",
        "Troubleshoot failed single sign-on logins: certificate, clock skew and attribute mapping errors.",
        (
            "Check that the identity provider certificate has not expired.",
            "Make sure the email attribute is mapped to NameID.",
            "Compare server clocks; assertions older than five minutes are rejected.",
        ),
    ),
    CorpusArticle(
        "enable-two-factor-authentication",
        "Turn on two-factor authentication (2FA)",
        "Protect your account with a one-time code from an authenticator app.",
        (
            "Open Profile settings, then Security.",
            "Click Enable two-factor authentication and scan the QR code with an authenticator app.",
            "Enter the six-digit code and store your recovery codes somewhere safe.",
        ),
        keywords="2fa mfa multi-factor authenticator totp otp",
    ),
    CorpusArticle(
        "lost-two-factor-device",
        "Lost your phone or authenticator app",
        "Sign in with a recovery code when you no longer have your two-factor device.",
        (
            "On the code prompt, click Use a recovery code.",
            "Enter one of the recovery codes you saved when you turned on 2FA.",
            "Set up two-factor authentication again on your new phone.",
        ),
        keywords="new phone recovery codes backup codes 2fa",
    ),
    CorpusArticle(
        "download-invoices",
        "Download your invoices",
        "Find past invoices and receipts as PDF in the billing section.",
        (
            "Open Admin, then Billing, then Invoices.",
            "Click Download next to an invoice to get the PDF.",
        ),
        keywords="receipt bill pdf vat",
    ),
    CorpusArticle(
        "update-payment-method",
        "Update your credit card or payment method",
        "Change the card we charge for your subscription.",
        (
            "Open Admin, then Billing, then Payment method.",
            "Click Replace card and enter the new card details.",
            "Save; the next charge uses the new card.",
        ),
        "**Problem:** The card is declined. **Solution:** Ask your bank to allow international charges.",
        keywords="credit card debit card expired card payment failed declined",
    ),
    CorpusArticle(
        "change-subscription-plan",
        "Upgrade or downgrade your plan",
        "Move between the Free, Business and Enterprise plans; changes are prorated.",
        (
            "Open Admin, then Billing, then Plan.",
            "Pick the new plan and confirm; we prorate the difference on the next invoice.",
        ),
        keywords="pricing tier subscription",
    ),
    CorpusArticle(
        "cancel-subscription",
        "Cancel your subscription",
        "Stop renewal of your paid plan; your data stays available until the end of the period.",
        (
            "Open Admin, then Billing, then Plan.",
            "Click Cancel subscription and tell us why.",
        ),
        keywords="unsubscribe stop paying close account",
    ),
    CorpusArticle(
        "request-a-refund",
        "Request a refund",
        "When we refund charges and how to ask for one.",
        (
            "Open a ticket in the Billing category within 30 days of the charge.",
            "Include the invoice number; refunds reach your card in 5-10 business days.",
        ),
        keywords="money back chargeback",
    ),
    CorpusArticle(
        "add-vat-number",
        "Add a VAT or tax ID to invoices",
        "Show your company's VAT number and billing address on invoices.",
        (
            "Open Admin, then Billing, then Company details.",
            "Enter the VAT number; future invoices include it.",
        ),
        keywords="tax id gst company address",
    ),
    CorpusArticle(
        "create-api-key",
        "Create and manage API keys",
        "Generate API tokens for scripts and integrations, and revoke them when no longer needed.",
        (
            "Open Profile settings, then API tokens.",
            "Click New token, name it and copy the secret; it is shown once.",
            "Revoke a token from the same page when a script no longer needs it.",
        ),
        keywords="api token access token secret key generate revoke",
    ),
    CorpusArticle(
        "api-rate-limits",
        "API rate limits",
        "How many API requests you may make per minute and what happens when you exceed the limit.",
        (
            "Each token may make 600 requests per minute.",
            "Over the limit, the API answers 429 with a Retry-After header; wait and retry.",
        ),
        keywords="429 too many requests throttling quota",
    ),
    CorpusArticle(
        "configure-webhooks",
        "Send events to your app with webhooks",
        "Receive an HTTP POST when tickets are created or updated.",
        (
            "Open Admin, then Integrations, then Webhooks.",
            "Add the endpoint URL and choose the events to send.",
            "Verify each delivery with the signature header and your signing secret.",
        ),
        keywords="callback http post notification endpoint",
    ),
    CorpusArticle(
        "webhook-delivery-failures",
        "Webhook deliveries failing or retrying",
        "Why webhook deliveries fail, how retries work and how to replay a failed delivery.",
        (
            "Open the webhook and look at Recent deliveries for the response code.",
            "Answer with a 2xx status within 10 seconds; slower answers are retried.",
            "Click Redeliver to send a failed event again.",
        ),
    ),
    CorpusArticle(
        "export-tickets-csv",
        "Export tickets to CSV or Excel",
        "Download ticket lists with their fields as a spreadsheet.",
        (
            "Open a ticket view and apply the filters you need.",
            "Click Export and choose CSV; large exports are emailed to you.",
        ),
        keywords="spreadsheet excel download report csv",
    ),
    CorpusArticle(
        "export-all-account-data",
        "Export all of your account data",
        "Request a full archive of your organization's data for backup or migration.",
        (
            "Open Admin, then Data, then Full export.",
            "We email a download link to the archive within 24 hours.",
        ),
        keywords="backup gdpr data portability archive",
    ),
    CorpusArticle(
        "delete-your-account",
        "Delete your account and data",
        "Permanently remove your organization and all its data.",
        (
            "Cancel any paid subscription first.",
            "Open Admin, then Data, then Delete organization, and confirm with your password.",
        ),
        keywords="remove erase gdpr right to be forgotten close",
    ),
    CorpusArticle(
        "invite-team-members",
        "Invite teammates to your workspace",
        "Add colleagues as agents or admins by email invitation.",
        (
            "Open Admin, then Team, then Invite.",
            "Enter their email addresses and choose a role.",
            "Invitations expire after 7 days; resend from the same page.",
        ),
        keywords="add user colleague invitation seat",
    ),
    CorpusArticle(
        "change-user-roles",
        "Change a user's role and permissions",
        "Make someone an admin, team lead or agent, or limit what they can do.",
        (
            "Open Admin, then Team, and click the person.",
            "Pick the new role and save.",
        ),
        keywords="admin rights access level permission",
    ),
    CorpusArticle(
        "change-email-address",
        "Change the email address of your account",
        "Use a new email address for signing in and notifications.",
        (
            "Open Profile settings and edit Email.",
            "Confirm the change from the link we send to the new address.",
        ),
        keywords="update email login address",
    ),
    CorpusArticle(
        "notification-settings",
        "Choose which email notifications you get",
        "Turn ticket notification emails on or off and set a daily digest.",
        (
            "Open Profile settings, then Notifications.",
            "Tick the events you want emails for and save.",
        ),
        keywords="emails alerts too many emails mute digest",
    ),
    CorpusArticle(
        "emails-not-arriving",
        "Not receiving emails from us",
        "What to check when ticket emails or notifications do not arrive.",
        (
            "Check the spam or junk folder.",
            "Add our sending domain to your allow list.",
            "Make sure notifications are turned on in your profile.",
        ),
        keywords="spam junk missing emails",
    ),
    CorpusArticle(
        "connect-support-email",
        "Forward your support mailbox to the helpdesk",
        "Turn emails to support@yourcompany into tickets by forwarding your mailbox.",
        (
            "Open Admin, then Channels, then Email.",
            "Copy the forwarding address and add a forwarding rule in Gmail or Outlook.",
            "Send a test email and check that a ticket appears.",
        ),
        keywords="mailbox gmail outlook forwarding inbound email channel",
    ),
    CorpusArticle(
        "custom-domain-help-center",
        "Use your own domain for the help center",
        "Serve the help center from help.yourcompany.com with HTTPS.",
        (
            "Add a CNAME record pointing help.yourcompany.com to our host.",
            "Enter the domain in Admin, then Help center, then Domain; we issue the certificate.",
        ),
        keywords="cname dns ssl certificate https vanity url",
    ),
    CorpusArticle(
        "sla-policies",
        "Set response time targets with SLA policies",
        "Define first response and resolution targets per priority and customer tier.",
        (
            "Open Admin, then SLA policies, then New policy.",
            "Choose the priorities and tiers it applies to and the target times.",
            "Pick business hours so that nights and weekends do not count.",
        ),
        keywords="service level agreement response time deadline breach",
    ),
    CorpusArticle(
        "business-hours-holidays",
        "Business hours and holidays",
        "Tell the helpdesk when your team works so SLA timers pause outside those hours.",
        (
            "Open Admin, then Business hours.",
            "Set opening hours per weekday and your time zone.",
            "Add public holidays; timers pause on those days.",
        ),
        keywords="opening hours calendar timezone vacation",
    ),
    CorpusArticle(
        "canned-responses",
        "Reply faster with canned responses",
        "Save answers you send often and insert them into replies.",
        (
            "Open Admin, then Canned responses, then New.",
            "In a ticket reply, type / and pick the saved answer.",
        ),
        keywords="macros templates saved replies snippets",
    ),
    CorpusArticle(
        "merge-duplicate-tickets",
        "Merge duplicate tickets",
        "Combine two tickets about the same problem into one conversation.",
        (
            "Open the ticket to keep.",
            "Click More, then Merge, and pick the duplicate ticket.",
        ),
        keywords="duplicate combine join",
    ),
    CorpusArticle(
        "import-from-zendesk",
        "Import tickets from Zendesk or another helpdesk",
        "Move your ticket history from Zendesk, Freshdesk or a CSV file.",
        (
            "Export your tickets from the old tool as CSV.",
            "Open Admin, then Import, upload the file and map the columns.",
        ),
        keywords="migrate migration freshdesk switch",
    ),
    CorpusArticle(
        "mobile-app",
        "Use the helpdesk on your phone",
        "Answer tickets from iOS and Android through the mobile web app.",
        (
            "Open the helpdesk in your phone's browser and sign in.",
            "Add it to your home screen for app-like access and push notifications.",
        ),
        keywords="ios android iphone mobile app smartphone",
    ),
    CorpusArticle(
        "satisfaction-surveys",
        "Send customer satisfaction (CSAT) surveys",
        "Ask customers to rate their support experience after a ticket is solved.",
        (
            "Open Admin, then Surveys, and turn on CSAT.",
            "Choose how long after solving the survey is sent.",
        ),
        keywords="csat rating feedback score survey",
    ),
)

# (query, expected top article slug). Typos, synonyms, plurals and tenses, and question phrasing.


SYNONYMS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("log in", ("sign in", "login", "password")),
    ("login", ("sign in",)),
    ("mfa", ("2fa", "two-factor")),
    ("receipt", ("invoice",)),
    ("money back", ("refund",)),
    ("organization", ("account",)),
    ("colleague", ("teammate", "team member")),
    ("macros", ("canned responses",)),
    ("excel", ("csv", "spreadsheet")),
)


# Which ticket categories (by name) each demo article answers; Slack, Salesforce, Bug and Feature
# request stay uncovered, so the coverage report has gaps to show.
CATEGORY_ARTICLES: dict[str, tuple[str, ...]] = {
    "Password reset": ("reset-your-password", "change-your-password", "password-requirements"),
    "SSO": ("set-up-single-sign-on", "sso-login-errors"),
    "Two-factor": ("enable-two-factor-authentication", "lost-two-factor-device"),
    "Invoices": ("download-invoices", "add-vat-number"),
    "Refunds": ("request-a-refund",),
    "Plan changes": ("change-subscription-plan", "cancel-subscription", "update-payment-method"),
    "Errors": ("create-api-key",),
    "Rate limits": ("api-rate-limits",),
    "Webhooks": ("configure-webhooks", "webhook-delivery-failures"),
    "Users and permissions": ("invite-team-members", "change-user-roles"),
    "Data export": ("export-tickets-csv", "export-all-account-data"),
    "How-to": ("canned-responses", "merge-duplicate-tickets", "sla-policies"),
}
# What demo visitors type into the help centre (a few find nothing: content gaps to report).
DEMO_SEARCHES: tuple[str, ...] = (
    "reset password", "forgot my password", "invoice", "download invoice pdf", "refund",
    "cancel subscription", "api key", "rate limit", "webhook failing", "two factor",
    "lost phone 2fa", "sso", "export tickets to excel", "add user", "change email",
    "emails not arriving", "delete account", "vat number", "slack integration", "salesforce sync",
    "dark mode", "gdpr data processing agreement", "change plan", "business hours",
)  # fmt: skip


@transaction.atomic
def demo_articles_publish(
    author: User, *, ticket_categories: Mapping[str, TicketCategory] | None = None
) -> dict[str, Article]:
    """Create and publish every demo article (and the synonyms) through the services; return them by slug.

    `ticket_categories` (by name) links articles to the ticket categories they answer.
    """
    answers: dict[str, list[TicketCategory]] = {}
    for name, slugs in CATEGORY_ARTICLES.items():
        if ticket_categories and name in ticket_categories:
            for slug in slugs:
                answers.setdefault(slug, []).append(ticket_categories[name])
    for term, alternatives in SYNONYMS:
        Synonym.objects.get_or_create(term=term, defaults={"synonyms": list(alternatives)})
    published = {}
    for item in ARTICLES:
        article = services.article_create(
            actor=author,
            title=item.title,
            slug=item.slug,
            summary=item.summary,
            keywords=item.keywords,
            body=body_for(item),
            ticket_categories=answers.get(item.slug, ()),
        )
        published[item.slug] = services.article_publish(article_id=article.pk, actor=author)
    return published


def demo_self_service_history(
    *, rng: random.Random, customers: Sequence[User], now: datetime, days: int = 30
) -> int:
    """Record `days` of help-centre searches, clicks, votes and portal suggestion attempts.

    Searches run the real search (so result counts are true); times are spread over the period.
    Returns how many searches were recorded.
    """
    logs: list[tuple[int, datetime]] = []
    for day in range(days, 0, -1):
        for _ in range(rng.randint(6, 16)):
            at = now - timedelta(days=day) + timedelta(minutes=rng.randint(0, 24 * 60 - 1))
            results = search.article_search(rng.choice(DEMO_SEARCHES), user=None, limit=5)
            visitor = secrets.token_hex(16)
            log = services.search_log_record(
                query=results.query,
                result_count=len(results.hits),
                corrected_query=results.did_you_mean,
                user=None,
                session_key=visitor,
            )
            logs.append((log.pk, at))
            if results.hits and rng.random() < 0.65:
                article = results.hits[0].article
                services.search_log_record_click(
                    search_log_id=log.pk, article_id=article.pk, user=None, session_key=visitor, now=at
                )
                services.article_record_view(article_id=article.pk)
                if rng.random() < 0.4:
                    services.feedback_record(
                        article_id=article.pk,
                        is_helpful=rng.random() < 0.82,
                        comment="",
                        user=None,
                        session_key=visitor,
                    )
    for pk, at in logs:
        SearchLog.objects.filter(pk=pk).update(created_at=at)
    for customer in rng.sample(list(customers), min(12, len(customers))):
        at = now - timedelta(days=rng.randint(1, days - 1), minutes=rng.randint(0, 600))
        results = search.article_search(rng.choice(DEMO_SEARCHES), user=None, limit=5)
        opened = results.hits[0].article if results.hits and rng.random() < 0.7 else None
        DeflectionAttempt.objects.create(
            token=secrets.token_urlsafe(24),
            user=customer,
            query=results.query,
            result_count=len(results.hits),
            suggested=bool(results.hits),
            opened_article=opened,
            opened_at=at + timedelta(seconds=40) if opened else None,
            started_at=at,
            updated_at=at + timedelta(seconds=30),
        )
    return len(logs)
