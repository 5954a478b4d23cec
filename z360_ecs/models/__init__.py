"""Pure models over a validated StackConfig: Fargate cost, and target tracking over time."""
