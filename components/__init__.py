"""The program: the stack config (config/), physical names (naming), one ComponentResource per
concern (alerts, budget, cost breaker, dashboard, scalable service), composed by stack.py."""
