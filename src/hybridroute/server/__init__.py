"""The OpenAI-compatible gateway: `create_app(router, settings)` in `hybridroute.server.app`.

This package init stays import-free so `hybridroute.config` can import the settings module
without pulling in FastAPI.
"""
