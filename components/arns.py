"""ARNs of resources the program names itself, known before AWS creates them.

IAM documents built from these are known at preview, so the policy pack checks them in CI
instead of only on `pulumi up`.
"""


def sns_topic_arn(region: str, account_id: str, topic_name: str) -> str:
    return f"arn:aws:sns:{region}:{account_id}:{topic_name}"


def log_group_arn(region: str, account_id: str, log_group_name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{log_group_name}"
