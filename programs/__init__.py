"""The stagefleet program bodies: the fleet stack (fleet.py) and a pull request's review stack
(review.py), and main.py, which reads the stack config and runs the one the stack is.

Dependencies point one way: __main__ -> programs -> components (ComponentResources) -> providers;
`fleet` (the config model) is imported by all of them.
"""
