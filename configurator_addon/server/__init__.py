"""The HTTP API: aiohttp app factory, routes, middlewares, problem+json errors."""
