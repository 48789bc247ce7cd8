"""External salary providers (Glassdoor, PayScale, Salary.com...): one small interface.

Each is configured in SALARY_PROVIDERS as {"name", "url", "api_key"} and asked with httpx:

  GET {url}?title=&soc_code=&location=&country=&currency=    Authorization: Bearer {api_key}

and answers {"currency": "USD", "p10", "p25", "p50", "p75", "p90", "mean"?, "sample_size"?},
yearly figures. A vendor whose API looks different gets an adapter with the same `fetch`.
Nothing is called when none is configured.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

import httpx
from pydantic import BaseModel, ConfigDict, Field

from jobspy_web.insights.query import NormalisedQuery
from jobspy_web.settings import SalaryProviderSetting, get_settings

__all__ = ["HttpSalaryProvider", "ProviderAnswer", "SalaryProvider", "configured_providers"]


class ProviderAnswer(BaseModel):
    model_config = ConfigDict(extra="ignore")

    currency: str = Field(pattern=r"^[A-Z]{3}$")
    p10: float | None = Field(None, ge=0)
    p25: float | None = Field(None, ge=0)
    p50: float = Field(ge=0)
    p75: float | None = Field(None, ge=0)
    p90: float | None = Field(None, ge=0)
    mean: float | None = Field(None, ge=0)
    sample_size: int | None = Field(None, ge=0)

    def as_json(self, name: str) -> dict[str, Any]:
        yearly = {key: getattr(self, key) for key in ("p10", "p25", "p50", "p75", "p90", "mean")}
        return {"name": name, "currency": self.currency, "yearly": yearly, "sample_size": self.sample_size}


class SalaryProvider(Protocol):
    @property
    def name(self) -> str: ...

    async def fetch(self, query: NormalisedQuery, client: httpx.AsyncClient) -> ProviderAnswer: ...


@dataclass(frozen=True)
class HttpSalaryProvider:
    name: str
    url: str
    api_key: str

    async def fetch(self, query: NormalisedQuery, client: httpx.AsyncClient) -> ProviderAnswer:
        parameters = {
            "title": query.title.key,
            "soc_code": query.occupation.soc_code if query.occupation else "",
            "location": query.place.label if query.place.level != "any" else "",
            "country": query.place.country or query.country or "",
            "currency": query.currency,
        }
        headers = {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}
        response = await client.get(self.url, params={k: v for k, v in parameters.items() if v}, headers=headers)
        response.raise_for_status()
        return ProviderAnswer.model_validate_json(response.content)


def _provider(setting: SalaryProviderSetting) -> SalaryProvider:
    return HttpSalaryProvider(setting.name, setting.url, setting.api_key.get_secret_value())


def configured_providers() -> list[SalaryProvider]:
    return [_provider(setting) for setting in get_settings().salary_providers]
