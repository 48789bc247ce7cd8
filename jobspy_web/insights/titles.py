"""Job titles: normalised (case, seniority words, synonyms) and resolved to an occupation.

Occupations are 2018 SOC codes, as the BLS OEWS benchmark uses them. The catalogue below
names the occupations job boards list most, each with the titles people post them under;
a title matches its alias exactly (score 1.0) or the closest alias or SOC title by fuzzy
token comparison (rapidfuzz), accepted from MIN_MATCH_SCORE.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz import fuzz, process

__all__ = ["MIN_MATCH_SCORE", "NormalisedTitle", "OccupationMatch", "match_occupation", "normalise_title", "occupation_title"]

MIN_MATCH_SCORE = 0.72

# Seniority words, dropped from the title and kept as its level. Order matters: the first
# level found wins, so "senior staff engineer" is lead.
_SENIORITY = {
    "intern": ("intern", "internship", "trainee", "apprentice"),
    "junior": ("junior", "jr", "entry", "graduate", "grad", "i"),
    "lead": ("lead", "staff", "principal", "head", "distinguished", "chief"),
    "senior": ("senior", "sr", "snr", "iii", "iv", "v", "expert"),
    "mid": ("mid", "intermediate", "ii", "experienced"),
}
_LEVEL_OF = {word: level for level, words in _SENIORITY.items() for word in words}
_NOISE = {"remote", "hybrid", "onsite", "on-site", "level", "f", "m", "d", "w", "x", "h", "the"}
# Whole phrases first (they contain spaces), then single words.
_PHRASES = {
    "front end": "frontend",
    "front-end": "frontend",
    "back end": "backend",
    "back-end": "backend",
    "full stack": "fullstack",
    "full-stack": "fullstack",
    "machine learning": "ml",
    "artificial intelligence": "ai",
    "quality assurance": "qa",
    "user experience": "ux",
    "user interface": "ui",
    "site reliability": "sre",
    "dev ops": "devops",
}
_WORDS = {
    "dev": "developer",
    "devs": "developer",
    "developers": "developer",
    "engineers": "engineer",
    "eng": "engineer",
    "engr": "engineer",
    "swe": "software engineer",
    "sde": "software engineer",
    "sw": "software",
    "mgr": "manager",
    "rn": "registered nurse",
    "admin": "administrator",
    "sysadmin": "system administrator",
    "js": "javascript",
    "programmer": "developer",
}


@dataclass(frozen=True)
class NormalisedTitle:
    key: str  # "software engineer": what titles group by
    seniority: str  # intern, junior, mid, senior, lead, or "unspecified"


@lru_cache(maxsize=65536)
def normalise_title(title: str) -> NormalisedTitle:
    """`title` in lower case without accents, qualifiers after a dash or comma, brackets,
    seniority and noise words; synonyms replaced ("Sr. Front-End Dev (Remote)" is
    "frontend developer", senior)."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    text = re.sub(r"\([^)]*\)|\[[^\]]*\]", " ", text)
    text = re.split(r"\s[-–|]\s|,|;|:", text)[0]
    for phrase, replacement in _PHRASES.items():
        text = text.replace(phrase, replacement)
    seniority = "unspecified"
    words: list[str] = []
    for word in re.findall(r"[a-z0-9+#]+", text.replace("/", " ")):
        if word in _LEVEL_OF:
            seniority = _LEVEL_OF[word] if seniority == "unspecified" else seniority
            continue
        if word in _NOISE:
            continue
        words.extend(_WORDS.get(word, word).split())
    return NormalisedTitle(key=" ".join(words)[:200], seniority=seniority)


@dataclass(frozen=True)
class OccupationMatch:
    soc_code: str
    title: str  # the SOC title
    score: float  # 0..1


