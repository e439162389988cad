"""Typed stack configuration: `Pulumi.<stack>.yaml` read once into frozen objects; unknown keys fail fast."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal, cast

import attrs
import pulumi
from attrs import field, frozen, validators

NAMESPACE = "securebank"
VALID_LOG_RETENTION_DAYS = (
    1,
    3,
    5,
    7,
    14,
    30,
    60,
    90,
    120,
    150,
    180,
    365,
    400,
    545,
    731,
    1096,
    1827,
    2192,
    2557,
    2922,
    3288,
    3653,
)

# config key (camelCase, as written in the stack YAML) -> StackConfig attribute
KEYS: dict[str, str] = {
    "secondaryRegion": "secondary_region",
    "shardMode": "shard_mode",
    "shardCount": "shard_count",
    "lambdaMemoryMb": "lambda_memory_mb",
    "lambdaTimeoutSeconds": "lambda_timeout_seconds",
    "processorConcurrency": "processor_concurrency",
    "queryConcurrency": "query_concurrency",
    "natGateway": "nat_gateway",
    "logRetentionDays": "log_retention_days",
    "alarmEmail": "alarm_email",
    "budgetThresholdsUsd": "budget_thresholds_usd",
    "replication": "replication",
    "deletionProtection": "deletion_protection",
    "corsAllowedOrigin": "cors_allowed_origin",
    "domainName": "domain_name",
    "certificateArn": "certificate_arn",
    "billingAlarms": "billing_alarms",
    "drOf": "dr_of",
    "hostedZoneId": "hosted_zone_id",
}
# domainName/certificateArn: required in a prod stack; drOf: only in a DR stack; hostedZoneId: DNS failover
OPTIONAL_KEYS = frozenset({"domainName", "certificateArn", "drOf", "hostedZoneId"})
SECRET_KEYS = frozenset({"alarmEmail"})


class ConfigError(ValueError):
    """The stack's configuration is incomplete, mistyped or has keys nobody reads."""


ShardMode = Literal["PROVISIONED", "ON_DEMAND"]


def _int_tuple(values: Iterable[int]) -> tuple[int, ...]:
    return tuple(values)


