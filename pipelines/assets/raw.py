"""Landing assets (group `raw`): one per landed table. Filled in by the landing work."""

raw_assets: list = []
