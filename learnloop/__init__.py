"""learnloop app shell."""
