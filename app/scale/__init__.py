"""Scale: a deterministic production-size dataset (``mio generate-scale``, also the job ``scale.generate``), the
EXPLAIN report of the hot queries (``mio explain-hot-queries``) and the helpers the load and fault tests use."""
