"""The CostBreaker's Lambda function: lowers ECS max capacities when spend runs away.

`handler.py` is deployed as it stands (Python 3.12, boto3 only); nothing here imports the
Pulumi program, and the program packages only `handler.py`.
"""
