import pytest

from jobspy_web.settings import SettingsError, load_settings


def test_embedded_default_is_a_sqlite_file_in_the_data_dir(data_dir):
    settings = load_settings()
    assert settings.sqlalchemy_url == f"sqlite:///{(data_dir / 'jobspy_web.db').resolve()}"
    assert settings.redis_url == ""


def test_postgres_urls_get_the_psycopg_driver(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db/app")
    monkeypatch.setenv("DATABASE_REPLICA_URL", "postgres://u@replica/app")
    settings = load_settings()
    assert settings.sqlalchemy_url == "postgresql+psycopg://u@db/app"
    assert settings.sqlalchemy_replica_url == "postgresql+psycopg://u@replica/app"


def test_proxies_are_comma_separated(monkeypatch):
    monkeypatch.setenv("JOBSPY_PROXIES", "user:pw@10.0.0.1:8080, localhost")
    assert load_settings().jobspy_proxies == ["user:pw@10.0.0.1:8080", "localhost"]


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("DATABASE_URL", "mysql://x"),
        ("REDIS_URL", "localhost:6379"),
        ("JOBSPY_SITE_TIMEOUT_SECONDS", "-1"),
        ("JOBSPY_MAX_CONCURRENT_SITES", "many"),
        ("JOBSPY_CA_CERT", "/no/such/file.pem"),
    ],
)
def test_invalid_settings_fail_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)
