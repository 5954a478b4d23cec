"""The Fargate size table and list prices: the single source of truth everything else reads."""

from decimal import Decimal

import pytest

from policies.guardrails.facts.fargate import (
    FARGATE_MEMORY_BY_CPU,
    FARGATE_SIZES,
    HOURS_PER_MONTH,
    allowed_memory,
    is_valid_size,
    monthly_task_cost,
    to_cents,
)

# Written out from the ECS developer guide's table, independently of the module's ranges.
DOCUMENTED_SIZES = (
    [(256, m) for m in (512, 1024, 2048)]
    + [(512, m * 1024) for m in (1, 2, 3, 4)]
    + [(1024, m * 1024) for m in (2, 3, 4, 5, 6, 7, 8)]
    + [(2048, m * 1024) for m in range(4, 17)]
    + [(4096, m * 1024) for m in range(8, 31)]
    + [(8192, m * 1024) for m in (16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60)]
    + [(16384, m * 1024) for m in (32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120)]
)


def test_there_are_exactly_74_sizes_matching_the_documented_table():
    assert len(DOCUMENTED_SIZES) == 74
    assert FARGATE_SIZES == frozenset(DOCUMENTED_SIZES)


@pytest.mark.parametrize("cpu,memory", DOCUMENTED_SIZES)
def test_every_documented_size_is_valid(cpu, memory):
    assert is_valid_size(cpu, memory)


def _boundary_neighbours():
    """Just outside each cpu's memory range, and off-step values inside the big-task ranges."""
    cases = []
    for cpu, memories in FARGATE_MEMORY_BY_CPU.items():
        step = memories[1] - memories[0] if cpu != 256 else 512
        cases.append((cpu, memories[0] - step))
        cases.append((cpu, memories[-1] + step))
        cases.append((cpu, memories[0] + 1))
    # 8 and 16 vCPU step by 4 GB and 8 GB: 1 GB steps in between are refused.
    cases += [(8192, 17408), (8192, 61440 + 4096), (16384, 33792), (16384, 40960 + 1024)]
    cases += [(128, 512), (3072, 8192), (32768, 131072), (1024, 1024), (256, 4096)]
    return cases


@pytest.mark.parametrize("cpu,memory", _boundary_neighbours())
def test_neighbours_of_each_boundary_are_refused(cpu, memory):
    assert (cpu, memory) not in DOCUMENTED_SIZES
    assert not is_valid_size(cpu, memory)


def test_allowed_memory_is_empty_for_an_invalid_cpu():
    assert allowed_memory(3072) == ()


@pytest.mark.parametrize(
    "cpu,memory,architecture,expected",
    [
        # vCPU x $/vCPU-h x 730 + GB x $/GB-h x 730, computed by hand
        (1024, 2048, "X86_64", Decimal("36.04")),  # 29.5504 + 6.4897
        (256, 512, "X86_64", Decimal("9.01")),  # 7.3876 + 1.622425
        (2048, 5120, "X86_64", Decimal("75.33")),  # 59.1008 + 16.224250
        (4096, 8192, "X86_64", Decimal("144.16")),  # 118.2016 + 25.9588
        (1024, 2048, "ARM64", Decimal("28.84")),  # 23.6374 + 5.1976
    ],
)
def test_monthly_cost_of_one_task_to_the_cent(cpu, memory, architecture, expected):
    assert to_cents(monthly_task_cost(cpu, memory, architecture)) == expected


def test_a_month_is_730_hours_and_money_stays_exact():
    cost = monthly_task_cost(1024, 2048, "X86_64")
    assert HOURS_PER_MONTH == 730
    assert cost == Decimal("0.04048") * 730 + Decimal("0.004445") * 2 * 730
