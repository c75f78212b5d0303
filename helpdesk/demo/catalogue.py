"""What the demo helpdesk contains: accounts, teams, taxonomy, ticket scenarios and their pacing."""

from __future__ import annotations

from dataclasses import dataclass

from helpdesk.models import CustomerTier, Segment, SupportTier

# (email, password, what it is); the README and the command's output list the same logins.
DEMO_LOGINS: tuple[tuple[str, str, str], ...] = (
    ("agent@demo.helpdesk", "demo-agent-pass", "agent, Frontline (L1)"),
    ("lead@demo.helpdesk", "demo-lead-pass", "team lead, Frontline"),
    ("manager@demo.helpdesk", "demo-manager-pass", "support manager"),
    ("admin@demo.helpdesk", "demo-admin-pass", "administrator"),
    ("customer@acme.example", "demo-customer-pass", "customer, Acme Corporation (Enterprise, VIP)"),
)
DEMO_MARKER_EMAIL = "admin@demo.helpdesk"
HISTORY_DAYS = 90

# name, tier, segment, VIP, members see each other's tickets, domains, customers
ORGANIZATIONS: tuple[tuple[str, str, str, bool, bool, tuple[str, ...], int], ...] = (
    ("Acme Corporation", CustomerTier.ENTERPRISE, Segment.HIGH_TOUCH, True, True, ("acme.example",), 9),
    ("Globex", CustomerTier.ENTERPRISE, Segment.HIGH_TOUCH, False, True, ("globex.example",), 7),
    ("Initech", CustomerTier.ENTERPRISE, Segment.BLENDED, True, False, ("initech.example",), 6),
    ("Umbrella Health", CustomerTier.BUSINESS, Segment.HIGH_TOUCH, False, True, ("umbrella.example",), 5),
    ("Hooli", CustomerTier.BUSINESS, Segment.BLENDED, True, False, ("hooli.example", "hooli.test"), 5),
    ("Stark Logistics", CustomerTier.BUSINESS, Segment.BLENDED, False, True, ("stark.example",), 4),
    ("Wayne Retail", CustomerTier.BUSINESS, Segment.BLENDED, False, False, ("wayne.example",), 4),
    ("Soylent Foods", CustomerTier.PROFESSIONAL, Segment.BLENDED, False, False, ("soylent.example",), 3),
    (
        "Vandelay Industries",
        CustomerTier.PROFESSIONAL,
        Segment.BLENDED,
        False,
        True,
        ("vandelay.example",),
        3,
    ),
    ("Pied Piper", CustomerTier.PROFESSIONAL, Segment.SCALED, False, False, ("piedpiper.example",), 3),
    ("Gringotts Finance", CustomerTier.PROFESSIONAL, Segment.BLENDED, True, False, ("gringotts.example",), 3),
    ("Dunder Paper", CustomerTier.STARTER, Segment.SCALED, False, False, ("dunder.example",), 2),
    ("Bluth Properties", CustomerTier.STARTER, Segment.SCALED, False, False, ("bluth.example",), 2),
    ("Prestige Worldwide", CustomerTier.STARTER, Segment.SCALED, False, False, ("prestige.example",), 2),
    ("Cyberdyne Labs", CustomerTier.STARTER, Segment.SCALED, False, False, ("cyberdyne.example",), 2),
    ("Oceanic Travel", CustomerTier.FREE, Segment.SCALED, False, False, ("oceanic.example",), 2),
    ("Tyrell Studio", CustomerTier.FREE, Segment.SCALED, False, False, ("tyrell.example",), 1),
    ("Nakatomi Trading", CustomerTier.FREE, Segment.SCALED, False, False, ("nakatomi.example",), 1),
)
# Tickets filed per customer, by tier: bigger accounts use the product (and support) more.
TIER_ACTIVITY = {"enterprise": 3.0, "business": 2.0, "professional": 1.4, "starter": 1.0, "free": 0.6}
INDEPENDENT_CUSTOMERS = 8  # customers with no organization (personal mailboxes)

