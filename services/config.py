"""All configuration is read here, from environment variables with local defaults. Nothing else
in jatkumo reads the environment, and nothing connects at import time."""

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from schemas.errors import ConfigError
from streams.core.rules import DEFAULT_REFERRAL_THRESHOLDS, DEFAULT_THRESHOLDS, GAP_TYPES, Rules

KEY_VAR = "JATKUMO_PSEUDONYM_KEY"


@dataclass(frozen=True)
class Settings:
    pseudonym_key: bytes | None = None
    rules: Rules = field(default_factory=Rules)
    bootstrap: str = "127.0.0.1:9092"


def parse_date(text: str, what: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"{what} must be a date YYYY-MM-DD, got {text!r}") from None


def parse_thresholds(text: str, rules: Rules) -> Rules:
    """`GAP_TYPE=N` pairs, comma-separated; REFERRAL_STALLED.TARGET=N sets one referral target."""
    gaps = dict(rules.thresholds)
    referrals = dict(rules.referral_thresholds)
    for item in filter(None, (x.strip() for x in text.split(","))):
        name, _, value = item.partition("=")
        if not value.strip().isdigit():
            raise ConfigError(f"threshold {item!r} must be NAME=DAYS, e.g. SERVICE_BREAK=30")
        days = int(value)
        if name in DEFAULT_THRESHOLDS:
            gaps[name] = days
        elif name == "REFERRAL_STALLED":
            referrals = dict.fromkeys(referrals, days)
        elif name.startswith("REFERRAL_STALLED.") and name[17:] in DEFAULT_REFERRAL_THRESHOLDS:
            referrals[name[17:]] = days
        else:
            raise ConfigError(
                f"unknown threshold {name!r}: use one of {', '.join(GAP_TYPES)} or "
                f"REFERRAL_STALLED.<target> ({', '.join(DEFAULT_REFERRAL_THRESHOLDS)})")
    return replace(rules, thresholds=gaps, referral_thresholds=referrals)


def load(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    key = env.get(KEY_VAR) or None
    rules = Rules()
    if env.get("JATKUMO_CUTOVER"):
        rules = replace(rules, cutover=parse_date(env["JATKUMO_CUTOVER"], "JATKUMO_CUTOVER"))
    if env.get("JATKUMO_THRESHOLDS"):
        rules = parse_thresholds(env["JATKUMO_THRESHOLDS"], rules)
    if env.get("JATKUMO_HANDOFF_GRACE_DAYS"):
        grace = env["JATKUMO_HANDOFF_GRACE_DAYS"]
        if not grace.isdigit():
            raise ConfigError(f"JATKUMO_HANDOFF_GRACE_DAYS must be a whole number, got {grace!r}")
        rules = replace(rules, handoff_grace_days=int(grace))
    return Settings(
        pseudonym_key=key.encode("utf-8") if key else None,
        rules=rules,
        bootstrap=env.get("JATKUMO_BOOTSTRAP", "127.0.0.1:9092"),
    )
