"""Shared fixtures: users of every role, organizations and API clients."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from rest_framework.test import APIClient

from helpdesk.models import Organization, Role, User
from tests.factories import AgentFactory, CustomerFactory, OrganizationFactory, TeamFactory, UserFactory
from tests.sla.worker_support import CeleryStack, RedisServer, iter_logs


@pytest.fixture(autouse=True)
def _isolated_redis_rate_limits(settings: pytest.FixtureRequest) -> None:
    """Keep rate limiting out of the way unless a test asks for it."""
    settings.API_RATE_LIMIT_PER_MINUTE = 100_000
    settings.ACCOUNT_MAIL_PER_ADDRESS_PER_HOUR = 100_000
    settings.ACCOUNT_MAIL_PER_IP_PER_HOUR = 100_000


@pytest.fixture(autouse=True)
def _cold_sla_caches(request: pytest.FixtureRequest) -> None:
    """Start every test with empty per-process caches and, for database tests, the SLA defaults.

    Transactional tests flush the database, taking the migration-seeded default calendar and
    policy with them; later tests in the same process get them back here.
    """
    from sla.services.calendars import calendar_cache_clear
    from sla.services.policies import policy_cache_clear, sla_defaults_ensure
    from tickets.forms import choices_cache_clear

    calendar_cache_clear()
    policy_cache_clear()
    choices_cache_clear()  # the ticket page's option lists (agents, teams, tags) of earlier tests
    marker = request.node.get_closest_marker("django_db")
    transactional = "transactional_db" in request.fixturenames or bool(
        marker and marker.kwargs.get("transaction")
    )
    if marker or {"db", "transactional_db"} & set(request.fixturenames):
        request.getfixturevalue("transactional_db" if transactional else "db")
        sla_defaults_ensure()


@pytest.fixture
def organization(db: None) -> Organization:
    return OrganizationFactory(name="Acme", tier="enterprise")


@pytest.fixture
def other_organization(db: None) -> Organization:
    return OrganizationFactory(name="Globex", tier="free")


@pytest.fixture
def customer(organization: Organization) -> User:
    return CustomerFactory(email="alice@acme.test", organization=organization)


@pytest.fixture
def coworker(organization: Organization) -> User:
    return CustomerFactory(email="bob@acme.test", organization=organization)


@pytest.fixture
def outsider(other_organization: Organization) -> User:
    return CustomerFactory(email="eve@globex.test", organization=other_organization)


@pytest.fixture
def agent(db: None) -> User:
    return AgentFactory(email="agent@helpdesk.test")


@pytest.fixture
def other_agent(db: None) -> User:
    return AgentFactory(email="agent2@helpdesk.test")


@pytest.fixture
def manager(db: None) -> User:
    return UserFactory(email="manager@helpdesk.test", role=Role.MANAGER)


@pytest.fixture
def admin_user(db: None) -> User:
    return UserFactory(email="admin@helpdesk.test", role=Role.ADMIN)


@pytest.fixture
def team(agent: User):
    team = TeamFactory(name="Support", slug="support", lead=agent)
    team.members.add(agent)
    return team


def _client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def customer_client(customer: User) -> APIClient:
    return _client_for(customer)


@pytest.fixture
def coworker_client(coworker: User) -> APIClient:
    return _client_for(coworker)


@pytest.fixture
def outsider_client(outsider: User) -> APIClient:
    return _client_for(outsider)


@pytest.fixture
def agent_client(agent: User) -> APIClient:
    return _client_for(agent)


@pytest.fixture
def manager_client(manager: User) -> APIClient:
    return _client_for(manager)


@pytest.fixture
def admin_client_api(admin_user: User) -> APIClient:
    return _client_for(admin_user)


@pytest.fixture
def redis_server(tmp_path: Path) -> Iterator[RedisServer]:
    """A private redis-server for tests that stop and start it (worker tests)."""
    server = RedisServer(tmp_path).start()
    yield server
    server.kill()


@pytest.fixture
def stack(transactional_db: None, redis_server: RedisServer, tmp_path: Path) -> Iterator[CeleryStack]:
    """Real Celery workers and beats for this test; their logs are printed (shown when it fails)."""
    celery = CeleryStack(connection.settings_dict["NAME"], redis_server.url, tmp_path)
    yield celery
    processes = list(celery.processes)
    celery.close()
    for log in iter_logs(processes):
        print(log)
