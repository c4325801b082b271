"""The HTTP service over the `matcher` library."""
