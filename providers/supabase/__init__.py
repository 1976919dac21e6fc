"""Supabase dynamic resources: Project, ProjectKeys, Branch, and the Management API client they
share (its errors are providers.api's family, plus the readiness waits' own two).

`Project` and `Branch` return as soon as Supabase accepts them; `ProjectKeys` waits until the
project or branch is healthy and then reads its keys, so many databases come up side by side.
"""

from providers.supabase.branch import Branch, BranchArgs
from providers.supabase.client import ProjectFailedToStart, ReadinessDeadlineExceeded, SupabaseClient
from providers.supabase.project import Project, ProjectArgs
from providers.supabase.project_keys import ProjectKeys, ProjectKeysArgs

__all__ = [
    "Branch",
    "BranchArgs",
    "Project",
    "ProjectArgs",
    "ProjectFailedToStart",
    "ProjectKeys",
    "ProjectKeysArgs",
    "ReadinessDeadlineExceeded",
    "SupabaseClient",
]
