"""Publishing the gated marts for BI (group `publish`). Filled in by the publishing work."""

publish_assets: list = []
