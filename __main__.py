"""stagefleet: one isolated staging environment per developer, team and pull request."""
from components.fleet import main

main()
