"""Adapters for AWS services (boto3 clients made lazily, once per adapter)."""
