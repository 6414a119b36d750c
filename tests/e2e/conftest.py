import pytest

from tests.e2e.harness import ServerProcess


@pytest.fixture(scope="session")
def live_server_process(django_db_setup, django_db_blocker):
    """One real server for the e2e tests, on the test database (tests use transaction=True)."""
    with django_db_blocker.unblock():
        server = ServerProcess().start()
    yield server
    server.stop()


@pytest.fixture
def server(live_server_process, transactional_db):
    return live_server_process
