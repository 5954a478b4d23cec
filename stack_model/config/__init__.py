"""Stack configuration: read once, validated into typed models before anything is created.

The package's parts, in the order data flows: source (the one set of reading rules for stack
files and config values), limits (AWS name rules), base (every model's settings and the number
rules: finite, no booleans, money as Decimal), models (one pydantic model per stack-file
mapping; costBreaker.burnRate's in burn_rate, services.<key>.waf's in waf), adoption (import
ids against the names the program gives), errors (problems as key path + message), load (stack
file or Pulumi config -> StackConfig).
Importers take what they need from here.
"""

from stack_model.config.burn_rate import BurnRateConfig
from stack_model.config.errors import ConfigError, Problem
from stack_model.config.load import CONFIG_KEYS, PROJECT, load_stack_config, read_pulumi_config
from stack_model.config.models import (
    AlarmsConfig,
    AlertsConfig,
    BudgetConfig,
    ClusterConfig,
    CostBreakerConfig,
    ImportIds,
    LoadBalancerConfig,
    NetworkConfig,
    ScalingConfig,
    ServiceConfig,
    StackConfig,
)

# Lives in stack_model.naming; re-exported because importers took it from here.
from stack_model.naming import SCALABLE_DIMENSION

__all__ = [
    "CONFIG_KEYS",
    "PROJECT",
    "SCALABLE_DIMENSION",
    "AlarmsConfig",
    "AlertsConfig",
    "BudgetConfig",
    "BurnRateConfig",
    "ClusterConfig",
    "ConfigError",
    "CostBreakerConfig",
    "ImportIds",
    "LoadBalancerConfig",
    "NetworkConfig",
    "Problem",
    "ScalingConfig",
    "ServiceConfig",
    "StackConfig",
    "load_stack_config",
    "read_pulumi_config",
]
