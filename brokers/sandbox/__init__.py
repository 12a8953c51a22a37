"""Local, protocol-faithful broker emulators served on 127.0.0.1 (`python -m brokers.sandbox`).

The package import stays empty on purpose: the app reads the endpoints file through
`brokers.sandbox.endpoints` at start-up and must not pull in uvicorn and Starlette to do so.
"""
