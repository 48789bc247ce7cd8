import pytest

from jobspy_web.settings import SettingsError, get_settings, load_settings


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
        ("DATABASE_REPLICA_URL", "postgresql://"),
        ("REDIS_URL", "http://cache:6379"),
        ("PUBLIC_URL", "jobs.example.com"),
        ("STRIPE_API_BASE", "ftp://stripe.local"),
        ("JWT_PRIVATE_KEY_FILE", "/no/such/key.pem"),
    ],
)
def test_invalid_settings_fail_naming_the_variable(monkeypatch, variable, value):
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert variable in str(caught.value)


def test_urls_are_checked_as_urls_and_kept_as_given(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "unix:///run/redis.sock")
    monkeypatch.setenv("PUBLIC_URL", "https://jobs.example.com/")
    settings = load_settings()
    assert settings.redis_url == "unix:///run/redis.sock"
    assert settings.public_url == "https://jobs.example.com"


def test_secrets_never_show_in_the_settings_repr_or_an_error(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "s3cret-signing-key")
    monkeypatch.setenv("SMTP_URL", "smtp://mailer:hunter2@mail.example.com:587")
    monkeypatch.setenv("GITHUB_CLIENT_SECRET", "gh-s3cret")
    shown = repr(load_settings())
    assert "s3cret-signing-key" not in shown and "hunter2" not in shown and "gh-s3cret" not in shown
    monkeypatch.setenv("SMTP_URL", "http://mailer:hunter2@mail.example.com")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "SMTP_URL" in str(caught.value) and "hunter2" not in str(caught.value)


def test_reset_process_state_forgets_the_settings_and_what_was_made_from_them(monkeypatch, tmp_path):
    from jobspy_web.licensing.signing import get_signer
    from jobspy_web.settings import reset_process_state

    monkeypatch.setenv("DATA_DIR", str(tmp_path / "first"))
    reset_process_state()
    first = get_signer()
    assert get_signer() is first  # made once per process
    monkeypatch.setenv("DATA_DIR", str(tmp_path / "second"))
    reset_process_state()
    assert get_settings().data_dir == tmp_path / "second"
    assert get_signer().public_key_raw != first.public_key_raw  # a new dev key in the new DATA_DIR
    reset_process_state()
