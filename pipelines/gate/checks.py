"""Great Expectations suites as blocking Dagster asset checks. Filled in by the gate work."""

gate_checks: list = []