@frozen
class StackConfig:
    stack: str
    region: str
    secondary_region: str = field()
    shard_mode: ShardMode = field(validator=validators.in_(("PROVISIONED", "ON_DEMAND")))
    shard_count: int = field(validator=[validators.instance_of(int), validators.ge(1)])
    lambda_memory_mb: int = field(validator=[validators.instance_of(int), validators.ge(128), validators.le(10240)])
    lambda_timeout_seconds: int = field(validator=[validators.instance_of(int), validators.ge(1), validators.le(900)])
    processor_concurrency: int = field(validator=[validators.instance_of(int), validators.ge(1)])
    query_concurrency: int = field(validator=[validators.instance_of(int), validators.ge(1)])
    nat_gateway: bool = field(validator=validators.instance_of(bool))
    log_retention_days: int = field(validator=validators.in_(VALID_LOG_RETENTION_DAYS))
    alarm_email: pulumi.Output[str] = field(eq=False, repr=False)
    budget_thresholds_usd: tuple[int, ...] = field(converter=_int_tuple, validator=validators.min_len(1))
    replication: bool = field(validator=validators.instance_of(bool))
    deletion_protection: bool = field(validator=validators.instance_of(bool))
    cors_allowed_origin: str = field(validator=validators.matches_re(r"https://[a-z0-9.-]+(:[0-9]+)?"))
    billing_alarms: bool = field(validator=validators.instance_of(bool))
    """The account-wide billing alarms: created by the one stack of the account whose config says so."""
    domain_name: str | None = field(
        default=None, validator=validators.optional(validators.matches_re(r"[a-z0-9-]+(\.[a-z0-9-]+)+"))
    )
    """The API's custom domain (TLS 1.2 security policy); required in a prod stack, optional elsewhere."""
    certificate_arn: str | None = field(
        default=None,
        validator=validators.optional(validators.matches_re(r"arn:aws:acm:[a-z0-9-]+:[0-9]{12}:certificate/.+")),
    )
    """The ACM certificate of `domain_name`, in the stack's region."""
    dr_of: str | None = field(default=None, validator=validators.optional(validators.matches_re(r"[a-z0-9-]+")))
    """A DR stack names the stack it stands in for: it adopts that stack's table replicas and lake replica in this
    region (components/replica.py) instead of creating tables and a lake. None in a primary stack."""
    hosted_zone_id: str | None = field(
        default=None, validator=validators.optional(validators.matches_re(r"Z[A-Z0-9]+"))
    )
    """The Route 53 hosted zone of `domain_name`: a DR stack puts the domain's failover pair there
    (components/failover.py)."""

    @property
    def is_dr(self) -> bool:
        return self.dr_of is not None

    @hosted_zone_id.validator
    def _failover_needs_domain(self, _: attrs.Attribute[str | None], value: str | None) -> None:
        if value is not None and self.domain_name is None:
            raise ConfigError("hostedZoneId needs domainName: the failover record is the domain's")
        if self.dr_of is not None and value is None:
            raise ConfigError(f"stack {self.stack}: a DR stack needs hostedZoneId (DNS failover is how it takes over)")
        if self.dr_of is not None and self.replication:
            raise ConfigError(f"stack {self.stack}: a DR stack adopts {self.dr_of}'s replicas; set replication false")

    @certificate_arn.validator
    def _domain_in_prod(self, _: attrs.Attribute[str | None], value: str | None) -> None:
        if (self.domain_name is None) != (value is None):
            raise ConfigError("domainName and certificateArn go together: set both or neither")
        if self.stack.startswith("prod") and value is None:
            raise ConfigError(f"stack {self.stack}: domainName and certificateArn are required in prod (TLS 1.2 edge)")

    @secondary_region.validator
    def _differs_from_primary(self, _: attrs.Attribute[str], value: str) -> None:
        if value == self.region:
            raise ConfigError(f"secondaryRegion must differ from the primary region {self.region}")

    @classmethod
    def load(cls, config: pulumi.Config, stack: str, raw: dict[str, Any] | None = None) -> StackConfig:
        """Read every key once. `raw` is the engine's config bag (all keys); defaults to what the runtime holds."""
        raw = _raw_config() if raw is None else raw
        unknown = sorted(
            key.split(":", 1)[1] for key in raw if key.startswith(f"{NAMESPACE}:") and key.split(":", 1)[1] not in KEYS
        )
        if unknown:
            raise ConfigError(f"unknown config keys for stack {stack}: {', '.join(unknown)}; known: {sorted(KEYS)}")
        region = pulumi.Config("aws").require("region")
        try:
            return cls(
                stack=stack,
                region=region,
                secondary_region=config.require("secondaryRegion"),
                shard_mode=cast(ShardMode, config.require("shardMode")),  # checked by the field's validator
                shard_count=config.require_int("shardCount"),
                lambda_memory_mb=config.require_int("lambdaMemoryMb"),
                lambda_timeout_seconds=config.require_int("lambdaTimeoutSeconds"),
                processor_concurrency=config.require_int("processorConcurrency"),
                query_concurrency=config.require_int("queryConcurrency"),
                nat_gateway=config.require_bool("natGateway"),
                log_retention_days=config.require_int("logRetentionDays"),
                alarm_email=config.require_secret("alarmEmail"),
                budget_thresholds_usd=[int(v) for v in config.require_object("budgetThresholdsUsd")],
                replication=config.require_bool("replication"),
                deletion_protection=config.require_bool("deletionProtection"),
                cors_allowed_origin=config.require("corsAllowedOrigin"),
                billing_alarms=config.require_bool("billingAlarms"),
                domain_name=config.get("domainName"),
                certificate_arn=config.get("certificateArn"),
                dr_of=config.get("drOf"),
                hosted_zone_id=config.get("hostedZoneId"),
            )
        except (TypeError, ValueError) as error:
            raise ConfigError(f"invalid config for stack {stack}: {error}") from error


def _raw_config() -> dict[str, Any]:
    """The whole config bag the engine passed: `set_all_config` values over the PULUMI_CONFIG environment."""
    from pulumi.runtime import config as runtime_config

    env = runtime_config.get_config_env()
    return {**env, **runtime_config.CONFIG.get()}
