"""Use cases, ports and the services that run them on the domain."""
