"""The CostBreaker's Lambda function: lowers ECS max capacities when spend runs away.

Deployed whole (Python 3.12, boto3 only): components/cost_breaker.py packages every module of
this package plus the facts it imports (contract.IMPORTED_FACTS) at their repository paths, and
names `breaker.handler.handler` as the entry point. Nothing here imports the Pulumi program.

- contract.py: what the component and the function both write or read (environment, record,
  lock, restore command); standard library only, so the program imports it without boto3;
- handler.py: the entry point, which event does what;
- sources.py: which events may trip (budget, trip alarm, by hand) and why others are refused;
- actions.py: trip, restore, status;
- record.py: reading and writing the record (SSM);
- lock.py: the lock that serialises trip and restore (SSM version compare-and-swap);
- targets.py: reading and lowering scalable targets (Application Auto Scaling);
- alerts.py: reports to the alert topic (SNS);
- clients.py: the boto3 clients and how their errors read.
"""
