"""Pulumi dynamic providers for the APIs stagefleet drives (Railway, Supabase, Statsig) and generated tokens.

Every provider runs in Pulumi's dynamic-provider host: its object is pickled into the state, so
it holds no instance state; credentials come from the stack config handed to `configure()` or
from the environment (see `providers.settings`).
"""
