"""dbt models as Dagster assets (groups `staging`, `marts`). Filled in by the marts work."""

dbt_assets_list: list = []
dbt_resources: dict = {}
