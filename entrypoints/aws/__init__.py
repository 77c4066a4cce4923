"""AWS Lambda handlers: thin adapters from triggers to the use cases, one module per trigger."""
