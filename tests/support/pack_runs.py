"""Program runs for pack tests: a stack file changed, a registration's properties changed, levels."""

from __future__ import annotations

import dataclasses

import yaml
from google.protobuf import json_format, struct_pb2

from tests.support.runs import shared_run, stack_document, unmodified_run


def run_stack_file(stack, tmp_path_factory, mutate=None, preview=True):
    if mutate is None:
        return unmodified_run(stack, preview=preview)
    document = stack_document(stack)
    mutate(document["config"])
    stack_file = tmp_path_factory.mktemp("stack") / f"Pulumi.{stack}.yaml"
    stack_file.write_text(yaml.safe_dump(document, sort_keys=False))
    return shared_run(stack, stack_file=stack_file, preview=preview)


def levels(findings, policy, resource_name):
    return {f.level for f in findings
            if f.policy == policy and f.resource_name == resource_name
            and not f.unknown_during_preview}


def with_props(run, name, change):
    """`run` with registration `name`'s properties changed by `change(dict)`."""
    registrations = []
    for registration in run.registrations:
        if registration.name == name:
            props = json_format.MessageToDict(registration.properties)
            change(props)
            properties = struct_pb2.Struct()
            properties.update(props)
            registration = dataclasses.replace(registration, properties=properties)
        registrations.append(registration)
    return dataclasses.replace(run, registrations=registrations)
