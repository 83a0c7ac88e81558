"""Joint displays (``joint``) and Aim 3 determinants (``determinants``): read the readiness, outcome and
qualitative services and arrange their results; formulas live in the pure modules they call."""
