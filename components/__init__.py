"""Pulumi component resources: one StagingEnvironment per configured environment."""
