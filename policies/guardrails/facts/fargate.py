"""Fargate facts: valid task sizes and us-east-1 list prices. The one source of truth.

The program, the cost reports and the policy pack all read these; nothing else states them.
Sizes: ECS developer guide, "Task CPU and memory". Prices: AWS Fargate pricing, us-east-1,
on demand, Linux. Money is Decimal so that figures are exact to the cent; round only to print.
AWS WAF's prices (the web ACLs in front of the public services) sit at the end: one price table.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

MIB_PER_GB = 1024
HOURS_PER_MONTH = Decimal(730)  # the convention AWS's calculator and infracost use


class Architecture(StrEnum):
    X86_64 = "X86_64"
    ARM64 = "ARM64"


# Task cpu units -> allowed memory in MiB. 8 and 16 vCPU step by 4 GB and 8 GB.
FARGATE_MEMORY_BY_CPU: dict[int, tuple[int, ...]] = {
    256: (512, 1024, 2048),
    512: tuple(range(1024, 4096 + 1, 1024)),
    1024: tuple(range(2048, 8192 + 1, 1024)),
    2048: tuple(range(4096, 16384 + 1, 1024)),
    4096: tuple(range(8192, 30720 + 1, 1024)),
    8192: tuple(range(16384, 61440 + 1, 4096)),
    16384: tuple(range(32768, 122880 + 1, 8192)),
}

FARGATE_SIZES: frozenset[tuple[int, int]] = frozenset(
    (cpu, memory) for cpu, memories in FARGATE_MEMORY_BY_CPU.items() for memory in memories
)

# 8 and 16 vCPU need Linux on platform version 1.4.0 or later.
CPU_NEEDING_PLATFORM_1_4 = frozenset({8192, 16384})

# USD per vCPU-hour and per GB-hour.
PRICE_PER_VCPU_HOUR: dict[Architecture, Decimal] = {
    Architecture.X86_64: Decimal("0.04048"),
    Architecture.ARM64: Decimal("0.03238"),
}
PRICE_PER_GB_HOUR: dict[Architecture, Decimal] = {
    Architecture.X86_64: Decimal("0.004445"),
    Architecture.ARM64: Decimal("0.00356"),
}

# Spot has no fixed price: AWS says "up to 70% off", so it is a range of savings, 0 to 70 %.
SPOT_DISCOUNT_RANGE = (Decimal("0"), Decimal("0.70"))

# Compute Savings Plan discount on Fargate, as a fraction of on-demand. No single rate exists:
# it depends on term (1 or 3 years) and payment option. Low bound: the ops log's planning
# figure (~17 %, about what a 1-year, no-upfront plan gives). High bound: AWS's advertised
# "up to 52 %" for Fargate under a 3-year Compute Savings Plan (aws.amazon.com/savingsplans/
# compute-pricing and aws.amazon.com/fargate/pricing).
COMPUTE_SAVINGS_PLAN_DISCOUNT_RANGE = (Decimal("0.17"), Decimal("0.52"))

CENT = Decimal("0.01")


def is_valid_size(cpu: int, memory: int) -> bool:
    """True when (cpu units, memory MiB) is one of the 74 Fargate task sizes."""
    return (cpu, memory) in FARGATE_SIZES


def allowed_memory(cpu: int) -> tuple[int, ...]:
    """Memory values (MiB) Fargate allows with `cpu`; empty when `cpu` itself is invalid."""
    return FARGATE_MEMORY_BY_CPU.get(cpu, ())


def describe_allowed_memory(cpu: int) -> str:
    """Human-readable list of the memory values allowed with `cpu`, for error messages."""
    memories = allowed_memory(cpu)
    if not memories:
        return "cpu must be one of " + ", ".join(str(c) for c in FARGATE_MEMORY_BY_CPU)
    if len(memories) <= 3:
        return ", ".join(str(m) for m in memories)
    step = memories[1] - memories[0]
    return f"{memories[0]} to {memories[-1]} in steps of {step}"


def hourly_task_cost(cpu: int, memory: int, architecture: Architecture | str) -> Decimal:
    """On-demand USD per hour for one task, unrounded."""
    arch = Architecture(architecture)
    vcpu = Decimal(cpu) / 1024
    gb = Decimal(memory) / MIB_PER_GB
    return vcpu * PRICE_PER_VCPU_HOUR[arch] + gb * PRICE_PER_GB_HOUR[arch]


def monthly_task_cost(cpu: int, memory: int, architecture: Architecture | str) -> Decimal:
    """On-demand USD for one task running 730 hours, unrounded."""
    return hourly_task_cost(cpu, memory, architecture) * HOURS_PER_MONTH


def to_cents(amount: Decimal) -> Decimal:
    """Round half up to the cent: for printing only."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# --- AWS WAF (the web ACLs in front of the public services) -----------------------------------
# AWS WAF pricing (aws.amazon.com/waf/pricing/, the same in every region; monthly fees prorated
# hourly): $5.00 per web ACL a month, $1.00 per rule a month (a rule group referenced from a
# web ACL is one rule; the AWS managed groups the program uses carry no subscription fee), and
# $0.60 per million requests the web ACL inspects, blocked ones included. Web ACLs within 1,500
# WCUs pay nothing more per request. The ops log quotes the same "$5/month + $0.60/million".
WAF_WEB_ACL_MONTHLY = Decimal("5.00")
WAF_RULE_MONTHLY = Decimal("1.00")
WAF_PRICE_PER_MILLION_REQUESTS = Decimal("0.60")