# name, default tier, escalation team, members (excluding the lead), skills
TEAMS: tuple[tuple[str, str, bool, int, tuple[str, ...]], ...] = (
    ("Frontline", SupportTier.L1, False, 6, ("Product basics", "Account admin")),
    ("Specialists", SupportTier.L2, False, 4, ("Public API", "Integrations", "Data imports")),
    ("Engineering escalations", SupportTier.L3, True, 3, ("Debugging", "Databases")),
    ("Billing", SupportTier.L1, False, 3, ("Invoicing", "Payments")),
    ("Authentication", SupportTier.L2, False, 3, ("SSO and SAML", "Two-factor")),
)
TIME_ZONES = (
    "Europe/Berlin",
    "Europe/London",
    "America/New_York",
    "America/Los_Angeles",
    "Asia/Kolkata",
    "Australia/Sydney",
    "UTC",
)
FIRST_NAMES = [
    "Ada",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hugo",
    "Ines",
    "Jonas",
    "Kira",
    "Liam",
    "Mara",
    "Nils",
    "Olga",
    "Priya",
    "Quentin",
    "Rosa",
    "Sami",
    "Tara",
    "Umar",
    "Vera",
    "Wen",
    "Ximena",
    "Yusuf",
    "Zoe",
]
LAST_NAMES = [
    "Adams",
    "Berg",
    "Costa",
    "Dubois",
    "Eriksen",
    "Fischer",
    "Garcia",
    "Haddad",
    "Ito",
    "Jensen",
    "Kowalski",
    "Lopez",
    "Moreau",
    "Novak",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Schmidt",
    "Tanaka",
    "Ueda",
    "Varga",
    "Weber",
    "Yilmaz",
    "Zhang",
]

CATEGORIES: dict[str, tuple[str, ...]] = {
    "Authentication": ("SSO", "Password reset", "Two-factor"),
    "Billing": ("Invoices", "Refunds", "Plan changes"),
    "API": ("Errors", "Rate limits", "Webhooks"),
    "Integrations": ("Slack", "Salesforce"),
    "Account": ("Users and permissions", "Data export"),
    "Product": ("Bug", "Feature request", "How-to"),
}
TAGS: tuple[tuple[str, str], ...] = (
    ("bug", "Something in the product does not work as documented."),
    ("how-to", "The customer asks how to do something."),
    ("feature-request", "Asks for something the product does not do yet."),
    ("user-error", "Resolved by correcting how the product was used."),
    ("product-bug", "Confirmed defect, filed with engineering."),
    ("documentation", "The docs were missing, wrong or unclear."),
    ("known-issue", "Matches an issue already being worked on."),
    ("no-survey", "Do not send a satisfaction survey."),
    ("outage", "Part of a service incident."),
    ("churn-risk", "The account is unhappy; tell the account owner."),
)
PRODUCT_AREAS = ("Web app", "Mobile app", "Public API", "Admin console", "Billing portal", "Integrations")


@dataclass(frozen=True)
class Scenario:
    """A kind of ticket customers send, with how it is usually routed and worked."""

    category: tuple[str, str]
    product_area: str
    team: str
    tags: tuple[str, ...]
    priorities: tuple[int, int, int, int, int]  # relative weights of P1..P5
    subjects: tuple[str, ...]
    detail: str
    solution: str
    escalate: float = 0.0  # chance the first team hands it to the next tier
    engineering: float = 0.0  # chance an escalated ticket goes on to L3 engineering
    weight: float = 1.0


