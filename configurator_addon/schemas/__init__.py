"""Pydantic models of the HTTP API: request bodies, responses, problem details. The OpenAPI
document is generated from these (`server/openapi.py`)."""
