"""The AWS event store: an eventsourcing persistence module on one DynamoDB table."""