SCENARIOS: tuple[Scenario, ...] = (
    Scenario(
        ("Authentication", "SSO"),
        "Web app",
        "Authentication",
        ("bug",),
        (1, 5, 10, 3, 0),
        (
            "SAML login fails with 'invalid audience'",
            "SSO redirect loop after IdP certificate rotation",
            "Okta users land on an error page",
        ),
        "Since this morning our users get an error when signing in through our identity provider. "
        "Nothing changed on our side as far as we know.",
        "The IdP sends the old entity ID. Update the audience URI in your IdP to the value shown "
        "under Admin > Security > SSO and sign in again.",
        escalate=0.1,
        engineering=0.3,
        weight=1.2,
    ),
    Scenario(
        ("Authentication", "Password reset"),
        "Web app",
        "Frontline",
        ("how-to",),
        (0, 1, 5, 6, 1),
        ("Password reset email never arrives", "Reset link says it expired", "Locked out after reset"),
        "I requested a password reset several times and nothing arrives, not even in spam.",
        "Your mail server rejected our sender domain. Please allow-list notifications@ our domain; "
        "I have sent a fresh reset link.",
        weight=1.6,
    ),
    Scenario(
        ("Authentication", "Two-factor"),
        "Mobile app",
        "Authentication",
        ("how-to",),
        (0, 1, 5, 4, 0),
        ("Two-factor codes rejected after phone change", "Lost my authenticator device"),
        "I replaced my phone and the codes from the authenticator app are no longer accepted.",
        "I verified your identity and reset two-factor enrolment; you can enrol the new phone at "
        "next sign-in.",
        weight=0.9,
    ),
    Scenario(
        ("Billing", "Invoices"),
        "Billing portal",
        "Billing",
        (),
        (0, 1, 5, 6, 2),
        (
            "Invoice shows the wrong VAT number",
            "Need invoices re-issued to a new address",
            "Invoice total does not match the quote",
        ),
        "The invoice for last month lists an old VAT number; our accounts team cannot book it.",
        "I re-issued the invoice with the corrected details; it is attached to your billing page.",
        weight=1.3,
    ),
    Scenario(
        ("Billing", "Refunds"),
        "Billing portal",
        "Billing",
        (),
        (0, 2, 5, 4, 0),
        ("Charged twice this month", "Refund for unused seats"),
        "Our card was charged twice for the same subscription period.",
        "The second charge was a retry that succeeded after the first had gone through. I refunded "
        "it; it shows on your statement within 5-10 business days.",
        weight=0.9,
    ),
    Scenario(
        ("Billing", "Plan changes"),
        "Billing portal",
        "Billing",
        ("how-to",),
        (0, 0, 2, 5, 4),
        ("How do we move to annual billing?", "Downgrade to a smaller plan"),
        "We would like to change our plan at renewal. What are the options?",
        "I scheduled the change for your renewal date; you keep the current plan until then.",
        weight=0.8,
    ),
    Scenario(
        ("API", "Errors"),
        "Public API",
        "Frontline",
        ("bug",),
        (1, 4, 8, 2, 0),
        ("POST /v2/orders returns 500", "API responds 502 intermittently", "Pagination cursor rejected"),
        "Our integration started receiving server errors from the API. Request ids below.",
        "A fix for the failing endpoint is deployed; your requests succeed again. Retrying the failed "
        "calls is safe.",
        escalate=0.55,
        engineering=0.45,
        weight=1.3,
    ),
    Scenario(
        ("API", "Rate limits"),
        "Public API",
        "Frontline",
        ("how-to",),
        (0, 1, 5, 4, 1),
        ("Hitting 429 Too Many Requests", "Rate limit for bulk sync"),
        "Our nightly sync hits rate limits although we stay under the documented numbers.",
        "Your sync opens a new token per batch. Reuse one token and honour Retry-After; I also raised "
        "your limit for the nightly window.",
        escalate=0.3,
        engineering=0.1,
        weight=0.8,
    ),
    Scenario(
        ("API", "Webhooks"),
        "Public API",
        "Frontline",
        ("known-issue",),
        (0, 2, 6, 2, 0),
        ("Webhooks arrive hours late", "Webhook signature verification fails"),
        "Webhook deliveries are delayed by hours since yesterday.",
        "The delivery queue backlog is cleared and deliveries are real-time again.",
        escalate=0.45,
        engineering=0.35,
        weight=0.8,
    ),
    Scenario(
        ("Integrations", "Slack"),
        "Integrations",
        "Frontline",
        (),
        (0, 1, 4, 4, 1),
        ("Slack notifications stopped", "Slack app asks to reinstall"),
        "Our Slack channel stopped receiving ticket notifications.",
        "The Slack app lost its token when your workspace admin rotated credentials. Reconnecting "
        "from Settings > Integrations restores it.",
        escalate=0.25,
        engineering=0.2,
        weight=0.7,
    ),
    Scenario(
        ("Integrations", "Salesforce"),
        "Integrations",
        "Specialists",
        ("bug",),
        (0, 2, 5, 3, 0),
        ("Salesforce sync skips some accounts", "Duplicate contacts after Salesforce sync"),
        "Since the last sync some accounts are missing and others appear twice.",
        "The field mapping matched on name instead of account id. I corrected the mapping and ran a "
        "full resync.",
        escalate=0.3,
        engineering=0.5,
        weight=0.6,
    ),
    Scenario(
        ("Account", "Users and permissions"),
        "Admin console",
        "Frontline",
        ("how-to",),
        (0, 1, 4, 6, 3),
        ("How do I give a user read-only access?", "Remove a user who left the company"),
        "We need a role that can see reports but not change anything.",
        "Use the built-in Viewer role (Admin > Users > Role). I linked the guide for custom roles.",
        weight=1.2,
    ),
    Scenario(
        ("Account", "Data export"),
        "Reporting",
        "Frontline",
        ("product-bug",),
        (0, 2, 6, 3, 0),
        ("CSV export is missing columns", "Export times out for large date ranges"),
        "The CSV export leaves out the custom fields we added last month.",
        "Custom fields are now included in exports; please export again.",
        escalate=0.4,
        engineering=0.4,
        weight=0.8,
    ),
    Scenario(
        ("Product", "Bug"),
        "Mobile app",
        "Frontline",
        ("bug",),
        (1, 3, 7, 4, 0),
        ("Mobile app crashes on startup", "Dashboard charts stay empty", "Search ignores accents"),
        "After updating, the app closes immediately when opened. Reinstalling did not help.",
        "The crash came from a corrupted local cache. Version 4.2.1, out today, fixes it.",
        escalate=0.4,
        engineering=0.4,
        weight=1.1,
    ),
    Scenario(
        ("Product", "Feature request"),
        "Web app",
        "Frontline",
        ("feature-request",),
        (0, 0, 0, 3, 10),
        ("Dark mode, please", "Schedule reports by email", "Bulk edit for custom fields"),
        "It would help us a lot if the product could do this.",
        "I logged this with the product team, linked to your account; we will update you when it is planned.",
        weight=0.9,
    ),
    Scenario(
        ("Product", "How-to"),
        "Web app",
        "Frontline",
        ("how-to", "documentation"),
        (0, 1, 4, 6, 3),
        ("How to set up business hours?", "Where do I change the logo?", "Import contacts from CSV"),
        "I could not find this in the documentation.",
        "Here are the steps; I also asked our docs team to make this easier to find.",
        weight=1.1,
    ),
)
# Service incidents: several customers report the same outage within an hour or two.
OUTAGE = Scenario(
    ("API", "Errors"),
    "Web app",
    "Frontline",
    ("outage", "known-issue"),
    (5, 3, 0, 0, 0),
    ("Dashboard returns 502 for all users", "Cannot log in - site down", "API down, all requests time out"),
    "Nobody in our company can use the product right now. This is blocking our operations.",
    "The incident is resolved: a failed database failover caused the outage. Details follow in our "
    "post-incident report.",
    escalate=1.0,
    engineering=1.0,
)
PRIORITIES = ("p1", "p2", "p3", "p4", "p5")
# Median minutes until a step happens, by priority P1..P5.
TRIAGE_MINUTES = (4, 15, 45, 90, 180)
ASSIGN_MINUTES = (2, 10, 30, 60, 120)
FIRST_REPLY_MINUTES = (8, 40, 150, 300, 600)
AGENT_REPLY_MINUTES = (20, 60, 180, 300, 600)
WORK_MINUTES = (120, 360, 1200, 2400, 4000)
# Arrivals: weekday weights Monday first, and UTC hour-of-day weights (EU and US business hours).
WEEKDAY_WEIGHTS = (1.15, 1.1, 1.05, 1.0, 0.85, 0.3, 0.25)
HOUR_WEIGHTS = (
    0.15, 0.12, 0.1, 0.1, 0.15, 0.3, 0.6, 1.0, 1.4, 1.6, 1.7, 1.6,
    1.5, 1.8, 2.0, 2.0, 1.8, 1.5, 1.2, 0.9, 0.7, 0.5, 0.35, 0.2,
)  # fmt: skip

AGENT_QUESTIONS = (
    "Thanks for reaching out. Could you send the exact error message and the time it happened?",
    "Thanks for the report. Which browser and version are you on, and does it happen for every user?",
    "Could you share a request id or a screenshot so I can trace this on our side?",
)
CUSTOMER_REPLIES = (
    "Here is the screenshot and the request id: 7f3c9a. It happened around 10:15 our time.",
    "It happens for everybody in the team, in Chrome and Firefox.",
    "Sorry for the delay. The error says 'unexpected response'. Anything else you need?",
    "Any update on this? It is still happening and the team is waiting.",
)
INTERNAL_NOTES = (
    "Reproduced on staging with the customer's settings.",
    "Checked the logs: errors started after Tuesday's deploy. Watching for more reports.",
    "Customer is mid-renewal; keep the account owner in the loop.",
    "Similar to a ticket from last week; same root cause likely.",
)
FOLLOW_UPS = ("Just checking in: did the steps above help? If we don't hear back we'll close this ticket.",)
