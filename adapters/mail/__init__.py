"""Mailers: an outbox folder of .eml files (the embedded default), SMTP, and Amazon SES."""
