"""stagefleet: one isolated staging environment per developer, team and pull request."""

from programs.main import main

main()
