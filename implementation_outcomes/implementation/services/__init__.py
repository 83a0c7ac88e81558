"""Database work for adoption, implementation activities, strategies and adaptations (split by topic).

Every query of agency data goes through ``app.security.scoped``; writes validate everything first, then commit once.
The pure science (funnels, stage scores, validators) comes from ``implementation_outcomes``; nothing is recomputed
here.
"""
