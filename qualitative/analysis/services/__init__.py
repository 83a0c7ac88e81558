"""Database work of the analysis use cases, one module per area; formulas stay in the pure modules."""
