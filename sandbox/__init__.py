"""Local emulators of the APIs stagefleet talks to (loopback HTTP, in-memory state).

`sandbox.railway.RailwaySandbox` emulates Railway's GraphQL API; `sandbox.server` is the shared
loopback server (faults, journal, latency, rate limit, lifetime) the emulators are built on.
"""
