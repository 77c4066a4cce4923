"""Privacy: what erasing a person takes of kept files and stored fields."""
