"""The read side: views projected from the event streams, and the queries that read them."""
