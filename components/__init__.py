"""Pulumi ComponentResources, and only those: StagingEnvironment (one per configured environment:
its Railway environment, services, access token and database) and Database (a Supabase project or
branch, its keys, migrations and seed). The program bodies that declare them are in programs/."""