# (SOC code, SOC title, titles as posted, normalised by normalise_title when matched).
_CATALOGUE: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "15-1252",
        "Software Developers",
        (
            "software engineer",
            "software developer",
            "backend developer",
            "backend engineer",
            "fullstack developer",
            "fullstack engineer",
            "python developer",
            "java developer",
            "mobile developer",
            "ios developer",
            "android developer",
            "application developer",
            "golang developer",
            "net developer",
            "c++ developer",
            "developer",
        ),
    ),
    (
        "15-1254",
        "Web Developers",
        ("web developer", "frontend developer", "frontend engineer", "javascript developer", "react developer", "wordpress developer"),
    ),
    (
        "15-1253",
        "Software Quality Assurance Analysts and Testers",
        ("qa engineer", "qa analyst", "test engineer", "sdet", "software tester", "qa tester", "automation engineer"),
    ),
    (
        "15-1255",
        "Web and Digital Interface Designers",
        ("ux designer", "ui designer", "ux ui designer", "product designer", "web designer", "interaction designer"),
    ),
    (
        "15-2051",
        "Data Scientists",
        (
            "data scientist",
            "ml engineer",
            "ai engineer",
            "data analyst",
            "machine learning scientist",
            "business intelligence analyst",
            "analytics engineer",
        ),
    ),
    ("15-1243", "Database Architects", ("data engineer", "database architect", "data architect", "big data engineer", "etl developer")),
    ("15-1242", "Database Administrators", ("database administrator", "dba", "sql dba")),
    (
        "15-1212",
        "Information Security Analysts",
        (
            "security engineer",
            "security analyst",
            "cybersecurity analyst",
            "cybersecurity engineer",
            "information security analyst",
            "soc analyst",
            "penetration tester",
        ),
    ),
    ("15-1211", "Computer Systems Analysts", ("systems analyst", "business systems analyst", "it analyst", "erp consultant")),
    (
        "15-1232",
        "Computer User Support Specialists",
        (
            "help desk technician",
            "it support specialist",
            "technical support specialist",
            "desktop support technician",
            "it technician",
            "service desk analyst",
        ),
    ),
    (
        "15-1244",
        "Network and Computer Systems Administrators",
        (
            "system administrator",
            "systems administrator",
            "network administrator",
            "devops engineer",
            "sre engineer",
            "sre",
            "cloud engineer",
            "platform engineer",
            "it administrator",
        ),
    ),
    ("15-1241", "Computer Network Architects", ("network engineer", "network architect", "cloud architect", "solutions architect")),
    (
        "11-3021",
        "Computer and Information Systems Managers",
        (
            "engineering manager",
            "software engineering manager",
            "it manager",
            "cto",
            "director of engineering",
            "vp of engineering",
            "it director",
        ),
    ),
    ("11-2021", "Marketing Managers", ("marketing manager", "brand manager", "growth manager", "product marketing manager")),
    ("11-2022", "Sales Managers", ("sales manager", "regional sales manager", "sales director")),
    ("11-9199", "Managers, All Other", ("product manager", "product owner", "technical product manager")),
    ("11-1021", "General and Operations Managers", ("operations manager", "general manager", "store manager", "office manager")),
    ("11-3121", "Human Resources Managers", ("hr manager", "human resources manager", "people manager")),
    (
        "13-1071",
        "Human Resources Specialists",
        ("recruiter", "hr specialist", "talent acquisition specialist", "hr generalist", "technical recruiter"),
    ),
    (
        "13-1082",
        "Project Management Specialists",
        ("project manager", "program manager", "scrum master", "delivery manager", "technical program manager"),
    ),
    ("13-1111", "Management Analysts", ("business analyst", "management consultant", "consultant", "strategy analyst")),
    (
        "13-1161",
        "Market Research Analysts and Marketing Specialists",
        (
            "marketing specialist",
            "digital marketing specialist",
            "seo specialist",
            "market research analyst",
            "marketing coordinator",
            "content marketing specialist",
        ),
    ),
    ("13-2011", "Accountants and Auditors", ("accountant", "auditor", "staff accountant", "tax accountant", "cpa")),
    ("13-2051", "Financial and Investment Analysts", ("financial analyst", "investment analyst", "fp&a analyst", "equity analyst")),
    ("23-1011", "Lawyers", ("lawyer", "attorney", "associate attorney", "counsel", "legal counsel")),
    ("23-2011", "Paralegals and Legal Assistants", ("paralegal", "legal assistant")),
    ("27-1024", "Graphic Designers", ("graphic designer", "visual designer", "designer")),
    ("29-1141", "Registered Nurses", ("registered nurse", "nurse", "icu nurse", "er nurse", "travel nurse", "charge nurse")),
    ("29-1171", "Nurse Practitioners", ("nurse practitioner", "np", "family nurse practitioner")),
    ("29-1051", "Pharmacists", ("pharmacist", "clinical pharmacist")),
    ("29-1123", "Physical Therapists", ("physical therapist", "pt")),
    ("17-2141", "Mechanical Engineers", ("mechanical engineer", "mechanical design engineer")),
    ("17-2071", "Electrical Engineers", ("electrical engineer", "power engineer")),
    ("17-2051", "Civil Engineers", ("civil engineer", "structural engineer", "transportation engineer")),
    (
        "41-3091",
        "Sales Representatives of Services, Except Advertising, Insurance, Financial Services, and Travel",
        (
            "account executive",
            "sales representative",
            "business development representative",
            "sales development representative",
            "account manager",
            "sales executive",
        ),
    ),
    (
        "43-4051",
        "Customer Service Representatives",
        (
            "customer service representative",
            "customer support representative",
            "customer success specialist",
            "call center representative",
            "customer service agent",
        ),
    ),
    (
        "43-6014",
        "Secretaries and Administrative Assistants, Except Legal, Medical, and Executive",
        ("administrative assistant", "office assistant", "receptionist", "secretary"),
    ),
    ("53-3032", "Heavy and Tractor-Trailer Truck Drivers", ("truck driver", "cdl driver", "cdl a driver", "delivery driver")),
    ("25-2021", "Elementary School Teachers, Except Special Education", ("elementary teacher", "teacher", "elementary school teacher")),
    ("35-2014", "Cooks, Restaurant", ("cook", "line cook", "chef", "sous chef")),
    ("49-9071", "Maintenance and Repair Workers, General", ("maintenance technician", "maintenance worker", "handyman")),
)
_TITLES = {code: title for code, title, _ in _CATALOGUE}


