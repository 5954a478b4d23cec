"""The floor program: one plain custom resource per entry of a shapes file, nothing else.

Each resource carries the inputs a resource of the real program carried (same keys, nesting
and sizes), so the mock engine serialises as much data; no validation, no components, no
Outputs between resources.
"""

import json

import pulumi

shapes = json.loads(open(pulumi.Config("bench-floor").require("shapes")).read())
for name, inputs in shapes:
    pulumi.CustomResource("bench:index:Resource", name, dict(inputs))
