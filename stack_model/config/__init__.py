"""Stack configuration: read once, validated into typed models before anything is created.

One pydantic model per stack-file mapping, strict and frozen, keyed by the stack file's
camelCase names. A validator reports every problem it finds at once, each at the key that is
wrong (errors.py).

The package's parts, in the order data flows: source (the one set of reading rules for stack
files and config values), limits (AWS name rules), base (every model's settings and the number
rules: finite, no booleans, money as Decimal); then one module per section, each importing only
the sections below it:
- services.<key>: scaling, alarms, network (network and loadBalancer), import_ids (importIds),
  waf; services (ServiceConfig, which holds them);
- clusters.<key>: clusters; alerts: alerts; budget: budget;
- costBreaker: cost_breaker, its burnRate in burn_rate;
- the whole stack: stack (StackConfig and the checks across sections), with adoption (import
  ids against the names the program gives), waf_problems (web ACLs across services) and names
  (every physical name the program gives; no two settings give one).
Then errors (problems as key path + message) and load (stack file or Pulumi config ->
StackConfig). Importers take what they need from here.
"""

from stack_model.config.alarms import AlarmsConfig
from stack_model.config.alerts import AlertsConfig
from stack_model.config.budget import BudgetConfig
from stack_model.config.burn_rate import BurnRateConfig
from stack_model.config.clusters import ClusterConfig
from stack_model.config.cost_breaker import CostBreakerConfig
from stack_model.config.errors import ConfigError, Problem
from stack_model.config.import_ids import ImportIds
from stack_model.config.load import CONFIG_KEYS, PROJECT, load_stack_config, read_pulumi_config
from stack_model.config.network import LoadBalancerConfig, NetworkConfig
from stack_model.config.scaling import ScalingConfig
from stack_model.config.services import ServiceConfig
from stack_model.config.stack import StackConfig

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