@lru_cache(maxsize=1)
def _choices() -> tuple[dict[str, str], list[str], list[str]]:
    """Exact aliases (normalised) → SOC code; and the strings fuzzy matching compares with."""
    exact: dict[str, str] = {}
    names, codes = [], []
    for code, title, aliases in _CATALOGUE:
        for alias in (*aliases, title):
            key = normalise_title(alias).key
            exact.setdefault(key, code)
            names.append(key)
            codes.append(code)
    return exact, names, codes


def occupation_title(soc_code: str) -> str | None:
    """The SOC title of a code in the catalogue."""
    return _TITLES.get(soc_code)


@lru_cache(maxsize=65536)
def match_occupation(title_key: str) -> OccupationMatch | None:
    """The occupation a normalised title is, with how sure we are; None below MIN_MATCH_SCORE."""
    if not title_key:
        return None
    exact, names, codes = _choices()
    if title_key in exact:
        code = exact[title_key]
        return OccupationMatch(code, _TITLES[code], 1.0)
    if " " not in title_key:
        return None  # one word that is no alias ("engineer") says too little to guess from
    # Token-set alone scores any subset 100 ("engineer" in "software engineer"); averaging
    # it with token-sort charges for the words that differ.
    found = process.extractOne(title_key, names, scorer=_score)
    if found is None:
        return None
    _name, score, index = found
    if score / 100 < MIN_MATCH_SCORE:
        return None
    return OccupationMatch(codes[index], _TITLES[codes[index]], round(score / 100, 2))


def _score(left: str, right: str, **_: object) -> float:
    return (fuzz.token_set_ratio(left, right) + fuzz.token_sort_ratio(left, right)) / 2
