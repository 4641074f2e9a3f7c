"""Use cases behind the API: products, configurations, jobs. Routes call these; these call
`db/`, `storage/`, `jobs/` and (through a subprocess) the engine."""
