"""The ``capability:`` section of the YAML config (pydantic: this is an edge).

Example::

    capability:
      fallback: model            # or a number in [0, 1]: local_ok when no rule matches
      model_path: null           # a directory holding capability.npz; default: the shipped one
      rules:                     # first match wins
        - id: huge_prompt
          min_tokens: 6000
          local_ok: 0.05
        - id: admins_small_talk
          roles: [admin]
          categories: [chat, writing]
          max_tokens: 200
          local_ok: 0.9
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Probability = Annotated[float, Field(ge=0.0, le=1.0)]


class CapabilityRuleSettings(BaseModel):
    """One row of the rule table: all given conditions must hold for the rule to match."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    local_ok: Probability
    min_tokens: int | None = Field(default=None, ge=0)
    max_tokens: int | None = Field(default=None, ge=0)
    categories: tuple[str, ...] | None = None
    roles: tuple[str, ...] | None = None

    @model_validator(mode="after")
    def _token_range(self) -> CapabilityRuleSettings:
        if self.min_tokens is not None and self.max_tokens is not None:
            if self.min_tokens > self.max_tokens:
                raise ValueError(f"rule {self.id!r}: min_tokens > max_tokens")
        return self


class CapabilitySettings(BaseModel):
    """Rules first, then the fallback (the learned model, or a fixed local_ok)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: tuple[CapabilityRuleSettings, ...] = ()
    fallback: Literal["model"] | Probability = "model"
    model_path: Path | None = None

    @model_validator(mode="after")
    def _unique_ids(self) -> CapabilitySettings:
        ids = [rule.id for rule in self.rules]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate capability rule ids: {duplicates}")
        return self
