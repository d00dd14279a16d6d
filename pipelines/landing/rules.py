"""Building blocks for a source's row rules: the first failing rule names the quarantine reason."""

from dataclasses import dataclass

import polars as pl

REASON = "_reason"
MESSAGE = "_message"
TYPED = "t__"


def typed(name: str) -> pl.Expr:
    """A typed column, computed once and kept beside the text as delivered."""
    return pl.col(TYPED + name)


@dataclass(frozen=True)
class Rule:
    """`fails` is true for a row that breaks the rule; `message` explains it to a person."""

    fails: pl.Expr
    reason: str
    message: pl.Expr


def unparsed(raw: str, name: str | None = None) -> pl.Expr:
    """Present in the file but null after typing: the text was not a value of the column's type."""
    return pl.col(raw).is_not_null() & typed(name or raw).is_null()


def bad_value(raw: str, what: str = "a number") -> Rule:
    return Rule(unparsed(raw), "bad_value", pl.format(f"{raw} = '{{}}' is not {what}", pl.col(raw)))


def required(raw: str, reason: str = "bad_value") -> Rule:
    return Rule(pl.col(raw).is_null(), reason, pl.lit(f"{raw} is empty"))


def coded(raw: str, allowed: range | list[int], reason: str = "bad_code") -> Rule:
    values = list(allowed)
    shown = f"{values[0]}-{values[-1]}" if isinstance(allowed, range) else "/".join(map(str, values))
    return Rule(
        typed(raw).is_not_null() & ~typed(raw).is_in(values),
        reason,
        pl.format(f"{raw} = {{}} is outside its codes {shown}", typed(raw)),
    )


def yes_no_rule(raw: str, yes: int, no: int) -> Rule:
    return Rule(
        unparsed(raw),
        "bad_code",
        pl.format(f"{raw} = '{{}}' is neither {yes} (yes) nor {no} (no) for this item", pl.col(raw)),
    )


def first_failure(rules: list[Rule]) -> list[pl.Expr]:
    """The reason and message of the first rule a row breaks, null for a row that lands."""
    if not rules:
        return [pl.lit(None, pl.String).alias(REASON), pl.lit(None, pl.String).alias(MESSAGE)]
    reason = pl.when(rules[0].fails.fill_null(False)).then(pl.lit(rules[0].reason))
    message = pl.when(rules[0].fails.fill_null(False)).then(rules[0].message)
    for rule in rules[1:]:
        reason = reason.when(rule.fails.fill_null(False)).then(pl.lit(rule.reason))
        message = message.when(rule.fails.fill_null(False)).then(rule.message)
    return [reason.otherwise(None).alias(REASON), message.otherwise(None).alias(MESSAGE)]
