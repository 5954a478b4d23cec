"""The facts floor: AWS limits, prices, type tokens, metric names and conventions that the pack,
the program, the breaker and the tools share. Standard library only; imports nothing above it."""
